//! Map, Set, WeakMap, WeakSet and their iterators.
//!
//! Entries live in `MapData::entries` in insertion order; a deletion leaves a `None` tombstone.
//! `MapData::index` maps a key hash (SameValueZero: strings by content, numbers by value with
//! -0 = +0 and all NaNs equal, everything else by identity) to entry positions. Real hashes have
//! the top bit clear; two reserved index keys carry bookkeeping:
//! - [`META`]: `[epoch]`. When tombstones pile up the entries are compacted and a new epoch
//!   starts; its log (`LOG_BASE + epoch`: `[kind, removed positions…]`, the last [`KEEP_LOGS`]
//!   kept) lets live iterators (whose `index` holds `epoch << 24 | pos`) translate their
//!   position. `clear` is logged as "every position → 0", which is exactly the spec behaviour
//!   (entries added after `clear` are still visited).
//! - [`WEAK`]: present for WeakMap/WeakSet objects (which are strong maps in this engine — a
//!   documented deviation — restricted to object/symbol keys).

use alloc::vec;
use alloc::vec::Vec;

use crate::heap::Handle;
use crate::object::{IterKind, Key, MapData, ObjectKind, CONFIGURABLE};
use crate::value::{Kind, Value};
use crate::vm::Vm;

use super::iterator::iter_result;

const META: u64 = u64::MAX;
const WEAK: u64 = u64::MAX - 1;
/// Compaction logs live at `LOG_BASE + epoch` (the last [`KEEP_LOGS`] of them).
const LOG_BASE: u64 = 1 << 63;
const KEEP_LOGS: u32 = 8;
const LOG_COMPACT: u32 = 0;
const LOG_CLEAR: u32 = 1;
/// Entries (including tombstones) a map may hold: positions must fit in 24 bits.
const MAX_ENTRIES: usize = 1 << 24;
const POS_MASK: u32 = (1 << 24) - 1;

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    x
}

/// Normalise a key for storage: -0 becomes +0, strings are flattened.
fn normalize_key(vm: &mut Vm, k: Value) -> Value {
    if let Some(n) = k.as_number() {
        if n == 0.0 {
            return Value::number(0.0);
        }
        return k;
    }
    if k.is_string() {
        vm.flatten(k);
    }
    k
}

/// Hash of a (normalised) key; `vm.flatten` must have been called on strings.
fn hash_key(vm: &Vm, k: Value) -> u64 {
    let h = match k.kind() {
        Kind::Number(n) => {
            let n = if n == 0.0 { 0.0 } else { n };
            if n.is_nan() {
                mix(0x7ff8_0000_0000_0001)
            } else {
                mix(n.to_bits() ^ 0x1234_5678)
            }
        }
        Kind::Atom(_) | Kind::String(_) => {
            let mut h: u64 = 0xcbf29ce484222325;
            for &b in vm.flat_bytes(k) {
                h ^= b as u64;
                h = h.wrapping_mul(0x100000001b3);
            }
            mix(h ^ 0x9e37_79b9)
        }
        _ => mix(k.bits()),
    };
    h & !(1u64 << 63)
}

/// SameValueZero of two normalised keys (strings already flat).
fn keys_equal(vm: &Vm, a: Value, b: Value) -> bool {
    if a == b {
        return true;
    }
    if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
        return x == y || (x.is_nan() && y.is_nan());
    }
    if a.is_string() && b.is_string() {
        return vm.flat_bytes(a) == vm.flat_bytes(b);
    }
    false
}

fn data(vm: &Vm, h: Handle) -> &MapData {
    match &vm.heap.obj(h).kind {
        ObjectKind::Map(m) | ObjectKind::Set(m) => m,
        _ => unreachable!(),
    }
}

fn data_mut(vm: &mut Vm, h: Handle) -> &mut MapData {
    match &mut vm.heap.obj_mut(h).kind {
        ObjectKind::Map(m) | ObjectKind::Set(m) => m,
        _ => unreachable!(),
    }
}

fn is_weak(m: &MapData) -> bool {
    m.index.contains_key(&WEAK)
}

fn epoch(m: &MapData) -> u32 {
    m.index
        .get(&META)
        .and_then(|v| v.first().copied())
        .unwrap_or(0)
}

/// Position of `key` in the entries.
fn find(vm: &mut Vm, h: Handle, key: Value) -> Option<usize> {
    let key = normalize_key(vm, key);
    let hash = hash_key(vm, key);
    let m = data(vm, h);
    for &p in m.index.get(&hash)? {
        if let Some(Some((k, _))) = m.entries.get(p as usize) {
            if keys_equal(vm, *k, key) {
                return Some(p as usize);
            }
        }
    }
    None
}

