//! `Array`: the constructor, `Array.from/of/isArray` and `Array.prototype`.
//!
//! Every method is generic over array-likes (`ToObject(this)` + `LengthOfArrayLike`), with fast
//! paths for dense arrays whose prototype chain holds no indexed properties ([`chain_plain`]):
//! own elements are read straight from `ArrayData::elems`, holes read as absent/undefined.
//!
//! Rooting: every native is wrapped by [`native!`], which restores the root stack on exit, so the
//! bodies push roots freely. Values that change across callbacks (a `reduce` accumulator, sort
//! items) live in holder arrays that are themselves rooted.

use alloc::vec;
use alloc::vec::Vec;

use crate::heap::Handle;
use crate::object::*;
use crate::value::{Kind, Value};
use crate::vm::{ErrorKind, Vm};

const MAX_SAFE: f64 = 9007199254740991.0;
const MAX_ARRAY_LEN: f64 = 4294967295.0;

macro_rules! native {
    ($name:ident, $imp:ident) => {
        fn $name(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
            let mark = vm.roots_len();
            let r = $imp(vm, this, args);
            vm.truncate_roots(mark);
            r
        }
    };
}

// ----- work accounting for long native loops -----

/// Counts iterations of long native loops and charges them to the fuel, so that
/// `Array.prototype.indexOf.call({length: 2**53-1})` cannot hang the device.
struct Work(u32);

impl Work {
    #[inline]
    fn tick(&mut self, vm: &mut Vm) -> Result<(), Value> {
        self.0 = self.0.wrapping_add(1);
        if self.0 & 1023 != 0 {
            return Ok(());
        }
        vm.fuel = vm.fuel.saturating_sub(16);
        if vm.interrupted || vm.interrupt_requested() {
            vm.terminating = true;
            return Err(vm.make_error(ErrorKind::Internal, "interrupted"));
        }
        if vm.fuel < -50_000_000 {
            vm.terminating = true;
            return Err(vm.make_error(ErrorKind::Internal, "out of fuel inside a native call"));
        }
        Ok(())
    }
}

// ----- helpers -----

fn arr(vm: &Vm, h: Handle) -> Option<&ArrayData> {
    match &vm.heap.obj(h).kind {
        ObjectKind::Array(a) => Some(a),
        _ => None,
    }
}

fn arr_mut(vm: &mut Vm, h: Handle) -> Option<&mut ArrayData> {
    match &mut vm.heap.obj_mut(h).kind {
        ObjectKind::Array(a) => Some(a),
        _ => None,
    }
}

/// The prototype chain of `h` is Array.prototype → Object.prototype → null and neither holds
/// an indexed property (so holes read as undefined and appends hit no setters).
fn chain_plain(vm: &Vm, h: Handle) -> bool {
    let (Some(ap), Some(op)) = (vm.intr.array_prototype, vm.intr.object_prototype) else {
        return false;
    };
    if vm.heap.obj(h).proto() != Some(ap) {
        return false;
    }
    let a = vm.heap.obj(ap);
    match &a.kind {
        ObjectKind::Array(d) if d.elems.is_empty() && !d.sparse => {}
        _ => return false,
    }
    if a.proto() != Some(op) {
        return false;
    }
    let p = vm.heap.obj(op);
    if p.proto().is_some() {
        return false;
    }
    !p.props.list().iter().any(|pr| {
        pr.key
            .as_atom()
            .is_some_and(|at| vm.atoms.array_index(at).is_some())
    })
}

/// A non-sparse array with a plain prototype chain.
fn fast_arr(vm: &Vm, h: Handle) -> bool {
    matches!(arr(vm, h), Some(a) if !a.sparse) && chain_plain(vm, h)
}

/// A fast array that can also be written and grown freely.
fn fast_writable(vm: &Vm, h: Handle) -> bool {
    let o = vm.heap.obj(h);
    o.extensible
        && matches!(&o.kind, ObjectKind::Array(a) if !a.sparse && a.length_writable)
        && chain_plain(vm, h)
}

fn to_obj(vm: &mut Vm, this: Value) -> Result<(Value, Handle), Value> {
    let o = vm.to_object(this)?;
    vm.push_root(o);
    Ok((o, o.as_object().unwrap()))
}

/// LengthOfArrayLike.
fn len_of(vm: &mut Vm, o: Value) -> Result<f64, Value> {
    if let Some(h) = o.as_object() {
        if let Some(a) = arr(vm, h) {
            return Ok(a.len as f64);
        }
    }
    let lk = Key::atom(vm.names.length);
    let l = vm.get(o, lk)?;
    vm.to_length(l)
}

fn key_of(vm: &mut Vm, k: f64) -> Key {
    if (0.0..MAX_ARRAY_LEN).contains(&k) {
        vm.index_key(k as u32)
    } else {
        let s = vm.number_to_string_value(k);
        vm.string_key(s)
    }
}

/// An own dense element (present, not a hole).
#[inline]
fn own_elem(vm: &Vm, h: Handle, k: f64) -> Option<Value> {
    let a = arr(vm, h)?;
    if k < 0.0 || k >= a.elems.len() as f64 {
        return None;
    }
    let v = a.elems[k as usize];
    (!v.is_empty()).then_some(v)
}

/// The existing key for index `k`, if its atom was ever created (no atom: no ordinary object
/// can have that property, so nothing is interned for absent indices).
fn lookup_index_key(vm: &Vm, k: f64) -> Option<Key> {
    let mut buf = [0u8; 24];
    let digits = crate::vm::format_int(k as i64, &mut buf);
    vm.atoms.lookup(digits).map(Key::atom)
}

/// Might an exotic object on the chain of `h` have index `k` without an atom for it?
fn chain_exotic(vm: &Vm, h: Handle, k: f64) -> bool {
    let mut cur = Some(h);
    let mut guard = 0;
    while let Some(c) = cur {
        let o = vm.heap.obj(c);
        match &o.kind {
            ObjectKind::Array(_) if own_elem(vm, c, k).is_some() => return true,
            ObjectKind::String(_) | ObjectKind::TypedArray { .. } => return true,
            _ => {}
        }
        guard += 1;
        if guard > 10_000 {
            return true;
        }
        cur = o.proto();
    }
    false
}

/// Index `k` is certainly absent from `h` and its prototype chain.
fn certainly_absent(vm: &Vm, h: Handle, k: f64) -> bool {
    if !(0.0..MAX_SAFE).contains(&k) {
        return false;
    }
    if matches!(arr(vm, h), Some(a) if !a.sparse) && chain_plain(vm, h) {
        return own_elem(vm, h, k).is_none();
    }
    lookup_index_key(vm, k).is_none() && !chain_exotic(vm, h, k)
}

/// Get(O, k).
fn get_at(vm: &mut Vm, o: Value, k: f64) -> Result<Value, Value> {
    if let Some(h) = o.as_object() {
        if let Some(v) = own_elem(vm, h, k) {
            return Ok(v);
        }
        if certainly_absent(vm, h, k) {
            return Ok(Value::UNDEFINED);
        }
    }
    vm.get_elem(o, Value::number(k))
}

/// HasProperty(O, k).
fn has_at(vm: &mut Vm, h: Handle, k: f64) -> Result<bool, Value> {
    if own_elem(vm, h, k).is_some() {
        return Ok(true);
    }
    if certainly_absent(vm, h, k) {
        return Ok(false);
    }
    let key = key_of(vm, k);
    vm.has_property(h, key)
}

/// Set(O, k, v, true).
fn set_at(vm: &mut Vm, o: Value, k: f64, v: Value) -> Result<(), Value> {
    if let Some(h) = o.as_object() {
        if own_elem(vm, h, k).is_some() {
            if let Some(a) = arr_mut(vm, h) {
                a.elems[k as usize] = v;
                return Ok(());
            }
        }
    }
    if (0.0..MAX_ARRAY_LEN).contains(&k) {
        return vm.set_elem(o, Value::number(k), v, true);
    }
    let key = key_of(vm, k);
    vm.set(o, key, v, true)
}

/// DeletePropertyOrThrow(O, k).
fn delete_at(vm: &mut Vm, h: Handle, k: f64) -> Result<(), Value> {
    if let Some(a) = arr_mut(vm, h) {
        if k >= 0.0 && (k as usize) < a.elems.len() {
            let i = k as usize;
            if i + 1 == a.elems.len() {
                a.elems.pop();
                while a.elems.last().is_some_and(|v| v.is_empty()) {
                    a.elems.pop();
                }
            } else {
                a.elems[i] = Value::EMPTY;
            }
            return Ok(());
        }
        if !a.sparse {
            return Ok(());
        }
    }
    let key = key_of(vm, k);
    if !vm.delete_property(h, key)? {
        let d = vm.key_display(key);
        return Err(vm.type_error(&alloc::format!("Cannot delete property '{d}' of object")));
    }
    Ok(())
}

