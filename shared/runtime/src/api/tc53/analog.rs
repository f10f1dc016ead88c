//! `Analog` (an ADC input) and `PWM` (a PWM output). Both have a read-only `resolution` (bits);
//! a resolution asked for in the options that differs from the board's is scaled to.

use alloc::format;

use ferrite_engine::{Value, Vm};

use super::digital::{claim, pin_count};
use super::{
    entry, instance, io_error, new_instance, opt_int, options, register, require_new, update,
    with_tc, Class, Instance, Kind,
};
use crate::api::description::ApiEntry;
use crate::host::ctx;

/// `value` of `from` bits as `to` bits.
fn scale(value: u32, from: u8, to: u8) -> u32 {
    if from == to {
        return value;
    }
    let fmax = ((1u64 << from) - 1) as f64;
    let tmax = ((1u64 << to) - 1) as f64;
    crate::num::round((value as f64) * tmax / fmax) as u32
}

/// `new Analog({pin, resolution?})`.
fn analog_construct(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let c = Class::Analog;
    require_new(vm, c)?;
    let o = options(vm, args, c)?;
    let max = pin_count(vm, c)? as i64 - 1;
    let pin = opt_int(vm, o, "pin", c, true, 0, max)?.unwrap_or(0) as u32;
    let bits = opt_int(vm, o, "resolution", c, false, 1, 16)?;
    let host = ctx(vm)?;
    let board_bits = {
        let mut d = host.device.borrow_mut();
        match d.board.adc() {
            Some(a) => match a.read(pin) {
                Ok(_) => Ok(a.resolution_bits()),
                Err(e) => Err(format!("Analog: pin {pin}: {e}")),
            },
            None => Err("Analog: the ADC is not available on this board".into()),
        }
    };
    let board_bits = board_bits.map_err(|m| io_error(vm, &m))?;
    let id = with_tc(vm, |s| s.new_id())?;
    let obj = new_instance(vm, c, id)?;
    let inst = Instance {
        class: c,
        kind: Kind::Analog {
            pin,
            bits: bits.map_or(board_bits, |b| b as u8),
            board_bits,
        },
        format: "number",
        on_readable: None,
        on_writable: None,
        on_error: None,
    };
    register(vm, obj, id, inst, &[])?;
    Ok(obj)
}

/// `analog.read()` → 0..2^resolution-1.
fn analog_read(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (_, i) = instance(vm, this, Class::Analog, "read")?;
    let Kind::Analog {
        pin,
        bits,
        board_bits,
    } = i.kind
    else {
        return Ok(Value::UNDEFINED);
    };
    let host = ctx(vm)?;
    let r = host.device.borrow_mut().board.adc().map(|a| a.read(pin));
    match r {
        Some(Ok(v)) => Ok(Value::number(scale(v, board_bits, bits) as f64)),
        Some(Err(e)) => Err(io_error(vm, &format!("Analog.prototype.read: {e}"))),
        None => Err(io_error(vm, "Analog.prototype.read: no ADC")),
    }
}

fn resolution(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let bits = match vm.host_object(this) {
        Some((t, id)) if t == Class::Analog.tag() || t == Class::Pwm.tag() => {
            with_tc(vm, |s| match s.instances.get(&id).map(|i| &i.kind) {
                Some(Kind::Analog { bits, .. }) | Some(Kind::Pwm { bits, .. }) => Some(*bits),
                _ => None,
            })?
        }
        // On a prototype: the board's resolution (what instances get by default).
        _ => match super::class_of_proto(vm, this)? {
            Some(c @ (Class::Analog | Class::Pwm)) => {
                let host = ctx(vm)?;
                let mut d = host.device.borrow_mut();
                if c == Class::Analog {
                    d.board.adc().map(|a| a.resolution_bits())
                } else {
                    d.board.pwm().map(|p| p.resolution_bits())
                }
            }
            _ => None,
        },
    };
    Ok(bits.map_or(Value::UNDEFINED, |b| Value::number(b as f64)))
}

/// The default PWM frequency.
pub const DEFAULT_HZ: i64 = 1000;

