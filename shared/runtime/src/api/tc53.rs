//! The Ecma TC53 IO classes: `Digital`, `DigitalBank`, `Analog`, `PWM`, `I2C`, `Serial`, `TCP`, `UDP`, `Listener`, `require("embedded:io/…")`.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use ferrite_engine::Vm;

use crate::board::BoardEvent;
use crate::device::{Device, DeviceEvent};
use crate::json::Json;
use crate::rpc::{Origin, RpcReply};
use crate::script::ScriptState;

pub fn install(_vm: &mut Vm) {}

/// Board events this family handles (return true if consumed).
pub fn route_board_event(
    _device: &Rc<RefCell<Device>>,
    _scripts: &[Rc<RefCell<ScriptState>>],
    _event: &BoardEvent,
    _queue_limit: usize,
) -> bool {
    false
}

pub fn on_device_event(_device: &Rc<RefCell<Device>>, _event: &DeviceEvent) {}

pub fn rpc_method(
    _rt: &mut crate::Runtime,
    _lower: &str,
    _method: &str,
    _params: &Json,
    _origin: Origin,
) -> Option<RpcReply> {
    None
}

pub fn extra_methods() -> Vec<&'static str> {
    Vec::new()
}

pub fn component_status(_dev: &mut Device, _kind: &str, _id: Option<u32>) -> Option<Json> {
    None
}

pub fn component_config(_dev: &Device, _kind: &str, _id: Option<u32>) -> Option<Json> {
    None
}

pub fn extend_full_status(_dev: &mut Device, _status: &mut Json) {}

pub fn extend_full_config(_dev: &Device, _config: &mut Json) {}

pub fn load_persisted(_dev: &mut Device) {}
