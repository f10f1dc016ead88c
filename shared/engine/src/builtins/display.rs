//! Formatting values for `print`, `console.log` and the REPL (strings raw at the top level,
//! objects and arrays inspected a few levels deep, cycles cut).

use alloc::vec::Vec;

use crate::object::{Key, ObjectKind, ENUMERABLE};
use crate::value::{Kind, Value};
use crate::vm::Vm;

const MAX_DEPTH: usize = 2;
const MAX_ITEMS: usize = 100;

/// The bytes `console.log(v)` prints for one argument.
pub fn display_bytes(vm: &mut Vm, v: Value) -> Vec<u8> {
    let mut out = Vec::new();
    if v.is_string() {
        out.extend_from_slice(vm.string_bytes(v));
        return out;
    }
    let mut seen = Vec::new();
    inspect(vm, v, 0, &mut seen, &mut out);
    out
}

fn inspect(vm: &mut Vm, v: Value, depth: usize, seen: &mut Vec<Value>, out: &mut Vec<u8>) {
    match v.kind() {
        Kind::Atom(_) | Kind::String(_) => {
            out.push(b'\'');
            let b = vm.string_bytes(v).to_vec();
            for c in b {
                match c {
                    b'\'' => out.extend_from_slice(b"\\'"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    _ => out.push(c),
                }
            }
            out.push(b'\'');
        }
        Kind::Symbol(h) => {
            let d = vm.heap.symbol(h).description;
            out.extend_from_slice(b"Symbol(");
            if d.is_string() {
                out.extend_from_slice(vm.string_bytes(d));
            }
            out.push(b')');
        }
        Kind::Object(h) => inspect_object(vm, v, h, depth, seen, out),
        _ => {
            // Primitives: ToString cannot fail for these.
            if let Ok(s) = vm.to_string(v) {
                out.extend_from_slice(vm.string_bytes(s));
            }
        }
    }
}

fn inspect_object(
    vm: &mut Vm,
    v: Value,
    h: crate::heap::Handle,
    depth: usize,
    seen: &mut Vec<Value>,
    out: &mut Vec<u8>,
) {
    if seen.contains(&v) {
        out.extend_from_slice(b"[Circular]");
        return;
    }
    match &vm.heap.obj(h).kind {
        ObjectKind::Function(_) | ObjectKind::Native(_) => {
            let nk = Key::atom(vm.names.name);
            let name = vm.get_own_data(h, nk).unwrap_or(Value::UNDEFINED);
            out.extend_from_slice(b"[Function");
            if name.is_string() && vm.string_len(name) > 0 {
                out.extend_from_slice(b": ");
                out.extend_from_slice(vm.string_bytes(name));
            }
            out.push(b']');
            return;
        }
        ObjectKind::Error => {
            let sk = Key::atom(vm.names.stack);
            let s = vm.get_own_data(h, sk).unwrap_or(Value::UNDEFINED);
            if s.is_string() {
                out.extend_from_slice(vm.string_bytes(s));
            } else if let Ok(t) = vm.to_string(v) {
                out.extend_from_slice(vm.string_bytes(t));
            }
            return;
        }
        ObjectKind::Date(_) | ObjectKind::RegExp(_) => {
            if let Ok(t) = vm.to_string(v) {
                out.extend_from_slice(vm.string_bytes(t));
            }
            return;
        }
        _ => {}
    }
    let is_array = vm.is_array(v);
    if depth > MAX_DEPTH {
        out.extend_from_slice(if is_array { b"[Array]" } else { b"[Object]" });
        return;
    }
    seen.push(v);
    let keys = vm.own_keys(h).unwrap_or_default();
    let mut items: Vec<Vec<u8>> = Vec::new();
    if is_array {
        let len = vm.array_len(h);
        for i in 0..len.min(MAX_ITEMS as u32) {
            let e = vm.get_index(v, i).unwrap_or(Value::UNDEFINED);
            let mut s = Vec::new();
            inspect(vm, e, depth + 1, seen, &mut s);
            items.push(s);
        }
        if len as usize > MAX_ITEMS {
            items.push(alloc::format!("... {} more items", len as usize - MAX_ITEMS).into_bytes());
        }
    }
    for k in keys {
        if items.len() > MAX_ITEMS {
            break;
        }
        let Some(a) = k.as_atom() else { continue };
        if is_array && (a == vm.names.length || vm.atoms.array_index(a).is_some()) {
            continue;
        }
        // Flags first: a built-in method not made yet (never enumerable) stays so.
        if vm.own_enumerable(h, k) != Ok(Some(true)) {
            continue;
        }
        let Ok(Some(d)) = vm.get_own_property(h, k) else {
            continue;
        };
        let mut s = Vec::new();
        let name = vm.atom_bytes(a).to_vec();
        let plain = !name.is_empty()
            && !name[0].is_ascii_digit()
            && name
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'$' || *c >= 0x80);
        if plain {
            s.extend_from_slice(&name);
        } else {
            inspect(vm, Value::atom(a), depth + 1, seen, &mut s);
        }
        s.extend_from_slice(b": ");
        match d.value {
            Some(val) => inspect(vm, val, depth + 1, seen, &mut s),
            None => s.extend_from_slice(b"[Getter/Setter]"),
        }
        items.push(s);
    }
    let _ = ENUMERABLE;
    seen.pop();
    let (open, close): (&[u8], &[u8]) = if is_array { (b"[", b"]") } else { (b"{", b"}") };
    if items.is_empty() {
        out.extend_from_slice(open);
        out.extend_from_slice(close);
        return;
    }
    out.extend_from_slice(open);
    out.push(b' ');
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(it);
    }
    out.push(b' ');
    out.extend_from_slice(close);
}
