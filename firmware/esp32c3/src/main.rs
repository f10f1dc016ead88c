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
mod net;

use alloc::format;
use alloc::string::String;

use esp_backtrace as _;
use ferrite_runtime::log::Level;
use ferrite_runtime::{Limits, Runtime, RuntimeConfig};

use board::heap;
use console_link::ConsoleLink;

esp_bootloader_esp_idf::esp_app_desc!();

/// The firmware's version (the workspace's; scripts/firmware.sh checks they are equal).
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `model` of `Shelly.GetDeviceInfo`.
const MODEL: &str = "FerriteC3";

/// Heap budget of each script's realm (and the console's), beyond what the realm's built-ins
/// and the runtime's API take (about 80 KB, `firmware/net/tests/boot_heap.rs`). The whole heap
/// is about 265 KiB (see [`board::heap`]), so the host's 256 KiB would let one script exhaust
/// the chip; an allocation that fails outside a realm's budget panics and restarts the device.
const SCRIPT_HEAP_BYTES: usize = 24 * 1024;

/// Heap kept free for the device when the runtime decides whether another realm fits (the
/// radio's dynamic buffers and the RPC clients' answers come and go): a script starts only if
/// its realm, [`SCRIPT_HEAP_BYTES`] and this much are free.
const HEAP_RESERVE_BYTES: usize = 24 * 1024;

/// How long an idle round sleeps.
const IDLE_MS: u64 = 1;

/// How long a restart waits for the ports to take the last output (`Shelly.Reboot`'s answer).
const REBOOT_FLUSH_MS: u64 = 200;