/// CreateDataPropertyOrThrow(A, k, v).
fn create_at(vm: &mut Vm, h: Handle, k: f64, v: Value) -> Result<(), Value> {
    let o = vm.heap.obj(h);
    if o.extensible && (0.0..MAX_ARRAY_LEN).contains(&k) {
        if let ObjectKind::Array(a) = &o.kind {
            if !a.sparse
                && (k as usize) <= a.elems.len() + 1024
                && (a.length_writable || k < a.len as f64)
            {
                return vm.array_put(h, k as u32, v);
            }
        }
    }
    let key = key_of(vm, k);
    if !vm.create_data_property(h, key, v)? {
        let d = vm.key_display(key);
        return Err(vm.type_error(&alloc::format!(
            "Cannot add property {d}, object is not extensible"
        )));
    }
    Ok(())
}

/// Set(O, "length", n, true).
fn set_len(vm: &mut Vm, o: Value, n: f64) -> Result<(), Value> {
    if let Some(h) = o.as_object() {
        if matches!(arr(vm, h), Some(a) if !a.length_writable) {
            return Err(vm.type_error("Cannot assign to read only property 'length' of array"));
        }
    }
    let lk = Key::atom(vm.names.length);
    vm.set(o, lk, Value::number(n), true)
}

/// ArrayCreate(len, proto).
fn array_create(vm: &mut Vm, len: f64, proto: Option<Handle>) -> Result<Value, Value> {
    if !(0.0..=MAX_ARRAY_LEN).contains(&len) {
        return Err(vm.range_error("Invalid array length"));
    }
    let proto = proto.or(vm.intr.array_prototype);
    vm.alloc_object(
        proto,
        ObjectKind::Array(ArrayData {
            elems: Vec::new(),
            len: len as u32,
            sparse: false,
            length_writable: true,
        }),
    )
}

/// Pre-reserve element storage for an array that will be filled densely (charged to the heap).
fn reserve(vm: &mut Vm, h: Handle, n: usize) -> Result<(), Value> {
    let n = n.min(1 << 20);
    let Some(a) = arr(vm, h) else { return Ok(()) };
    let extra = n.saturating_sub(a.elems.capacity());
    if extra == 0 {
        return Ok(());
    }
    vm.charge(extra * 8)?;
    if let Some(a) = arr_mut(vm, h) {
        a.elems.reserve_exact(n - a.elems.len().min(n));
    }
    Ok(())
}

/// ArraySpeciesCreate(O, len).
fn species_create(vm: &mut Vm, o: Value, len: f64) -> Result<Value, Value> {
    if !vm.is_array(o) {
        return array_create(vm, len, None);
    }
    let ck = Key::atom(vm.names.constructor);
    let mut c = vm.get(o, ck)?;
    if c.is_object() {
        let sk = Key::symbol(vm.sym.species);
        c = vm.get(c, sk)?;
        if c.is_null() {
            c = Value::UNDEFINED;
        }
    }
    if c.is_undefined() {
        return array_create(vm, len, None);
    }
    if !vm.is_constructor(c) {
        return Err(vm.type_error("object.constructor[Symbol.species] is not a constructor"));
    }
    let r = vm.construct(c, &[Value::number(len)], c)?;
    if !r.is_object() {
        return Err(vm.type_error("species constructor did not return an object"));
    }
    Ok(r)
}

fn obj_handle(vm: &mut Vm, v: Value) -> Result<Handle, Value> {
    match v.as_object() {
        Some(h) => Ok(h),
        None => Err(vm.type_error("not an object")),
    }
}

fn require_callable(vm: &mut Vm, f: Value, what: &str) -> Result<(), Value> {
    if vm.is_callable(f) {
        return Ok(());
    }
    let d = vm.describe_value(f);
    Err(vm.type_error(&alloc::format!("{d} is not a function ({what})")))
}

/// RelativeIndex clamp: ToIntegerOrInfinity(v) resolved against `len` into 0..=len.
fn relative(vm: &mut Vm, v: Value, len: f64, default: f64) -> Result<f64, Value> {
    if v.is_undefined() {
        return Ok(default);
    }
    let r = vm.to_integer_or_infinity(v)?;
    Ok(if r < 0.0 {
        (len + r).max(0.0)
    } else {
        r.min(len)
    })
}

/// A one-slot rooted cell (for accumulators that change across callbacks).
struct Cell(Handle);

impl Cell {
    fn new(vm: &mut Vm, v: Value) -> Result<Cell, Value> {
        let a = vm.new_array(vec![v])?;
        vm.push_root(a);
        Ok(Cell(a.as_object().unwrap()))
    }
    fn get(&self, vm: &Vm) -> Value {
        arr(vm, self.0)
            .and_then(|a| a.elems.first().copied())
            .unwrap_or(Value::UNDEFINED)
    }
    fn set(&self, vm: &mut Vm, v: Value) {
        if let Some(a) = arr_mut(vm, self.0) {
            if let Some(e) = a.elems.first_mut() {
                *e = v;
            }
        }
    }
}

/// Sorted indices of the index-keyed own properties of a sparse array, cached while the
/// property table keeps its size.
#[derive(Default)]
struct SparseCache {
    props_len: usize,
    valid: bool,
    idx: Vec<u32>,
}

/// A sparse array whose chain holds no indexed properties: its present indices are the
/// non-hole dense elements plus its index-keyed properties.
fn sparse_plain(vm: &Vm, h: Handle) -> bool {
    matches!(arr(vm, h), Some(a) if a.sparse) && chain_plain(vm, h)
}

/// The nearest present index of a [`sparse_plain`] array at or after (`fwd`) / before `k`.
fn sparse_next(vm: &Vm, h: Handle, k: f64, fwd: bool, cache: &mut SparseCache) -> Option<f64> {
    let o = vm.heap.obj(h);
    let ObjectKind::Array(a) = &o.kind else {
        return None;
    };
    if !cache.valid || cache.props_len != o.props.len() {
        cache.idx = o
            .props
            .list()
            .iter()
            .filter_map(|p| vm.atoms.array_index(p.key.as_atom()?))
            .collect();
        ferrite_collections::sort::sort(&mut cache.idx);
        cache.props_len = o.props.len();
        cache.valid = true;
    }
    let n = a.elems.len();
    if fwd {
        let mut best: Option<f64> = None;
        if k < n as f64 {
            if let Some(i) = a.elems[k as usize..].iter().position(|v| !v.is_empty()) {
                best = Some(k + i as f64);
            }
        }
        let p = cache.idx.partition_point(|&i| (i as f64) < k);
        if let Some(&i) = cache.idx.get(p) {
            let i = i as f64;
            best = Some(best.map_or(i, |b: f64| b.min(i)));
        }
        best
    } else {
        let mut best: Option<f64> = None;
        if n > 0 {
            let top = (k.min(n as f64 - 1.0)) as usize;
            if k >= 0.0 {
                if let Some(i) = a.elems[..=top].iter().rposition(|v| !v.is_empty()) {
                    best = Some(i as f64);
                }
            }
        }
        let p = cache.idx.partition_point(|&i| (i as f64) <= k);
        if p > 0 {
            let i = cache.idx[p - 1] as f64;
            best = Some(best.map_or(i, |b: f64| b.max(i)));
        }
        best
    }
}

/// Visit the present elements `k` in `start..end` (ascending), calling `f(vm, k, value)`;
/// `f` returns false to stop.
fn for_present(
    vm: &mut Vm,
    o: Value,
    h: Handle,
    start: f64,
    end: f64,
    f: &mut dyn FnMut(&mut Vm, f64, Value) -> Result<bool, Value>,
) -> Result<(), Value> {
    let mut k = start;
    let mut work = Work(0);
    let mut cache = SparseCache::default();
    while k < end {
        let v = if let Some(v) = own_elem(vm, h, k) {
            v
        } else if fast_arr(vm, h) {
            // A hole; past the dense part everything is a hole.
            let n = arr(vm, h).map_or(0, |a| a.elems.len()) as f64;
            if k >= n {
                return Ok(());
            }
            k += 1.0;
            continue;
        } else if sparse_plain(vm, h) && sparse_next(vm, h, k, true, &mut cache) != Some(k) {
            match sparse_next(vm, h, k, true, &mut cache) {
                Some(n) => k = n,
                None => return Ok(()),
            }
            continue;
        } else {
            work.tick(vm)?;
            if !has_at(vm, h, k)? {
                k += 1.0;
                continue;
            }
            get_at(vm, o, k)?
        };
        if !f(vm, k, v)? {
            return Ok(());
        }
        k += 1.0;
    }
    Ok(())
}

