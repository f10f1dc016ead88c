//! The script APIs, one module per family, installed into every script's realm.
//! Each module's `install` defines its globals; its natives reach the device through
//! [`crate::host::ctx`]. The hooks below let each family take the board events, device events,
//! RPC methods and components that are its own; every family module has the same hook functions.

pub mod description;
pub mod mqtt;
pub mod shelly;
pub mod shelly_extras;
pub mod smartjs;
pub mod tc53;
pub mod timer;

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use ferrite_engine::Engine;

use crate::board::BoardEvent;
use crate::device::{Device, DeviceEvent};
use crate::json::Json;
use crate::rpc::{Origin, RpcReply};
use crate::script::ScriptState;

/// Define every API global in a fresh realm.
pub fn install(engine: &mut Engine) {
    let vm = engine.vm();
    timer::install(vm);
    shelly::install(vm);
    shelly_extras::install(vm);
    mqtt::install(vm);
    smartjs::install(vm);
    tc53::install(vm);
}

/// Board events the runtime's core does not route itself (GPIO edges, sockets, HTTP client
/// answers for scripts, BLE advertisements): each API family takes what is its own.
pub fn route_board_event(
    device: &Rc<RefCell<Device>>,
    scripts: &[Rc<RefCell<ScriptState>>],
    event: &BoardEvent,
    queue_limit: usize,
) {
    let _ = mqtt::route_board_event(device, scripts, event, queue_limit)
        || shelly_extras::route_board_event(device, scripts, event, queue_limit)
        || smartjs::route_board_event(device, scripts, event, queue_limit)
        || tc53::route_board_event(device, scripts, event, queue_limit);
}

/// Every device event passes here after the core delivered it (MQTT status publishing, …).
pub fn on_device_event(device: &Rc<RefCell<Device>>, event: &DeviceEvent) {
    mqtt::on_device_event(device, event);
    shelly_extras::on_device_event(device, event);
    smartjs::on_device_event(device, event);
    tc53::on_device_event(device, event);
}

/// Status of components that API families own (virtual components, …).
pub fn extra_component_status(dev: &mut Device, kind: &str, id: Option<u32>) -> Option<Json> {
    shelly_extras::component_status(dev, kind, id)
        .or_else(|| mqtt::component_status(dev, kind, id))
        .or_else(|| smartjs::component_status(dev, kind, id))
        .or_else(|| tc53::component_status(dev, kind, id))
}

/// Config of components that API families own.
pub fn extra_component_config(dev: &Device, kind: &str, id: Option<u32>) -> Option<Json> {
    shelly_extras::component_config(dev, kind, id)
        .or_else(|| mqtt::component_config(dev, kind, id))
        .or_else(|| smartjs::component_config(dev, kind, id))
        .or_else(|| tc53::component_config(dev, kind, id))
}

/// Load what API families persist (KVS, virtual components, component configs) at boot.
pub fn load_persisted(dev: &mut Device) {
    crate::persist::load_component_configs(dev);
    shelly_extras::load_persisted(dev);
    mqtt::load_persisted(dev);
    smartjs::load_persisted(dev);
    tc53::load_persisted(dev);
}

/// RPC methods of API families (`KVS.*`, `HTTP.*`, virtual components …); `None`: not theirs.
pub fn rpc_method(
    rt: &mut crate::Runtime,
    lower: &str,
    method: &str,
    params: &Json,
    origin: Origin,
) -> Option<RpcReply> {
    shelly_extras::rpc_method(rt, lower, method, params, origin)
        .or_else(|| mqtt::rpc_method(rt, lower, method, params, origin))
        .or_else(|| smartjs::rpc_method(rt, lower, method, params, origin))
        .or_else(|| tc53::rpc_method(rt, lower, method, params, origin))
}

/// Method names the API families add, for `Shelly.ListMethods`.
pub fn extra_methods() -> Vec<&'static str> {
    let mut v = shelly_extras::extra_methods();
    v.extend(mqtt::extra_methods());
    v.extend(smartjs::extra_methods());
    v.extend(tc53::extra_methods());
    v
}

/// Persist the config of component `key` after a `SetConfig`.
pub fn save_component_config(dev: &mut Device, key: &str) {
    crate::persist::save_component_config(dev, key);
}

/// Apply `components.mqtt` to the board's MQTT client.
pub fn apply_mqtt_config(dev: &mut Device) {
    let c = dev.components.mqtt.clone();
    let id = c.client_id.clone().unwrap_or_else(|| dev.info.id.clone());
    if let Some(m) = dev.board.mqtt() {
        m.configure(
            c.enable,
            c.server.as_deref().unwrap_or(""),
            &id,
            c.user.as_deref().unwrap_or(""),
            c.pass.as_deref().unwrap_or(""),
        );
    }
}

/// Add API families' components to `Shelly.GetStatus`.
pub fn extend_full_status(dev: &mut Device, status: &mut Json) {
    shelly_extras::extend_full_status(dev, status);
    mqtt::extend_full_status(dev, status);
    smartjs::extend_full_status(dev, status);
    tc53::extend_full_status(dev, status);
}

/// Add API families' components to `Shelly.GetConfig`.
pub fn extend_full_config(dev: &Device, config: &mut Json) {
    shelly_extras::extend_full_config(dev, config);
    mqtt::extend_full_config(dev, config);
    smartjs::extend_full_config(dev, config);
    tc53::extend_full_config(dev, config);
}
