//! The built-in objects of a realm. [`init`] creates the intrinsic prototypes first (so that
//! every later object can point at them), then each module installs its constructors and methods.
//!
//! One module per global (or family of globals). Natives follow the rooting rule of
//! [`crate::engine::NativeFn`].

pub mod array;
pub mod date;
pub mod display;
pub mod error;
pub mod function;
pub mod global;
pub mod global_functions;
pub mod iterator;
pub mod json;
pub mod map_set;
pub mod math;
pub mod number;
pub mod object;
pub mod reflect;
pub mod regexp;
mod sort;
pub mod string;
pub mod symbol;
pub mod typed_array;

use crate::heap::Handle;
use crate::object::*;
use crate::value::Value;
use crate::vm::Vm;

pub use regexp::regexp_create;

fn empty_native(_vm: &mut Vm, _this: Value, _args: &[Value]) -> Result<Value, Value> {
    Ok(Value::UNDEFINED)
}

fn throw_type_error(vm: &mut Vm, _this: Value, _args: &[Value]) -> Result<Value, Value> {
    Err(vm.type_error("'caller', 'callee', and 'arguments' properties may not be accessed on strict mode functions or the arguments objects for calls to them"))
}

fn proto_object(vm: &mut Vm, parent: Option<Handle>, kind: ObjectKind) -> Handle {
    vm.alloc_object(parent, kind)
        .expect("out of memory creating built-ins")
        .as_object()
        .unwrap()
}

/// Create the intrinsics and install every built-in.
pub fn init(vm: &mut Vm) {
    let op = proto_object(vm, None, ObjectKind::Ordinary);
    vm.intr.object_prototype = Some(op);
    // `Function.prototype` is itself a function (it defines its `length` and `name` below).
    let native = NativeFunction {
        f: empty_native,
        data: Value::UNDEFINED,
        name: vm.names.empty,
        arity: 0,
        is_constructor: false,
        lazy_props: false,
    };
    let fp = proto_object(vm, Some(op), ObjectKind::Native(native));
    vm.intr.function_prototype = Some(fp);
    let g = vm.global;
    vm.heap.obj_mut(g).set_proto(Some(op));
    let ap = proto_object(
        vm,
        Some(op),
        ObjectKind::Array(ArrayData {
            elems: alloc::vec::Vec::new(),
            len: 0,
            sparse: false,
            length_writable: true,
        }),
    );
    vm.intr.array_prototype = Some(ap);
    let empty = vm.intern("");
    let sp = proto_object(vm, Some(op), ObjectKind::String(empty));
    let lk = Key::atom(vm.names.length);
    vm.define_value(sp, lk, Value::number(0.0), 0);
    vm.intr.string_prototype = Some(sp);
    vm.intr.number_prototype = Some(proto_object(vm, Some(op), ObjectKind::Number(0.0)));
    vm.intr.boolean_prototype = Some(proto_object(vm, Some(op), ObjectKind::Boolean(false)));
    vm.intr.symbol_prototype = Some(proto_object(vm, Some(op), ObjectKind::Ordinary));
    let ep = proto_object(vm, Some(op), ObjectKind::Ordinary);
    vm.intr.error_prototype = Some(ep);
    vm.intr.error_prototypes[0] = Some(ep);
    for i in 1..7 {
        vm.intr.error_prototypes[i] = Some(proto_object(vm, Some(ep), ObjectKind::Ordinary));
    }
    let ip = proto_object(vm, Some(op), ObjectKind::Ordinary);
    vm.intr.iterator_prototype = Some(ip);
    vm.intr.array_iterator_prototype = Some(proto_object(vm, Some(ip), ObjectKind::Ordinary));
    vm.intr.map_iterator_prototype = Some(proto_object(vm, Some(ip), ObjectKind::Ordinary));
    vm.intr.set_iterator_prototype = Some(proto_object(vm, Some(ip), ObjectKind::Ordinary));
    vm.intr.string_iterator_prototype = Some(proto_object(vm, Some(ip), ObjectKind::Ordinary));
    vm.intr.regexp_prototype = Some(proto_object(vm, Some(op), ObjectKind::Ordinary));
    vm.intr.date_prototype = Some(proto_object(vm, Some(op), ObjectKind::Ordinary));
    vm.intr.map_prototype = Some(proto_object(vm, Some(op), ObjectKind::Ordinary));
    vm.intr.set_prototype = Some(proto_object(vm, Some(op), ObjectKind::Ordinary));
    vm.intr.array_buffer_prototype = Some(proto_object(vm, Some(op), ObjectKind::Ordinary));
    vm.intr.data_view_prototype = Some(proto_object(vm, Some(op), ObjectKind::Ordinary));
    let tap = proto_object(vm, Some(op), ObjectKind::Ordinary);
    vm.intr.typed_array_prototype = Some(tap);
    for i in 0..9 {
        vm.intr.typed_array_prototypes[i] = Some(proto_object(vm, Some(tap), ObjectKind::Ordinary));
    }
    let tte = vm.new_native("", 0, throw_type_error);
    vm.heap.obj_mut(tte.as_object().unwrap()).extensible = false;
    vm.intr.throw_type_error = tte;

    object::install(vm);
    function::install(vm);
    error::install(vm);
    symbol::install(vm);
    iterator::install(vm);
    array::install(vm);
    string::install(vm);
    number::install(vm);
    math::install(vm);
    json::install(vm);
    map_set::install(vm);
    regexp::install(vm);
    date::install(vm);
    typed_array::install(vm);
    reflect::install(vm);
    global::install(vm);
}

/// Freeze an object (used for template objects; `Object.freeze` shares the logic).
pub fn freeze(vm: &mut Vm, h: Handle) -> Result<(), Value> {
    let keys = vm.own_keys(h)?;
    for k in keys {
        if let Some(d) = vm.own_attributes(h, k)? {
            let mut nd = crate::vm::PropertyDescriptor {
                configurable: Some(false),
                ..Default::default()
            };
            if d.is_data() {
                nd.writable = Some(false);
            }
            vm.define_own_property(h, k, nd)?;
        }
    }
    vm.prevent_extensions(h)?;
    Ok(())
}