/// Visit the present elements from `start` down to 0.
fn for_present_rev(
    vm: &mut Vm,
    o: Value,
    h: Handle,
    start: f64,
    f: &mut dyn FnMut(&mut Vm, f64, Value) -> Result<bool, Value>,
) -> Result<(), Value> {
    let mut k = start;
    let mut work = Work(0);
    let mut cache = SparseCache::default();
    while k >= 0.0 {
        let v = if let Some(v) = own_elem(vm, h, k) {
            v
        } else if fast_arr(vm, h) {
            let n = arr(vm, h).map_or(0, |a| a.elems.len()) as f64;
            k = if k >= n { n - 1.0 } else { k - 1.0 };
            continue;
        } else if sparse_plain(vm, h) && sparse_next(vm, h, k, false, &mut cache) != Some(k) {
            match sparse_next(vm, h, k, false, &mut cache) {
                Some(n) => k = n,
                None => return Ok(()),
            }
            continue;
        } else {
            work.tick(vm)?;
            if !has_at(vm, h, k)? {
                k -= 1.0;
                continue;
            }
            get_at(vm, o, k)?
        };
        if !f(vm, k, v)? {
            return Ok(());
        }
        k -= 1.0;
    }
    Ok(())
}

// ----- constructor and statics -----

fn array_ctor_impl(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let mut nt = vm.new_target();
    if nt.is_undefined() {
        nt = vm
            .intr
            .array_constructor
            .map_or(Value::UNDEFINED, Value::object);
    }
    let ap = vm.intr.array_prototype;
    let proto = vm.proto_from_new_target(nt, ap)?;
    match args.len() {
        0 => array_create(vm, 0.0, proto),
        1 => {
            let l = args[0];
            match l.as_number() {
                Some(n) => {
                    let u = vm.to_uint32(l)?;
                    if u as f64 != n {
                        return Err(vm.range_error("Invalid array length"));
                    }
                    array_create(vm, n, proto)
                }
                None => {
                    let a = array_create(vm, 0.0, proto)?;
                    let h = a.as_object().unwrap();
                    vm.array_put(h, 0, l)?;
                    Ok(a)
                }
            }
        }
        _ => {
            let a = vm.new_array(args.to_vec())?;
            vm.heap.obj_mut(a.as_object().unwrap()).set_proto(proto);
            Ok(a)
        }
    }
}
native!(array_ctor, array_ctor_impl);

fn is_array(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    Ok(Value::bool(vm.is_array(Vm::arg(args, 0))))
}

fn array_from_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let items = Vm::arg(args, 0);
    let mapfn = Vm::arg(args, 1);
    let this_arg = Vm::arg(args, 2);
    let mapping = !mapfn.is_undefined();
    if mapping {
        require_callable(vm, mapfn, "Array.from mapper")?;
    }
    let c = this;
    let is_default = vm.intr.array_constructor.map(Value::object) == Some(c);
    // Fast path: a plain array, default iteration, no mapping.
    if is_default && !mapping {
        if let Some(h) = items.as_object() {
            if matches!(arr(vm, h), Some(a) if !a.sparse)
                && vm.array_iteration_is_plain(h)
                && chain_plain(vm, h)
            {
                let v = vm.iterate_to_vec(items)?;
                return vm.new_array(v);
            }
        }
    }
    let ik = Key::symbol(vm.sym.iterator);
    let using = if items.is_nullish() {
        Value::UNDEFINED
    } else {
        vm.get(items, ik)?
    };
    if !using.is_nullish() {
        if !vm.is_callable(using) {
            return Err(vm.type_error("Symbol.iterator is not a function"));
        }
        let a = if vm.is_constructor(c) {
            vm.construct(c, &[], c)?
        } else {
            array_create(vm, 0.0, None)?
        };
        vm.push_root(a);
        let ah = obj_handle(vm, a)?;
        let iter = vm.call(using, items, &[])?;
        if !iter.is_object() {
            return Err(vm.type_error("Result of the Symbol.iterator method is not an object"));
        }
        vm.push_root(iter);
        let nk = Key::atom(vm.names.next);
        let next = vm.get(iter, nk)?;
        vm.push_root(next);
        let mut k = 0.0;
        loop {
            if k >= MAX_SAFE {
                let e = vm.type_error("Array.from: too many elements");
                let _ = vm.iterator_close(iter);
                return Err(e);
            }
            let Some(v) = vm.iterator_step(iter, next)? else {
                set_len(vm, a, k)?;
                return Ok(a);
            };
            let mark = vm.push_root(v);
            let r = (|| -> Result<(), Value> {
                let mv = if mapping {
                    vm.call(mapfn, this_arg, &[v, Value::number(k)])?
                } else {
                    v
                };
                create_at(vm, ah, k, mv)
            })();
            if let Err(e) = r {
                vm.push_root(e);
                let _ = vm.iterator_close(iter);
                return Err(e);
            }
            vm.truncate_roots(mark);
            k += 1.0;
        }
    }
    let (o, _) = to_obj(vm, items)?;
    let len = len_of(vm, o)?;
    let a = if vm.is_constructor(c) {
        vm.construct(c, &[Value::number(len)], c)?
    } else {
        array_create(vm, len, None)?
    };
    vm.push_root(a);
    let ah = obj_handle(vm, a)?;
    let mut k = 0.0;
    let mut work = Work(0);
    while k < len {
        work.tick(vm)?;
        let v = get_at(vm, o, k)?;
        let mv = if mapping {
            vm.call(mapfn, this_arg, &[v, Value::number(k)])?
        } else {
            v
        };
        create_at(vm, ah, k, mv)?;
        k += 1.0;
    }
    set_len(vm, a, len)?;
    Ok(a)
}
native!(array_from, array_from_impl);

fn array_of_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let len = args.len() as f64;
    let a = if vm.is_constructor(this) {
        vm.construct(this, &[Value::number(len)], this)?
    } else {
        array_create(vm, len, None)?
    };
    vm.push_root(a);
    let ah = obj_handle(vm, a)?;
    for (k, v) in args.iter().enumerate() {
        create_at(vm, ah, k as f64, *v)?;
    }
    set_len(vm, a, len)?;
    Ok(a)
}
native!(array_of, array_of_impl);

fn species_getter(_vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    Ok(this)
}

// ----- Array.prototype: mutators -----

fn push_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    if let Some(h) = this.as_object() {
        if fast_writable(vm, h) {
            let a = arr(vm, h).unwrap();
            let n = args.len();
            if a.len as usize == a.elems.len() && (a.len as f64 + n as f64) <= MAX_ARRAY_LEN {
                let before = a.elems.capacity();
                let a = arr_mut(vm, h).unwrap();
                a.elems.extend_from_slice(args);
                a.len = a.elems.len() as u32;
                let len = a.len;
                let grown = (a.elems.capacity() - before) * 8;
                if grown > 0 {
                    vm.charge(grown)?;
                }
                return Ok(Value::number(len as f64));
            }
        }
    }
    let (o, _) = to_obj(vm, this)?;
    let mut len = len_of(vm, o)?;
    if len + args.len() as f64 > MAX_SAFE {
        return Err(vm.type_error("Pushing elements past 2^53-1 length"));
    }
    for v in args {
        set_at(vm, o, len, *v)?;
        len += 1.0;
    }
    set_len(vm, o, len)?;
    Ok(Value::number(len))
}
native!(push, push_impl);

fn pop_impl(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    if let Some(h) = this.as_object() {
        if fast_writable(vm, h) {
            let a = arr_mut(vm, h).unwrap();
            if a.len as usize == a.elems.len()
                && a.len > 0
                && a.elems.last().is_some_and(|v| !v.is_empty())
            {
                let v = a.elems.pop().unwrap();
                a.len -= 1;
                while a.elems.last().is_some_and(|v| v.is_empty()) {
                    a.elems.pop();
                }
                return Ok(v);
            }
        }
    }
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    if len == 0.0 {
        set_len(vm, o, 0.0)?;
        return Ok(Value::UNDEFINED);
    }
    let idx = len - 1.0;
    let v = get_at(vm, o, idx)?;
    vm.push_root(v);
    delete_at(vm, h, idx)?;
    set_len(vm, o, idx)?;
    Ok(v)
}
native!(pop, pop_impl);

fn shift_impl(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    if let Some(h) = this.as_object() {
        if fast_writable(vm, h) {
            let a = arr_mut(vm, h).unwrap();
            if a.len as usize == a.elems.len() && a.len > 0 {
                let v = a.elems.remove(0);
                a.len -= 1;
                while a.elems.last().is_some_and(|v| v.is_empty()) {
                    a.elems.pop();
                }
                return Ok(if v.is_empty() { Value::UNDEFINED } else { v });
            }
        }
    }
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    if len == 0.0 {
        set_len(vm, o, 0.0)?;
        return Ok(Value::UNDEFINED);
    }
    let first = get_at(vm, o, 0.0)?;
    vm.push_root(first);
    let mut k = 1.0;
    let mut work = Work(0);
    while k < len {
        work.tick(vm)?;
        if has_at(vm, h, k)? {
            let v = get_at(vm, o, k)?;
            set_at(vm, o, k - 1.0, v)?;
        } else {
            delete_at(vm, h, k - 1.0)?;
        }
        k += 1.0;
    }
    delete_at(vm, h, len - 1.0)?;
    set_len(vm, o, len - 1.0)?;
    Ok(first)
}
native!(shift, shift_impl);

