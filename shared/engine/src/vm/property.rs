//! Property access with ECMAScript semantics: prototype chains, accessors, attributes, and the
//! exotic objects (arrays, string wrappers, typed arrays, lazily materialised function properties).

use alloc::vec::Vec;

use super::{ErrorKind, Vm};
use crate::heap::{Accessor, Cell, Handle};
use crate::object::*;
use crate::value::{Kind, Value};

/// A property descriptor; `None` fields are absent.
#[derive(Clone, Copy, Debug, Default)]
pub struct PropertyDescriptor {
    pub value: Option<Value>,
    pub writable: Option<bool>,
    pub get: Option<Value>,
    pub set: Option<Value>,
    pub enumerable: Option<bool>,
    pub configurable: Option<bool>,
}

impl PropertyDescriptor {
    pub fn data(value: Value, flags: u8) -> Self {
        PropertyDescriptor {
            value: Some(value),
            writable: Some(flags & WRITABLE != 0),
            get: None,
            set: None,
            enumerable: Some(flags & ENUMERABLE != 0),
            configurable: Some(flags & CONFIGURABLE != 0),
        }
    }
    pub fn is_accessor(&self) -> bool {
        self.get.is_some() || self.set.is_some()
    }
    pub fn is_data(&self) -> bool {
        self.value.is_some() || self.writable.is_some()
    }
}

/// Where an own property lives.
enum Own {
    /// Slot `i` of the property table.
    Prop(usize),
    /// Dense array element `i`.
    Elem(u32),
    /// Array `length`.
    ArrayLength,
    /// A byte of a String wrapper, or its length.
    StringIndex(u32),
    StringLength,
    /// A typed array element.
    Typed(u32),
    None,
}

impl Vm {
    /// Create `length`, `name` and `prototype` of a function whose properties are lazy.
    pub(crate) fn materialize_function(&mut self, h: Handle) -> Result<(), Value> {
        let (fn_length, fn_name, is_ctor) = match &self.heap.obj(h).kind {
            ObjectKind::Function(fd) if fd.lazy_props => match &fd.callable {
                Callable::Closure { code, .. } => (
                    code.length as f64,
                    code.name,
                    fd.is_constructor && !fd.is_class_constructor,
                ),
                _ => return Ok(()),
            },
            // A native constructor's `prototype` is made with it (`define_class`).
            ObjectKind::Native(n) if n.lazy_props => (n.arity as f64, n.name, false),
            _ => return Ok(()),
        };
        match &mut self.heap.obj_mut(h).kind {
            ObjectKind::Function(fd) => fd.lazy_props = false,
            ObjectKind::Native(n) => n.lazy_props = false,
            _ => {}
        }
        // Existing own properties (defined before materialisation) take precedence.
        let length = Key::atom(self.names.length);
        let name = Key::atom(self.names.name);
        let mut front = Vec::new();
        if self.heap.obj(h).props.find(length).is_none() {
            front.push(Prop {
                key: length,
                flags: CONFIGURABLE,
                stored: Value::number(fn_length),
            });
        }
        if self.heap.obj(h).props.find(name).is_none() {
            front.push(Prop {
                key: name,
                flags: CONFIGURABLE,
                stored: Value::atom(fn_name),
            });
        }
        if is_ctor {
            let pk = Key::atom(self.names.prototype);
            if self.heap.obj(h).props.find(pk).is_none() {
                let proto = self.new_object()?;
                let ck = Key::atom(self.names.constructor);
                self.define_value(
                    proto.as_object().unwrap(),
                    ck,
                    Value::object(h),
                    METHOD_FLAGS,
                );
                front.push(Prop {
                    key: pk,
                    flags: WRITABLE,
                    stored: proto,
                });
            }
        }
        // Rebuild the table with the standard properties first.
        let old: Vec<Prop> = self.heap.obj(h).props.list().to_vec();
        let o = self.heap.obj_mut(h);
        o.props.clear();
        let mut grown = 0;
        for p in front.into_iter().chain(old) {
            grown += o.props.push(p.key, p.stored, p.flags);
        }
        self.charge(grown)
    }

    /// `length` or `name` of a function whose properties are still lazy, without making them
    /// (for readers that only look: error messages, the console's display).
    pub(crate) fn lazy_function_prop(&self, h: Handle, key: Key) -> Option<Value> {
        let (length, name) = match &self.heap.obj(h).kind {
            ObjectKind::Function(fd) if fd.lazy_props => match &fd.callable {
                Callable::Closure { code, .. } => (code.length as f64, code.name),
                _ => return None,
            },
            ObjectKind::Native(n) if n.lazy_props => (n.arity as f64, n.name),
            _ => return None,
        };
        match key.as_atom() {
            Some(a) if a == self.names.length => Some(Value::number(length)),
            Some(a) if a == self.names.name => Some(Value::atom(name)),
            _ => None,
        }
    }

    /// A key that materialising a lazy function may create.
    fn is_lazy_key(&self, key: Key) -> bool {
        key.as_atom().is_some_and(|a| {
            a == self.names.length || a == self.names.name || a == self.names.prototype
        })
    }

    #[inline]
    fn is_lazy_function(&self, h: Handle) -> bool {
        match &self.heap.obj(h).kind {
            ObjectKind::Function(fd) => fd.lazy_props,
            ObjectKind::Native(n) => n.lazy_props,
            _ => false,
        }
    }

