//! RegExp (to be written).

use crate::value::Value;
use crate::vm::Vm;

pub fn install(_vm: &mut Vm) {}

/// `new RegExp(pattern, flags)` for literals.
pub fn regexp_create(vm: &mut Vm, _pattern: Value, _flags: Value) -> Result<Value, Value> {
    Err(vm.syntax_error("RegExp is not supported yet"))
}
