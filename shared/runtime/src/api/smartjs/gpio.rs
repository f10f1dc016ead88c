//! `GPIO.setmode/read/write/setisr`. Interrupt handlers are `GpioEdge` listeners; the board is
//! asked for edges on both sides and each handler's type (edge, level, button) is applied here.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use ferrite_engine::{Value, Vm};

use super::{entry, int_arg, SmartState, EXT};
use crate::api::description::ApiEntry;
use crate::board::{Edge, PinMode, Pull};
use crate::device::Device;
use crate::host::{ctx, pin_function};
use crate::script::{Arg, ListenerKind, ScriptState, NO_PIN};

/// `GPIO.setisr` types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsrType {
    Rising,
    Falling,
    Any,
    /// Level interrupts fire when the pin reaches the level (once per transition: a handler
    /// cannot run continuously here).
    Low,
    High,
    /// A button to ground: falling edges, debounced.
    Button,
}

/// Edges of a button closer together than this are bounces.
pub const BUTTON_DEBOUNCE_MS: u64 = 50;

/// Interrupt handlers one script may have.
pub const MAX_ISRS: usize = 16;

/// One `GPIO.setisr` handler.
#[derive(Clone, Copy, Debug)]
pub struct Isr {
    pub pin: u32,
    pub kind: IsrType,
    /// When a button edge last fired (ms), for debouncing.
    pub last_ms: Option<u64>,
}

impl Isr {
    /// Does an edge to `level` at `now` call the handler?
    fn fires(&mut self, level: bool, now: u64) -> bool {
        match self.kind {
            IsrType::Rising | IsrType::High => level,
            IsrType::Falling | IsrType::Low => !level,
            IsrType::Any => true,
            IsrType::Button => {
                let quiet = self
                    .last_ms
                    .is_none_or(|t| now.saturating_sub(t) >= BUTTON_DEBOUNCE_MS);
                // Any edge restarts the quiet period, the release's too (its bounces are not
                // presses); a falling edge after a quiet period fires.
                self.last_ms = Some(now);
                !level && quiet
            }
        }
    }
}

/// A pin number the board has, from argument `i`.
fn pin_arg(vm: &mut Vm, args: &[Value], i: usize) -> Result<Option<u32>, Value> {
    let Some(p) = int_arg(args, i) else {
        return Ok(None);
    };
    let host = ctx(vm)?;
    let mut d = host.device.borrow_mut();
    let count = d.board.gpio().map_or(0, |g| g.pin_count());
    Ok((p >= 0 && (p as u64) < count as u64).then_some(p as u32))
}

/// `GPIO.setmode(pin, mode, pull)`: mode 0 in+out, 1 input, 2 output, 3 input for interrupts;
/// pull 0 none, 1 up, 2 down. `false` for bad values.
fn setmode(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let Some(pin) = pin_arg(vm, args, 0)? else {
        return Ok(Value::bool(false));
    };
    let mode = match int_arg(args, 1) {
        Some(0) => PinMode::InputOutput,
        Some(1) | Some(3) => PinMode::Input,
        Some(2) => PinMode::Output,
        _ => return Ok(Value::bool(false)),
    };
    let pull = match int_arg(args, 2) {
        _ if Vm::arg(args, 2).is_undefined() => Pull::None,
        Some(0) => Pull::None,
        Some(1) => Pull::Up,
        Some(2) => Pull::Down,
        _ => return Ok(Value::bool(false)),
    };
    let host = ctx(vm)?;
    let mut d = host.device.borrow_mut();
    let ok = d
        .board
        .gpio()
        .is_some_and(|g| g.set_mode(pin, mode, pull).is_ok());
    Ok(Value::bool(ok))
}

/// `GPIO.read(pin)` → 0 or 1 (`false` for a pin the board does not have).
fn read(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let Some(pin) = pin_arg(vm, args, 0)? else {
        return Ok(Value::bool(false));
    };
    let host = ctx(vm)?;
    let mut d = host.device.borrow_mut();
    match d.board.gpio().map(|g| g.read(pin)) {
        Some(Ok(level)) => Ok(Value::number(level as u8 as f64)),
        _ => Ok(Value::bool(false)),
    }
}