    fn find_own(&mut self, h: Handle, key: Key) -> Result<Own, Value> {
        let index = key.as_atom().and_then(|a| self.atoms.array_index(a));
        let o = self.heap.obj(h);
        match &o.kind {
            ObjectKind::Array(a) => {
                if key.as_atom() == Some(self.names.length) {
                    return Ok(Own::ArrayLength);
                }
                if let Some(i) = index {
                    if (i as usize) < a.elems.len() && !a.elems[i as usize].is_empty() {
                        return Ok(Own::Elem(i));
                    }
                    if !a.sparse {
                        return Ok(Own::None);
                    }
                }
            }
            ObjectKind::String(s) => {
                if key.as_atom() == Some(self.names.length) {
                    return Ok(Own::StringLength);
                }
                if let Some(i) = index {
                    if (i as usize) < self.string_len(*s) {
                        return Ok(Own::StringIndex(i));
                    }
                }
            }
            ObjectKind::TypedArray { .. } => {
                if let Some(i) = index {
                    let len = self.typed_length(h).unwrap_or(0);
                    return Ok(if i < len { Own::Typed(i) } else { Own::None });
                }
                if let Some(a) = key.as_atom() {
                    if is_canonical_numeric_string(self.atoms.bytes(a)) {
                        return Ok(Own::None);
                    }
                }
            }
            _ => {}
        }
        if let Some(i) = o.props.find(key) {
            if let Some((env, slot)) = self.mapped_slot(h, key) {
                // Reads of a mapped argument see the parameter's current value.
                let v = self.heap.env(env).slots[slot as usize];
                self.heap.obj_mut(h).props.get_mut(i).stored = v;
            }
            // A built-in method not made yet stays so: the callers that read the value
            // (`get_own_property`, `get_from`) make it; those that look at flags or existence
            // only do not.
            return Ok(Own::Prop(i));
        }
        // Only `length`, `name` and `prototype` can appear by materialising: looking up any
        // other key (`Symbol.hasInstance` on every `instanceof`) must not allocate.
        if self.is_lazy_function(h) && self.is_lazy_key(key) {
            self.materialize_function(h)?;
            if let Some(i) = self.heap.obj(h).props.find(key) {
                return Ok(Own::Prop(i));
            }
        }
        Ok(Own::None)
    }

    /// [[GetOwnProperty]].
    pub fn get_own_property(
        &mut self,
        h: Handle,
        key: Key,
    ) -> Result<Option<PropertyDescriptor>, Value> {
        Ok(match self.find_own(h, key)? {
            Own::Prop(i) => {
                self.resolve_lazy(h, i)?;
                let p = *self.heap.obj(h).props.get(i).unwrap();
                Some(self.prop_descriptor(p))
            }
            Own::Elem(i) => {
                let ObjectKind::Array(a) = &self.heap.obj(h).kind else {
                    unreachable!()
                };
                Some(PropertyDescriptor::data(a.elems[i as usize], DEFAULT_FLAGS))
            }
            Own::ArrayLength => {
                let ObjectKind::Array(a) = &self.heap.obj(h).kind else {
                    unreachable!()
                };
                let w = if a.length_writable { WRITABLE } else { 0 };
                Some(PropertyDescriptor::data(Value::number(a.len as f64), w))
            }
            Own::StringIndex(i) => {
                let ObjectKind::String(s) = self.heap.obj(h).kind else {
                    unreachable!()
                };
                let b = self.string_bytes(s)[i as usize];
                Some(PropertyDescriptor::data(
                    self.intern_bytes(&[b]),
                    ENUMERABLE,
                ))
            }
            Own::StringLength => {
                let ObjectKind::String(s) = self.heap.obj(h).kind else {
                    unreachable!()
                };
                Some(PropertyDescriptor::data(
                    Value::number(self.string_len(s) as f64),
                    0,
                ))
            }
            Own::Typed(i) => {
                let v = self.typed_get(h, i).unwrap_or(Value::UNDEFINED);
                Some(PropertyDescriptor::data(
                    v,
                    WRITABLE | ENUMERABLE | CONFIGURABLE,
                ))
            }
            Own::None => None,
        })
    }

    fn prop_descriptor(&self, p: Prop) -> PropertyDescriptor {
        if p.flags & ACCESSOR != 0 {
            let acc = self.heap.accessor(p.stored.as_object().unwrap());
            PropertyDescriptor {
                value: None,
                writable: None,
                get: Some(acc.get),
                set: Some(acc.set),
                enumerable: Some(p.flags & ENUMERABLE != 0),
                configurable: Some(p.flags & CONFIGURABLE != 0),
            }
        } else {
            PropertyDescriptor::data(p.stored, p.flags)
        }
    }

    pub fn get_prototype_of(&mut self, h: Handle) -> Result<Option<Handle>, Value> {
        Ok(self.heap.obj(h).proto())
    }

    /// [[SetPrototypeOf]]: false if not extensible or it would create a cycle.
    pub fn set_prototype_of(&mut self, h: Handle, proto: Option<Handle>) -> Result<bool, Value> {
        let o = self.heap.obj(h);
        if o.proto() == proto {
            return Ok(true);
        }
        if !o.extensible {
            return Ok(false);
        }
        let mut p = proto;
        while let Some(ph) = p {
            if ph == h {
                return Ok(false);
            }
            p = self.heap.obj(ph).proto();
        }
        self.heap.obj_mut(h).set_proto(proto);
        Ok(true)
    }

    pub fn prevent_extensions(&mut self, h: Handle) -> Result<bool, Value> {
        self.heap.obj_mut(h).extensible = false;
        Ok(true)
    }

    /// The prototype used for property lookups on a primitive.
    fn primitive_proto(&mut self, v: Value) -> Result<Handle, Value> {
        let p = match v.kind() {
            Kind::Number(_) => self.intr.number_prototype,
            Kind::Bool(_) => self.intr.boolean_prototype,
            Kind::Atom(_) | Kind::String(_) => self.intr.string_prototype,
            Kind::Symbol(_) => self.intr.symbol_prototype,
            _ => None,
        };
        match p {
            Some(h) => Ok(h),
            None => Err(self.type_error("Cannot read properties of undefined or null")),
        }
    }

    /// [[Get]] on any value (primitives read through their prototype).
    #[inline(never)]
    pub fn get(&mut self, obj: Value, key: Key) -> Result<Value, Value> {
        match obj.as_object() {
            Some(h) => self.get_from(h, key, obj),
            None => {
                if obj.is_string() {
                    if key.as_atom() == Some(self.names.length) {
                        return Ok(Value::number(self.string_len(obj) as f64));
                    }
                    if let Some(i) = key.as_atom().and_then(|a| self.atoms.array_index(a)) {
                        if (i as usize) < self.string_len(obj) {
                            let b = self.string_bytes(obj)[i as usize];
                            return Ok(self.intern_bytes(&[b]));
                        }
                    }
                }
                if obj.is_nullish() {
                    let k = self.key_display(key);
                    let what = if obj.is_null() { "null" } else { "undefined" };
                    return Err(self.type_error(&alloc::format!(
                        "Cannot read properties of {what} (reading '{k}')"
                    )));
                }
                let p = self.primitive_proto(obj)?;
                self.get_from(p, key, obj)
            }
        }
    }

