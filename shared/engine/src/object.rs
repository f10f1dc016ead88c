//! The object model: [`Object`] = prototype + own properties ([`Props`]) + a kind-specific payload
//! ([`ObjectKind`]: arrays keep dense elements, functions their code, and so on).
//!
//! Property semantics that need to run JavaScript (getters, setters) live in the VM
//! (`vm/property.rs`); this module only stores things.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;

use hashbrown::HashMap;

use crate::bytecode::Code;
use crate::engine::NativeFn;
use crate::heap::Handle;
use crate::value::{Atom, Value};

/// A property key: an atom or a symbol, in 32 bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Key(u32);

const SYMBOL_BIT: u32 = 1 << 31;

impl Key {
    #[inline(always)]
    pub fn atom(a: Atom) -> Key {
        Key(a.0)
    }
    #[inline(always)]
    pub fn symbol(h: Handle) -> Key {
        Key(h.0 | SYMBOL_BIT)
    }
    #[inline(always)]
    pub fn as_atom(self) -> Option<Atom> {
        (self.0 & SYMBOL_BIT == 0).then_some(Atom(self.0))
    }
    #[inline(always)]
    pub fn as_symbol(self) -> Option<Handle> {
        (self.0 & SYMBOL_BIT != 0).then_some(Handle(self.0 & !SYMBOL_BIT))
    }
    /// The key as a value (string or symbol).
    pub fn to_value(self) -> Value {
        match self.as_atom() {
            Some(a) => Value::atom(a),
            None => Value::symbol(Handle(self.0 & !SYMBOL_BIT)),
        }
    }
}

/// Property attribute bits.
pub const WRITABLE: u8 = 1;
pub const ENUMERABLE: u8 = 2;
pub const CONFIGURABLE: u8 = 4;
/// The value is an accessor cell (`Value::object(h)` of a [`crate::heap::Accessor`]).
pub const ACCESSOR: u8 = 8;
/// Default attributes of a property created by assignment.
pub const DEFAULT_FLAGS: u8 = WRITABLE | ENUMERABLE | CONFIGURABLE;
/// Attributes of built-in methods: writable, configurable, not enumerable.
pub const METHOD_FLAGS: u8 = WRITABLE | CONFIGURABLE;

#[derive(Clone, Copy, Debug)]
pub struct Prop {
    pub key: Key,
    pub flags: u8,
    /// The value, or a built-in method not made yet (`Value::lazy_native`): read it through
    /// `Vm::resolve_lazy` wherever it may reach a script.
    pub stored: Value,
}

/// Own properties in insertion order, with an index once there are many.
#[derive(Default)]
pub struct Props {
    list: Vec<Prop>,
    index: Option<Box<PropIndex>>,
}

/// How a table with many properties finds a key.
enum PropIndex {
    /// Key → position: for tables that grow.
    Hash(HashMap<Key, u32>),
    /// Positions ordered by key, searched by halving: for tables that are about done growing
    /// (the built-ins' objects and the global object, once a realm is set up:
    /// [`Props::shrink_to_fit`]), at 2 bytes a property instead of a hash table's 10-20. A new
    /// property is put in its place (a script's globals, a polyfill's methods); past
    /// [`SORTED_LIMIT`] properties the table gets a hash index.
    Sorted(Vec<u16>),
}

const INDEX_THRESHOLD: usize = 12;

/// The most properties a sorted index keeps (each new one moves half the positions, on
/// average).
const SORTED_LIMIT: usize = 512;

impl PropIndex {
    fn hash_of(list: &[Prop]) -> PropIndex {
        PropIndex::Hash(
            list.iter()
                .enumerate()
                .map(|(i, p)| (p.key, i as u32))
                .collect(),
        )
    }

    /// A sorted index of `list`, or `None` if it is longer than [`SORTED_LIMIT`].
    fn sorted_of(list: &[Prop]) -> Option<PropIndex> {
        if list.len() > SORTED_LIMIT {
            return None;
        }
        let mut order: Vec<u16> = (0..list.len()).map(|i| i as u16).collect();
        order.sort_unstable_by_key(|&i| list[i as usize].key.0);
        Some(PropIndex::Sorted(order))
    }

    fn bytes(&self) -> usize {
        core::mem::size_of::<PropIndex>()
            + match self {
                PropIndex::Hash(map) => map.capacity() * 16,
                PropIndex::Sorted(order) => order.capacity() * 2,
            }
    }
}