/// `GPIO.write(pin, level)` → true, or false for bad parameters.
fn write(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let Some(pin) = pin_arg(vm, args, 0)? else {
        return Ok(Value::bool(false));
    };
    let level = vm.to_boolean(Vm::arg(args, 1));
    let host = ctx(vm)?;
    let mut d = host.device.borrow_mut();
    let ok = d.board.gpio().is_some_and(|g| g.write(pin, level).is_ok());
    Ok(Value::bool(ok))
}

/// Switch the board's interrupt of each of `pins` off when no script other than `except` has
/// a GPIO edge listener (a Smart.js ISR or a TC53 edge callback) on it any more. A script
/// whose state is borrowed at the moment counts as listening (the interrupt stays on).
pub(crate) fn release_interrupts(device: &RefCell<Device>, pins: &[u32], except: Option<u32>) {
    if pins.is_empty() {
        return;
    }
    let realms = device.borrow_mut().extras.live_realms();
    let listened = |pin: u32| {
        realms.iter().any(|(id, st)| {
            Some(*id) != except
                && st.try_borrow().map_or(true, |s| {
                    s.listeners
                        .iter()
                        .any(|l| l.kind == ListenerKind::GpioEdge { pin })
                })
        })
    };
    let unused: Vec<u32> = pins.iter().copied().filter(|p| !listened(*p)).collect();
    drop(realms);
    let mut d = device.borrow_mut();
    if let Some(g) = d.board.gpio() {
        for p in unused {
            // A pin the board does not have (an expander's) has no interrupt to switch off.
            let _ = g.set_interrupt(p, Edge::None);
        }
    }
}

/// The pins a script's GPIO edge listeners watch (for [`release_interrupts`] when it ends).
pub(crate) fn edge_pins(st: &ScriptState) -> Vec<u32> {
    let mut pins: Vec<u32> = st
        .listeners
        .iter()
        .filter_map(|l| match l.kind {
            ListenerKind::GpioEdge { pin } => Some(pin),
            _ => None,
        })
        .collect();
    ferrite_collections::sort::sort(&mut pins);
    pins.dedup();
    pins
}

/// Remove script's handler of `pin`, if any.
fn remove_isr(st: &mut ScriptState, pin: u32) {
    let handles: Vec<u32> = st
        .extensions
        .get::<SmartState>(EXT)
        .map(|s| {
            let hs: Vec<u32> = s
                .isrs
                .iter()
                .filter(|(_, i)| i.pin == pin)
                .map(|(h, _)| *h)
                .collect();
            for h in &hs {
                s.isrs.remove(h);
            }
            hs
        })
        .unwrap_or_default();
    for h in handles {
        st.remove_listener(h, |k| matches!(k, ListenerKind::GpioEdge { .. }));
    }
}

