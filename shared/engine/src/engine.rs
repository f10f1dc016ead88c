//! The embedding API: [`Engine`] is what the runtime, the firmware, the CLI and the wasm build use.

use alloc::boxed::Box;
use alloc::string::String;

use crate::value::Value;
use crate::vm::Vm;

/// A native function: `(vm, this, args) -> Ok(result) | Err(thrown value)`.
///
/// Rooting rule: a native may hold `Value`s in Rust locals freely *unless* it calls back into
/// JavaScript (`vm.call…`), which can collect garbage; values held across such a call must be
/// pushed on the root stack with [`Vm::push_root`] first. `args` and `this` are always rooted.
pub type NativeFn = fn(&mut Vm, Value, &[Value]) -> Result<Value, Value>;

/// Limits and budgets of one engine instance.
#[derive(Clone, Debug)]
pub struct Config {
    /// Bytes the heap may use (objects, strings, property tables, environments) beyond the
    /// realm's built-ins and the embedder's globals (see [`crate::vm::Vm::finish_setup`]).
    pub heap_budget: usize,
    /// Maximum depth of JS calls (frames).
    pub max_call_depth: u32,
    /// Maximum nesting of brackets/blocks/expressions in the parser.
    pub max_nesting: u32,
    /// Largest script source accepted, in bytes.
    pub max_script_bytes: usize,
    /// Largest string the engine will build, in bytes.
    pub max_string_bytes: usize,
    /// Instructions a script may run inside a native's callback (e.g. `forEach`) after its fuel
    /// ran out, before it is aborted (a slice cannot yield there).
    pub nested_fuel_overdraft: i64,
    /// Testing aid: collect garbage at every safe point (finds values natives forgot to root).
    pub gc_stress: bool,
    /// Names the realm shares instead of interning them: the built-ins' (the default) and the
    /// embedder's (see [`crate::atoms::SharedNames`]).
    pub shared_names: crate::atoms::SharedNames,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            heap_budget: 64 << 20,
            max_call_depth: 2000,
            max_nesting: 256,
            max_script_bytes: 16 << 20,
            max_string_bytes: 16 << 20,
            nested_fuel_overdraft: 50_000_000,
            gc_stress: false,
            shared_names: crate::atoms::SharedNames::ENGINE,
        }
    }
}

/// Heap statistics, as reported by `GC.stat()` and the REPL prompt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapStats {
    pub budget: usize,
    pub used: usize,
    pub free: usize,
    pub objects: usize,
    pub collections: usize,
}

/// An uncaught error, as a value with context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsError {
    /// `SyntaxError`, `TypeError`, …, or `Error` for thrown non-errors; `InternalError` for
    /// limits that abort the script (out of fuel inside a native callback, interrupted).
    pub name: String,
    pub message: String,
    /// Script name given to `eval`/`start`.
    pub script: String,
    /// 1-based; 0 if unknown.
    pub line: u32,
    pub col: u32,
    /// The JS stack (`    at f (script:line:col)` lines), may be empty.
    pub stack: String,
}

impl core::fmt::Display for JsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.script, self.line, self.col, self.name, self.message
        )
    }
}

/// The result of [`Engine::run`].
#[derive(Debug)]
pub enum RunOutcome {
    /// The script ran to completion with this completion value.
    Finished(Value),
    /// The fuel ran out; call `run` again to continue.
    Yielded,
    /// The script threw (or hit a limit) and is finished.
    Error(JsError),
}

/// One JavaScript realm with its heap, globals and (at most one) running script.
pub struct Engine {
    vm: Box<Vm>,
}

impl Engine {
    pub fn new(config: Config) -> Engine {
        Engine {
            vm: Vm::new(config),
        }
    }

    /// Direct access to the VM, for registering natives and calling JS.
    pub fn vm(&mut self) -> &mut Vm {
        &mut self.vm
    }

    /// Parse only: report the first syntax error.
    pub fn check(&mut self, source: &[u8], name: &str) -> Result<(), JsError> {
        self.vm.check_syntax(source, name)
    }

