//! `Function`: the constructor (dynamic functions) and `Function.prototype` (call, apply, bind,
//! toString, `[Symbol.hasInstance]`).

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::ast::{ExprKind, StmtKind};
use crate::heap::{Accessor, Cell};
use crate::object::*;
use crate::value::Value;
use crate::vm::Vm;

/// Most arguments `apply`/`Reflect.apply`/`Reflect.construct` accept.
pub const MAX_APPLY_ARGS: f64 = 65535.0;

/// Deepest chain of bound functions `bind` creates.
pub const MAX_BIND_DEPTH: usize = 100;

/// CreateListFromArrayLike. Every returned value is pushed on the root stack (the caller
/// truncates the root stack to the height it saw before the call).
pub fn create_list_from_array_like(vm: &mut Vm, obj: Value) -> Result<Vec<Value>, Value> {
    let Some(h) = obj.as_object() else {
        return Err(vm.type_error("CreateListFromArrayLike called on non-object"));
    };
    // Fast path: a dense array.
    if let ObjectKind::Array(a) = &vm.heap.obj(h).kind {
        if !a.sparse && a.elems.len() == a.len as usize && !a.elems.iter().any(|v| v.is_empty()) {
            if a.len as f64 > MAX_APPLY_ARGS {
                return Err(vm.range_error("Too many arguments in function call"));
            }
            return Ok(a.elems.clone());
        }
    }
    let lk = Key::atom(vm.names.length);
    let lv = vm.get(obj, lk)?;
    let len = vm.to_length(lv)?;
    if len > MAX_APPLY_ARGS {
        return Err(vm.range_error("Too many arguments in function call"));
    }
    let mut out = Vec::with_capacity(len as usize);
    for i in 0..len as u32 {
        let v = vm.get_index(obj, i)?;
        vm.push_root(v);
        out.push(v);
    }
    Ok(out)
}

// ----- the constructor -----

fn is_single_function_expr(vm: &Vm, src: &[u8]) -> bool {
    let opts = crate::parser::ParseOptions {
        max_nesting: vm.config.max_nesting,
        stack_floor: vm.stack_floor,
        ..Default::default()
    };
    match crate::parser::parse_program(src, &opts) {
        Ok(p) => {
            p.body.len() == 1
                && matches!(&p.body[0].kind, StmtKind::Expr(e) if matches!(e.kind, ExprKind::Function(_)))
        }
        Err(_) => false,
    }
}

/// CreateDynamicFunction for `Function(p1, …, body)`.
fn function_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let nt = vm.new_target();
    let (params, body): (&[Value], Value) = match args.split_last() {
        Some((b, p)) => (p, *b),
        None => (&[], Value::UNDEFINED),
    };
    let mut p_src: Vec<u8> = Vec::new();
    for (i, p) in params.iter().enumerate() {
        if i > 0 {
            p_src.push(b',');
        }
        let s = vm.to_byte_vec(*p)?;
        p_src.extend_from_slice(&s);
        if p_src.len() > vm.config.max_script_bytes {
            return Err(vm.range_error("Invalid string length"));
        }
    }
    let b_src = if body.is_undefined() {
        Vec::new()
    } else {
        vm.to_byte_vec(body)?
    };
    if p_src.len() + b_src.len() + 64 > vm.config.max_script_bytes {
        return Err(vm.syntax_error("Function source too large"));
    }
    // Each part must parse on its own (so that neither can close the wrapper early).
    let mut check = Vec::with_capacity(p_src.len() + 16);
    check.extend_from_slice(b"(function(");
    check.extend_from_slice(&p_src);
    check.extend_from_slice(b"\n){})");
    if !is_single_function_expr(vm, &check) {
        return Err(vm.syntax_error("Invalid parameters in Function constructor"));
    }
    check.clear();
    check.extend_from_slice(b"(function(){\n");
    check.extend_from_slice(&b_src);
    check.extend_from_slice(b"\n})");
    if !is_single_function_expr(vm, &check) {
        return Err(vm.syntax_error("Invalid function body in Function constructor"));
    }
    let mut src = Vec::with_capacity(p_src.len() + b_src.len() + 32);
    src.extend_from_slice(b"(function anonymous(");
    src.extend_from_slice(&p_src);
    src.extend_from_slice(b"\n) {\n");
    src.extend_from_slice(&b_src);
    src.extend_from_slice(b"\n})");
    if !is_single_function_expr(vm, &src) {
        return Err(vm.syntax_error("Invalid function in Function constructor"));
    }
    let f = vm.eval_script(&src, "<Function>")?;
    let Some(fh) = f.as_object() else {
        return Err(vm.syntax_error("Invalid function in Function constructor"));
    };
    let own = vm.intr.function_constructor.map(Value::object);
    if !nt.is_undefined() && Some(nt) != own {
        let mark = vm.push_root(f);
        let proto = vm.proto_from_new_target(nt, vm.intr.function_prototype);
        vm.truncate_roots(mark);
        vm.heap.obj_mut(fh).set_proto(proto?);
    }
    Ok(f)
}

