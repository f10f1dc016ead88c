//! `Object` (constructor, statics, `Object.prototype`) and `Boolean`, plus the property
//! descriptor conversions shared with `Reflect`.

use alloc::vec::Vec;

use crate::heap::Handle;
use crate::object::*;
use crate::value::{Kind, Value};
use crate::vm::{PropertyDescriptor, Vm};

// ----- shared helpers -----

/// ToPropertyDescriptor. The values in the result are only guaranteed alive until JavaScript
/// runs again (root them if needed).
pub fn to_property_descriptor(vm: &mut Vm, obj: Value) -> Result<PropertyDescriptor, Value> {
    let mark = vm.roots_len();
    let r = to_property_descriptor_rooted(vm, obj);
    vm.truncate_roots(mark);
    r
}

/// ToPropertyDescriptor, leaving the values it read on the root stack (the caller truncates).
fn to_property_descriptor_rooted(vm: &mut Vm, obj: Value) -> Result<PropertyDescriptor, Value> {
    let Some(h) = obj.as_object() else {
        return Err(vm.type_error("Property description must be an object"));
    };
    vm.push_root(obj);
    let mut d = PropertyDescriptor::default();
    let n = vm.names;
    let ek = Key::atom(n.enumerable);
    if vm.has_property(h, ek)? {
        let v = vm.get(obj, ek)?;
        d.enumerable = Some(vm.to_boolean(v));
    }
    let ck = Key::atom(n.configurable);
    if vm.has_property(h, ck)? {
        let v = vm.get(obj, ck)?;
        d.configurable = Some(vm.to_boolean(v));
    }
    let vk = Key::atom(n.value);
    if vm.has_property(h, vk)? {
        let v = vm.get(obj, vk)?;
        vm.push_root(v);
        d.value = Some(v);
    }
    let wk = Key::atom(n.writable);
    if vm.has_property(h, wk)? {
        let v = vm.get(obj, wk)?;
        d.writable = Some(vm.to_boolean(v));
    }
    let gk = Key::atom(n.get);
    if vm.has_property(h, gk)? {
        let v = vm.get(obj, gk)?;
        if !v.is_undefined() && !vm.is_callable(v) {
            return Err(vm.type_error("Getter must be a function"));
        }
        vm.push_root(v);
        d.get = Some(v);
    }
    let sk = Key::atom(n.set);
    if vm.has_property(h, sk)? {
        let v = vm.get(obj, sk)?;
        if !v.is_undefined() && !vm.is_callable(v) {
            return Err(vm.type_error("Setter must be a function"));
        }
        vm.push_root(v);
        d.set = Some(v);
    }
    if (d.get.is_some() || d.set.is_some()) && (d.value.is_some() || d.writable.is_some()) {
        return Err(vm.type_error(
            "Invalid property descriptor. Cannot both specify accessors and a value or writable attribute",
        ));
    }
    Ok(d)
}

/// FromPropertyDescriptor: an object with the descriptor's fields.
pub fn from_property_descriptor(vm: &mut Vm, d: &PropertyDescriptor) -> Result<Value, Value> {
    let o = vm.new_object()?;
    let h = o.as_object().unwrap();
    let n = vm.names;
    let put = |vm: &mut Vm, a, v: Value| {
        let o = vm.heap.obj_mut(h);
        let grown = o.props.push(Key::atom(a), v, DEFAULT_FLAGS);
        vm.charge(grown)
    };
    if let Some(v) = d.value {
        put(vm, n.value, v)?;
    }
    if let Some(w) = d.writable {
        put(vm, n.writable, Value::bool(w))?;
    }
    if let Some(g) = d.get {
        put(vm, n.get, g)?;
    }
    if let Some(s) = d.set {
        put(vm, n.set, s)?;
    }
    if let Some(e) = d.enumerable {
        put(vm, n.enumerable, Value::bool(e))?;
    }
    if let Some(c) = d.configurable {
        put(vm, n.configurable, Value::bool(c))?;
    }
    Ok(o)
}