    /// Compile and run a script to completion (no fuel limit; see [`Engine::start`]).
    pub fn eval(&mut self, source: &[u8], name: &str) -> Result<Value, JsError> {
        self.start(source, name)?;
        loop {
            match self.run(u64::MAX) {
                RunOutcome::Finished(v) => return Ok(v),
                RunOutcome::Yielded => continue,
                RunOutcome::Error(e) => return Err(e),
            }
        }
    }

    /// Compile a script and make it the running task; then call [`Engine::run`].
    pub fn start(&mut self, source: &[u8], name: &str) -> Result<(), JsError> {
        self.vm.start_script(source, name)
    }

    /// Make a call of `f` the running task (run it with [`Engine::run`] in slices, like a script).
    /// `Ok(Some(v))`: it finished at once (a native function).
    pub fn start_call(
        &mut self,
        f: Value,
        this: Value,
        args: &[Value],
        name: &str,
    ) -> Result<Option<Value>, JsError> {
        self.vm.start_call(f, this, args, name)
    }

    /// Is a script or call started and not finished?
    pub fn has_task(&self) -> bool {
        self.vm.has_task()
    }

    /// Drop the running task without running more of it.
    pub fn abandon_task(&mut self) {
        self.vm.abandon_task()
    }

    /// Abort the running task: an `InternalError` with `message`, located where it stopped.
    pub fn abort_task(&mut self, message: &str) -> JsError {
        self.vm.abort_task(message)
    }

    /// Run the current task for at most `fuel` instructions.
    pub fn run(&mut self, fuel: u64) -> RunOutcome {
        self.vm.run(fuel)
    }

    /// Call a JS function from the host (runs to completion, like a callback from the event loop).
    pub fn call(&mut self, f: Value, this: Value, args: &[Value]) -> Result<Value, JsError> {
        let r = self.vm.call_value(f, this, args);
        r.map_err(|e| self.vm.error_from_thrown(e))
    }

    /// Where `print` and `console.log` write (bytes, each call one complete line with its `\n`).
    pub fn set_output(&mut self, out: crate::vm::OutputSink) {
        self.vm.set_output(out)
    }

    /// Define a native function at a dotted global path, e.g. `"$262.evalScript"` or `"print"`;
    /// missing intermediate objects are created.
    pub fn define_function(&mut self, path: &str, arity: u32, f: NativeFn) {
        self.vm.define_native_path(path, arity, f)
    }

    /// Format a value as `console.log` does.
    pub fn display(&mut self, v: Value) -> String {
        self.vm.display_string(v)
    }

    /// Give `Date` a wall clock (milliseconds since the Unix epoch).
    pub fn set_clock(&mut self, clock: Box<dyn Fn() -> f64>) {
        self.vm.set_clock(clock)
    }

    pub fn heap_stats(&self) -> HeapStats {
        self.vm.heap_stats()
    }

    /// On a target with a small, fixed native stack: the lowest address the engine's recursion
    /// may reach (the parser, the compiler, natives calling back into JavaScript, JSON), which
    /// then fails with an error instead of overflowing the stack (`crate::stack`). Leave room
    /// below it for the deepest unchecked stretch and for interrupts.
    pub fn set_stack_floor(&mut self, floor: usize) {
        self.vm.stack_floor = floor;
    }

    /// On a target with one fixed heap: the script's growth must leave `floor.keep` bytes of it
    /// free (for the device's own parts), or fails with a RangeError as past its budget. Set it
    /// after the realm's setup; the budget still applies.
    pub fn set_heap_floor(&mut self, floor: crate::heap::HeapFloor) {
        self.vm.heap.set_floor(floor)
    }

    pub fn collect_garbage(&mut self) {
        self.vm.collect_garbage()
    }

    /// Ask the running script to stop at the next instruction boundary; `run` then returns an
    /// `InternalError: interrupted`.
    pub fn interrupt(&mut self) {
        self.vm.interrupt()
    }

    /// A thread-safe handle: storing `true` interrupts the running script at its next safe point.
    #[cfg(feature = "std")]
    pub fn interrupt_handle(&mut self) -> std::sync::Arc<core::sync::atomic::AtomicBool> {
        self.vm.interrupt_handle()
    }
}
