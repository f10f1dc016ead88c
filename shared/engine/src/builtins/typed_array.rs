//! `ArrayBuffer`, the typed arrays (`%TypedArray%` and its nine concrete constructors) and
//! `DataView`.
//!
//! Buffers are fixed-length (no resizable buffers, no SharedArrayBuffer, no BigInt arrays).
//! Element access itself lives in the VM (`typed_get`/`typed_set`, `read_element`/`write_element`).
//! Typed-array natives hold only numbers across calls into JavaScript; the arrays they create are
//! rooted while user code can run.

use alloc::vec;
use alloc::vec::Vec;

use crate::heap::Handle;
use crate::object::{ArrayData, IterKind, Key, ObjectKind, TypedKind, CONFIGURABLE, METHOD_FLAGS};
use crate::value::Value;
use crate::vm::{read_element, write_element, Vm};

// ----- realm data -----

/// Hidden realm slots: the nine concrete constructors, %TypedArray%, %ArrayBuffer%.
const SLOT_TYPED_ARRAY: usize = 9;
const SLOT_ARRAY_BUFFER: usize = 10;
const SLOTS: usize = 11;

fn hidden_slots(vm: &Vm) -> Option<Handle> {
    for &v in &vm.realm_values {
        if let Some(h) = v.as_object() {
            let o = vm.heap.obj(h);
            if o.proto().is_none() {
                if let ObjectKind::Array(a) = &o.kind {
                    if !a.length_writable && a.elems.len() == SLOTS && a.len == SLOTS as u32 {
                        return Some(h);
                    }
                }
            }
        }
    }
    None
}

fn intrinsic(vm: &Vm, slot: usize) -> Value {
    hidden_slots(vm)
        .and_then(|h| match &vm.heap.obj(h).kind {
            ObjectKind::Array(a) => a.elems.get(slot).copied(),
            _ => None,
        })
        .unwrap_or(Value::UNDEFINED)
}

