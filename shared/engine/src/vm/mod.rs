//! The virtual machine: realm state (heap, atoms, globals, intrinsics), the interpreter loop,
//! and the operations natives use.
//!
//! ## Rooting
//! The garbage collector runs only at safe points of the interpreter loop (backward jumps and
//! calls), and traces the operand stack, frames, handlers, the root stack and the realm. A native
//! function may hold `Value`s in Rust locals freely, *except* across a call back into JavaScript
//! (`call`, `construct`, `get` of an accessor, …): values it needs afterwards must be rooted with
//! [`Vm::push_root`] (and released with [`Vm::truncate_roots`]).

mod alloc_ops;
mod call;
mod convert;
mod error;
mod host_convert;
mod interp;
mod iter;
pub(crate) mod number_ops;
mod operators;
mod property;

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use crate::atoms::Atoms;
use crate::bytecode::Code;
use crate::compiler::GlobalLexicals;
use crate::engine::{Config, HeapStats, JsError, NativeFn, RunOutcome};
use crate::heap::{Handle, Heap};
use crate::object::Key;
use crate::value::{Atom, Value};

pub use convert::{
    f64_to_int32, format_int, string_to_number, trim_js, trim_js_end, trim_js_start, Hint,
};
pub use error::ErrorKind;
pub use host_convert::{FromJs, ToJs};
pub use interp::{js_pow, js_rem};
pub use property::{is_canonical_numeric_string, read_element, write_element, PropertyDescriptor};

/// Where `print`/`console.log` output goes.
pub type OutputSink = Box<dyn FnMut(&[u8])>;

/// A call frame of a compiled function. `stack[base-2]` is the callee, `stack[base-1]` is `this`,
/// locals start at `base`.
pub(crate) struct Frame {
    pub code: Rc<Code>,
    pub pc: usize,
    pub base: usize,
    pub env: Option<Handle>,
    pub new_target: Value,
    /// All arguments, kept only for functions that use `arguments` or a rest parameter.
    pub args: Option<Vec<Value>>,
    /// Construct call of a base constructor: return `this` unless the function returns an object.
    pub construct: bool,
    /// Returning from this frame ends the current (nested) run of the interpreter loop.
    pub boundary: bool,
}

/// An active `try`.
pub(crate) struct Handler {
    pub frame: usize,
    pub pc: usize,
    pub stack: usize,
    pub env: Option<Handle>,
    /// Height of the root stack when the `try` began (an exception drops what was pushed since).
    pub roots: usize,
}

/// Intrinsic objects of the realm.
#[derive(Default, Clone)]
pub struct Intrinsics {
    pub object_prototype: Option<Handle>,
    pub function_prototype: Option<Handle>,
    pub array_prototype: Option<Handle>,
    pub string_prototype: Option<Handle>,
    pub number_prototype: Option<Handle>,
    pub boolean_prototype: Option<Handle>,
    pub symbol_prototype: Option<Handle>,
    pub error_prototype: Option<Handle>,
    /// Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError prototypes
    /// in [`ErrorKind`] order.
    pub error_prototypes: [Option<Handle>; 7],
    pub iterator_prototype: Option<Handle>,
    pub array_iterator_prototype: Option<Handle>,
    pub map_iterator_prototype: Option<Handle>,
    pub set_iterator_prototype: Option<Handle>,
    pub string_iterator_prototype: Option<Handle>,
    pub regexp_prototype: Option<Handle>,
    pub date_prototype: Option<Handle>,
    pub map_prototype: Option<Handle>,
    pub set_prototype: Option<Handle>,
    pub array_buffer_prototype: Option<Handle>,
    pub data_view_prototype: Option<Handle>,
    pub typed_array_prototype: Option<Handle>,
    /// Per [`crate::object::TypedKind`] in `TypedKind::ALL` order.
    pub typed_array_prototypes: [Option<Handle>; 9],
    pub array_constructor: Option<Handle>,
    pub object_constructor: Option<Handle>,
    pub function_constructor: Option<Handle>,
    pub promise_prototype: Option<Handle>,
    /// `%ArrayIteratorPrototype%.next` and `Array.prototype.values` (for the for-of fast path).
    pub array_iterator_next: Value,
    pub array_values: Value,
    /// `%ThrowTypeError%`.
    pub throw_type_error: Value,
    /// The realm's `eval` (a call to it by that name is a direct eval).
    pub eval_function: Value,
}