impl Props {
    pub fn new() -> Props {
        Props {
            list: Vec::new(),
            index: None,
        }
    }
    #[inline]
    pub fn len(&self) -> usize {
        self.list.len()
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    #[inline]
    pub fn list(&self) -> &[Prop] {
        &self.list
    }
    #[inline]
    pub fn get(&self, i: usize) -> Option<&Prop> {
        self.list.get(i)
    }
    #[inline]
    pub fn get_mut(&mut self, i: usize) -> &mut Prop {
        &mut self.list[i]
    }
    #[inline]
    pub fn find(&self, key: Key) -> Option<usize> {
        match self.index.as_deref() {
            None => self.list.iter().position(|p| p.key == key),
            Some(index) => self.find_indexed(index, key),
        }
    }
    /// [`Props::find`] in a table with an index (kept out of line: most tables have none).
    #[inline(never)]
    fn find_indexed(&self, index: &PropIndex, key: Key) -> Option<usize> {
        match index {
            PropIndex::Hash(map) => map.get(&key).map(|&i| i as usize),
            PropIndex::Sorted(order) => order
                .binary_search_by_key(&key.0, |&i| self.list[i as usize].key.0)
                .ok()
                .map(|at| order[at] as usize),
        }
    }
    /// Find with a guessed slot (an inline cache): checks the guess first.
    #[inline(always)]
    pub fn find_cached(&self, key: Key, guess: usize) -> Option<usize> {
        if let Some(p) = self.list.get(guess) {
            if p.key == key {
                return Some(guess);
            }
        }
        self.find(key)
    }
    /// Append a property that is known not to exist. Returns the bytes the table grew by.
    pub fn push(&mut self, key: Key, value: Value, flags: u8) -> usize {
        let before = self.list.capacity();
        let i = self.list.len() as u32;
        self.list.push(Prop {
            key,
            flags,
            stored: value,
        });
        let mut grown = (self.list.capacity() - before) * core::mem::size_of::<Prop>();
        match self.index.as_deref_mut() {
            Some(PropIndex::Hash(map)) => {
                map.insert(key, i);
                grown += 16;
            }
            Some(PropIndex::Sorted(order)) if self.list.len() <= SORTED_LIMIT => {
                let before = order.capacity();
                let list = &self.list;
                let at = order.partition_point(|&j| list[j as usize].key.0 < key.0);
                order.insert(at, i as u16);
                grown += (order.capacity() - before) * 2;
            }
            Some(index @ PropIndex::Sorted(_)) => {
                let before = index.bytes();
                *index = PropIndex::hash_of(&self.list);
                grown += index.bytes().saturating_sub(before);
            }
            None if self.list.len() > INDEX_THRESHOLD => {
                let index = PropIndex::hash_of(&self.list);
                grown += index.bytes();
                self.index = Some(Box::new(index));
            }
            None => {}
        }
        grown
    }
    /// Remove the property at `i`, keeping the order of the others.
    pub fn remove(&mut self, i: usize) {
        self.list.remove(i);
        // The index in place: the positions after `i` move down by one.
        match self.index.as_deref_mut() {
            Some(PropIndex::Hash(map)) => {
                map.clear();
                for (j, p) in self.list.iter().enumerate() {
                    map.insert(p.key, j as u32);
                }
            }
            Some(PropIndex::Sorted(order)) => {
                order.retain(|&j| j as usize != i);
                for j in order.iter_mut().filter(|j| **j as usize > i) {
                    *j -= 1;
                }
            }
            None => {}
        }
    }
    pub fn clear(&mut self) {
        self.list.clear();
        self.index = None;
    }
    /// Give back spare capacity: the table is not expected to grow much more, so a hash index
    /// becomes a sorted one.
    pub fn shrink_to_fit(&mut self) {
        self.list.shrink_to_fit();
        if let Some(index) = &mut self.index {
            if let Some(sorted) = PropIndex::sorted_of(&self.list) {
                **index = sorted;
            }
        }
    }
    pub fn payload_size(&self) -> usize {
        self.list.capacity() * core::mem::size_of::<Prop>()
            + self.index.as_ref().map_or(0, |index| index.bytes())
    }
}

/// The array part of an Array object.
pub struct ArrayData {
    /// Dense elements `0..elems.len()`; holes are `Value::EMPTY`.
    pub elems: Vec<Value>,
    /// The `length` (≥ `elems.len()`).
    pub len: u32,
    /// Some index ≥ `elems.len()` is stored as an ordinary property, or some element has
    /// non-default attributes (then *all* elements live in the property table).
    pub sparse: bool,
    pub length_writable: bool,
}

/// What makes a function callable.
pub enum Callable {
    /// A compiled function and the environment it closes over.
    Closure {
        code: Rc<Code>,
        env: Option<Handle>,
        /// For arrows: the `this`, `new.target` and home object captured at creation.
        this_val: Value,
        new_target: Value,
        /// `[[HomeObject]]` for `super` lookups (methods), or the arrow's inherited one.
        home: Option<Handle>,
        /// For class constructors: the function that initialises instance fields.
        fields_init: Option<Handle>,
    },
    Bound {
        target: Handle,
        this_val: Value,
        args: Vec<Value>,
    },
}

/// A native (Rust) function. It lives in its object ([`ObjectKind::Native`]), not in a box of
/// its own like [`FunctionData`]: a realm has hundreds of natives, and on a microcontroller each
/// box and heap slot counts.
#[derive(Clone, Copy)]
pub struct NativeFunction {
    pub f: NativeFn,
    /// Private data for natives that need it (e.g. a bound resolver).
    pub data: Value,
    /// `name` and `length`, until they are made properties (`lazy_props`): most natives are
    /// never asked.
    pub name: crate::value::Atom,
    pub arity: u32,
    pub is_constructor: bool,
    /// `length` and `name` have not been created yet (see [`FunctionData::lazy_props`]).
    pub lazy_props: bool,
}

pub struct FunctionData {
    pub callable: Callable,
    pub is_constructor: bool,
    /// `class` constructors throw when called without `new`.
    pub is_class_constructor: bool,
    /// `length`, `name` and (for constructors) `prototype` have not been created yet.
    pub lazy_props: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypedKind {
    Int8,
    Uint8,
    Uint8Clamped,
    Int16,
    Uint16,
    Int32,
    Uint32,
    Float32,
    Float64,
}

impl TypedKind {
    pub fn size(self) -> usize {
        match self {
            TypedKind::Int8 | TypedKind::Uint8 | TypedKind::Uint8Clamped => 1,
            TypedKind::Int16 | TypedKind::Uint16 => 2,
            TypedKind::Int32 | TypedKind::Uint32 | TypedKind::Float32 => 4,
            TypedKind::Float64 => 8,
        }
    }
    pub const ALL: [TypedKind; 9] = [
        TypedKind::Int8,
        TypedKind::Uint8,
        TypedKind::Uint8Clamped,
        TypedKind::Int16,
        TypedKind::Uint16,
        TypedKind::Int32,
        TypedKind::Uint32,
        TypedKind::Float32,
        TypedKind::Float64,
    ];
    pub fn name(self) -> &'static str {
        match self {
            TypedKind::Int8 => "Int8Array",
            TypedKind::Uint8 => "Uint8Array",
            TypedKind::Uint8Clamped => "Uint8ClampedArray",
            TypedKind::Int16 => "Int16Array",
            TypedKind::Uint16 => "Uint16Array",
            TypedKind::Int32 => "Int32Array",
            TypedKind::Uint32 => "Uint32Array",
            TypedKind::Float32 => "Float32Array",
            TypedKind::Float64 => "Float64Array",
        }
    }
}

/// Entries of a Map or Set in insertion order; deleted entries leave a tombstone so that live
/// iterators keep their place.
#[derive(Default)]
pub struct MapData {
    pub entries: Vec<Option<(Value, Value)>>,
    /// Key hash → entry indices (see `vm` for how keys are hashed: SameValueZero).
    pub index: HashMap<u64, Vec<u32>>,
    pub live: usize,
}

pub enum IterKind {
    Keys,
    Values,
    Entries,
}

pub enum ObjectKind {
    Ordinary,
    Array(ArrayData),
    Function(Box<FunctionData>),
    Native(NativeFunction),
    Error,
    Boolean(bool),
    Number(f64),
    String(Value),
    Symbol(Value),
    Date(f64),
    RegExp(Box<crate::regexp::RegExpData>),
    Map(Box<MapData>),
    Set(Box<MapData>),
    ArrayBuffer {
        data: Vec<u8>,
        detached: bool,
    },
    TypedArray {
        kind: TypedKind,
        buffer: Handle,
        offset: u32,
        length: u32,
    },
    DataView {
        buffer: Handle,
        offset: u32,
        length: u32,
    },
    Arguments,
    /// A sloppy-mode `arguments` object whose first elements alias the parameters: index `i`
    /// lives in slot `map[i]` of `env` (`u32::MAX`: no longer mapped).
    MappedArguments {
        env: Handle,
        map: Vec<u32>,
    },
    ArrayIterator {
        target: Value,
        index: u32,
        kind: IterKind,
        done: bool,
    },
    MapIterator {
        map: Handle,
        index: u32,
        kind: IterKind,
        done: bool,
    },
    StringIterator {
        string: Value,
        pos: u32,
        done: bool,
    },
    /// An object of the embedder's: `tag` says what it is, `id` which one (the embedder keeps
    /// the state; its JS values are pinned, not traced from here).
    Host {
        tag: u32,
        id: u32,
    },
    /// The state of a `for (k in o)` loop: keys collected up front.
    ForIn {
        object: Value,
        keys: Vec<Value>,
        index: u32,
    },
}

pub struct Object {
    /// The prototype's handle, or [`NO_PROTO`]: 4 bytes where an `Option<Handle>` takes 8,
    /// which keeps a heap slot at 64 bytes on a 32-bit target (read it with
    /// [`Object::proto`]).
    proto: u32,
    pub props: Props,
    pub kind: ObjectKind,
    pub extensible: bool,
}

/// [`Object::proto`]'s "none" (handles stay below 2^31: `Heap::alloc`).
const NO_PROTO: u32 = u32::MAX;

impl Object {
    /// The prototype (`[[Prototype]]`), if any.
    #[inline(always)]
    pub fn proto(&self) -> Option<Handle> {
        (self.proto != NO_PROTO).then_some(Handle(self.proto))
    }
    #[inline(always)]
    pub fn set_proto(&mut self, proto: Option<Handle>) {
        self.proto = proto.map_or(NO_PROTO, |h| h.0);
    }

