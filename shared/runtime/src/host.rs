//! What a script's natives reach through `vm.host()`: the script's id and state and the device.
//! Natives must drop every `borrow_mut()` before calling back into JavaScript.

use alloc::format;
use alloc::rc::Rc;
use core::cell::RefCell;

use ferrite_engine::{Value, Vm};

use crate::device::Device;
use crate::script::{ScriptState, NO_PIN};

pub struct ScriptHost {
    pub id: u32,
    pub state: Rc<RefCell<ScriptState>>,
    pub device: Rc<RefCell<Device>>,
}

/// The host context of the realm a native runs in.
pub fn ctx(vm: &mut Vm) -> Result<Rc<ScriptHost>, Value> {
    vm.host::<ScriptHost>()
        .ok_or_else(|| vm.type_error("this function needs the Ferrite runtime"))
}

/// A `TypeError` with `message` (the script is aborted unless it catches it).
pub fn bad_args(vm: &mut Vm, message: &str) -> Value {
    vm.type_error(message)
}

/// Argument `i` must be a function: pin it.
pub fn pin_function(vm: &mut Vm, args: &[Value], i: usize, what: &str) -> Result<u32, Value> {
    let f = Vm::arg(args, i);
    if !vm.is_callable(f) {
        return Err(vm.type_error(&format!("{what} must be a function")));
    }
    Ok(vm.pin(f))
}

/// Argument `i` if it is a function (pinned), `NO_PIN` for `undefined`/`null`, else an error.
pub fn pin_optional_function(
    vm: &mut Vm,
    args: &[Value],
    i: usize,
    what: &str,
) -> Result<u32, Value> {
    let f = Vm::arg(args, i);
    if f.is_nullish() {
        return Ok(NO_PIN);
    }
    pin_function(vm, args, i, what)
}

/// Argument `i` as user data: pinned unless `undefined`.
pub fn pin_userdata(vm: &mut Vm, args: &[Value], i: usize) -> u32 {
    let v = Vm::arg(args, i);
    if v.is_undefined() {
        NO_PIN
    } else {
        vm.pin(v)
    }
}

/// Release pins taken by a native whose call then failed.
pub fn unpin_all(vm: &mut Vm, pins: &[u32]) {
    for p in pins {
        if *p != NO_PIN {
            vm.unpin(*p);
        }
    }
}