// ----- Function.prototype -----

fn require_callable(vm: &mut Vm, this: Value, method: &str) -> Result<(), Value> {
    if vm.is_callable(this) {
        Ok(())
    } else {
        Err(vm.type_error(&alloc::format!(
            "Function.prototype.{method} called on a value that is not a function"
        )))
    }
}

fn fp_call(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    require_callable(vm, this, "call")?;
    let this_arg = Vm::arg(args, 0);
    let rest = if args.len() > 1 { &args[1..] } else { &[] };
    vm.call(this, this_arg, rest)
}

fn fp_apply(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    require_callable(vm, this, "apply")?;
    let this_arg = Vm::arg(args, 0);
    let arr = Vm::arg(args, 1);
    if arr.is_nullish() {
        return vm.call(this, this_arg, &[]);
    }
    let mark = vm.roots_len();
    let r = (|| {
        let list = create_list_from_array_like(vm, arr)?;
        vm.call(this, this_arg, &list)
    })();
    vm.truncate_roots(mark);
    r
}

fn fp_bind(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    require_callable(vm, this, "bind")?;
    let target = this.as_object().unwrap();
    let this_arg = Vm::arg(args, 0);
    let bound_args: Vec<Value> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        Vec::new()
    };
    // Calling a bound function recurses once per level in the VM: keep chains short.
    let mut depth = 0;
    let mut cur = target;
    while let ObjectKind::Function(fd) = &vm.heap.obj(cur).kind {
        match fd.callable {
            Callable::Bound { target: t, .. } => {
                depth += 1;
                cur = t;
            }
            _ => break,
        }
        if depth >= MAX_BIND_DEPTH {
            return Err(vm.range_error("Maximum bound function nesting exceeded"));
        }
    }
    let nargs = bound_args.len();
    let is_ctor = vm.is_constructor(this);
    let proto = vm.get_prototype_of(target)?;
    vm.charge(nargs * 8)?;
    let fd = FunctionData {
        callable: Callable::Bound {
            target,
            this_val: this_arg,
            args: bound_args,
        },
        is_constructor: is_ctor,
        is_class_constructor: false,
        lazy_props: false,
    };
    let f = vm.alloc_object(proto, ObjectKind::Function(Box::new(fd)))?;
    let fh = f.as_object().unwrap();
    let mark = vm.push_root(f);
    let r = (|| -> Result<(), Value> {
        let lk = Key::atom(vm.names.length);
        let mut len = 0.0;
        if vm.has_own_property(target, lk)? {
            let l = vm.get(this, lk)?;
            if let Some(n) = l.as_number() {
                if n == f64::INFINITY {
                    len = f64::INFINITY;
                } else if n != f64::NEG_INFINITY {
                    let n = if n.is_nan() { 0.0 } else { libm::trunc(n) };
                    len = (n - nargs as f64).max(0.0);
                }
            }
        }
        vm.define_value(fh, lk, Value::number(len + 0.0), CONFIGURABLE);
        let nk = Key::atom(vm.names.name);
        let name = vm.get(this, nk)?;
        let name = if name.is_string() {
            name
        } else {
            Value::atom(vm.names.empty)
        };
        let prefix = vm.intern("bound ");
        let full = vm.concat(prefix, name)?;
        vm.define_value(fh, nk, full, CONFIGURABLE);
        Ok(())
    })();
    vm.truncate_roots(mark);
    r?;
    Ok(f)
}

