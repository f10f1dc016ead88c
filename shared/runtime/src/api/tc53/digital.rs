//! `Digital` and `DigitalBank`, on board GPIOs or on an expander's pins (through
//! `expander.Digital` / `expander.DigitalBank`). `onReadable` runs on the configured edges;
//! for a bank it gets the mask of pins that triggered.

use alloc::format;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use ferrite_engine::{Value, Vm};

use super::{
    entry, expander, instance, io_error, new_instance, opt_callback, opt_int, options, register,
    require_new, with_tc, Class, ExpanderRef, Instance, Kind, Slot, TcState, EXT,
};
use crate::api::description::ApiEntry;
use crate::board::{Edge, PinMode, Pull};
use crate::host::ctx;
use crate::script::{Arg, ListenerKind, ScriptState};
use crate::sim::parts::expander_pin;

pub const INPUT: i64 = 0;
pub const INPUT_PULL_UP: i64 = 1;
pub const INPUT_PULL_DOWN: i64 = 2;
pub const INPUT_PULL_UP_DOWN: i64 = 3;
pub const OUTPUT: i64 = 8;
pub const OUTPUT_OPEN_DRAIN: i64 = 9;
pub const RISING: i64 = 1;
pub const FALLING: i64 = 2;

pub(crate) const CONSTANTS: &[(&str, f64)] = &[
    ("Input", INPUT as f64),
    ("InputPullUp", INPUT_PULL_UP as f64),
    ("InputPullDown", INPUT_PULL_DOWN as f64),
    ("InputPullUpDown", INPUT_PULL_UP_DOWN as f64),
    ("Output", OUTPUT as f64),
    ("OutputOpenDrain", OUTPUT_OPEN_DRAIN as f64),
    ("Rising", RISING as f64),
    ("Falling", FALLING as f64),
];

/// The board's mode and pull for a TC53 mode, or an error message.
fn board_mode(mode: i64) -> Result<(PinMode, Pull), &'static str> {
    match mode {
        INPUT => Ok((PinMode::Input, Pull::None)),
        INPUT_PULL_UP => Ok((PinMode::Input, Pull::Up)),
        INPUT_PULL_DOWN => Ok((PinMode::Input, Pull::Down)),
        INPUT_PULL_UP_DOWN => Err("InputPullUpDown is not supported on this board"),
        OUTPUT => Ok((PinMode::Output, Pull::None)),
        OUTPUT_OPEN_DRAIN => Ok((PinMode::OpenDrain, Pull::None)),
        _ => Err("mode must be one of Digital.Input, InputPullUp, InputPullDown, Output, OutputOpenDrain"),
    }
}

/// The board pins (as a mask over GPIO numbers) instances of this script already use.
fn pins_in_use(s: &TcState) -> u64 {
    let mut m = 0u64;
    for i in s.instances.values() {
        match &i.kind {
            Kind::Digital {
                pin,
                expander: None,
                ..
            }
            | Kind::Pwm { pin, .. } => m |= 1u64.checked_shl(*pin).unwrap_or(0),
            Kind::Bank {
                pins,
                expander: None,
                ..
            } => m |= *pins as u64,
            _ => {}
        }
    }
    m
}

/// Claim board pins `mask` for `class` (an error if one is taken).
pub(crate) fn claim(vm: &mut Vm, mask: u64, class: Class) -> Result<(), Value> {
    let used = with_tc(vm, |s| pins_in_use(s))? & mask;
    if used != 0 {
        return Err(io_error(
            vm,
            &format!(
                "{}: pin {} is in use by another instance",
                class.name(),
                used.trailing_zeros()
            ),
        ));
    }
    Ok(())
}

/// Number of board GPIOs (an error if the board has none).
pub(crate) fn pin_count(vm: &mut Vm, class: Class) -> Result<u32, Value> {
    let host = ctx(vm)?;
    let n = host.device.borrow_mut().board.gpio().map(|g| g.pin_count());
    n.ok_or_else(|| {
        vm.type_error(&format!(
            "{}: GPIO is not available on this board",
            class.name()
        ))
    })
}