/// [[SetPrototypeOf]] including the immutable prototype of `Object.prototype`.
pub fn set_prototype_checked(vm: &mut Vm, h: Handle, proto: Option<Handle>) -> Result<bool, Value> {
    if Some(h) == vm.intr.object_prototype {
        return Ok(vm.heap.obj(h).proto() == proto);
    }
    vm.set_prototype_of(h, proto)
}

fn to_object_handle(vm: &mut Vm, v: Value) -> Result<Handle, Value> {
    let o = vm.to_object(v)?;
    Ok(o.as_object().unwrap())
}

// ----- constructor -----

fn object_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let nt = vm.new_target();
    let own = vm.intr.object_constructor.map(Value::object);
    if !nt.is_undefined() && Some(nt) != own {
        let proto = vm.proto_from_new_target(nt, vm.intr.object_prototype)?;
        return vm.alloc_object(proto, ObjectKind::Ordinary);
    }
    let v = Vm::arg(args, 0);
    if v.is_nullish() {
        return vm.new_object();
    }
    vm.to_object(v)
}

// ----- statics -----

#[derive(Clone, Copy, PartialEq, Eq)]
enum EnumKind {
    Keys,
    Values,
    Entries,
}

/// EnumerableOwnProperties.
fn enumerable_own(vm: &mut Vm, o: Value, kind: EnumKind) -> Result<Value, Value> {
    let h = to_object_handle(vm, o)?;
    let ov = Value::object(h);
    let result = vm.new_array(Vec::new())?;
    let rh = result.as_object().unwrap();
    let mark = vm.push_root(result);
    vm.push_root(ov);
    let r = (|| -> Result<(), Value> {
        let mut n = 0u32;
        // Dense arrays: the elements are plain data; don't intern every index as an atom.
        let dense = match &vm.heap.obj(h).kind {
            ObjectKind::Array(a) if !a.sparse => Some(a.elems.len()),
            _ => None,
        };
        let keys = match dense {
            Some(count) => {
                for i in 0..count {
                    let v = match &vm.heap.obj(h).kind {
                        ObjectKind::Array(a) => a.elems.get(i).copied().unwrap_or(Value::EMPTY),
                        _ => Value::EMPTY,
                    };
                    if v.is_empty() {
                        continue;
                    }
                    let item = match kind {
                        EnumKind::Values => v,
                        EnumKind::Keys => vm.number_to_string_value(i as f64),
                        EnumKind::Entries => {
                            let k = vm.number_to_string_value(i as f64);
                            vm.new_array(alloc::vec![k, v])?
                        }
                    };
                    vm.array_put(rh, n, item)?;
                    n += 1;
                }
                let list: Vec<Key> = vm.heap.obj(h).props.list().iter().map(|p| p.key).collect();
                list
            }
            None => vm.own_keys(h)?,
        };
        for k in keys {
            if k.as_atom().is_none() {
                continue;
            }
            // Fast check on the property table; generic otherwise.
            let enumerable = vm.own_enumerable(h, k)? == Some(true);
            if !enumerable {
                continue;
            }
            let item = match kind {
                EnumKind::Keys => k.to_value(),
                EnumKind::Values => vm.get(ov, k)?,
                EnumKind::Entries => {
                    let v = vm.get(ov, k)?;
                    vm.new_array(alloc::vec![k.to_value(), v])?
                }
            };
            vm.array_put(rh, n, item)?;
            n += 1;
        }
        Ok(())
    })();
    vm.truncate_roots(mark);
    r?;
    Ok(result)
}

fn object_keys(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let o = Vm::arg(args, 0);
    // Fast path: ordinary objects with only plain (non-index) string keys.
    if let Some(h) = o.as_object() {
        let obj = vm.heap.obj(h);
        if matches!(obj.kind, ObjectKind::Ordinary) {
            let mut out = Vec::with_capacity(obj.props.len());
            let mut ok = true;
            for p in obj.props.list() {
                if let Some(a) = p.key.as_atom() {
                    if vm.atoms.array_index(a).is_some() {
                        ok = false;
                        break;
                    }
                    if p.flags & ENUMERABLE != 0 {
                        out.push(Value::atom(a));
                    }
                }
            }
            if ok {
                return vm.new_array(out);
            }
        }
    }
    enumerable_own(vm, o, EnumKind::Keys)
}