fn unshift_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let n = args.len();
    if let Some(h) = this.as_object() {
        if fast_writable(vm, h) {
            let a = arr(vm, h).unwrap();
            if a.len as usize == a.elems.len() && a.len as f64 + n as f64 <= MAX_ARRAY_LEN {
                let before = a.elems.capacity();
                let a = arr_mut(vm, h).unwrap();
                a.elems.splice(0..0, args.iter().copied());
                a.len = a.elems.len() as u32;
                let len = a.len;
                let grown = (a.elems.capacity() - before) * 8;
                if grown > 0 {
                    vm.charge(grown)?;
                }
                return Ok(Value::number(len as f64));
            }
        }
    }
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    if n > 0 {
        if len + n as f64 > MAX_SAFE {
            return Err(vm.type_error("Unshifting elements past 2^53-1 length"));
        }
        let mut k = len;
        let mut work = Work(0);
        while k > 0.0 {
            work.tick(vm)?;
            let from = k - 1.0;
            let to = k + n as f64 - 1.0;
            if has_at(vm, h, from)? {
                let v = get_at(vm, o, from)?;
                set_at(vm, o, to, v)?;
            } else {
                delete_at(vm, h, to)?;
            }
            k -= 1.0;
        }
        for (j, v) in args.iter().enumerate() {
            set_at(vm, o, j as f64, *v)?;
        }
    }
    let nl = len + n as f64;
    set_len(vm, o, nl)?;
    Ok(Value::number(nl))
}
native!(unshift, unshift_impl);

fn reverse_impl(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    if fast_writable(vm, h) {
        let a = arr_mut(vm, h).unwrap();
        if a.len as usize == a.elems.len() {
            a.elems.reverse();
            while a.elems.last().is_some_and(|v| v.is_empty()) {
                a.elems.pop();
            }
            return Ok(o);
        }
    }
    let len = len_of(vm, o)?;
    let middle = libm::floor(len / 2.0);
    let mut lower = 0.0;
    let mut work = Work(0);
    while lower != middle {
        work.tick(vm)?;
        let upper = len - lower - 1.0;
        let lower_exists = has_at(vm, h, lower)?;
        let lower_v = if lower_exists {
            get_at(vm, o, lower)?
        } else {
            Value::UNDEFINED
        };
        let m = vm.push_root(lower_v);
        let upper_exists = has_at(vm, h, upper)?;
        let upper_v = if upper_exists {
            get_at(vm, o, upper)?
        } else {
            Value::UNDEFINED
        };
        vm.push_root(upper_v);
        match (lower_exists, upper_exists) {
            (true, true) => {
                set_at(vm, o, lower, upper_v)?;
                set_at(vm, o, upper, lower_v)?;
            }
            (false, true) => {
                set_at(vm, o, lower, upper_v)?;
                delete_at(vm, h, upper)?;
            }
            (true, false) => {
                delete_at(vm, h, lower)?;
                set_at(vm, o, upper, lower_v)?;
            }
            (false, false) => {}
        }
        vm.truncate_roots(m);
        lower += 1.0;
    }
    Ok(o)
}
native!(reverse, reverse_impl);

fn fill_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let value = Vm::arg(args, 0);
    let k = relative(vm, Vm::arg(args, 1), len, 0.0)?;
    let fin = relative(vm, Vm::arg(args, 2), len, len)?;
    if k >= fin {
        return Ok(o);
    }
    if fast_writable(vm, h) && fin <= arr(vm, h).map_or(0.0, |a| a.len as f64) {
        let cur = arr(vm, h).map_or(0, |a| a.elems.len());
        let end = fin as usize;
        if end > cur {
            vm.charge((end - cur) * 8)?;
            let a = arr_mut(vm, h).unwrap();
            a.elems.resize(end, Value::EMPTY);
        }
        let a = arr_mut(vm, h).unwrap();
        for e in &mut a.elems[k as usize..end] {
            *e = value;
        }
        return Ok(o);
    }
    let mut k = k;
    let mut work = Work(0);
    while k < fin {
        work.tick(vm)?;
        set_at(vm, o, k, value)?;
        k += 1.0;
    }
    Ok(o)
}
native!(fill, fill_impl);

fn copy_within_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let to = relative(vm, Vm::arg(args, 0), len, 0.0)?;
    let from = relative(vm, Vm::arg(args, 1), len, 0.0)?;
    let fin = relative(vm, Vm::arg(args, 2), len, len)?;
    let count = (fin - from).min(len - to);
    if count <= 0.0 {
        return Ok(o);
    }
    if fast_writable(vm, h) {
        let a = arr_mut(vm, h).unwrap();
        let n = a.elems.len() as f64;
        if from + count <= n && to + count <= n {
            let (f, t, c) = (from as usize, to as usize, count as usize);
            a.elems.copy_within(f..f + c, t);
            while a.elems.last().is_some_and(|v| v.is_empty()) {
                a.elems.pop();
            }
            return Ok(o);
        }
    }
    let (mut from, mut to, mut count) = (from, to, count);
    let dir = if from < to && to < from + count {
        from += count - 1.0;
        to += count - 1.0;
        -1.0
    } else {
        1.0
    };
    let mut work = Work(0);
    while count > 0.0 {
        work.tick(vm)?;
        if has_at(vm, h, from)? {
            let v = get_at(vm, o, from)?;
            set_at(vm, o, to, v)?;
        } else {
            delete_at(vm, h, to)?;
        }
        from += dir;
        to += dir;
        count -= 1.0;
    }
    Ok(o)
}
native!(copy_within, copy_within_impl);

fn splice_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let start = relative(vm, Vm::arg(args, 0), len, 0.0)?;
    let items: &[Value] = if args.len() > 2 { &args[2..] } else { &[] };
    let item_count = items.len() as f64;
    let del = if args.is_empty() {
        0.0
    } else if args.len() == 1 {
        len - start
    } else {
        let dc = vm.to_integer_or_infinity(args[1])?;
        dc.max(0.0).min(len - start)
    };
    if len + item_count - del > MAX_SAFE {
        return Err(vm.type_error("Splice result length exceeds 2^53-1"));
    }
    let a = species_create(vm, o, del)?;
    vm.push_root(a);
    let ah = obj_handle(vm, a)?;
    // Fast path: both plain dense arrays.
    if fast_writable(vm, h)
        && ah != h
        && fast_writable(vm, ah)
        && arr(vm, ah).is_some_and(|x| x.elems.is_empty())
        && arr(vm, h).is_some_and(|x| x.len as usize == x.elems.len())
        && len + item_count - del <= MAX_ARRAY_LEN
    {
        let (s, d) = (start as usize, del as usize);
        let removed: Vec<Value> = {
            let x = arr_mut(vm, h).unwrap();
            let before = x.elems.capacity();
            let r: Vec<Value> = x.elems.splice(s..s + d, items.iter().copied()).collect();
            x.len = x.elems.len() as u32;
            while x.elems.last().is_some_and(|v| v.is_empty()) {
                x.elems.pop();
            }
            let grown = x.elems.capacity().saturating_sub(before) * 8;
            vm.charge(grown)?;
            r
        };
        vm.charge(removed.len() * 8)?;
        let y = arr_mut(vm, ah).unwrap();
        y.elems = removed;
        y.len = d as u32;
        while y.elems.last().is_some_and(|v| v.is_empty()) {
            y.elems.pop();
        }
        return Ok(a);
    }
    let mut work = Work(0);
    let mut k = 0.0;
    while k < del {
        work.tick(vm)?;
        let from = start + k;
        if has_at(vm, h, from)? {
            let v = get_at(vm, o, from)?;
            create_at(vm, ah, k, v)?;
        }
        k += 1.0;
    }
    set_len(vm, a, del)?;
    if item_count < del {
        let mut k = start;
        while k < len - del {
            work.tick(vm)?;
            let from = k + del;
            let to = k + item_count;
            if has_at(vm, h, from)? {
                let v = get_at(vm, o, from)?;
                set_at(vm, o, to, v)?;
            } else {
                delete_at(vm, h, to)?;
            }
            k += 1.0;
        }
        let mut k = len;
        while k > len - del + item_count {
            work.tick(vm)?;
            delete_at(vm, h, k - 1.0)?;
            k -= 1.0;
        }
    } else if item_count > del {
        let mut k = len - del;
        while k > start {
            work.tick(vm)?;
            let from = k + del - 1.0;
            let to = k + item_count - 1.0;
            if has_at(vm, h, from)? {
                let v = get_at(vm, o, from)?;
                set_at(vm, o, to, v)?;
            } else {
                delete_at(vm, h, to)?;
            }
            k -= 1.0;
        }
    }
    for (i, v) in items.iter().enumerate() {
        set_at(vm, o, start + i as f64, *v)?;
    }
    set_len(vm, o, len - del + item_count)?;
    Ok(a)
}
native!(splice, splice_impl);

