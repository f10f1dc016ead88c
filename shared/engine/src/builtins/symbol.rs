//! `Symbol`: the constructor, the `Symbol.for` registry, the well-known symbols and
//! `Symbol.prototype`.

use alloc::vec::Vec;

use crate::heap::{Cell, Symbol};
use crate::object::*;
use crate::value::{Kind, Value};
use crate::vm::Vm;

fn symbol_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    if !vm.new_target().is_undefined() {
        return Err(vm.type_error("Symbol is not a constructor"));
    }
    let d = Vm::arg(args, 0);
    let description = if d.is_undefined() {
        Value::UNDEFINED
    } else {
        vm.to_string(d)?
    };
    let h = vm.alloc_cell(Cell::Sym(Symbol {
        description,
        registered: false,
    }))?;
    Ok(Value::symbol(h))
}

fn symbol_for(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let key = vm.to_string(Vm::arg(args, 0))?;
    for i in 0..vm.symbol_registry.len() {
        let (k, h) = vm.symbol_registry[i];
        if vm.string_eq(k, key) {
            return Ok(Value::symbol(h));
        }
    }
    let h = vm.alloc_cell(Cell::Sym(Symbol {
        description: key,
        registered: true,
    }))?;
    vm.symbol_registry.push((key, h));
    Ok(Value::symbol(h))
}

fn symbol_key_for(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let Some(h) = Vm::arg(args, 0).as_symbol() else {
        return Err(vm.type_error("Symbol.keyFor: argument is not a symbol"));
    };
    Ok(vm
        .symbol_registry
        .iter()
        .find(|(_, s)| *s == h)
        .map(|(k, _)| *k)
        .unwrap_or(Value::UNDEFINED))
}

/// thisSymbolValue.
fn this_symbol_value(vm: &mut Vm, this: Value, method: &str) -> Result<Value, Value> {
    match this.kind() {
        Kind::Symbol(_) => return Ok(this),
        Kind::Object(h) => {
            if let ObjectKind::Symbol(s) = vm.heap.obj(h).kind {
                return Ok(s);
            }
        }
        _ => {}
    }
    Err(vm.type_error(&alloc::format!(
        "Symbol.prototype.{method} requires that 'this' be a Symbol"
    )))
}

/// SymbolDescriptiveString: `Symbol(description)`.
pub fn symbol_descriptive_string(vm: &mut Vm, sym: Value) -> Result<Value, Value> {
    let Some(h) = sym.as_symbol() else {
        return Err(vm.type_error("not a symbol"));
    };
    let d = vm.heap.symbol(h).description;
    let mut out: Vec<u8> = Vec::from(&b"Symbol("[..]);
    if d.is_string() {
        out.extend_from_slice(vm.string_bytes(d));
    }
    out.push(b')');
    vm.new_string_vec(out)
}

fn proto_to_string(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let s = this_symbol_value(vm, this, "toString")?;
    symbol_descriptive_string(vm, s)
}

fn proto_value_of(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    this_symbol_value(vm, this, "valueOf")
}

fn proto_to_primitive(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    this_symbol_value(vm, this, "[Symbol.toPrimitive]")
}

fn proto_description(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let s = this_symbol_value(vm, this, "description")?;
    let h = s.as_symbol().unwrap();
    Ok(vm.heap.symbol(h).description)
}

pub fn install(vm: &mut Vm) {
    let sp = vm.intr.symbol_prototype.expect("Symbol.prototype");
    let (ctor, _) = vm.define_class("Symbol", 0, symbol_ctor, Some(sp), None);
    vm.define_method(ctor, "for", 1, symbol_for);
    vm.define_method(ctor, "keyFor", 1, symbol_key_for);
    let s = vm.sym;
    let wk = [
        ("asyncIterator", s.async_iterator),
        ("hasInstance", s.has_instance),
        ("isConcatSpreadable", s.is_concat_spreadable),
        ("iterator", s.iterator),
        ("match", s.match_),
        ("matchAll", s.match_all),
        ("replace", s.replace),
        ("search", s.search),
        ("species", s.species),
        ("split", s.split),
        ("toPrimitive", s.to_primitive),
        ("toStringTag", s.to_string_tag),
        ("unscopables", s.unscopables),
    ];
    for (name, h) in wk {
        let k = vm.key(name);
        vm.define_value(ctor, k, Value::symbol(h), 0);
    }
    vm.define_method(sp, "toString", 0, proto_to_string);
    vm.define_method(sp, "valueOf", 0, proto_value_of);
    let dk = vm.key("description");
    vm.define_accessor(sp, dk, "description", Some(proto_description), None);
    let tp = vm.new_native("[Symbol.toPrimitive]", 1, proto_to_primitive);
    vm.define_value(sp, Key::symbol(s.to_primitive), tp, CONFIGURABLE);
    let tag = vm.intern("Symbol");
    vm.define_value(sp, Key::symbol(s.to_string_tag), tag, CONFIGURABLE);
}
