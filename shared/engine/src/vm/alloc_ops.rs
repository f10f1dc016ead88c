//! Creating heap values: strings, objects, arrays, functions; defining built-in properties.

use alloc::vec::Vec;

use super::{ErrorKind, LazyNative, Vm};
use crate::engine::NativeFn;
use crate::heap::{Cell, Handle};
use crate::object::*;
use crate::string::{JsStr, ROPE_MIN};
use crate::value::{Kind, Value};

/// Room a built-in method's function object (one slot) may take when it is made on first use,
/// outside the script's budget: see `Vm::make_lazy_native`. (A new chunk of the slot table is
/// not charged to the budget, only checked against the target's heap floor.)
const LAZY_NATIVE_ALLOWANCE: usize = 1024;

impl Vm {
    /// Allocate a cell, converting heap exhaustion into a JS `RangeError: out of memory`.
    pub fn alloc_cell(&mut self, cell: Cell) -> Result<Handle, Value> {
        match self.heap.alloc(cell) {
            Ok(h) => Ok(h),
            Err(_) => Err(self.out_of_memory()),
        }
    }

    /// Charge `bytes` of growth inside an existing cell to the heap budget.
    #[inline]
    pub fn charge(&mut self, bytes: usize) -> Result<(), Value> {
        match self.heap.charge(bytes) {
            Ok(()) => Ok(()),
            Err(_) => Err(self.out_of_memory()),
        }
    }

    pub fn out_of_memory(&mut self) -> Value {
        if self.heap.reserve_active {
            // Out of memory while building the out-of-memory error: throw the bare message.
            return self.intern("out of memory");
        }
        self.heap.reserve_active = true;
        let message = if self.heap.floor_hit {
            "out of memory: the device's heap is nearly full"
        } else {
            "out of memory"
        };
        let e = self.make_error(ErrorKind::Range, message);
        self.heap.reserve_active = false;
        e
    }

    pub fn alloc_object(
        &mut self,
        proto: Option<Handle>,
        kind: ObjectKind,
    ) -> Result<Value, Value> {
        let h = self.alloc_cell(Cell::Obj(Object::new(proto, kind)))?;
        Ok(Value::object(h))
    }

    /// A plain object inheriting from `Object.prototype`.
    pub fn new_object(&mut self) -> Result<Value, Value> {
        self.alloc_object(self.intr.object_prototype, ObjectKind::Ordinary)
    }

    pub fn new_array(&mut self, elems: Vec<Value>) -> Result<Value, Value> {
        self.charge(elems.capacity() * 8)?;
        let len = elems.len() as u32;
        self.alloc_object(
            self.intr.array_prototype,
            ObjectKind::Array(ArrayData {
                elems,
                len,
                sparse: false,
                length_writable: true,
            }),
        )
    }

    // ----- strings -----

    /// A string value with these bytes (short strings are interned).
    pub fn new_string(&mut self, bytes: &[u8]) -> Result<Value, Value> {
        if bytes.len() <= 1 {
            return Ok(self.intern_bytes(bytes));
        }
        if bytes.len() > self.config.max_string_bytes {
            return Err(self.make_error(ErrorKind::Range, "Invalid string length"));
        }
        let h = self.alloc_cell(Cell::Str(JsStr::from_bytes(bytes)))?;
        Ok(Value::string(h))
    }

    pub fn new_string_vec(&mut self, bytes: Vec<u8>) -> Result<Value, Value> {
        if bytes.len() <= 1 {
            return Ok(self.intern_bytes(&bytes));
        }
        if bytes.len() > self.config.max_string_bytes {
            return Err(self.make_error(ErrorKind::Range, "Invalid string length"));
        }
        let h = self.alloc_cell(Cell::Str(JsStr::from_vec(bytes)))?;
        Ok(Value::string(h))
    }

    pub fn new_str(&mut self, s: &str) -> Result<Value, Value> {
        self.new_string(s.as_bytes())
    }