fn kind_index(kind: TypedKind) -> usize {
    TypedKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

// ----- buffers -----

/// Largest buffer we attempt to allocate.
const MAX_BUFFER_BYTES: usize = 1 << 30;

fn alloc_failed(vm: &mut Vm) -> Value {
    vm.range_error("Array buffer allocation failed")
}

/// A zeroed ArrayBuffer of `len` bytes (RangeError before allocating when it can't fit).
fn alloc_buffer(vm: &mut Vm, proto: Option<Handle>, len: usize) -> Result<Value, Value> {
    let headroom = vm.heap.budget().saturating_sub(vm.heap.used());
    if len > MAX_BUFFER_BYTES || len.saturating_add(256) > headroom {
        return Err(alloc_failed(vm));
    }
    vm.alloc_object(
        proto,
        ObjectKind::ArrayBuffer {
            data: vec![0; len],
            detached: false,
        },
    )
}

fn buffer_info(vm: &Vm, v: Value) -> Option<(Handle, bool, usize)> {
    let h = v.as_object()?;
    match &vm.heap.obj(h).kind {
        ObjectKind::ArrayBuffer { data, detached } => Some((h, *detached, data.len())),
        _ => None,
    }
}

fn is_detached(vm: &Vm, buf: Handle) -> bool {
    match &vm.heap.obj(buf).kind {
        ObjectKind::ArrayBuffer { detached, .. } => *detached,
        _ => true,
    }
}

fn buffer_data(vm: &Vm, buf: Handle) -> &[u8] {
    match &vm.heap.obj(buf).kind {
        ObjectKind::ArrayBuffer { data, .. } => data,
        _ => &[],
    }
}

fn buffer_data_mut(vm: &mut Vm, buf: Handle) -> &mut [u8] {
    match &mut vm.heap.obj_mut(buf).kind {
        ObjectKind::ArrayBuffer { data, .. } => data,
        _ => &mut [],
    }
}

impl Vm {
    /// DetachArrayBuffer (used by `$262.detachArrayBuffer`).
    pub fn detach_array_buffer(&mut self, buffer: Value) -> Result<(), Value> {
        let Some(h) = buffer.as_object() else {
            return Err(self.type_error("not an ArrayBuffer"));
        };
        match &mut self.heap.obj_mut(h).kind {
            ObjectKind::ArrayBuffer { data, detached } => {
                *data = Vec::new();
                *detached = true;
                Ok(())
            }
            _ => Err(self.type_error("not an ArrayBuffer")),
        }
    }
}

// ----- typed array helpers -----

#[derive(Clone, Copy)]
struct Ta {
    h: Handle,
    kind: TypedKind,
    buffer: Handle,
    offset: usize,
}

fn ta_parts(vm: &Vm, v: Value) -> Option<Ta> {
    let h = v.as_object()?;
    match vm.heap.obj(h).kind {
        ObjectKind::TypedArray {
            kind,
            buffer,
            offset,
            ..
        } => Some(Ta {
            h,
            kind,
            buffer,
            offset: offset as usize,
        }),
        _ => None,
    }
}

fn require_ta(vm: &mut Vm, v: Value) -> Result<Ta, Value> {
    match ta_parts(vm, v) {
        Some(t) => Ok(t),
        None => Err(vm.type_error("this is not a typed array.")),
    }
}

/// ValidateTypedArray: a typed array whose buffer is attached. Returns it and its length.
fn validate(vm: &mut Vm, v: Value) -> Result<(Ta, usize), Value> {
    let t = require_ta(vm, v)?;
    if is_detached(vm, t.buffer) {
        return Err(vm.type_error("Cannot perform this operation on a detached ArrayBuffer"));
    }
    let len = vm.typed_length(t.h).unwrap_or(0) as usize;
    Ok((t, len))
}

fn ta_len(vm: &Vm, h: Handle) -> usize {
    vm.typed_length(h).unwrap_or(0) as usize
}

fn get_el(vm: &Vm, h: Handle, i: usize) -> Value {
    if i > u32::MAX as usize {
        return Value::UNDEFINED;
    }
    vm.typed_get(h, i as u32).unwrap_or(Value::UNDEFINED)
}

fn get_num(vm: &Vm, h: Handle, i: usize) -> f64 {
    get_el(vm, h, i).as_number().unwrap_or(f64::NAN)
}

/// Write a number (no coercion; ignored when out of bounds or detached).
fn set_num(vm: &mut Vm, h: Handle, i: usize, n: f64) {
    if i > u32::MAX as usize {
        return;
    }
    let _ = vm.typed_set(h, i as u32, Value::number(n));
}

/// TypedArraySetElement with coercion.
fn set_value(vm: &mut Vm, h: Handle, i: usize, v: Value) -> Result<(), Value> {
    if i > u32::MAX as usize {
        vm.to_number(v)?;
        return Ok(());
    }
    vm.typed_set(h, i as u32, v)
}

/// A new typed array of `kind` with a fresh zeroed buffer.
fn create_ta(
    vm: &mut Vm,
    proto: Option<Handle>,
    kind: TypedKind,
    len: usize,
) -> Result<Value, Value> {
    let Some(bytes) = len.checked_mul(kind.size()) else {
        return Err(vm.range_error("Invalid typed array length"));
    };
    if len > u32::MAX as usize || bytes > MAX_BUFFER_BYTES {
        return Err(vm.range_error(&alloc::format!("Invalid typed array length: {len}")));
    }
    let buf = alloc_buffer(vm, vm.intr.array_buffer_prototype, bytes)?;
    let bh = buf.as_object().unwrap_or(Handle(0));
    vm.alloc_object(
        proto,
        ObjectKind::TypedArray {
            kind,
            buffer: bh,
            offset: 0,
            length: len as u32,
        },
    )
}

/// TypedArrayCreateSameType: an intrinsic typed array of the same kind.
fn create_same_type(vm: &mut Vm, kind: TypedKind, len: usize) -> Result<Value, Value> {
    let proto = vm.intr.typed_array_prototypes[kind_index(kind)];
    create_ta(vm, proto, kind, len)
}

/// SpeciesConstructor(O, default).
fn species_constructor(vm: &mut Vm, o: Value, default: Value) -> Result<Value, Value> {
    let ck = Key::atom(vm.names.constructor);
    let c = vm.get(o, ck)?;
    if c.is_undefined() {
        return Ok(default);
    }
    if !c.is_object() {
        return Err(vm.type_error("object.constructor is not an object"));
    }
    let s = vm.get(c, Key::symbol(vm.sym.species))?;
    if s.is_nullish() {
        return Ok(default);
    }
    if vm.is_constructor(s) {
        return Ok(s);
    }
    Err(vm.type_error("object.constructor[Symbol.species] is not a constructor"))
}

/// TypedArrayCreateFromConstructor(C, args).
fn create_from_constructor(vm: &mut Vm, c: Value, args: &[Value]) -> Result<Value, Value> {
    let new = vm.construct(c, args, c)?;
    let mark = vm.push_root(new);
    let r = validate(vm, new);
    vm.truncate_roots(mark);
    let (_, len) = r?;
    if args.len() == 1 {
        if let Some(n) = args[0].as_number() {
            if (len as f64) < n {
                return Err(vm.type_error(
                    "Derived TypedArray constructor created an array which was too small",
                ));
            }
        }
    }
    Ok(new)
}

/// TypedArraySpeciesCreate with a single length argument.
fn species_create_len(vm: &mut Vm, exemplar: &Ta, len: usize) -> Result<Value, Value> {
    let default = intrinsic(vm, kind_index(exemplar.kind));
    let c = species_constructor(vm, Value::object(exemplar.h), default)?;
    if c == default || default.is_undefined() {
        return create_same_type(vm, exemplar.kind, len);
    }
    create_from_constructor(vm, c, &[Value::number(len as f64)])
}

/// ToIntegerOrInfinity(v) resolved against `len` as a relative index (start/end arguments).
fn relative_index(vm: &mut Vm, v: Value, len: usize, default: usize) -> Result<usize, Value> {
    if v.is_undefined() {
        return Ok(default);
    }
    let r = vm.to_integer_or_infinity(v)?;
    let len_f = len as f64;
    Ok(if r < 0.0 {
        (len_f + r).max(0.0) as usize
    } else {
        r.min(len_f) as usize
    })
}

fn callable_arg(vm: &mut Vm, f: Value) -> Result<Value, Value> {
    if !vm.is_callable(f) {
        let d = vm.describe_value(f);
        return Err(vm.type_error(&alloc::format!("{d} is not a function")));
    }
    Ok(f)
}

// ----- constructors -----

fn typed_array_abstract(vm: &mut Vm, _this: Value, _args: &[Value]) -> Result<Value, Value> {
    Err(vm.type_error("Abstract class TypedArray not directly constructable"))
}

/// InitializeTypedArrayFromArrayBuffer (and the subarray fast path).
fn init_from_buffer(
    vm: &mut Vm,
    proto: Option<Handle>,
    kind: TypedKind,
    buffer: Handle,
    byte_offset: Value,
    length: Value,
) -> Result<Value, Value> {
    let size = kind.size();
    let offset = vm.to_index(byte_offset)?;
    if !offset.is_multiple_of(size) {
        return Err(vm.range_error(&alloc::format!(
            "start offset of {} should be a multiple of {size}",
            kind.name()
        )));
    }
    let new_length = if length.is_undefined() {
        None
    } else {
        Some(vm.to_index(length)?)
    };
    if is_detached(vm, buffer) {
        return Err(vm.type_error("Cannot construct a typed array on a detached ArrayBuffer"));
    }
    let buf_len = buffer_data(vm, buffer).len();
    let new_byte_length = match new_length {
        None => {
            if !buf_len.is_multiple_of(size) {
                return Err(vm.range_error(&alloc::format!(
                    "byte length of {} should be a multiple of {size}",
                    kind.name()
                )));
            }
            if offset > buf_len {
                return Err(vm.range_error(&alloc::format!(
                    "Start offset {offset} is outside the bounds of the buffer"
                )));
            }
            buf_len - offset
        }
        Some(n) => {
            let bytes = n.saturating_mul(size);
            if offset.saturating_add(bytes) > buf_len {
                return Err(vm.range_error(&alloc::format!("Invalid typed array length: {n}")));
            }
            bytes
        }
    };
    if offset > u32::MAX as usize || new_byte_length / size > u32::MAX as usize {
        return Err(vm.range_error("Invalid typed array length"));
    }
    vm.alloc_object(
        proto,
        ObjectKind::TypedArray {
            kind,
            buffer,
            offset: offset as u32,
            length: (new_byte_length / size) as u32,
        },
    )
}

fn ta_construct(vm: &mut Vm, args: &[Value], kind: TypedKind) -> Result<Value, Value> {
    let nt = vm.new_target();
    if nt.is_undefined() {
        return Err(vm.type_error(&alloc::format!(
            "Constructor {} requires 'new'",
            kind.name()
        )));
    }
    let fallback = vm.intr.typed_array_prototypes[kind_index(kind)];
    let first = Vm::arg(args, 0);
    let Some(fh) = first.as_object() else {
        let n = vm.to_index(first)?;
        let proto = vm.proto_from_new_target(nt, fallback)?;
        return create_ta(vm, proto, kind, n);
    };
    let proto = vm.proto_from_new_target(nt, fallback)?;
    if let Some(src) = ta_parts(vm, first) {
        // InitializeTypedArrayFromTypedArray.
        if is_detached(vm, src.buffer) {
            return Err(vm.type_error("Cannot construct from a detached typed array"));
        }
        let len = ta_len(vm, src.h);
        let o = create_ta(vm, proto, kind, len)?;
        let dst = ta_parts(vm, o).ok_or(Value::UNDEFINED)?;
        copy_elements(vm, &src, 0, &dst, 0, len);
        return Ok(o);
    }
    if buffer_info(vm, first).is_some() {
        return init_from_buffer(vm, proto, kind, fh, Vm::arg(args, 1), Vm::arg(args, 2));
    }
    let using_iterator = vm.get(first, Key::symbol(vm.sym.iterator))?;
    if !using_iterator.is_nullish() {
        callable_arg(vm, using_iterator)?;
        let list = iterate_with_method(vm, first, using_iterator)?;
        let mark = vm.push_root(list);
        let r = fill_from_array(vm, proto, kind, list);
        vm.truncate_roots(mark);
        return r;
    }
    // Array-like.
    let lk = Key::atom(vm.names.length);
    let lv = vm.get(first, lk)?;
    let len = vm.to_length(lv)?;
    if len > u32::MAX as f64 {
        return Err(vm.range_error("Invalid typed array length"));
    }
    let len = len as usize;
    let o = create_ta(vm, proto, kind, len)?;
    let mark = vm.push_root(o);
    let r = (|| {
        let oh = o.as_object().ok_or(Value::UNDEFINED)?;
        for k in 0..len {
            let v = vm.get_index(first, k as u32)?;
            set_value(vm, oh, k, v)?;
        }
        Ok(o)
    })();
    vm.truncate_roots(mark);
    r
}

/// IteratorToList(GetIteratorFromMethod(obj, method)) as a JS array (so it can be rooted).
fn iterate_with_method(vm: &mut Vm, obj: Value, method: Value) -> Result<Value, Value> {
    if let Some(h) = obj.as_object() {
        if method == vm.intr.array_values && vm.array_iteration_is_plain(h) {
            if let ObjectKind::Array(a) = &vm.heap.obj(h).kind {
                if !a.sparse
                    && a.elems.len() == a.len as usize
                    && !a.elems.iter().any(|e| e.is_empty())
                {
                    let elems = a.elems.clone();
                    return vm.new_array(elems);
                }
            }
        }
    }
    let iter = vm.call(method, obj, &[])?;
    if !iter.is_object() {
        return Err(vm.type_error("Result of the Symbol.iterator method is not an object"));
    }
    let m1 = vm.push_root(iter);
    let r = (|| {
        let next = vm.get(iter, Key::atom(vm.names.next))?;
        let m2 = vm.push_root(next);
        let list = vm.new_array(Vec::new())?;
        vm.push_root(list);
        let lh = list.as_object().ok_or(Value::UNDEFINED)?;
        let mut i = 0u32;
        let r = loop {
            match vm.iterator_step(iter, next) {
                Ok(Some(v)) => {
                    if let Err(e) = vm.array_put(lh, i, v) {
                        break Err(e);
                    }
                    i += 1;
                }
                Ok(None) => break Ok(list),
                Err(e) => break Err(e),
            }
        };
        vm.truncate_roots(m2);
        r
    })();
    vm.truncate_roots(m1);
    r
}

/// A new typed array holding the elements of the JS array `list` (rooted by the caller).
fn fill_from_array(
    vm: &mut Vm,
    proto: Option<Handle>,
    kind: TypedKind,
    list: Value,
) -> Result<Value, Value> {
    let lh = list.as_object().ok_or(Value::UNDEFINED)?;
    let len = vm.array_len(lh) as usize;
    let o = create_ta(vm, proto, kind, len)?;
    let mark = vm.push_root(o);
    let r = (|| {
        let oh = o.as_object().ok_or(Value::UNDEFINED)?;
        for k in 0..len {
            let v = vm.get_index(list, k as u32)?;
            set_value(vm, oh, k, v)?;
        }
        Ok(o)
    })();
    vm.truncate_roots(mark);
    r
}

/// Copy `count` elements between typed arrays, converting types (handles overlap).
fn copy_elements(vm: &mut Vm, src: &Ta, from: usize, dst: &Ta, to: usize, count: usize) {
    if count == 0 {
        return;
    }
    let ss = src.kind.size();
    let ds = dst.kind.size();
    if src.kind == dst.kind {
        let sb = src.offset + from * ss;
        let db = dst.offset + to * ds;
        let n = count * ss;
        if src.buffer == dst.buffer {
            let data = buffer_data_mut(vm, src.buffer);
            if sb + n <= data.len() && db + n <= data.len() {
                data.copy_within(sb..sb + n, db);
            }
        } else {
            let bytes: Vec<u8> = {
                let d = buffer_data(vm, src.buffer);
                if sb + n > d.len() {
                    return;
                }
                d[sb..sb + n].to_vec()
            };
            let data = buffer_data_mut(vm, dst.buffer);
            if db + n <= data.len() {
                data[db..db + n].copy_from_slice(&bytes);
            }
        }
        return;
    }
    let vals: Vec<f64> = (0..count).map(|i| get_num(vm, src.h, from + i)).collect();
    for (i, v) in vals.into_iter().enumerate() {
        set_num(vm, dst.h, to + i, v);
    }
}

macro_rules! concrete_ctors {
    ($($name:ident => $kind:expr;)*) => {
        $(
            fn $name(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
                ta_construct(vm, args, $kind)
            }
        )*
    };
}

concrete_ctors! {
    ctor_int8 => TypedKind::Int8;
    ctor_uint8 => TypedKind::Uint8;
    ctor_uint8c => TypedKind::Uint8Clamped;
    ctor_int16 => TypedKind::Int16;
    ctor_uint16 => TypedKind::Uint16;
    ctor_int32 => TypedKind::Int32;
    ctor_uint32 => TypedKind::Uint32;
    ctor_float32 => TypedKind::Float32;
    ctor_float64 => TypedKind::Float64;
}

// ----- %TypedArray% statics -----

fn ta_from(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let c = this;
    if !vm.is_constructor(c) {
        return Err(vm.type_error("TypedArray.from: this is not a constructor"));
    }
    let source = Vm::arg(args, 0);
    let mapfn = Vm::arg(args, 1);
    let this_arg = Vm::arg(args, 2);
    let mapping = !mapfn.is_undefined();
    if mapping {
        callable_arg(vm, mapfn)?;
    }
    let using_iterator = if source.is_nullish() {
        Value::UNDEFINED
    } else {
        vm.get(source, Key::symbol(vm.sym.iterator))?
    };
    let (list, len) = if !using_iterator.is_nullish() {
        callable_arg(vm, using_iterator)?;
        let list = iterate_with_method(vm, source, using_iterator)?;
        let len = vm.array_len(list.as_object().ok_or(Value::UNDEFINED)?) as usize;
        (list, len)
    } else {
        let o = vm.to_object(source)?;
        let mark = vm.push_root(o);
        let lk = Key::atom(vm.names.length);
        let lv = vm.get(o, lk);
        let r = match lv {
            Ok(lv) => vm.to_length(lv),
            Err(e) => Err(e),
        };
        vm.truncate_roots(mark);
        (o, r? as usize)
    };
    let mark = vm.push_root(list);
    let r = (|| {
        let target = create_from_constructor(vm, c, &[Value::number(len as f64)])?;
        vm.push_root(target);
        for k in 0..len {
            let kv = vm.get_index(list, k as u32)?;
            let v = if mapping {
                vm.call(mapfn, this_arg, &[kv, Value::number(k as f64)])?
            } else {
                kv
            };
            let key = vm.index_key(k as u32);
            vm.set(target, key, v, true)?;
        }
        Ok(target)
    })();
    vm.truncate_roots(mark);
    r
}

fn ta_of(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let c = this;
    if !vm.is_constructor(c) {
        return Err(vm.type_error("TypedArray.of: this is not a constructor"));
    }
    let len = args.len();
    let target = create_from_constructor(vm, c, &[Value::number(len as f64)])?;
    let mark = vm.push_root(target);
    let r = (|| {
        for (k, &v) in args.iter().enumerate() {
            let key = vm.index_key(k as u32);
            vm.set(target, key, v, true)?;
        }
        Ok(target)
    })();
    vm.truncate_roots(mark);
    r
}

fn species_getter(_vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    Ok(this)
}

// ----- %TypedArray%.prototype accessors -----

fn ta_buffer(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let t = require_ta(vm, this)?;
    Ok(Value::object(t.buffer))
}

fn ta_byte_length(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let t = require_ta(vm, this)?;
    let len = ta_len(vm, t.h);
    Ok(Value::number((len * t.kind.size()) as f64))
}

fn ta_byte_offset(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let t = require_ta(vm, this)?;
    if is_detached(vm, t.buffer) {
        return Ok(Value::number(0.0));
    }
    Ok(Value::number(t.offset as f64))
}

fn ta_length(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let t = require_ta(vm, this)?;
    Ok(Value::number(ta_len(vm, t.h) as f64))
}

fn ta_to_string_tag(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    match ta_parts(vm, this) {
        Some(t) => Ok(vm.intern(t.kind.name())),
        None => Ok(Value::UNDEFINED),
    }
}

// ----- %TypedArray%.prototype methods -----

fn ta_at(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (t, len) = validate(vm, this)?;
    let rel = vm.to_integer_or_infinity(Vm::arg(args, 0))?;
    let k = if rel >= 0.0 { rel } else { len as f64 + rel };
    if k < 0.0 || k >= len as f64 {
        return Ok(Value::UNDEFINED);
    }
    Ok(get_el(vm, t.h, k as usize))
}

fn ta_copy_within(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (t, len) = validate(vm, this)?;
    let to = relative_index(vm, Vm::arg(args, 0), len, 0)?;
    let from = relative_index(vm, Vm::arg(args, 1), len, 0)?;
    let fin = relative_index(vm, Vm::arg(args, 2), len, len)?;
    let count = fin.saturating_sub(from).min(len.saturating_sub(to));
    if count > 0 {
        if is_detached(vm, t.buffer) {
            return Err(vm.type_error("Cannot perform copyWithin on a detached ArrayBuffer"));
        }
        let cur = ta_len(vm, t.h);
        let count = count
            .min(cur.saturating_sub(from))
            .min(cur.saturating_sub(to));
        copy_elements(vm, &t, from, &t, to, count);
    }
    Ok(this)
}

fn ta_entries(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    validate(vm, this)?;
    vm.new_array_iterator(this, IterKind::Entries)
}

fn ta_keys(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    validate(vm, this)?;
    vm.new_array_iterator(this, IterKind::Keys)
}

fn ta_values(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    validate(vm, this)?;
    vm.new_array_iterator(this, IterKind::Values)
}

/// The shared loop of every/some/find/findIndex/findLast/findLastIndex/forEach.
#[derive(Clone, Copy, PartialEq)]
enum Scan {
    Every,
    Some,
    Find,
    FindIndex,
    FindLast,
    FindLastIndex,
    ForEach,
}

fn scan(vm: &mut Vm, this: Value, args: &[Value], mode: Scan) -> Result<Value, Value> {
    let (t, len) = validate(vm, this)?;
    let f = callable_arg(vm, Vm::arg(args, 0))?;
    let this_arg = Vm::arg(args, 1);
    let backwards = matches!(mode, Scan::FindLast | Scan::FindLastIndex);
    for j in 0..len {
        let k = if backwards { len - 1 - j } else { j };
        let kv = get_el(vm, t.h, k);
        let r = vm.call(f, this_arg, &[kv, Value::number(k as f64), this])?;
        let b = vm.to_boolean(r);
        match mode {
            Scan::Every if !b => return Ok(Value::FALSE),
            Scan::Some if b => return Ok(Value::TRUE),
            Scan::Find | Scan::FindLast if b => return Ok(kv),
            Scan::FindIndex | Scan::FindLastIndex if b => return Ok(Value::number(k as f64)),
            _ => {}
        }
    }
    Ok(match mode {
        Scan::Every => Value::TRUE,
        Scan::Some => Value::FALSE,
        Scan::Find | Scan::FindLast | Scan::ForEach => Value::UNDEFINED,
        Scan::FindIndex | Scan::FindLastIndex => Value::number(-1.0),
    })
}

macro_rules! scanners {
    ($($name:ident => $mode:expr;)*) => {
        $(
            fn $name(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
                scan(vm, this, args, $mode)
            }
        )*
    };
}

scanners! {
    ta_every => Scan::Every;
    ta_some => Scan::Some;
    ta_find => Scan::Find;
    ta_find_index => Scan::FindIndex;
    ta_find_last => Scan::FindLast;
    ta_find_last_index => Scan::FindLastIndex;
    ta_for_each => Scan::ForEach;
}

fn ta_fill(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (t, len) = validate(vm, this)?;
    let n = vm.to_number(Vm::arg(args, 0))?;
    let k = relative_index(vm, Vm::arg(args, 1), len, 0)?;
    let fin = relative_index(vm, Vm::arg(args, 2), len, len)?;
    if is_detached(vm, t.buffer) {
        return Err(vm.type_error("Cannot perform fill on a detached ArrayBuffer"));
    }
    let fin = fin.min(ta_len(vm, t.h));
    if k < fin {
        // Encode once, then replicate the bytes.
        let size = t.kind.size();
        let mut enc = [0u8; 8];
        write_element(t.kind, &mut enc[..size], n, true);
        let data = buffer_data_mut(vm, t.buffer);
        let start = t.offset + k * size;
        let end = t.offset + fin * size;
        if end <= data.len() {
            for chunk in data[start..end].chunks_exact_mut(size) {
                chunk.copy_from_slice(&enc[..size]);
            }
        }
    }
    Ok(this)
}

fn ta_filter(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (t, len) = validate(vm, this)?;
    let f = callable_arg(vm, Vm::arg(args, 0))?;
    let this_arg = Vm::arg(args, 1);
    let mut kept: Vec<f64> = Vec::new();
    for k in 0..len {
        let kv = get_el(vm, t.h, k);
        let r = vm.call(f, this_arg, &[kv, Value::number(k as f64), this])?;
        if vm.to_boolean(r) {
            kept.push(kv.as_number().unwrap_or(f64::NAN));
        }
    }
    let a = species_create_len(vm, &t, kept.len())?;
    let ah = a.as_object().ok_or(Value::UNDEFINED)?;
    for (n, v) in kept.into_iter().enumerate() {
        set_num(vm, ah, n, v);
    }
    Ok(a)
}

fn ta_includes(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (t, len) = validate(vm, this)?;
    if len == 0 {
        return Ok(Value::FALSE);
    }
    let n = vm.to_integer_or_infinity(Vm::arg(args, 1))?;
    if n == f64::INFINITY {
        return Ok(Value::FALSE);
    }
    let mut k = if n >= 0.0 {
        n as usize
    } else {
        (len as f64 + n).max(0.0) as usize
    };
    let target = Vm::arg(args, 0);
    while k < len {
        let e = get_el(vm, t.h, k);
        if vm.same_value_zero(e, target) {
            return Ok(Value::TRUE);
        }
        k += 1;
    }
    Ok(Value::FALSE)
}

fn ta_index_of(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (t, len) = validate(vm, this)?;
    if len == 0 {
        return Ok(Value::number(-1.0));
    }
    let n = vm.to_integer_or_infinity(Vm::arg(args, 1))?;
    if n == f64::INFINITY {
        return Ok(Value::number(-1.0));
    }
    let k = if n >= 0.0 {
        n as usize
    } else {
        (len as f64 + n).max(0.0) as usize
    };
    let Some(target) = Vm::arg(args, 0).as_number() else {
        return Ok(Value::number(-1.0));
    };
    let cur = ta_len(vm, t.h).min(len);
    for i in k..cur {
        if get_num(vm, t.h, i) == target {
            return Ok(Value::number(i as f64));
        }
    }
    Ok(Value::number(-1.0))
}

fn ta_last_index_of(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (t, len) = validate(vm, this)?;
    if len == 0 {
        return Ok(Value::number(-1.0));
    }
    let n = if args.len() > 1 {
        vm.to_integer_or_infinity(args[1])?
    } else {
        len as f64 - 1.0
    };
    if n == f64::NEG_INFINITY {
        return Ok(Value::number(-1.0));
    }
    let k = if n >= 0.0 {
        n.min(len as f64 - 1.0)
    } else {
        len as f64 + n
    };
    if k < 0.0 {
        return Ok(Value::number(-1.0));
    }
    let Some(target) = Vm::arg(args, 0).as_number() else {
        return Ok(Value::number(-1.0));
    };
    let cur = ta_len(vm, t.h);
    let mut i = k as usize;
    loop {
        if i < cur && get_num(vm, t.h, i) == target {
            return Ok(Value::number(i as f64));
        }
        if i == 0 {
            break;
        }
        i -= 1;
    }
    Ok(Value::number(-1.0))
}

fn push_number(out: &mut Vec<u8>, n: f64) {
    if libm::trunc(n) == n && n.abs() < 1e15 {
        let mut buf = [0u8; 24];
        out.extend_from_slice(crate::vm::format_int(n as i64, &mut buf));
    } else {
        out.extend_from_slice(crate::lexer::number_to_string(n).as_bytes());
    }
}

fn ta_join(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (t, len) = validate(vm, this)?;
    let sep_v = Vm::arg(args, 0);
    let sep: Vec<u8> = if sep_v.is_undefined() {
        vec![b',']
    } else {
        vm.to_byte_vec(sep_v)?
    };
    let mut out = Vec::new();
    for k in 0..len {
        if k > 0 {
            out.extend_from_slice(&sep);
            if out.len() > 1 << 28 {
                return Err(vm.range_error("Invalid string length"));
            }
        }
        if let Some(n) = get_el(vm, t.h, k).as_number() {
            push_number(&mut out, n);
        }
    }
    vm.new_string_vec(out)
}

fn ta_map(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (t, len) = validate(vm, this)?;
    let f = callable_arg(vm, Vm::arg(args, 0))?;
    let this_arg = Vm::arg(args, 1);
    let a = species_create_len(vm, &t, len)?;
    let mark = vm.push_root(a);
    let r = (|| {
        let ah = a.as_object().ok_or(Value::UNDEFINED)?;
        for k in 0..len {
            let kv = get_el(vm, t.h, k);
            let m = vm.call(f, this_arg, &[kv, Value::number(k as f64), this])?;
            set_value(vm, ah, k, m)?;
        }
        Ok(a)
    })();
    vm.truncate_roots(mark);
    r
}

fn reduce_impl(vm: &mut Vm, this: Value, args: &[Value], right: bool) -> Result<Value, Value> {
    let (t, len) = validate(vm, this)?;
    let f = callable_arg(vm, Vm::arg(args, 0))?;
    let order = |j: usize| if right { len - 1 - j } else { j };
    let mut j = 0;
    let mut acc = if args.len() >= 2 {
        args[1]
    } else {
        if len == 0 {
            return Err(vm.type_error("Reduce of empty array with no initial value"));
        }
        j = 1;
        get_el(vm, t.h, order(0))
    };
    let mark = vm.push_root(acc);
    let r = (|| {
        while j < len {
            let k = order(j);
            let kv = get_el(vm, t.h, k);
            acc = vm.call(
                f,
                Value::UNDEFINED,
                &[acc, kv, Value::number(k as f64), this],
            )?;
            vm.truncate_roots(mark);
            vm.push_root(acc);
            j += 1;
        }
        Ok(acc)
    })();
    vm.truncate_roots(mark);
    r
}

fn ta_reduce(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    reduce_impl(vm, this, args, false)
}

fn ta_reduce_right(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    reduce_impl(vm, this, args, true)
}

fn ta_reverse(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (t, len) = validate(vm, this)?;
    let size = t.kind.size();
    let start = t.offset;
    let data = buffer_data_mut(vm, t.buffer);
    if start + len * size <= data.len() && len > 1 {
        let (mut lo, mut hi) = (0, len - 1);
        while lo < hi {
            for b in 0..size {
                data.swap(start + lo * size + b, start + hi * size + b);
            }
            lo += 1;
            hi -= 1;
        }
    }
    Ok(this)
}

fn ta_set(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let target = require_ta(vm, this)?;
    let offset = vm.to_integer_or_infinity(Vm::arg(args, 1))?;
    if offset < 0.0 {
        return Err(vm.range_error("offset is out of bounds"));
    }
    let source = Vm::arg(args, 0);
    if let Some(src) = ta_parts(vm, source) {
        if is_detached(vm, target.buffer) || is_detached(vm, src.buffer) {
            return Err(vm.type_error("Cannot perform set on a detached ArrayBuffer"));
        }
        let target_len = ta_len(vm, target.h);
        let src_len = ta_len(vm, src.h);
        if offset.is_infinite() || src_len as f64 + offset > target_len as f64 {
            return Err(vm.range_error("offset is out of bounds"));
        }
        copy_elements(vm, &src, 0, &target, offset as usize, src_len);
        return Ok(Value::UNDEFINED);
    }
    if is_detached(vm, target.buffer) {
        return Err(vm.type_error("Cannot perform set on a detached ArrayBuffer"));
    }
    let target_len = ta_len(vm, target.h);
    let src = vm.to_object(source)?;
    let mark = vm.push_root(src);
    let r = (|| {
        let lk = Key::atom(vm.names.length);
        let lv = vm.get(src, lk)?;
        let src_len = vm.to_length(lv)?;
        if offset.is_infinite() || src_len + offset > target_len as f64 {
            return Err(vm.range_error("offset is out of bounds"));
        }
        let off = offset as usize;
        for k in 0..src_len as usize {
            let v = vm.get_index(src, k as u32)?;
            set_value(vm, target.h, off + k, v)?;
        }
        Ok(Value::UNDEFINED)
    })();
    vm.truncate_roots(mark);
    r
}

fn ta_slice(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (t, len) = validate(vm, this)?;
    let k = relative_index(vm, Vm::arg(args, 0), len, 0)?;
    let fin = relative_index(vm, Vm::arg(args, 1), len, len)?;
    let count = fin.saturating_sub(k);
    let a = species_create_len(vm, &t, count)?;
    if count > 0 {
        if is_detached(vm, t.buffer) {
            return Err(vm.type_error("Cannot perform slice on a detached ArrayBuffer"));
        }
        let dst = ta_parts(vm, a).ok_or(Value::UNDEFINED)?;
        let cur = ta_len(vm, t.h);
        let count = count.min(cur.saturating_sub(k)).min(ta_len(vm, dst.h));
        if dst.kind == t.kind {
            // A forward byte-by-byte copy, as the spec describes (observable when a species
            // constructor returns a view on the same buffer).
            let size = t.kind.size();
            let src_at = t.offset + k * size;
            let dst_at = dst.offset;
            let n = count * size;
            if t.buffer == dst.buffer {
                let data = buffer_data_mut(vm, t.buffer);
                if src_at + n <= data.len() && dst_at + n <= data.len() {
                    for i in 0..n {
                        data[dst_at + i] = data[src_at + i];
                    }
                }
            } else {
                copy_elements(vm, &t, k, &dst, 0, count);
            }
        } else {
            for n in 0..count {
                let v = get_num(vm, t.h, k + n);
                set_num(vm, dst.h, n, v);
            }
        }
    }
    Ok(a)
}

/// Default typed-array order: numeric, NaN last, -0 before +0.
fn default_less(x: f64, y: f64) -> bool {
    if x.is_nan() {
        return false;
    }
    if y.is_nan() {
        return true;
    }
    if x < y {
        return true;
    }
    if x > y {
        return false;
    }
    x == 0.0 && y == 0.0 && x.is_sign_negative() && !y.is_sign_negative()
}

fn sorted_values(vm: &mut Vm, t: &Ta, len: usize, cmp: Value) -> Result<Vec<f64>, Value> {
    let mut vals: Vec<f64> = (0..len).map(|i| get_num(vm, t.h, i)).collect();
    if cmp.is_undefined() {
        ferrite_collections::sort::sort_by(&mut vals, |a, b| {
            if default_less(*a, *b) {
                core::cmp::Ordering::Less
            } else if default_less(*b, *a) {
                core::cmp::Ordering::Greater
            } else {
                core::cmp::Ordering::Equal
            }
        });
    } else {
        super::sort::sort_with(vm, &mut vals, |vm, a, b| {
            let r = vm.call(cmp, Value::UNDEFINED, &[Value::number(a), Value::number(b)])?;
            Ok(vm.to_number(r)? > 0.0)
        })?;
    }
    Ok(vals)
}

fn check_comparator(vm: &mut Vm, cmp: Value) -> Result<(), Value> {
    if !cmp.is_undefined() && !vm.is_callable(cmp) {
        return Err(vm.type_error("The comparison function must be either a function or undefined"));
    }
    Ok(())
}

fn ta_sort(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let cmp = Vm::arg(args, 0);
    check_comparator(vm, cmp)?;
    let (t, len) = validate(vm, this)?;
    let vals = sorted_values(vm, &t, len, cmp)?;
    for (i, v) in vals.into_iter().enumerate() {
        set_num(vm, t.h, i, v);
    }
    Ok(this)
}

fn ta_to_sorted(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let cmp = Vm::arg(args, 0);
    check_comparator(vm, cmp)?;
    let (t, len) = validate(vm, this)?;
    let a = create_same_type(vm, t.kind, len)?;
    let mark = vm.push_root(a);
    let r = sorted_values(vm, &t, len, cmp);
    vm.truncate_roots(mark);
    let vals = r?;
    let ah = a.as_object().ok_or(Value::UNDEFINED)?;
    for (i, v) in vals.into_iter().enumerate() {
        set_num(vm, ah, i, v);
    }
    Ok(a)
}

fn ta_to_reversed(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (t, len) = validate(vm, this)?;
    let a = create_same_type(vm, t.kind, len)?;
    let ah = a.as_object().ok_or(Value::UNDEFINED)?;
    for k in 0..len {
        let v = get_num(vm, t.h, len - 1 - k);
        set_num(vm, ah, k, v);
    }
    Ok(a)
}

fn ta_with(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (t, len) = validate(vm, this)?;
    let rel = vm.to_integer_or_infinity(Vm::arg(args, 0))?;
    let actual = if rel >= 0.0 { rel } else { len as f64 + rel };
    let n = vm.to_number(Vm::arg(args, 1))?;
    let cur = ta_len(vm, t.h);
    if !(actual >= 0.0 && actual < cur as f64) || is_detached(vm, t.buffer) {
        return Err(vm.range_error("Invalid typed array index"));
    }
    let actual = actual as usize;
    let a = create_same_type(vm, t.kind, len)?;
    let ah = a.as_object().ok_or(Value::UNDEFINED)?;
    for k in 0..len {
        let v = if k == actual { n } else { get_num(vm, t.h, k) };
        set_num(vm, ah, k, v);
    }
    Ok(a)
}

fn ta_subarray(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let t = require_ta(vm, this)?;
    let src_len = ta_len(vm, t.h);
    let begin = relative_index(vm, Vm::arg(args, 0), src_len, 0)?;
    let end = relative_index(vm, Vm::arg(args, 1), src_len, src_len)?;
    let new_len = end.saturating_sub(begin);
    let size = t.kind.size();
    let begin_byte = t.offset + begin * size;
    let default = intrinsic(vm, kind_index(t.kind));
    let c = species_constructor(vm, this, default)?;
    let arg_list = [
        Value::object(t.buffer),
        Value::number(begin_byte as f64),
        Value::number(new_len as f64),
    ];
    if c == default {
        let proto = vm.intr.typed_array_prototypes[kind_index(t.kind)];
        return init_from_buffer(vm, proto, t.kind, t.buffer, arg_list[1], arg_list[2]);
    }
    let new = vm.construct(c, &arg_list, c)?;
    let mark = vm.push_root(new);
    let r = validate(vm, new);
    vm.truncate_roots(mark);
    r?;
    Ok(new)
}

fn ta_to_locale_string(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (t, len) = validate(vm, this)?;
    let mut out = Vec::new();
    let key = vm.key("toLocaleString");
    for k in 0..len {
        if k > 0 {
            out.push(b',');
        }
        let e = get_el(vm, t.h, k);
        if !e.is_nullish() {
            let f = vm.get(e, key)?;
            let f = callable_arg(vm, f)?;
            let r = vm.call(f, e, &[])?;
            let s = vm.to_byte_vec(r)?;
            out.extend_from_slice(&s);
            if out.len() > 1 << 28 {
                return Err(vm.range_error("Invalid string length"));
            }
        }
    }
    vm.new_string_vec(out)
}

fn ta_to_string_fallback(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let o = vm.to_object(this)?;
    let mark = vm.push_root(o);
    let r = (|| {
        let jk = Key::atom(vm.names.join);
        let f = vm.get(o, jk)?;
        if vm.is_callable(f) {
            return vm.call(f, o, &[]);
        }
        let s = alloc::format!("[object {}]", "Object");
        vm.new_str(&s)
    })();
    vm.truncate_roots(mark);
    r
}

// ----- ArrayBuffer -----

fn array_buffer_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let nt = vm.new_target();
    if nt.is_undefined() {
        return Err(vm.type_error("Constructor ArrayBuffer requires 'new'"));
    }
    let len = vm.to_index(Vm::arg(args, 0))?;
    let proto = vm.proto_from_new_target(nt, vm.intr.array_buffer_prototype)?;
    alloc_buffer(vm, proto, len)
}

