//! The MCP23017 IO provider: `new Expander({address, hz, data, clock})` (also
//! `require("embedded:provider/mcp23017")`) talks to the expander over I2C; its
//! `expander.Digital` and `expander.DigitalBank` constructors make `Digital`/`DigitalBank`
//! instances on the expander's 16 pins (0..7 port A, 8..15 port B). Inputs with `onReadable`
//! use the part's interrupt-on-change; their edges arrive as GPIO events on the virtual pins
//! of [`crate::sim::parts::expander_pin`].

use alloc::format;

use ferrite_engine::object::Key;
use ferrite_engine::{Value, Vm};

use super::digital::{construct_bank, construct_digital, CONSTANTS};
use super::{
    entry, instance, io_error, new_instance, opt_int, options, register, require_new, with_tc,
    Class, ExpanderRef, Instance, Kind,
};
use crate::api::description::ApiEntry;
use crate::api::smartjs::i2c::{board_read, board_write};
use crate::sim::parts::mcp23017::{GPINTENA, GPIOA, GPPUA, INTCONA, IODIRA, OLATA};

/// The address of an MCP23017 with A0..A2 low.
pub const DEFAULT_ADDRESS: i64 = 0x20;

/// The expander `ex` must still be open.
fn check_open(vm: &mut Vm, ex: ExpanderRef) -> Result<(), Value> {
    let open = with_tc(
        vm,
        |s| matches!(s.instances.get(&ex.owner), Some(i) if matches!(i.kind, Kind::Expander { .. })),
    )?;
    if !open {
        return Err(vm.type_error("Expander: the expander was closed"));
    }
    Ok(())
}

/// Read the 16-bit register pair at `reg` (port A in the low byte).
fn read16(vm: &mut Vm, ex: ExpanderRef, reg: u8) -> Result<u16, Value> {
    match board_read(vm, ex.bus, ex.addr, &[reg], 2)? {
        Ok(b) => Ok(u16::from_le_bytes([b[0], b[1]])),
        Err(e) => Err(io_error(
            vm,
            &format!("Expander: reading 0x{:02x} failed: {e}", ex.addr),
        )),
    }
}

fn write16(vm: &mut Vm, ex: ExpanderRef, reg: u8, v: u16) -> Result<(), Value> {
    let [lo, hi] = v.to_le_bytes();
    match board_write(vm, ex.bus, ex.addr, &[reg, lo, hi])? {
        Ok(()) => Ok(()),
        Err(e) => Err(io_error(
            vm,
            &format!("Expander: writing 0x{:02x} failed: {e}", ex.addr),
        )),
    }
}

/// Set bits `mask` of register pair `reg` to `on`.
fn modify(vm: &mut Vm, ex: ExpanderRef, reg: u8, mask: u16, on: bool) -> Result<(), Value> {
    let v = read16(vm, ex, reg)?;
    let n = if on { v | mask } else { v & !mask };
    if n != v {
        write16(vm, ex, reg, n)?;
    }
    Ok(())
}

/// Make pins `mask` outputs or inputs (with pull-ups), with interrupt-on-change if `edges`.
pub(super) fn configure(
    vm: &mut Vm,
    ex: ExpanderRef,
    mask: u16,
    output: bool,
    pullup: bool,
    edges: bool,
) -> Result<(), Value> {
    check_open(vm, ex)?;
    modify(vm, ex, GPPUA, mask, pullup)?;
    modify(vm, ex, INTCONA, mask, false)?;
    modify(vm, ex, GPINTENA, mask, edges)?;
    modify(vm, ex, IODIRA, mask, !output)
}

/// Pins `mask` of `ex` must not be used by another instance.
pub(super) fn check_pin_free(
    vm: &mut Vm,
    ex: ExpanderRef,
    mask: u16,
    class: Class,
) -> Result<(), Value> {
    let used = with_tc(vm, |s| {
        s.instances
            .values()
            .map(|i| match &i.kind {
                Kind::Digital {
                    pin,
                    expander: Some(e),
                    ..
                } if e.addr == ex.addr && e.bus == ex.bus => 1u16 << pin,
                Kind::Bank {
                    pins,
                    expander: Some(e),
                    ..
                } if e.addr == ex.addr && e.bus == ex.bus => *pins as u16,
                _ => 0,
            })
            .fold(0, |a, b| a | b)
    })? & mask;
    if used != 0 {
        return Err(io_error(
            vm,
            &format!(
                "{}: expander pin {} is in use by another instance",
                class.name(),
                used.trailing_zeros()
            ),
        ));
    }
    Ok(())
}

/// The levels GPIOA/GPIOB read.
pub(super) fn read_gpio(vm: &mut Vm, ex: ExpanderRef) -> Result<u16, Value> {
    check_open(vm, ex)?;
    read16(vm, ex, GPIOA)
}

/// Set the output latches of pins `mask` to `value`.
pub(super) fn write_olat(vm: &mut Vm, ex: ExpanderRef, mask: u16, value: u16) -> Result<(), Value> {
    check_open(vm, ex)?;
    let v = read16(vm, ex, OLATA)?;
    write16(vm, ex, OLATA, (v & !mask) | (value & mask))
}