    /// Byte length of a string value (0 for non-strings).
    pub fn string_len(&self, v: Value) -> usize {
        match v.kind() {
            Kind::Atom(a) => self.atoms.bytes(a).len(),
            Kind::String(h) => self.heap.str(h).len(),
            _ => 0,
        }
    }

    /// Make sure a string value is flat (ropes are flattened in place).
    pub fn flatten(&mut self, v: Value) {
        let Kind::String(h) = v.kind() else { return };
        if self.heap.str(h).bytes().is_some() {
            return;
        }
        let len = self.heap.str(h).len();
        let mut out = Vec::with_capacity(len);
        let mut stack = alloc::vec![v];
        while let Some(s) = stack.pop() {
            match s.kind() {
                Kind::Atom(a) => out.extend_from_slice(self.atoms.bytes(a)),
                Kind::String(sh) => match self.heap.str(sh) {
                    JsStr::Rope { left, right, .. } => {
                        stack.push(*right);
                        stack.push(*left);
                    }
                    flat => out.extend_from_slice(flat.bytes().unwrap_or(&[])),
                },
                _ => {}
            }
        }
        // The rope was charged its slot only; its bytes count from now on (they would otherwise
        // go uncounted until the next collection, past the budget and the heap floor).
        self.heap.charge_unrefusable(out.capacity());
        *self.heap.str_mut(h) = JsStr::from_vec(out);
    }

