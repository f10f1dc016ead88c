//! # ferrite-esp32c3 — Ferrite on the ESP32-C3
//!
//! The device half of Ferrite: the same engine and runtime as the in-tab simulator and the
//! host's virtual device, on the chip, with the serial console (REPL and the RPC framing of
//! docs/PROTOCOL.md, the shared `ferrite-console` state machine) on USB-Serial-JTAG and on
//! UART0. docs/FIRMWARE.md says what this build does and does not do yet.
//!
//! Boot: the heap ([`board::heap`]), the chip ([`board::init`]: clocks, task watchdog, both ports),
//! the runtime over [`board::ChipBoard`], a boot report on both ports, then the main loop:
//! poll the runtime (which feeds the watchdog), serve both consoles, restart when
//! `Shelly.Reboot` asked for it.
//!
//! Must never: call esp-hal outside [`board`], block in the loop, or panic on input from a port.
#![no_std]
#![no_main]

extern crate alloc;

mod board;
mod console_link;

use alloc::format;

use esp_backtrace as _;
use ferrite_runtime::{Limits, Runtime, RuntimeConfig};

use board::heap;
use console_link::ConsoleLink;

esp_bootloader_esp_idf::esp_app_desc!();

/// The firmware's version (the workspace's; scripts/firmware.sh checks they are equal).
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `model` of `Shelly.GetDeviceInfo`.
const MODEL: &str = "FerriteC3";

/// Heap budget of each script's realm (and the console's). The whole heap is about 289 KiB
/// (see [`board::heap`]), so the host's 256 KiB per realm would let one script exhaust the chip;
/// an allocation that fails outside a realm's budget panics and restarts the device.
const SCRIPT_HEAP_BYTES: usize = 64 * 1024;

/// How long a restart waits for the ports to take the last output (`Shelly.Reboot`'s answer).
const REBOOT_FLUSH_MS: u64 = 200;

#[esp_hal::main]
fn main() -> ! {
    heap::init();
    let hw = match board::init() {
        Ok(hw) => hw,
        // Only UART0's configuration can fail, and the default one is valid: a bug.
        Err(e) => panic!("{e}"),
    };
    let reboot = hw.reboot_requested;
    let storage_report = hw.storage_report;
    let mut links = [ConsoleLink::new(hw.usb_jtag), ConsoleLink::new(hw.uart0)];

    let mut rt = Runtime::new(
        hw.board,
        RuntimeConfig {
            model: MODEL.into(),
            limits: Limits {
                script_heap: SCRIPT_HEAP_BYTES,
                ..Limits::SHELLY
            },
            ..Default::default()
        },
    );
    rt.boot();

    let layout = heap::layout();
    let id = rt.device().borrow().info.id.clone();
    let report = [
        format!(
            "ferrite-esp32c3 {VERSION} — {id} — reset: {}",
            board::reset_reason()
        ),
        format!(
            "RAM: heap {} bytes ({} main + {} reclaimed), {} free after boot, {} per script; \
             stack {} bytes; statics {} bytes",
            layout.heap,
            heap::MAIN_HEAP_BYTES,
            heap::RECLAIMED_HEAP_BYTES,
            heap::free(),
            SCRIPT_HEAP_BYTES,
            layout.stack,
            layout.statics
        ),
        storage_report,
        "not in this build yet: Wi-Fi, pins (GPIO, ADC, PWM, I2C, SPI, UART1)".into(),
    ];
    for link in links.iter_mut() {
        for line in &report {
            link.notice(line);
        }
        link.on_boot(&mut rt);
    }

    loop {
        let now = board::now_ms();
        rt.poll();
        for link in links.iter_mut() {
            link.poll(&mut rt);
        }
        let done = rt.take_rpc_done();
        let notes = rt.take_notifications();
        for link in links.iter_mut() {
            link.deliver(&mut rt, &done, &notes);
            link.flush(now);
        }
        if reboot.get() {
            restart_after_flush(&mut links);
        }
        // No sleep between rounds: nothing in this build wakes the CPU by interrupt yet, so the
        // loop polls the ports (power saving comes with interrupt-driven ports).
    }
}

/// Give the ports up to [`REBOOT_FLUSH_MS`] to take the last output, then restart.
fn restart_after_flush(links: &mut [ConsoleLink]) -> ! {
    let start = board::now_ms();
    loop {
        let now = board::now_ms();
        for link in links.iter_mut() {
            link.flush(now);
        }
        if links.iter().all(|l| !l.pending()) || now - start >= REBOOT_FLUSH_MS {
            board::restart();
        }
    }
}

/// After a panic (its message went to USB-Serial-JTAG through esp-println), restart: the crash
/// marker in RTC memory then tells the runtime which script was running, and it disables it.
#[unsafe(no_mangle)]
fn custom_halt() -> ! {
    board::restart()
}
