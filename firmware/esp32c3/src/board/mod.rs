//! The board: every esp-hal call of the firmware lives under this module, behind the runtime's
//! board traits ([`ChipBoard`]), the console's ports ([`SerialPort`]) and the heap ([`heap`]).
//!
//! What this slice of the firmware has: the clock, the system (hardware RNG, task watchdog,
//! crash marker in RTC memory, restart, the factory MAC), storage **in flash** (the
//! power-loss-safe `ferrite-flash-store` in the `ferrite` partition, [`flash`]; RAM, lost at
//! reset, only when that partition is missing or does not mount), the two console ports, and
//! the pins scripts use, GPIO0-GPIO10 ([`pins`]: who holds each, decided by the host-tested
//! [`pin_plan`]): digital in/out with edge interrupts ([`gpio`]), ADC1 on GPIO0-GPIO4
//! ([`adc`]), PWM on the LEDC ([`pwm`]), I2C bus 0 ([`i2c`]), SPI bus 0 ([`spi`]) and Serial
//! port 1 ([`uart1`]); Wi-Fi station mode ([`wifi`], esp-radio; the TCP/IP stack over it is
//! `crate::net`), and MQTT (the runtime's session, whose connection `ferrite-net` drives over
//! that stack), and scripts' HTTP client (the same way). Scripts' TCP/UDP sockets answer
//! `None` ("not on this board").
//!
//! Must never: block, or be reached by the runtime other than through the board traits.

mod adc;
mod clock;
mod crash_marker;
mod flash;
mod gpio;
pub mod heap;
mod i2c;
mod pin_plan;
mod pins;
mod pwm;
mod reset_kind;
mod serial;
mod spi;
pub mod station;
mod system;
mod uart1;
mod uart_rx;
mod watchdog;
pub mod wifi;

use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use core::cell::Cell;

use esp_hal::clock::CpuClock;
use esp_hal::peripherals::{Peripherals, FLASH};
use esp_hal::time::Duration;
use esp_hal::timer::timg::{MwdtStage, TimerGroup};
use esp_hal::uart::Uart;
use esp_hal::usb::usb_serial_jtag::UsbSerialJtag;
use ferrite_flash_store::FlashStore;
use ferrite_net::{
    SharedHttp, SharedMqtt, SharedSockets, WallClock, CHIP_HTTP_LIMITS, CHIP_MQTT_LIMITS,
};
use ferrite_runtime::board::{
    Adc, Board, BoardEvent, Clock, Gpio, HttpClient, I2c, Mqtt, Pwm, Sockets, Spi, Storage, System,
    Uart as UartTrait, Wifi,
};
use ferrite_runtime::sim::MemStorage;

use crate::net::{NetStack, WifiPhy};
use station::SharedLink;
use wifi::ChipWifi;

pub use clock::ChipClock;
pub use pins::{ChipPins, PinPeripherals};
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
    /// GPIO0-GPIO10 and the drivers that can hold them (GPIO, ADC, PWM, I2C, SPI, UART1).
    pins: ChipPins,
    /// The Wi-Fi station (`None` when the radio did not start; the boot report says why).
    wifi: Option<ChipWifi>,
    /// The MQTT session (its connection is driven by the network in the main loop; `None`
    /// without Wi-Fi).
    mqtt: Option<SharedMqtt>,
    /// Scripts' HTTP client (its requests are driven by the network in the main loop; `None`
    /// without Wi-Fi).
    http: Option<SharedHttp>,
    /// Scripts' TCP and UDP sockets (TC53; driven by the network in the main loop; `None`
    /// without Wi-Fi).
    sockets: Option<SharedSockets>,
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
    fn gpio(&mut self) -> Option<&mut dyn Gpio> {
        Some(&mut self.pins)
    }
    fn adc(&mut self) -> Option<&mut dyn Adc> {
        Some(&mut self.pins)
    }
    fn pwm(&mut self) -> Option<&mut dyn Pwm> {
        Some(&mut self.pins)
    }
    fn i2c(&mut self) -> Option<&mut dyn I2c> {
        Some(&mut self.pins)
    }
    fn spi(&mut self) -> Option<&mut dyn Spi> {
        Some(&mut self.pins)
    }
    fn uart(&mut self) -> Option<&mut dyn UartTrait> {
        Some(&mut self.pins)
    }
    fn wifi(&mut self) -> Option<&mut dyn Wifi> {
        self.wifi.as_mut().map(|w| w as &mut dyn Wifi)
    }
    fn mqtt(&mut self) -> Option<&mut dyn Mqtt> {
        self.mqtt.as_mut().map(|m| m as &mut dyn Mqtt)
    }
    fn http(&mut self) -> Option<&mut dyn HttpClient> {
        self.http.as_mut().map(|h| h as &mut dyn HttpClient)
    }
    fn sockets(&mut self) -> Option<&mut dyn Sockets> {
        self.sockets.as_mut().map(|s| s as &mut dyn Sockets)
    }
    fn poll_event(&mut self) -> Option<BoardEvent> {
        // The station advances here (connect, retry, scan); a scan's end is its one event.
        if let Some(wifi) = self.wifi.as_mut() {
            wifi.poll(self.clock.now_ms());
            if let Some(event) = wifi.take_event() {
                return Some(event);
            }
        }
        if let Some(event) = self.mqtt.as_ref().and_then(SharedMqtt::take_event) {
            return Some(event);
        }
        if let Some(event) = self.http.as_ref().and_then(SharedHttp::take_event) {
            return Some(event);
        }
        if let Some(event) = self.sockets.as_ref().and_then(SharedSockets::take_event) {
            return Some(event);
        }
        // GPIO edges and UART1 data.
        self.pins.poll_event()
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
    /// The TCP/IP stack over Wi-Fi, for the network RPC server and MQTT (`None`: no radio).
    pub net: Option<NetStack>,
    /// The MQTT session the board gives the runtime; the network drives its connection.
    pub mqtt: Option<SharedMqtt>,
    /// Scripts' HTTP client as the board gives it to the runtime; the network drives it.
    pub http: Option<SharedHttp>,
    /// Scripts' sockets as the board gives them to the runtime; the network drives them.
    pub sockets: Option<SharedSockets>,
    /// The wall clock the network's SNTP client sets and the board's clock reads (`None`
    /// without Wi-Fi).
    pub wall: Option<WallClock>,
    /// One line for the boot report: the radio, or why there is none.
    pub wifi_report: String,
    /// The Wi-Fi link's state (the main loop reports each new address).
    pub link: SharedLink,
    /// Random, for the RPC server's digest nonces.
    pub rpc_key: [u8; 32],
}

