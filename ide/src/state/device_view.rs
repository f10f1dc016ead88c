//! What the page shows of a live device, as plain structs: the connection the user chose (and
//! how its address becomes a URL), the device console's log (bounded), the scripts on the
//! device, live status and events, and the REPL's tab completion. The device session's events
//! are folded into these by the controller; nothing here talks to a device or the browser.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use ferrite_ide_core::device::session::{LogLine, Wire};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::sim_view::LineKind;

/// Lines the device console keeps.
pub const DEVICE_LOG_MAX_LINES: usize = 2000;
/// Events the live status panel keeps.
pub const EVENTS_MAX: usize = 20;
/// Default serial speed.
pub const DEFAULT_BAUD: u32 = 115_200;

/// How the IDE reaches a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    WebSerial,
    WebUsb,
    WebSocketRpc,
    HttpRpc,
    SerialBridge,
}

impl ConnectionKind {
    pub const ALL: [ConnectionKind; 5] = [
        ConnectionKind::WebSerial,
        ConnectionKind::WebUsb,
        ConnectionKind::WebSocketRpc,
        ConnectionKind::HttpRpc,
        ConnectionKind::SerialBridge,
    ];

    /// The option's text in the "Connection" select (the UI contract's).
    pub fn label(self) -> &'static str {
        match self {
            ConnectionKind::WebSerial => "WebSerial",
            ConnectionKind::WebUsb => "WebUSB",
            ConnectionKind::WebSocketRpc => "WebSocket RPC",
            ConnectionKind::HttpRpc => "HTTP RPC",
            ConnectionKind::SerialBridge => "Serial bridge",
        }
    }

    pub fn from_label(label: &str) -> Option<ConnectionKind> {
        Self::ALL.into_iter().find(|k| k.label() == label)
    }

    /// The transport's name in public/device-io.js.
    pub fn io_kind(self) -> &'static str {
        match self {
            ConnectionKind::WebSerial => "serial",
            ConnectionKind::WebUsb => "usb",
            ConnectionKind::WebSocketRpc => "websocket",
            ConnectionKind::HttpRpc => "http",
            ConnectionKind::SerialBridge => "bridge",
        }
    }

    pub fn wire(self) -> Wire {
        match self {
            ConnectionKind::WebSerial | ConnectionKind::WebUsb | ConnectionKind::SerialBridge => {
                Wire::Console
            }
            ConnectionKind::WebSocketRpc => Wire::WebSocket,
            ConnectionKind::HttpRpc => Wire::Http,
        }
    }

    /// The kind needs an address (a URL or host:port).
    pub fn uses_address(self) -> bool {
        matches!(
            self,
            ConnectionKind::WebSocketRpc | ConnectionKind::HttpRpc | ConnectionKind::SerialBridge
        )
    }

    /// The kind is a serial line (a baud rate applies).
    pub fn uses_baud(self) -> bool {
        self.wire() == Wire::Console
    }

    pub fn default_address(self) -> &'static str {
        match self {
            ConnectionKind::SerialBridge => "ws://127.0.0.1:8765",
            ConnectionKind::WebSocketRpc | ConnectionKind::HttpRpc => "127.0.0.1:8080",
            ConnectionKind::WebSerial | ConnectionKind::WebUsb => "",
        }
    }
}

/// USB ids of a port the user granted before (to find it again without asking).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsbIds {
    #[serde(rename = "usbVendorId")]
    pub vendor: u16,
    #[serde(rename = "usbProductId")]
    pub product: u16,
}

/// The connection form's values (remembered in localStorage).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectSettings {
    pub kind: ConnectionKind,
    #[serde(default)]
    pub address: String,
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// The port or USB device used last time (serial kinds).
    #[serde(default)]
    pub remembered: Option<UsbIds>,
}

fn default_baud() -> u32 {
    DEFAULT_BAUD
}

impl Default for ConnectSettings {
    fn default() -> Self {
        ConnectSettings {
            kind: ConnectionKind::WebSocketRpc,
            address: ConnectionKind::WebSocketRpc.default_address().into(),
            baud: DEFAULT_BAUD,
            remembered: None,
        }
    }
}

