//! Resource limits of scripts, as the Shelly script documentation lists them, plus the budgets
//! that keep a script from starving the device. Every target can change them.

/// Per-script and per-device limits. Exceeding one is a clear error, never a crash.
///
/// Other per-script caps are module constants (the same on every target):
/// - `api::smartjs::gpio::MAX_ISRS`: `GPIO.setisr` handlers (16).
/// - `api::smartjs::file::MAX_OPEN`: files open at once (8), each at most
///   `api::smartjs::file::MAX_FILE` bytes.
/// - `api::smartjs::i2c::MAX_BUSES`: Smart.js `I2C` objects open at once (8); all
///   `SPI` objects of a bus share one entry.
/// - `api::tc53::MAX_CALLBACKS`: TC53 callbacks other than digital edges (32).
/// - `api::tc53::net::MAX_SOCKETS`: TC53 `TCP`/`UDP`/`Listener` sockets (8), with
///   `api::tc53::net::MAX_PENDING` unaccepted connections per `Listener`.
/// - `api::tc53::serial::INPUT_BUFFER`: bytes a `Serial` keeps unread (4096).
/// - `api::shelly_extras::virtual_handle::MAX_LISTENERS`: `Virtual.on` listeners (20).
///
/// Device-wide caps that are constants: `api::shelly_extras::http_client::MAX_IN_FLIGHT`
/// (`HTTP.*` RPC requests in flight, 5), `api::mqtt::MAX_PENDING_RPC` (RPC over MQTT
/// waiting for an answer, 16), `api::shelly_extras::ble_scanner::MAX_RECENT` (BLE
/// results remembered for the silence, 64), `api::shelly_extras::kvs::MAX_KEYS`,
/// `api::shelly_extras::virtuals::MAX_PER_TYPE` and the virtual component config caps
/// in `api::shelly_extras::virtuals`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// `Timer.set` / `setTimeout` timers armed at once, per script.
    pub timers: usize,
    /// `Shelly.addEventHandler` subscriptions, per script.
    pub event_handlers: usize,
    /// `Shelly.addStatusHandler` subscriptions, per script.
    pub status_handlers: usize,
    /// `Shelly.call` calls in flight, per script.
    pub rpc_calls: usize,
    /// `MQTT.subscribe` topic filters, per script.
    pub mqtt_subscriptions: usize,
    /// `HTTPServer.registerEndpoint` endpoints, per script.
    pub http_endpoints: usize,
    /// Largest script source, in bytes.
    pub script_bytes: usize,
    /// Number of scripts a device holds.
    pub scripts: usize,
    /// Heap budget of each script's JavaScript realm, in bytes, beyond its built-ins and the
    /// runtime's API (what the script itself may allocate).
    pub script_heap: usize,
    /// Instructions one script runs before the event loop serves others and the network.
    pub slice_fuel: u64,
    /// Instructions one turn (the top-level code, or one callback) may run in total; beyond
    /// that the script is aborted ("CPU budget exhausted"), as a hog would crash a Shelly.
    pub turn_fuel: u64,
    /// Fuel charged per millisecond a native spends in a blocking board call (an I2C, SPI or
    /// UART transfer, a flash write): a script looping on a slow or stuck bus ends its slice
    /// (the watchdog is fed between slices) and runs out of its turn like one looping on code.
    pub fuel_per_board_ms: u64,
    /// Heap the device keeps for itself (network buffers, the radio's bursts) when it decides
    /// whether a new realm fits, on targets with one fixed heap (`System::heap_free`): a realm
    /// starts only if its built-ins, `script_heap` and this much are free; and a script whose
    /// growth would leave less than this free runs out of memory (`System::heap_free_probe`),
    /// within its budget or not. Best effort: the engine looks every KiB of growth and before
    /// each new chunk of its slot table, and what its parser and compiler take is not counted.
    pub heap_reserve: usize,
    /// Callbacks waiting to run in one script; beyond that new events for it are dropped and
    /// counted (the script's status shows how many).
    pub job_queue: usize,
    /// Lines kept in the device log for late readers.
    pub log_lines: usize,
}

impl Limits {
    /// The limits of a Shelly Gen2 device, with budgets sized for the ESP32-C3.
    pub const SHELLY: Limits = Limits {
        timers: 5,
        event_handlers: 5,
        status_handlers: 5,
        rpc_calls: 5,
        mqtt_subscriptions: 10,
        http_endpoints: 5,
        script_bytes: 20 * 1024,
        scripts: 10,
        script_heap: 256 * 1024,
        slice_fuel: 20_000,
        turn_fuel: 10_000_000,
        // About what the ESP32-C3 interprets in a millisecond: a slice ends after ~20 ms of
        // bus time, a turn after ~10 s of it.
        fuel_per_board_ms: 1_000,
        heap_reserve: 32 * 1024,
        job_queue: 32,
        log_lines: 200,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::SHELLY
    }
}