    /// [[Get]] starting the lookup at `h` with `receiver` as `this` for getters.
    pub fn get_from(&mut self, mut h: Handle, key: Key, receiver: Value) -> Result<Value, Value> {
        loop {
            // Fast path: ordinary property table.
            let o = self.heap.obj(h);
            if matches!(o.kind, ObjectKind::Ordinary) {
                if let Some(i) = o.props.find(key) {
                    let p = *o.props.get(i).unwrap();
                    if p.stored.as_lazy_native().is_some() {
                        return self.resolve_lazy(h, i);
                    }
                    return self.prop_value(p, receiver);
                }
                match o.proto() {
                    Some(p) => {
                        h = p;
                        continue;
                    }
                    None => return Ok(Value::UNDEFINED),
                }
            }
            match self.find_own(h, key)? {
                Own::Prop(i) => {
                    self.resolve_lazy(h, i)?;
                    let p = *self.heap.obj(h).props.get(i).unwrap();
                    return self.prop_value(p, receiver);
                }
                Own::None => match self.heap.obj(h).proto() {
                    Some(p) => {
                        // Typed arrays: numeric keys never reach the prototype.
                        if matches!(self.heap.obj(h).kind, ObjectKind::TypedArray { .. })
                            && key
                                .as_atom()
                                .is_some_and(|a| is_canonical_numeric_string(self.atoms.bytes(a)))
                        {
                            return Ok(Value::UNDEFINED);
                        }
                        h = p
                    }
                    None => return Ok(Value::UNDEFINED),
                },
                _ => {
                    let d = self.get_own_property(h, key)?.unwrap_or_default();
                    return Ok(d.value.unwrap_or(Value::UNDEFINED));
                }
            }
        }
    }

    /// The value of property `p` (found by `find_own`, or made by `resolve_lazy`: never a
    /// built-in method not made yet), calling its getter.
    #[inline]
    pub(crate) fn prop_value(&mut self, p: Prop, receiver: Value) -> Result<Value, Value> {
        debug_assert!(p.stored.as_lazy_native().is_none());
        if p.flags & ACCESSOR == 0 {
            return Ok(p.stored);
        }
        let getter = self.heap.accessor(p.stored.as_object().unwrap()).get;
        if getter.is_undefined() {
            return Ok(Value::UNDEFINED);
        }
        self.call(getter, receiver, &[])
    }

    /// `obj[i]` for an integer index.
    pub fn get_index(&mut self, obj: Value, i: u32) -> Result<Value, Value> {
        if let Some(h) = obj.as_object() {
            if let ObjectKind::Array(a) = &self.heap.obj(h).kind {
                if let Some(v) = a.elems.get(i as usize) {
                    if !v.is_empty() {
                        return Ok(*v);
                    }
                }
            }
        }
        let k = self.index_key(i);
        self.get(obj, k)
    }

    /// `obj[key]` with a key value (the GetElem instruction).
    #[inline(never)]
    pub fn get_elem(&mut self, obj: Value, key: Value) -> Result<Value, Value> {
        if let Some(n) = key.as_number() {
            if let Some(i) = super::number_ops::array_index(n) {
                if let Some(h) = obj.as_object() {
                    match &self.heap.obj(h).kind {
                        ObjectKind::Array(a) => {
                            if let Some(v) = a.elems.get(i as usize) {
                                if !v.is_empty() {
                                    return Ok(*v);
                                }
                            }
                        }
                        ObjectKind::TypedArray { .. } => {
                            return Ok(self.typed_get(h, i).unwrap_or(Value::UNDEFINED));
                        }
                        _ => {}
                    }
                } else if obj.is_string() {
                    if (i as usize) < self.string_len(obj) {
                        let b = self.string_bytes(obj)[i as usize];
                        return Ok(self.intern_bytes(&[b]));
                    }
                    return Ok(Value::UNDEFINED);
                }
                let k = self.index_key(i);
                return self.get(obj, k);
            }
        }
        if obj.is_nullish() {
            let k = self.to_string_lossy(key).unwrap_or_default();
            let what = if obj.is_null() { "null" } else { "undefined" };
            return Err(self.type_error(&alloc::format!(
                "Cannot read properties of {what} (reading '{k}')"
            )));
        }
        let k = self.to_property_key(key)?;
        self.get(obj, k)
    }

    /// [[Set]] on any value. `throw`: strict-mode failure reporting.
    #[inline(never)]
    pub fn set(&mut self, obj: Value, key: Key, v: Value, throw: bool) -> Result<(), Value> {
        let ok = match obj.as_object() {
            Some(h) => self.set_on(h, key, v, obj)?,
            None => {
                if obj.is_nullish() {
                    let k = self.key_display(key);
                    let what = if obj.is_undefined() {
                        "undefined"
                    } else {
                        "null"
                    };
                    return Err(self.type_error(&alloc::format!(
                        "Cannot set properties of {what} (setting '{k}')"
                    )));
                }
                let p = self.primitive_proto(obj)?;
                self.set_on(p, key, v, obj)?
            }
        };
        if !ok && throw {
            let k = self.key_display(key);
            return Err(self.type_error(&alloc::format!(
                "Cannot assign to read only property '{k}' of object"
            )));
        }
        Ok(())
    }