impl Intrinsics {
    fn handles(&self) -> impl Iterator<Item = Handle> + '_ {
        [
            self.object_prototype,
            self.function_prototype,
            self.array_prototype,
            self.string_prototype,
            self.number_prototype,
            self.boolean_prototype,
            self.symbol_prototype,
            self.error_prototype,
            self.iterator_prototype,
            self.array_iterator_prototype,
            self.map_iterator_prototype,
            self.set_iterator_prototype,
            self.string_iterator_prototype,
            self.regexp_prototype,
            self.date_prototype,
            self.map_prototype,
            self.set_prototype,
            self.array_buffer_prototype,
            self.data_view_prototype,
            self.typed_array_prototype,
            self.array_constructor,
            self.object_constructor,
            self.function_constructor,
            self.promise_prototype,
        ]
        .into_iter()
        .chain(self.error_prototypes)
        .chain(self.typed_array_prototypes)
        .flatten()
        .chain(
            [
                self.array_iterator_next,
                self.array_values,
                self.throw_type_error,
                self.eval_function,
            ]
            .into_iter()
            .filter_map(|v| v.heap_handle()),
        )
    }
}

/// Well-known symbols.
#[derive(Clone, Copy)]
pub struct WellKnown {
    pub iterator: Handle,
    pub async_iterator: Handle,
    pub has_instance: Handle,
    pub to_primitive: Handle,
    pub to_string_tag: Handle,
    pub species: Handle,
    pub is_concat_spreadable: Handle,
    pub unscopables: Handle,
    pub match_: Handle,
    pub match_all: Handle,
    pub replace: Handle,
    pub search: Handle,
    pub split: Handle,
}

impl WellKnown {
    fn all(&self) -> [Handle; 13] {
        [
            self.iterator,
            self.async_iterator,
            self.has_instance,
            self.to_primitive,
            self.to_string_tag,
            self.species,
            self.is_concat_spreadable,
            self.unscopables,
            self.match_,
            self.match_all,
            self.replace,
            self.search,
            self.split,
        ]
    }
}

/// Frequently used property names, interned once.
#[derive(Clone, Copy)]
pub struct Names {
    pub length: Atom,
    pub prototype: Atom,
    pub constructor: Atom,
    pub name: Atom,
    pub message: Atom,
    pub stack: Atom,
    pub to_string: Atom,
    pub value_of: Atom,
    pub next: Atom,
    pub done: Atom,
    pub value: Atom,
    pub get: Atom,
    pub set: Atom,
    pub writable: Atom,
    pub enumerable: Atom,
    pub configurable: Atom,
    pub return_: Atom,
    pub callee: Atom,
    pub caller: Atom,
    pub arguments: Atom,
    pub proto: Atom,
    pub last_index: Atom,
    pub cause: Atom,
    pub to_json: Atom,
    pub raw: Atom,
    pub index: Atom,
    pub input: Atom,
    pub groups: Atom,
    pub empty: Atom,
    pub undefined: Atom,
    pub null: Atom,
    pub true_: Atom,
    pub false_: Atom,
    pub object: Atom,
    pub function: Atom,
    pub number: Atom,
    pub string: Atom,
    pub boolean: Atom,
    pub symbol: Atom,
    pub bigint: Atom,
    pub default: Atom,
    pub nan: Atom,
    pub infinity: Atom,
    pub neg_infinity: Atom,
    pub zero: Atom,
    pub join: Atom,
}

impl Names {
    fn new(atoms: &mut Atoms) -> Names {
        let mut a = |s: &str| atoms.intern(s.as_bytes()).0;
        Names {
            length: a("length"),
            prototype: a("prototype"),
            constructor: a("constructor"),
            name: a("name"),
            message: a("message"),
            stack: a("stack"),
            to_string: a("toString"),
            value_of: a("valueOf"),
            next: a("next"),
            done: a("done"),
            value: a("value"),
            get: a("get"),
            set: a("set"),
            writable: a("writable"),
            enumerable: a("enumerable"),
            configurable: a("configurable"),
            return_: a("return"),
            callee: a("callee"),
            caller: a("caller"),
            arguments: a("arguments"),
            proto: a("__proto__"),
            last_index: a("lastIndex"),
            cause: a("cause"),
            to_json: a("toJSON"),
            raw: a("raw"),
            index: a("index"),
            input: a("input"),
            groups: a("groups"),
            empty: a(""),
            undefined: a("undefined"),
            null: a("null"),
            true_: a("true"),
            false_: a("false"),
            object: a("object"),
            function: a("function"),
            number: a("number"),
            string: a("string"),
            boolean: a("boolean"),
            symbol: a("symbol"),
            bigint: a("bigint"),
            default: a("default"),
            nan: a("NaN"),
            infinity: a("Infinity"),
            neg_infinity: a("-Infinity"),
            zero: a("0"),
            join: a("join"),
        }
    }
}