fn array_buffer_is_view(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let v = Vm::arg(args, 0);
    Ok(Value::bool(v.as_object().is_some_and(|h| {
        matches!(
            vm.heap.obj(h).kind,
            ObjectKind::TypedArray { .. } | ObjectKind::DataView { .. }
        )
    })))
}

fn require_buffer(vm: &mut Vm, this: Value) -> Result<(Handle, bool, usize), Value> {
    match buffer_info(vm, this) {
        Some(i) => Ok(i),
        None => Err(vm.type_error("this is not an ArrayBuffer")),
    }
}

fn ab_byte_length(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (_, detached, len) = require_buffer(vm, this)?;
    Ok(Value::number(if detached { 0.0 } else { len as f64 }))
}

fn ab_detached(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (_, detached, _) = require_buffer(vm, this)?;
    Ok(Value::bool(detached))
}

fn ab_resizable(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    require_buffer(vm, this)?;
    Ok(Value::FALSE)
}

fn ab_slice(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (h, detached, len) = require_buffer(vm, this)?;
    if detached {
        return Err(vm.type_error("Cannot perform slice on a detached ArrayBuffer"));
    }
    let first = relative_index(vm, Vm::arg(args, 0), len, 0)?;
    let fin = relative_index(vm, Vm::arg(args, 1), len, len)?;
    let new_len = fin.saturating_sub(first);
    let default = intrinsic(vm, SLOT_ARRAY_BUFFER);
    let c = species_constructor(vm, this, default)?;
    let new = if c == default || default.is_undefined() {
        alloc_buffer(vm, vm.intr.array_buffer_prototype, new_len)?
    } else {
        vm.construct(c, &[Value::number(new_len as f64)], c)?
    };
    let Some((nh, ndetached, nlen)) = buffer_info(vm, new) else {
        return Err(vm.type_error("ArrayBuffer subclass returned this from species constructor"));
    };
    if ndetached {
        return Err(vm.type_error("species constructor returned a detached ArrayBuffer"));
    }
    if nh == h {
        return Err(vm.type_error("ArrayBuffer subclass returned this from species constructor"));
    }
    if nlen < new_len {
        return Err(vm.type_error("Species constructor returned a too small ArrayBuffer"));
    }
    if is_detached(vm, h) {
        return Err(vm.type_error("Cannot perform slice on a detached ArrayBuffer"));
    }
    let src: Vec<u8> = {
        let d = buffer_data(vm, h);
        let end = (first + new_len).min(d.len());
        d.get(first.min(end)..end).unwrap_or(&[]).to_vec()
    };
    let dst = buffer_data_mut(vm, nh);
    let n = src.len().min(dst.len());
    dst[..n].copy_from_slice(&src[..n]);
    Ok(new)
}

