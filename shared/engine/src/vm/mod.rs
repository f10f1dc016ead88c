//! The virtual machine (stub while the real one is written).
use alloc::boxed::Box;
use alloc::string::String;

use crate::engine::{Config, HeapStats, JsError, NativeFn, RunOutcome};
use crate::value::Value;

pub struct Vm {}

impl Vm {
    pub fn new(_config: Config) -> Box<Vm> {
        todo!()
    }
    pub fn check_syntax(&mut self, _source: &[u8], _name: &str) -> Result<(), JsError> {
        todo!()
    }
    pub fn start_script(&mut self, _source: &[u8], _name: &str) -> Result<(), JsError> {
        todo!()
    }
    pub fn run(&mut self, _fuel: u64) -> RunOutcome {
        todo!()
    }
    pub fn call_value(&mut self, _f: Value, _this: Value, _args: &[Value]) -> Result<Value, Value> {
        todo!()
    }
    pub fn error_from_thrown(&mut self, _thrown: Value) -> JsError {
        todo!()
    }
    pub fn set_output(&mut self, _out: Box<dyn FnMut(&[u8])>) {
        todo!()
    }
    pub fn define_native_path(&mut self, _path: &str, _arity: u32, _f: NativeFn) {
        todo!()
    }
    pub fn display_string(&mut self, _v: Value) -> String {
        todo!()
    }
    pub fn heap_stats(&self) -> HeapStats {
        todo!()
    }
    pub fn collect_garbage(&mut self) {
        todo!()
    }
    pub fn interrupt(&mut self) {
        todo!()
    }
    /// Run a script in this realm's global scope (`$262.evalScript`, indirect `eval`).
    pub fn eval_script(&mut self, _source: &[u8], _name: &str) -> Result<Value, Value> {
        todo!()
    }
    /// Detach an ArrayBuffer (`$262.detachArrayBuffer`).
    pub fn detach_array_buffer(&mut self, _buffer: Value) -> Result<(), Value> {
        todo!()
    }
    /// Throw a TypeError with this message (returns the error value to `Err(..)` out of a native).
    pub fn type_error(&mut self, _message: &str) -> Value {
        todo!()
    }
    /// `ToString` then lossy UTF-8 conversion, for printing.
    pub fn to_string_lossy(&mut self, _v: Value) -> Result<String, Value> {
        todo!()
    }
}
