//! MQTT: `MQTT.*` (Shelly) and `Cloud.store` (Smart.js), status/event publishing and IAP-style
//! datapoints on MQTT topics.
//!
//! Scripts subscribe through the device's one MQTT connection (the board's [`Mqtt`]); the
//! device counts which scripts use each topic filter ([`MqttShared`]) and unsubscribes the board
//! when the last one lets go. The runtime's loop delivers `MqttMessage` to the first matching
//! subscription of each script and the connection changes to the handlers.
//!
//! The device itself publishes, under `<topic_prefix>` (the `mqtt` config's `topic_prefix`, else
//! the device id):
//! - with `status_ntf`: each status change as the component's full status on
//!   `<prefix>/status/<key>` (retained), and every changed status field as a datapoint on
//!   `<prefix>/dp/<key>/<field>[/<subfield>]` (retained, the JSON value), so that one wildcard
//!   subscription `<prefix>/dp/#` follows them all (datapoint names as in [`crate::datapoints`]);
//! - with `rpc_ntf`: `NotifyStatus` and `NotifyEvent` frames on `<prefix>/events/rpc`, as Shelly
//!   devices do.
//!
//! Every `MQTT.publish` and `Cloud.store` is also reported as `NotifyTelemetry` to the
//! transports' followers (an IDE drawing charts), with or without a broker.
//!
//! [`Mqtt`]: crate::board::Mqtt

use alloc::collections::VecDeque;

use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use ferrite_collections::SortedMap;

use ferrite_engine::{Value, Vm};

use crate::api::description::ApiEntry;
use crate::board::{BoardError, BoardEvent, BoardResult};
use crate::device::{Device, DeviceEvent, TelemetrySource};
use crate::host::{ctx, pin_function, pin_optional_function, pin_userdata, string_arg, unpin_all};
use crate::json::{json, Json};
use crate::log::Level;
use crate::mqtt_topic::valid_filter;
use crate::rpc::{Origin, RpcReply};
use crate::script::{Arg, Listener, ListenerKind, ScriptState, NO_PIN};

type R = Result<Value, Value>;

/// What the device keeps about MQTT: how many users (scripts, the device's own RPC topic) each
/// topic filter has, and the RPC requests that came over MQTT.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MqttShared {
    filters: SortedMap<String, u32>,
    /// The device's own RPC request topic (`<prefix>/rpc`), once subscribed.
    rpc_topic: Option<String>,
    /// RPC requests received, waiting for the loop ([`serve_rpc`]).
    rpc_inbox: VecDeque<MqttRpcRequest>,
    /// Requests answered later: RPC token → (request id, requester).
    rpc_pending: SortedMap<u32, (Json, String)>,
}

/// An RPC request frame received on `<prefix>/rpc`.
#[derive(Clone, Debug, PartialEq)]
struct MqttRpcRequest {
    id: Json,
    src: String,
    method: String,
    params: Json,
}

/// RPC requests waiting at most (more are dropped, with a log line).
const RPC_INBOX: usize = 16;

impl MqttShared {
    /// How many users subscribe `filter`.
    pub fn users(&self, filter: &str) -> u32 {
        self.filters.get(filter).copied().unwrap_or(0)
    }
}

/// A script starts using `filter`: the board subscribes when it is the first.
pub fn acquire_filter(d: &mut Device, filter: &str) -> BoardResult<()> {
    if d.mqtt.users(filter) == 0 {
        let Some(m) = d.board.mqtt() else {
            return Err(BoardError::Unsupported("MQTT"));
        };
        m.subscribe(filter)?;
    }
    *d.mqtt.filters.get_or_insert_with(filter.into(), || 0) += 1;
    Ok(())
}

/// A script stops using `filter`: the board unsubscribes when it was the last.
pub fn release_filter(d: &mut Device, filter: &str) {
    let n = d.mqtt.users(filter);
    if n <= 1 {
        d.mqtt.filters.remove(filter);
        if let Some(m) = d.board.mqtt() {
            m.unsubscribe(filter);
        }
    } else {
        d.mqtt.filters.insert(filter.into(), n - 1);
    }
}