/// A script that has been started and not finished.
struct Task {
    /// Frames below this index belong to whoever started the task (none for the outermost).
    depth: usize,
    name: Rc<str>,
}

pub struct Vm {
    pub(crate) heap: Heap,
    pub(crate) atoms: Atoms,
    pub(crate) config: Config,
    pub names: Names,
    pub sym: WellKnown,
    pub intr: Intrinsics,
    pub(crate) global: Handle,
    pub(crate) global_lex: GlobalLexicals,
    pub(crate) global_lex_values: Vec<Value>,
    pub(crate) stack: Vec<Value>,
    pub(crate) frames: Vec<Frame>,
    pub(crate) handlers: Vec<Handler>,
    pub(crate) roots: Vec<Value>,
    /// `Symbol.for` registry: (key string, symbol).
    pub(crate) symbol_registry: Vec<(Value, Handle)>,
    output: Option<OutputSink>,
    pub(crate) fuel: i64,
    pub(crate) interrupted: bool,
    /// The pending error is uncatchable (interrupt, fuel exhausted inside a native callback).
    pub(crate) terminating: bool,
    /// Nesting of interpreter loops (natives calling back into JS).
    pub(crate) native_depth: u32,
    /// The native stack's floor (`crate::stack`; 0: none).
    pub(crate) stack_floor: usize,
    /// `new.target` of the native currently running (undefined for a plain call).
    pub(crate) native_new_target: Value,
    task: Option<Task>,
    /// Scratch buffer for natives' arguments.
    pub(crate) arg_pool: Vec<Vec<Value>>,
    /// Per-realm registry of template objects, and other realm-lifetime values.
    pub(crate) realm_values: Vec<Value>,
    /// Where the pending exception was thrown (script, line, col).
    pub(crate) throw_site: Option<(String, u32, u32)>,
    /// The host's wall clock: milliseconds since the Unix epoch (for `Date`).
    clock: Option<Box<dyn Fn() -> f64>>,
    /// The embedder's per-realm context (see [`Vm::host`]).
    host: Option<Rc<dyn core::any::Any>>,
    /// Values the embedder keeps across turns (callbacks, user data): GC roots until unpinned.
    pins: Vec<Value>,
    free_pins: Vec<u32>,
    /// Built-in methods not made yet (`Value::lazy_native` indexes this): a method's function
    /// object is made when its property is first read (`Vm::resolve_lazy`), so a realm does
    /// not hold a function object for every built-in method it never uses.
    pub(crate) lazy_natives: Vec<LazyNative>,
    /// Set from another thread to stop the running script (see `Engine::interrupt_handle`).
    #[cfg(feature = "std")]
    pub(crate) interrupt_flag: Option<std::sync::Arc<core::sync::atomic::AtomicBool>>,
}

/// A built-in method whose function object is not made yet: its function and, in 32 bits, its
/// name (an atom below 2^24) and arity (below 256), so that the realm's table of a few hundred
/// takes 8 bytes each on a 32-bit target (`Vm::define_method` makes a method that does not fit
/// at once).
#[derive(Clone, Copy)]
pub(crate) struct LazyNative {
    pub(crate) f: crate::engine::NativeFn,
    name_and_arity: u32,
}

impl LazyNative {
    /// `None` when the name or the arity does not fit.
    pub(crate) fn new(f: crate::engine::NativeFn, name: Atom, arity: u32) -> Option<LazyNative> {
        (name.0 < 1 << 24 && arity < 256).then_some(LazyNative {
            f,
            name_and_arity: name.0 | arity << 24,
        })
    }
    pub(crate) fn name(self) -> Atom {
        Atom(self.name_and_arity & 0xFF_FFFF)
    }
    pub(crate) fn arity(self) -> u32 {
        self.name_and_arity >> 24
    }
}

/// Heap the built-ins and an embedder's globals may take while a realm is set up, whatever
/// `Config::heap_budget` says (see [`Vm::begin_setup`]).
const SETUP_ALLOWANCE: usize = 1 << 20;

/// How deep natives may re-enter the interpreter.
pub(crate) const MAX_NATIVE_DEPTH: u32 = 120;