fn object_values(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    enumerable_own(vm, Vm::arg(args, 0), EnumKind::Values)
}

fn object_entries(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    enumerable_own(vm, Vm::arg(args, 0), EnumKind::Entries)
}

fn object_assign(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let to = vm.to_object(Vm::arg(args, 0))?;
    let mark = vm.push_root(to);
    let r = (|| -> Result<(), Value> {
        for &src in args.iter().skip(1) {
            if src.is_nullish() {
                continue;
            }
            let from = vm.to_object(src)?;
            let fh = from.as_object().unwrap();
            let inner = vm.push_root(from);
            let keys = vm.own_keys(fh)?;
            for k in &keys {
                if let Some(s) = k.as_symbol() {
                    vm.push_root(Value::symbol(s));
                }
            }
            for k in keys {
                // Flags first: a built-in method not made yet (never enumerable) stays so.
                if vm.own_enumerable(fh, k)? != Some(true) {
                    continue;
                }
                let v = vm.get(from, k)?;
                vm.set(to, k, v, true)?;
            }
            vm.truncate_roots(inner);
        }
        Ok(())
    })();
    vm.truncate_roots(mark);
    r?;
    Ok(to)
}

/// ObjectDefineProperties.
fn define_properties(vm: &mut Vm, o: Handle, props: Value) -> Result<(), Value> {
    let p = vm.to_object(props)?;
    let ph = p.as_object().unwrap();
    let mark = vm.push_root(p);
    vm.push_root(Value::object(o));
    let r = (|| -> Result<(), Value> {
        let keys = vm.own_keys(ph)?;
        for k in &keys {
            if let Some(s) = k.as_symbol() {
                vm.push_root(Value::symbol(s));
            }
        }
        let mut descs: Vec<(Key, PropertyDescriptor)> = Vec::new();
        for k in keys {
            if vm.own_enumerable(ph, k)? != Some(true) {
                continue;
            }
            let dobj = vm.get(p, k)?;
            // Values stay rooted until the end (to_property_descriptor_rooted leaves them).
            let d = to_property_descriptor_rooted(vm, dobj)?;
            descs.push((k, d));
        }
        for (k, d) in descs {
            vm.define_property_or_throw(o, k, d)?;
        }
        Ok(())
    })();
    vm.truncate_roots(mark);
    r
}

fn object_create(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let proto = Vm::arg(args, 0);
    let ph = match proto.kind() {
        Kind::Object(h) => Some(h),
        Kind::Null => None,
        _ => return Err(vm.type_error("Object prototype may only be an Object or null")),
    };
    let o = vm.alloc_object(ph, ObjectKind::Ordinary)?;
    let props = Vm::arg(args, 1);
    if !props.is_undefined() {
        let mark = vm.push_root(o);
        let r = define_properties(vm, o.as_object().unwrap(), props);
        vm.truncate_roots(mark);
        r?;
    }
    Ok(o)
}

fn object_define_property(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let o = Vm::arg(args, 0);
    let Some(h) = o.as_object() else {
        return Err(vm.type_error("Object.defineProperty called on non-object"));
    };
    let key = vm.to_property_key(Vm::arg(args, 1))?;
    let mark = vm.push_root(key.to_value());
    let r = (|| {
        let d = to_property_descriptor_rooted(vm, Vm::arg(args, 2))?;
        vm.define_property_or_throw(h, key, d)
    })();
    vm.truncate_roots(mark);
    r?;
    Ok(o)
}

fn object_define_properties(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let o = Vm::arg(args, 0);
    let Some(h) = o.as_object() else {
        return Err(vm.type_error("Object.defineProperties called on non-object"));
    };
    define_properties(vm, h, Vm::arg(args, 1))?;
    Ok(o)
}