    /// OrdinarySet starting at `h` with `receiver`. Returns false on failure.
    pub fn set_on(
        &mut self,
        h: Handle,
        key: Key,
        v: Value,
        receiver: Value,
    ) -> Result<bool, Value> {
        let mut cur = h;
        loop {
            let own = self.find_own(cur, key)?;
            match own {
                Own::Prop(i) => {
                    let p = *self.heap.obj(cur).props.get(i).unwrap();
                    if p.flags & ACCESSOR != 0 {
                        let setter = self.heap.accessor(p.stored.as_object().unwrap()).set;
                        if setter.is_undefined() {
                            return Ok(false);
                        }
                        self.call(setter, receiver, &[v])?;
                        return Ok(true);
                    }
                    if p.flags & WRITABLE == 0 {
                        return Ok(false);
                    }
                    if receiver == Value::object(cur) {
                        self.heap.obj_mut(cur).props.get_mut(i).stored = v;
                        if let Some((env, slot)) = self.mapped_slot(cur, key) {
                            self.heap.env_mut(env).slots[slot as usize] = v;
                        }
                        return Ok(true);
                    }
                    return self.set_on_receiver(key, v, receiver);
                }
                Own::Elem(i) => {
                    if receiver == Value::object(cur) {
                        if let ObjectKind::Array(a) = &mut self.heap.obj_mut(cur).kind {
                            a.elems[i as usize] = v;
                        }
                        return Ok(true);
                    }
                    return self.set_on_receiver(key, v, receiver);
                }
                Own::ArrayLength => {
                    if receiver == Value::object(cur) {
                        return self.set_array_length(cur, v);
                    }
                    let writable = matches!(&self.heap.obj(cur).kind, ObjectKind::Array(a) if a.length_writable);
                    if !writable {
                        return Ok(false);
                    }
                    return self.set_on_receiver(key, v, receiver);
                }
                Own::Typed(i) => {
                    if receiver == Value::object(cur) {
                        self.typed_set(cur, i, v)?;
                        return Ok(true);
                    }
                    return self.set_on_receiver(key, v, receiver);
                }
                Own::StringIndex(_) | Own::StringLength => return Ok(false),
                Own::None => {
                    if let ObjectKind::TypedArray { .. } = self.heap.obj(cur).kind {
                        if key
                            .as_atom()
                            .is_some_and(|a| is_canonical_numeric_string(self.atoms.bytes(a)))
                        {
                            if receiver == Value::object(cur) {
                                // Out-of-bounds integer-indexed writes are ignored (after conversion).
                                self.to_number(v)?;
                                return Ok(true);
                            }
                            return Ok(true);
                        }
                    }
                    match self.heap.obj(cur).proto() {
                        Some(p) => cur = p,
                        None => return self.set_on_receiver(key, v, receiver),
                    }
                }
            }
        }
    }

    /// Create or update a data property on the receiver (the tail of OrdinarySet).
    fn set_on_receiver(&mut self, key: Key, v: Value, receiver: Value) -> Result<bool, Value> {
        let Some(r) = receiver.as_object() else {
            return Ok(false);
        };
        match self.own_attributes(r, key)? {
            Some(d) => {
                if d.is_accessor() || d.writable == Some(false) {
                    return Ok(false);
                }
                self.define_own_property(
                    r,
                    key,
                    PropertyDescriptor {
                        value: Some(v),
                        ..Default::default()
                    },
                )
            }
            None => self.create_data_property(r, key, v),
        }
    }

    /// CreateDataProperty: define an enumerable, writable, configurable data property.
    pub fn create_data_property(&mut self, h: Handle, key: Key, v: Value) -> Result<bool, Value> {
        // Fast paths.
        let index = key.as_atom().and_then(|a| self.atoms.array_index(a));
        let o = self.heap.obj(h);
        if o.extensible {
            match &o.kind {
                ObjectKind::Ordinary | ObjectKind::Error | ObjectKind::Arguments
                    if o.props.find(key).is_none() =>
                {
                    let o = self.heap.obj_mut(h);
                    let grown = o.props.push(key, v, DEFAULT_FLAGS);
                    self.charge(grown)?;
                    return Ok(true);
                }
                ObjectKind::Array(a) if !a.sparse => {
                    if let Some(i) = index {
                        if (i as usize) < a.elems.len() {
                            if let ObjectKind::Array(a) = &mut self.heap.obj_mut(h).kind {
                                a.elems[i as usize] = v;
                            }
                            return Ok(true);
                        }
                        if (i as usize) < a.elems.len() + 1024 && a.length_writable {
                            return self.array_put(h, i, v).map(|_| true);
                        }
                    }
                }
                _ => {}
            }
        }
        self.define_own_property(h, key, PropertyDescriptor::data(v, DEFAULT_FLAGS))
    }

    /// Write element `i` of a non-sparse array, growing it (holes fill gaps).
    pub(crate) fn array_put(&mut self, h: Handle, i: u32, v: Value) -> Result<(), Value> {
        let ObjectKind::Array(a) = &mut self.heap.obj_mut(h).kind else {
            unreachable!()
        };
        let i = i as usize;
        if i < a.elems.len() {
            a.elems[i] = v;
            return Ok(());
        }
        let before = a.elems.capacity();
        if i > a.elems.len() {
            a.elems.resize(i, Value::EMPTY);
        }
        a.elems.push(v);
        if a.len < a.elems.len() as u32 {
            a.len = a.elems.len() as u32;
        }
        let grown = (a.elems.capacity() - before) * 8;
        if grown > 0 {
            self.charge(grown)?;
        }
        Ok(())
    }

    /// `obj[key] = v` with a key value (the SetElem instruction).
    #[inline(never)]
    pub fn set_elem(&mut self, obj: Value, key: Value, v: Value, throw: bool) -> Result<(), Value> {
        if let (Some(h), Some(n)) = (obj.as_object(), key.as_number()) {
            if let Some(i) = super::number_ops::array_index(n) {
                let o = self.heap.obj_mut(h);
                match &mut o.kind {
                    ObjectKind::Array(a) if !a.sparse => {
                        let iu = i as usize;
                        if iu < a.elems.len() && !a.elems[iu].is_empty() {
                            a.elems[iu] = v;
                            return Ok(());
                        }
                        if iu == a.elems.len()
                            && o.extensible
                            && a.length_writable
                            && self.array_proto_is_plain()
                        {
                            return self.array_put(h, i, v);
                        }
                    }
                    ObjectKind::TypedArray { .. } => {
                        return self.typed_set(h, i, v);
                    }
                    _ => {}
                }
                let k = self.index_key(i);
                return self.set(obj, k, v, throw);
            }
        }
        let k = self.to_property_key(key)?;
        self.set(obj, k, v, throw)
    }

