//! The messages between the IDE page and the simulator worker. Both sides serialize them as
//! JSON strings (`serde_json`) and pass them with `postMessage`.
//!
//! The page sends [`ToWorker`]; the worker answers with [`FromWorker`]. Every request that wants
//! an answer carries a `seq` the answer repeats, so late answers to superseded requests (a lint of
//! an older text) can be dropped.

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::project::ProjectFile;

/// How fast virtual time runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speed {
    Paused,
    #[default]
    Realtime,
    X10,
    X100,
    /// Jump from deadline to deadline as fast as the CPU allows.
    Max,
}

impl Speed {
    /// Virtual milliseconds per wall millisecond (`None`: unbounded).
    pub fn factor(self) -> Option<f64> {
        match self {
            Speed::Paused => Some(0.0),
            Speed::Realtime => Some(1.0),
            Speed::X10 => Some(10.0),
            Speed::X100 => Some(100.0),
            Speed::Max => None,
        }
    }

    pub const ALL: [Speed; 5] = [
        Speed::Paused,
        Speed::Realtime,
        Speed::X10,
        Speed::X100,
        Speed::Max,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Speed::Paused => "Pause",
            Speed::Realtime => "×1",
            Speed::X10 => "×10",
            Speed::X100 => "×100",
            Speed::Max => "Max",
        }
    }
}

/// A push of a Shelly input button, as the input component detects it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Push {
    Single,
    Double,
    Triple,
    Long,
}

/// An HTTP request of a script answered by the simulator: a request whose URL starts with
/// `url` (the longest match wins) gets this answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpMock {
    pub url: String,
    pub status: u16,
    #[serde(default)]
    pub content_type: String,
    pub body: String,
}

/// What the outside does to the virtual board.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BoardAction {
    /// Drive a GPIO pin (`None`: let it float to its pull).
    Pin { pin: u32, level: Option<bool> },
    /// Set an analog input's raw reading.
    Analog { pin: u32, raw: u32 },
    /// Hold (`down: true`) or release the physical button of `input:<id>`.
    InputLevel { id: u32, down: bool },
    /// A whole push of `input:<id>`, timed in virtual time.
    InputPush { id: u32, push: Push },
    /// Change a reading of a simulated I2C part (`temperature` of the sensor at 0x44 …).
    Part { addr: u8, what: String, value: f64 },
    /// The load on `switch:<id>` in watts (what the power meter measures while the relay is on).
    Load { id: u32, watts: f64 },
    /// Take the simulated access points out of range (the station loses its link) or bring
    /// them back.
    WifiInRange { in_range: bool },
}

/// A message from the page to the simulator worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWorker {
    /// Boot a fresh simulated device holding every file of the project as a script (ids in
    /// file order, from 1) and start the script of file `start`.
    Run {
        /// Chosen by the page; answered first by [`FromWorker::Started`] with the same number.
        #[serde(default)]
        run: u64,
        files: Vec<ProjectFile>,
        start: String,
        #[serde(default)]
        http_mocks: Vec<HttpMock>,
        #[serde(default)]
        speed: Speed,
        /// Wall-clock time at boot (ms since the Unix epoch) for the scripts' `Date`; 0: a
        /// fixed default.
        #[serde(default)]
        epoch_ms: f64,
    },
    /// Stop every script (the device stays, its state can still be inspected).
    Stop,
    SetSpeed {
        speed: Speed,
    },
    SetHttpMocks {
        mocks: Vec<HttpMock>,
    },
    Board {
        action: BoardAction,
    },
    /// A message from the in-tab MQTT broker's panel to the device.
    MqttPublish {
        topic: String,
        payload: String,
        #[serde(default)]
        retain: bool,
    },
    /// An RPC call to the simulated device (`Switch.Set`, `Number.Set`, …); answered by
    /// [`FromWorker::RpcResult`].
    Rpc {
        seq: u64,
        method: String,
        #[serde(default)]
        params: Value,
    },
    /// Evaluate code in the device's console realm (the simulator's REPL).
    Eval {
        code: String,
    },
    /// Lint `code`; answered by [`FromWorker::Diagnostics`].
    Check {
        seq: u64,
        code: String,
    },
}

/// One line of the device log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Virtual milliseconds since boot.
    pub ts_ms: u64,
    /// `script` (print/console.log), `info`, `warn` or `error`.
    pub level: String,
    /// Script id (0: the device or the console).
    pub script: u32,
    pub text: String,
}

/// Where an error happened, for a link into the editor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorLocation {
    /// The project file the script came from.
    pub file: String,
    /// 1-based.
    pub line: u32,
    /// 1-based.
    pub col: u32,
}

/// An uncaught error that stopped a script.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptError {
    pub script: u32,
    /// `SyntaxError`, `TypeError`, … .
    pub name: String,
    pub message: String,
    /// Shelly's error kind (`syntax_error`, `out_of_memory`, `cpu_budget_exceeded`, …).
    pub kind: String,
    pub location: Option<ErrorLocation>,
    pub stack: String,
}