// ----- sorting -----

/// Stable sort of `items` with SortCompare. `items` must be kept alive by the caller
/// (they are copied into a rooted holder here anyway).
fn sort_values(vm: &mut Vm, items: Vec<Value>, cmp: Value) -> Result<Vec<Value>, Value> {
    let holder = vm.new_array(items.clone())?;
    let mark = vm.push_root(holder);
    let r = sort_values_inner(vm, items, cmp);
    vm.truncate_roots(mark);
    r
}

fn sort_values_inner(vm: &mut Vm, items: Vec<Value>, cmp: Value) -> Result<Vec<Value>, Value> {
    let total = items.len();
    let mut vals: Vec<Value> = items.into_iter().filter(|v| !v.is_undefined()).collect();
    if cmp.is_undefined() {
        // Default order: by ToString, as bytes. Keys are computed once.
        let mut keyed: Vec<(Vec<u8>, Value)> = Vec::with_capacity(vals.len());
        let mut work = Work(0);
        for v in vals {
            work.tick(vm)?;
            let key = match v.kind() {
                Kind::Atom(_) | Kind::String(_) => vm.string_bytes(v).to_vec(),
                Kind::Number(n) => number_bytes(n),
                _ => vm.to_byte_vec(v)?,
            };
            keyed.push((key, v));
        }
        let bytes: usize = keyed.iter().map(|k| k.0.len()).sum();
        vm.charge(bytes)?;
        ferrite_collections::sort::sort_by(&mut keyed, |a, b| a.0.cmp(&b.0));
        vals = keyed.into_iter().map(|k| k.1).collect();
    } else {
        super::sort::sort_with(vm, &mut vals, |vm, a, b| cmp_gt(vm, cmp, a, b))?;
    }
    vals.resize(total, Value::UNDEFINED);
    Ok(vals)
}

fn number_bytes(n: f64) -> Vec<u8> {
    if libm::trunc(n) == n && n.abs() < 1e15 {
        let mut buf = [0u8; 24];
        return crate::vm::format_int(n as i64, &mut buf).to_vec();
    }
    crate::lexer::number_to_string(n).into_bytes()
}

/// comparefn(a, b) > 0 ?
fn cmp_gt(vm: &mut Vm, cmp: Value, a: Value, b: Value) -> Result<bool, Value> {
    let r = vm.call(cmp, Value::UNDEFINED, &[a, b])?;
    let n = match r.as_number() {
        Some(n) => n,
        None => vm.to_number(r)?,
    };
    Ok(n > 0.0)
}

fn check_comparefn(vm: &mut Vm, cmp: Value) -> Result<(), Value> {
    if !cmp.is_undefined() && !vm.is_callable(cmp) {
        return Err(vm.type_error("The comparison function must be either a function or undefined"));
    }
    Ok(())
}

fn sort_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let cmp = Vm::arg(args, 0);
    check_comparefn(vm, cmp)?;
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    // Collect the present elements.
    let items: Vec<Value> = if fast_arr(vm, h) {
        arr(vm, h)
            .unwrap()
            .elems
            .iter()
            .filter(|v| !v.is_empty())
            .copied()
            .collect()
    } else {
        let holder = vm.new_array(Vec::new())?;
        vm.push_root(holder);
        let hh = holder.as_object().unwrap();
        for_present(vm, o, h, 0.0, len, &mut |vm, _k, v| {
            let n = vm.array_len(hh);
            vm.array_put(hh, n, v)?;
            Ok(true)
        })?;
        arr(vm, hh).unwrap().elems.clone()
    };
    let count = items.len();
    let sorted = sort_values(vm, items, cmp)?;
    let holder = vm.new_array(sorted)?;
    vm.push_root(holder);
    let hh = holder.as_object().unwrap();
    if fast_writable(vm, h) {
        let sorted = core::mem::take(&mut arr_mut(vm, hh).unwrap().elems);
        let a = arr_mut(vm, h).unwrap();
        let old = a.elems.len();
        a.elems.clear();
        a.elems.extend_from_slice(&sorted);
        if (a.len as usize) < count {
            a.len = count as u32;
        }
        let grown = count.saturating_sub(old) * 8;
        arr_mut(vm, hh).unwrap().elems = sorted;
        vm.charge(grown)?;
        return Ok(o);
    }
    let mut work = Work(0);
    for j in 0..count {
        work.tick(vm)?;
        let v = arr(vm, hh).unwrap().elems[j];
        set_at(vm, o, j as f64, v)?;
    }
    let mut j = count as f64;
    let mut cache = SparseCache::default();
    while j < len {
        work.tick(vm)?;
        // Past the dense part of a non-sparse array nothing is left to delete.
        if matches!(arr(vm, h), Some(a) if !a.sparse && j >= a.elems.len() as f64) {
            break;
        }
        if sparse_plain(vm, h) {
            match sparse_next(vm, h, j, true, &mut cache) {
                Some(n) if n < len => j = n,
                _ => break,
            }
        }
        delete_at(vm, h, j)?;
        j += 1.0;
    }
    Ok(o)
}
native!(sort, sort_impl);

/// All elements `0..len` with holes read through Get (for toSorted/toReversed).
fn read_all(vm: &mut Vm, o: Value, h: Handle, len: f64) -> Result<Vec<Value>, Value> {
    if fast_arr(vm, h) {
        let a = arr(vm, h).unwrap();
        let mut out: Vec<Value> = a
            .elems
            .iter()
            .map(|v| if v.is_empty() { Value::UNDEFINED } else { *v })
            .collect();
        vm.charge((len as usize).saturating_sub(out.len()) * 8)?;
        out.resize(len as usize, Value::UNDEFINED);
        return Ok(out);
    }
    let holder = vm.new_array(Vec::new())?;
    vm.push_root(holder);
    let hh = holder.as_object().unwrap();
    let mut k = 0.0;
    let mut work = Work(0);
    while k < len {
        work.tick(vm)?;
        let v = get_at(vm, o, k)?;
        vm.array_put(hh, k as u32, v)?;
        k += 1.0;
    }
    Ok(arr(vm, hh).unwrap().elems.clone())
}

fn to_sorted_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let cmp = Vm::arg(args, 0);
    check_comparefn(vm, cmp)?;
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    if len > MAX_ARRAY_LEN {
        return Err(vm.range_error("Invalid array length"));
    }
    let items = read_all(vm, o, h, len)?;
    let sorted = sort_values(vm, items, cmp)?;
    vm.new_array(sorted)
}
native!(to_sorted, to_sorted_impl);

fn to_reversed_impl(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    if len > MAX_ARRAY_LEN {
        return Err(vm.range_error("Invalid array length"));
    }
    if fast_arr(vm, h) {
        let mut items = read_all(vm, o, h, len)?;
        items.reverse();
        return vm.new_array(items);
    }
    let a = array_create(vm, len, None)?;
    vm.push_root(a);
    let ah = a.as_object().unwrap();
    let mut k = 0.0;
    let mut work = Work(0);
    while k < len {
        work.tick(vm)?;
        let v = get_at(vm, o, len - k - 1.0)?;
        create_at(vm, ah, k, v)?;
        k += 1.0;
    }
    Ok(a)
}
native!(to_reversed, to_reversed_impl);

fn to_spliced_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, _h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let start = relative(vm, Vm::arg(args, 0), len, 0.0)?;
    let items: &[Value] = if args.len() > 2 { &args[2..] } else { &[] };
    let skip = if args.is_empty() {
        0.0
    } else if args.len() == 1 {
        len - start
    } else {
        let sc = vm.to_integer_or_infinity(args[1])?;
        sc.max(0.0).min(len - start)
    };
    let new_len = len + items.len() as f64 - skip;
    if new_len > MAX_SAFE {
        return Err(vm.type_error("toSpliced result length exceeds 2^53-1"));
    }
    let a = array_create(vm, new_len, None)?;
    vm.push_root(a);
    let ah = a.as_object().unwrap();
    let mut i = 0.0;
    let mut r = start + skip;
    let mut work = Work(0);
    while i < start {
        work.tick(vm)?;
        let v = get_at(vm, o, i)?;
        create_at(vm, ah, i, v)?;
        i += 1.0;
    }
    for v in items {
        create_at(vm, ah, i, *v)?;
        i += 1.0;
    }
    while i < new_len {
        work.tick(vm)?;
        let v = get_at(vm, o, r)?;
        create_at(vm, ah, i, v)?;
        i += 1.0;
        r += 1.0;
    }
    Ok(a)
}
native!(to_spliced, to_spliced_impl);