    /// True if no index properties were added to Array.prototype / Object.prototype (so that
    /// appending to an array can skip the prototype chain).
    fn array_proto_is_plain(&self) -> bool {
        // Indexed properties on prototypes are rare; checking for them keeps semantics right.
        let check = |h: Option<Handle>| {
            h.is_none_or(|h| {
                let o = self.heap.obj(h);
                let arr_ok = match &o.kind {
                    ObjectKind::Array(a) => a.elems.is_empty() && !a.sparse,
                    _ => true,
                };
                arr_ok
                    && !o.props.list().iter().any(|p| {
                        p.key
                            .as_atom()
                            .is_some_and(|a| self.atoms.array_index(a).is_some())
                    })
            })
        };
        check(self.intr.array_prototype) && check(self.intr.object_prototype)
    }

    fn set_array_length(&mut self, h: Handle, v: Value) -> Result<bool, Value> {
        let n = self.to_number(v)?;
        let len = n as u32;
        if len as f64 != n {
            return Err(self.make_error(ErrorKind::Range, "Invalid array length"));
        }
        self.set_array_len(h, len)
    }

    /// Set an array's length (truncating elements). False if `length` is read-only.
    pub(crate) fn set_array_len(&mut self, h: Handle, len: u32) -> Result<bool, Value> {
        let (sparse, old) = {
            let ObjectKind::Array(a) = &mut self.heap.obj_mut(h).kind else {
                return Ok(false);
            };
            if !a.length_writable {
                return Ok(a.len == len);
            }
            if (len as usize) < a.elems.len() {
                a.elems.truncate(len as usize);
            }
            (a.sparse, a.len)
        };
        let mut final_len = len;
        if sparse && len < old {
            // Delete index properties ≥ len (stopping at non-configurable ones).
            let mut idx: Vec<(u32, Key, u8)> = self
                .heap
                .obj(h)
                .props
                .list()
                .iter()
                .filter_map(|p| {
                    let i = self.atoms.array_index(p.key.as_atom()?)?;
                    (i >= len).then_some((i, p.key, p.flags))
                })
                .collect();
            ferrite_collections::sort::sort_by_key(&mut idx, |e| core::cmp::Reverse(e.0));
            for (i, key, flags) in idx {
                if flags & CONFIGURABLE == 0 {
                    final_len = i + 1;
                    break;
                }
                let o = self.heap.obj_mut(h);
                if let Some(pi) = o.props.find(key) {
                    o.props.remove(pi);
                }
            }
        }
        if let ObjectKind::Array(a) = &mut self.heap.obj_mut(h).kind {
            a.len = final_len;
        }
        Ok(final_len == len)
    }