fn fp_to_string(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let Some(h) = this.as_object() else {
        return Err(vm.type_error("Function.prototype.toString requires that 'this' be a Function"));
    };
    let source = match &vm.heap.obj(h).kind {
        ObjectKind::Function(fd) => match &fd.callable {
            Callable::Closure { code, .. } => code.source.clone(),
            Callable::Bound { .. } => {
                return vm.new_str("function () { [native code] }");
            }
        },
        ObjectKind::Native(_) => None,
        _ => {
            return Err(
                vm.type_error("Function.prototype.toString requires that 'this' be a Function")
            )
        }
    };
    if let Some((src, start, end)) = source {
        let (s, e) = (start as usize, end as usize);
        if s <= e && e <= src.len() {
            return vm.new_string(&src[s..e]);
        }
    }
    // Natives: `function name() { [native code] }`.
    let nk = Key::atom(vm.names.name);
    let name = vm.get_own_data(h, nk).unwrap_or(Value::UNDEFINED);
    let mut out = Vec::from(&b"function "[..]);
    if name.is_string() {
        let b = vm.string_bytes(name);
        // Keep it a valid NativeFunction: only identifier-ish names (and `get x`, `[Symbol.x]`).
        if b.iter().all(|&c| {
            c.is_ascii_alphanumeric()
                || matches!(c, b'_' | b'$' | b' ' | b'[' | b']' | b'.')
                || c >= 0x80
        }) {
            out.extend_from_slice(b);
        }
    }
    out.extend_from_slice(b"() { [native code] }");
    vm.new_string_vec(out)
}

fn fp_has_instance(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    Ok(Value::bool(
        vm.ordinary_has_instance(this, Vm::arg(args, 0))?,
    ))
}

pub fn install(vm: &mut Vm) {
    let fp = vm.intr.function_prototype.expect("Function.prototype");
    let lk = Key::atom(vm.names.length);
    let nk = Key::atom(vm.names.name);
    vm.define_value(fp, lk, Value::number(0.0), CONFIGURABLE);
    let empty = Value::atom(vm.names.empty);
    vm.define_value(fp, nk, empty, CONFIGURABLE);
    let (ctor, _) = vm.define_class("Function", 1, function_ctor, Some(fp), None);
    vm.intr.function_constructor = Some(ctor);
    vm.define_method(fp, "apply", 2, fp_apply);
    vm.define_method(fp, "bind", 1, fp_bind);
    vm.define_method(fp, "call", 1, fp_call);
    vm.define_method(fp, "toString", 0, fp_to_string);
    let hi = vm.new_native("[Symbol.hasInstance]", 1, fp_has_instance);
    let hk = Key::symbol(vm.sym.has_instance);
    vm.define_value(fp, hk, hi, 0);
    // Restricted `caller` and `arguments`.
    let tte = vm.intr.throw_type_error;
    for name in [vm.names.caller, vm.names.arguments] {
        if let Ok(acc) = vm.alloc_cell(Cell::Accessor(Accessor { get: tte, set: tte })) {
            vm.define_value(
                fp,
                Key::atom(name),
                Value::object(acc),
                CONFIGURABLE | ACCESSOR,
            );
        }
    }
}