/// A baud rate typed by the user.
pub fn parse_baud(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(b) if (300..=4_000_000).contains(&b) => Ok(b),
        _ => Err(format!(
            "\"{}\" is not a baud rate (300 to 4000000)",
            text.trim()
        )),
    }
}

/// The URL a connection of `kind` goes to: `host:port` becomes `ws://host:port/rpc` (WebSocket
/// RPC), `http://host:port/rpc` (HTTP RPC) or `ws://host:port/` (the serial bridge); a full URL
/// of the right scheme is used as it is. Serial kinds have none (empty).
#[inline(never)]
pub fn resolve_url(kind: ConnectionKind, address: &str) -> Result<String, String> {
    let a = address.trim();
    if !kind.uses_address() {
        return Ok(String::new());
    }
    if a.is_empty() {
        return Err("Enter the device address (host:port or a URL).".into());
    }
    let (schemes, path): (&[&str], &str) = match kind {
        ConnectionKind::WebSocketRpc => (&["ws://", "wss://"], "/rpc"),
        ConnectionKind::HttpRpc => (&["http://", "https://"], "/rpc"),
        _ => (&["ws://", "wss://"], "/"),
    };
    if let Some(scheme) = a.find("://").map(|i| &a[..i + 3]) {
        if !schemes.contains(&scheme) {
            return Err(format!(
                "A {} address starts with {} (or is host:port).",
                kind.label(),
                schemes.join(" or ")
            ));
        }
        let rest = &a[scheme.len()..];
        if rest.is_empty() || rest.starts_with('/') {
            return Err(format!("\"{a}\" has no host."));
        }
        // A bare `scheme://host:port` gets the default path.
        return Ok(if rest.contains('/') {
            a.to_string()
        } else {
            format!("{a}{path}")
        });
    }
    if a.contains('/') || a.contains(char::is_whitespace) {
        return Err(format!("\"{a}\" is neither host:port nor a URL."));
    }
    Ok(format!("{}{a}{path}", schemes[0]))
}

/// One line of the device console.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceLine {
    pub id: u64,
    pub kind: LineKind,
    pub text: String,
}

/// The device console: the last [`DEVICE_LOG_MAX_LINES`] lines.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeviceLog {
    lines: VecDeque<Arc<DeviceLine>>,
    next_id: u64,
}

impl DeviceLog {
    pub fn push(&mut self, kind: LineKind, text: impl Into<String>) {
        self.next_id += 1;
        self.lines.push_back(Arc::new(DeviceLine {
            id: self.next_id,
            kind,
            text: text.into(),
        }));
        while self.lines.len() > DEVICE_LOG_MAX_LINES {
            self.lines.pop_front();
        }
    }

    pub fn clear(&mut self) {
        self.lines.clear();
    }

    pub fn lines(&self) -> Vec<Arc<DeviceLine>> {
        self.lines.iter().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }
}

/// How a device log line reads: script output `[script:N] text`, the console's as-is.
pub fn log_line(line: &LogLine) -> (LineKind, String) {
    let kind = LineKind::from_level(&line.level);
    let text = if line.script == 0 {
        line.text.clone()
    } else {
        format!("[script:{}] {}", line.script, line.text)
    };
    (kind, text)
}

/// A human-mode console text line: errors (`…Error: …`) styled as errors.
pub fn text_line_kind(text: &str) -> LineKind {
    let t = text.trim_start();
    let error = [
        "Error:",
        "ReferenceError:",
        "TypeError:",
        "SyntaxError:",
        "RangeError:",
    ]
    .iter()
    .any(|e| t.contains(e))
        || t.starts_with("Uncaught");
    if error {
        LineKind::Error
    } else {
        LineKind::Output
    }
}

/// A script on the device (`Script.List`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceScript {
    pub id: u32,
    pub name: String,
    pub enable: bool,
    pub running: bool,
}