// ----- DataView -----

fn data_view_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let nt = vm.new_target();
    if nt.is_undefined() {
        return Err(vm.type_error("Constructor DataView requires 'new'"));
    }
    let buffer = Vm::arg(args, 0);
    let Some((bh, _, _)) = buffer_info(vm, buffer) else {
        return Err(vm.type_error("First argument to DataView constructor must be an ArrayBuffer"));
    };
    let offset = vm.to_index(Vm::arg(args, 1))?;
    if is_detached(vm, bh) {
        return Err(vm.type_error("Cannot construct a DataView on a detached ArrayBuffer"));
    }
    let buf_len = buffer_data(vm, bh).len();
    if offset > buf_len {
        return Err(vm.range_error(&alloc::format!(
            "Start offset {offset} is outside the bounds of the buffer"
        )));
    }
    let lv = Vm::arg(args, 2);
    let view_len = if lv.is_undefined() {
        buf_len - offset
    } else {
        let l = vm.to_index(lv)?;
        if offset.saturating_add(l) > buf_len {
            return Err(vm.range_error(&alloc::format!("Invalid DataView length {l}")));
        }
        l
    };
    let proto = vm.proto_from_new_target(nt, vm.intr.data_view_prototype)?;
    if is_detached(vm, bh) {
        return Err(vm.type_error("Cannot construct a DataView on a detached ArrayBuffer"));
    }
    if offset + view_len > buffer_data(vm, bh).len() {
        return Err(vm.range_error("Invalid DataView length"));
    }
    if offset > u32::MAX as usize || view_len > u32::MAX as usize {
        return Err(vm.range_error("Invalid DataView length"));
    }
    vm.alloc_object(
        proto,
        ObjectKind::DataView {
            buffer: bh,
            offset: offset as u32,
            length: view_len as u32,
        },
    )
}