/// Insert or update. Returns an error when the map is too large.
fn insert(vm: &mut Vm, h: Handle, key: Value, value: Value) -> Result<(), Value> {
    let key = normalize_key(vm, key);
    if let Some(p) = find(vm, h, key) {
        if let Some(e) = data_mut(vm, h).entries.get_mut(p) {
            *e = Some((key, value));
        }
        return Ok(());
    }
    let hash = hash_key(vm, key);
    if data(vm, h).entries.len() >= MAX_ENTRIES {
        compact(vm, h);
        if data(vm, h).entries.len() >= MAX_ENTRIES {
            return Err(vm.range_error("Map maximum size exceeded"));
        }
    }
    let m = data_mut(vm, h);
    let before = m.entries.capacity();
    let pos = m.entries.len() as u32;
    m.entries.push(Some((key, value)));
    m.index.entry(hash).or_default().push(pos);
    m.live += 1;
    let grown = (m.entries.capacity() - before) * 24 + 40;
    vm.charge(grown)
}

fn remove(vm: &mut Vm, h: Handle, key: Value) -> bool {
    let key = normalize_key(vm, key);
    let Some(p) = find(vm, h, key) else {
        return false;
    };
    let hash = hash_key(vm, key);
    let m = data_mut(vm, h);
    m.entries[p] = None;
    m.live -= 1;
    if let Some(list) = m.index.get_mut(&hash) {
        list.retain(|&x| x as usize != p);
        if list.is_empty() {
            m.index.remove(&hash);
        }
    }
    let tomb = m.entries.len() - m.live;
    if tomb > 32 && tomb > m.live {
        compact(vm, h);
    }
    true
}

/// Drop tombstones, logging the removed positions for live iterators.
fn compact(vm: &mut Vm, h: Handle) {
    let m = data_mut(vm, h);
    let n = m.entries.len();
    if n == m.live {
        return;
    }
    let mut new_pos = vec![0u32; n];
    let mut removed: Vec<u32> = Vec::new();
    let mut kept = Vec::with_capacity(m.live.max(4));
    for (i, e) in m.entries.iter().enumerate() {
        new_pos[i] = kept.len() as u32;
        match e {
            Some(x) => kept.push(Some(*x)),
            None => removed.push(i as u32),
        }
    }
    m.entries = kept;
    for (k, list) in m.index.iter_mut() {
        if *k >= LOG_BASE {
            continue;
        }
        for p in list.iter_mut() {
            *p = new_pos[*p as usize];
        }
    }
    let mut log = Vec::with_capacity(removed.len() + 1);
    log.push(LOG_COMPACT);
    log.extend(removed);
    push_log(m, log);
}

/// Start a new epoch whose translation log is `log`.
fn push_log(m: &mut MapData, log: Vec<u32>) {
    let ep = epoch(m).wrapping_add(1) & 0xFF;
    m.index.insert(META, vec![ep]);
    m.index.insert(LOG_BASE + ep as u64, log);
    let old = ep.wrapping_sub(KEEP_LOGS) & 0xFF;
    m.index.remove(&(LOG_BASE + old as u64));
}

fn clear(vm: &mut Vm, h: Handle) {
    let m = data_mut(vm, h);
    m.entries = Vec::new();
    m.index.retain(|k, _| *k >= LOG_BASE);
    m.live = 0;
    push_log(m, vec![LOG_CLEAR]);
}

/// Translate an iterator cursor (`epoch << 24 | pos`) to a current position.
fn cursor_pos(m: &MapData, cursor: u32) -> usize {
    let mut pos = cursor & POS_MASK;
    let mut ep = cursor >> 24;
    let cur = epoch(m);
    while ep != cur {
        ep = (ep + 1) & 0xFF;
        let Some(log) = m.index.get(&(LOG_BASE + ep as u64)) else {
            // Too stale to translate exactly (dormant across many compactions).
            break;
        };
        if log.first() == Some(&LOG_CLEAR) {
            pos = 0;
        } else {
            let removed = log.get(1..).unwrap_or(&[]);
            pos -= removed.partition_point(|&r| r < pos) as u32;
        }
    }
    pos as usize
}

fn make_cursor(m: &MapData, pos: usize) -> u32 {
    (epoch(m) << 24) | (pos as u32 & POS_MASK)
}

/// The next live entry at or after cursor: (entry, new cursor).
fn next_entry(vm: &Vm, h: Handle, cursor: u32) -> Option<((Value, Value), u32)> {
    let m = data(vm, h);
    let mut p = cursor_pos(m, cursor);
    while p < m.entries.len() {
        if let Some(e) = m.entries[p] {
            return Some((e, make_cursor(m, p + 1)));
        }
        p += 1;
    }
    None
}

// ----- receivers -----

fn this_map(vm: &mut Vm, this: Value, method: &str) -> Result<Handle, Value> {
    if let Some(h) = this.as_object() {
        if let ObjectKind::Map(m) = &vm.heap.obj(h).kind {
            if !is_weak(m) {
                return Ok(h);
            }
        }
    }
    Err(vm.type_error(&alloc::format!(
        "Method Map.prototype.{method} called on incompatible receiver"
    )))
}

fn this_set(vm: &mut Vm, this: Value, method: &str) -> Result<Handle, Value> {
    if let Some(h) = this.as_object() {
        if let ObjectKind::Set(m) = &vm.heap.obj(h).kind {
            if !is_weak(m) {
                return Ok(h);
            }
        }
    }
    Err(vm.type_error(&alloc::format!(
        "Method Set.prototype.{method} called on incompatible receiver"
    )))
}

