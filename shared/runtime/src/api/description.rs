//! The machine-readable description of every script API (names, signatures, docs), from which
//! the IDE generates its editor typings ([`typescript`]). Each family keeps its entries in its
//! own table; this file holds the engine built-ins, the timers and the `Shelly` object, and
//! gathers the rest.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ferrite_collections::SortedMap;

/// One documented API member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiEntry {
    /// Dotted path: `Shelly.call`, `Timer.set`, `Digital.prototype.read`.
    pub path: &'static str,
    /// TypeScript type: `(method: string, params: object | string, callback?: …) => void` for a
    /// function, `number` for a constant, `new (…) => Digital` for a class.
    pub signature: &'static str,
    /// What it does (Markdown).
    pub doc: &'static str,
    /// `shelly`, `smartjs`, `tc53`, `global`.
    pub family: &'static str,
}

const fn e(
    path: &'static str,
    signature: &'static str,
    doc: &'static str,
    family: &'static str,
) -> ApiEntry {
    ApiEntry {
        path,
        signature,
        doc,
        family,
    }
}

/// Engine built-ins scripts use as Shelly and Smart.js document them.
const BUILTINS: &[ApiEntry] = &[
    e("print", "(...args: any[]) => void", "Print the arguments, separated by spaces, to the device log (the script's console).", "global"),
    e("console", "object", "The console: `log`, `info`, `warn`, `error` and `debug` all print their arguments like `print`.", "global"),
    e("console.log", "(...args: any[]) => void", "Print the arguments like `print`.", "global"),
    e("console.info", "(...args: any[]) => void", "Print the arguments like `print`.", "global"),
    e("console.warn", "(...args: any[]) => void", "Print the arguments like `print`.", "global"),
    e("console.error", "(...args: any[]) => void", "Print the arguments like `print`.", "global"),
    e("console.debug", "(...args: any[]) => void", "Print the arguments like `print`.", "global"),
    e("btoh", "(data: string) => string", "Every byte of `data` as two lowercase hexadecimal digits.", "global"),
    e("btoa", "(data: string) => string", "Encode the bytes of `data` as base64.", "global"),
    e("atob", "(data: string) => string", "Decode base64 text to its bytes; throws if `data` is not base64.", "global"),
];

/// Timers (Shelly's `Timer`, and the web/Smart.js functions; one limit of 5 per script).
const TIMERS: &[ApiEntry] = &[
    e("Timer", "object", "One-shot and periodic timers; a script may arm at most 5 at once.", "shelly"),
    e("Timer.set", "(period: number, repeat: boolean, callback: (userdata?: any) => void, userdata?: any) => number", "Arm a timer firing after `period` ms (again every `period` ms if `repeat`); returns its handle. Throws on invalid arguments or when 5 timers are armed.", "shelly"),
    e("Timer.clear", "(handle: number) => boolean | undefined", "Stop a timer: `true` if it was armed, `false` if no such timer, `undefined` if `handle` is not a valid handle.", "shelly"),
    e("setTimeout", "(callback: () => void, ms?: number) => number", "Call `callback` once after `ms` milliseconds; returns a handle for `clearTimeout`.", "global"),
    e("setInterval", "(callback: () => void, ms?: number) => number", "Call `callback` every `ms` milliseconds; returns a handle for `clearInterval`.", "global"),
    e("clearTimeout", "(handle: number) => void", "Cancel a `setTimeout`.", "global"),
    e("clearInterval", "(handle: number) => void", "Cancel a `setInterval`.", "global"),
];

/// The `Shelly` object (api/shelly.rs).
const SHELLY: &[ApiEntry] = &[
    e("Shelly", "object", "The local device: RPC calls, event and status handlers, component config and status.", "shelly"),
    e("Shelly.call", "(method: string, params?: object | string | null, callback?: ((result: any, error_code: number, error_message: string, userdata?: any) => void) | null, userdata?: any) => void", "Invoke an RPC method of the device (e.g. `Switch.Set`, `KVS.Get`, `HTTP.GET`); the callback gets the result, or `undefined` and the error code and message. At most 5 calls in flight per script.", "shelly"),
    e("Shelly.addEventHandler", "(callback: (event: ShellyEvent, userdata?: any) => void, userdata?: any) => number", "Call `callback` for every event (as `NotifyEvent`); returns a handle. At most 5 per script.", "shelly"),
    e("Shelly.addStatusHandler", "(callback: (event: ShellyStatusChange, userdata?: any) => void, userdata?: any) => number", "Call `callback` for every status change (as `NotifyStatus`); returns a handle. At most 5 per script.", "shelly"),
    e("Shelly.removeEventHandler", "(handle: number) => boolean | undefined", "Remove an event handler: `true` if removed, `false` if not found, `undefined` if the handle is invalid.", "shelly"),
    e("Shelly.removeStatusHandler", "(handle: number) => boolean | undefined", "Remove a status handler: `true` if removed, `false` if not found, `undefined` if the handle is invalid.", "shelly"),
    e("Shelly.emitEvent", "(name: string, data?: any) => void", "Raise event `name` of component `script:<id>` with JSON `data`, to all persistent RPC channels and event handlers.", "shelly"),
    e("Shelly.getComponentConfig", "(type_or_key: string, id?: number) => any | null", "The config of a component (`\"switch:0\"`, or `\"switch\", 0`), `null` if there is none.", "shelly"),
    e("Shelly.getComponentStatus", "(type_or_key: string, id?: number) => any | null", "The status of a component (`\"sys\"`, `\"number:200\"` …), `null` if there is none.", "shelly"),
    e("Shelly.getDeviceInfo", "() => ShellyDeviceInfo", "The device info, as `Shelly.GetDeviceInfo`.", "shelly"),
    e("Shelly.getCurrentScriptId", "() => number", "The id of the running script.", "shelly"),
];