fn require_view(vm: &mut Vm, this: Value) -> Result<(Handle, usize, usize), Value> {
    if let Some(h) = this.as_object() {
        if let ObjectKind::DataView {
            buffer,
            offset,
            length,
        } = vm.heap.obj(h).kind
        {
            return Ok((buffer, offset as usize, length as usize));
        }
    }
    Err(vm.type_error("this is not a DataView"))
}

fn dv_buffer(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (b, _, _) = require_view(vm, this)?;
    Ok(Value::object(b))
}

fn dv_byte_length(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (b, _, len) = require_view(vm, this)?;
    if is_detached(vm, b) {
        return Err(
            vm.type_error("Cannot perform DataView.prototype.byteLength on a detached ArrayBuffer")
        );
    }
    Ok(Value::number(len as f64))
}

fn dv_byte_offset(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (b, off, _) = require_view(vm, this)?;
    if is_detached(vm, b) {
        return Err(
            vm.type_error("Cannot perform DataView.prototype.byteOffset on a detached ArrayBuffer")
        );
    }
    Ok(Value::number(off as f64))
}

fn dv_get(vm: &mut Vm, this: Value, args: &[Value], kind: TypedKind) -> Result<Value, Value> {
    let (b, off, len) = require_view(vm, this)?;
    let idx = vm.to_index(Vm::arg(args, 0))?;
    let little = vm.to_boolean(Vm::arg(args, 1));
    if is_detached(vm, b) {
        return Err(vm.type_error("Cannot perform DataView get on a detached ArrayBuffer"));
    }
    let size = kind.size();
    if idx.saturating_add(size) > len {
        return Err(vm.range_error("Offset is outside the bounds of the DataView"));
    }
    let at = off + idx;
    let data = buffer_data(vm, b);
    if at + size > data.len() {
        return Err(vm.range_error("Offset is outside the bounds of the DataView"));
    }
    Ok(Value::number(read_element(
        kind,
        &data[at..at + size],
        little,
    )))
}