fn this_weak(vm: &mut Vm, this: Value, set: bool, method: &str) -> Result<Handle, Value> {
    if let Some(h) = this.as_object() {
        match &vm.heap.obj(h).kind {
            ObjectKind::Map(m) if !set && is_weak(m) => return Ok(h),
            ObjectKind::Set(m) if set && is_weak(m) => return Ok(h),
            _ => {}
        }
    }
    let c = if set { "WeakSet" } else { "WeakMap" };
    Err(vm.type_error(&alloc::format!(
        "Method {c}.prototype.{method} called on incompatible receiver"
    )))
}

/// CanBeHeldWeakly: objects and non-registered symbols.
fn can_be_held_weakly(vm: &Vm, v: Value) -> bool {
    match v.kind() {
        Kind::Object(_) => true,
        Kind::Symbol(h) => !vm.heap.symbol(h).registered,
        _ => false,
    }
}

// ----- constructors -----

fn new_collection(vm: &mut Vm, set: bool, weak: bool, name: &str) -> Result<Value, Value> {
    let nt = vm.new_target();
    if nt.is_undefined() {
        return Err(vm.type_error(&alloc::format!("Constructor {name} requires 'new'")));
    }
    let fallback = match (set, weak) {
        (false, false) => vm.intr.map_prototype,
        (true, false) => vm.intr.set_prototype,
        _ => {
            let g = Value::object(vm.global);
            let k = vm.key(if set { "WeakSet" } else { "WeakMap" });
            let c = vm.get(g, k).unwrap_or(Value::UNDEFINED);
            match c.as_object() {
                Some(ch) => {
                    let pk = Key::atom(vm.names.prototype);
                    vm.get_own_data(ch, pk).and_then(|p| p.as_object())
                }
                None => vm.intr.object_prototype,
            }
        }
    };
    let proto = vm.proto_from_new_target(nt, fallback)?;
    let mut md = MapData::default();
    if weak {
        md.index.insert(WEAK, Vec::new());
    }
    let kind = if set {
        ObjectKind::Set(alloc::boxed::Box::new(md))
    } else {
        ObjectKind::Map(alloc::boxed::Box::new(md))
    };
    vm.alloc_object(proto, kind)
}

/// Feed an iterable to `adder` (`set` for maps, `add` for sets).
fn fill_from_iterable(vm: &mut Vm, obj: Value, iterable: Value, pairs: bool) -> Result<(), Value> {
    let name = if pairs { "set" } else { "add" };
    let ak = vm.key(name);
    let adder = vm.get(obj, ak)?;
    if !vm.is_callable(adder) {
        return Err(vm.type_error(&alloc::format!(
            "'{name}' returned for the collection is not a function"
        )));
    }
    let mark = vm.push_root(obj);
    vm.push_root(adder);
    let r = fill_loop(vm, obj, iterable, adder, pairs);
    vm.truncate_roots(mark);
    r
}

fn fill_loop(
    vm: &mut Vm,
    obj: Value,
    iterable: Value,
    adder: Value,
    pairs: bool,
) -> Result<(), Value> {
    let (iter, next) = vm.get_iterator(iterable)?;
    vm.push_root(iter);
    vm.push_root(next);
    loop {
        let Some(item) = vm.iterator_step(iter, next)? else {
            return Ok(());
        };
        let m = vm.push_root(item);
        let r = (|| -> Result<(), Value> {
            if pairs {
                if !item.is_object() {
                    return Err(vm.type_error("Iterator value is not an entry object"));
                }
                let k = vm.get_index(item, 0)?;
                vm.push_root(k);
                let v = vm.get_index(item, 1)?;
                vm.call(adder, obj, &[k, v])?;
            } else {
                vm.call(adder, obj, &[item])?;
            }
            Ok(())
        })();
        vm.truncate_roots(m);
        if let Err(e) = r {
            let _ = vm.push_root(e);
            let _ = vm.iterator_close(iter);
            return Err(e);
        }
    }
}

fn map_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let o = new_collection(vm, false, false, "Map")?;
    let it = Vm::arg(args, 0);
    if !it.is_nullish() {
        fill_from_iterable(vm, o, it, true)?;
    }
    Ok(o)
}

fn set_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let o = new_collection(vm, true, false, "Set")?;
    let it = Vm::arg(args, 0);
    if !it.is_nullish() {
        fill_from_iterable(vm, o, it, false)?;
    }
    Ok(o)
}

fn weak_map_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let o = new_collection(vm, false, true, "WeakMap")?;
    let it = Vm::arg(args, 0);
    if !it.is_nullish() {
        fill_from_iterable(vm, o, it, true)?;
    }
    Ok(o)
}

fn weak_set_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let o = new_collection(vm, true, true, "WeakSet")?;
    let it = Vm::arg(args, 0);
    if !it.is_nullish() {
        fill_from_iterable(vm, o, it, false)?;
    }
    Ok(o)
}

fn species_getter(_vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    Ok(this)
}

// ----- Map.prototype -----

