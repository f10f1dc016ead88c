//! `Reflect`.

use crate::heap::Handle;
use crate::object::*;
use crate::value::{Kind, Value};
use crate::vm::Vm;

use super::function::create_list_from_array_like;
use super::object::{from_property_descriptor, set_prototype_checked, to_property_descriptor};

fn target(vm: &mut Vm, v: Value, method: &str) -> Result<Handle, Value> {
    match v.as_object() {
        Some(h) => Ok(h),
        None => Err(vm.type_error(&alloc::format!("Reflect.{method} called on non-object"))),
    }
}

/// ToPropertyKey with `t` kept alive meanwhile.
fn key_of(vm: &mut Vm, t: Handle, k: Value) -> Result<Key, Value> {
    let mark = vm.push_root(Value::object(t));
    let r = vm.to_property_key(k);
    vm.truncate_roots(mark);
    r
}

fn reflect_apply(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let f = Vm::arg(args, 0);
    if !vm.is_callable(f) {
        return Err(vm.type_error("Reflect.apply: target is not a function"));
    }
    let mark = vm.roots_len();
    let r = (|| {
        let list = create_list_from_array_like(vm, Vm::arg(args, 2))?;
        vm.call(f, Vm::arg(args, 1), &list)
    })();
    vm.truncate_roots(mark);
    r
}

fn reflect_construct(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let f = Vm::arg(args, 0);
    if !vm.is_constructor(f) {
        return Err(vm.type_error("Reflect.construct: target is not a constructor"));
    }
    let nt = if args.len() > 2 { args[2] } else { f };
    if !vm.is_constructor(nt) {
        return Err(vm.type_error("Reflect.construct: newTarget is not a constructor"));
    }
    let mark = vm.roots_len();
    let r = (|| {
        let list = create_list_from_array_like(vm, Vm::arg(args, 1))?;
        vm.construct(f, &list, nt)
    })();
    vm.truncate_roots(mark);
    r
}

fn reflect_define_property(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let t = target(vm, Vm::arg(args, 0), "defineProperty")?;
    let key = key_of(vm, t, Vm::arg(args, 1))?;
    let mark = vm.push_root(key.to_value());
    let r = (|| {
        let d = to_property_descriptor(vm, Vm::arg(args, 2))?;
        // The descriptor's values came from `args[2]`'s properties; no JavaScript runs between
        // reading them and defining the property.
        vm.define_own_property(t, key, d)
    })();
    vm.truncate_roots(mark);
    Ok(Value::bool(r?))
}

fn reflect_delete_property(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let t = target(vm, Vm::arg(args, 0), "deleteProperty")?;
    let key = key_of(vm, t, Vm::arg(args, 1))?;
    Ok(Value::bool(vm.delete_property(t, key)?))
}

fn reflect_get(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let o = Vm::arg(args, 0);
    let t = target(vm, o, "get")?;
    let key = key_of(vm, t, Vm::arg(args, 1))?;
    let receiver = if args.len() > 2 { args[2] } else { o };
    let mark = vm.push_root(key.to_value());
    let r = vm.get_from(t, key, receiver);
    vm.truncate_roots(mark);
    r
}

fn reflect_get_own_property_descriptor(
    vm: &mut Vm,
    _this: Value,
    args: &[Value],
) -> Result<Value, Value> {
    let t = target(vm, Vm::arg(args, 0), "getOwnPropertyDescriptor")?;
    let key = key_of(vm, t, Vm::arg(args, 1))?;
    match vm.get_own_property(t, key)? {
        Some(d) => from_property_descriptor(vm, &d),
        None => Ok(Value::UNDEFINED),
    }
}

fn reflect_get_prototype_of(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let t = target(vm, Vm::arg(args, 0), "getPrototypeOf")?;
    Ok(match vm.get_prototype_of(t)? {
        Some(p) => Value::object(p),
        None => Value::NULL,
    })
}

fn reflect_has(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let t = target(vm, Vm::arg(args, 0), "has")?;
    let key = key_of(vm, t, Vm::arg(args, 1))?;
    Ok(Value::bool(vm.has_property(t, key)?))
}

fn reflect_is_extensible(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let t = target(vm, Vm::arg(args, 0), "isExtensible")?;
    Ok(Value::bool(vm.heap.obj(t).extensible))
}

fn reflect_own_keys(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let t = target(vm, Vm::arg(args, 0), "ownKeys")?;
    let keys = vm.own_keys(t)?;
    let list = keys.into_iter().map(|k| k.to_value()).collect();
    vm.new_array(list)
}

fn reflect_prevent_extensions(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let t = target(vm, Vm::arg(args, 0), "preventExtensions")?;
    Ok(Value::bool(vm.prevent_extensions(t)?))
}

fn reflect_set(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let o = Vm::arg(args, 0);
    let t = target(vm, o, "set")?;
    let key = key_of(vm, t, Vm::arg(args, 1))?;
    let receiver = if args.len() > 3 { args[3] } else { o };
    let mark = vm.push_root(key.to_value());
    let r = vm.set_on(t, key, Vm::arg(args, 2), receiver);
    vm.truncate_roots(mark);
    Ok(Value::bool(r?))
}

fn reflect_set_prototype_of(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let t = target(vm, Vm::arg(args, 0), "setPrototypeOf")?;
    let proto = Vm::arg(args, 1);
    let ph = match proto.kind() {
        Kind::Object(h) => Some(h),
        Kind::Null => None,
        _ => return Err(vm.type_error("Object prototype may only be an Object or null")),
    };
    Ok(Value::bool(set_prototype_checked(vm, t, ph)?))
}

pub fn install(vm: &mut Vm) {
    let r = vm.new_object().expect("out of memory");
    let rh = r.as_object().unwrap();
    let methods: [(&str, u32, crate::engine::NativeFn); 13] = [
        ("apply", 3, reflect_apply),
        ("construct", 2, reflect_construct),
        ("defineProperty", 3, reflect_define_property),
        ("deleteProperty", 2, reflect_delete_property),
        ("get", 2, reflect_get),
        (
            "getOwnPropertyDescriptor",
            2,
            reflect_get_own_property_descriptor,
        ),
        ("getPrototypeOf", 1, reflect_get_prototype_of),
        ("has", 2, reflect_has),
        ("isExtensible", 1, reflect_is_extensible),
        ("ownKeys", 1, reflect_own_keys),
        ("preventExtensions", 1, reflect_prevent_extensions),
        ("set", 3, reflect_set),
        ("setPrototypeOf", 2, reflect_set_prototype_of),
    ];
    for (name, arity, f) in methods {
        vm.define_method(rh, name, arity, f);
    }
    let tag = vm.intern("Reflect");
    let tk = Key::symbol(vm.sym.to_string_tag);
    vm.define_value(rh, tk, tag, CONFIGURABLE);
    let g = vm.global;
    let k = vm.key("Reflect");
    vm.define_value(g, k, r, METHOD_FLAGS);
}