/// A GPIO pin the script uses (pins nobody touched are left out of the snapshot).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinView {
    pub pin: u32,
    /// `input`, `output`, `input_output`, `open_drain`.
    pub mode: String,
    /// `none`, `up`, `down`.
    pub pull: String,
    /// The level a read sees.
    pub level: bool,
    /// What the outside drives, if anything.
    pub driven: Option<bool>,
    /// An interrupt (edge) is enabled.
    pub interrupt: bool,
    /// PWM `(hz, duty)` with `duty` out of `pwm_max`.
    pub pwm: Option<(u32, u32)>,
    pub pwm_max: u32,
    /// The script read this pin's ADC.
    pub analog_used: bool,
    pub analog: u32,
    pub analog_max: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SwitchView {
    pub id: u32,
    pub output: bool,
    pub apower: f64,
    pub voltage: f64,
    pub current: f64,
    /// Energy in Wh since boot.
    pub energy_wh: f64,
    /// The load the panel set (W).
    pub load_w: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputView {
    pub id: u32,
    /// `button` or `switch`.
    pub input_type: String,
    /// Held down / closed.
    pub state: Option<bool>,
}

/// A reading of a simulated part the panel can adjust.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartKnob {
    pub what: String,
    pub value: f64,
    pub min: f64,
    pub max: f64,
    pub step: f64,
    pub unit: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartView {
    pub bus: u32,
    pub addr: u8,
    /// What it is (`SHT31 temperature/humidity`, `24C32 EEPROM`, `MCP23017 expander`).
    pub name: String,
    pub knobs: Vec<PartKnob>,
    /// Everything else observable (name, value).
    pub readings: Vec<(String, f64)>,
}

/// A virtual component (`number:200`, `boolean:201` …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VirtualView {
    /// `number:200`.
    pub key: String,
    /// `number`, `text`, `boolean`, `enum`, `button`, `group`.
    pub kind: String,
    pub id: u32,
    pub name: String,
    pub value: Value,
    /// Options of an enum.
    #[serde(default)]
    pub options: Vec<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptView {
    pub id: u32,
    /// The project file it came from.
    pub file: String,
    pub running: bool,
    pub errors: Vec<String>,
    /// Heap of the script's realm (bytes), as `GC.stat()` reports it on the device.
    pub heap_used: u64,
    pub heap_budget: u64,
}

/// The whole observable device, sent a few times a second while something changes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Virtual milliseconds since boot.
    pub now_ms: u64,
    pub speed: Speed,
    /// Simulated seconds per wall second over the last measurement window.
    pub sim_rate: f64,
    pub pins: Vec<PinView>,
    pub switches: Vec<SwitchView>,
    pub inputs: Vec<InputView>,
    pub parts: Vec<PartView>,
    pub virtuals: Vec<VirtualView>,
    pub scripts: Vec<ScriptView>,
    /// The simulated Wi-Fi station.
    #[serde(default)]
    pub wifi: WifiView,
}

/// The simulated station as the board panel shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WifiView {
    /// Shelly's words: `got ip`, `connected`, `connecting`, `disconnected`.
    pub state: String,
    pub ssid: Option<String>,
    pub ip: Option<String>,
    /// Why the station is not joined.
    pub error: Option<String>,
    /// The access points are in range (the panel's switch).
    pub in_range: bool,
}

/// An MQTT message or HTTP request the script made (or the panel sent), for the traffic log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Traffic {
    /// `from_device`: the script published; otherwise the panel did.
    Mqtt {
        ts_ms: u64,
        from_device: bool,
        topic: String,
        payload: String,
        retain: bool,
    },
    Http {
        ts_ms: u64,
        method: String,
        url: String,
        /// The status answered (0: no mock matched, the request failed).
        status: u16,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// A marker for the editor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// 1-based.
    pub line: u32,
    /// 1-based; `end_col` exclusive (equal to `col` + 1 when the extent is unknown).
    pub col: u32,
    pub end_col: u32,
    pub message: String,
}

/// A message from the simulator worker to the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWorker {
    /// The worker has loaded its wasm and takes messages.
    Ready,
    /// The device of [`ToWorker::Run`] `run` booted: every message after this one is about that
    /// run (messages before it, still in flight when the page sent Run, are about the last one).
    Started {
        run: u64,
    },
    Log {
        lines: Vec<LogEntry>,
    },
    ScriptError {
        error: ScriptError,
    },
    State {
        snapshot: Snapshot,
    },
    Traffic {
        entries: Vec<Traffic>,
    },
    RpcResult {
        seq: u64,
        result: Option<Value>,
        error: Option<String>,
    },
    Diagnostics {
        seq: u64,
        diagnostics: Vec<Diagnostic>,
    },
    /// Every script is stopped (by Stop, by an error, or because it ended and has nothing
    /// scheduled). `reason` is for the status bar.
    Idle {
        reason: String,
    },
}

impl ToWorker {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
    pub fn from_json(text: &str) -> Result<ToWorker, String> {
        serde_json::from_str(text).map_err(|e| alloc::format!("bad message to the simulator: {e}"))
    }
}

impl FromWorker {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
    pub fn from_json(text: &str) -> Result<FromWorker, String> {
        serde_json::from_str(text)
            .map_err(|e| alloc::format!("bad message from the simulator: {e}"))
    }
}