/// Configure board pins `mask` with `mode`, with edge interrupts if `edges`.
fn configure_board(
    vm: &mut Vm,
    mask: u32,
    mode: i64,
    edges: bool,
    class: Class,
) -> Result<(), Value> {
    let (m, pull) = match board_mode(mode) {
        Ok(x) => x,
        Err(msg) => return Err(vm.type_error(&format!("{}: {msg}", class.name()))),
    };
    let host = ctx(vm)?;
    let r = {
        let mut d = host.device.borrow_mut();
        let Some(g) = d.board.gpio() else {
            drop(d);
            return Err(io_error(vm, "GPIO is not available on this board"));
        };
        (0..32).filter(|p| mask & (1 << p) != 0).try_for_each(|p| {
            g.set_mode(p, m, pull)?;
            // Edges are filtered per listener and another listener of the pin may need them,
            // so they are never switched off here.
            if edges {
                g.set_interrupt(p, Edge::Any)
            } else {
                Ok(())
            }
        })
    };
    r.map_err(|e| io_error(vm, &format!("{}: {e}", class.name())))
}

/// Configure expander pins `mask` with `mode`.
fn configure_expander(
    vm: &mut Vm,
    ex: ExpanderRef,
    mask: u16,
    mode: i64,
    edges: bool,
    class: Class,
) -> Result<(), Value> {
    let (output, pullup) = match mode {
        INPUT => (false, false),
        INPUT_PULL_UP => (false, true),
        OUTPUT => (true, false),
        _ => {
            return Err(vm.type_error(&format!(
                "{}: an MCP23017 pin is Digital.Input, Digital.InputPullUp or Digital.Output",
                class.name()
            )))
        }
    };
    expander::configure(vm, ex, mask, output, pullup, edges)
}

fn is_output(mode: i64) -> bool {
    mode == OUTPUT || mode == OUTPUT_OPEN_DRAIN
}

/// `new Digital({pin, mode, edge, onReadable})` on the board or (with `ex`) an expander.
pub(crate) fn construct_digital(
    vm: &mut Vm,
    o: Value,
    ex: Option<ExpanderRef>,
) -> Result<Value, Value> {
    let c = Class::Digital;
    let max = match ex {
        Some(_) => 15,
        // Pins are bit positions of 32-bit masks here.
        None => pin_count(vm, c)?.min(32) as i64 - 1,
    };
    let pin = opt_int(vm, o, "pin", c, true, 0, max)?.unwrap_or(0) as u32;
    let mode = opt_int(vm, o, "mode", c, true, 0, OUTPUT_OPEN_DRAIN)?.unwrap_or(0);
    let edge = opt_int(vm, o, "edge", c, false, 1, 3)?.unwrap_or(0) as u8;
    let on_readable = opt_callback(vm, o, "onReadable", c)?;
    let output = is_output(mode);
    if on_readable.is_some() && output {
        return Err(vm.type_error("Digital: an output has no onReadable"));
    }
    if on_readable.is_some() && edge == 0 {
        return Err(vm.type_error(
            "Digital: onReadable needs edge (Digital.Rising, Digital.Falling or both)",
        ));
    }
    let vpin = match ex {
        Some(e) => {
            expander::check_pin_free(vm, e, 1 << pin, c)?;
            configure_expander(vm, e, 1 << pin, mode, on_readable.is_some(), c)?;
            expander_pin(e.addr, pin)
        }
        None => {
            claim(vm, 1u64.checked_shl(pin).unwrap_or(0), c)?;
            configure_board(vm, 1 << pin, mode, on_readable.is_some(), c)?;
            pin
        }
    };
    let id = with_tc(vm, |s| s.new_id())?;
    let obj = new_instance(vm, c, id)?;
    let inst = Instance {
        class: c,
        kind: Kind::Digital {
            pin,
            vpin,
            output,
            edge,
            expander: ex,
        },
        format: "number",
        on_readable: None,
        on_writable: None,
        on_error: None,
    };
    let cbs: Vec<_> = on_readable
        .into_iter()
        .map(|f| (Slot::Readable, f, ListenerKind::GpioEdge { pin: vpin }))
        .collect();
    register(vm, obj, id, inst, &cbs)?;
    Ok(obj)
}

