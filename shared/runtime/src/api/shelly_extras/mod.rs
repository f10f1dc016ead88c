//! Shelly APIs beyond the `Shelly` object: the key-value store (`KVS.*` RPC methods), virtual
//! components (`Virtual.*` RPC methods and the script's `Virtual` handles), `BLE.Scanner` and
//! `BLE.GAP`, `HTTPServer.registerEndpoint`, and the `HTTP.GET` / `HTTP.POST` / `HTTP.Request`
//! RPC methods — one file per feature. This file holds their shared state and the hooks
//! [`crate::api`] calls.

pub mod ble_gap;
pub mod ble_scanner;
pub mod describe;
pub mod http_client;
pub mod http_server;
pub mod kvs;
pub mod virtual_handle;
pub mod virtuals;

pub use http_server::{
    http_endpoint_request, take_http_responses, EndpointReply, EndpointRequest, EndpointResponse,
};

use alloc::rc::{Rc, Weak};
use alloc::vec::Vec;
use core::cell::RefCell;

use ferrite_engine::Vm;

use crate::board::BoardEvent;
use crate::device::Device;
use crate::host::ScriptHost;
use crate::json::Json;
use crate::rpc::{Origin, RpcReply};
use crate::script::ScriptState;

/// What this family keeps on the device (one instance, in [`Device::extras`]).
#[derive(Default)]
pub struct ExtrasState {
    pub kvs: kvs::Kvs,
    pub virtuals: virtuals::Virtuals,
    pub ble: ble_scanner::Scanner,
    pub http: http_server::HttpServerState,
    /// Every script realm started since boot, weakly: events raised outside the event loop's
    /// routing (a virtual component changed by an RPC call or another script, a scan that ended)
    /// reach the scripts' listeners through it. Dead entries are pruned as they are found.
    realms: Vec<RealmLink>,
}

/// A script realm as this family sees it.
struct RealmLink {
    id: u32,
    state: Weak<RefCell<ScriptState>>,
}

/// Per-realm values of this family, kept in the script's [`crate::script::Extensions`].
#[derive(Default)]
pub(crate) struct RealmPins {
    /// `Virtual.prototype` (handles are created with it).
    pub virtual_proto: Option<u32>,
    /// The prototype of HTTP endpoint response objects (holds `send`).
    pub response_proto: Option<u32>,
}

/// Family name under which [`RealmPins`] are kept.
pub(crate) const EXTENSION: &str = "shelly_extras";

impl ExtrasState {
    /// Live script states (pruning the dead ones): `(script id, state)`.
    pub(crate) fn live_realms(&mut self) -> Vec<(u32, Rc<RefCell<ScriptState>>)> {
        self.realms.retain(|r| r.state.strong_count() > 0);
        self.realms
            .iter()
            .filter_map(|r| r.state.upgrade().map(|s| (r.id, s)))
            .collect()
    }

    /// Is a realm of script `id` running?
    pub(crate) fn realm_alive(&self, id: u32) -> bool {
        self.realms
            .iter()
            .any(|r| r.id == id && r.state.strong_count() > 0)
    }
}

/// Define `Virtual`, `BLE`, `HTTPServer` in a fresh realm and register the realm.
pub fn install(vm: &mut Vm) {
    let virtual_proto = virtual_handle::install(vm);
    ble_scanner::install(vm);
    ble_gap::install(vm);
    let response_proto = http_server::install(vm);
    // Realms without the runtime's host (description tests) only get the globals.
    if let Some(host) = vm.host::<ScriptHost>() {
        let vp = vm.pin(ferrite_engine::Value::object(virtual_proto));
        let rp = vm.pin(ferrite_engine::Value::object(response_proto));
        crate::host::with_state_ext(&host.state, EXTENSION, |p: &mut RealmPins| {
            p.virtual_proto = Some(vp);
            p.response_proto = Some(rp);
        });
        let mut d = host.device.borrow_mut();
        d.extras.realms.retain(|r| r.state.strong_count() > 0);
        d.extras.realms.push(RealmLink {
            id: host.id,
            state: Rc::downgrade(&host.state),
        });
    }
}

/// The pins of this family in a script's state.
pub(crate) fn realm_pins(state: &RefCell<ScriptState>) -> (Option<u32>, Option<u32>) {
    crate::host::with_state_ext(state, EXTENSION, |p: &mut RealmPins| {
        (p.virtual_proto, p.response_proto)
    })
    .unwrap_or((None, None))
}