fn map_get(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_map(vm, this, "get")?;
    Ok(match find(vm, h, Vm::arg(args, 0)) {
        Some(p) => data(vm, h).entries[p].map_or(Value::UNDEFINED, |e| e.1),
        None => Value::UNDEFINED,
    })
}

fn map_set(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_map(vm, this, "set")?;
    insert(vm, h, Vm::arg(args, 0), Vm::arg(args, 1))?;
    Ok(this)
}

fn map_has(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_map(vm, this, "has")?;
    Ok(Value::bool(find(vm, h, Vm::arg(args, 0)).is_some()))
}

fn map_delete(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_map(vm, this, "delete")?;
    Ok(Value::bool(remove(vm, h, Vm::arg(args, 0))))
}

fn map_clear(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let h = this_map(vm, this, "clear")?;
    clear(vm, h);
    Ok(Value::UNDEFINED)
}

fn map_size(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let h = this_map(vm, this, "size")?;
    Ok(Value::number(data(vm, h).live as f64))
}

fn map_get_or_insert(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_map(vm, this, "getOrInsert")?;
    let k = Vm::arg(args, 0);
    if let Some(p) = find(vm, h, k) {
        return Ok(data(vm, h).entries[p].map_or(Value::UNDEFINED, |e| e.1));
    }
    let v = Vm::arg(args, 1);
    insert(vm, h, k, v)?;
    Ok(v)
}

fn map_get_or_insert_computed(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_map(vm, this, "getOrInsertComputed")?;
    let f = Vm::arg(args, 1);
    if !vm.is_callable(f) {
        return Err(vm.type_error("callbackfn is not a function"));
    }
    let k = normalize_key(vm, Vm::arg(args, 0));
    if let Some(p) = find(vm, h, k) {
        return Ok(data(vm, h).entries[p].map_or(Value::UNDEFINED, |e| e.1));
    }
    let v = vm.call(f, Value::UNDEFINED, &[k])?;
    insert(vm, h, k, v)?;
    Ok(v)
}

/// forEach for both Map and Set.
fn for_each_impl(
    vm: &mut Vm,
    h: Handle,
    this: Value,
    args: &[Value],
    set: bool,
) -> Result<Value, Value> {
    let f = Vm::arg(args, 0);
    if !vm.is_callable(f) {
        return Err(vm.type_error("forEach callback is not a function"));
    }
    let this_arg = Vm::arg(args, 1);
    let mut cursor = make_cursor(data(vm, h), 0);
    while let Some(((k, v), c)) = next_entry(vm, h, cursor) {
        cursor = c;
        if set {
            vm.call(f, this_arg, &[k, k, this])?;
        } else {
            vm.call(f, this_arg, &[v, k, this])?;
        }
    }
    Ok(Value::UNDEFINED)
}

fn map_for_each(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_map(vm, this, "forEach")?;
    for_each_impl(vm, h, this, args, false)
}

fn new_map_iterator(vm: &mut Vm, h: Handle, kind: IterKind, set: bool) -> Result<Value, Value> {
    let proto = if set {
        vm.intr.set_iterator_prototype
    } else {
        vm.intr.map_iterator_prototype
    };
    let cursor = make_cursor(data(vm, h), 0);
    vm.alloc_object(
        proto,
        ObjectKind::MapIterator {
            map: h,
            index: cursor,
            kind,
            done: false,
        },
    )
}

fn map_keys(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let h = this_map(vm, this, "keys")?;
    new_map_iterator(vm, h, IterKind::Keys, false)
}
fn map_values(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let h = this_map(vm, this, "values")?;
    new_map_iterator(vm, h, IterKind::Values, false)
}
fn map_entries(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let h = this_map(vm, this, "entries")?;
    new_map_iterator(vm, h, IterKind::Entries, false)
}

fn map_group_by(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let items = Vm::arg(args, 0);
    let f = Vm::arg(args, 1);
    if items.is_nullish() {
        return Err(vm.type_error("Map.groupBy called on null or undefined"));
    }
    if !vm.is_callable(f) {
        return Err(vm.type_error("Map.groupBy callback is not a function"));
    }
    let md = MapData::default();
    let map = vm.alloc_object(
        vm.intr.map_prototype,
        ObjectKind::Map(alloc::boxed::Box::new(md)),
    )?;
    let mh = map.as_object().unwrap();
    let mark = vm.push_root(map);
    let r = (|| -> Result<(), Value> {
        let (iter, next) = vm.get_iterator(items)?;
        vm.push_root(iter);
        vm.push_root(next);
        let mut k: f64 = 0.0;
        loop {
            let Some(v) = vm.iterator_step(iter, next)? else {
                return Ok(());
            };
            let m2 = vm.push_root(v);
            let key = match vm.call(f, Value::UNDEFINED, &[v, Value::number(k)]) {
                Ok(key) => key,
                Err(e) => {
                    vm.push_root(e);
                    let _ = vm.iterator_close(iter);
                    return Err(e);
                }
            };
            let key = normalize_key(vm, key);
            let group = match find(vm, mh, key) {
                Some(p) => data(vm, mh).entries[p].map(|e| e.1),
                None => None,
            };
            match group {
                Some(g) => {
                    let gh = g.as_object().unwrap();
                    let len = vm.array_len(gh);
                    vm.array_put(gh, len, v)?;
                }
                None => {
                    let g = vm.new_array(vec![v])?;
                    insert(vm, mh, key, g)?;
                }
            }
            vm.truncate_roots(m2);
            k += 1.0;
        }
    })();
    vm.truncate_roots(mark);
    r?;
    Ok(map)
}