impl Vm {
    pub fn new(config: Config) -> Box<Vm> {
        let mut atoms = Atoms::new(config.shared_names);
        let names = Names::new(&mut atoms);
        // The heap needs room for the built-ins whatever the budget says.
        let mut heap = Heap::new(SETUP_ALLOWANCE);
        heap.stress = config.gc_stress;
        let mut sym_list = Vec::new();
        for _ in 0..13 {
            let h = heap
                .alloc(crate::heap::Cell::Sym(crate::heap::Symbol {
                    description: Value::UNDEFINED,
                    registered: false,
                }))
                .expect("heap budget too small for the built-ins");
            sym_list.push(h);
        }
        let sym = WellKnown {
            iterator: sym_list[0],
            async_iterator: sym_list[1],
            has_instance: sym_list[2],
            to_primitive: sym_list[3],
            to_string_tag: sym_list[4],
            species: sym_list[5],
            is_concat_spreadable: sym_list[6],
            unscopables: sym_list[7],
            match_: sym_list[8],
            match_all: sym_list[9],
            replace: sym_list[10],
            search: sym_list[11],
            split: sym_list[12],
        };
        let global = heap
            .alloc(crate::heap::Cell::Obj(crate::object::Object::new(
                None,
                crate::object::ObjectKind::Ordinary,
            )))
            .expect("heap budget too small for the built-ins");
        let mut vm = Box::new(Vm {
            heap,
            atoms,
            config,
            names,
            sym,
            intr: Intrinsics::default(),
            global,
            global_lex: GlobalLexicals::default(),
            global_lex_values: Vec::new(),
            // Small to start with (they grow as scripts call deeper): every realm pays for
            // this capacity, and a microcontroller has room for few realms.
            stack: Vec::with_capacity(128),
            frames: Vec::with_capacity(8),
            handlers: Vec::new(),
            roots: Vec::new(),
            symbol_registry: Vec::new(),
            output: None,
            fuel: i64::MAX,
            interrupted: false,
            terminating: false,
            native_depth: 0,
            stack_floor: 0,
            native_new_target: Value::UNDEFINED,
            task: None,
            arg_pool: Vec::new(),
            realm_values: Vec::new(),
            throw_site: None,
            clock: None,
            host: None,
            pins: Vec::new(),
            free_pins: Vec::new(),
            lazy_natives: Vec::new(),
            #[cfg(feature = "std")]
            interrupt_flag: None,
        });
        let names = [
            "Symbol.iterator",
            "Symbol.asyncIterator",
            "Symbol.hasInstance",
            "Symbol.toPrimitive",
            "Symbol.toStringTag",
            "Symbol.species",
            "Symbol.isConcatSpreadable",
            "Symbol.unscopables",
            "Symbol.match",
            "Symbol.matchAll",
            "Symbol.replace",
            "Symbol.search",
            "Symbol.split",
        ];
        for (h, n) in vm.sym.all().into_iter().zip(names) {
            let d = vm.intern(n);
            if let crate::heap::Cell::Sym(s) = vm.heap.get_mut(h) {
                s.description = d;
            }
        }
        crate::builtins::init(&mut vm);
        vm.finish_setup();
        vm
    }

    /// The embedder adds its own globals now: until [`Vm::finish_setup`] the heap budget does
    /// not limit them (a realm's set-up is the embedder's code, not the script's).
    pub fn begin_setup(&mut self) {
        self.heap.rebase_budget(SETUP_ALLOWANCE);
    }

    /// The realm is set up: give back the spare capacity of the heap's tables and the atom
    /// table (grown by doubling, they would keep up to half their memory unused for the realm's
    /// life), and make the heap budget ([`crate::Config::heap_budget`]) count only what is
    /// allocated from now on. A new realm does this once its built-ins are in place; an
    /// embedder calls it again after adding its own globals.
    pub fn finish_setup(&mut self) {
        self.heap.compact();
        self.atoms.shrink_to_fit();
        self.lazy_natives.shrink_to_fit();
        self.heap.rebase_budget(self.config.heap_budget);
    }

    // ----- the embedding API behind `Engine` -----

    pub fn check_syntax(&mut self, source: &[u8], name: &str) -> Result<(), JsError> {
        self.compile(source, name).map(|_| ())
    }

    pub fn start_script(&mut self, source: &[u8], name: &str) -> Result<(), JsError> {
        if self.task.is_some() {
            // Abandon the previous task.
            self.unwind_all();
        }
        let code = self.compile(source, name)?;
        self.interrupted = false;
        self.terminating = false;
        let depth = self.frames.len();
        match self.enter_script(code) {
            Ok(()) => {
                self.task = Some(Task {
                    depth,
                    name: crate::bytecode::script_name(name),
                });
                Ok(())
            }
            Err(e) => Err(self.error_from_thrown(e)),
        }
    }