/// Board events this family handles (BLE advertisements); true if consumed.
pub fn route_board_event(
    device: &Rc<RefCell<Device>>,
    scripts: &[Rc<RefCell<ScriptState>>],
    event: &BoardEvent,
    queue_limit: usize,
) -> bool {
    match event {
        BoardEvent::BleAdvertisement { .. } => {
            ble_scanner::on_advertisement(device, scripts, event, queue_limit);
            true
        }
        _ => false,
    }
}

/// Time-driven behaviour: scans that reached their duration, HTTP transactions that timed out.
pub fn tick(dev: &mut Device) {
    ble_scanner::tick(dev);
    http_server::tick(dev);
}

/// The earliest time [`tick`] has something to do.
pub fn next_deadline(dev: &Device) -> Option<u64> {
    let a = ble_scanner::next_deadline(dev);
    let b = http_server::next_deadline(dev);
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

pub fn rpc_method(
    rt: &mut crate::Runtime,
    lower: &str,
    method: &str,
    params: &Json,
    origin: Origin,
) -> Option<RpcReply> {
    let (service, _) = lower.split_once('.').unwrap_or((lower, ""));
    match service {
        "kvs" => {
            let dev = rt.device_ref().clone();
            let r = kvs::rpc(&mut dev.borrow_mut(), lower, method, params);
            Some(r.into())
        }
        "http" => Some(http_client::rpc(rt, lower, method, params)),
        "virtual" | "number" | "text" | "boolean" | "enum" | "button" | "group" => {
            let dev = rt.device_ref().clone();
            let r = virtuals::rpc(&dev, lower, method, params, origin);
            Some(r.into())
        }
        _ => None,
    }
}

pub fn extra_methods() -> Vec<&'static str> {
    let mut v = Vec::new();
    v.extend_from_slice(kvs::METHODS);
    v.extend_from_slice(virtuals::METHODS);
    v.extend_from_slice(http_client::METHODS);
    v
}

pub fn component_status(dev: &mut Device, kind: &str, id: Option<u32>) -> Option<Json> {
    virtuals::component_status(dev, kind, id)
}

pub fn component_config(dev: &Device, kind: &str, id: Option<u32>) -> Option<Json> {
    virtuals::component_config(dev, kind, id)
}

pub fn extend_full_status(dev: &mut Device, status: &mut Json) {
    virtuals::extend_full_status(dev, status);
}

pub fn extend_full_config(dev: &Device, config: &mut Json) {
    virtuals::extend_full_config(dev, config);
}

pub fn load_persisted(dev: &mut Device) {
    kvs::load(dev);
    virtuals::load(dev);
}

/// Does `text` match `pattern`, where `*` matches any run of characters (Shelly's `match`)?
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p = pattern.as_bytes();
    let t = text.as_bytes();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

/// The Shelly extras family's place in the runtime.
pub struct Family;