// ----- Set.prototype -----

fn set_add(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_set(vm, this, "add")?;
    let k = Vm::arg(args, 0);
    if find(vm, h, k).is_none() {
        insert(vm, h, k, k)?;
    }
    Ok(this)
}

fn set_has(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_set(vm, this, "has")?;
    Ok(Value::bool(find(vm, h, Vm::arg(args, 0)).is_some()))
}

fn set_delete(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_set(vm, this, "delete")?;
    Ok(Value::bool(remove(vm, h, Vm::arg(args, 0))))
}

fn set_clear(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let h = this_set(vm, this, "clear")?;
    clear(vm, h);
    Ok(Value::UNDEFINED)
}

fn set_size(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let h = this_set(vm, this, "size")?;
    Ok(Value::number(data(vm, h).live as f64))
}

fn set_for_each(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_set(vm, this, "forEach")?;
    for_each_impl(vm, h, this, args, true)
}

fn set_values(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let h = this_set(vm, this, "values")?;
    new_map_iterator(vm, h, IterKind::Values, true)
}
fn set_entries(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let h = this_set(vm, this, "entries")?;
    new_map_iterator(vm, h, IterKind::Entries, true)
}

// ----- Set methods (union, intersection, …) -----

/// GetSetRecord: (object, size, has, keys).
fn get_set_record(vm: &mut Vm, other: Value) -> Result<(Value, f64, Value, Value), Value> {
    if !other.is_object() {
        return Err(vm.type_error("Set operation argument must be an object"));
    }
    let sk = vm.key("size");
    let raw = vm.get(other, sk)?;
    let num = vm.to_number(raw)?;
    if num.is_nan() {
        return Err(vm.type_error("The 'size' property must be a number"));
    }
    let int = vm.to_integer_or_infinity(Value::number(num))?;
    if int < 0.0 {
        return Err(vm.range_error("The 'size' property must not be negative"));
    }
    let hk = vm.key("has");
    let has = vm.get(other, hk)?;
    if !vm.is_callable(has) {
        return Err(vm.type_error("The 'has' property must be a function"));
    }
    // Getters may have returned fresh functions: keep them alive for the whole operation
    // (the roots are dropped when the calling native returns).
    vm.push_root(has);
    let kk = vm.key("keys");
    let keys = vm.get(other, kk)?;
    if !vm.is_callable(keys) {
        return Err(vm.type_error("The 'keys' property must be a function"));
    }
    vm.push_root(keys);
    Ok((other, int, has, keys))
}

/// Iterate `rec.keys()` calling `f` for each value; `f` returns false to stop (closing).
fn iterate_set_keys(
    vm: &mut Vm,
    rec: &(Value, f64, Value, Value),
    f: &mut dyn FnMut(&mut Vm, Value) -> Result<bool, Value>,
) -> Result<(), Value> {
    let iter = vm.call(rec.3, rec.0, &[])?;
    if !iter.is_object() {
        return Err(vm.type_error("keys() result is not an object"));
    }
    let mark = vm.push_root(iter);
    let r = (|| -> Result<(), Value> {
        let nk = Key::atom(vm.names.next);
        let next = vm.get(iter, nk)?;
        vm.push_root(next);
        loop {
            let Some(v) = vm.iterator_step(iter, next)? else {
                return Ok(());
            };
            let m = vm.push_root(v);
            let go_on = f(vm, v)?;
            vm.truncate_roots(m);
            if !go_on {
                vm.iterator_close(iter)?;
                return Ok(());
            }
        }
    })();
    vm.truncate_roots(mark);
    r
}

fn set_copy(vm: &mut Vm, h: Handle) -> Result<Value, Value> {
    let md = MapData::default();
    let out = vm.alloc_object(
        vm.intr.set_prototype,
        ObjectKind::Set(alloc::boxed::Box::new(md)),
    )?;
    let oh = out.as_object().unwrap();
    let entries: Vec<(Value, Value)> = data(vm, h).entries.iter().flatten().copied().collect();
    for (k, _) in entries {
        insert(vm, oh, k, k)?;
    }
    Ok(out)
}

fn set_live_keys(vm: &Vm, h: Handle) -> Vec<Value> {
    data(vm, h).entries.iter().flatten().map(|e| e.0).collect()
}

fn call_has(vm: &mut Vm, rec: &(Value, f64, Value, Value), v: Value) -> Result<bool, Value> {
    let r = vm.call(rec.2, rec.0, &[v])?;
    Ok(vm.to_boolean(r))
}