/// The prefix of the device's own topics.
pub fn topic_prefix(d: &Device) -> String {
    d.components
        .mqtt
        .topic_prefix
        .clone()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| d.info.id.clone())
}

/// Is MQTT usable by scripts: `Err` says why not.
fn available(d: &mut Device) -> Result<(), &'static str> {
    if d.board.mqtt().is_none() {
        return Err("MQTT is not available on this device");
    }
    if !d.components.mqtt.enable {
        return Err("MQTT is disabled");
    }
    Ok(())
}

/// `MQTT.isConnected()`.
fn is_connected(vm: &mut Vm, _this: Value, _args: &[Value]) -> R {
    let host = ctx(vm)?;
    let mut d = host.device.borrow_mut();
    let enabled = d.components.mqtt.enable;
    let up = d.board.mqtt().is_some_and(|m| m.status().connected);
    Ok(Value::bool(enabled && up))
}

/// `MQTT.subscribe(topic, callback[, userdata])`.
fn subscribe(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let filter: String = string_arg(vm, args, 0, "MQTT.subscribe: topic")?;
    if !vm.is_callable(Vm::arg(args, 1)) {
        return Err(vm.type_error("MQTT.subscribe: callback must be a function"));
    }
    if !valid_filter(&filter) {
        return Err(vm.type_error(&format!(
            "MQTT.subscribe: {filter:?} is not a valid topic filter"
        )));
    }
    let host = ctx(vm)?;
    let limit = {
        let mut d = host.device.borrow_mut();
        if let Err(why) = available(&mut d) {
            drop(d);
            return Err(crate::host::board_error(
                vm,
                &format!("MQTT.subscribe: {why}"),
            ));
        }
        d.limits.mqtt_subscriptions
    };
    let cb = pin_function(vm, args, 1, "MQTT.subscribe: callback")?;
    let ud = pin_userdata(vm, args, 2);
    let mut st = host.state.borrow_mut();
    // The same filter again: replace the callback and user data.
    if let Some(l) = st
        .listeners
        .iter_mut()
        .find(|l| matches!(&l.kind, ListenerKind::MqttSubscription { filter: f } if *f == filter))
    {
        let old = l.clone();
        l.callback = cb;
        l.userdata = ud;
        // Also cancels the old callback's queued calls (its pin is released and may be reused).
        st.release_pins(&old);
        return Ok(Value::UNDEFINED);
    }
    let r = st.add_listener(
        ListenerKind::MqttSubscription {
            filter: filter.clone(),
        },
        cb,
        ud,
        NO_PIN,
        limit,
    );
    let handle = match r {
        Ok(h) => h,
        Err(msg) => {
            drop(st);
            unpin_all(vm, &[cb, ud]);
            return Err(vm.range_error(&format!("MQTT.subscribe: {msg}")));
        }
    };
    drop(st);
    let r = acquire_filter(&mut host.device.borrow_mut(), &filter);
    if let Err(e) = r {
        host.state.borrow_mut().remove_listener(handle, |_| true);
        return Err(crate::host::board_error(
            vm,
            &format!("MQTT.subscribe: {e}"),
        ));
    }
    Ok(Value::UNDEFINED)
}

/// `MQTT.unsubscribe(topic)`: true if this script had subscribed `topic`.
fn unsubscribe(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let filter: String = string_arg(vm, args, 0, "MQTT.unsubscribe: topic")?;
    let host = ctx(vm)?;
    let handle = host
        .state
        .borrow()
        .listeners
        .iter()
        .find_map(|l| match &l.kind {
            ListenerKind::MqttSubscription { filter: f } if *f == filter => Some(l.handle),
            _ => None,
        });
    let Some(handle) = handle else {
        return Ok(Value::FALSE);
    };
    host.state.borrow_mut().remove_listener(handle, |_| true);
    release_filter(&mut host.device.borrow_mut(), &filter);
    Ok(Value::TRUE)
}