    /// Move all array elements into the property table (for non-default attributes).
    fn make_array_sparse(&mut self, h: Handle) -> Result<(), Value> {
        let elems = match &mut self.heap.obj_mut(h).kind {
            ObjectKind::Array(a) => {
                if a.sparse && a.elems.is_empty() {
                    return Ok(());
                }
                a.sparse = true;
                core::mem::take(&mut a.elems)
            }
            _ => return Ok(()),
        };
        // Elements come before other properties in key order anyway (own_keys sorts indices).
        for (i, v) in elems.into_iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            let k = self.index_key(i as u32);
            let grown = self.heap.obj_mut(h).props.push(k, v, DEFAULT_FLAGS);
            self.charge(grown)?;
        }
        Ok(())
    }

    /// For a mapped `arguments` object: the environment slot that index `key` aliases.
    fn mapped_slot(&self, h: Handle, key: Key) -> Option<(Handle, u32)> {
        let ObjectKind::MappedArguments { env, map } = &self.heap.obj(h).kind else {
            return None;
        };
        let i = self.atoms.array_index(key.as_atom()?)?;
        let slot = *map.get(i as usize)?;
        (slot != u32::MAX).then_some((*env, slot))
    }

    fn unmap_argument(&mut self, h: Handle, key: Key) {
        let Some(i) = key.as_atom().and_then(|a| self.atoms.array_index(a)) else {
            return;
        };
        if let ObjectKind::MappedArguments { map, .. } = &mut self.heap.obj_mut(h).kind {
            if let Some(s) = map.get_mut(i as usize) {
                *s = u32::MAX;
            }
        }
    }

    /// [[DefineOwnProperty]] (ValidateAndApplyPropertyDescriptor). Returns false when refused.
    pub fn define_own_property(
        &mut self,
        h: Handle,
        key: Key,
        desc: PropertyDescriptor,
    ) -> Result<bool, Value> {
        let index = key.as_atom().and_then(|a| self.atoms.array_index(a));
        // Exotic objects first.
        match &self.heap.obj(h).kind {
            ObjectKind::Array(_) => {
                if key.as_atom() == Some(self.names.length) {
                    return self.define_array_length(h, desc);
                }
                if let Some(i) = index {
                    let (len, len_writable) = match &self.heap.obj(h).kind {
                        ObjectKind::Array(a) => (a.len, a.length_writable),
                        _ => unreachable!(),
                    };
                    if i >= len && !len_writable {
                        return Ok(false);
                    }
                    let plain = desc.get.is_none()
                        && desc.set.is_none()
                        && desc.writable != Some(false)
                        && desc.enumerable != Some(false)
                        && desc.configurable != Some(false);
                    let (dense_ok, exists_dense) = match &self.heap.obj(h).kind {
                        ObjectKind::Array(a) => (
                            !a.sparse && (i as usize) <= a.elems.len() + 1024,
                            (i as usize) < a.elems.len() && !a.elems[i as usize].is_empty(),
                        ),
                        _ => unreachable!(),
                    };
                    let creating_full = desc.value.is_some()
                        && desc.writable == Some(true)
                        && desc.enumerable == Some(true)
                        && desc.configurable == Some(true);
                    if dense_ok
                        && plain
                        && (exists_dense || creating_full)
                        && self.heap.obj(h).extensible
                    {
                        let v = desc.value.unwrap_or_else(|| {
                            let ObjectKind::Array(a) = &self.heap.obj(h).kind else {
                                unreachable!()
                            };
                            a.elems.get(i as usize).copied().unwrap_or(Value::UNDEFINED)
                        });
                        self.array_put(h, i, v)?;
                        return Ok(true);
                    }
                    self.make_array_sparse(h)?;
                    let ok = self.define_ordinary(h, key, desc)?;
                    if ok && i >= len {
                        if let ObjectKind::Array(a) = &mut self.heap.obj_mut(h).kind {
                            a.len = i + 1;
                        }
                    }
                    return Ok(ok);
                }
            }
            ObjectKind::String(s) => {
                let s = *s;
                if key.as_atom() == Some(self.names.length)
                    || index.is_some_and(|i| (i as usize) < self.string_len(s))
                {
                    let cur = self.get_own_property(h, key)?.unwrap();
                    return Ok(self.compatible_with_frozen(cur, desc));
                }
            }
            ObjectKind::TypedArray { .. } => {
                if let Some(a) = key.as_atom() {
                    if is_canonical_numeric_string(self.atoms.bytes(a)) {
                        let Some(i) = index else { return Ok(false) };
                        let len = self.typed_length(h).unwrap_or(0);
                        if i >= len
                            || desc.configurable == Some(false)
                            || desc.enumerable == Some(false)
                            || desc.is_accessor()
                            || desc.writable == Some(false)
                        {
                            return Ok(false);
                        }
                        if let Some(v) = desc.value {
                            self.typed_set(h, i, v)?;
                        }
                        return Ok(true);
                    }
                }
            }
            _ => {}
        }
        if let Some((env, slot)) = self.mapped_slot(h, key) {
            // Arguments exotic [[DefineOwnProperty]]: keep the parameter in step, or unmap.
            self.find_own(h, key)?; // refreshes the stored value from the parameter
            let ok = self.define_ordinary(h, key, desc)?;
            if ok {
                if desc.is_accessor() {
                    self.unmap_argument(h, key);
                } else {
                    if let Some(v) = desc.value {
                        self.heap.env_mut(env).slots[slot as usize] = v;
                    }
                    if desc.writable == Some(false) {
                        self.unmap_argument(h, key);
                    }
                }
            }
            return Ok(ok);
        }
        self.define_ordinary(h, key, desc)
    }

    fn compatible_with_frozen(
        &mut self,
        cur: PropertyDescriptor,
        desc: PropertyDescriptor,
    ) -> bool {
        if desc.configurable == Some(true) || desc.is_accessor() {
            return false;
        }
        if desc.enumerable.is_some() && desc.enumerable != cur.enumerable {
            return false;
        }
        if desc.writable == Some(true) && cur.writable == Some(false) {
            return false;
        }
        match (desc.value, cur.value) {
            (Some(a), Some(b)) => self.same_value(a, b),
            _ => true,
        }
    }

    fn define_array_length(&mut self, h: Handle, desc: PropertyDescriptor) -> Result<bool, Value> {
        if desc.is_accessor() || desc.configurable == Some(true) || desc.enumerable == Some(true) {
            return Ok(false);
        }
        let new_len = match desc.value {
            Some(v) => {
                let n = self.to_number(v)?;
                let len = self.to_uint32(v)?;
                if len as f64 != n {
                    return Err(self.make_error(ErrorKind::Range, "Invalid array length"));
                }
                Some(len)
            }
            None => None,
        };
        let writable = match &self.heap.obj(h).kind {
            ObjectKind::Array(a) => a.length_writable,
            _ => unreachable!(),
        };
        if !writable {
            if desc.writable == Some(true) {
                return Ok(false);
            }
            if let Some(l) = new_len {
                let ObjectKind::Array(a) = &self.heap.obj(h).kind else {
                    unreachable!()
                };
                return Ok(l == a.len);
            }
            return Ok(true);
        }
        let mut ok = true;
        if let Some(l) = new_len {
            ok = self.set_array_len(h, l)?;
        }
        if desc.writable == Some(false) {
            if let ObjectKind::Array(a) = &mut self.heap.obj_mut(h).kind {
                a.length_writable = false;
            }
        }
        Ok(ok)
    }

    /// ValidateAndApplyPropertyDescriptor on the property table.
    fn define_ordinary(
        &mut self,
        h: Handle,
        key: Key,
        desc: PropertyDescriptor,
    ) -> Result<bool, Value> {
        if self.is_lazy_function(h) {
            self.materialize_function(h)?;
        }
        let found = self.heap.obj(h).props.find(key);
        let Some(i) = found else {
            if !self.heap.obj(h).extensible {
                return Ok(false);
            }
            let mut flags = 0;
            if desc.enumerable == Some(true) {
                flags |= ENUMERABLE;
            }
            if desc.configurable == Some(true) {
                flags |= CONFIGURABLE;
            }
            let value = if desc.is_accessor() {
                flags |= ACCESSOR;
                let acc = self.alloc_cell(Cell::Accessor(Accessor {
                    get: desc.get.unwrap_or(Value::UNDEFINED),
                    set: desc.set.unwrap_or(Value::UNDEFINED),
                }))?;
                Value::object(acc)
            } else {
                if desc.writable == Some(true) {
                    flags |= WRITABLE;
                }
                desc.value.unwrap_or(Value::UNDEFINED)
            };
            let grown = self.heap.obj_mut(h).props.push(key, value, flags);
            self.charge(grown)?;
            return Ok(true);
        };
        let p = *self.heap.obj(h).props.get(i).unwrap();
        let cur = self.prop_descriptor(p);
        let configurable = p.flags & CONFIGURABLE != 0;
        if !configurable {
            if desc.configurable == Some(true) {
                return Ok(false);
            }
            if desc.enumerable.is_some() && desc.enumerable != cur.enumerable {
                return Ok(false);
            }
            if desc.is_accessor() && !cur.is_accessor() || desc.is_data() && cur.is_accessor() {
                return Ok(false);
            }
            if cur.is_accessor() {
                if let Some(g) = desc.get {
                    if g != cur.get.unwrap() {
                        return Ok(false);
                    }
                }
                if let Some(s) = desc.set {
                    if s != cur.set.unwrap() {
                        return Ok(false);
                    }
                }
            } else if cur.writable == Some(false) {
                if desc.writable == Some(true) {
                    return Ok(false);
                }
                if let Some(v) = desc.value {
                    if !self.same_value(v, cur.value.unwrap()) {
                        return Ok(false);
                    }
                }
            }
        }
        // Apply.
        let mut flags = p.flags;
        if let Some(e) = desc.enumerable {
            flags = if e {
                flags | ENUMERABLE
            } else {
                flags & !ENUMERABLE
            };
        }
        if let Some(c) = desc.configurable {
            flags = if c {
                flags | CONFIGURABLE
            } else {
                flags & !CONFIGURABLE
            };
        }
        let mut value = p.stored;
        if desc.is_accessor() {
            let (mut g, mut s) = if cur.is_accessor() {
                (cur.get.unwrap(), cur.set.unwrap())
            } else {
                (Value::UNDEFINED, Value::UNDEFINED)
            };
            if let Some(x) = desc.get {
                g = x;
            }
            if let Some(x) = desc.set {
                s = x;
            }
            let acc = self.alloc_cell(Cell::Accessor(Accessor { get: g, set: s }))?;
            value = Value::object(acc);
            flags = (flags | ACCESSOR) & !WRITABLE;
        } else if desc.is_data() {
            if cur.is_accessor() {
                flags &= !ACCESSOR;
                value = Value::UNDEFINED;
            }
            if let Some(v) = desc.value {
                value = v;
            }
            if let Some(w) = desc.writable {
                flags = if w {
                    flags | WRITABLE
                } else {
                    flags & !WRITABLE
                };
            }
        }
        let pm = self.heap.obj_mut(h).props.get_mut(i);
        pm.flags = flags;
        pm.stored = value;
        Ok(true)
    }

    /// DefinePropertyOrThrow.
    pub fn define_property_or_throw(
        &mut self,
        h: Handle,
        key: Key,
        desc: PropertyDescriptor,
    ) -> Result<(), Value> {
        if self.define_own_property(h, key, desc)? {
            Ok(())
        } else {
            let k = self.key_display(key);
            Err(self.type_error(&alloc::format!("Cannot redefine property: {k}")))
        }
    }

    /// [[Delete]]: false if the property is non-configurable.
    pub fn delete_property(&mut self, h: Handle, key: Key) -> Result<bool, Value> {
        match self.find_own(h, key)? {
            Own::Prop(i) => {
                let p = *self.heap.obj(h).props.get(i).unwrap();
                if p.flags & CONFIGURABLE == 0 {
                    return Ok(false);
                }
                self.heap.obj_mut(h).props.remove(i);
                self.unmap_argument(h, key);
                Ok(true)
            }
            Own::Elem(i) => {
                if let ObjectKind::Array(a) = &mut self.heap.obj_mut(h).kind {
                    if i as usize + 1 == a.elems.len() {
                        a.elems.pop();
                        while a.elems.last().is_some_and(|v| v.is_empty()) {
                            a.elems.pop();
                        }
                    } else {
                        a.elems[i as usize] = Value::EMPTY;
                    }
                }
                Ok(true)
            }
            Own::ArrayLength | Own::StringIndex(_) | Own::StringLength | Own::Typed(_) => Ok(false),
            Own::None => Ok(true),
        }
    }

    /// [[HasProperty]].
    pub fn has_property(&mut self, h: Handle, key: Key) -> Result<bool, Value> {
        let mut cur = h;
        loop {
            if !matches!(self.find_own(cur, key)?, Own::None) {
                return Ok(true);
            }
            if let ObjectKind::TypedArray { .. } = self.heap.obj(cur).kind {
                if key
                    .as_atom()
                    .is_some_and(|a| is_canonical_numeric_string(self.atoms.bytes(a)))
                {
                    return Ok(false);
                }
            }
            match self.heap.obj(cur).proto() {
                Some(p) => cur = p,
                None => return Ok(false),
            }
        }
    }

    /// Own property `key` of `h` for a look at its attributes only (`None`: there is none): a
    /// built-in method not made yet stays so, and its descriptor has no `value` (`writable`
    /// still says it is a data property). Freezing, `propertyIsEnumerable`, for-in,
    /// `Object.keys`, an assignment's check, the console's display.
    pub fn own_attributes(
        &mut self,
        h: Handle,
        key: Key,
    ) -> Result<Option<PropertyDescriptor>, Value> {
        match self.find_own(h, key)? {
            Own::Prop(i) => {
                let p = *self.heap.obj(h).props.get(i).unwrap();
                Ok(Some(if p.stored.as_lazy_native().is_some() {
                    PropertyDescriptor {
                        value: None,
                        ..PropertyDescriptor::data(Value::UNDEFINED, p.flags)
                    }
                } else {
                    self.prop_descriptor(p)
                }))
            }
            Own::None => Ok(None),
            _ => self.get_own_property(h, key),
        }
    }

    /// Whether own property `key` of `h` is enumerable (`None`: there is none), by
    /// [`Vm::own_attributes`].
    pub fn own_enumerable(&mut self, h: Handle, key: Key) -> Result<Option<bool>, Value> {
        Ok(self
            .own_attributes(h, key)?
            .map(|d| d.enumerable == Some(true)))
    }

    pub fn has_own_property(&mut self, h: Handle, key: Key) -> Result<bool, Value> {
        Ok(!matches!(self.find_own(h, key)?, Own::None))
    }

    /// [[OwnPropertyKeys]]: integer indices ascending, then strings, then symbols, in creation order.
    pub fn own_keys(&mut self, h: Handle) -> Result<Vec<Key>, Value> {
        if self.is_lazy_function(h) {
            self.materialize_function(h)?;
        }
        let mut indices: Vec<(u32, Key)> = Vec::new();
        let mut strings = Vec::new();
        let mut symbols = Vec::new();
        let o = self.heap.obj(h);
        match &o.kind {
            ObjectKind::Array(a) => {
                for (i, v) in a.elems.iter().enumerate() {
                    if !v.is_empty() {
                        indices.push((i as u32, Key::atom(crate::value::Atom(u32::MAX >> 1))));
                    }
                }
            }
            ObjectKind::String(s) => {
                let n = self.string_len(*s);
                for i in 0..n {
                    indices.push((i as u32, Key::atom(crate::value::Atom(u32::MAX >> 1))));
                }
            }
            ObjectKind::TypedArray { .. } => {
                let n = self.typed_length(h).unwrap_or(0);
                for i in 0..n {
                    indices.push((i, Key::atom(crate::value::Atom(u32::MAX >> 1))));
                }
            }
            _ => {}
        }
        let o = self.heap.obj(h);
        for p in o.props.list() {
            match p.key.as_atom() {
                Some(a) => match self.atoms.array_index(a) {
                    Some(i) => indices.push((i, p.key)),
                    None => strings.push(p.key),
                },
                None => symbols.push(p.key),
            }
        }
        match &o.kind {
            ObjectKind::Array(_) => strings.insert(0, Key::atom(self.names.length)),
            ObjectKind::String(_) => {
                // `to_object` may also have stored a (shadowed) `length` property.
                strings.retain(|k| *k != Key::atom(self.names.length));
                strings.insert(0, Key::atom(self.names.length))
            }
            _ => {}
        }
        ferrite_collections::sort::sort_by_key(&mut indices, |(i, _)| *i);
        let mut out = Vec::with_capacity(indices.len() + strings.len() + symbols.len());
        for (i, k) in indices {
            if k.as_atom() == Some(crate::value::Atom(u32::MAX >> 1)) {
                out.push(self.index_key(i));
            } else {
                out.push(k);
            }
        }
        out.extend(strings);
        out.extend(symbols);
        Ok(out)
    }

    /// A key for messages.
    pub fn key_display(&self, key: Key) -> alloc::string::String {
        match key.as_atom() {
            Some(a) => alloc::string::String::from_utf8_lossy(self.atoms.bytes(a)).into_owned(),
            None => {
                let d = self.heap.symbol(key.as_symbol().unwrap()).description;
                let s = alloc::string::String::from_utf8_lossy(self.flat_bytes(d)).into_owned();
                alloc::format!("Symbol({s})")
            }
        }
    }

    // ----- typed array element access -----

    /// Current length in elements of a typed array (0 if detached or out of bounds).
    pub fn typed_length(&self, h: Handle) -> Option<u32> {
        let ObjectKind::TypedArray {
            kind,
            buffer,
            offset,
            length,
        } = self.heap.obj(h).kind
        else {
            return None;
        };
        let ObjectKind::ArrayBuffer { data, detached } = &self.heap.obj(buffer).kind else {
            return None;
        };
        if *detached {
            return Some(0);
        }
        let end = offset as usize + length as usize * kind.size();
        if end > data.len() {
            return Some(0);
        }
        Some(length)
    }

    pub fn typed_get(&self, h: Handle, i: u32) -> Option<Value> {
        let ObjectKind::TypedArray {
            kind,
            buffer,
            offset,
            ..
        } = self.heap.obj(h).kind
        else {
            return None;
        };
        if i >= self.typed_length(h)? {
            return None;
        }
        let ObjectKind::ArrayBuffer { data, .. } = &self.heap.obj(buffer).kind else {
            return None;
        };
        let at = offset as usize + i as usize * kind.size();
        Some(Value::number(read_element(
            kind,
            &data[at..at + kind.size()],
            true,
        )))
    }

    pub fn typed_set(&mut self, h: Handle, i: u32, v: Value) -> Result<(), Value> {
        let n = self.to_number(v)?;
        let ObjectKind::TypedArray {
            kind,
            buffer,
            offset,
            ..
        } = self.heap.obj(h).kind
        else {
            return Ok(());
        };
        if i >= self.typed_length(h).unwrap_or(0) {
            return Ok(());
        }
        let at = offset as usize + i as usize * kind.size();
        if let ObjectKind::ArrayBuffer { data, .. } = &mut self.heap.obj_mut(buffer).kind {
            write_element(kind, &mut data[at..at + kind.size()], n, true);
        }
        Ok(())
    }
}

