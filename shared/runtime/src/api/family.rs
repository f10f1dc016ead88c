//! [`ApiFamily`]: what a family of script APIs plugs into the runtime. Every hook but `install`
//! has a default that does nothing, so a family implements only what it takes part in.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use ferrite_engine::Vm;

use crate::board::BoardEvent;
use crate::device::{Device, DeviceEvent};
use crate::json::Json;
use crate::rpc::{Origin, RpcReply};
use crate::script::ScriptState;

pub trait ApiFamily: Sync {
    /// Define the family's globals in a fresh realm.
    fn install(&self, vm: &mut Vm);

    /// Take a board event that is this family's (true: consumed, no other family sees it).
    fn route_board_event(
        &self,
        _device: &Rc<RefCell<Device>>,
        _scripts: &[Rc<RefCell<ScriptState>>],
        _event: &BoardEvent,
        _queue_limit: usize,
    ) -> bool {
        false
    }

    /// Script `id` stopped (or was aborted); `state` is what it held. Release what the board
    /// keeps for it (subscriptions, interrupts) unless other scripts still use it.
    fn on_script_stopped(&self, _device: &Rc<RefCell<Device>>, _id: u32, _state: &ScriptState) {}

    /// See every device event after the core delivered it.
    fn on_device_event(&self, _device: &Rc<RefCell<Device>>, _event: &DeviceEvent) {}

    /// Answer an RPC method that is this family's (`None`: not ours).
    fn rpc_method(
        &self,
        _rt: &mut crate::Runtime,
        _lower: &str,
        _method: &str,
        _params: &Json,
        _origin: Origin,
    ) -> Option<RpcReply> {
        None
    }

    /// RPC method names the family answers, for `Shelly.ListMethods`.
    fn extra_methods(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// Status of a component the family owns.
    fn component_status(&self, _dev: &mut Device, _kind: &str, _id: Option<u32>) -> Option<Json> {
        None
    }

    /// Config of a component the family owns.
    fn component_config(&self, _dev: &Device, _kind: &str, _id: Option<u32>) -> Option<Json> {
        None
    }

    /// Add the family's components to `Shelly.GetStatus`.
    fn extend_full_status(&self, _dev: &mut Device, _status: &mut Json) {}

    /// Add the family's components to `Shelly.GetConfig`.
    fn extend_full_config(&self, _dev: &Device, _config: &mut Json) {}

    /// Load what the family persists, at boot.
    fn load_persisted(&self, _dev: &mut Device) {}
}
