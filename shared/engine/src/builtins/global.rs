//! Global functions and values: `globalThis`, `print`, `console`, `NaN`, `Infinity`, `undefined`,
//! indirect `eval`.

use alloc::vec::Vec;

use crate::object::{Key, METHOD_FLAGS};
use crate::value::Value;
use crate::vm::Vm;

/// `print(...)` / `console.log(...)`: arguments separated by one space, then a newline.
pub fn print(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let mut line = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            line.push(b' ');
        }
        line.extend_from_slice(&super::display::display_bytes(vm, *a));
    }
    line.push(b'\n');
    vm.write_output(&line);
    Ok(Value::UNDEFINED)
}

fn eval(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let src = Vm::arg(args, 0);
    if !src.is_string() {
        return Ok(src);
    }
    let bytes = vm.string_bytes(src).to_vec();
    vm.indirect_eval(&bytes)
}

pub fn install(vm: &mut Vm) {
    let g = vm.global;
    let gk = vm.key("globalThis");
    vm.define_value(g, gk, Value::object(g), METHOD_FLAGS);
    for (name, v) in [("NaN", f64::NAN), ("Infinity", f64::INFINITY)] {
        let k = vm.key(name);
        vm.define_value(g, k, Value::number(v), 0);
    }
    let uk = Key::atom(vm.names.undefined);
    vm.define_value(g, uk, Value::UNDEFINED, 0);
    vm.define_method(g, "print", 0, print);
    vm.intr.eval_function = vm.define_method_now(g, "eval", 1, eval);
    let console = vm.new_object().expect("out of memory");
    let ch = console.as_object().unwrap();
    for name in ["log", "info", "warn", "error", "debug"] {
        vm.define_method(ch, name, 0, print);
    }
    let ck = vm.key("console");
    vm.define_value(g, ck, console, METHOD_FLAGS);
    super::global_functions::install(vm);
}