/// `MQTT.publish(topic, message[, qos[, retain]])`: true if queued, false if not connected.
fn publish(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let topic: String = string_arg(vm, args, 0, "MQTT.publish: topic")?;
    if topic.is_empty() || topic.contains(['+', '#']) {
        return Err(vm.type_error(&format!(
            "MQTT.publish: {topic:?} is not a valid topic (empty or wildcards)"
        )));
    }
    if !Vm::arg(args, 1).is_string() {
        return Err(vm.type_error("MQTT.publish: message must be a string"));
    }
    let message: Vec<u8> = vm.arg_as(args, 1)?;
    let q = Vm::arg(args, 2);
    let qos = if q.is_nullish() {
        0
    } else {
        match q.as_number() {
            Some(n) if n == 0.0 || n == 1.0 || n == 2.0 => n as u8,
            _ => return Err(vm.range_error("MQTT.publish: qos must be 0, 1 or 2")),
        }
    };
    let retain = vm.to_boolean(Vm::arg(args, 3));
    let host = ctx(vm)?;
    let mut d = host.device.borrow_mut();
    // Followers (an IDE) see what the script publishes, with or without a broker.
    let value = crate::device::telemetry_payload_value(&message);
    d.telemetry(host.id, TelemetrySource::Mqtt, &topic, value);
    if available(&mut d).is_err() {
        return Ok(Value::FALSE);
    }
    let ok = d
        .board
        .mqtt()
        .is_some_and(|m| m.publish(&topic, &message, qos, retain));
    Ok(Value::bool(ok))
}

/// `MQTT.setConnectHandler` / `setDisconnectHandler`: one of each per script, replaced.
fn set_handler(vm: &mut Vm, args: &[Value], kind: ListenerKind, name: &str) -> R {
    if !vm.is_callable(Vm::arg(args, 0)) {
        return Err(vm.type_error(&format!("{name}: callback must be a function")));
    }
    let cb = pin_function(vm, args, 0, name)?;
    let ud = pin_userdata(vm, args, 1);
    let host = ctx(vm)?;
    let mut st = host.state.borrow_mut();
    let old: Vec<u32> = st
        .listeners
        .iter()
        .filter(|l| l.kind == kind)
        .map(|l| l.handle)
        .collect();
    for h in old {
        st.remove_listener(h, |_| true);
    }
    // At most one connect and one disconnect handler exist: no limit can be reached.
    if let Err(msg) = st.add_listener(kind, cb, ud, NO_PIN, usize::MAX) {
        drop(st);
        unpin_all(vm, &[cb, ud]);
        return Err(vm.range_error(&format!("{name}: {msg}")));
    }
    Ok(Value::UNDEFINED)
}

fn set_connect_handler(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    set_handler(
        vm,
        args,
        ListenerKind::MqttConnect,
        "MQTT.setConnectHandler",
    )
}

fn set_disconnect_handler(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    set_handler(
        vm,
        args,
        ListenerKind::MqttDisconnect,
        "MQTT.setDisconnectHandler",
    )
}