fn dv_set(vm: &mut Vm, this: Value, args: &[Value], kind: TypedKind) -> Result<Value, Value> {
    let (b, off, len) = require_view(vm, this)?;
    let idx = vm.to_index(Vm::arg(args, 0))?;
    let n = vm.to_number(Vm::arg(args, 1))?;
    let little = vm.to_boolean(Vm::arg(args, 2));
    if is_detached(vm, b) {
        return Err(vm.type_error("Cannot perform DataView set on a detached ArrayBuffer"));
    }
    let size = kind.size();
    if idx.saturating_add(size) > len {
        return Err(vm.range_error("Offset is outside the bounds of the DataView"));
    }
    let at = off + idx;
    let data = buffer_data_mut(vm, b);
    if at + size > data.len() {
        return Err(vm.range_error("Offset is outside the bounds of the DataView"));
    }
    write_element(kind, &mut data[at..at + size], n, little);
    Ok(Value::UNDEFINED)
}

macro_rules! dv_accessors {
    ($($get:ident, $set:ident => $kind:expr;)*) => {
        $(
            fn $get(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
                dv_get(vm, this, args, $kind)
            }
            fn $set(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
                dv_set(vm, this, args, $kind)
            }
        )*
    };
}

dv_accessors! {
    dv_get_int8, dv_set_int8 => TypedKind::Int8;
    dv_get_uint8, dv_set_uint8 => TypedKind::Uint8;
    dv_get_int16, dv_set_int16 => TypedKind::Int16;
    dv_get_uint16, dv_set_uint16 => TypedKind::Uint16;
    dv_get_int32, dv_set_int32 => TypedKind::Int32;
    dv_get_uint32, dv_set_uint32 => TypedKind::Uint32;
    dv_get_float32, dv_set_float32 => TypedKind::Float32;
    dv_get_float64, dv_set_float64 => TypedKind::Float64;
}

