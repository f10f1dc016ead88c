//! The device: the board, the components (`sys`, `switch:0`, `input:0`, `wifi`, `mqtt`, KVS,
//! virtual components), the log, and the queues between the runtime and the transports
//! (notifications out, RPC answers out). Shared by the event loop and every script's natives
//! (behind `Rc<RefCell<…>>`; never borrowed across a call into JavaScript).

use alloc::boxed::Box;
use alloc::collections::VecDeque;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ferrite_collections::SortedMap;

use crate::board::Board;
use crate::components::Components;
use crate::json::{json, Json};
use crate::limits::Limits;
use crate::log::{Level, Log};
use crate::rpc::RpcError;

/// What the device says about itself (`Shelly.GetDeviceInfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// `ferrite-<mac>` unless configured.
    pub id: String,
    pub name: Option<String>,
    pub model: String,
    pub app: String,
    pub fw_version: String,
    pub mac: String,
}

impl DeviceInfo {
    pub fn from_mac(mac: [u8; 6], model: &str, app: &str) -> DeviceInfo {
        let mut m = String::new();
        for b in mac {
            m.push_str(&format!("{b:02X}"));
        }
        DeviceInfo {
            id: format!("ferrite-{}", m.to_ascii_lowercase()),
            name: None,
            model: model.into(),
            app: app.into(),
            fw_version: env!("CARGO_PKG_VERSION").into(),
            mac: m,
        }
    }
}

/// Something a component reports, for scripts (event/status handlers) and transports
/// (`NotifyEvent` / `NotifyStatus`).
#[derive(Clone, Debug, PartialEq)]
pub enum DeviceEvent {
    /// `{component, id, event, data?, ts}`.
    Event(Json),
    /// `{component, id, delta}`; `key` is the component key (`switch:0`).
    Status { key: String, delta: Json },
}

/// A notification for the transports' persistent channels (WebSocket, serial RPC mode).
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    /// `NotifyEvent`, `NotifyStatus` or `NotifyTelemetry`.
    pub method: &'static str,
    pub params: Json,
}

/// The method of telemetry notifications (a script published a value).
pub const NOTIFY_TELEMETRY: &str = "NotifyTelemetry";

/// Notifications kept for the transports at most; beyond it the oldest is dropped (and
/// counted in [`Device::outbox_dropped`]): a target that never takes notifications (the IDE's
/// simulator) must not grow without bound.
pub const OUTBOX_LIMIT: usize = 1024;

/// The most bytes of an MQTT payload a `NotifyTelemetry` carries as text.
pub const TELEMETRY_TEXT_LIMIT: usize = 256;

impl Notification {
    /// Only for followers (a serial console in rpc mode, a WebSocket after `Log.Follow`), never
    /// for Shelly clients that merely subscribed with a `src`.
    pub fn followers_only(&self) -> bool {
        self.method == NOTIFY_TELEMETRY
    }
}

/// Where a telemetry value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TelemetrySource {
    /// `MQTT.publish(topic, payload)`: the name is the topic.
    Mqtt,
    /// `Cloud.store(name, value)`: the name is the metric name.
    Cloud,
}

impl TelemetrySource {
    pub fn name(self) -> &'static str {
        match self {
            TelemetrySource::Mqtt => "mqtt",
            TelemetrySource::Cloud => "cloud",
        }
    }
}

/// The `value` of a `NotifyTelemetry` for `Cloud.store(name, value)`: the value itself when
/// its JSON text has at most [`TELEMETRY_TEXT_LIMIT`] bytes, else that text cut to the limit
/// on a character boundary (a string).
pub fn telemetry_cloud_value(value: &Json) -> Json {
    if matches!(value, Json::Number(_) | Json::Bool(_) | Json::Null) {
        return value.clone();
    }
    let text = serde_json::to_string(value).unwrap_or_default();
    if text.len() <= TELEMETRY_TEXT_LIMIT {
        return value.clone();
    }
    let mut end = TELEMETRY_TEXT_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Json::String(String::from(&text[..end]))
}