/// `GPIO.setisr(pin, type, func)`: 0 removes the handler; 1 rising, 2 falling, 3 any edge,
/// 4 low level, 5 high level, 6 button. `func(pin, level)`.
fn setisr(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let Some(pin) = pin_arg(vm, args, 0)? else {
        return Ok(Value::bool(false));
    };
    let kind = match int_arg(args, 1) {
        Some(0) => None,
        Some(1) => Some(IsrType::Rising),
        Some(2) => Some(IsrType::Falling),
        Some(3) => Some(IsrType::Any),
        Some(4) => Some(IsrType::Low),
        Some(5) => Some(IsrType::High),
        Some(6) => Some(IsrType::Button),
        _ => return Ok(Value::bool(false)),
    };
    let host = ctx(vm)?;
    let Some(kind) = kind else {
        remove_isr(&mut host.state.borrow_mut(), pin);
        release_interrupts(&host.device, &[pin], None);
        return Ok(Value::bool(true));
    };
    let cb = pin_function(vm, args, 2, "GPIO.setisr: func")?;
    let ok = {
        let mut d = host.device.borrow_mut();
        match d.board.gpio() {
            Some(g) => {
                let pull = if kind == IsrType::Button {
                    Pull::Up
                } else {
                    Pull::None
                };
                let moded = if kind == IsrType::Button {
                    g.set_mode(pin, PinMode::Input, pull)
                } else {
                    Ok(())
                };
                moded.and_then(|_| g.set_interrupt(pin, Edge::Any)).is_ok()
            }
            None => false,
        }
    };
    if !ok {
        vm.unpin(cb);
        return Ok(Value::bool(false));
    }
    let mut st = host.state.borrow_mut();
    remove_isr(&mut st, pin);
    let count = st
        .extensions
        .get::<SmartState>(EXT)
        .map_or(0, |s| s.isrs.len());
    if count >= MAX_ISRS {
        drop(st);
        vm.unpin(cb);
        return Err(vm.range_error(&alloc::format!(
            "GPIO.setisr: a script may have at most {MAX_ISRS} interrupt handlers"
        )));
    }
    let r = st.add_listener(
        ListenerKind::GpioEdge { pin },
        cb,
        NO_PIN,
        NO_PIN,
        usize::MAX,
    );
    match r {
        Ok(h) => {
            if let Some(s) = st.extensions.get::<SmartState>(EXT) {
                s.isrs.insert(
                    h,
                    Isr {
                        pin,
                        kind,
                        last_ms: None,
                    },
                );
            }
            Ok(Value::bool(true))
        }
        Err(msg) => {
            drop(st);
            vm.unpin(cb);
            Err(vm.range_error(&alloc::format!("GPIO.setisr: {msg}")))
        }
    }
}

/// Call the handlers of `pin` whose type the edge to `level` satisfies.
pub(super) fn route_edge(
    device: &Rc<RefCell<Device>>,
    scripts: &[Rc<RefCell<ScriptState>>],
    pin: u32,
    level: bool,
    limit: usize,
) {
    let Ok(now) = device.try_borrow().map(|d| d.now_ms()) else {
        return;
    };
    for s in scripts {
        let mut st = s.borrow_mut();
        let fired: Vec<u32> = match st.extensions.get::<SmartState>(EXT) {
            Some(sm) => sm
                .isrs
                .iter_mut()
                .filter(|(_, i)| i.pin == pin)
                .filter_map(|(h, i)| i.fires(level, now).then_some(*h))
                .collect(),
            None => continue,
        };
        for h in fired {
            if let Some(l) = st.listeners.iter().find(|l| l.handle == h).cloned() {
                st.call_listener(
                    &l,
                    alloc::vec![Arg::Num(pin as f64), Arg::Num(level as u8 as f64)],
                    limit,
                    false,
                );
            }
        }
    }
}

pub fn install(vm: &mut Vm) {
    vm.define_native_path("GPIO.setmode", 3, setmode);
    vm.define_native_path("GPIO.read", 1, read);
    vm.define_native_path("GPIO.write", 2, write);
    vm.define_native_path("GPIO.setisr", 3, setisr);
}

pub const DESCRIPTION: &[ApiEntry] = &[
    entry(
        "GPIO.setmode",
        "(pin: number, mode: 0 | 1 | 2 | 3, pull: 0 | 1 | 2) => boolean",
        "Set a pin's mode (0 in+out, 1 input, 2 output, 3 input for interrupts) and pull (0 none, 1 up, 2 down); false for bad values.",
    ),
    entry(
        "GPIO.read",
        "(pin: number) => 0 | 1 | false",
        "The pin's level; false if the board has no such pin.",
    ),
    entry(
        "GPIO.write",
        "(pin: number, level: boolean | number) => boolean",
        "Drive an output pin; false for bad parameters.",
    ),
    entry(
        "GPIO.setisr",
        "(pin: number, type: 0 | 1 | 2 | 3 | 4 | 5 | 6, func?: (pin: number, level: number) => void) => boolean",
        "Call `func(pin, level)` on 1 rising, 2 falling, 3 any edge, 4 reaching low, 5 reaching high, 6 debounced button press; 0 removes the handler.",
    ),
];
