//! The board: every esp-hal call of the firmware lives under this module, behind the runtime's
//! board traits ([`ChipBoard`]), the console's ports ([`SerialPort`]) and the heap ([`heap`]).
//!
//! What this slice of the firmware has: the clock, the system (hardware RNG, task watchdog,
//! crash marker in RTC memory, restart, the factory MAC), storage **in flash** (the
//! power-loss-safe `ferrite-flash-store` in the `ferrite` partition, [`flash`]; RAM, lost at
//! reset, only when that partition is missing or does not mount), and the two console ports.
//! GPIO, ADC, PWM, I2C, SPI, UART1, Wi-Fi, HTTP and MQTT answer `None` ("not on this board")
//! until they are built.
//!
//! Must never: block, or be reached by the runtime other than through the board traits.

mod clock;
mod crash_marker;
mod flash;
pub mod heap;
mod serial;
mod system;

use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use core::cell::Cell;

use esp_hal::peripherals::{Peripherals, FLASH};
use esp_hal::time::Duration;
use esp_hal::timer::timg::{MwdtStage, TimerGroup};
use esp_hal::uart::{Config as UartConfig, Uart};
use esp_hal::usb::usb_serial_jtag::UsbSerialJtag;
use ferrite_flash_store::FlashStore;
use ferrite_runtime::board::{Board, BoardEvent, Clock, Storage, System};
use ferrite_runtime::sim::MemStorage;

pub use clock::ChipClock;
pub use serial::SerialPort;
pub use system::ChipSystem;

/// The task watchdog's timeout: the main loop feeds it every round and the runtime between
/// script slices, so only a firmware hang (not a busy script: the runtime cuts those off by
/// their fuel budget) lets it bite. It resets the whole chip.
pub const WATCHDOG_TIMEOUT_MS: u64 = 5_000;

/// Bytes of the RAM-backed storage used when the flash store cannot be (scripts, KVS, config)
/// — lost at every reset.
pub const RAM_STORAGE_BYTES: usize = 64 * 1024;

/// The ESP32-C3 as the runtime sees it.
pub struct ChipBoard {
    clock: ChipClock,
    /// The flash store, or RAM storage when there is none (see [`open_storage`]).
    storage: Box<dyn Storage>,
    system: ChipSystem,
}

impl Board for ChipBoard {
    fn clock(&self) -> &dyn Clock {
        &self.clock
    }
    fn storage(&mut self) -> &mut dyn Storage {
        self.storage.as_mut()
    }
    fn system(&mut self) -> &mut dyn System {
        &mut self.system
    }
    fn poll_event(&mut self) -> Option<BoardEvent> {
        // No peripheral in this slice raises events.
        None
    }
}

/// What [`init`] sets up: the board for the runtime, the two console ports, and the flag
/// the board raises when the runtime asks for a restart.
pub struct Hardware {
    pub board: Box<ChipBoard>,
    pub usb_jtag: SerialPort,
    pub uart0: SerialPort,
    pub reboot_requested: Rc<Cell<bool>>,
    /// One line for the boot report: where the files live (flash, or RAM and why).
    pub storage_report: String,
}

/// Why the chip could not be set up.
#[derive(Debug)]
pub enum InitError {
    Uart0(esp_hal::uart::ConfigError),
}

impl core::fmt::Display for InitError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            InitError::Uart0(e) => write!(f, "UART0 (GPIO21 TX, GPIO20 RX) setup failed: {e:?}"),
        }
    }
}

/// Initialize the chip (clocks, watchdogs off by esp-hal), mount the flash store, then arm the
/// task watchdog and open both console ports. Call once, after the heap is set up.
pub fn init() -> Result<Hardware, InitError> {
    let peripherals: Peripherals = esp_hal::init(esp_hal::Config::default());
    // Before the watchdog is armed: mounting reads the whole partition, and the first mount on
    // a fresh partition may erase sectors (tens of milliseconds each).
    let (storage, storage_report) = open_storage(peripherals.FLASH);

    let timg0 = TimerGroup::new(peripherals.TIMG0);
    let mut watchdog = timg0.wdt;
    watchdog.set_timeout(
        MwdtStage::Stage0,
        Duration::from_millis(WATCHDOG_TIMEOUT_MS),
    );
    watchdog.enable();

    let usb_jtag = SerialPort::usb_jtag(UsbSerialJtag::new(peripherals.USB_DEVICE));
    let uart = Uart::new(peripherals.UART0, UartConfig::default())
        .map_err(InitError::Uart0)?
        .with_tx(peripherals.GPIO21)
        .with_rx(peripherals.GPIO20);
    let uart0 = SerialPort::uart(uart);

    let reboot_requested = Rc::new(Cell::new(false));
    let system = ChipSystem::new(watchdog, reboot_requested.clone());
    Ok(Hardware {
        board: Box::new(ChipBoard {
            clock: ChipClock,
            storage,
            system,
        }),
        usb_jtag,
        uart0,
        reboot_requested,
        storage_report,
    })
}

/// The runtime's storage: the power-loss-safe store in the `ferrite` flash partition, or, when
/// the partition is missing or the store does not mount, RAM (lost at reset) — with the boot
/// report's line saying which and why.
fn open_storage(flash: FLASH<'static>) -> (Box<dyn Storage>, String) {
    let ram = |why: String| -> (Box<dyn Storage>, String) {
        (
            Box::new(MemStorage::new(RAM_STORAGE_BYTES)),
            format!(
                "storage: RAM, {} KiB, lost at every reset — no flash storage: {why}",
                RAM_STORAGE_BYTES / 1024
            ),
        )
    };
    let partition = match flash::open(flash) {
        Ok(p) => p,
        Err(e) => return ram(format!("{e}")),
    };
    let (start, size) = partition.placement();
    match FlashStore::mount(partition) {
        Ok(mut store) => {
            let (used, total) = store.usage().unwrap_or((0, u64::from(size)));
            let report = format!(
                "storage: flash, {} KiB ({} KiB used), partition `ferrite` at {start:#x}",
                total / 1024,
                used.div_ceil(1024)
            );
            (Box::new(store), report)
        }
        Err(e) => ram(format!(
            "the store in the `ferrite` partition at {start:#x} did not mount: {e}"
        )),
    }
}

/// Restart the chip now (after `Shelly.Reboot`'s answer went out).
pub fn restart() -> ! {
    esp_hal::system::software_reset()
}

/// Milliseconds since boot (for the main loop, outside the runtime).
pub fn now_ms() -> u64 {
    ChipClock.now_ms()
}

/// Why the chip started this time (power-on, panic, watchdog, software restart …).
pub fn reset_reason() -> alloc::string::String {
    match esp_hal::system::reset_reason() {
        Some(r) => alloc::format!("{r:?}"),
        None => "unknown".into(),
    }
}
