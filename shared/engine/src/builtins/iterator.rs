//! Iterator prototypes: %IteratorPrototype%, %ArrayIteratorPrototype% and
//! %StringIteratorPrototype% (strings iterate by UTF-8 character: a whole valid multi-byte
//! sequence per step, invalid bytes one at a time).

use crate::object::{IterKind, Key, ObjectKind, CONFIGURABLE, DEFAULT_FLAGS};
use crate::value::Value;
use crate::vm::Vm;

/// CreateIterResultObject(value, done).
pub fn iter_result(vm: &mut Vm, value: Value, done: bool) -> Result<Value, Value> {
    let o = vm.new_object()?;
    let h = o.as_object().unwrap();
    let vk = Key::atom(vm.names.value);
    let dk = Key::atom(vm.names.done);
    vm.define_value(h, vk, value, DEFAULT_FLAGS);
    vm.define_value(h, dk, Value::bool(done), DEFAULT_FLAGS);
    Ok(o)
}

fn return_this(_vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    Ok(this)
}

/// Length of the UTF-8 sequence starting at `b[0]` (1 for an invalid byte).
pub(crate) fn utf8_step(b: &[u8]) -> usize {
    let Some(&c0) = b.first() else { return 0 };
    let n = match c0 {
        0x00..=0x7F => return 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return 1,
    };
    if b.len() < n {
        return 1;
    }
    match core::str::from_utf8(&b[..n]) {
        Ok(_) => n,
        Err(_) => 1,
    }
}

/// Is the typed array `h` detached or out of bounds?
pub(crate) fn typed_array_out_of_bounds(vm: &Vm, h: crate::heap::Handle) -> bool {
    let ObjectKind::TypedArray {
        kind,
        buffer,
        offset,
        length,
    } = vm.heap.obj(h).kind
    else {
        return false;
    };
    match &vm.heap.obj(buffer).kind {
        ObjectKind::ArrayBuffer { data, detached } => {
            *detached || offset as usize + length as usize * kind.size() > data.len()
        }
        _ => true,
    }
}

/// %ArrayIteratorPrototype%.next
pub fn array_iterator_next(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let Some(h) = this.as_object() else {
        return Err(vm.type_error("next method called on incompatible receiver"));
    };
    let (target, index, kind, done) = match &vm.heap.obj(h).kind {
        ObjectKind::ArrayIterator {
            target,
            index,
            kind,
            done,
        } => (
            *target,
            *index,
            match kind {
                IterKind::Keys => 0,
                IterKind::Values => 1,
                IterKind::Entries => 2,
            },
            *done,
        ),
        _ => return Err(vm.type_error("next method called on incompatible receiver")),
    };
    if done {
        return iter_result(vm, Value::UNDEFINED, true);
    }
    let len: f64 = match target.as_object().map(|t| &vm.heap.obj(t).kind) {
        Some(ObjectKind::Array(a)) => a.len as f64,
        Some(ObjectKind::TypedArray { .. }) => {
            let th = target.as_object().unwrap();
            if typed_array_out_of_bounds(vm, th) {
                return Err(vm.type_error(
                    "Cannot perform %ArrayIteratorPrototype%.next on a detached ArrayBuffer",
                ));
            }
            vm.typed_length(th).unwrap_or(0) as f64
        }
        _ => {
            let lk = Key::atom(vm.names.length);
            let l = vm.get(target, lk)?;
            vm.to_length(l)?
        }
    };
    if index as f64 >= len {
        if let ObjectKind::ArrayIterator { done, target, .. } = &mut vm.heap.obj_mut(h).kind {
            *done = true;
            *target = Value::UNDEFINED;
        }
        return iter_result(vm, Value::UNDEFINED, true);
    }
    if let ObjectKind::ArrayIterator { index: i, .. } = &mut vm.heap.obj_mut(h).kind {
        *i = index.wrapping_add(1);
    }
    let result = match kind {
        0 => Value::number(index as f64),
        1 => vm.get_index(target, index)?,
        _ => {
            let v = vm.get_index(target, index)?;
            vm.new_array(alloc::vec![Value::number(index as f64), v])?
        }
    };
    iter_result(vm, result, false)
}

/// A new %StringIterator% over the string value `s`.
pub fn new_string_iterator(vm: &mut Vm, s: Value) -> Result<Value, Value> {
    vm.flatten(s);
    vm.alloc_object(
        vm.intr.string_iterator_prototype,
        ObjectKind::StringIterator {
            string: s,
            pos: 0,
            done: false,
        },
    )
}

fn string_iterator_next(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let Some(h) = this.as_object() else {
        return Err(vm.type_error("next method called on incompatible receiver"));
    };
    let (s, pos, done) = match &vm.heap.obj(h).kind {
        ObjectKind::StringIterator { string, pos, done } => (*string, *pos, *done),
        _ => return Err(vm.type_error("next method called on incompatible receiver")),
    };
    if done {
        return iter_result(vm, Value::UNDEFINED, true);
    }
    let bytes = vm.string_bytes(s);
    let p = pos as usize;
    if p >= bytes.len() {
        if let ObjectKind::StringIterator { done, .. } = &mut vm.heap.obj_mut(h).kind {
            *done = true;
        }
        return iter_result(vm, Value::UNDEFINED, true);
    }
    let n = utf8_step(&bytes[p..]).max(1);
    let chunk: alloc::vec::Vec<u8> = bytes[p..p + n].to_vec();
    if let ObjectKind::StringIterator { pos, .. } = &mut vm.heap.obj_mut(h).kind {
        *pos += n as u32;
    }
    let v = vm.new_string(&chunk)?;
    iter_result(vm, v, false)
}

pub fn install(vm: &mut Vm) {
    let ip = vm.intr.iterator_prototype.unwrap();
    let it = vm.sym.iterator;
    vm.define_symbol_method(ip, it, "[Symbol.iterator]", 0, return_this);

    let tag = Key::symbol(vm.sym.to_string_tag);
    let aip = vm.intr.array_iterator_prototype.unwrap();
    let next = vm.define_method_now(aip, "next", 0, array_iterator_next);
    vm.intr.array_iterator_next = next;
    let t = vm.intern("Array Iterator");
    vm.define_value(aip, tag, t, CONFIGURABLE);

    let sip = vm.intr.string_iterator_prototype.unwrap();
    vm.define_method(sip, "next", 0, string_iterator_next);
    let t = vm.intern("String Iterator");
    vm.define_value(sip, tag, t, CONFIGURABLE);
}