/// The scripts of a `Script.List` result (entries that are not scripts are skipped).
pub fn parse_script_list(result: &Value) -> Vec<DeviceScript> {
    result
        .get("scripts")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|s| {
                    Some(DeviceScript {
                        id: u32::try_from(s.get("id")?.as_u64()?).ok()?,
                        name: s
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        enable: s.get("enable").and_then(Value::as_bool).unwrap_or(false),
                        running: s.get("running").and_then(Value::as_bool).unwrap_or(false),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Apply a `NotifyStatus` of `script:<id>` (`{"running": bool}`) to the list; true if it was one.
pub fn apply_script_status(scripts: &mut [DeviceScript], status: &Value) -> bool {
    let mut changed = false;
    let Some(obj) = status.as_object() else {
        return false;
    };
    for (key, v) in obj {
        let Some(id) = key
            .strip_prefix("script:")
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let (Some(s), Some(running)) = (
            scripts.iter_mut().find(|s| s.id == id),
            v.get("running").and_then(Value::as_bool),
        ) {
            s.running = running;
            changed = true;
        }
    }
    changed
}

/// The script name "Run on device" uses for an editor file: the file name without `.js`.
pub fn script_name_for_file(file: &str) -> String {
    let stem = file.strip_suffix(".js").unwrap_or(file);
    if stem.is_empty() {
        "main".into()
    } else {
        stem.to_string()
    }
}

/// What the device info panel shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeviceInfoView {
    pub name: String,
    pub id: String,
    pub model: String,
    pub firmware: String,
    pub app: String,
}

impl DeviceInfoView {
    /// From a `Shelly.GetDeviceInfo` result (missing fields are empty).
    pub fn from_info(info: &Value) -> DeviceInfoView {
        let s = |k: &str| {
            info.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let firmware = match (s("ver"), s("fw_id")) {
            (v, f) if f.is_empty() => v,
            (v, f) if v.is_empty() => f,
            (v, f) => format!("{v} ({f})"),
        };
        DeviceInfoView {
            name: s("name"),
            id: s("id"),
            model: s("model"),
            firmware,
            app: s("app"),
        }
    }
}

/// Latest status per component and the last events (the "Live status" panel).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveStatus {
    pub components: BTreeMap<String, Value>,
    pub events: VecDeque<String>,
}

impl LiveStatus {
    /// Merge a `NotifyStatus`'s changed fields into each component's latest status.
    pub fn apply_status(&mut self, params: &Value) {
        let Some(obj) = params.as_object() else {
            return;
        };
        for (key, v) in obj {
            if key == "ts" {
                continue;
            }
            let entry = self
                .components
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Default::default()));
            merge(entry, v);
        }
    }

    /// Remember a `NotifyEvent`'s events as `component event` lines (the last [`EVENTS_MAX`]).
    pub fn apply_event(&mut self, params: &Value) {
        let Some(events) = params.get("events").and_then(Value::as_array) else {
            return;
        };
        for e in events {
            let component = e.get("component").and_then(Value::as_str).unwrap_or("?");
            let event = e.get("event").and_then(Value::as_str).unwrap_or("?");
            let data = e.get("data").map(|d| format!(" {d}")).unwrap_or_default();
            self.events.push_back(format!("{component} {event}{data}"));
            while self.events.len() > EVENTS_MAX {
                self.events.pop_front();
            }
        }
    }

    pub fn clear(&mut self) {
        self.components.clear();
        self.events.clear();
    }
}

fn merge(into: &mut Value, changes: &Value) {
    match (into, changes) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

/// What a `Script.Eval` result shows: its `result` string (or the JSON of anything else).
pub fn eval_result_text(result: &Value) -> String {
    match result.get("result") {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => result.to_string(),
    }
}

/// A completion to ask the device for: the object expression before the last `.` (empty:
/// globals), the partial name after it, and where that partial name starts in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionRequest {
    pub object: String,
    pub partial: String,
    pub start: usize,
}

/// The completion at the end of `input` (`Shelly.ca` → object `Shelly`, partial `ca`);
/// `None` when the input does not end in a name or member access.
pub fn completion_request(input: &str) -> Option<CompletionRequest> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let partial_start = input
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_name(c))
        .last()
        .map_or(input.len(), |(i, _)| i);
    let partial = &input[partial_start..];
    let before = &input[..partial_start];
    if !before.ends_with('.') {
        if partial.is_empty() || partial.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        return Some(CompletionRequest {
            object: String::new(),
            partial: partial.to_string(),
            start: partial_start,
        });
    }
    // The member chain before the dot: names, dots and balanced brackets of simple indexes.
    let chain = &before[..before.len() - 1];
    let chain_start = chain
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_name(c) || c == '.' || c == '[' || c == ']' || c == '"')
        .last()
        .map_or(chain.len(), |(i, _)| i);
    let object = &chain[chain_start..];
    if object.is_empty() || object.starts_with('.') || object.ends_with('.') {
        return None;
    }
    Some(CompletionRequest {
        object: object.to_string(),
        partial: partial.to_string(),
        start: partial_start,
    })
}