// ----- installation -----

fn install_array_buffer(vm: &mut Vm) -> Handle {
    let proto = vm.intr.array_buffer_prototype;
    let (ctor, p) = vm.define_class("ArrayBuffer", 1, array_buffer_ctor, proto, None);
    vm.define_method(ctor, "isView", 1, array_buffer_is_view);
    vm.define_accessor(
        ctor,
        Key::symbol(vm.sym.species),
        "[Symbol.species]",
        Some(species_getter),
        None,
    );
    let k = vm.key("byteLength");
    vm.define_accessor(p, k, "byteLength", Some(ab_byte_length), None);
    let k = vm.key("maxByteLength");
    vm.define_accessor(p, k, "maxByteLength", Some(ab_byte_length), None);
    let k = vm.key("detached");
    vm.define_accessor(p, k, "detached", Some(ab_detached), None);
    let k = vm.key("resizable");
    vm.define_accessor(p, k, "resizable", Some(ab_resizable), None);
    vm.define_method(p, "slice", 2, ab_slice);
    let tag = vm.intern("ArrayBuffer");
    vm.define_value(p, Key::symbol(vm.sym.to_string_tag), tag, CONFIGURABLE);
    ctor
}

fn install_data_view(vm: &mut Vm) {
    let proto = vm.intr.data_view_prototype;
    let (_, p) = vm.define_class("DataView", 1, data_view_ctor, proto, None);
    let k = vm.key("buffer");
    vm.define_accessor(p, k, "buffer", Some(dv_buffer), None);
    let k = vm.key("byteLength");
    vm.define_accessor(p, k, "byteLength", Some(dv_byte_length), None);
    let k = vm.key("byteOffset");
    vm.define_accessor(p, k, "byteOffset", Some(dv_byte_offset), None);
    let methods: [(&str, u32, crate::engine::NativeFn); 16] = [
        ("getFloat32", 1, dv_get_float32),
        ("getFloat64", 1, dv_get_float64),
        ("getInt8", 1, dv_get_int8),
        ("getInt16", 1, dv_get_int16),
        ("getInt32", 1, dv_get_int32),
        ("getUint8", 1, dv_get_uint8),
        ("getUint16", 1, dv_get_uint16),
        ("getUint32", 1, dv_get_uint32),
        ("setFloat32", 2, dv_set_float32),
        ("setFloat64", 2, dv_set_float64),
        ("setInt8", 2, dv_set_int8),
        ("setInt16", 2, dv_set_int16),
        ("setInt32", 2, dv_set_int32),
        ("setUint8", 2, dv_set_uint8),
        ("setUint16", 2, dv_set_uint16),
        ("setUint32", 2, dv_set_uint32),
    ];
    for (name, arity, f) in methods {
        vm.define_method(p, name, arity, f);
    }
    let tag = vm.intern("DataView");
    vm.define_value(p, Key::symbol(vm.sym.to_string_tag), tag, CONFIGURABLE);
}