#[esp_hal::main]
fn main() -> ! {
    // First: how deep the stack goes from here on is what `Sys.GetStatus` reports.
    heap::paint_stack();
    heap::init();
    let hw = match board::init() {
        Ok(hw) => hw,
        // Only UART0's set-up can fail (its configuration, valid, or its 2 KiB receive buffer
        // from a heap nothing has used yet): a bug.
        Err(e) => panic!("{e}"),
    };
    let reboot = hw.reboot_requested;
    let storage_report = hw.storage_report;
    let wifi_report = hw.wifi_report;
    let wifi_link = hw.link;
    let mut network = match (hw.net, hw.mqtt, hw.http, hw.sockets, hw.wall) {
        (Some(stack), Some(mqtt), Some(http), Some(sockets), Some(wall)) => Some(
            net::Network::new(stack, hw.rpc_key, mqtt, http, sockets, wall),
        ),
        _ => None,
    };
    let mut reported_ip = None;
    // Why the station is not joined, as last written to the log.
    let mut reported_error: Option<String> = None;
    let mut links = [ConsoleLink::new(hw.usb_jtag), ConsoleLink::new(hw.uart0)];

    let mut rt = Runtime::new(
        hw.board,
        RuntimeConfig {
            model: MODEL.into(),
            limits: Limits {
                script_heap: SCRIPT_HEAP_BYTES,
                heap_reserve: HEAP_RESERVE_BYTES,
                ..Limits::SHELLY
            },
            // A realm is about 80 KB: the console's is made on first use.
            lazy_console_realm: true,
            stack_floor: heap::stack_floor(),
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
        wifi_report,
    ];
    for link in links.iter_mut() {
        for line in &report {
            link.notice(line);
        }
        link.on_boot(&mut rt);
    }
    if let Some(network) = network.as_mut() {
        network.on_boot(&mut rt, board::now_ms());
    }

    loop {
        let now = board::now_ms();
        let mut busy = rt.poll().busy;
        for link in links.iter_mut() {
            busy |= link.poll(&mut rt);
        }
        if let Some(network) = network.as_mut() {
            // A static address or DHCP, as `Wifi.SetConfig` last said.
            if let Some(ipv4) = wifi_link.borrow_mut().ipv4_request.take() {
                network.stack().apply_ipv4(ipv4);
            }
            let associated = wifi_link.borrow().associated;
            busy |= network.poll(&mut rt, now, associated);
            wifi_link.borrow_mut().ip = network.ip();
        }
        let done = rt.take_rpc_done();
        let notes = rt.take_notifications();
        let done_anything = !done.is_empty() || !notes.is_empty();
        for link in links.iter_mut() {
            link.deliver(&mut rt, &done, &notes);
            link.flush(now);
        }
        if let Some(network) = network.as_mut() {
            network.deliver(&mut rt, &done, &notes, now);
        }
        // A join that fails (a wrong password, no such network) is written to the log once per
        // new reason, not at every retry; the address line below says when it works.
        let error = wifi_link.borrow().last_error.clone();
        if error != reported_error {
            if let Some(e) = error.as_deref() {
                rt.device()
                    .borrow_mut()
                    .log(Level::Info, 0, format!("Wi-Fi: {e}"));
            }
            reported_error = error;
        }
        let ip = wifi_link.borrow().ip;
        if ip != reported_ip {
            reported_ip = ip;
            // The heap figure with Wi-Fi up is the one the flash and RAM budget is about
            // (docs/BENCHMARKS.md).
            let line = match ip {
                Some([a, b, c, d]) => format!(
                    "Wi-Fi: {} — address {a}.{b}.{c}.{d}, RPC on http://{a}.{b}.{c}.{d}/rpc; \
                     heap free {} bytes",
                    wifi_link.borrow().ssid.as_deref().unwrap_or("?"),
                    heap::free()
                ),
                // Why, if a join failed or the link dropped, is on a line of its own above.
                None => "Wi-Fi: no address".into(),
            };
            // The device log: every console shows it, and RPC clients that follow the log.
            rt.device().borrow_mut().log(Level::Info, 0, line);
        }
        if reboot.get() {
            restart_after_flush(&mut links, network.as_mut());
        }
        // A round with nothing to do sleeps a millisecond: the radio's tasks run, the CPU waits
        // for an interrupt, and no port can overflow meanwhile (UART0's 128-byte FIFO takes
        // 11 ms at 115200 baud; USB is flow-controlled).
        if !busy && !done_anything {
            board::idle(IDLE_MS);
        }
    }
}

/// Give the ports and the RPC clients up to [`REBOOT_FLUSH_MS`] to take the last output, then
/// restart.
fn restart_after_flush(links: &mut [ConsoleLink], mut network: Option<&mut net::Network>) -> ! {
    let start = board::now_ms();
    loop {
        let now = board::now_ms();
        for link in links.iter_mut() {
            link.flush(now);
        }
        if let Some(network) = network.as_mut() {
            network.flush(now);
        }
        // Network output counts until the client acknowledged it, not when it is in a socket.
        let pending =
            links.iter().any(|l| l.pending()) || network.as_mut().is_some_and(|n| n.pending());
        if !pending || now - start >= REBOOT_FLUSH_MS {
            // What the ports took is still in their FIFOs, which the reset clears.
            for link in links.iter_mut() {
                link.drain();
            }
            board::restart();
        }
        // Let the radio send and receive meanwhile.
        board::idle(IDLE_MS);
    }
}

/// First thing in a panic, before esp-backtrace prints its message: nothing else runs from
/// here on, no interrupt and no task of the scheduler (a panic in a radio task would otherwise
/// let the main loop go on between the message's lines, write the marker or the flash, or
/// panic again). esp-println writes USB-Serial-JTAG's FIFO without interrupts.
#[unsafe(no_mangle)]
fn custom_pre_backtrace() {
    // SAFETY: never released; `custom_halt` restarts the chip (acquiring again is reentrant).
    let _ = unsafe { critical_section::acquire() };
}

/// After a panic or an exception (its message went to USB-Serial-JTAG through esp-println),
/// restart: the crash marker in RTC memory then tells the runtime which script was running, and
/// it disables it (`board::note_panic` makes the marker count: a reset of another kind, such as
/// the IDE's flashing or a brownout, blames no script).
#[unsafe(no_mangle)]
fn custom_halt() -> ! {
    // Interrupts are off since `custom_pre_backtrace`; again here for any path that did not
    // pass there. The system timer and USB-Serial-JTAG's transfers to the host need no
    // interrupt.
    // SAFETY: never released (reentrant); the chip restarts below.
    let _ = unsafe { critical_section::acquire() };
    board::note_panic();
    // esp-println returns once the message is in USB-Serial-JTAG's FIFO: give the host time to
    // take its last packet before the reset clears it.
    board::busy_wait_ms(PANIC_DRAIN_MS);
    board::restart()
}

/// How long a panic's message may take to leave the chip before the restart.
const PANIC_DRAIN_MS: u64 = 30;