/// Everything the runtime offers scripts.
pub fn all() -> Vec<ApiEntry> {
    let mut v = Vec::new();
    v.extend_from_slice(BUILTINS);
    v.extend_from_slice(TIMERS);
    v.extend_from_slice(SHELLY);
    v.extend_from_slice(super::shelly_extras::describe::DESCRIPTION);
    v.extend(super::mqtt::describe());
    v.extend(super::smartjs::describe());
    v.extend(super::tc53::describe());
    v
}

/// Type declarations the signatures refer to.
const PRELUDE: &str = r#"// Ferrite script API typings (generated from ferrite_runtime::api::description).

interface ShellyEvent {
  component: string;
  name: string;
  id?: number;
  now: number;
  info: { component: string; id?: number; event: string; data?: any; ts: number };
}

interface ShellyStatusChange {
  component: string;
  name: string;
  id?: number;
  delta: any;
}

interface ShellyDeviceInfo {
  name: string | null;
  id: string;
  mac: string;
  model: string;
  gen: number;
  fw_id: string;
  ver: string;
  app: string;
  auth_en: boolean;
  auth_domain: string | null;
}

interface BLEScanOptions {
  duration_ms?: number;
  active?: boolean;
  interval_ms?: number;
  window_ms?: number;
}

interface BLEScanResult {
  addr: string;
  addr_type: number;
  rssi: number;
  advData: string;
  scanRsp: string;
}

interface HTTPServerRequest {
  method: string;
  query: string;
  headers: [string, string][];
  body: string;
}

interface HTTPServerResponse {
  code: number;
  body: string;
  headers: [string, string][];
  send(): boolean;
}
"#;

/// A node of the path tree.
#[derive(Default)]
struct Node {
    entry: Option<ApiEntry>,
    children: SortedMap<&'static str, Node>,
}

fn doc_comment(out: &mut String, indent: &str, doc: &str) {
    out.push_str(indent);
    out.push_str("/** ");
    out.push_str(&doc.replace("*/", "*\\/"));
    out.push_str(" */\n");
}

/// The type of `node`: its signature, its members, or both.
fn node_type(out: &mut String, node: &Node, depth: usize) {
    let own = node.entry.map(|e| e.signature);
    let has_members = !node.children.is_empty();
    match (own, has_members) {
        (Some(sig), false) => out.push_str(sig),
        (own, _) => {
            if let Some(sig) = own.filter(|s| *s != "object") {
                out.push('(');
                out.push_str(sig);
                out.push_str(") & ");
            }
            out.push_str("{\n");
            let indent = "  ".repeat(depth + 1);
            for (name, child) in &node.children {
                if let Some(e) = child.entry {
                    doc_comment(out, &indent, e.doc);
                }
                out.push_str(&indent);
                out.push_str(name);
                out.push_str(": ");
                node_type(out, child, depth + 1);
                out.push_str(";\n");
            }
            out.push_str(&"  ".repeat(depth));
            out.push('}');
        }
    }
}

/// TypeScript declarations (`.d.ts` text) of [`all`]: namespaces and functions as `declare
/// const`s of their types, `X.prototype.m` members as `interface X`.
pub fn typescript() -> String {
    let mut root = Node::default();
    let mut classes: SortedMap<&'static str, Vec<ApiEntry>> = SortedMap::new();
    for e in all() {
        if let Some((class, _)) = e.path.split_once(".prototype.") {
            classes.get_or_insert_with(class, Vec::new).push(e);
            continue;
        }
        let mut n = &mut root;
        for part in e.path.split('.') {
            n = n.children.get_or_insert_with(part, Node::default);
        }
        n.entry = Some(e);
    }
    let mut out = String::from(PRELUDE);
    for (class, members) in &classes {
        let name = class.rsplit('.').next().unwrap_or(class);
        out.push_str(&format!("\ninterface {name} {{\n"));
        for m in members {
            let member = m.path.rsplit('.').next().unwrap_or(m.path);
            doc_comment(&mut out, "  ", m.doc);
            out.push_str(&format!("  {member}: {};\n", m.signature));
        }
        out.push_str("}\n");
    }
    for (name, node) in &root.children {
        out.push('\n');
        if let Some(e) = node.entry {
            doc_comment(&mut out, "", e.doc);
        }
        out.push_str("declare const ");
        out.push_str(name);
        out.push_str(": ");
        node_type(&mut out, node, 0);
        out.push_str(";\n");
    }
    out
}