/// `Cloud.store(name, value[, options])` (Smart.js): publish the metric as JSON
/// `{name, value, ts, labels?}` on `<prefix>/metrics/<name>`. `options.labels` is an object of
/// labels; `options.cb` (or `options.callback`) is called later with `true` if the metric was
/// queued for the broker, `false` if not (MQTT disabled or disconnected).
fn cloud_store(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let name: String = string_arg(vm, args, 0, "Cloud.store: name")?;
    if name.is_empty() || name.contains(['+', '#', '\0']) {
        return Err(vm.type_error(&format!("Cloud.store: {name:?} is not a valid metric name")));
    }
    let value = crate::json::from_js(vm, Vm::arg(args, 1))?;
    let opts = Vm::arg(args, 2);
    let mut labels = None;
    let mut cb = NO_PIN;
    if opts.is_object() {
        let k = vm.key("labels");
        let l = vm.get(opts, k)?;
        if !l.is_nullish() {
            if !l.is_object() {
                return Err(vm.type_error("Cloud.store: options.labels must be an object"));
            }
            labels = Some(crate::json::from_js(vm, l)?);
        }
        for key in ["cb", "callback"] {
            let k = vm.key(key);
            let f = vm.get(opts, k)?;
            if !f.is_nullish() {
                cb = pin_optional_function(vm, &[f], 0, "Cloud.store: options.cb")?;
                break;
            }
        }
    } else if !opts.is_nullish() {
        return Err(vm.type_error("Cloud.store: options must be an object"));
    }
    let host = ctx(vm)?;
    let ok = {
        let mut d = host.device.borrow_mut();
        let shown = crate::device::telemetry_cloud_value(&value);
        d.telemetry(host.id, TelemetrySource::Cloud, &name, shown);
        let mut doc = json!({"name": name, "value": value, "ts": d.ts()});
        if let Some(l) = labels {
            doc["labels"] = l;
        }
        let topic = format!("{}/metrics/{name}", topic_prefix(&d));
        available(&mut d).is_ok()
            && d.board
                .mqtt()
                .is_some_and(|m| m.publish(&topic, &crate::json::to_vec(&doc), 0, false))
    };
    if cb != NO_PIN {
        let limit = host.device.borrow().limits.job_queue;
        let l = Listener {
            handle: 0,
            kind: ListenerKind::Other("Cloud.store callbacks"),
            callback: cb,
            userdata: NO_PIN,
            this: NO_PIN,
        };
        host.state
            .borrow_mut()
            .call_listener(&l, alloc::vec![Arg::Bool(ok)], limit, true);
    }
    Ok(Value::UNDEFINED)
}

pub fn install(vm: &mut Vm) {
    vm.define_native_path("MQTT.isConnected", 0, is_connected);
    vm.define_native_path("MQTT.subscribe", 3, subscribe);
    vm.define_native_path("MQTT.unsubscribe", 1, unsubscribe);
    vm.define_native_path("MQTT.publish", 4, publish);
    vm.define_native_path("MQTT.setConnectHandler", 2, set_connect_handler);
    vm.define_native_path("MQTT.setDisconnectHandler", 2, set_disconnect_handler);
    vm.define_native_path("Cloud.store", 3, cloud_store);
}

/// Board events this family handles (never consumed: messages and connection changes are
/// routed to scripts by the runtime's core). On connection the device subscribes its RPC topic
/// `<prefix>/rpc`; requests arriving there are queued for [`serve_rpc`].
pub fn route_board_event(
    device: &Rc<RefCell<Device>>,
    _scripts: &[Rc<RefCell<ScriptState>>],
    event: &BoardEvent,
    _queue_limit: usize,
) -> bool {
    match event {
        BoardEvent::MqttConnected => {
            let mut d = device.borrow_mut();
            let topic = format!("{}/rpc", topic_prefix(&d));
            if d.mqtt.rpc_topic.as_deref() != Some(topic.as_str()) {
                if let Some(old) = d.mqtt.rpc_topic.take() {
                    release_filter(&mut d, &old);
                }
                match acquire_filter(&mut d, &topic) {
                    Ok(()) => d.mqtt.rpc_topic = Some(topic),
                    Err(e) => d.log(Level::Warn, 0, format!("MQTT: subscribing {topic}: {e}")),
                }
            }
        }
        BoardEvent::MqttMessage { topic, payload } => {
            let mut d = device.borrow_mut();
            if d.mqtt.rpc_topic.as_deref() != Some(topic.as_str()) {
                return false;
            }
            match parse_request(payload) {
                Ok(req) if d.mqtt.rpc_inbox.len() < RPC_INBOX => d.mqtt.rpc_inbox.push_back(req),
                Ok(req) => d.log(
                    Level::Warn,
                    0,
                    format!("MQTT RPC: too many requests, {} dropped", req.method),
                ),
                Err(e) => d.log(Level::Warn, 0, format!("MQTT RPC on {topic}: {e}")),
            }
        }
        _ => {}
    }
    false
}