pub fn install(vm: &mut Vm) {
    let ab_ctor = install_array_buffer(vm);
    install_data_view(vm);

    // %TypedArray%
    let ta = vm
        .new_native_with(
            "TypedArray",
            0,
            typed_array_abstract,
            true,
            Value::UNDEFINED,
        )
        .expect("out of memory");
    let tah = ta.as_object().unwrap();
    let Some(tap) = vm.intr.typed_array_prototype else {
        return;
    };
    let pk = Key::atom(vm.names.prototype);
    vm.define_value(tah, pk, Value::object(tap), 0);
    let ck = Key::atom(vm.names.constructor);
    vm.define_value(tap, ck, ta, METHOD_FLAGS);
    vm.define_method(tah, "from", 1, ta_from);
    vm.define_method(tah, "of", 0, ta_of);
    vm.define_accessor(
        tah,
        Key::symbol(vm.sym.species),
        "[Symbol.species]",
        Some(species_getter),
        None,
    );

    for (name, f) in [
        ("buffer", ta_buffer as crate::engine::NativeFn),
        ("byteLength", ta_byte_length),
        ("byteOffset", ta_byte_offset),
        ("length", ta_length),
    ] {
        let k = vm.key(name);
        vm.define_accessor(tap, k, name, Some(f), None);
    }
    vm.define_accessor(
        tap,
        Key::symbol(vm.sym.to_string_tag),
        "[Symbol.toStringTag]",
        Some(ta_to_string_tag),
        None,
    );
    let methods: [(&str, u32, crate::engine::NativeFn); 29] = [
        ("at", 1, ta_at),
        ("copyWithin", 2, ta_copy_within),
        ("entries", 0, ta_entries),
        ("every", 1, ta_every),
        ("fill", 1, ta_fill),
        ("filter", 1, ta_filter),
        ("find", 1, ta_find),
        ("findIndex", 1, ta_find_index),
        ("findLast", 1, ta_find_last),
        ("findLastIndex", 1, ta_find_last_index),
        ("forEach", 1, ta_for_each),
        ("includes", 1, ta_includes),
        ("indexOf", 1, ta_index_of),
        ("join", 1, ta_join),
        ("keys", 0, ta_keys),
        ("lastIndexOf", 1, ta_last_index_of),
        ("map", 1, ta_map),
        ("reduce", 1, ta_reduce),
        ("reduceRight", 1, ta_reduce_right),
        ("reverse", 0, ta_reverse),
        ("set", 1, ta_set),
        ("slice", 2, ta_slice),
        ("some", 1, ta_some),
        ("sort", 1, ta_sort),
        ("subarray", 2, ta_subarray),
        ("toLocaleString", 0, ta_to_locale_string),
        ("toReversed", 0, ta_to_reversed),
        ("toSorted", 1, ta_to_sorted),
        ("with", 2, ta_with),
    ];
    for (name, arity, f) in methods {
        vm.define_method(tap, name, arity, f);
    }
    let values = vm.define_method_now(tap, "values", 0, ta_values);
    vm.define_value(tap, Key::symbol(vm.sym.iterator), values, METHOD_FLAGS);
    // toString is Array.prototype.toString when the Array built-ins provide it.
    let tsk = Key::atom(vm.names.to_string);
    // Read through [[Get]]: it makes the method if it is not made yet (the same object then).
    let array_to_string = vm
        .intr
        .array_prototype
        .and_then(|ap| vm.get(Value::object(ap), tsk).ok())
        .filter(|f| vm.is_callable(*f));
    match array_to_string {
        Some(f) => vm.define_value(tap, tsk, f, METHOD_FLAGS),
        None => {
            vm.define_method(tap, "toString", 0, ta_to_string_fallback);
        }
    }

    // The concrete constructors.
    let ctors: [crate::engine::NativeFn; 9] = [
        ctor_int8,
        ctor_uint8,
        ctor_uint8c,
        ctor_int16,
        ctor_uint16,
        ctor_int32,
        ctor_uint32,
        ctor_float32,
        ctor_float64,
    ];
    let mut slots = vec![Value::UNDEFINED; SLOTS];
    let bpe = vm.key("BYTES_PER_ELEMENT");
    for (i, kind) in TypedKind::ALL.into_iter().enumerate() {
        let proto = vm.intr.typed_array_prototypes[i];
        let (c, p) = vm.define_class(kind.name(), 3, ctors[i], proto, None);
        vm.heap.obj_mut(c).set_proto(Some(tah));
        let size = Value::number(kind.size() as f64);
        vm.define_value(c, bpe, size, 0);
        vm.define_value(p, bpe, size, 0);
        slots[i] = Value::object(c);
    }
    slots[SLOT_TYPED_ARRAY] = ta;
    slots[SLOT_ARRAY_BUFFER] = Value::object(ab_ctor);
    let hidden = vm
        .alloc_object(
            None,
            ObjectKind::Array(ArrayData {
                elems: slots,
                len: SLOTS as u32,
                sparse: false,
                length_writable: false,
            }),
        )
        .expect("out of memory");
    vm.realm_values.push(hidden);
}