fn construct(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    require_new(vm, Class::Digital)?;
    let o = options(vm, args, Class::Digital)?;
    construct_digital(vm, o, None)
}

/// `new DigitalBank({pins, mode, rises, falls, onReadable})`.
pub(crate) fn construct_bank(
    vm: &mut Vm,
    o: Value,
    ex: Option<ExpanderRef>,
) -> Result<Value, Value> {
    let c = Class::DigitalBank;
    let all: i64 = match ex {
        Some(_) => 0xFFFF,
        None => {
            let n = pin_count(vm, c)?.min(32);
            ((1u64 << n) - 1) as i64
        }
    };
    let pins = opt_int(vm, o, "pins", c, true, 1, 0xFFFF_FFFF)?.unwrap_or(0);
    if pins & !all != 0 {
        return Err(vm.type_error(&format!(
            "DigitalBank: pins 0x{pins:x} includes pins this {} does not have (0x{all:x})",
            if ex.is_some() { "expander" } else { "board" }
        )));
    }
    let pins = pins as u32;
    let mode = opt_int(vm, o, "mode", c, true, 0, OUTPUT_OPEN_DRAIN)?.unwrap_or(0);
    let rises = opt_int(vm, o, "rises", c, false, 0, 0xFFFF_FFFF)?.unwrap_or(0) as u32 & pins;
    let falls = opt_int(vm, o, "falls", c, false, 0, 0xFFFF_FFFF)?.unwrap_or(0) as u32 & pins;
    let on_readable = opt_callback(vm, o, "onReadable", c)?;
    let output = is_output(mode);
    if on_readable.is_some() && output {
        return Err(vm.type_error("DigitalBank: an output has no onReadable"));
    }
    if on_readable.is_some() && rises | falls == 0 {
        return Err(vm.type_error(
            "DigitalBank: onReadable needs at least one of its pins in rises or falls",
        ));
    }
    let base = match ex {
        Some(e) => {
            expander::check_pin_free(vm, e, pins as u16, c)?;
            configure_expander(vm, e, pins as u16, mode, on_readable.is_some(), c)?;
            expander_pin(e.addr, 0)
        }
        None => {
            claim(vm, pins as u64, c)?;
            configure_board(vm, pins, mode, on_readable.is_some(), c)?;
            0
        }
    };
    let id = with_tc(vm, |s| s.new_id())?;
    let obj = new_instance(vm, c, id)?;
    let inst = Instance {
        class: c,
        kind: Kind::Bank {
            pins,
            base,
            output,
            rises,
            falls,
            expander: ex,
        },
        format: "number",
        on_readable: None,
        on_writable: None,
        on_error: None,
    };
    let cbs: Vec<_> = on_readable
        .into_iter()
        .map(|f| {
            (
                Slot::Readable,
                f,
                ListenerKind::GpioEdge {
                    pin: base + pins.trailing_zeros(),
                },
            )
        })
        .collect();
    register(vm, obj, id, inst, &cbs)?;
    Ok(obj)
}

fn construct_bank_native(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    require_new(vm, Class::DigitalBank)?;
    let o = options(vm, args, Class::DigitalBank)?;
    construct_bank(vm, o, None)
}

/// Levels of board pins `mask`.
fn read_board(vm: &mut Vm, mask: u32) -> Result<u32, Value> {
    let host = ctx(vm)?;
    let r = {
        let mut d = host.device.borrow_mut();
        match d.board.gpio() {
            Some(g) => (0..32)
                .filter(|p| mask & (1 << p) != 0)
                .try_fold(0u32, |acc, p| g.read(p).map(|l| acc | ((l as u32) << p))),
            None => Err(crate::board::BoardError::Unsupported("GPIO")),
        }
    };
    r.map_err(|e| io_error(vm, &format!("read: {e}")))
}

