//! What a script's natives reach through `vm.host()`: the script's id and state and the device.
//! Natives must drop every `borrow_mut()` before calling back into JavaScript.

use alloc::format;
use alloc::rc::Rc;
use core::cell::RefCell;

use ferrite_engine::vm::FromJs;
use ferrite_engine::{Value, Vm};

use crate::board::Board;
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

/// Run `op` on the device's board, charging the milliseconds it took as fuel
/// ([`crate::Limits::fuel_per_board_ms`]). Every native that may block on a peripheral (a bus
/// transfer, a flash write) goes through here, so a slice stays bounded in time, not only in
/// instructions.
pub fn on_board<T>(vm: &mut Vm, op: impl FnOnce(&mut dyn Board) -> T) -> Result<T, Value> {
    let host = ctx(vm)?;
    let (r, fuel) = {
        let mut d = host.device.borrow_mut();
        let rate = d.limits.fuel_per_board_ms;
        let start = d.board.clock().now_ms();
        let r = op(&mut *d.board);
        let ms = d.board.clock().now_ms().saturating_sub(start);
        // The call returned: the device is alive, even inside a native's callback (a
        // `forEach` over bus writes), where the slice cannot end until the turn's overdraft
        // aborts the script.
        d.board.system().feed_watchdog();
        (r, ms.saturating_mul(rate))
    };
    vm.charge_fuel(fuel);
    Ok(r)
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

/// Run `f` on the per-script data `T` that family `name` keeps in the calling script's
/// [`crate::script::Extensions`] (created on first use). No JavaScript may run inside `f`.
pub fn with_ext<T: Default + 'static, R>(
    vm: &mut Vm,
    name: &'static str,
    f: impl FnOnce(&mut T) -> R,
) -> Result<R, Value> {
    let host = ctx(vm)?;
    let r = with_state_ext(&host.state, name, f);
    r.ok_or_else(|| vm.type_error(&format!("the {name} state of this script is missing")))
}

/// [`with_ext`] on a script state outside a native (`None` if `name` holds another type).
pub fn with_state_ext<T: Default + 'static, R>(
    state: &RefCell<ScriptState>,
    name: &'static str,
    f: impl FnOnce(&mut T) -> R,
) -> Option<R> {
    state.borrow_mut().extensions.get::<T>(name).map(f)
}

/// Hands out instance ids of a family's per-script table: never 0, wrapping.
#[derive(Default, Debug, Clone)]
pub struct IdGen(u32);

impl IdGen {
    /// A fresh id (never 0).
    pub fn next_id(&mut self) -> u32 {
        self.0 = self.0.wrapping_add(1).max(1);
        self.0
    }
}

/// `v` if it is a whole number in `min..=max` (finite; `None` otherwise).
pub fn whole_in(v: Value, min: f64, max: f64) -> Option<f64> {
    v.as_number()
        .filter(|n| crate::num::is_whole(*n) && *n >= min && *n <= max)
}

/// Argument `i`, which must be a string, converted (`String` lossily, `Vec<u8>` as bytes); a
/// `TypeError` "`what` must be a string" otherwise.
pub fn string_arg<T: FromJs>(
    vm: &mut Vm,
    args: &[Value],
    i: usize,
    what: &str,
) -> Result<T, Value> {
    if !Vm::arg(args, i).is_string() {
        return Err(vm.type_error(&format!("{what} must be a string")));
    }
    vm.arg_as(args, i)
}

/// An `Error` (not a `TypeError`: the arguments were fine) for a failure of the board or its
/// hardware, with the board's message.
pub fn board_error(vm: &mut Vm, message: &str) -> Value {
    vm.make_error(ferrite_engine::vm::ErrorKind::Error, message)
}