fn with_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let rel = vm.to_integer_or_infinity(Vm::arg(args, 0))?;
    let idx = if rel >= 0.0 { rel } else { len + rel };
    if idx >= len || idx < 0.0 {
        return Err(vm.range_error("Invalid index"));
    }
    let value = Vm::arg(args, 1);
    if len > MAX_ARRAY_LEN {
        return Err(vm.range_error("Invalid array length"));
    }
    if fast_arr(vm, h) {
        let mut items = read_all(vm, o, h, len)?;
        items[idx as usize] = value;
        return vm.new_array(items);
    }
    let a = array_create(vm, len, None)?;
    vm.push_root(a);
    let ah = a.as_object().unwrap();
    let mut k = 0.0;
    let mut work = Work(0);
    while k < len {
        work.tick(vm)?;
        let v = if k == idx { value } else { get_at(vm, o, k)? };
        create_at(vm, ah, k, v)?;
        k += 1.0;
    }
    Ok(a)
}
native!(with, with_impl);

// ----- accessors / searches -----

fn at_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, _) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let rel = vm.to_integer_or_infinity(Vm::arg(args, 0))?;
    let k = if rel >= 0.0 { rel } else { len + rel };
    if k < 0.0 || k >= len {
        return Ok(Value::UNDEFINED);
    }
    get_at(vm, o, k)
}
native!(at, at_impl);

fn index_of_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    if len == 0.0 {
        return Ok(Value::number(-1.0));
    }
    let n = vm.to_integer_or_infinity(Vm::arg(args, 1))?;
    if n == f64::INFINITY {
        return Ok(Value::number(-1.0));
    }
    let mut k = if n >= 0.0 { n } else { (len + n).max(0.0) };
    let target = Vm::arg(args, 0);
    if fast_arr(vm, h) {
        let dense = arr(vm, h).unwrap().elems.len() as f64;
        let end = len.min(dense);
        if let Some(t) = target.as_number() {
            let a = arr(vm, h).unwrap();
            let mut i = k as usize;
            while (i as f64) < end {
                if a.elems[i].as_number() == Some(t) {
                    return Ok(Value::number(i as f64));
                }
                i += 1;
            }
            return Ok(Value::number(-1.0));
        }
        if !target.is_string() {
            let a = arr(vm, h).unwrap();
            let mut i = k as usize;
            while (i as f64) < end {
                if a.elems[i] == target {
                    return Ok(Value::number(i as f64));
                }
                i += 1;
            }
            return Ok(Value::number(-1.0));
        }
        while k < end {
            let v = arr(vm, h).unwrap().elems[k as usize];
            if v.is_string() && vm.string_eq(v, target) {
                return Ok(Value::number(k));
            }
            k += 1.0;
        }
        return Ok(Value::number(-1.0));
    }
    let mut found = -1.0;
    for_present(vm, o, h, k, len, &mut |vm, i, v| {
        if vm.strict_equals(v, target) {
            found = i;
            return Ok(false);
        }
        Ok(true)
    })?;
    Ok(Value::number(found))
}
native!(index_of, index_of_impl);

fn last_index_of_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    if len == 0.0 {
        return Ok(Value::number(-1.0));
    }
    let n = if args.len() > 1 {
        vm.to_integer_or_infinity(args[1])?
    } else {
        len - 1.0
    };
    if n == f64::NEG_INFINITY {
        return Ok(Value::number(-1.0));
    }
    let k = if n >= 0.0 { n.min(len - 1.0) } else { len + n };
    let target = Vm::arg(args, 0);
    let mut found = -1.0;
    for_present_rev(vm, o, h, k, &mut |vm, i, v| {
        if vm.strict_equals(v, target) {
            found = i;
            return Ok(false);
        }
        Ok(true)
    })?;
    Ok(Value::number(found))
}
native!(last_index_of, last_index_of_impl);

fn includes_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    if len == 0.0 {
        return Ok(Value::FALSE);
    }
    let n = vm.to_integer_or_infinity(Vm::arg(args, 1))?;
    if n == f64::INFINITY {
        return Ok(Value::FALSE);
    }
    let mut k = if n >= 0.0 { n } else { (len + n).max(0.0) };
    let target = Vm::arg(args, 0);
    if fast_arr(vm, h) {
        let dense = arr(vm, h).unwrap().elems.len() as f64;
        let end = len.min(dense);
        while k < end {
            let v = arr(vm, h).unwrap().elems[k as usize];
            let v = if v.is_empty() { Value::UNDEFINED } else { v };
            if vm.same_value_zero(v, target) {
                return Ok(Value::TRUE);
            }
            k += 1.0;
        }
        // Everything past the dense part reads as undefined.
        return Ok(Value::bool(target.is_undefined() && len > end.max(k)));
    }
    if sparse_plain(vm, h) {
        // Absent indices read as undefined.
        let mut expect = k;
        let mut found = false;
        for_present(vm, o, h, k, len, &mut |vm, i, v| {
            if (i != expect && target.is_undefined()) || vm.same_value_zero(v, target) {
                found = true;
                return Ok(false);
            }
            expect = i + 1.0;
            Ok(true)
        })?;
        return Ok(Value::bool(
            found || (target.is_undefined() && expect < len),
        ));
    }
    let mut work = Work(0);
    while k < len {
        work.tick(vm)?;
        let v = get_at(vm, o, k)?;
        if vm.same_value_zero(v, target) {
            return Ok(Value::TRUE);
        }
        k += 1.0;
    }
    Ok(Value::FALSE)
}
native!(includes, includes_impl);

/// find / findIndex / findLast / findLastIndex.
fn find_generic(
    vm: &mut Vm,
    this: Value,
    args: &[Value],
    last: bool,
    want_index: bool,
) -> Result<Value, Value> {
    let (o, _h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let f = Vm::arg(args, 0);
    require_callable(vm, f, "predicate")?;
    let this_arg = Vm::arg(args, 1);
    let mut i = 0.0;
    while i < len {
        let k = if last { len - 1.0 - i } else { i };
        let v = get_at(vm, o, k)?;
        let r = vm.call(f, this_arg, &[v, Value::number(k), o])?;
        if vm.to_boolean(r) {
            return Ok(if want_index { Value::number(k) } else { v });
        }
        i += 1.0;
    }
    Ok(if want_index {
        Value::number(-1.0)
    } else {
        Value::UNDEFINED
    })
}

fn find_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    find_generic(vm, this, args, false, false)
}
fn find_index_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    find_generic(vm, this, args, false, true)
}
fn find_last_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    find_generic(vm, this, args, true, false)
}
fn find_last_index_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    find_generic(vm, this, args, true, true)
}
native!(find, find_impl);
native!(find_index, find_index_impl);
native!(find_last, find_last_impl);
native!(find_last_index, find_last_index_impl);

// ----- iteration with callbacks -----

fn for_each_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let f = Vm::arg(args, 0);
    require_callable(vm, f, "forEach callback")?;
    let this_arg = Vm::arg(args, 1);
    for_present(vm, o, h, 0.0, len, &mut |vm, k, v| {
        vm.call(f, this_arg, &[v, Value::number(k), o])?;
        Ok(true)
    })?;
    Ok(Value::UNDEFINED)
}
native!(for_each, for_each_impl);

fn every_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let f = Vm::arg(args, 0);
    require_callable(vm, f, "every callback")?;
    let this_arg = Vm::arg(args, 1);
    let mut result = true;
    for_present(vm, o, h, 0.0, len, &mut |vm, k, v| {
        let r = vm.call(f, this_arg, &[v, Value::number(k), o])?;
        if !vm.to_boolean(r) {
            result = false;
            return Ok(false);
        }
        Ok(true)
    })?;
    Ok(Value::bool(result))
}
native!(every, every_impl);

fn some_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let f = Vm::arg(args, 0);
    require_callable(vm, f, "some callback")?;
    let this_arg = Vm::arg(args, 1);
    let mut result = false;
    for_present(vm, o, h, 0.0, len, &mut |vm, k, v| {
        let r = vm.call(f, this_arg, &[v, Value::number(k), o])?;
        if vm.to_boolean(r) {
            result = true;
            return Ok(false);
        }
        Ok(true)
    })?;
    Ok(Value::bool(result))
}
native!(some, some_impl);