/// An RPC request frame `{id, src, method, params?}`.
fn parse_request(payload: &[u8]) -> Result<MqttRpcRequest, String> {
    let j: Json = crate::json::parse(payload).map_err(|e| format!("not a JSON frame: {e}"))?;
    let method: String = j["method"]
        .as_str()
        .ok_or("the frame has no method")?
        .into();
    let src: String = j["src"]
        .as_str()
        .filter(|s| !s.is_empty() && !s.contains(['+', '#']))
        .ok_or("the frame has no usable src to answer to")?
        .into();
    Ok(MqttRpcRequest {
        id: j["id"].clone(),
        src,
        method,
        params: j["params"].clone(),
    })
}

/// RPC requests over MQTT waiting for their answer at once; beyond, requests are answered
/// with -107 without running.
pub const MAX_PENDING_RPC: usize = 16;

/// Run the RPC requests that came over MQTT (called by the loop every round); answers go to
/// `<src>/rpc` now, or when they come ([`take_rpc_answer`]).
pub fn serve_rpc(rt: &mut crate::Runtime) {
    loop {
        let dev = rt.device();
        let req = dev.borrow_mut().mqtt.rpc_inbox.pop_front();
        let Some(req) = req else { break };
        if dev.borrow().mqtt.rpc_pending.len() >= MAX_PENDING_RPC {
            let e = crate::rpc::RpcError::new(
                crate::rpc::code::RESOURCE_EXHAUSTED,
                format!("at most {MAX_PENDING_RPC} RPC requests over MQTT may wait for an answer"),
            );
            answer(&dev, &req.id, &req.src, &Err(e));
            continue;
        }
        match rt.rpc(&req.method, req.params, Origin::Transport) {
            RpcReply::Done(r) => answer(&dev, &req.id, &req.src, &r),
            RpcReply::Pending(token) => {
                dev.borrow_mut()
                    .mqtt
                    .rpc_pending
                    .insert(token, (req.id, req.src));
            }
        }
    }
}

/// The answer to a pending RPC call: published if the request came over MQTT (returns
/// whether it did).
pub fn take_rpc_answer(
    device: &Rc<RefCell<Device>>,
    token: u32,
    result: &Result<Json, crate::rpc::RpcError>,
) -> bool {
    let who = device.borrow_mut().mqtt.rpc_pending.remove(&token);
    match who {
        Some((id, src)) => {
            answer(device, &id, &src, result);
            true
        }
        None => false,
    }
}

/// Publish the response frame of request `id` on `<src>/rpc`.
fn answer(
    device: &Rc<RefCell<Device>>,
    id: &Json,
    src: &str,
    result: &Result<Json, crate::rpc::RpcError>,
) {
    let mut d = device.borrow_mut();
    let mut frame = crate::rpc::response_frame(id, &d.info.id, result);
    frame["dst"] = json!(src);
    let topic = format!("{src}/rpc");
    let sent = d
        .board
        .mqtt()
        .is_some_and(|m| m.publish(&topic, &crate::json::to_vec(&frame), 0, false));
    if !sent {
        d.log(
            Level::Warn,
            0,
            format!("MQTT RPC: the answer to {src} could not be sent"),
        );
    }
}