    /// The bytes of a flat string value (call [`Vm::flatten`] first for heap strings).
    /// Returns an empty slice for ropes and non-strings.
    pub fn flat_bytes(&self, v: Value) -> &[u8] {
        match v.kind() {
            Kind::Atom(a) => self.atoms.bytes(a),
            Kind::String(h) => self.heap.str(h).bytes().unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The bytes of a string value (flattening it if needed).
    pub fn string_bytes(&mut self, v: Value) -> &[u8] {
        self.flatten(v);
        self.flat_bytes(v)
    }

    /// `a + b` for two strings.
    pub fn concat(&mut self, a: Value, b: Value) -> Result<Value, Value> {
        let la = self.string_len(a);
        let lb = self.string_len(b);
        if la == 0 {
            return Ok(b);
        }
        if lb == 0 {
            return Ok(a);
        }
        let len = la + lb;
        if len > self.config.max_string_bytes {
            return Err(self.make_error(ErrorKind::Range, "Invalid string length"));
        }
        if len < ROPE_MIN {
            self.flatten(a);
            self.flatten(b);
            if let Some(short) = JsStr::short_concat(self.flat_bytes(a), self.flat_bytes(b)) {
                let h = self.alloc_cell(Cell::Str(short))?;
                return Ok(Value::string(h));
            }
            let mut out = Vec::with_capacity(len);
            out.extend_from_slice(self.flat_bytes(a));
            out.extend_from_slice(self.flat_bytes(b));
            return self.new_string_vec(out);
        }
        let h = self.alloc_cell(Cell::Str(JsStr::Rope {
            left: a,
            right: b,
            len: len as u32,
        }))?;
        Ok(Value::string(h))
    }

    /// Compare two string values by content.
    pub fn string_eq(&mut self, a: Value, b: Value) -> bool {
        if a == b {
            return true;
        }
        if a.as_atom().is_some() && b.as_atom().is_some() {
            return false;
        }
        if self.string_len(a) != self.string_len(b) {
            return false;
        }
        self.flatten(a);
        self.flatten(b);
        self.flat_bytes(a) == self.flat_bytes(b)
    }

    // ----- functions -----

    /// A native function object.
    pub fn new_native(&mut self, name: &str, arity: u32, f: NativeFn) -> Value {
        self.new_native_with(name, arity, f, false, Value::UNDEFINED)
            .expect("out of memory creating a native function")
    }

    /// A native function with a `data` value and optionally a constructor.
    pub fn new_native_with(
        &mut self,
        name: &str,
        arity: u32,
        f: NativeFn,
        constructor: bool,
        data: Value,
    ) -> Result<Value, Value> {
        let name = self.atoms.intern(name.as_bytes()).0;
        // `length` and `name` become properties when first touched (`materialize_function`).
        let native = NativeFunction {
            f,
            data,
            name,
            arity,
            is_constructor: constructor,
            lazy_props: true,
        };
        self.alloc_object(self.intr.function_prototype, ObjectKind::Native(native))
    }

    /// The `data` value of the running native function object `f`.
    pub fn native_data(&self, f: Value) -> Value {
        match f.as_object().map(|h| &self.heap.obj(h).kind) {
            Some(ObjectKind::Native(n)) => n.data,
            _ => Value::UNDEFINED,
        }
    }

    /// Define (or overwrite) an own data property without any checks (for built-in setup).
    pub fn define_value(&mut self, obj: Handle, key: Key, value: Value, flags: u8) {
        let o = self.heap.obj_mut(obj);
        match o.props.find(key) {
            Some(i) => {
                let p = o.props.get_mut(i);
                p.stored = value;
                p.flags = flags;
            }
            None => {
                let grown = o.props.push(key, value, flags);
                let _ = self.heap.charge(grown);
            }
        }
    }

    /// Define a built-in method: `obj[name] = native`, not enumerable.
    pub fn define_method(&mut self, obj: Handle, name: &str, arity: u32, f: NativeFn) {
        let atom = self.atom(name);
        let Some(lazy) = LazyNative::new(f, atom, arity) else {
            self.define_method_now(obj, name, arity, f);
            return;
        };
        let index = u32::try_from(self.lazy_natives.len()).expect("lazy natives fit in a u32");
        self.lazy_natives.push(lazy);
        self.define_value(
            obj,
            Key::atom(atom),
            Value::lazy_native(index),
            METHOD_FLAGS,
        );
    }

    /// [`Vm::define_method`] with the function object made now, for a method the realm keeps
    /// a reference to (`%Array.prototype.values%` is also `[Symbol.iterator]`, say).
    pub fn define_method_now(&mut self, obj: Handle, name: &str, arity: u32, f: NativeFn) -> Value {
        let func = self.new_native(name, arity, f);
        let key = self.key(name);
        self.define_value(obj, key, func, METHOD_FLAGS);
        func
    }

    /// The value of own property `i` of `h`, making its function object first if it is a
    /// built-in method not made yet: every read of a property's value that can reach a
    /// script goes through this (`get_own_property`, `get_from`, the interpreter's global and
    /// cached property reads, JSON's direct read); `find_own` and the flags-only looks do
    /// not.
    #[inline]
    pub(crate) fn resolve_lazy(&mut self, h: Handle, i: usize) -> Result<Value, Value> {
        let stored = self
            .heap
            .obj(h)
            .props
            .get(i)
            .map_or(Value::UNDEFINED, |p| p.stored);
        match stored.as_lazy_native() {
            None => Ok(stored),
            Some(index) => self.make_lazy_native(h, i, index),
        }
    }

    #[cold]
    fn make_lazy_native(&mut self, h: Handle, i: usize, index: u32) -> Result<Value, Value> {
        let lazy = self.lazy_natives[index as usize];
        // The realm's built-ins are not the script's: its budget does not pay for them (an
        // out-of-memory handler may call a built-in it never used), the target's heap floor
        // still does.
        let before = self.heap.used();
        self.heap.move_budget(LAZY_NATIVE_ALLOWANCE as isize);
        let made = self.heap.alloc(Cell::Obj(Object::new(
            self.intr.function_prototype,
            ObjectKind::Native(NativeFunction {
                f: lazy.f,
                data: Value::UNDEFINED,
                name: lazy.name(),
                arity: lazy.arity(),
                is_constructor: false,
                lazy_props: true,
            }),
        )));
        // Nothing spent when it failed (`Heap::alloc` takes its charge back): the budget is
        // back where it was before the error is made.
        let spent = self.heap.used().saturating_sub(before);
        self.heap
            .move_budget(spent as isize - LAZY_NATIVE_ALLOWANCE as isize);
        let func = match made {
            Ok(f) => Value::object(f),
            Err(_) => return Err(self.out_of_memory()),
        };
        self.heap.obj_mut(h).props.get_mut(i).stored = func;
        Ok(func)
    }

    /// Define a built-in method under a symbol key (`[Symbol.iterator]`), named `[name]`.
    pub fn define_symbol_method(
        &mut self,
        obj: Handle,
        sym: Handle,
        name: &str,
        arity: u32,
        f: NativeFn,
    ) -> Value {
        let func = self.new_native(name, arity, f);
        self.define_value(obj, Key::symbol(sym), func, METHOD_FLAGS);
        func
    }

    /// Define a built-in accessor property with native getter (and optional setter).
    pub fn define_accessor(
        &mut self,
        obj: Handle,
        key: Key,
        name: &str,
        get: Option<NativeFn>,
        set: Option<NativeFn>,
    ) {
        let g = match get {
            Some(f) => {
                let n = alloc::format!("get {name}");
                self.new_native(&n, 0, f)
            }
            None => Value::UNDEFINED,
        };
        let s = match set {
            Some(f) => {
                let n = alloc::format!("set {name}");
                self.new_native(&n, 1, f)
            }
            None => Value::UNDEFINED,
        };
        let acc = self
            .alloc_cell(Cell::Accessor(crate::heap::Accessor { get: g, set: s }))
            .expect("out of memory defining accessors");
        self.define_value(obj, key, Value::object(acc), CONFIGURABLE | ACCESSOR);
    }

    /// An own data property's value, without invoking anything.
    /// A built-in method whose function object is not made yet reads as absent here (this
    /// cannot make it): the callers look up data the realm or the embedder put there.
    pub fn get_own_data(&self, obj: Handle, key: Key) -> Option<Value> {
        let o = self.heap.obj(obj);
        let Some(i) = o.props.find(key) else {
            return self.lazy_function_prop(obj, key);
        };
        let p = o.props.get(i)?;
        (p.flags & ACCESSOR == 0 && p.stored.as_lazy_native().is_none()).then_some(p.stored)
    }

    /// Create a constructor function object with a prototype object, and install it as a global.
    /// Returns (constructor, prototype).
    pub fn define_class(
        &mut self,
        name: &str,
        arity: u32,
        ctor: NativeFn,
        proto: Option<Handle>,
        proto_parent: Option<Handle>,
    ) -> (Handle, Handle) {
        let proto = match proto {
            Some(p) => p,
            None => self
                .alloc_object(proto_parent, ObjectKind::Ordinary)
                .expect("out of memory defining classes")
                .as_object()
                .unwrap(),
        };
        let c = self
            .new_native_with(name, arity, ctor, true, Value::UNDEFINED)
            .expect("out of memory");
        let ch = c.as_object().unwrap();
        let pk = Key::atom(self.names.prototype);
        self.define_value(ch, pk, Value::object(proto), 0);
        let ck = Key::atom(self.names.constructor);
        self.define_value(proto, ck, c, METHOD_FLAGS);
        let gk = self.key(name);
        let global = self.global;
        self.define_value(global, gk, c, METHOD_FLAGS);
        (ch, proto)
    }

    /// The object a constructor should create for `new.target`: its `prototype` if an object,
    /// else `fallback`.
    pub fn proto_from_new_target(
        &mut self,
        new_target: Value,
        fallback: Option<Handle>,
    ) -> Result<Option<Handle>, Value> {
        if new_target.is_object() {
            let p = self.get(new_target, Key::atom(self.names.prototype))?;
            if let Some(ph) = p.as_object() {
                return Ok(Some(ph));
            }
        }
        Ok(fallback)
    }
}