/// `new PWM({pin, hz = 1000, resolution?})`; the duty cycle starts at 0.
fn pwm_construct(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let c = Class::Pwm;
    require_new(vm, c)?;
    let o = options(vm, args, c)?;
    let max = pin_count(vm, c)? as i64 - 1;
    let pin = opt_int(vm, o, "pin", c, true, 0, max)?.unwrap_or(0) as u32;
    let hz = opt_int(vm, o, "hz", c, false, 1, 40_000_000)?.unwrap_or(DEFAULT_HZ) as u32;
    let bits = opt_int(vm, o, "resolution", c, false, 1, 16)?;
    claim(vm, 1u64.checked_shl(pin).unwrap_or(0), c)?;
    let host = ctx(vm)?;
    let board_bits = {
        let mut d = host.device.borrow_mut();
        match d.board.pwm() {
            Some(p) => match p.set(pin, hz, 0) {
                Ok(()) => Ok(p.resolution_bits()),
                Err(e) => Err(format!("PWM: pin {pin} at {hz} Hz: {e}")),
            },
            None => Err("PWM: PWM is not available on this board".into()),
        }
    };
    let board_bits = board_bits.map_err(|m| io_error(vm, &m))?;
    let id = with_tc(vm, |s| s.new_id())?;
    let obj = new_instance(vm, c, id)?;
    let inst = Instance {
        class: c,
        kind: Kind::Pwm {
            pin,
            hz,
            bits: bits.map_or(board_bits, |b| b as u8),
            board_bits,
        },
        format: "number",
        on_readable: None,
        on_writable: None,
        on_error: None,
    };
    if let Err(e) = register(vm, obj, id, inst, &[]) {
        if let Some(p) = host.device.borrow_mut().board.pwm() {
            let _ = p.stop(pin);
        }
        return Err(e);
    }
    Ok(obj)
}

/// `pwm.write(duty)`: 0..2^resolution-1.
fn pwm_write(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (id, i) = instance(vm, this, Class::Pwm, "write")?;
    let Kind::Pwm {
        pin,
        hz,
        bits,
        board_bits,
    } = i.kind
    else {
        return Ok(Value::UNDEFINED);
    };
    let max = (1u32 << bits) - 1;
    let duty = match crate::host::whole_in(Vm::arg(args, 0), 0.0, max as f64) {
        Some(n) => n as u32,
        None => {
            return Err(vm.type_error(&format!(
                "PWM.prototype.write: the duty cycle must be an integer from 0 to {max}"
            )))
        }
    };
    let host = ctx(vm)?;
    let r = host
        .device
        .borrow_mut()
        .board
        .pwm()
        .map(|p| p.set(pin, hz, scale(duty, bits, board_bits)));
    match r {
        Some(Ok(())) => {
            update(vm, id, i)?;
            Ok(Value::UNDEFINED)
        }
        Some(Err(e)) => Err(io_error(vm, &format!("PWM.prototype.write: {e}"))),
        None => Err(io_error(vm, "PWM.prototype.write: no PWM")),
    }
}

pub fn install(vm: &mut Vm) {
    for (class, ctor, methods) in [
        (
            Class::Analog,
            analog_construct as ferrite_engine::NativeFn,
            &[("read", 0, analog_read as ferrite_engine::NativeFn)][..],
        ),
        (
            Class::Pwm,
            pwm_construct,
            &[("write", 1, pwm_write as ferrite_engine::NativeFn)][..],
        ),
    ] {
        if let Some((_, p)) = super::define(vm, class, ctor, methods, &[]) {
            let k = vm.key("resolution");
            vm.define_accessor(p, k, "resolution", Some(resolution), None);
        }
    }
}

pub const DESCRIPTION: &[ApiEntry] = &[
    entry(
        "Analog",
        "new (options: { pin: number, resolution?: number }) => Analog",
        "An analog input (`embedded:io/analog`).",
    ),
    entry(
        "Analog.prototype.read",
        "() => number",
        "The reading, 0 to 2^resolution - 1.",
    ),
    entry(
        "Analog.prototype.resolution",
        "number",
        "Bits of the readings (the board's unless the options asked for others).",
    ),
    entry(
        "PWM",
        "new (options: { pin: number, hz?: number, resolution?: number }) => PWM",
        "A PWM output (`embedded:io/pwm`), 1000 Hz unless hz says otherwise; starts at 0% duty.",
    ),
    entry(
        "PWM.prototype.write",
        "(duty: number) => void",
        "Set the duty cycle, 0 to 2^resolution - 1.",
    ),
    entry(
        "PWM.prototype.resolution",
        "number",
        "Bits of the duty value write accepts.",
    ),
];

#[cfg(test)]
mod tests {
    use super::scale;

    #[test]
    fn scaling_keeps_the_ends() {
        assert_eq!(scale(4095, 12, 10), 1023);
        assert_eq!(scale(0, 12, 10), 0);
        assert_eq!(scale(2048, 12, 12), 2048);
        assert_eq!(scale(1023, 10, 16), 65535);
    }
}
