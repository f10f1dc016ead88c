//! The script APIs, one module per family, installed into every script's realm.
//! Each module's `install` defines its globals; its natives reach the device through
//! [`crate::host::ctx`]. Each family is an [`ApiFamily`] listed in [`FAMILIES`]: the functions
//! below fan the loop's board events, device events, RPC methods and components out to them.

pub mod description;
mod family;
pub mod mqtt;
mod shared_names;
pub mod shelly;
pub mod shelly_extras;
pub mod smartjs;
pub mod tc53;
pub mod timer;

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use ferrite_engine::Engine;

pub use family::ApiFamily;
pub use shared_names::RUNTIME_NAMES;

use crate::board::BoardEvent;
use crate::device::{Device, DeviceEvent};
use crate::json::Json;
use crate::rpc::{Origin, RpcReply};
use crate::script::ScriptState;

/// Every family, in the order they install and see events.
pub static FAMILIES: &[&dyn ApiFamily] = &[
    &timer::Family,
    &shelly::Family,
    &shelly_extras::Family,
    &mqtt::Family,
    &smartjs::Family,
    &tc53::Family,
];

/// The names a realm shares instead of interning them: the engine's built-ins' and the API's
/// ([`RUNTIME_NAMES`], kept up to date by `tests/shared_names.rs`).
pub const SHARED_NAMES: ferrite_engine::atoms::SharedNames =
    ferrite_engine::atoms::SharedNames::with_embedder(&RUNTIME_NAMES);

/// Define every API global in a fresh realm.
pub fn install(engine: &mut Engine) {
    let vm = engine.vm();
    for f in FAMILIES {
        f.install(vm);
    }
}

/// Board events the runtime's core does not route itself (GPIO edges, sockets, HTTP client
/// answers for scripts, BLE advertisements): the first family that takes it consumes it.
pub fn route_board_event(
    device: &Rc<RefCell<Device>>,
    scripts: &[Rc<RefCell<ScriptState>>],
    event: &BoardEvent,
    queue_limit: usize,
) {
    for f in FAMILIES {
        if f.route_board_event(device, scripts, event, queue_limit) {
            return;
        }
    }
}

/// Every device event passes here after the core delivered it (MQTT status publishing, …).
pub fn on_device_event(device: &Rc<RefCell<Device>>, event: &DeviceEvent) {
    for f in FAMILIES {
        f.on_device_event(device, event);
    }
}

/// Script `id` stopped: each family releases what the board keeps for it.
pub fn on_script_stopped(device: &Rc<RefCell<Device>>, id: u32, state: &ScriptState) {
    for f in FAMILIES {
        f.on_script_stopped(device, id, state);
    }
}

/// Status of components that API families own (virtual components, …).
pub fn extra_component_status(dev: &mut Device, kind: &str, id: Option<u32>) -> Option<Json> {
    FAMILIES
        .iter()
        .find_map(|f| f.component_status(dev, kind, id))
}

/// Config of components that API families own.
pub fn extra_component_config(dev: &Device, kind: &str, id: Option<u32>) -> Option<Json> {
    FAMILIES
        .iter()
        .find_map(|f| f.component_config(dev, kind, id))
}

/// Load what API families persist (KVS, virtual components, component configs) at boot.
pub fn load_persisted(dev: &mut Device) {
    crate::persist::load_component_configs(dev);
    for f in FAMILIES {
        f.load_persisted(dev);
    }
}

/// RPC methods of API families (`KVS.*`, `HTTP.*`, virtual components …); `None`: not theirs.
pub fn rpc_method(
    rt: &mut crate::Runtime,
    lower: &str,
    method: &str,
    params: &Json,
    origin: Origin,
) -> Option<RpcReply> {
    FAMILIES
        .iter()
        .find_map(|f| f.rpc_method(rt, lower, method, params, origin))
}

/// Method names the API families add, for `Shelly.ListMethods`.
pub fn extra_methods() -> Vec<&'static str> {
    FAMILIES.iter().flat_map(|f| f.extra_methods()).collect()
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
    for f in FAMILIES {
        f.extend_full_status(dev, status);
    }
}

/// Add API families' components to `Shelly.GetConfig`.
pub fn extend_full_config(dev: &Device, config: &mut Json) {
    for f in FAMILIES {
        f.extend_full_config(dev, config);
    }
}