/// Publish the device's status changes and events (see the module documentation).
pub fn on_device_event(device: &Rc<RefCell<Device>>, event: &DeviceEvent) {
    let (enabled, status_ntf, rpc_ntf, prefix, src, ts) = {
        let d = device.borrow();
        let c = &d.components.mqtt;
        (
            c.enable,
            c.status_ntf,
            c.rpc_ntf,
            topic_prefix(&d),
            d.info.id.clone(),
            d.ts(),
        )
    };
    if !enabled || !(status_ntf || rpc_ntf) {
        return;
    }
    let mut out: Vec<(String, Vec<u8>, bool)> = Vec::new();
    match event {
        DeviceEvent::Status { key, delta } => {
            if status_ntf {
                let (kind, id) = crate::components::parse_key(key);
                if let Some(full) = crate::runtime::component_status(device, kind, id) {
                    out.push((
                        format!("{prefix}/status/{key}"),
                        crate::json::to_vec(&full),
                        true,
                    ));
                }
                let mut points = Vec::new();
                crate::datapoints::flatten(key, delta, &mut points);
                for (path, v) in points {
                    out.push((format!("{prefix}/dp/{path}"), crate::json::to_vec(&v), true));
                }
            }
            if rpc_ntf {
                let mut params = json!({"ts": ts});
                params[key.as_str()] = delta.clone();
                out.push((
                    format!("{prefix}/events/rpc"),
                    notify_frame(&src, &prefix, "NotifyStatus", params),
                    false,
                ));
            }
        }
        DeviceEvent::Event(e) => {
            if rpc_ntf {
                let params = json!({"ts": ts, "events": [e]});
                out.push((
                    format!("{prefix}/events/rpc"),
                    notify_frame(&src, &prefix, "NotifyEvent", params),
                    false,
                ));
            }
        }
    }
    let mut d = device.borrow_mut();
    if let Some(m) = d.board.mqtt() {
        for (topic, payload, retain) in out {
            m.publish(&topic, &payload, 0, retain);
        }
    }
}

/// A notification frame as Shelly devices publish it on `<prefix>/events/rpc`.
fn notify_frame(src: &str, prefix: &str, method: &str, params: Json) -> Vec<u8> {
    crate::json::to_vec(&json!({
        "src": src, "dst": format!("{prefix}/events"), "method": method, "params": params,
    }))
}

/// What this family offers scripts.
pub fn describe() -> Vec<ApiEntry> {
    let e = |path, signature, doc, family| ApiEntry {
        path,
        signature,
        doc,
        family,
    };
    alloc::vec![
        e(
            "MQTT.isConnected",
            "() => boolean",
            "`true` if the device is connected to its MQTT broker.",
            "shelly"
        ),
        e(
            "MQTT.subscribe",
            "(topic: string, callback: (topic: string, message: string, userdata?: any) => void, userdata?: any) => void",
            "Subscribe to a topic filter (`+`, `#` wildcards). At most 10 per script; subscribing the same filter again replaces its callback and user data. A message goes to the first matching subscription only. Throws if MQTT is disabled, the filter is invalid or the limit is reached.",
            "shelly"
        ),
        e(
            "MQTT.unsubscribe",
            "(topic: string) => boolean",
            "Remove this script's subscription of `topic`; `false` if it had none.",
            "shelly"
        ),
        e(
            "MQTT.publish",
            "(topic: string, message: string, qos?: 0 | 1 | 2, retain?: boolean) => boolean",
            "Publish a message; `true` if queued, `false` if MQTT is disconnected (the message is dropped). QoS 2 is sent as QoS 1.",
            "shelly"
        ),
        e(
            "MQTT.setConnectHandler",
            "(callback: (userdata?: any) => void, userdata?: any) => void",
            "Called when the connection to the broker is established (replaces the previous handler).",
            "shelly"
        ),
        e(
            "MQTT.setDisconnectHandler",
            "(callback: (userdata?: any) => void, userdata?: any) => void",
            "Called when the connection to the broker is lost (replaces the previous handler).",
            "shelly"
        ),
        e(
            "Cloud.store",
            "(name: string, value: any, options?: { labels?: object, cb?: (ok: boolean) => void }) => void",
            "Store a metric: publishes `{name, value, ts, labels?}` as JSON on `<topic_prefix>/metrics/<name>`; `options.cb` is called with whether it was queued.",
            "smartjs"
        ),
    ]
}