    pub fn run(&mut self, fuel: u64) -> RunOutcome {
        let Some(task) = self.task.as_ref() else {
            return RunOutcome::Finished(Value::UNDEFINED);
        };
        let depth = task.depth;
        self.fuel = if self.interrupted {
            0
        } else {
            fuel.min(i64::MAX as u64) as i64
        };
        let r = self.run_frames(depth);
        if self.native_depth == 0 && depth == 0 {
            self.roots.clear();
        }
        match r {
            Ok(Some(v)) => {
                self.task = None;
                self.fuel = i64::MAX;
                RunOutcome::Finished(v)
            }
            Ok(None) => RunOutcome::Yielded,
            Err(e) => {
                self.task = None;
                self.fuel = i64::MAX;
                let err = self.error_from_thrown(e);
                self.terminating = false;
                self.interrupted = false;
                RunOutcome::Error(err)
            }
        }
    }

    /// Make a call of `f` the running task, like [`Vm::start_script`]: [`Vm::run`] then runs it in
    /// fuel-bounded slices. Returns `Ok(Some(result))` if `f` finished at once (a native function).
    pub fn start_call(
        &mut self,
        f: Value,
        this: Value,
        args: &[Value],
        name: &str,
    ) -> Result<Option<Value>, JsError> {
        if self.task.is_some() {
            self.unwind_all();
        }
        self.interrupted = false;
        self.terminating = false;
        let depth = self.frames.len();
        let sp = self.stack.len();
        self.stack.push(f);
        self.stack.push(this);
        self.stack.extend_from_slice(args);
        match self.invoke(args.len(), None) {
            Ok(call::Invoked::Done) => {
                let v = self.stack.pop().unwrap_or(Value::UNDEFINED);
                self.stack.truncate(sp);
                Ok(Some(v))
            }
            Ok(call::Invoked::Frame) => {
                self.task = Some(Task {
                    depth,
                    name: crate::bytecode::script_name(name),
                });
                Ok(None)
            }
            Err(e) => {
                self.stack.truncate(sp);
                Err(self.error_from_thrown(e))
            }
        }
    }

    /// Is a task (script or call) started and not finished?
    pub fn has_task(&self) -> bool {
        self.task.is_some()
    }

    /// Abandon the running task, if any (its frames are dropped; nothing more runs).
    pub fn abandon_task(&mut self) {
        self.unwind_all();
        self.interrupted = false;
        self.terminating = false;
        self.fuel = i64::MAX;
    }

    /// Abort the running task with an `InternalError` located where it stopped (with its
    /// stack), e.g. when it used up its CPU budget.
    pub fn abort_task(&mut self, message: &str) -> JsError {
        let (script, line, col) = self.current_position();
        let stack = self.stack_trace();
        self.abandon_task();
        JsError {
            name: "InternalError".into(),
            message: message.into(),
            script,
            line,
            col,
            stack,
        }
    }

    /// Name of the running task's script (for messages).
    pub fn task_name(&self) -> Option<&str> {
        self.task.as_ref().map(|t| &*t.name)
    }

    fn unwind_all(&mut self) {
        if let Some(t) = self.task.take() {
            // The task's first frame sits on its callee and `this` slots.
            let sp = self
                .frames
                .get(t.depth)
                .map_or(self.stack.len(), |f| f.base - 2);
            self.frames.truncate(t.depth);
            self.handlers.retain(|h| h.frame < t.depth);
            self.stack.truncate(sp);
        }
    }

    pub fn set_output(&mut self, out: OutputSink) {
        self.output = Some(out);
    }

    /// Write one chunk of output (a complete line for `print`).
    pub fn write_output(&mut self, bytes: &[u8]) {
        if let Some(out) = self.output.as_mut() {
            out(bytes);
        }
    }

    /// Define a native function at a dotted global path (`"BLE.Scanner.Start"`), the objects
    /// on the way made by [`Vm::define_namespace`].
    pub fn define_native_path(&mut self, path: &str, arity: u32, f: NativeFn) {
        let (obj, name) = match path.rsplit_once('.') {
            Some((namespace, name)) => (self.define_namespace(namespace), name),
            None => (self.global, path),
        };
        let func = self.new_native(name, arity, f);
        let key = self.key(name);
        self.define_value(obj, key, func, crate::object::METHOD_FLAGS);
    }

    /// The object at a dotted global path (`"BLE.Scanner"`): each part an own property of the
    /// one before, made (a plain object, not enumerable) where missing. A built-in method on the
    /// way is made and used, not taken for absent and replaced.
    pub fn define_namespace(&mut self, path: &str) -> Handle {
        let mut obj = self.global;
        for part in path.split('.') {
            let key = self.key(part);
            if let Some(i) = self.heap.obj(obj).props.find(key) {
                let _ = self.resolve_lazy(obj, i);
            }
            obj = match self.get_own_data(obj, key).and_then(|v| v.as_object()) {
                Some(h) => h,
                None => {
                    let o = self.new_object().expect("out of memory defining natives");
                    let h = o.as_object().unwrap();
                    self.define_value(obj, key, o, crate::object::METHOD_FLAGS);
                    h
                }
            };
        }
        obj
    }