/// SetIntegrityLevel (sealed or frozen).
fn set_integrity_level(vm: &mut Vm, h: Handle, frozen: bool) -> Result<bool, Value> {
    if !vm.prevent_extensions(h)? {
        return Ok(false);
    }
    let keys = vm.own_keys(h)?;
    for k in keys {
        let mut nd = PropertyDescriptor {
            configurable: Some(false),
            ..Default::default()
        };
        if frozen {
            match vm.own_attributes(h, k)? {
                Some(cur) => {
                    if !cur.is_accessor() {
                        nd.writable = Some(false);
                    }
                }
                None => continue,
            }
        }
        vm.define_property_or_throw(h, k, nd)?;
    }
    Ok(true)
}

/// TestIntegrityLevel.
fn test_integrity_level(vm: &mut Vm, h: Handle, frozen: bool) -> Result<bool, Value> {
    if vm.heap.obj(h).extensible {
        return Ok(false);
    }
    // Dense array elements are always configurable.
    if let ObjectKind::Array(a) = &vm.heap.obj(h).kind {
        if !a.sparse && a.elems.iter().any(|v| !v.is_empty()) {
            return Ok(false);
        }
    }
    let keys = vm.own_keys(h)?;
    for k in keys {
        if let Some(d) = vm.own_attributes(h, k)? {
            if d.configurable == Some(true) {
                return Ok(false);
            }
            if frozen && d.is_data() && d.writable == Some(true) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

fn object_freeze(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let o = Vm::arg(args, 0);
    if let Some(h) = o.as_object() {
        if !set_integrity_level(vm, h, true)? {
            return Err(vm.type_error("Cannot freeze"));
        }
    }
    Ok(o)
}

fn object_seal(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let o = Vm::arg(args, 0);
    if let Some(h) = o.as_object() {
        if !set_integrity_level(vm, h, false)? {
            return Err(vm.type_error("Cannot seal"));
        }
    }
    Ok(o)
}

fn object_is_frozen(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    match Vm::arg(args, 0).as_object() {
        Some(h) => Ok(Value::bool(test_integrity_level(vm, h, true)?)),
        None => Ok(Value::TRUE),
    }
}

fn object_is_sealed(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    match Vm::arg(args, 0).as_object() {
        Some(h) => Ok(Value::bool(test_integrity_level(vm, h, false)?)),
        None => Ok(Value::TRUE),
    }
}

fn object_prevent_extensions(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let o = Vm::arg(args, 0);
    if let Some(h) = o.as_object() {
        if !vm.prevent_extensions(h)? {
            return Err(vm.type_error("Cannot prevent extensions"));
        }
    }
    Ok(o)
}

fn object_is_extensible(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    match Vm::arg(args, 0).as_object() {
        Some(h) => Ok(Value::bool(vm.heap.obj(h).extensible)),
        None => Ok(Value::FALSE),
    }
}

fn object_get_own_property_descriptor(
    vm: &mut Vm,
    _this: Value,
    args: &[Value],
) -> Result<Value, Value> {
    let h = to_object_handle(vm, Vm::arg(args, 0))?;
    let mark = vm.push_root(Value::object(h));
    let key = vm.to_property_key(Vm::arg(args, 1));
    vm.truncate_roots(mark);
    let key = key?;
    match vm.get_own_property(h, key)? {
        Some(d) => from_property_descriptor(vm, &d),
        None => Ok(Value::UNDEFINED),
    }
}

fn object_get_own_property_descriptors(
    vm: &mut Vm,
    _this: Value,
    args: &[Value],
) -> Result<Value, Value> {
    let h = to_object_handle(vm, Vm::arg(args, 0))?;
    let keys = vm.own_keys(h)?;
    let result = vm.new_object()?;
    let rh = result.as_object().unwrap();
    for k in keys {
        if let Some(d) = vm.get_own_property(h, k)? {
            let dv = from_property_descriptor(vm, &d)?;
            vm.create_data_property(rh, k, dv)?;
        }
    }
    Ok(result)
}

fn own_keys_filtered(vm: &mut Vm, o: Value, symbols: bool) -> Result<Value, Value> {
    let h = to_object_handle(vm, o)?;
    let keys = vm.own_keys(h)?;
    let list: Vec<Value> = keys
        .into_iter()
        .filter(|k| k.as_symbol().is_some() == symbols)
        .map(|k| k.to_value())
        .collect();
    vm.new_array(list)
}

fn object_get_own_property_names(
    vm: &mut Vm,
    _this: Value,
    args: &[Value],
) -> Result<Value, Value> {
    own_keys_filtered(vm, Vm::arg(args, 0), false)
}

fn object_get_own_property_symbols(
    vm: &mut Vm,
    _this: Value,
    args: &[Value],
) -> Result<Value, Value> {
    own_keys_filtered(vm, Vm::arg(args, 0), true)
}

fn object_get_prototype_of(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = to_object_handle(vm, Vm::arg(args, 0))?;
    Ok(match vm.get_prototype_of(h)? {
        Some(p) => Value::object(p),
        None => Value::NULL,
    })
}

fn object_set_prototype_of(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let o = Vm::arg(args, 0);
    if o.is_nullish() {
        return Err(vm.type_error("Object.setPrototypeOf called on null or undefined"));
    }
    let proto = Vm::arg(args, 1);
    let ph = match proto.kind() {
        Kind::Object(h) => Some(h),
        Kind::Null => None,
        _ => return Err(vm.type_error("Object prototype may only be an Object or null")),
    };
    let Some(h) = o.as_object() else {
        return Ok(o);
    };
    if !set_prototype_checked(vm, h, ph)? {
        return Err(vm.type_error("Cannot set prototype (cyclic, immutable or not extensible)"));
    }
    Ok(o)
}

fn object_is(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    Ok(Value::bool(
        vm.same_value(Vm::arg(args, 0), Vm::arg(args, 1)),
    ))
}

fn object_from_entries(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let iterable = Vm::arg(args, 0);
    if iterable.is_nullish() {
        return Err(vm.type_error("Object.fromEntries requires an iterable"));
    }
    let obj = vm.new_object()?;
    let oh = obj.as_object().unwrap();
    let mark = vm.push_root(obj);
    let r = (|| -> Result<(), Value> {
        let (iter, next) = vm.get_iterator(iterable)?;
        vm.push_root(iter);
        vm.push_root(next);
        loop {
            let Some(entry) = vm.iterator_step(iter, next)? else {
                return Ok(());
            };
            let step = (|| -> Result<(), Value> {
                if !entry.is_object() {
                    return Err(vm.type_error("Iterator value is not an entry object"));
                }
                let inner = vm.push_root(entry);
                let r = (|| {
                    let k = vm.get_index(entry, 0)?;
                    vm.push_root(k);
                    let v = vm.get_index(entry, 1)?;
                    vm.push_root(v);
                    let key = vm.to_property_key(k)?;
                    vm.create_data_property(oh, key, v)?;
                    Ok(())
                })();
                vm.truncate_roots(inner);
                r
            })();
            if let Err(e) = step {
                let em = vm.push_root(e);
                let _ = vm.iterator_close(iter);
                vm.truncate_roots(em);
                return Err(e);
            }
        }
    })();
    vm.truncate_roots(mark);
    r?;
    Ok(obj)
}

fn object_has_own(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = to_object_handle(vm, Vm::arg(args, 0))?;
    let mark = vm.push_root(Value::object(h));
    let key = vm.to_property_key(Vm::arg(args, 1));
    vm.truncate_roots(mark);
    let key = key?;
    Ok(Value::bool(vm.has_own_property(h, key)?))
}

fn object_group_by(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let items = Vm::arg(args, 0);
    let cb = Vm::arg(args, 1);
    if items.is_nullish() {
        return Err(vm.type_error("Object.groupBy called on null or undefined"));
    }
    if !vm.is_callable(cb) {
        return Err(vm.type_error("Object.groupBy: callback is not a function"));
    }
    let obj = vm.alloc_object(None, ObjectKind::Ordinary)?;
    let oh = obj.as_object().unwrap();
    let mark = vm.push_root(obj);
    let r = (|| -> Result<(), Value> {
        let (iter, next) = vm.get_iterator(items)?;
        vm.push_root(iter);
        vm.push_root(next);
        let mut k: f64 = 0.0;
        loop {
            let Some(value) = vm.iterator_step(iter, next)? else {
                return Ok(());
            };
            let inner = vm.push_root(value);
            let step = (|| -> Result<(), Value> {
                if k >= 9007199254740991.0 {
                    return Err(vm.type_error("Too many elements"));
                }
                let key = vm.call(cb, Value::UNDEFINED, &[value, Value::number(k)])?;
                vm.push_root(key);
                let key = vm.to_property_key(key)?;
                let group = match vm.get_own_data(oh, key) {
                    Some(g) if g.is_object() => g,
                    _ => {
                        let g = vm.new_array(Vec::new())?;
                        vm.create_data_property(oh, key, g)?;
                        g
                    }
                };
                let gh = group.as_object().unwrap();
                let len = vm.array_len(gh);
                vm.array_put(gh, len, value)?;
                Ok(())
            })();
            vm.truncate_roots(inner);
            if let Err(e) = step {
                let em = vm.push_root(e);
                let _ = vm.iterator_close(iter);
                vm.truncate_roots(em);
                return Err(e);
            }
            k += 1.0;
        }
    })();
    vm.truncate_roots(mark);
    r?;
    Ok(obj)
}

// ----- Object.prototype -----

fn proto_has_own_property(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let key = vm.to_property_key(Vm::arg(args, 0))?;
    let mark = vm.push_root(key.to_value());
    let h = to_object_handle(vm, this);
    vm.truncate_roots(mark);
    let h = h?;
    Ok(Value::bool(vm.has_own_property(h, key)?))
}

fn proto_is_prototype_of(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let Some(mut v) = Vm::arg(args, 0).as_object() else {
        return Ok(Value::FALSE);
    };
    let o = to_object_handle(vm, this)?;
    let mut steps = 0u32;
    loop {
        match vm.get_prototype_of(v)? {
            Some(p) if p == o => return Ok(Value::TRUE),
            Some(p) => v = p,
            None => return Ok(Value::FALSE),
        }
        steps += 1;
        if steps > 1_000_000 {
            return Ok(Value::FALSE);
        }
    }
}

fn proto_property_is_enumerable(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let key = vm.to_property_key(Vm::arg(args, 0))?;
    let mark = vm.push_root(key.to_value());
    let h = to_object_handle(vm, this);
    vm.truncate_roots(mark);
    let h = h?;
    Ok(Value::bool(vm.own_enumerable(h, key)? == Some(true)))
}

/// `Object.prototype.toString`.
pub fn object_to_string(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    if this.is_undefined() {
        return Ok(vm.intern("[object Undefined]"));
    }
    if this.is_null() {
        return Ok(vm.intern("[object Null]"));
    }
    let o = vm.to_object(this)?;
    let h = o.as_object().unwrap();
    let builtin = match &vm.heap.obj(h).kind {
        ObjectKind::Array(_) => "Array",
        ObjectKind::Arguments | ObjectKind::MappedArguments { .. } => "Arguments",
        ObjectKind::Function(_) | ObjectKind::Native(_) => "Function",
        ObjectKind::Error => "Error",
        ObjectKind::Boolean(_) => "Boolean",
        ObjectKind::Number(_) => "Number",
        ObjectKind::String(_) => "String",
        ObjectKind::Date(_) => "Date",
        ObjectKind::RegExp(_) => "RegExp",
        _ => "Object",
    };
    let mark = vm.push_root(o);
    let tag = vm.get(o, Key::symbol(vm.sym.to_string_tag));
    vm.truncate_roots(mark);
    let tag = tag?;
    let mut out = Vec::from(&b"[object "[..]);
    if tag.is_string() {
        out.extend_from_slice(vm.string_bytes(tag));
    } else {
        out.extend_from_slice(builtin.as_bytes());
    }
    out.push(b']');
    vm.new_string_vec(out)
}

fn proto_to_locale_string(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let f = vm.get(this, Key::atom(vm.names.to_string))?;
    if !vm.is_callable(f) {
        return Err(vm.type_error("toString is not a function"));
    }
    vm.call(f, this, &[])
}

fn proto_value_of(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    vm.to_object(this)
}

fn proto_get_proto(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let h = to_object_handle(vm, this)?;
    Ok(match vm.get_prototype_of(h)? {
        Some(p) => Value::object(p),
        None => Value::NULL,
    })
}

fn proto_set_proto(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    if this.is_nullish() {
        return Err(vm.type_error("Object.prototype.__proto__ called on null or undefined"));
    }
    let proto = Vm::arg(args, 0);
    let ph = match proto.kind() {
        Kind::Object(h) => Some(h),
        Kind::Null => None,
        _ => return Ok(Value::UNDEFINED),
    };
    let Some(h) = this.as_object() else {
        return Ok(Value::UNDEFINED);
    };
    if !set_prototype_checked(vm, h, ph)? {
        return Err(vm.type_error("Cannot set prototype (cyclic, immutable or not extensible)"));
    }
    Ok(Value::UNDEFINED)
}

fn define_legacy_accessor(
    vm: &mut Vm,
    this: Value,
    args: &[Value],
    getter: bool,
) -> Result<Value, Value> {
    let h = to_object_handle(vm, this)?;
    let f = Vm::arg(args, 1);
    if !vm.is_callable(f) {
        return Err(vm.type_error(if getter {
            "Object.prototype.__defineGetter__: Expecting function"
        } else {
            "Object.prototype.__defineSetter__: Expecting function"
        }));
    }
    let mark = vm.push_root(Value::object(h));
    let key = vm.to_property_key(Vm::arg(args, 0));
    vm.truncate_roots(mark);
    let key = key?;
    let mut d = PropertyDescriptor {
        enumerable: Some(true),
        configurable: Some(true),
        ..Default::default()
    };
    if getter {
        d.get = Some(f);
    } else {
        d.set = Some(f);
    }
    vm.define_property_or_throw(h, key, d)?;
    Ok(Value::UNDEFINED)
}

fn proto_define_getter(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    define_legacy_accessor(vm, this, args, true)
}

fn proto_define_setter(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    define_legacy_accessor(vm, this, args, false)
}

fn lookup_legacy_accessor(
    vm: &mut Vm,
    this: Value,
    args: &[Value],
    getter: bool,
) -> Result<Value, Value> {
    let h = to_object_handle(vm, this)?;
    let mark = vm.push_root(Value::object(h));
    let key = vm.to_property_key(Vm::arg(args, 0));
    vm.truncate_roots(mark);
    let key = key?;
    let mut cur = Some(h);
    while let Some(c) = cur {
        if let Some(d) = vm.get_own_property(c, key)? {
            if d.is_accessor() {
                let f = if getter { d.get } else { d.set };
                return Ok(f.unwrap_or(Value::UNDEFINED));
            }
            return Ok(Value::UNDEFINED);
        }
        cur = vm.get_prototype_of(c)?;
    }
    Ok(Value::UNDEFINED)
}

fn proto_lookup_getter(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    lookup_legacy_accessor(vm, this, args, true)
}

fn proto_lookup_setter(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    lookup_legacy_accessor(vm, this, args, false)
}

// ----- Boolean -----

fn boolean_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let b = vm.to_boolean(Vm::arg(args, 0));
    let nt = vm.new_target();
    if nt.is_undefined() {
        return Ok(Value::bool(b));
    }
    let proto = vm.proto_from_new_target(nt, vm.intr.boolean_prototype)?;
    vm.alloc_object(proto, ObjectKind::Boolean(b))
}

fn this_boolean_value(vm: &mut Vm, this: Value, method: &str) -> Result<bool, Value> {
    match this.kind() {
        Kind::Bool(b) => Ok(b),
        Kind::Object(h) => match vm.heap.obj(h).kind {
            ObjectKind::Boolean(b) => Ok(b),
            _ => Err(vm.type_error(&alloc::format!(
                "Boolean.prototype.{method} requires that 'this' be a Boolean"
            ))),
        },
        _ => Err(vm.type_error(&alloc::format!(
            "Boolean.prototype.{method} requires that 'this' be a Boolean"
        ))),
    }
}

fn boolean_to_string(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let b = this_boolean_value(vm, this, "toString")?;
    Ok(Value::atom(if b {
        vm.names.true_
    } else {
        vm.names.false_
    }))
}

fn boolean_value_of(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    Ok(Value::bool(this_boolean_value(vm, this, "valueOf")?))
}

// ----- install -----

pub fn install(vm: &mut Vm) {
    let op = vm.intr.object_prototype.expect("Object.prototype");
    let (ctor, _) = vm.define_class("Object", 1, object_ctor, Some(op), None);
    vm.intr.object_constructor = Some(ctor);
    let statics: [(&str, u32, crate::engine::NativeFn); 23] = [
        ("keys", 1, object_keys),
        ("values", 1, object_values),
        ("entries", 1, object_entries),
        ("assign", 2, object_assign),
        ("create", 2, object_create),
        ("freeze", 1, object_freeze),
        ("isFrozen", 1, object_is_frozen),
        ("seal", 1, object_seal),
        ("isSealed", 1, object_is_sealed),
        ("preventExtensions", 1, object_prevent_extensions),
        ("isExtensible", 1, object_is_extensible),
        ("defineProperty", 3, object_define_property),
        ("defineProperties", 2, object_define_properties),
        (
            "getOwnPropertyDescriptor",
            2,
            object_get_own_property_descriptor,
        ),
        (
            "getOwnPropertyDescriptors",
            1,
            object_get_own_property_descriptors,
        ),
        ("getOwnPropertyNames", 1, object_get_own_property_names),
        ("getOwnPropertySymbols", 1, object_get_own_property_symbols),
        ("getPrototypeOf", 1, object_get_prototype_of),
        ("setPrototypeOf", 2, object_set_prototype_of),
        ("is", 2, object_is),
        ("fromEntries", 1, object_from_entries),
        ("hasOwn", 2, object_has_own),
        ("groupBy", 2, object_group_by),
    ];
    for (name, arity, f) in statics {
        vm.define_method(ctor, name, arity, f);
    }
    let methods: [(&str, u32, crate::engine::NativeFn); 10] = [
        ("hasOwnProperty", 1, proto_has_own_property),
        ("isPrototypeOf", 1, proto_is_prototype_of),
        ("propertyIsEnumerable", 1, proto_property_is_enumerable),
        ("toString", 0, object_to_string),
        ("toLocaleString", 0, proto_to_locale_string),
        ("valueOf", 0, proto_value_of),
        ("__defineGetter__", 2, proto_define_getter),
        ("__defineSetter__", 2, proto_define_setter),
        ("__lookupGetter__", 1, proto_lookup_getter),
        ("__lookupSetter__", 1, proto_lookup_setter),
    ];
    for (name, arity, f) in methods {
        vm.define_method(op, name, arity, f);
    }
    let pk = Key::atom(vm.names.proto);
    vm.define_accessor(
        op,
        pk,
        "__proto__",
        Some(proto_get_proto),
        Some(proto_set_proto),
    );

    // Boolean
    let bp = vm.intr.boolean_prototype.expect("Boolean.prototype");
    vm.define_class("Boolean", 1, boolean_ctor, Some(bp), None);
    vm.define_method(bp, "toString", 0, boolean_to_string);
    vm.define_method(bp, "valueOf", 0, boolean_value_of);
}
