//! `Error` and the NativeErrors (`TypeError`, `RangeError`, `SyntaxError`, `ReferenceError`,
//! `EvalError`, `URIError`), and `AggregateError`.

use alloc::vec::Vec;

use crate::heap::Handle;
use crate::object::*;
use crate::value::Value;
use crate::vm::{ErrorKind, Vm};

const KINDS: [ErrorKind; 7] = [
    ErrorKind::Error,
    ErrorKind::Type,
    ErrorKind::Range,
    ErrorKind::Syntax,
    ErrorKind::Reference,
    ErrorKind::Eval,
    ErrorKind::Uri,
];

/// Create an error object for `new.target` (or the intrinsic prototype), with `message` and
/// `options.cause`. Returns the object, rooted at `mark` (the caller truncates).
fn construct_error(
    vm: &mut Vm,
    fallback: Option<Handle>,
    name: &str,
    message: Value,
    options: Value,
) -> Result<Value, Value> {
    let nt = vm.new_target();
    let proto = if nt.is_undefined() {
        fallback
    } else {
        vm.proto_from_new_target(nt, fallback)?
    };
    let o = vm.alloc_object(proto, ObjectKind::Error)?;
    let h = o.as_object().unwrap();
    let mark = vm.push_root(o);
    let r = (|| -> Result<(), Value> {
        let mut msg_text = alloc::string::String::new();
        if !message.is_undefined() {
            let m = vm.to_string(message)?;
            let mk = Key::atom(vm.names.message);
            vm.define_value(h, mk, m, METHOD_FLAGS);
            let b = vm.string_bytes(m);
            msg_text = alloc::string::String::from_utf8_lossy(&b[..b.len().min(512)]).into_owned();
        }
        if let Some(oh) = options.as_object() {
            let ck = Key::atom(vm.names.cause);
            if vm.has_property(oh, ck)? {
                let c = vm.get(options, ck)?;
                vm.define_value(h, ck, c, METHOD_FLAGS);
            }
        }
        vm.attach_stack(h, name, &msg_text);
        Ok(())
    })();
    vm.truncate_roots(mark);
    r?;
    Ok(o)
}

fn error_ctor_kind(vm: &mut Vm, args: &[Value], kind: ErrorKind) -> Result<Value, Value> {
    let proto = vm.intr.error_prototypes[kind.index()];
    construct_error(vm, proto, kind.name(), Vm::arg(args, 0), Vm::arg(args, 1))
}

fn error_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    error_ctor_kind(vm, args, ErrorKind::Error)
}
fn type_error_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    error_ctor_kind(vm, args, ErrorKind::Type)
}
fn range_error_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    error_ctor_kind(vm, args, ErrorKind::Range)
}
fn syntax_error_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    error_ctor_kind(vm, args, ErrorKind::Syntax)
}
fn reference_error_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    error_ctor_kind(vm, args, ErrorKind::Reference)
}
fn eval_error_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    error_ctor_kind(vm, args, ErrorKind::Eval)
}
fn uri_error_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    error_ctor_kind(vm, args, ErrorKind::Uri)
}

/// The AggregateError prototype, kept in the native data of the constructor.
fn aggregate_error_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let g = vm.global_object();
    let ck = vm.key("AggregateError");
    // The prototype is found through the (non-writable) `prototype` of the global constructor.
    let ctor = vm
        .get_own_data(g.as_object().unwrap(), ck)
        .unwrap_or(Value::UNDEFINED);
    let fallback = match ctor.as_object() {
        Some(c) => vm
            .get_own_data(c, Key::atom(vm.names.prototype))
            .and_then(|p| p.as_object()),
        None => None,
    }
    .or(vm.intr.error_prototype);
    let o = construct_error(
        vm,
        fallback,
        "AggregateError",
        Vm::arg(args, 1),
        Vm::arg(args, 2),
    )?;
    let mark = vm.push_root(o);
    let r = (|| -> Result<(), Value> {
        let list = vm.iterate_to_vec(Vm::arg(args, 0))?;
        let arr = vm.new_array(list)?;
        let ek = vm.key("errors");
        vm.define_value(o.as_object().unwrap(), ek, arr, METHOD_FLAGS);
        Ok(())
    })();
    vm.truncate_roots(mark);
    r?;
    Ok(o)
}

/// `Error.prototype.toString`.
fn error_to_string(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    if !this.is_object() {
        return Err(vm.type_error("Error.prototype.toString requires that 'this' be an Object"));
    }
    let nk = Key::atom(vm.names.name);
    let name = vm.get(this, nk)?;
    let name = if name.is_undefined() {
        vm.intern("Error")
    } else {
        vm.to_string(name)?
    };
    let mark = vm.push_root(name);
    let r = (|| {
        let mk = Key::atom(vm.names.message);
        let msg = vm.get(this, mk)?;
        if msg.is_undefined() {
            Ok(Value::atom(vm.names.empty))
        } else {
            vm.to_string(msg)
        }
    })();
    vm.truncate_roots(mark);
    let msg = r?;
    if vm.string_len(name) == 0 {
        return Ok(msg);
    }
    if vm.string_len(msg) == 0 {
        return Ok(name);
    }
    let mut out: Vec<u8> = Vec::new();
    out.extend_from_slice(vm.string_bytes(name));
    out.extend_from_slice(b": ");
    out.extend_from_slice(vm.string_bytes(msg));
    vm.new_string_vec(out)
}

pub fn install(vm: &mut Vm) {
    let ctors: [crate::engine::NativeFn; 7] = [
        error_ctor,
        type_error_ctor,
        range_error_ctor,
        syntax_error_ctor,
        reference_error_ctor,
        eval_error_ctor,
        uri_error_ctor,
    ];
    let nk = Key::atom(vm.names.name);
    let mk = Key::atom(vm.names.message);
    let mut error_ctor_h = None;
    for (kind, f) in KINDS.into_iter().zip(ctors) {
        let proto = vm.intr.error_prototypes[kind.index()];
        let (c, p) = vm.define_class(kind.name(), 1, f, proto, None);
        let n = vm.intern(kind.name());
        vm.define_value(p, nk, n, METHOD_FLAGS);
        let empty = Value::atom(vm.names.empty);
        vm.define_value(p, mk, empty, METHOD_FLAGS);
        match error_ctor_h {
            None => error_ctor_h = Some(c),
            Some(e) => vm.heap.obj_mut(c).set_proto(Some(e)),
        }
    }
    let ep = vm.intr.error_prototypes[0].expect("Error.prototype");
    vm.define_method(ep, "toString", 0, error_to_string);

    // AggregateError
    let ap = vm
        .alloc_object(Some(ep), ObjectKind::Ordinary)
        .expect("out of memory")
        .as_object()
        .unwrap();
    let (c, p) = vm.define_class("AggregateError", 2, aggregate_error_ctor, Some(ap), None);
    let n = vm.intern("AggregateError");
    vm.define_value(p, nk, n, METHOD_FLAGS);
    let empty = Value::atom(vm.names.empty);
    vm.define_value(p, mk, empty, METHOD_FLAGS);
    if let Some(e) = error_ctor_h {
        vm.heap.obj_mut(c).set_proto(Some(e));
    }
}