/// The expander a provider constructor (`expander.Digital`) belongs to.
fn owner(vm: &mut Vm, class: Class) -> Result<ExpanderRef, Value> {
    require_new(vm, class)?;
    let nt = vm.new_target();
    let owner = vm.native_data(nt).as_number().unwrap_or(0.0) as u32;
    let kind = with_tc(vm, |s| s.instances.get(&owner).map(|i| i.kind.clone()))?;
    match kind {
        Some(Kind::Expander { bus, addr }) => Ok(ExpanderRef { owner, bus, addr }),
        _ => Err(vm.type_error(&format!(
            "expander.{}: the expander was closed",
            class.name()
        ))),
    }
}

fn expander_digital(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let ex = owner(vm, Class::Digital)?;
    let o = options(vm, args, Class::Digital)?;
    construct_digital(vm, o, Some(ex))
}

fn expander_bank(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let ex = owner(vm, Class::DigitalBank)?;
    let o = options(vm, args, Class::DigitalBank)?;
    construct_bank(vm, o, Some(ex))
}

/// `new Expander({address = 0x20, hz, data, clock})`.
fn construct(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let c = Class::Expander;
    require_new(vm, c)?;
    let o = options(vm, args, c)?;
    let addr = opt_int(vm, o, "address", c, false, 0x20, 0x27)?.unwrap_or(DEFAULT_ADDRESS) as u8;
    opt_int(vm, o, "hz", c, false, 1, 5_000_000)?;
    let bus = 0;
    // The part must answer (IODIRA is 0xFF after power-up, but any answer will do).
    if let Err(e) = board_read(vm, bus, addr, &[IODIRA], 1)? {
        return Err(io_error(
            vm,
            &format!("Expander: no MCP23017 answers at 0x{addr:02x}: {e}"),
        ));
    }
    let taken = with_tc(vm, |s| {
        s.instances
            .values()
            .any(|i| matches!(i.kind, Kind::Expander { addr: a, bus: b } if a == addr && b == bus))
    })?;
    if taken {
        return Err(io_error(
            vm,
            &format!("Expander: the MCP23017 at 0x{addr:02x} is in use by another Expander"),
        ));
    }
    let id = with_tc(vm, |s| s.new_id())?;
    let obj = new_instance(vm, c, id)?;
    let mark = vm.push_root(obj);
    let protos = with_tc(vm, |s| {
        (
            s.protos.get(&Class::Digital).copied(),
            s.protos.get(&Class::DigitalBank).copied(),
        )
    })?;
    for (name, f, proto) in [
        (
            "Digital",
            expander_digital as ferrite_engine::NativeFn,
            protos.0,
        ),
        ("DigitalBank", expander_bank, protos.1),
    ] {
        let ctor = vm.new_native_with(name, 1, f, true, Value::number(id as f64))?;
        vm.push_root(ctor);
        if let Some(h) = ctor.as_object() {
            let pk = vm.key("prototype");
            let p = proto.map_or(Value::UNDEFINED, |p| vm.pinned(p));
            vm.define_value(h, pk, p, 0);
            for (k, v) in CONSTANTS {
                let key: Key = vm.key(k);
                vm.define_value(
                    h,
                    key,
                    Value::number(*v),
                    ferrite_engine::object::ENUMERABLE,
                );
            }
        }
        let k = vm.key(name);
        vm.set(obj, k, ctor, true)?;
    }
    vm.truncate_roots(mark);
    let inst = Instance {
        class: c,
        kind: Kind::Expander { bus, addr },
        format: "number",
        on_readable: None,
        on_writable: None,
        on_error: None,
    };
    register(vm, obj, id, inst, &[])?;
    Ok(obj)
}

/// `expander.address`.
fn address(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    if vm.host_object(this).is_none() && super::class_of_proto(vm, this)? == Some(Class::Expander) {
        // On the prototype: the default address.
        return Ok(Value::number(DEFAULT_ADDRESS as f64));
    }
    let (_, i) = instance(vm, this, Class::Expander, "address")?;
    match i.kind {
        Kind::Expander { addr, .. } => Ok(Value::number(addr as f64)),
        _ => Ok(Value::UNDEFINED),
    }
}

pub fn install(vm: &mut Vm) {
    if let Some((_, p)) = super::define(vm, Class::Expander, construct, &[], &[]) {
        let k = vm.key("address");
        vm.define_accessor(p, k, "address", Some(address), None);
    }
}

pub const DESCRIPTION: &[ApiEntry] = &[
    entry("Expander", "new (options: { address?: number, hz?: number, data?: number, clock?: number }) => Expander & MCP23017Pins", "The MCP23017 GPIO expander on I2C (`embedded:provider/mcp23017`); address 0x20..0x27 (default 0x20)."),
    entry("Expander.prototype.address", "number", "The expander's I2C address (on the prototype, the default 0x20)."),
    entry("MCP23017Pins.prototype.Digital", "new (options: { pin: number, mode: number, edge?: number, onReadable?: (this: Digital) => void }) => Digital", "A Digital on expander pin 0..15 (modes Input, InputPullUp, Output; onReadable through interrupt-on-change)."),
    entry("MCP23017Pins.prototype.DigitalBank", "new (options: { pins: number, mode: number, rises?: number, falls?: number, onReadable?: (this: DigitalBank, triggers: number) => void }) => DigitalBank", "A DigitalBank over expander pins (bit n: pin n)."),
];