/// The `value` of a `NotifyTelemetry` for an MQTT payload: the number if the payload is a JSON
/// number, else the text (lossy UTF-8), cut to [`TELEMETRY_TEXT_LIMIT`] bytes on a character
/// boundary.
pub fn telemetry_payload_value(payload: &[u8]) -> Json {
    if let Ok(text) = core::str::from_utf8(payload) {
        if let Ok(n @ Json::Number(_)) = crate::json::parse(text.trim().as_bytes()) {
            return n;
        }
    }
    let text = String::from_utf8_lossy(payload);
    let mut end = text.len().min(TELEMETRY_TEXT_LIMIT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Json::String(String::from(&text[..end]))
}

pub struct Device {
    pub board: Box<dyn Board>,
    pub info: DeviceInfo,
    pub limits: Limits,
    pub components: Components,
    pub log: Log,
    /// Notifications not yet taken by the transports (at most [`OUTBOX_LIMIT`]; add with
    /// [`Device::notify`]).
    pub outbox: VecDeque<Notification>,
    /// Notifications dropped because the outbox was full.
    pub outbox_dropped: u64,
    /// Events not yet delivered to scripts and transports.
    pub events: VecDeque<DeviceEvent>,
    /// Answers to pending RPC calls (token, result).
    pub rpc_done: VecDeque<(u32, Result<Json, RpcError>)>,
    next_token: u32,
    /// Set when a config change needs a reboot (`Sys.SetConfig` of some fields).
    pub restart_required: bool,
    /// The scripts the device holds (their realms live in the runtime).
    pub scripts: Vec<ScriptRecord>,
    /// HTTP client requests made for RPC calls (`HTTP.GET` …): board request id → RPC token.
    pub http_rpc: SortedMap<u32, u32>,
    /// State of the Shelly APIs beyond `Shelly.*` (KVS, virtual components, BLE scanner,
    /// script HTTP endpoints).
    pub extras: crate::api::shelly_extras::ExtrasState,
    /// Which topic filters scripts subscribe (how many scripts each), for `MQTT.*`.
    pub mqtt: crate::api::mqtt::MqttShared,
    /// The Wi-Fi scan in flight and the `Wifi.Scan` calls waiting for it.
    pub wifi_scan: crate::components::wifi_scan::WifiScan,
    /// What the station looked like when last looked at, for its status changes.
    pub wifi_watch: crate::components::wifi_watch::WifiWatch,
}

/// What the device knows about one script: config and status (`Script.GetConfig` /
/// `Script.GetStatus`), persisted in storage as `scripts/<id>.json` and `scripts/<id>.js`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptRecord {
    pub id: u32,
    pub name: String,
    pub enable: bool,
    pub running: bool,
    /// Shelly's error kinds (`syntax_error`, `crashed`, …) of the last run.
    pub errors: Vec<String>,
    /// The last error, `file:line:col: Name: message`.
    pub error_msg: Option<String>,
    pub mem_used: usize,
    pub mem_peak: usize,
    pub mem_free: usize,
    /// Callbacks dropped because the script's job queue was full.
    pub dropped_events: u64,
}

impl ScriptRecord {
    pub fn status_json(&self) -> Json {
        let mut s = json!({"id": self.id, "running": self.running, "mem_used": self.mem_used,
            "mem_peak": self.mem_peak, "mem_free": self.mem_free});
        if !self.errors.is_empty() {
            s["errors"] = json!(self.errors);
        }
        if let Some(m) = &self.error_msg {
            s["error_msg"] = json!(m);
        }
        if self.dropped_events > 0 {
            s["dropped_events"] = json!(self.dropped_events);
        }
        s
    }

    pub fn config_json(&self) -> Json {
        json!({"id": self.id, "name": self.name, "enable": self.enable})
    }
}

impl Device {
    pub fn new(board: Box<dyn Board>, info: DeviceInfo, limits: Limits) -> Device {
        let log = Log::new(limits.log_lines);
        Device {
            board,
            info,
            limits,
            components: Components::default(),
            log,
            outbox: VecDeque::new(),
            outbox_dropped: 0,
            events: VecDeque::new(),
            rpc_done: VecDeque::new(),
            next_token: 1,
            restart_required: false,
            scripts: Vec::new(),
            http_rpc: SortedMap::new(),
            extras: Default::default(),
            mqtt: Default::default(),
            wifi_scan: Default::default(),
            wifi_watch: Default::default(),
        }
    }

    pub fn now_ms(&self) -> u64 {
        self.board.clock().now_ms()
    }

    /// Seconds since the Unix epoch as Shelly's `ts` (uptime if the wall clock is unknown).
    pub fn ts(&self) -> f64 {
        match self.board.clock().unix_time_ms() {
            Some(ms) => crate::num::round_to(ms / 1000.0, 2),
            None => self.now_ms() as f64 / 1000.0,
        }
    }

    pub fn log(&mut self, level: Level, script: u32, text: String) {
        let now = self.now_ms();
        self.log.push(now, level, script, text);
    }

    /// Report a value script `script` published (`NotifyTelemetry`, for followers only).
    pub fn telemetry(&mut self, script: u32, source: TelemetrySource, name: &str, value: Json) {
        let params = json!({"ts": self.ts(), "script": script, "source": source.name(),
            "name": name, "value": value});
        self.notify(Notification {
            method: NOTIFY_TELEMETRY,
            params,
        });
    }

    /// Queue a notification for the transports; when [`OUTBOX_LIMIT`] wait already, the
    /// oldest is dropped.
    pub fn notify(&mut self, n: Notification) {
        while self.outbox.len() >= OUTBOX_LIMIT {
            self.outbox.pop_front();
            self.outbox_dropped += 1;
        }
        self.outbox.push_back(n);
    }

    /// A token for an RPC answer that comes later.
    pub fn new_token(&mut self) -> u32 {
        let t = self.next_token;
        self.next_token = self.next_token.wrapping_add(1).max(1);
        t
    }

    /// Raise an event of `component` (`"input"`, `"script"`, …) with numeric `id`.
    pub fn emit_event(
        &mut self,
        component: &str,
        id: Option<u32>,
        event: &str,
        data: Option<Json>,
    ) {
        let key = match id {
            Some(id) => format!("{component}:{id}"),
            None => String::from(component),
        };
        let mut ev = json!({"component": key, "event": event, "ts": self.ts()});
        if let Some(id) = id {
            ev["id"] = json!(id);
        }
        if let Some(d) = data {
            ev["data"] = d;
        }
        self.events.push_back(DeviceEvent::Event(ev));
    }

    /// Report a status change of component `key` (`delta` holds the changed fields).
    pub fn status_changed(&mut self, key: &str, delta: Json) {
        self.events.push_back(DeviceEvent::Status {
            key: key.into(),
            delta,
        });
    }

    /// The device's whole status, as `Shelly.GetStatus`.
    pub fn full_status(&mut self) -> Json {
        crate::components::full_status(self)
    }
}