/// Why the chip could not be set up.
#[derive(Debug)]
pub enum InitError {
    Uart0(esp_hal::uart::ConfigError),
    /// No memory for UART0's receive buffer.
    Uart0Buffer(String),
}

/// DHCP host name and station set-up: `ferrite-<mac>` (the device id).
fn host_name(mac: [u8; 6]) -> &'static [u8] {
    let name = format!(
        "ferrite-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]
    );
    // Made once at boot and used for the device's lifetime.
    alloc::boxed::Box::leak(name.into_boxed_str()).as_bytes()
}

/// The radio's buffers, bounded for the heap the scripts share: 6 static receive buffers,
/// at most 12 more allocated for received and 12 for sent frames (about 1.6 KiB each, so at
/// most ~48 KiB under load instead of esp-radio's default ~118 KiB), and an aggregation window
/// of 4 frames to match.
fn wifi_buffers() -> esp_radio::wifi::ControllerConfig {
    esp_radio::wifi::ControllerConfig::default()
        .with_static_rx_buf_num(6)
        .with_dynamic_rx_buf_num(12)
        .with_dynamic_tx_buf_num(12)
        .with_rx_ba_win(4)
}

/// Start the radio in station mode (idle until the runtime asks it to join a network) and the
/// TCP/IP stack on it. Needs the scheduler running.
fn start_wifi(
    device: esp_hal::peripherals::WIFI<'static>,
    link: &SharedLink,
    system: &mut ChipSystem,
) -> Result<(ChipWifi, NetStack), String> {
    let controller = esp_radio::wifi::WifiController::new(device, wifi_buffers())
        .map_err(|e| format!("the radio did not start: {e:?}"))?;
    // Drawn with the radio on: then the RNG is a true random source (esp-hal's documentation),
    // so TCP sequence numbers and local ports are not predictable.
    let mut seed = [0u8; 8];
    system.random(&mut seed);
    let seed = u64::from_le_bytes(seed);
    let station = esp_radio::wifi::Interface::try_station()
        .ok_or_else(|| String::from("the station interface is taken"))?;
    let phy = WifiPhy::new(station);
    let mac = phy.mac_address();
    let stack = NetStack::new(phy, mac, host_name(mac), seed, now_ms());
    Ok((wifi::chip_wifi(controller, link.clone()), stack))
}

impl core::fmt::Display for InitError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            InitError::Uart0(e) => write!(f, "UART0 (GPIO21 TX, GPIO20 RX) setup failed: {e:?}"),
            InitError::Uart0Buffer(why) => write!(f, "UART0: {why}"),
        }
    }
}