fn set_union(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_set(vm, this, "union")?;
    let rec = get_set_record(vm, Vm::arg(args, 0))?;
    let out = set_copy(vm, h)?;
    let oh = out.as_object().unwrap();
    let mark = vm.push_root(out);
    let r = iterate_set_keys(vm, &rec, &mut |vm, v| {
        if find(vm, oh, v).is_none() {
            insert(vm, oh, v, v)?;
        }
        Ok(true)
    });
    vm.truncate_roots(mark);
    r?;
    Ok(out)
}

fn set_intersection(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_set(vm, this, "intersection")?;
    let rec = get_set_record(vm, Vm::arg(args, 0))?;
    let md = MapData::default();
    let out = vm.alloc_object(
        vm.intr.set_prototype,
        ObjectKind::Set(alloc::boxed::Box::new(md)),
    )?;
    let oh = out.as_object().unwrap();
    let mark = vm.push_root(out);
    let r = (|| -> Result<(), Value> {
        if (data(vm, h).live as f64) <= rec.1 {
            let mut cursor = make_cursor(data(vm, h), 0);
            while let Some(((k, _), c)) = next_entry(vm, h, cursor) {
                cursor = c;
                vm.push_root(k);
                if call_has(vm, &rec, k)? && find(vm, oh, k).is_none() {
                    insert(vm, oh, k, k)?;
                }
            }
            Ok(())
        } else {
            iterate_set_keys(vm, &rec, &mut |vm, v| {
                if find(vm, h, v).is_some() && find(vm, oh, v).is_none() {
                    insert(vm, oh, v, v)?;
                }
                Ok(true)
            })
        }
    })();
    vm.truncate_roots(mark);
    r?;
    Ok(out)
}

fn set_difference(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_set(vm, this, "difference")?;
    let rec = get_set_record(vm, Vm::arg(args, 0))?;
    let out = set_copy(vm, h)?;
    let oh = out.as_object().unwrap();
    let mark = vm.push_root(out);
    let r = (|| -> Result<(), Value> {
        if (data(vm, h).live as f64) <= rec.1 {
            let keys = set_live_keys(vm, h);
            for k in keys {
                if call_has(vm, &rec, k)? {
                    remove(vm, oh, k);
                }
            }
            Ok(())
        } else {
            iterate_set_keys(vm, &rec, &mut |vm, v| {
                remove(vm, oh, v);
                Ok(true)
            })
        }
    })();
    vm.truncate_roots(mark);
    r?;
    Ok(out)
}

fn set_symmetric_difference(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_set(vm, this, "symmetricDifference")?;
    let rec = get_set_record(vm, Vm::arg(args, 0))?;
    let out = set_copy(vm, h)?;
    let oh = out.as_object().unwrap();
    let mark = vm.push_root(out);
    let r = iterate_set_keys(vm, &rec, &mut |vm, v| {
        if find(vm, h, v).is_some() {
            remove(vm, oh, v);
        } else if find(vm, oh, v).is_none() {
            insert(vm, oh, v, v)?;
        }
        Ok(true)
    });
    vm.truncate_roots(mark);
    r?;
    Ok(out)
}

fn set_is_subset_of(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_set(vm, this, "isSubsetOf")?;
    let rec = get_set_record(vm, Vm::arg(args, 0))?;
    if data(vm, h).live as f64 > rec.1 {
        return Ok(Value::FALSE);
    }
    let mut cursor = make_cursor(data(vm, h), 0);
    while let Some(((k, _), c)) = next_entry(vm, h, cursor) {
        cursor = c;
        if !call_has(vm, &rec, k)? {
            return Ok(Value::FALSE);
        }
    }
    Ok(Value::TRUE)
}

fn set_is_superset_of(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_set(vm, this, "isSupersetOf")?;
    let rec = get_set_record(vm, Vm::arg(args, 0))?;
    if (data(vm, h).live as f64) < rec.1 {
        return Ok(Value::FALSE);
    }
    let mut result = true;
    iterate_set_keys(vm, &rec, &mut |vm, v| {
        if find(vm, h, v).is_none() {
            result = false;
            return Ok(false);
        }
        Ok(true)
    })?;
    Ok(Value::bool(result))
}

fn set_is_disjoint_from(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_set(vm, this, "isDisjointFrom")?;
    let rec = get_set_record(vm, Vm::arg(args, 0))?;
    if (data(vm, h).live as f64) <= rec.1 {
        let mut cursor = make_cursor(data(vm, h), 0);
        while let Some(((k, _), c)) = next_entry(vm, h, cursor) {
            cursor = c;
            if call_has(vm, &rec, k)? {
                return Ok(Value::FALSE);
            }
        }
        return Ok(Value::TRUE);
    }
    let mut result = true;
    iterate_set_keys(vm, &rec, &mut |vm, v| {
        if find(vm, h, v).is_some() {
            result = false;
            return Ok(false);
        }
        Ok(true)
    })?;
    Ok(Value::bool(result))
}

// ----- iterators -----