/// CanonicalNumericIndexString: is this string the canonical form of some number (incl. "-0")?
pub fn is_canonical_numeric_string(b: &[u8]) -> bool {
    if b == b"-0" {
        return true;
    }
    let Ok(s) = core::str::from_utf8(b) else {
        return false;
    };
    let n = super::convert::string_to_number(b);
    if n.is_nan() {
        return s == "NaN";
    }
    crate::lexer::number_to_string(n) == s
}

/// Decode a typed-array element from bytes.
pub fn read_element(kind: TypedKind, b: &[u8], little: bool) -> f64 {
    let mut buf = [0u8; 8];
    buf[..b.len()].copy_from_slice(b);
    if !little {
        buf[..b.len()].reverse();
    }
    match kind {
        TypedKind::Int8 => buf[0] as i8 as f64,
        TypedKind::Uint8 | TypedKind::Uint8Clamped => buf[0] as f64,
        TypedKind::Int16 => i16::from_le_bytes([buf[0], buf[1]]) as f64,
        TypedKind::Uint16 => u16::from_le_bytes([buf[0], buf[1]]) as f64,
        TypedKind::Int32 => i32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as f64,
        TypedKind::Uint32 => u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as f64,
        TypedKind::Float32 => f32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as f64,
        TypedKind::Float64 => f64::from_le_bytes(buf),
    }
}