/// Initialize the chip (clocks, watchdogs off by esp-hal), mount the flash store, then arm the
/// task watchdog and open both console ports. Call once, after the heap is set up.
pub fn init() -> Result<Hardware, InitError> {
    crash_marker::settle_at_boot();
    // The C3's full speed (esp-hal's default is 80 MHz, esp-radio's minimum); the peripherals'
    // clocks (APB 80 MHz, the system timer, the watchdog's) are the same at both.
    let config = esp_hal::Config::default().with_cpu_clock(CpuClock::max());
    let peripherals: Peripherals = esp_hal::init(config);
    // Before the watchdog is armed: mounting reads the whole partition, and the first mount on
    // a fresh partition may erase sectors (tens of milliseconds each).
    let (storage, storage_report) = open_storage(peripherals.FLASH);

    let timg0 = TimerGroup::new(peripherals.TIMG0);
    // The scheduler esp-radio needs (its driver runs in tasks of its own); the main loop
    // becomes its main task. Timer 0 of TIMG0 is its tick; TIMG0's watchdog stays ours.
    esp_rtos::start(timg0.timer0, peripherals.FROM_CPU_INTR0);
    let mut watchdog = timg0.wdt;
    watchdog.set_timeout(
        MwdtStage::Stage0,
        Duration::from_millis(WATCHDOG_TIMEOUT_MS),
    );
    watchdog.enable();

    let usb_jtag = SerialPort::usb_jtag(UsbSerialJtag::new(peripherals.USB_DEVICE));
    let uart = Uart::new(peripherals.UART0, uart_rx::config(115_200))
        .map_err(InitError::Uart0)?
        .with_tx(peripherals.GPIO21)
        .with_rx(peripherals.GPIO20);
    let uart0 = SerialPort::uart0(uart).map_err(InitError::Uart0Buffer)?;

    let pins = ChipPins::new(PinPeripherals {
        gpio0: peripherals.GPIO0,
        gpio1: peripherals.GPIO1,
        gpio2: peripherals.GPIO2,
        gpio3: peripherals.GPIO3,
        gpio4: peripherals.GPIO4,
        gpio5: peripherals.GPIO5,
        gpio6: peripherals.GPIO6,
        gpio7: peripherals.GPIO7,
        gpio8: peripherals.GPIO8,
        gpio9: peripherals.GPIO9,
        gpio10: peripherals.GPIO10,
        io_mux: peripherals.IO_MUX,
        adc1: peripherals.ADC1,
        ledc: peripherals.LEDC,
        i2c0: peripherals.I2C0,
        spi2: peripherals.SPI2,
        uart1: peripherals.UART1,
    });

    let reboot_requested = Rc::new(Cell::new(false));
    let mut system = ChipSystem::new(watchdog, reboot_requested.clone());

    let link = SharedLink::default();
    let (wifi, net, wifi_report) = match start_wifi(peripherals.WIFI, &link, &mut system) {
        Ok((wifi, net)) => (
            Some(wifi),
            Some(net),
            String::from("Wi-Fi: station ready (join a network with Wifi.SetConfig)"),
        ),
        Err(e) => (None, None, format!("Wi-Fi: none — {e}")),
    };
    // The radio's start calibrates the PHY with the watchdog armed; the runtime's boot feeds it
    // next, before each realm it builds.
    system.feed_watchdog();
    let mqtt = net.as_ref().map(|_| SharedMqtt::new(CHIP_MQTT_LIMITS));
    let http = net.as_ref().map(|_| SharedHttp::new(CHIP_HTTP_LIMITS));
    let sockets = net.as_ref().map(|_| SharedSockets::new());
    let wall = net.as_ref().map(|_| WallClock::default());
    // With the radio on, the RNG is a true random source (esp-hal's documentation).
    let mut rpc_key = [0u8; 32];
    system.random(&mut rpc_key);
    Ok(Hardware {
        board: Box::new(ChipBoard {
            clock: ChipClock::new(wall.clone()),
            storage,
            system,
            pins,
            wifi,
            mqtt: mqtt.clone(),
            http: http.clone(),
            sockets: sockets.clone(),
        }),
        usb_jtag,
        uart0,
        reboot_requested,
        storage_report,
        net,
        mqtt,
        http,
        sockets,
        wall,
        wifi_report,
        link,
        rpc_key,
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

/// From the panic handler: the next boot follows a crash (`crash_marker`).
pub fn note_panic() {
    crash_marker::note_panic();
}

/// Spin for `ms` milliseconds (the panic handler, with interrupts off).
pub fn busy_wait_ms(ms: u64) {
    let start = clock::boot_ms();
    while clock::boot_ms() - start < ms {}
}

/// Let the radio's tasks run and the CPU sleep for `ms` milliseconds (the main loop calls this
/// when a round found nothing to do; the scheduler's idle hook waits for an interrupt).
pub fn idle(ms: u64) {
    esp_rtos::CurrentThreadHandle::get().delay(Duration::from_millis(ms));
}

/// Milliseconds since boot (for the main loop, outside the runtime).
pub fn now_ms() -> u64 {
    clock::boot_ms()
}

/// Why the chip started this time (power-on, watchdog, software restart …; `panic` after a
/// panic or an exception, which restart by software too).
pub fn reset_reason() -> alloc::string::String {
    let reason = match esp_hal::system::reset_reason() {
        Some(r) => alloc::format!("{r:?}"),
        None => "unknown".into(),
    };
    if crash_marker::boot_after_panic() {
        alloc::format!("panic ({reason})")
    } else {
        reason
    }
}