    pub fn heap_stats(&self) -> HeapStats {
        let used = self.heap.used();
        HeapStats {
            budget: self.heap.budget(),
            used,
            free: self.heap.budget().saturating_sub(used),
            objects: self.heap.live_cells(),
            collections: self.heap.collections,
        }
    }

    /// Charge `units` of fuel for work a native did outside the interpreter (time spent on a
    /// bus, in flash): the slice then ends at the next safe point as if that many instructions
    /// had run, so a script looping on a slow peripheral is bounded like one looping on code.
    pub fn charge_fuel(&mut self, units: u64) {
        self.fuel = self.fuel.saturating_sub(units.min(i64::MAX as u64) as i64);
    }

    /// Fuel left of the last [`Vm::run`]; zero or below after a yield (below: what natives
    /// charged beyond it, see [`Vm::charge_fuel`]).
    pub fn fuel_left(&self) -> i64 {
        self.fuel
    }

    pub fn interrupt(&mut self) {
        self.interrupted = true;
        self.fuel = 0;
    }

    /// A flag another thread can set to interrupt the running script.
    #[cfg(feature = "std")]
    pub fn interrupt_handle(&mut self) -> std::sync::Arc<core::sync::atomic::AtomicBool> {
        self.interrupt_flag
            .get_or_insert_with(Default::default)
            .clone()
    }

    /// Has another thread asked to interrupt? (Checked at safe points.)
    #[inline]
    pub(crate) fn interrupt_requested(&mut self) -> bool {
        #[cfg(feature = "std")]
        if let Some(f) = &self.interrupt_flag {
            if f.swap(false, core::sync::atomic::Ordering::Relaxed) {
                self.interrupted = true;
                return true;
            }
        }
        false
    }

    // ----- the embedder's context and pinned values -----

    /// Attach the embedder's context to this realm; natives get it back with [`Vm::host`].
    pub fn set_host(&mut self, host: Rc<dyn core::any::Any>) {
        self.host = Some(host);
    }