/// Encode a number into a typed-array element.
pub fn write_element(kind: TypedKind, out: &mut [u8], n: f64, little: bool) {
    let i = super::convert::f64_to_int32(n);
    let bytes: [u8; 8] = match kind {
        TypedKind::Int8 | TypedKind::Uint8 => {
            let mut b = [0; 8];
            b[0] = i as u8;
            b
        }
        TypedKind::Uint8Clamped => {
            let mut b = [0; 8];
            b[0] = if n.is_nan() || n <= 0.0 {
                0
            } else if n >= 255.0 {
                255
            } else {
                // Round half to even.
                let f = libm::floor(n);
                let d = n - f;
                let r = if d > 0.5 || (d == 0.5 && (f as u32) % 2 == 1) {
                    f + 1.0
                } else {
                    f
                };
                r as u8
            };
            b
        }
        TypedKind::Int16 | TypedKind::Uint16 => {
            let mut b = [0; 8];
            b[..2].copy_from_slice(&(i as u16).to_le_bytes());
            b
        }
        TypedKind::Int32 | TypedKind::Uint32 => {
            let mut b = [0; 8];
            b[..4].copy_from_slice(&(i as u32).to_le_bytes());
            b
        }
        TypedKind::Float32 => {
            let mut b = [0; 8];
            b[..4].copy_from_slice(&(n as f32).to_le_bytes());
            b
        }
        TypedKind::Float64 => n.to_le_bytes(),
    };
    let size = kind.size();
    out[..size].copy_from_slice(&bytes[..size]);
    if !little {
        out[..size].reverse();
    }
}