    pub fn new(proto: Option<Handle>, kind: ObjectKind) -> Object {
        Object {
            proto: proto.map_or(NO_PROTO, |h| h.0),
            props: Props::new(),
            kind,
            extensible: true,
        }
    }

    pub fn function_data(&self) -> Option<&FunctionData> {
        match &self.kind {
            ObjectKind::Function(f) => Some(f),
            _ => None,
        }
    }
    pub fn is_callable(&self) -> bool {
        matches!(self.kind, ObjectKind::Function(_) | ObjectKind::Native(_))
    }
    /// A function that `new` may call.
    pub fn is_constructor(&self) -> bool {
        match &self.kind {
            ObjectKind::Function(f) => f.is_constructor,
            ObjectKind::Native(n) => n.is_constructor,
            _ => false,
        }
    }
    pub fn is_array(&self) -> bool {
        matches!(self.kind, ObjectKind::Array(_))
    }

    pub fn payload_size(&self) -> usize {
        let kind = match &self.kind {
            ObjectKind::Array(a) => a.elems.capacity() * 8,
            ObjectKind::Function(f) => {
                core::mem::size_of::<FunctionData>()
                    + match &f.callable {
                        Callable::Bound { args, .. } => args.capacity() * 8,
                        _ => 0,
                    }
            }
            ObjectKind::RegExp(r) => {
                core::mem::size_of::<crate::regexp::RegExpData>() + r.regex.heap_bytes()
            }
            ObjectKind::Map(m) | ObjectKind::Set(m) => {
                m.entries.capacity() * 24 + m.index.capacity() * 40
            }
            ObjectKind::ArrayBuffer { data, .. } => data.capacity(),
            ObjectKind::ForIn { keys, .. } => keys.capacity() * 8,
            _ => 0,
        };
        self.props.payload_size() + kind
    }