/// The MQTT family's place in the runtime.
pub struct Family;

impl super::ApiFamily for Family {
    fn install(&self, vm: &mut Vm) {
        install(vm)
    }
    fn on_script_stopped(&self, device: &Rc<RefCell<Device>>, _id: u32, state: &ScriptState) {
        let mut d = device.borrow_mut();
        for l in &state.listeners {
            if let ListenerKind::MqttSubscription { filter } = &l.kind {
                // The board unsubscribes only when no other script uses the filter.
                release_filter(&mut d, filter);
            }
        }
    }
    fn route_board_event(
        &self,
        device: &Rc<RefCell<Device>>,
        scripts: &[Rc<RefCell<ScriptState>>],
        event: &BoardEvent,
        queue_limit: usize,
    ) -> bool {
        route_board_event(device, scripts, event, queue_limit)
    }
    fn on_device_event(&self, device: &Rc<RefCell<Device>>, event: &DeviceEvent) {
        on_device_event(device, event)
    }
}

#[cfg(test)]
mod tests {
    use crate::rpc::{Origin, RpcReply};
    use crate::sim::mqtt_loopback::{LoopbackHandle, LoopbackMqtt};
    use crate::sim::{MemStorage, SimBoard, SimSystem, VirtualClock};
    use crate::{Runtime, RuntimeConfig};
    use alloc::boxed::Box;
    use serde_json::json;

    fn rpc(rt: &mut Runtime, m: &str, p: serde_json::Value) -> serde_json::Value {
        match rt.rpc(m, p, Origin::Transport) {
            RpcReply::Done(r) => r.unwrap(),
            RpcReply::Pending(_) => panic!("pending"),
        }
    }

    /// `Script.Eval` in script `id`, run to its end.
    fn eval(rt: &mut Runtime, id: u32, code: &str) {
        let r = rt.rpc(
            "Script.Eval",
            json!({"id": id, "code": code}),
            Origin::Transport,
        );
        assert!(matches!(r, RpcReply::Pending(_)), "{r:?}");
        run(rt);
        assert!(!rt.take_rpc_done().iter().any(|(_, r)| r.is_err()));
    }

    fn run(rt: &mut Runtime) {
        for _ in 0..100 {
            if !rt.poll().busy {
                break;
            }
        }
    }

    /// A device with MQTT on a loopback broker and scripts 1.. running `codes`.
    fn device(codes: &[&str]) -> (Runtime, LoopbackHandle) {
        let net = LoopbackMqtt::new();
        let broker = net.handle();
        let board = SimBoard::new(
            Box::new(VirtualClock::new(None)),
            Box::new(MemStorage::new(1 << 20)),
            Box::new(SimSystem::new(1, [1, 2, 3, 4, 5, 6])),
        )
        .with_net(Box::new(net));
        let mut rt = Runtime::new(
            Box::new(board),
            RuntimeConfig {
                gc_stress: true,
                ..Default::default()
            },
        );
        rt.boot();
        rpc(
            &mut rt,
            "Mqtt.SetConfig",
            json!({"config": {"enable": true, "server": "loopback", "topic_prefix": "d"}}),
        );
        for (i, code) in codes.iter().enumerate() {
            let id = i + 1;
            rpc(
                &mut rt,
                "Script.Create",
                json!({"name": alloc::format!("s{id}")}),
            );
            rpc(&mut rt, "Script.PutCode", json!({"id": id, "code": code}));
            rpc(&mut rt, "Script.Start", json!({"id": id}));
        }
        run(&mut rt);
        (rt, broker)
    }

    fn filters(b: &LoopbackHandle) -> alloc::vec::Vec<alloc::string::String> {
        b.0.borrow().filters.clone()
    }

