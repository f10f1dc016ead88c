//! Timers: Shelly's `Timer.set(period, repeat, callback[, userdata])` / `Timer.clear(handle)`,
//! and the Smart.js / web `setTimeout`, `setInterval`, `clearTimeout`, `clearInterval`.
//! All count against the same per-script timer limit.

use alloc::vec::Vec;

use ferrite_engine::{Value, Vm};

use crate::host::{ctx, pin_function, pin_userdata, unpin_all};
use crate::script::{ListenerKind, NO_PIN};

/// Arm a timer; returns its handle.
fn arm(vm: &mut Vm, period: f64, repeat: bool, cb: u32, ud: u32) -> Result<Value, Value> {
    let host = ctx(vm)?;
    let period = if period.is_finite() && period > 0.0 {
        period as u64
    } else {
        0
    };
    let (now, limit) = {
        let d = host.device.borrow();
        (d.now_ms(), d.limits.timers)
    };
    let r = host.state.borrow_mut().add_listener(
        ListenerKind::Timer {
            // A huge period saturates: the timer never fires (rather than overflowing).
            due_ms: now.saturating_add(period),
            period_ms: period,
            repeat,
        },
        cb,
        ud,
        NO_PIN,
        limit,
    );
    match r {
        Ok(h) => Ok(Value::number(h as f64)),
        Err(msg) => {
            unpin_all(vm, &[cb, ud]);
            Err(vm.range_error(&msg))
        }
    }
}

fn timer_set(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let period = Vm::arg(args, 0);
    if period.as_number().is_none() {
        return Err(vm.type_error("Timer.set: period must be a number of milliseconds"));
    }
    let repeat = vm.to_boolean(Vm::arg(args, 1));
    let cb = pin_function(vm, args, 2, "Timer.set: callback")?;
    let ud = pin_userdata(vm, args, 3);
    arm(vm, period.as_number().unwrap_or(0.0), repeat, cb, ud)
}

/// `Timer.clear(handle)`: true if armed and destroyed, false if no such timer, undefined if
/// the handle is not a valid handle.
fn timer_clear(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let Some(n) = crate::host::whole_in(Vm::arg(args, 0), 1.0, u32::MAX as f64) else {
        return Ok(Value::UNDEFINED);
    };
    let host = ctx(vm)?;
    let removed = host
        .state
        .borrow_mut()
        .remove_listener(n as u32, |k| matches!(k, ListenerKind::Timer { .. }));
    Ok(Value::bool(removed))
}

/// `setTimeout(cb, ms)` / `setInterval(cb, ms)` (as in Smart.js: no extra arguments).
fn set_timer(vm: &mut Vm, args: &[Value], repeat: bool) -> Result<Value, Value> {
    let ms = match Vm::arg(args, 1) {
        v if v.is_undefined() => 0.0,
        v => vm.to_number(v)?,
    };
    let cb = pin_function(vm, args, 0, "setTimeout: callback")?;
    arm(vm, ms, repeat, cb, NO_PIN)
}

fn set_timeout(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    set_timer(vm, args, false)
}

fn set_interval(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    set_timer(vm, args, true)
}

fn clear_timeout(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    timer_clear(vm, Value::UNDEFINED, args).map(|_| Value::UNDEFINED)
}

pub fn install(vm: &mut Vm) {
    vm.define_native_path("Timer.set", 4, timer_set);
    vm.define_native_path("Timer.clear", 1, timer_clear);
    vm.define_native_path("setTimeout", 2, set_timeout);
    vm.define_native_path("setInterval", 2, set_interval);
    vm.define_native_path("clearTimeout", 1, clear_timeout);
    vm.define_native_path("clearInterval", 1, clear_timeout);
}

/// Timers of a script due at `now`: (handle, repeat). The loop fires them in due order.
pub fn due(listeners: &[crate::script::Listener], now: u64) -> Vec<(u32, bool)> {
    let mut v: Vec<(u64, u32, bool)> = listeners
        .iter()
        .filter_map(|l| match l.kind {
            ListenerKind::Timer { due_ms, repeat, .. } if due_ms <= now => {
                Some((due_ms, l.handle, repeat))
            }
            _ => None,
        })
        .collect();
    ferrite_collections::sort::sort(&mut v);
    v.into_iter().map(|(_, h, r)| (h, r)).collect()
}

/// The timers family's place in the runtime.
pub struct Family;

impl super::ApiFamily for Family {
    fn install(&self, vm: &mut Vm) {
        install(vm)
    }
}