    /// The embedder's context, if it is a `T` (a cheap `Rc` clone, so the VM stays usable).
    pub fn host<T: 'static>(&self) -> Option<Rc<T>> {
        self.host.clone()?.downcast::<T>().ok()
    }

    /// Keep `v` alive (a GC root) until [`Vm::unpin`]; the id reads it back with [`Vm::pinned`].
    pub fn pin(&mut self, v: Value) -> u32 {
        match self.free_pins.pop() {
            Some(i) => {
                self.pins[i as usize] = v;
                i
            }
            None => {
                self.pins.push(v);
                (self.pins.len() - 1) as u32
            }
        }
    }

    /// The value pinned under `id` (`undefined` if none).
    pub fn pinned(&self, id: u32) -> Value {
        self.pins
            .get(id as usize)
            .copied()
            .unwrap_or(Value::UNDEFINED)
    }

    /// Release a pinned value.
    pub fn unpin(&mut self, id: u32) {
        if let Some(slot) = self.pins.get_mut(id as usize) {
            if !slot.is_undefined() || !self.free_pins.contains(&id) {
                *slot = Value::UNDEFINED;
                self.free_pins.push(id);
            }
        }
    }

    /// Number of pinned values (for leak checks in tests).
    pub fn pin_count(&self) -> usize {
        self.pins.len() - self.free_pins.len()
    }

    /// A host object: an ordinary object that also carries the embedder's `(tag, id)`.
    pub fn new_host_object(
        &mut self,
        proto: Option<Handle>,
        tag: u32,
        id: u32,
    ) -> Result<Value, Value> {
        let proto = proto.or(self.intr.object_prototype);
        self.alloc_object(proto, crate::object::ObjectKind::Host { tag, id })
    }

    /// The `(tag, id)` of a host object.
    pub fn host_object(&self, v: Value) -> Option<(u32, u32)> {
        match &self.heap.obj(v.as_object()?).kind {
            crate::object::ObjectKind::Host { tag, id } => Some((*tag, *id)),
            _ => None,
        }
    }

    /// The global object.
    pub fn global_object(&self) -> Value {
        Value::object(self.global)
    }

    // ----- rooting -----

    /// Keep `v` alive until [`Vm::truncate_roots`] drops it. Returns the root stack height
    /// *before* the push (pass it to `truncate_roots`).
    pub fn push_root(&mut self, v: Value) -> usize {
        self.roots.push(v);
        self.roots.len() - 1
    }
    pub fn roots_len(&self) -> usize {
        self.roots.len()
    }
    pub fn truncate_roots(&mut self, len: usize) {
        self.roots.truncate(len);
    }

    /// Collect garbage now. Safe to call from a native (everything live is rooted).
    pub fn collect_garbage(&mut self) {
        let mut handles: Vec<Handle> = Vec::new();
        handles.push(self.global);
        handles.extend(self.intr.handles());
        handles.extend(self.sym.all());
        for f in &self.frames {
            if let Some(e) = f.env {
                handles.push(e);
            }
        }
        for h in &self.handlers {
            if let Some(e) = h.env {
                handles.push(e);
            }
        }
        handles.extend(self.symbol_registry.iter().map(|(_, h)| *h));
        let frame_values = self.frames.iter().flat_map(|f| {
            core::iter::once(f.new_target).chain(f.args.iter().flat_map(|a| a.iter().copied()))
        });
        let values = self
            .stack
            .iter()
            .copied()
            .chain(self.roots.iter().copied())
            .chain(self.global_lex_values.iter().copied())
            .chain(self.symbol_registry.iter().map(|(k, _)| *k))
            .chain(self.realm_values.iter().copied())
            .chain(self.pins.iter().copied())
            .chain(self.arg_pool.iter().flat_map(|v| v.iter().copied()))
            .chain(core::iter::once(self.native_new_target))
            .chain(frame_values);
        self.heap.collect(values, handles.into_iter());
    }

    // ----- compiling -----

    fn compile(&mut self, source: &[u8], name: &str) -> Result<Rc<Code>, JsError> {
        let syntax = |message: String, line: u32, col: u32| JsError {
            name: "SyntaxError".into(),
            message,
            script: name.into(),
            line,
            col,
            stack: String::new(),
        };
        if source.len() > self.config.max_script_bytes {
            return Err(syntax("script too large".into(), 0, 0));
        }
        if crate::stack::room(self.stack_floor) < crate::stack::COMPILE_ROOM {
            return Err(JsError {
                name: "RangeError".into(),
                ..syntax("Maximum call stack size exceeded".into(), 0, 0)
            });
        }
        let opts = crate::parser::ParseOptions {
            max_nesting: self.config.max_nesting,
            strict: false,
            stack_floor: self.stack_floor,
            ..Default::default()
        };
        let program = crate::parser::parse_program(source, &opts)
            .map_err(|e| syntax(e.message, e.line, e.col))?;
        let atoms_before = self.atoms.len();
        let code = crate::compiler::compile_script(
            &program,
            &mut self.atoms,
            &mut self.global_lex,
            crate::bytecode::script_name(name),
            Rc::from(source),
            self.stack_floor,
        )
        .map_err(|e| syntax(e.message, e.pos.line, e.pos.col))?;
        // Charge new atoms to the budget (best effort: they are already created).
        let new_bytes: usize = (atoms_before..self.atoms.len())
            .map(|i| self.atoms.bytes(Atom(i as u32)).len() + 32)
            .sum();
        let _ = self.heap.charge(new_bytes);
        Ok(code)
    }

    /// Compile eval code (`site` describes the caller's scopes for a direct eval).
    pub(crate) fn compile_eval_code(
        &mut self,
        source: &[u8],
        site: Option<&crate::bytecode::EvalSite>,
    ) -> Result<Rc<Code>, Value> {
        if source.len() > self.config.max_script_bytes {
            return Err(self.make_error(ErrorKind::Syntax, "script too large"));
        }
        if crate::stack::room(self.stack_floor) < crate::stack::COMPILE_ROOM {
            return Err(self.make_error(ErrorKind::Range, "Maximum call stack size exceeded"));
        }
        let strict = site.is_some_and(|s| s.strict);
        let opts = crate::parser::ParseOptions {
            max_nesting: self.config.max_nesting,
            strict,
            new_target: site.is_some_and(|s| s.new_target),
            super_property: site.is_some_and(|s| s.super_property),
            stack_floor: self.stack_floor,
        };
        let program = match crate::parser::parse_program(source, &opts) {
            Ok(p) => p,
            Err(e) => return Err(self.make_error(ErrorKind::Syntax, &e.message)),
        };
        let atoms_before = self.atoms.len();
        let code = crate::compiler::compile_eval(
            &program,
            &mut self.atoms,
            &mut self.global_lex,
            crate::bytecode::script_name("<eval>"),
            Rc::from(source),
            site,
            self.stack_floor,
        );
        let new_bytes: usize = (atoms_before..self.atoms.len())
            .map(|i| self.atoms.bytes(Atom(i as u32)).len() + 32)
            .sum();
        let _ = self.heap.charge(new_bytes);
        code.map_err(|e| self.make_error(ErrorKind::Syntax, &e.message))
    }

    /// Indirect `eval(source)`: eval code in the global scope, run to completion.
    pub fn indirect_eval(&mut self, source: &[u8]) -> Result<Value, Value> {
        let code = self.compile_eval_code(source, None)?;
        self.run_script_nested(code)
    }

    /// Compile and run a script in the global scope to completion (`$262.evalScript`, the
    /// `Function` constructor). Runs nested in the current task.
    pub fn eval_script(&mut self, source: &[u8], name: &str) -> Result<Value, Value> {
        let code = match self.compile(source, name) {
            Ok(c) => c,
            Err(e) => {
                let kind = if e.name == "RangeError" {
                    ErrorKind::Range
                } else {
                    ErrorKind::Syntax
                };
                return Err(self.make_error(kind, &e.message));
            }
        };
        self.run_script_nested(code)
    }

    // ----- values for hosts -----

    /// Format a value as `console.log` does.
    pub fn display_string(&mut self, v: Value) -> String {
        let bytes = crate::builtins::display::display_bytes(self, v);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// `ToString`, then lossy UTF-8.
    pub fn to_string_lossy(&mut self, v: Value) -> Result<String, Value> {
        let s = self.to_string(v)?;
        Ok(String::from_utf8_lossy(self.string_bytes(s)).into_owned())
    }

    /// Interned key for a Rust string.
    pub fn key(&mut self, s: &str) -> Key {
        Key::atom(self.atoms.intern(s.as_bytes()).0)
    }
    pub fn atom(&mut self, s: &str) -> Atom {
        self.atoms.intern(s.as_bytes()).0
    }
    /// An interned string value.
    pub fn intern(&mut self, s: &str) -> Value {
        Value::atom(self.atoms.intern(s.as_bytes()).0)
    }
    pub fn intern_bytes(&mut self, s: &[u8]) -> Value {
        Value::atom(self.atoms.intern(s).0)
    }
    pub fn atom_bytes(&self, a: Atom) -> &[u8] {
        self.atoms.bytes(a)
    }
    /// The names this realm interned itself, not shared ones (see [`Config::shared_names`]).
    pub fn own_names(&self) -> impl Iterator<Item = &[u8]> {
        self.atoms.own_names()
    }

    /// Arguments helper: the i-th argument or undefined.
    #[inline]
    pub fn arg(args: &[Value], i: usize) -> Value {
        args.get(i).copied().unwrap_or(Value::UNDEFINED)
    }

    /// Set the wall clock used by `Date` (milliseconds since the Unix epoch).
    pub fn set_clock(&mut self, clock: Box<dyn Fn() -> f64>) {
        self.clock = Some(clock);
    }

    /// The current time in milliseconds since the Unix epoch (0 without a host clock).
    pub fn now_ms(&self) -> f64 {
        self.clock.as_ref().map_or(0.0, |c| c())
    }

    /// `new.target` of the running native (undefined when called without `new`).
    pub fn new_target(&self) -> Value {
        self.native_new_target
    }
}