fn write_board(vm: &mut Vm, mask: u32, value: u32) -> Result<(), Value> {
    let host = ctx(vm)?;
    let r = {
        let mut d = host.device.borrow_mut();
        match d.board.gpio() {
            Some(g) => (0..32)
                .filter(|p| mask & (1 << p) != 0)
                .try_for_each(|p| g.write(p, value & (1 << p) != 0)),
            None => Err(crate::board::BoardError::Unsupported("GPIO")),
        }
    };
    r.map_err(|e| io_error(vm, &format!("write: {e}")))
}

/// Read `mask` (relative to the instance's pins) on the board or the expander.
fn read_mask(vm: &mut Vm, mask: u32, ex: Option<ExpanderRef>) -> Result<u32, Value> {
    match ex {
        Some(e) => Ok(expander::read_gpio(vm, e)? as u32 & mask),
        None => read_board(vm, mask),
    }
}

fn write_mask(vm: &mut Vm, mask: u32, value: u32, ex: Option<ExpanderRef>) -> Result<(), Value> {
    match ex {
        Some(e) => expander::write_olat(vm, e, mask as u16, value as u16),
        None => write_board(vm, mask, value),
    }
}

fn digital_read(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (_, i) = instance(vm, this, Class::Digital, "read")?;
    let Kind::Digital {
        pin,
        output,
        expander,
        ..
    } = i.kind
    else {
        return Ok(Value::UNDEFINED);
    };
    if output {
        return Err(vm.type_error("Digital.prototype.read: this Digital is an output"));
    }
    let v = read_mask(vm, 1 << pin, expander)?;
    Ok(Value::number((v != 0) as u8 as f64))
}

fn digital_write(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (_, i) = instance(vm, this, Class::Digital, "write")?;
    let Kind::Digital {
        pin,
        output,
        expander,
        ..
    } = i.kind
    else {
        return Ok(Value::UNDEFINED);
    };
    if !output {
        return Err(vm.type_error("Digital.prototype.write: this Digital is an input"));
    }
    let level = match Vm::arg(args, 0).as_number() {
        Some(n) if n == 0.0 || n == 1.0 => n == 1.0,
        _ => return Err(vm.type_error("Digital.prototype.write: the value must be 0 or 1")),
    };
    write_mask(vm, 1 << pin, (level as u32) << pin, expander)?;
    Ok(Value::UNDEFINED)
}

fn bank_read(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (_, i) = instance(vm, this, Class::DigitalBank, "read")?;
    let Kind::Bank {
        pins,
        output,
        expander,
        ..
    } = i.kind
    else {
        return Ok(Value::UNDEFINED);
    };
    if output {
        return Err(vm.type_error("DigitalBank.prototype.read: this DigitalBank is an output"));
    }
    let v = read_mask(vm, pins, expander)?;
    Ok(Value::number(v as f64))
}

fn bank_write(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (_, i) = instance(vm, this, Class::DigitalBank, "write")?;
    let Kind::Bank {
        pins,
        output,
        expander,
        ..
    } = i.kind
    else {
        return Ok(Value::UNDEFINED);
    };
    if !output {
        return Err(vm.type_error("DigitalBank.prototype.write: this DigitalBank is an input"));
    }
    let v =
        match crate::host::whole_in(Vm::arg(args, 0), 0.0, u32::MAX as f64) {
            Some(n) => n as u32,
            None => return Err(vm.type_error(
                "DigitalBank.prototype.write: the value must be a bit mask (an unsigned integer)",
            )),
        };
    write_mask(vm, pins, v & pins, expander)?;
    Ok(Value::UNDEFINED)
}