fn map_iterator_next_impl(vm: &mut Vm, this: Value, set: bool) -> Result<Value, Value> {
    let bad = || {
        if set {
            "Set Iterator next called on incompatible receiver"
        } else {
            "Map Iterator next called on incompatible receiver"
        }
    };
    let Some(h) = this.as_object() else {
        return Err(vm.type_error(bad()));
    };
    let proto_ok = |vm: &Vm, m: Handle| match &vm.heap.obj(m).kind {
        ObjectKind::Set(_) => set,
        ObjectKind::Map(_) => !set,
        _ => false,
    };
    let (map, cursor, kind, done) = match &vm.heap.obj(h).kind {
        ObjectKind::MapIterator {
            map,
            index,
            kind,
            done,
        } => (
            *map,
            *index,
            match kind {
                IterKind::Keys => 0,
                IterKind::Values => 1,
                IterKind::Entries => 2,
            },
            *done,
        ),
        _ => return Err(vm.type_error(bad())),
    };
    if !proto_ok(vm, map) {
        return Err(vm.type_error(bad()));
    }
    if done {
        return iter_result(vm, Value::UNDEFINED, true);
    }
    match next_entry(vm, map, cursor) {
        None => {
            if let ObjectKind::MapIterator { done, .. } = &mut vm.heap.obj_mut(h).kind {
                *done = true;
            }
            iter_result(vm, Value::UNDEFINED, true)
        }
        Some(((k, v), c)) => {
            if let ObjectKind::MapIterator { index, .. } = &mut vm.heap.obj_mut(h).kind {
                *index = c;
            }
            let r = match kind {
                0 => k,
                1 => {
                    if set {
                        k
                    } else {
                        v
                    }
                }
                _ => vm.new_array(vec![k, if set { k } else { v }])?,
            };
            iter_result(vm, r, false)
        }
    }
}

fn map_iterator_next(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    map_iterator_next_impl(vm, this, false)
}

fn set_iterator_next(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    map_iterator_next_impl(vm, this, true)
}

// ----- WeakMap / WeakSet -----

fn weak_map_get(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_weak(vm, this, false, "get")?;
    let k = Vm::arg(args, 0);
    if !can_be_held_weakly(vm, k) {
        return Ok(Value::UNDEFINED);
    }
    Ok(match find(vm, h, k) {
        Some(p) => data(vm, h).entries[p].map_or(Value::UNDEFINED, |e| e.1),
        None => Value::UNDEFINED,
    })
}

fn weak_map_set(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_weak(vm, this, false, "set")?;
    let k = Vm::arg(args, 0);
    if !can_be_held_weakly(vm, k) {
        return Err(vm.type_error("Invalid value used as weak map key"));
    }
    insert(vm, h, k, Vm::arg(args, 1))?;
    Ok(this)
}

fn weak_map_has(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_weak(vm, this, false, "has")?;
    let k = Vm::arg(args, 0);
    if !can_be_held_weakly(vm, k) {
        return Ok(Value::FALSE);
    }
    Ok(Value::bool(find(vm, h, k).is_some()))
}

fn weak_map_delete(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_weak(vm, this, false, "delete")?;
    let k = Vm::arg(args, 0);
    if !can_be_held_weakly(vm, k) {
        return Ok(Value::FALSE);
    }
    Ok(Value::bool(remove(vm, h, k)))
}

fn weak_map_get_or_insert(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_weak(vm, this, false, "getOrInsert")?;
    let k = Vm::arg(args, 0);
    if !can_be_held_weakly(vm, k) {
        return Err(vm.type_error("Invalid value used as weak map key"));
    }
    if let Some(p) = find(vm, h, k) {
        return Ok(data(vm, h).entries[p].map_or(Value::UNDEFINED, |e| e.1));
    }
    let v = Vm::arg(args, 1);
    insert(vm, h, k, v)?;
    Ok(v)
}

fn weak_map_get_or_insert_computed(
    vm: &mut Vm,
    this: Value,
    args: &[Value],
) -> Result<Value, Value> {
    let h = this_weak(vm, this, false, "getOrInsertComputed")?;
    let k = Vm::arg(args, 0);
    if !can_be_held_weakly(vm, k) {
        return Err(vm.type_error("Invalid value used as weak map key"));
    }
    let f = Vm::arg(args, 1);
    if !vm.is_callable(f) {
        return Err(vm.type_error("callbackfn is not a function"));
    }
    if let Some(p) = find(vm, h, k) {
        return Ok(data(vm, h).entries[p].map_or(Value::UNDEFINED, |e| e.1));
    }
    let v = vm.call(f, Value::UNDEFINED, &[k])?;
    insert(vm, h, k, v)?;
    Ok(v)
}

fn weak_set_add(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_weak(vm, this, true, "add")?;
    let k = Vm::arg(args, 0);
    if !can_be_held_weakly(vm, k) {
        return Err(vm.type_error("Invalid value used in weak set"));
    }
    if find(vm, h, k).is_none() {
        insert(vm, h, k, k)?;
    }
    Ok(this)
}

fn weak_set_has(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_weak(vm, this, true, "has")?;
    let k = Vm::arg(args, 0);
    if !can_be_held_weakly(vm, k) {
        return Ok(Value::FALSE);
    }
    Ok(Value::bool(find(vm, h, k).is_some()))
}