    #[test]
    fn the_board_unsubscribes_when_the_last_script_lets_go() {
        let sub = r#"MQTT.subscribe("shared/t", function (t, m) { print(m); });"#;
        let (mut rt, broker) = device(&[sub, sub]);
        // The device's own RPC topic plus the one filter both scripts use.
        assert_eq!(filters(&broker), ["d/rpc", "shared/t"]);
        eval(&mut rt, 1, "MQTT.unsubscribe('shared/t')");
        assert_eq!(
            filters(&broker),
            ["d/rpc", "shared/t"],
            "script 2 still uses it"
        );
        // Subscribing again and stopping the script releases it once, not twice.
        eval(&mut rt, 1, "MQTT.subscribe('shared/t', print)");
        rpc(&mut rt, "Script.Stop", json!({"id": 1}));
        run(&mut rt);
        assert_eq!(filters(&broker), ["d/rpc", "shared/t"]);
        rpc(&mut rt, "Script.Stop", json!({"id": 2}));
        run(&mut rt);
        assert_eq!(filters(&broker), ["d/rpc"]);
        // A script cannot take the device's RPC topic away.
        rpc(&mut rt, "Script.Start", json!({"id": 1}));
        run(&mut rt);
        eval(
            &mut rt,
            1,
            "MQTT.subscribe('d/rpc', print); MQTT.unsubscribe('d/rpc')",
        );
        assert_eq!(filters(&broker), ["d/rpc", "shared/t"]);
    }

    #[test]
    fn messages_reach_the_first_matching_subscription_of_each_script() {
        let a = r#"MQTT.subscribe("x/+", function (t, m, ud) { print("a1", t, m, ud); }, "u");
                   MQTT.subscribe("x/#", function (t, m) { print("a2", t, m); });"#;
        let b = r#"MQTT.subscribe("x/#", function (t, m) { print("b", t, m); });"#;
        let (mut rt, broker) = device(&[a, b]);
        broker.publish_from_outside("x/y", b"hi", false);
        run(&mut rt);
        let dev = rt.device();
        let d = dev.borrow();
        let lines: alloc::vec::Vec<_> = d.log.since(0).map(|l| l.text.clone()).collect();
        assert!(lines.contains(&"a1 x/y hi u".into()), "{lines:?}");
        assert!(lines.contains(&"b x/y hi".into()), "{lines:?}");
        assert!(!lines.iter().any(|l| l.starts_with("a2")), "{lines:?}");
    }

    /// Review: RPC requests over MQTT whose answer is pending are capped; the ones beyond are
    /// answered -107 at once instead of piling up in `rpc_pending`.
    #[test]
    fn review_pending_mqtt_rpc_is_capped() {
        let (mut rt, broker) = device(&["let x = 1;"]);
        broker.take_published();
        // Answers that never come (as a board request that hangs would leave them).
        let cap = super::MAX_PENDING_RPC;
        for t in 0..cap as u32 - 1 {
            rt.device()
                .borrow_mut()
                .mqtt
                .rpc_pending
                .insert(1000 + t, (json!(t), "other".into()));
        }
        let n = 4;
        for i in 0..n {
            let frame = json!({"id": i, "src": "cli", "method": "Script.Eval",
                "params": {"id": 1, "code": "x"}});
            broker.publish_from_outside("d/rpc", &serde_json::to_vec(&frame).unwrap(), false);
        }
        run(&mut rt);
        let answers: alloc::vec::Vec<serde_json::Value> = broker
            .take_published()
            .into_iter()
            .filter(|p| p.topic == "cli/rpc")
            .map(|p| serde_json::from_slice(&p.payload).unwrap())
            .collect();
        assert_eq!(answers.len(), n);
        let refused = answers
            .iter()
            .filter(|a| a["error"]["code"] == -107)
            .count();
        // One more fits (its Script.Eval answer comes later); the rest are refused.
        assert_eq!(refused, n - 1, "{answers:?}");
    }
}