fn map_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let f = Vm::arg(args, 0);
    require_callable(vm, f, "map callback")?;
    let this_arg = Vm::arg(args, 1);
    let a = species_create(vm, o, len)?;
    vm.push_root(a);
    let ah = obj_handle(vm, a)?;
    if fast_arr(vm, h) {
        let n = arr(vm, h).map_or(0, |x| x.elems.len());
        reserve(vm, ah, n)?;
    }
    for_present(vm, o, h, 0.0, len, &mut |vm, k, v| {
        let r = vm.call(f, this_arg, &[v, Value::number(k), o])?;
        create_at(vm, ah, k, r)?;
        Ok(true)
    })?;
    Ok(a)
}
native!(map, map_impl);

fn filter_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let f = Vm::arg(args, 0);
    require_callable(vm, f, "filter callback")?;
    let this_arg = Vm::arg(args, 1);
    let a = species_create(vm, o, 0.0)?;
    vm.push_root(a);
    let ah = obj_handle(vm, a)?;
    let mut to = 0.0;
    for_present(vm, o, h, 0.0, len, &mut |vm, k, v| {
        let r = vm.call(f, this_arg, &[v, Value::number(k), o])?;
        if vm.to_boolean(r) {
            create_at(vm, ah, to, v)?;
            to += 1.0;
        }
        Ok(true)
    })?;
    Ok(a)
}
native!(filter, filter_impl);

fn reduce_generic(vm: &mut Vm, this: Value, args: &[Value], right: bool) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let f = Vm::arg(args, 0);
    require_callable(vm, f, "reduce callback")?;
    let acc = Cell::new(vm, Vm::arg(args, 1))?;
    let mut have = args.len() >= 2;
    let mut step = |vm: &mut Vm, k: f64, v: Value| -> Result<bool, Value> {
        if !have {
            acc.set(vm, v);
            have = true;
            return Ok(true);
        }
        let cur = acc.get(vm);
        let r = vm.call(f, Value::UNDEFINED, &[cur, v, Value::number(k), o])?;
        acc.set(vm, r);
        Ok(true)
    };
    if right {
        for_present_rev(vm, o, h, len - 1.0, &mut step)?;
    } else {
        for_present(vm, o, h, 0.0, len, &mut step)?;
    }
    if !have {
        return Err(vm.type_error("Reduce of empty array with no initial value"));
    }
    Ok(acc.get(vm))
}

fn reduce_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    reduce_generic(vm, this, args, false)
}
fn reduce_right_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    reduce_generic(vm, this, args, true)
}
native!(reduce, reduce_impl);
native!(reduce_right, reduce_right_impl);

// ----- building new arrays -----

fn slice_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let k = relative(vm, Vm::arg(args, 0), len, 0.0)?;
    let fin = relative(vm, Vm::arg(args, 1), len, len)?;
    let count = (fin - k).max(0.0);
    let a = species_create(vm, o, count)?;
    vm.push_root(a);
    let ah = obj_handle(vm, a)?;
    if fast_arr(vm, h) && fast_writable(vm, ah) && arr(vm, ah).is_some_and(|x| x.elems.is_empty()) {
        let src = &arr(vm, h).unwrap().elems;
        let s = (k as usize).min(src.len());
        let e = (fin as usize).min(src.len()).max(s);
        let mut part = src[s..e].to_vec();
        while part.last().is_some_and(|v| v.is_empty()) {
            part.pop();
        }
        vm.charge(part.len() * 8)?;
        let x = arr_mut(vm, ah).unwrap();
        x.elems = part;
        x.len = count as u32;
        return Ok(a);
    }
    let mut n = 0.0;
    let mut k = k;
    let mut work = Work(0);
    while k < fin {
        work.tick(vm)?;
        if has_at(vm, h, k)? {
            let v = get_at(vm, o, k)?;
            create_at(vm, ah, n, v)?;
        }
        k += 1.0;
        n += 1.0;
    }
    set_len(vm, a, n)?;
    Ok(a)
}
native!(slice, slice_impl);

fn is_concat_spreadable(vm: &mut Vm, e: Value) -> Result<bool, Value> {
    if !e.is_object() {
        return Ok(false);
    }
    let sk = Key::symbol(vm.sym.is_concat_spreadable);
    let s = vm.get(e, sk)?;
    if !s.is_undefined() {
        return Ok(vm.to_boolean(s));
    }
    Ok(vm.is_array(e))
}

fn concat_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, _) = to_obj(vm, this)?;
    let a = species_create(vm, o, 0.0)?;
    vm.push_root(a);
    let ah = obj_handle(vm, a)?;
    let mut n = 0.0;
    let mut work = Work(0);
    for e in core::iter::once(o).chain(args.iter().copied()) {
        if is_concat_spreadable(vm, e)? {
            let eh = e.as_object().unwrap();
            let len = len_of(vm, e)?;
            if n + len > MAX_SAFE {
                return Err(vm.type_error("Concatenated array length exceeds 2^53-1"));
            }
            if fast_arr(vm, eh)
                && eh != ah
                && fast_writable(vm, ah)
                && arr(vm, ah).is_some_and(|x| x.elems.len() as f64 == n && x.len as f64 == n)
                && n + len <= MAX_ARRAY_LEN
            {
                let src = arr(vm, eh).unwrap().elems.clone();
                let before = arr(vm, ah).unwrap().elems.capacity();
                let x = arr_mut(vm, ah).unwrap();
                x.elems.extend_from_slice(&src);
                while x.elems.last().is_some_and(|v| v.is_empty()) {
                    x.elems.pop();
                }
                x.len = (n + len) as u32;
                let grown = x.elems.capacity().saturating_sub(before) * 8;
                vm.charge(grown)?;
                n += len;
                continue;
            }
            let mut k = 0.0;
            while k < len {
                work.tick(vm)?;
                if has_at(vm, eh, k)? {
                    let v = get_at(vm, e, k)?;
                    create_at(vm, ah, n, v)?;
                }
                n += 1.0;
                k += 1.0;
            }
        } else {
            if n >= MAX_SAFE {
                return Err(vm.type_error("Concatenated array length exceeds 2^53-1"));
            }
            create_at(vm, ah, n, e)?;
            n += 1.0;
        }
    }
    set_len(vm, a, n)?;
    Ok(a)
}
native!(concat, concat_impl);

/// FlattenIntoArray, iteratively (nesting depth is user-controlled).
fn flatten_into(
    vm: &mut Vm,
    target: Handle,
    source: Value,
    source_len: f64,
    depth: f64,
    mapper: Option<(Value, Value)>,
) -> Result<f64, Value> {
    struct Frame {
        src: Value,
        len: f64,
        idx: f64,
        depth: f64,
    }
    let mut stack = vec![Frame {
        src: source,
        len: source_len,
        idx: 0.0,
        depth,
    }];
    let mut target_index = 0.0;
    let mut work = Work(0);
    while let Some(top) = stack.last_mut() {
        if top.idx >= top.len {
            stack.pop();
            continue;
        }
        let k = top.idx;
        top.idx += 1.0;
        let (src, d) = (top.src, top.depth);
        let top_level = stack.len() == 1;
        work.tick(vm)?;
        let sh = src.as_object().unwrap();
        if !has_at(vm, sh, k)? {
            continue;
        }
        let mut el = get_at(vm, src, k)?;
        if let (Some((f, this_arg)), true) = (mapper, top_level) {
            el = vm.call(f, this_arg, &[el, Value::number(k), src])?;
        }
        if d > 0.0 && vm.is_array(el) {
            vm.push_root(el);
            let l = len_of(vm, el)?;
            if stack.len() > 100_000 {
                return Err(vm.range_error("Array.prototype.flat: nesting too deep"));
            }
            stack.push(Frame {
                src: el,
                len: l,
                idx: 0.0,
                depth: d - 1.0,
            });
            continue;
        }
        if target_index >= MAX_SAFE {
            return Err(vm.type_error("Flattened array length exceeds 2^53-1"));
        }
        create_at(vm, target, target_index, el)?;
        target_index += 1.0;
    }
    Ok(target_index)
}

fn flat_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, _) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let d = Vm::arg(args, 0);
    let depth = if d.is_undefined() {
        1.0
    } else {
        vm.to_integer_or_infinity(d)?.max(0.0)
    };
    let a = species_create(vm, o, 0.0)?;
    vm.push_root(a);
    let ah = obj_handle(vm, a)?;
    flatten_into(vm, ah, o, len, depth, None)?;
    Ok(a)
}
native!(flat, flat_impl);

fn flat_map_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, _) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let f = Vm::arg(args, 0);
    require_callable(vm, f, "flatMap mapper")?;
    let a = species_create(vm, o, 0.0)?;
    vm.push_root(a);
    let ah = obj_handle(vm, a)?;
    flatten_into(vm, ah, o, len, 1.0, Some((f, Vm::arg(args, 1))))?;
    Ok(a)
}
native!(flat_map, flat_map_impl);