fn weak_set_delete(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let h = this_weak(vm, this, true, "delete")?;
    let k = Vm::arg(args, 0);
    if !can_be_held_weakly(vm, k) {
        return Ok(Value::FALSE);
    }
    Ok(Value::bool(remove(vm, h, k)))
}

fn define_species(vm: &mut Vm, ctor: Handle) {
    let sk = Key::symbol(vm.sym.species);
    vm.define_accessor(ctor, sk, "[Symbol.species]", Some(species_getter), None);
}

pub fn install(vm: &mut Vm) {
    let tag = Key::symbol(vm.sym.to_string_tag);
    let it = vm.sym.iterator;

    // Map
    let mp = vm.intr.map_prototype;
    let (mc, mp) = vm.define_class("Map", 0, map_ctor, mp, None);
    define_species(vm, mc);
    vm.define_method(mc, "groupBy", 2, map_group_by);
    vm.define_method(mp, "get", 1, map_get);
    vm.define_method(mp, "set", 2, map_set);
    vm.define_method(mp, "has", 1, map_has);
    vm.define_method(mp, "delete", 1, map_delete);
    vm.define_method(mp, "clear", 0, map_clear);
    vm.define_method(mp, "getOrInsert", 2, map_get_or_insert);
    vm.define_method(mp, "getOrInsertComputed", 2, map_get_or_insert_computed);
    vm.define_method(mp, "forEach", 1, map_for_each);
    vm.define_method(mp, "keys", 0, map_keys);
    vm.define_method(mp, "values", 0, map_values);
    let entries = vm.define_method_now(mp, "entries", 0, map_entries);
    vm.define_value(mp, Key::symbol(it), entries, crate::object::METHOD_FLAGS);
    let sk = vm.key("size");
    vm.define_accessor(mp, sk, "size", Some(map_size), None);
    let t = vm.intern("Map");
    vm.define_value(mp, tag, t, CONFIGURABLE);

    // Set
    let sp = vm.intr.set_prototype;
    let (sc, sp) = vm.define_class("Set", 0, set_ctor, sp, None);
    define_species(vm, sc);
    vm.define_method(sp, "add", 1, set_add);
    vm.define_method(sp, "has", 1, set_has);
    vm.define_method(sp, "delete", 1, set_delete);
    vm.define_method(sp, "clear", 0, set_clear);
    vm.define_method(sp, "forEach", 1, set_for_each);
    vm.define_method(sp, "entries", 0, set_entries);
    vm.define_method(sp, "union", 1, set_union);
    vm.define_method(sp, "intersection", 1, set_intersection);
    vm.define_method(sp, "difference", 1, set_difference);
    vm.define_method(sp, "symmetricDifference", 1, set_symmetric_difference);
    vm.define_method(sp, "isSubsetOf", 1, set_is_subset_of);
    vm.define_method(sp, "isSupersetOf", 1, set_is_superset_of);
    vm.define_method(sp, "isDisjointFrom", 1, set_is_disjoint_from);
    let values = vm.define_method_now(sp, "values", 0, set_values);
    let kk = vm.key("keys");
    vm.define_value(sp, kk, values, crate::object::METHOD_FLAGS);
    vm.define_value(sp, Key::symbol(it), values, crate::object::METHOD_FLAGS);
    let sk = vm.key("size");
    vm.define_accessor(sp, sk, "size", Some(set_size), None);
    let t = vm.intern("Set");
    vm.define_value(sp, tag, t, CONFIGURABLE);

    // Iterators
    let mip = vm.intr.map_iterator_prototype.unwrap();
    vm.define_method(mip, "next", 0, map_iterator_next);
    let t = vm.intern("Map Iterator");
    vm.define_value(mip, tag, t, CONFIGURABLE);
    let sip = vm.intr.set_iterator_prototype.unwrap();
    vm.define_method(sip, "next", 0, set_iterator_next);
    let t = vm.intern("Set Iterator");
    vm.define_value(sip, tag, t, CONFIGURABLE);

    // WeakMap / WeakSet (strong references: documented deviation)
    let op = vm.intr.object_prototype;
    let (_, wmp) = vm.define_class("WeakMap", 0, weak_map_ctor, None, op);
    vm.define_method(wmp, "get", 1, weak_map_get);
    vm.define_method(wmp, "set", 2, weak_map_set);
    vm.define_method(wmp, "has", 1, weak_map_has);
    vm.define_method(wmp, "delete", 1, weak_map_delete);
    vm.define_method(wmp, "getOrInsert", 2, weak_map_get_or_insert);
    vm.define_method(
        wmp,
        "getOrInsertComputed",
        2,
        weak_map_get_or_insert_computed,
    );
    let t = vm.intern("WeakMap");
    vm.define_value(wmp, tag, t, CONFIGURABLE);
    let (_, wsp) = vm.define_class("WeakSet", 0, weak_set_ctor, None, op);
    vm.define_method(wsp, "add", 1, weak_set_add);
    vm.define_method(wsp, "has", 1, weak_set_has);
    vm.define_method(wsp, "delete", 1, weak_set_delete);
    let t = vm.intern("WeakSet");
    vm.define_value(wsp, tag, t, CONFIGURABLE);
}