/// An edge of GPIO `pin` to `level`: the `onReadable` of every instance it triggers.
pub(super) fn route_edge(
    scripts: &[Rc<RefCell<ScriptState>>],
    pin: u32,
    level: bool,
    limit: usize,
) {
    for s in scripts {
        let mut st = s.borrow_mut();
        let calls: Vec<(u32, Vec<Arg>)> = match st.extensions.get::<TcState>(EXT) {
            Some(tc) => tc
                .instances
                .values()
                .filter_map(|i| {
                    let h = i.on_readable?;
                    match &i.kind {
                        Kind::Digital { vpin, edge, .. } if *vpin == pin => {
                            let hit = if level {
                                *edge as i64 & RISING != 0
                            } else {
                                *edge as i64 & FALLING != 0
                            };
                            hit.then(|| (h, Vec::new()))
                        }
                        Kind::Bank {
                            pins,
                            base,
                            rises,
                            falls,
                            ..
                        } if pin >= *base && pin - *base < 32 => {
                            let bit = 1u32 << (pin - *base);
                            let hit = pins & bit != 0
                                && if level {
                                    rises & bit != 0
                                } else {
                                    falls & bit != 0
                                };
                            hit.then(|| (h, alloc::vec![Arg::Num(bit as f64)]))
                        }
                        _ => None,
                    }
                })
                .collect(),
            None => continue,
        };
        for (h, args) in calls {
            super::call(&mut st, Some(h), args, limit);
        }
    }
}

pub fn install(vm: &mut Vm) {
    super::define(
        vm,
        Class::Digital,
        construct,
        &[("read", 0, digital_read), ("write", 1, digital_write)],
        CONSTANTS,
    );
    super::define(
        vm,
        Class::DigitalBank,
        construct_bank_native,
        &[("read", 0, bank_read), ("write", 1, bank_write)],
        CONSTANTS,
    );
}

pub const DESCRIPTION: &[ApiEntry] = &[
    entry("Digital", "new (options: { pin: number, mode: number, edge?: number, onReadable?: (this: Digital) => void }) => Digital", "A digital input or output on a GPIO (`embedded:io/digital`)."),
    entry("Digital.Input", "0", "Mode: input, floating."),
    entry("Digital.InputPullUp", "1", "Mode: input with pull-up."),
    entry("Digital.InputPullDown", "2", "Mode: input with pull-down."),
    entry("Digital.InputPullUpDown", "3", "Mode: input with both pulls (not supported on this board)."),
    entry("Digital.Output", "8", "Mode: push-pull output."),
    entry("Digital.OutputOpenDrain", "9", "Mode: open-drain output."),
    entry("Digital.Rising", "1", "Edge: 0 to 1."),
    entry("Digital.Falling", "2", "Edge: 1 to 0 (`Digital.Rising | Digital.Falling` for both)."),
    entry("DigitalBank.Input", "0", "The same as Digital.Input."),
    entry("DigitalBank.InputPullUp", "1", "The same as Digital.InputPullUp."),
    entry("DigitalBank.InputPullDown", "2", "The same as Digital.InputPullDown."),
    entry("DigitalBank.InputPullUpDown", "3", "The same as Digital.InputPullUpDown."),
    entry("DigitalBank.Output", "8", "The same as Digital.Output."),
    entry("DigitalBank.OutputOpenDrain", "9", "The same as Digital.OutputOpenDrain."),
    entry("DigitalBank.Rising", "1", "The same as Digital.Rising."),
    entry("DigitalBank.Falling", "2", "The same as Digital.Falling."),
    entry("Digital.prototype.read", "() => 0 | 1", "The input's level (inputs only)."),
    entry("Digital.prototype.write", "(value: 0 | 1) => void", "Drive the output (outputs only)."),
    entry("DigitalBank", "new (options: { pins: number, mode: number, rises?: number, falls?: number, onReadable?: (this: DigitalBank, triggers: number) => void }) => DigitalBank", "Several GPIOs as one bit mask (`embedded:io/digitalbank`); onReadable gets the pins that triggered."),
    entry("DigitalBank.prototype.read", "() => number", "Levels of the bank's pins as a bit mask (other bits 0)."),
    entry("DigitalBank.prototype.write", "(value: number) => void", "Drive the bank's pins from a bit mask."),
];