// ----- strings -----

/// Append the ToString of an element (nullish → nothing).
fn push_element_string(vm: &mut Vm, v: Value, out: &mut Vec<u8>) -> Result<(), Value> {
    match v.kind() {
        Kind::Undefined | Kind::Null | Kind::Empty => {}
        Kind::Number(n) => {
            if libm::trunc(n) == n && n.abs() < 1e15 {
                let mut buf = [0u8; 24];
                out.extend_from_slice(crate::vm::format_int(n as i64, &mut buf));
            } else {
                out.extend_from_slice(crate::lexer::number_to_string(n).as_bytes());
            }
        }
        Kind::Atom(_) | Kind::String(_) => out.extend_from_slice(vm.string_bytes(v)),
        _ => {
            let s = vm.to_string(v)?;
            out.extend_from_slice(vm.string_bytes(s));
        }
    }
    Ok(())
}

fn too_long(vm: &mut Vm) -> Value {
    vm.range_error("Invalid string length")
}

fn join_impl(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let sep_arg = Vm::arg(args, 0);
    let sep: Vec<u8> = if sep_arg.is_undefined() {
        b",".to_vec()
    } else {
        vm.to_byte_vec(sep_arg)?
    };
    let max = vm.config.max_string_bytes;
    let mut out: Vec<u8> = Vec::new();
    let mut k = 0.0;
    let mut work = Work(0);
    let mut cache = SparseCache::default();
    while k < len {
        if k > 0.0 {
            out.extend_from_slice(&sep);
        }
        // Past the dense part of a fast array only separators remain.
        if fast_arr(vm, h) {
            let n = arr(vm, h).map_or(0, |a| a.elems.len()) as f64;
            if k >= n {
                let rest = len - k - 1.0;
                if out.len() as f64 + rest * sep.len() as f64 > max as f64 {
                    return Err(too_long(vm));
                }
                if !sep.is_empty() {
                    for _ in 0..rest as usize {
                        out.extend_from_slice(&sep);
                    }
                }
                break;
            }
        } else if sparse_plain(vm, h) && own_elem(vm, h, k).is_none() {
            let next = sparse_next(vm, h, k, true, &mut cache).map_or(len, |n| n.min(len));
            if next > k + 1.0 {
                let gaps = next - k - 1.0;
                if out.len() as f64 + gaps * sep.len() as f64 > max as f64 {
                    return Err(too_long(vm));
                }
                if !sep.is_empty() {
                    for _ in 0..gaps as usize {
                        out.extend_from_slice(&sep);
                    }
                }
                k = next;
                continue;
            }
        } else {
            work.tick(vm)?;
        }
        let v = get_at(vm, o, k)?;
        push_element_string(vm, v, &mut out)?;
        if out.len() > max {
            return Err(too_long(vm));
        }
        k += 1.0;
    }
    vm.new_string_vec(out)
}
native!(join, join_impl);

fn builtin_tag(vm: &Vm, h: Handle) -> &'static str {
    match &vm.heap.obj(h).kind {
        ObjectKind::Array(_) => "Array",
        ObjectKind::Function(_) | ObjectKind::Native(_) => "Function",
        ObjectKind::Error => "Error",
        ObjectKind::Boolean(_) => "Boolean",
        ObjectKind::Number(_) => "Number",
        ObjectKind::String(_) => "String",
        ObjectKind::Date(_) => "Date",
        ObjectKind::RegExp(_) => "RegExp",
        ObjectKind::Arguments | ObjectKind::MappedArguments { .. } => "Arguments",
        _ => "Object",
    }
}

fn to_string_impl(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (o, h) = to_obj(vm, this)?;
    let jk = Key::atom(vm.names.join);
    let f = vm.get(o, jk)?;
    if vm.is_callable(f) {
        return vm.call(f, o, &[]);
    }
    // %Object.prototype.toString%
    let tk = Key::symbol(vm.sym.to_string_tag);
    let t = vm.get(o, tk)?;
    let mut out = b"[object ".to_vec();
    if t.is_string() {
        out.extend_from_slice(vm.string_bytes(t));
    } else {
        out.extend_from_slice(builtin_tag(vm, h).as_bytes());
    }
    out.push(b']');
    vm.new_string_vec(out)
}
native!(to_string, to_string_impl);

fn to_locale_string_impl(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (o, _) = to_obj(vm, this)?;
    let len = len_of(vm, o)?;
    let max = vm.config.max_string_bytes;
    let mut out: Vec<u8> = Vec::new();
    let mut k = 0.0;
    let mut work = Work(0);
    let lk = vm.key("toLocaleString");
    while k < len {
        work.tick(vm)?;
        if k > 0.0 {
            out.push(b',');
        }
        let v = get_at(vm, o, k)?;
        if !v.is_nullish() {
            let m = vm.push_root(v);
            let f = vm.get(v, lk)?;
            if !vm.is_callable(f) {
                return Err(vm.type_error("toLocaleString is not a function"));
            }
            let r = vm.call(f, v, &[])?;
            let s = vm.to_string(r)?;
            out.extend_from_slice(vm.string_bytes(s));
            vm.truncate_roots(m);
        }
        if out.len() > max {
            return Err(too_long(vm));
        }
        k += 1.0;
    }
    vm.new_string_vec(out)
}
native!(to_locale_string, to_locale_string_impl);

// ----- iterators -----

fn keys_impl(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let o = vm.to_object(this)?;
    vm.new_array_iterator(o, IterKind::Keys)
}
fn values_impl(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let o = vm.to_object(this)?;
    vm.new_array_iterator(o, IterKind::Values)
}
fn entries_impl(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let o = vm.to_object(this)?;
    vm.new_array_iterator(o, IterKind::Entries)
}

pub fn install(vm: &mut Vm) {
    let ap = vm.intr.array_prototype;
    let (ctor, proto) = vm.define_class("Array", 1, array_ctor, ap, None);
    vm.intr.array_constructor = Some(ctor);
    vm.define_method(ctor, "isArray", 1, is_array);
    vm.define_method(ctor, "from", 1, array_from);
    vm.define_method(ctor, "of", 0, array_of);
    let sk = Key::symbol(vm.sym.species);
    vm.define_accessor(ctor, sk, "[Symbol.species]", Some(species_getter), None);

    let methods: &[(&str, u32, crate::engine::NativeFn)] = &[
        ("at", 1, at),
        ("concat", 1, concat),
        ("copyWithin", 2, copy_within),
        ("fill", 1, fill),
        ("find", 1, find),
        ("findIndex", 1, find_index),
        ("findLast", 1, find_last),
        ("findLastIndex", 1, find_last_index),
        ("lastIndexOf", 1, last_index_of),
        ("pop", 0, pop),
        ("push", 1, push),
        ("reverse", 0, reverse),
        ("shift", 0, shift),
        ("unshift", 1, unshift),
        ("slice", 2, slice),
        ("sort", 1, sort),
        ("splice", 2, splice),
        ("includes", 1, includes),
        ("indexOf", 1, index_of),
        ("join", 1, join),
        ("keys", 0, keys_impl),
        ("entries", 0, entries_impl),
        ("forEach", 1, for_each),
        ("filter", 1, filter),
        ("flat", 0, flat),
        ("flatMap", 1, flat_map),
        ("map", 1, map),
        ("every", 1, every),
        ("some", 1, some),
        ("reduce", 1, reduce),
        ("reduceRight", 1, reduce_right),
        ("toLocaleString", 0, to_locale_string),
        ("toString", 0, to_string),
        ("toReversed", 0, to_reversed),
        ("toSorted", 1, to_sorted),
        ("toSpliced", 2, to_spliced),
        ("with", 2, with),
    ];
    for (name, arity, f) in methods {
        vm.define_method(proto, name, *arity, *f);
    }
    let values = vm.define_method_now(proto, "values", 0, values_impl);
    vm.intr.array_values = values;
    let ik = Key::symbol(vm.sym.iterator);
    vm.define_value(proto, ik, values, METHOD_FLAGS);

    // [Symbol.unscopables]
    let un = vm
        .alloc_object(None, ObjectKind::Ordinary)
        .expect("out of memory creating built-ins");
    let uh = un.as_object().unwrap();
    for name in [
        "at",
        "copyWithin",
        "entries",
        "fill",
        "find",
        "findIndex",
        "findLast",
        "findLastIndex",
        "flat",
        "flatMap",
        "includes",
        "keys",
        "toReversed",
        "toSorted",
        "toSpliced",
        "values",
    ] {
        let k = vm.key(name);
        vm.define_value(uh, k, Value::TRUE, DEFAULT_FLAGS);
    }
    let uk = Key::symbol(vm.sym.unscopables);
    vm.define_value(proto, uk, un, CONFIGURABLE);
}