#[cfg(test)]
mod lazy_native_tests {
    use super::*;

    fn nothing(_: &mut Vm, _: Value, _: &[Value]) -> Result<Value, Value> {
        Ok(Value::UNDEFINED)
    }

    #[test]
    fn a_lazy_native_keeps_its_name_and_arity_in_32_bits() {
        let lazy = LazyNative::new(nothing, Atom(0xAB_CDEF), 255).unwrap();
        assert_eq!((lazy.name(), lazy.arity()), (Atom(0xAB_CDEF), 255));
        assert!(LazyNative::new(nothing, Atom(1 << 24), 1).is_none());
        assert!(LazyNative::new(nothing, Atom(7), 256).is_none());
    }

    #[test]
    fn a_method_whose_arity_does_not_fit_is_made_at_once() {
        let mut engine = crate::Engine::new(Config::default());
        let vm = engine.vm();
        let g = vm.global;
        let before = vm.lazy_natives.len();
        vm.define_method(g, "wide", 300, nothing);
        vm.define_method(g, "narrow", 3, nothing);
        assert_eq!(vm.lazy_natives.len(), before + 1);
        let wide = engine
            .eval(b"[wide.length, narrow.length, typeof wide]", "t")
            .unwrap();
        assert_eq!(engine.display(wide), "[ 300, 3, 'function' ]");
    }
}