impl super::ApiFamily for Family {
    fn install(&self, vm: &mut Vm) {
        install(vm)
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
    fn rpc_method(
        &self,
        rt: &mut crate::Runtime,
        lower: &str,
        method: &str,
        params: &Json,
        origin: Origin,
    ) -> Option<RpcReply> {
        rpc_method(rt, lower, method, params, origin)
    }
    fn extra_methods(&self) -> Vec<&'static str> {
        extra_methods()
    }
    fn component_status(&self, dev: &mut Device, kind: &str, id: Option<u32>) -> Option<Json> {
        component_status(dev, kind, id)
    }
    fn component_config(&self, dev: &Device, kind: &str, id: Option<u32>) -> Option<Json> {
        component_config(dev, kind, id)
    }
    fn extend_full_status(&self, dev: &mut Device, status: &mut Json) {
        extend_full_status(dev, status)
    }
    fn extend_full_config(&self, dev: &Device, config: &mut Json) {
        extend_full_config(dev, config)
    }
    fn load_persisted(&self, dev: &mut Device) {
        load_persisted(dev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob() {
        assert!(glob_match("*", ""));
        assert!(glob_match("*", "abc"));
        assert!(glob_match("a*", "abc"));
        assert!(glob_match("*c", "abc"));
        assert!(glob_match("a*c", "abbbc"));
        assert!(glob_match("a*b*c", "axbyc"));
        assert!(!glob_match("a*b*c", "axbyd"));
        assert!(!glob_match("abc", "abcd"));
        assert!(glob_match("abc", "abc"));
        assert!(!glob_match("", "a"));
    }

    /// A runtime over `storage` (a clone shares the files: a reboot keeps them).
    fn boot(storage: &crate::sim::MemStorage) -> crate::Runtime {
        use alloc::boxed::Box;
        let board = crate::sim::SimBoard::new(
            Box::new(crate::sim::VirtualClock::new(Some(1_700_000_000_000.0))),
            Box::new(storage.clone()),
            Box::new(crate::sim::SimSystem::new(1, [1, 2, 3, 4, 5, 6])),
        );
        let mut rt = crate::Runtime::new(Box::new(board), crate::RuntimeConfig::default());
        rt.boot();
        rt
    }

    fn call(
        rt: &mut crate::Runtime,
        method: &str,
        params: Json,
    ) -> Result<Json, crate::rpc::RpcError> {
        match rt.rpc(method, params, Origin::Transport) {
            RpcReply::Done(r) => r,
            RpcReply::Pending(_) => panic!("{method} is pending"),
        }
    }

    #[test]
    fn kvs_and_virtuals_survive_a_reboot() {
        use serde_json::json;
        let storage = crate::sim::MemStorage::new(1 << 20);
        let mut rt = boot(&storage);
        let a = call(
            &mut rt,
            "KVS.Set",
            json!({"key": "a/b c", "value": {"x": 1}}),
        )
        .unwrap();
        call(&mut rt, "KVS.Set", json!({"key": "gone", "value": 1})).unwrap();
        call(&mut rt, "KVS.Delete", json!({"key": "gone"})).unwrap();
        call(
            &mut rt,
            "Virtual.Add",
            json!({"type": "number", "config": {"persisted": true, "max": 50}}),
        )
        .unwrap();
        call(
            &mut rt,
            "Virtual.Add",
            json!({"type": "text", "config": {"default_value": "d"}}),
        )
        .unwrap();
        call(&mut rt, "Virtual.Add", json!({"type": "group"})).unwrap();
        call(&mut rt, "Virtual.Add", json!({"type": "button"})).unwrap();
        call(&mut rt, "Virtual.Delete", json!({"key": "button:200"})).unwrap();
        call(&mut rt, "Number.Set", json!({"id": 200, "value": 42})).unwrap();
        call(&mut rt, "Text.Set", json!({"id": 200, "value": "not kept"})).unwrap();
        call(
            &mut rt,
            "Group.Set",
            json!({"id": 200, "value": ["number:200"]}),
        )
        .unwrap();
        drop(rt);
        let mut rt = boot(&storage);
        let got = call(&mut rt, "KVS.Get", json!({"key": "a/b c"})).unwrap();
        assert_eq!(got, json!({"etag": a["etag"], "value": {"x": 1}}));
        assert!(call(&mut rt, "KVS.Get", json!({"key": "gone"})).is_err());
        // The revision never goes back, even across a delete and a reboot.
        assert_eq!(call(&mut rt, "KVS.List", json!({})).unwrap()["rev"], 3);
        assert_eq!(
            call(&mut rt, "Sys.GetStatus", json!({})).unwrap()["kvs_rev"],
            3
        );
        let st = call(&mut rt, "Number.GetStatus", json!({"id": 200})).unwrap();
        assert_eq!(
            (st["value"].clone(), st["source"].clone()),
            (json!(42), json!("init"))
        );
        assert_eq!(
            call(&mut rt, "Number.GetConfig", json!({"id": 200})).unwrap()["max"],
            50
        );
        // Not persisted: back to the default value.
        assert_eq!(
            call(&mut rt, "Text.GetStatus", json!({"id": 200})).unwrap()["value"],
            "d"
        );
        assert_eq!(
            call(&mut rt, "Group.GetStatus", json!({"id": 200})).unwrap()["value"],
            json!(["number:200"])
        );
        assert!(call(&mut rt, "Button.GetStatus", json!({"id": 200})).is_err());
        let full = call(&mut rt, "Shelly.GetStatus", json!({})).unwrap();
        assert_eq!(full["number:200"]["value"], 42);
        let cfg = call(&mut rt, "Shelly.GetConfig", json!({})).unwrap();
        assert_eq!(cfg["text:200"]["default_value"], "d");
        let methods = call(&mut rt, "Shelly.ListMethods", json!({})).unwrap();
        assert!(methods["methods"]
            .as_array()
            .unwrap()
            .contains(&json!("KVS.GetMany")));
    }
}