/// The code the device evaluates (console realm) to list the property names of the object (own
/// and inherited, as a JSON array string).
pub fn completion_code(req: &CompletionRequest) -> String {
    let object = if req.object.is_empty() {
        "globalThis"
    } else {
        req.object.as_str()
    };
    format!(
        "(function(o){{var s={{}},r=[];while(o!==null&&o!==undefined){{var n=Object.getOwnPropertyNames(o);for(var i=0;i<n.length;i++){{if(!s[n[i]]){{s[n[i]]=1;r.push(n[i]);}}}}o=Object.getPrototypeOf(o);}}return JSON.stringify(r);}})({object})"
    )
}

/// The names in the answer to [`completion_code`] (a JSON array, possibly shown as a string).
pub fn completion_names(result: &Value) -> Vec<String> {
    let text = eval_result_text(result);
    let mut parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if let Value::String(inner) = &parsed {
        parsed = serde_json::from_str(inner).unwrap_or(Value::Null);
    }
    parsed
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Complete `input` with `names`: the new input (the partial name extended to the longest
/// prefix the candidates share) and the candidates to show (empty when exactly one fits).
pub fn apply_completion(
    input: &str,
    req: &CompletionRequest,
    names: &[String],
) -> (String, Vec<String>) {
    let mut fits: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with(&req.partial))
        .collect();
    fits.sort();
    fits.dedup();
    let Some(first) = fits.first() else {
        return (input.to_string(), Vec::new());
    };
    let mut common = first.len();
    for n in &fits[1..] {
        common = common.min(
            first
                .bytes()
                .zip(n.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    // The shared bytes may end inside a character (names come from the device).
    while !first.is_char_boundary(common) {
        common -= 1;
    }
    let completed = format!("{}{}", &input[..req.start], &first[..common]);
    let shown = if fits.len() == 1 {
        Vec::new()
    } else {
        fits.into_iter().cloned().collect()
    };
    (completed, shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn addresses_become_urls() {
        use ConnectionKind::*;
        assert_eq!(
            resolve_url(WebSocketRpc, "127.0.0.1:8080").unwrap(),
            "ws://127.0.0.1:8080/rpc"
        );
        assert_eq!(
            resolve_url(WebSocketRpc, " ws://dev.local/rpc ").unwrap(),
            "ws://dev.local/rpc"
        );
        assert_eq!(
            resolve_url(WebSocketRpc, "ws://dev.local:81").unwrap(),
            "ws://dev.local:81/rpc"
        );
        assert_eq!(
            resolve_url(HttpRpc, "192.168.1.5").unwrap(),
            "http://192.168.1.5/rpc"
        );
        assert_eq!(
            resolve_url(SerialBridge, "ws://127.0.0.1:8765").unwrap(),
            "ws://127.0.0.1:8765/"
        );
        assert_eq!(resolve_url(WebSerial, "").unwrap(), "");
        assert!(resolve_url(WebSocketRpc, "").is_err());
        assert!(resolve_url(HttpRpc, "ws://x:1/rpc").is_err());
        assert!(resolve_url(WebSocketRpc, "ws:///rpc").is_err());
        assert!(resolve_url(WebSocketRpc, "a b:1").is_err());
    }

    #[test]
    fn kinds_round_trip_their_labels_and_wires() {
        for k in ConnectionKind::ALL {
            assert_eq!(ConnectionKind::from_label(k.label()), Some(k));
        }
        assert_eq!(ConnectionKind::SerialBridge.wire(), Wire::Console);
        assert!(ConnectionKind::SerialBridge.uses_baud());
        assert!(!ConnectionKind::HttpRpc.uses_baud());
        assert!(parse_baud("115200").is_ok());
        assert!(parse_baud("fast").is_err());
        assert!(parse_baud("0").is_err());
    }

    #[test]
    fn settings_survive_storage_and_tolerate_missing_fields() {
        let s: ConnectSettings = serde_json::from_str(r#"{"kind":"serial_bridge"}"#).unwrap();
        assert_eq!(s.baud, DEFAULT_BAUD);
        assert!(s.address.is_empty());
        let s2 = ConnectSettings {
            remembered: Some(UsbIds {
                vendor: 0x303a,
                product: 0x1001,
            }),
            ..ConnectSettings::default()
        };
        let text = serde_json::to_string(&s2).unwrap();
        assert!(text.contains("usbVendorId"));
        assert_eq!(serde_json::from_str::<ConnectSettings>(&text).unwrap(), s2);
    }

    #[test]
    fn device_log_is_bounded_and_prefixes_scripts() {
        let mut log = DeviceLog::default();
        for i in 0..DEVICE_LOG_MAX_LINES + 5 {
            log.push(LineKind::Output, i.to_string());
        }
        assert_eq!(log.len(), DEVICE_LOG_MAX_LINES);
        assert_eq!(log.lines()[0].text, "5");
        let line = LogLine {
            ts: 0.0,
            seq: 1,
            level: "print".into(),
            script: 3,
            text: "hello".into(),
        };
        assert_eq!(
            log_line(&line),
            (LineKind::Output, "[script:3] hello".into())
        );
        let err = LogLine {
            script: 0,
            level: "error".into(),
            ..line
        };
        assert_eq!(log_line(&err), (LineKind::Error, "hello".into()));
        assert_eq!(
            text_line_kind("console:1:1: ReferenceError: x"),
            LineKind::Error
        );
        assert_eq!(text_line_kind("3"), LineKind::Output);
    }

    #[test]
    fn scripts_are_read_from_the_list_and_follow_status() {
        let mut list = parse_script_list(&json!({"scripts": [
            {"id": 1, "name": "blink", "enable": true, "running": false},
            {"name": "no id"},
            {"id": 2, "name": "b"}
        ]}));
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].name, "blink");
        assert!(list[0].enable && !list[0].running);
        assert!(apply_script_status(
            &mut list,
            &json!({"ts": 1.0, "script:1": {"id": 1, "running": true}})
        ));
        assert!(list[0].running);
        assert!(!apply_script_status(
            &mut list,
            &json!({"switch:0": {"output": true}})
        ));
        assert!(parse_script_list(&json!(null)).is_empty());
        assert_eq!(script_name_for_file("main.js"), "main");
        assert_eq!(script_name_for_file("lib"), "lib");
        assert_eq!(script_name_for_file(".js"), "main");
    }

    #[test]
    fn live_status_merges_changes_and_keeps_the_last_events() {
        let mut s = LiveStatus::default();
        s.apply_status(&json!({"ts": 1, "switch:0": {"id": 0, "output": true, "apower": 3.5}}));
        s.apply_status(&json!({"ts": 2, "switch:0": {"output": false}}));
        assert_eq!(
            s.components["switch:0"],
            json!({"id": 0, "output": false, "apower": 3.5})
        );
        assert!(!s.components.contains_key("ts"));
        for i in 0..EVENTS_MAX + 3 {
            s.apply_event(&json!({"ts": 1, "events": [{"component": "input:0", "id": 0, "event": format!("e{i}")}]}));
        }
        assert_eq!(s.events.len(), EVENTS_MAX);
        assert_eq!(
            s.events.back().unwrap(),
            &format!("input:0 e{}", EVENTS_MAX + 2)
        );
    }

    #[test]
    fn device_info_shows_the_firmware() {
        let v = DeviceInfoView::from_info(&json!({
            "name": "kitchen", "id": "ferrite-1", "model": "FerriteVirtual", "ver": "0.1.0",
            "fw_id": "20240101-ferrite", "app": "Ferrite"
        }));
        assert_eq!(v.firmware, "0.1.0 (20240101-ferrite)");
        assert_eq!(v.name, "kitchen");
        assert_eq!(
            DeviceInfoView::from_info(&json!({"ver": "1"})).firmware,
            "1"
        );
    }

    #[test]
    fn completion_finds_the_object_and_the_partial_name() {
        let r = completion_request("let x = Shelly.ca").unwrap();
        assert_eq!(r.object, "Shelly");
        assert_eq!(r.partial, "ca");
        assert_eq!(r.start, 15);
        let r = completion_request("Tim").unwrap();
        assert_eq!(r.object, "");
        assert_eq!(r.partial, "Tim");
        let r = completion_request("a.b.").unwrap();
        assert_eq!(r.object, "a.b");
        assert_eq!(r.partial, "");
        assert!(completion_request("1 + ").is_none());
        assert!(completion_request("x = 12").is_none());
        assert!(completion_request(".").is_none());
        assert!(completion_code(&completion_request("Tim").unwrap()).ends_with("(globalThis)"));
        assert!(completion_code(&completion_request("a.b.c").unwrap()).ends_with("(a.b)"));
    }

    #[test]
    fn completion_extends_to_the_common_prefix() {
        let req = completion_request("Shelly.c").unwrap();
        let names: Vec<String> = ["call", "callMethod", "emitEvent", "constructor"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (text, shown) = apply_completion("Shelly.c", &req, &names);
        assert_eq!(text, "Shelly.c");
        assert_eq!(shown, vec!["call", "callMethod", "constructor"]);
        let req = completion_request("Shelly.ca").unwrap();
        let (text, shown) = apply_completion("Shelly.ca", &req, &names);
        assert_eq!(text, "Shelly.call");
        assert_eq!(shown.len(), 2);
        let req = completion_request("Shelly.em").unwrap();
        let (text, shown) = apply_completion("Shelly.em", &req, &names);
        assert_eq!(text, "Shelly.emitEvent");
        assert!(shown.is_empty());
        let (text, shown) = apply_completion(
            "Shelly.zz",
            &completion_request("Shelly.zz").unwrap(),
            &names,
        );
        assert_eq!(text, "Shelly.zz");
        assert!(shown.is_empty());
    }

    #[test]
    fn completion_cuts_the_common_prefix_at_a_character_boundary() {
        // "Kär" and "Kür" share the bytes "K\u{c3}": the prefix must stop before the "ä"/"ü".
        let names: Vec<String> = vec!["Kär".to_string(), "Kür".to_string()];
        let req = completion_request("o.K").unwrap();
        let (text, shown) = apply_completion("o.K", &req, &names);
        assert_eq!(text, "o.K");
        assert_eq!(shown, vec!["Kär", "Kür"]);
        let names: Vec<String> = vec!["Käse".to_string(), "Kästchen".to_string()];
        let (text, shown) = apply_completion("o.K", &req, &names);
        assert_eq!(text, "o.Käs");
        assert_eq!(shown.len(), 2);
    }

    #[test]
    fn completion_reads_the_names_however_the_result_is_shown() {
        assert_eq!(
            completion_names(&json!({"result": "[\"a\",\"b\"]"})),
            vec!["a", "b"]
        );
        assert_eq!(
            completion_names(&json!({"result": "\"[\\\"a\\\"]\""})),
            vec!["a"]
        );
        assert!(completion_names(&json!({"result": "undefined"})).is_empty());
    }
}