    /// Report every value (and handle, as an object value) this object references.
    pub fn trace(&self, f: &mut dyn FnMut(Value)) {
        if let Some(p) = self.proto() {
            f(Value::object(p));
        }
        for p in self.props.list() {
            if let Some(sym) = p.key.as_symbol() {
                f(Value::symbol(sym));
            }
            f(p.stored);
        }
        match &self.kind {
            ObjectKind::Array(a) => a.elems.iter().for_each(|v| f(*v)),
            ObjectKind::Function(fd) => match &fd.callable {
                Callable::Closure {
                    env,
                    this_val,
                    new_target,
                    home,
                    fields_init,
                    ..
                } => {
                    if let Some(e) = env {
                        f(Value::object(*e));
                    }
                    f(*this_val);
                    f(*new_target);
                    if let Some(h) = home {
                        f(Value::object(*h));
                    }
                    if let Some(h) = fields_init {
                        f(Value::object(*h));
                    }
                }
                Callable::Bound {
                    target,
                    this_val,
                    args,
                } => {
                    f(Value::object(*target));
                    f(*this_val);
                    args.iter().for_each(|v| f(*v));
                }
            },
            ObjectKind::Native(n) => f(n.data),
            ObjectKind::String(v) | ObjectKind::Symbol(v) => f(*v),
            ObjectKind::RegExp(r) => r.trace(f),
            ObjectKind::Map(m) | ObjectKind::Set(m) => {
                for (k, v) in m.entries.iter().flatten() {
                    f(*k);
                    f(*v);
                }
            }
            ObjectKind::TypedArray { buffer, .. } | ObjectKind::DataView { buffer, .. } => {
                f(Value::object(*buffer))
            }
            ObjectKind::ArrayIterator { target, .. } => f(*target),
            ObjectKind::MappedArguments { env, .. } => f(Value::object(*env)),
            ObjectKind::MapIterator { map, .. } => f(Value::object(*map)),
            ObjectKind::StringIterator { string, .. } => f(*string),
            ObjectKind::ForIn { object, keys, .. } => {
                f(*object);
                keys.iter().for_each(|v| f(*v));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u32) -> Key {
        // Keys out of order, as atoms of a realm are.
        Key::atom(crate::value::Atom((i * 7919) % 1000))
    }

    fn table(n: u32) -> Props {
        let mut props = Props::new();
        for i in 0..n {
            props.push(key(i), Value::number(i as f64), DEFAULT_FLAGS);
        }
        props
    }

    fn assert_finds_all(props: &Props, n: u32) {
        for i in 0..n {
            let at = props.find(key(i)).expect("a key of the table");
            assert_eq!(props.get(at).unwrap().stored.as_number(), Some(i as f64));
        }
        assert_eq!(props.find(key(n + 1)), None);
        assert_eq!(props.find(Key::atom(crate::value::Atom(5000))), None);
    }

    #[test]
    fn a_table_done_growing_finds_every_key_through_its_sorted_index() {
        let mut props = table(40);
        props.shrink_to_fit();
        assert!(matches!(props.index.as_deref(), Some(PropIndex::Sorted(_))));
        assert_finds_all(&props, 40);
        // Smaller than the hash index it replaced.
        assert!(props.payload_size() < table(40).payload_size());
    }

    #[test]
    fn a_sorted_table_that_grows_or_shrinks_keeps_finding_its_keys() {
        let mut props = table(30);
        props.shrink_to_fit();
        props.remove(props.find(key(3)).unwrap());
        assert!(matches!(props.index.as_deref(), Some(PropIndex::Sorted(_))));
        assert_eq!(props.find(key(3)), None);
        // A new property goes in its place.
        props.push(key(3), Value::number(3.0), DEFAULT_FLAGS);
        assert!(matches!(props.index.as_deref(), Some(PropIndex::Sorted(_))));
        assert_finds_all(&props, 30);
        for i in 30..SORTED_LIMIT as u32 {
            props.push(key(i), Value::number(i as f64), DEFAULT_FLAGS);
        }
        assert!(matches!(props.index.as_deref(), Some(PropIndex::Sorted(_))));
        assert_finds_all(&props, SORTED_LIMIT as u32);
        // Past the limit, a hash index.
        let n = SORTED_LIMIT as u32 + 2;
        for i in SORTED_LIMIT as u32..n {
            props.push(key(i), Value::number(i as f64), DEFAULT_FLAGS);
        }
        assert!(matches!(props.index.as_deref(), Some(PropIndex::Hash(_))));
        assert_finds_all(&props, n);
    }

    #[test]
    fn a_small_table_has_no_index() {
        let mut props = table(INDEX_THRESHOLD as u32);
        props.shrink_to_fit();
        assert!(props.index.is_none());
        assert_finds_all(&props, INDEX_THRESHOLD as u32);
    }
}
