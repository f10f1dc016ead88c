//! Resource limits of scripts, as the Shelly script documentation lists them, plus the budgets
//! that keep a script from starving the device. Every target can change them.

/// Per-script and per-device limits. Exceeding one is a clear error, never a crash.
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
    /// Heap budget of each script's JavaScript realm, in bytes.
    pub script_heap: usize,
    /// Instructions one script runs before the event loop serves others and the network.
    pub slice_fuel: u64,
    /// Instructions one turn (the top-level code, or one callback) may run in total; beyond
    /// that the script is aborted ("CPU budget exhausted"), as a hog would crash a Shelly.
    pub turn_fuel: u64,
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
        job_queue: 32,
        log_lines: 200,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::SHELLY
    }
}
