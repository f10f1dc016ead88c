//! The interpreter loop.

use alloc::rc::Rc;
use alloc::vec::Vec;

use super::convert::{f64_to_int32, Hint};
use super::{number_ops, ErrorKind, Handler, Vm};
use crate::bytecode::{error_kinds, method_flags, Code, CodeKind, Op};
use crate::heap::{Cell, Env, Handle};
use crate::object::*;
use crate::value::{Kind, Value};

/// How many safe points the interpreter loop passes before it returns to be re-entered.
const REENTER_EVERY: u32 = 1 << 16;

/// Why [`Vm::run_inner`] returned.
enum Step {
    /// The frame at `stop` returned this value.
    Done(Value),
    /// Out of fuel at the outermost level.
    Yield,
    /// Time to re-enter (see `run_frames`).
    Reenter,
}

impl Vm {
    /// Run until the frame at index `stop` returns (`Some(value)`), or until the fuel runs out at
    /// the outermost level (`None`: call again to resume).
    pub(crate) fn run_frames(&mut self, stop: usize) -> Result<Option<Value>, Value> {
        loop {
            match self.run_inner(stop) {
                Ok(Step::Done(v)) => return Ok(Some(v)),
                Ok(Step::Yield) => return Ok(None),
                // Leave and re-enter the loop now and then: wasm engines only swap in optimised
                // code for a function when it is called again (no on-stack replacement).
                Ok(Step::Reenter) => continue,
                Err(e) => {
                    if self.throw_site.is_none() {
                        self.throw_site = Some(self.current_position());
                    }
                    if !self.terminating {
                        if let Some(h) = self.handlers.last() {
                            if h.frame >= stop && h.frame < self.frames.len() {
                                let h = self.handlers.pop().unwrap();
                                self.frames.truncate(h.frame + 1);
                                self.stack.truncate(h.stack);
                                self.roots.truncate(h.roots);
                                let f = self.frames.last_mut().unwrap();
                                f.pc = h.pc;
                                f.env = h.env;
                                stack_push(&mut self.stack, e);
                                self.throw_site = None;
                                continue;
                            }
                        }
                    }
                    // Uncaught in this run: drop its frames.
                    if let Some(f) = self.frames.get(stop) {
                        let sp = f.base.saturating_sub(2);
                        self.stack.truncate(sp);
                    }
                    self.frames.truncate(stop);
                    while self.handlers.last().is_some_and(|h| h.frame >= stop) {
                        self.handlers.pop();
                    }
                    return Err(e);
                }
            }
        }
    }

    fn run_inner(&mut self, stop: usize) -> Result<Step, Value> {
        let mut slice = REENTER_EVERY;
        let mut fi = self.frames.len() - 1;
        let mut code: Rc<Code> = self.frames[fi].code.clone();
        // The running function's instructions. Compiled code always ends in `Return` and its
        // jumps stay inside it, so `pc` never leaves the slice (checked in debug builds).
        let mut ops: *const Op = code.ops.as_ptr();
        let mut pc = self.frames[fi].pc;
        let mut base = self.frames[fi].base;

        // Fallible operations record the pc first, so errors and stack traces see it.
        macro_rules! tri {
            ($e:expr) => {{
                self.frames[fi].pc = pc;
                match $e {
                    Ok(v) => v,
                    Err(err) => return Err(err),
                }
            }};
        }
        macro_rules! pop {
            () => {
                self.stack.pop().unwrap_or(Value::UNDEFINED)
            };
        }
        macro_rules! top {
            () => {
                *self.stack.last().unwrap()
            };
        }
        macro_rules! reload {
            () => {
                fi = self.frames.len() - 1;
                code = self.frames[fi].code.clone();
                ops = code.ops.as_ptr();
                pc = self.frames[fi].pc;
                base = self.frames[fi].base;
            };
        }
        // Call the callee below `argc` arguments; continue in its frame if it has one.
        macro_rules! invoke {
            ($argc:expr, $construct:expr) => {
                if let super::call::Invoked::Frame = tri!(self.invoke($argc, $construct)) {
                    reload!();
                }
            };
        }
        // A safe point: count fuel (yielding resumes at `$resume`) and collect garbage.
        macro_rules! safe_point {
            ($resume:expr) => {
                self.fuel -= 1;
                if self.fuel <= 0 || self.interrupt_requested() {
                    self.frames[fi].pc = $resume;
                    if let Some(r) = self.out_of_fuel() {
                        return r;
                    }
                }
                slice -= 1;
                if slice == 0 {
                    self.frames[fi].pc = $resume;
                    return Ok(Step::Reenter);
                }
                if self.heap.wants_collection() {
                    self.frames[fi].pc = pc;
                    self.collect_garbage();
                }
            };
        }
        // Operands stay on the stack (rooted) while a slow path may run JavaScript.
        macro_rules! peek2 {
            () => {{
                let n = self.stack.len();
                (self.stack[n - 2], self.stack[n - 1])
            }};
        }
        macro_rules! replace2 {
            ($v:expr) => {{
                let v = $v;
                let n = self.stack.len();
                self.stack.truncate(n - 2);
                stack_push(&mut self.stack, v);
            }};
        }
        // `$va`, `$vb`: the operand values; `$a`, `$b`: their numbers.
        macro_rules! num_binop {
            ($va:ident, $vb:ident, $a:ident, $b:ident, $fast:expr, $slow:expr) => {{
                let ($va, $vb) = peek2!();
                if let (Some($a), Some($b)) = ($va.as_number(), $vb.as_number()) {
                    replace2!($fast);
                } else {
                    let $a = tri!(self.to_numeric($va));
                    let $b = tri!(self.to_numeric($vb));
                    replace2!($slow);
                }
            }};
        }
        macro_rules! int_binop {
            ($a:ident, $b:ident, $e:expr) => {{
                let (a, b) = peek2!();
                let ($a, $b) = match (a.as_number(), b.as_number()) {
                    (Some(x), Some(y)) => (f64_to_int32(x), f64_to_int32(y)),
                    _ => {
                        let x = tri!(self.to_numeric(a));
                        let y = tri!(self.to_numeric(b));
                        (f64_to_int32(x), f64_to_int32(y))
                    }
                };
                replace2!(Value::number($e));
            }};
        }
        macro_rules! compare {
            ($a:ident, $b:ident, $fast:expr, $swap:expr, $negate:expr) => {{
                let (a, b) = peek2!();
                let r = if let (Some($a), Some($b)) = (a.as_number(), b.as_number()) {
                    $fast
                } else {
                    let r = if $swap {
                        tri!(self.less_than(b, a, false))
                    } else {
                        tri!(self.less_than(a, b, true))
                    };
                    match r {
                        None => false,
                        Some(x) => x != $negate,
                    }
                };
                replace2!(Value::bool(r));
            }};
        }

        loop {
            debug_assert!(pc < code.ops.len());
            // SAFETY: `pc < code.ops.len()` (see `ops` above) and `code` keeps the slice alive.
            let op = unsafe { *ops.add(pc) };
            pc += 1;
            match op {
                Op::Undefined => stack_push(&mut self.stack, Value::UNDEFINED),
                Op::Null => stack_push(&mut self.stack, Value::NULL),
                Op::True => stack_push(&mut self.stack, Value::TRUE),
                Op::False => stack_push(&mut self.stack, Value::FALSE),
                Op::Empty => stack_push(&mut self.stack, Value::EMPTY),
                Op::Int(i) => stack_push(&mut self.stack, number_ops::int(i)),
                Op::Number(i) => {
                    stack_push(&mut self.stack, Value::number(code.numbers[i as usize]))
                }
                Op::Str(a) => stack_push(&mut self.stack, Value::atom(a)),
                Op::Pop => {
                    self.stack.pop();
                }
                Op::Dup => {
                    let v = top!();
                    stack_push(&mut self.stack, v);
                }
                Op::Dup2 => {
                    let n = self.stack.len();
                    let a = self.stack[n - 2];
                    let b = self.stack[n - 1];
                    stack_push(&mut self.stack, a);
                    stack_push(&mut self.stack, b);
                }
                Op::Swap => {
                    let n = self.stack.len();
                    self.stack.swap(n - 1, n - 2);
                }
                Op::Rot3 => {
                    let c = pop!();
                    let n = self.stack.len();
                    self.stack.insert(n - 2, c);
                }
                Op::Over => {
                    let v = self.stack[self.stack.len() - 2];
                    stack_push(&mut self.stack, v);
                }

                // ----- variables -----
                Op::GetLocal(i) => {
                    let v = self.stack[base + i as usize];
                    stack_push(&mut self.stack, v);
                }
                Op::GetLocalChecked(i) => {
                    let v = self.stack[base + i as usize];
                    if v.is_empty() {
                        let name = code.local_names[i as usize];
                        tri!(Err(self.tdz_error(name)));
                    }
                    stack_push(&mut self.stack, v);
                }
                Op::SetLocal(i) => {
                    let v = top!();
                    self.stack[base + i as usize] = v;
                }
                Op::PutLocal(i) => {
                    let v = pop!();
                    self.stack[base + i as usize] = v;
                }
                Op::SetLocalChecked(i) => {
                    if self.stack[base + i as usize].is_empty() {
                        let name = code.local_names[i as usize];
                        tri!(Err(self.tdz_error(name)));
                    }
                    let v = top!();
                    self.stack[base + i as usize] = v;
                }
                Op::GetEnv(depth, i) => {
                    let e = self.env_at(fi, depth);
                    let v = self.heap.env(e).slots[i as usize];
                    stack_push(&mut self.stack, v);
                }
                Op::GetEnvChecked(depth, i) => {
                    let e = self.env_at(fi, depth);
                    let v = self.heap.env(e).slots[i as usize];
                    if v.is_empty() {
                        tri!(Err(self.reference_error(
                            "Cannot access a variable before initialization"
                        )));
                    }
                    stack_push(&mut self.stack, v);
                }
                Op::SetEnv(depth, i) => {
                    let e = self.env_at(fi, depth);
                    let v = top!();
                    self.heap.env_mut(e).slots[i as usize] = v;
                }
                Op::PutEnv(depth, i) => {
                    let e = self.env_at(fi, depth);
                    let v = pop!();
                    self.heap.env_mut(e).slots[i as usize] = v;
                }
                Op::SetEnvChecked(depth, i) => {
                    let e = self.env_at(fi, depth);
                    if self.heap.env(e).slots[i as usize].is_empty() {
                        tri!(Err(self.reference_error(
                            "Cannot access a variable before initialization"
                        )));
                    }
                    let v = top!();
                    self.heap.env_mut(e).slots[i as usize] = v;
                }
                Op::GetGlobal(a, ic) => {
                    let v = tri!(self.get_global(a, ic, &code, true));
                    stack_push(&mut self.stack, v);
                }
                Op::GetGlobalOrUndefined(a, ic) => {
                    let v = tri!(self.get_global(a, ic, &code, false));
                    stack_push(&mut self.stack, v);
                }
                Op::SetGlobal(a, ic) => {
                    let v = top!();
                    tri!(self.set_global(a, ic, &code, v));
                }
                Op::GetGlobalLex(i) => {
                    let v = self.global_lex_values[i as usize];
                    if v.is_empty() {
                        let name = self.global_lex.names[i as usize];
                        tri!(Err(self.tdz_error(name)));
                    }
                    stack_push(&mut self.stack, v);
                }
                Op::SetGlobalLex(i) => {
                    let cur = self.global_lex_values[i as usize];
                    let name = self.global_lex.names[i as usize];
                    if cur.is_empty() {
                        tri!(Err(self.tdz_error(name)));
                    }
                    if self.global_lex.is_const[i as usize] {
                        tri!(Err(self.const_error(name)));
                    }
                    self.global_lex_values[i as usize] = top!();
                }
                Op::InitGlobalLex(i) => {
                    let v = pop!();
                    self.global_lex_values[i as usize] = v;
                }
                Op::ConstAssign(a) => {
                    tri!(Err(self.const_error(a)));
                }
                Op::PushEnv(n) => {
                    let parent = self.frames[fi].env;
                    let h = tri!(self.alloc_cell(Cell::Env(Env {
                        parent,
                        slots: alloc::vec![Value::EMPTY; n as usize]
                    })));
                    self.frames[fi].env = Some(h);
                }
                Op::PopEnv => {
                    let e = self.frames[fi].env.unwrap();
                    self.frames[fi].env = self.heap.env(e).parent;
                }
                Op::CopyEnv => {
                    let e = self.frames[fi].env.unwrap();
                    let env = self.heap.env(e);
                    let copy = Env {
                        parent: env.parent,
                        slots: env.slots.clone(),
                    };
                    let h = tri!(self.alloc_cell(Cell::Env(copy)));
                    self.frames[fi].env = Some(h);
                }

                // ----- function context -----
                Op::This => {
                    let t = self.stack[base - 1];
                    if t.is_empty() {
                        tri!(Err(self.reference_error(
                            "Must call super constructor in derived class before accessing 'this'"
                        )));
                    }
                    stack_push(&mut self.stack, t);
                }
                Op::NewTarget => {
                    let nt = self.frames[fi].new_target;
                    stack_push(&mut self.stack, nt);
                }
                Op::GlobalObject => {
                    let g = Value::object(self.global);
                    stack_push(&mut self.stack, g);
                }
                Op::Callee => {
                    let c = self.stack[base - 2];
                    stack_push(&mut self.stack, c);
                }
                Op::Arguments => {
                    let v = tri!(self.create_arguments(fi));
                    stack_push(&mut self.stack, v);
                }
                Op::RestArgs(n) => {
                    let rest: Vec<Value> = self.frames[fi]
                        .args
                        .as_ref()
                        .map(|a| a.iter().skip(n as usize).copied().collect())
                        .unwrap_or_default();
                    let v = tri!(self.new_array(rest));
                    stack_push(&mut self.stack, v);
                }

                // ----- properties -----
                Op::GetProp(a, ic) => {
                    let obj = pop!();
                    let v = tri!(self.get_prop_cached(obj, a, ic, &code));
                    stack_push(&mut self.stack, v);
                }
                Op::SetProp(a, ic) => {
                    let v = pop!();
                    let obj = pop!();
                    tri!(self.set_prop_cached(obj, a, ic, &code, v));
                    stack_push(&mut self.stack, v);
                }
                Op::GetMethod(a, ic) => {
                    let obj = pop!();
                    let f = tri!(self.get_prop_cached(obj, a, ic, &code));
                    stack_push(&mut self.stack, f);
                    stack_push(&mut self.stack, obj);
                }
                Op::GetElem => {
                    let (obj, key) = peek2!();
                    let v = tri!(self.get_elem(obj, key));
                    replace2!(v);
                }
                Op::SetElem => {
                    let n = self.stack.len();
                    let (obj, key, v) = (self.stack[n - 3], self.stack[n - 2], self.stack[n - 1]);
                    tri!(self.set_elem(obj, key, v, code.strict));
                    self.stack.truncate(n - 3);
                    stack_push(&mut self.stack, v);
                }
                Op::GetMethodElem => {
                    let (obj, key) = peek2!();
                    let f = tri!(self.get_elem(obj, key));
                    let n = self.stack.len();
                    self.stack[n - 2] = f;
                    self.stack[n - 1] = obj;
                }
                Op::DeleteProp(a) => {
                    let obj = pop!();
                    let r = tri!(self.delete_op(obj, Key::atom(a), code.strict));
                    stack_push(&mut self.stack, Value::bool(r));
                }
                Op::DeleteElem => {
                    let (obj, key) = peek2!();
                    if obj.is_nullish() {
                        tri!(Err(
                            self.type_error("Cannot convert undefined or null to object")
                        ));
                    }
                    let k = tri!(self.to_property_key(key));
                    let r = tri!(self.delete_op(obj, k, code.strict));
                    replace2!(Value::bool(r));
                }
                Op::GetSuper(a) => {
                    let this = self.stack[base - 1];
                    let v = tri!(self.super_get(fi, Key::atom(a), this));
                    stack_push(&mut self.stack, v);
                }
                Op::GetSuperElem => {
                    let key = top!();
                    let this = self.stack[base - 1];
                    let k = tri!(self.to_property_key(key));
                    let v = tri!(self.super_get(fi, k, this));
                    self.stack.pop();
                    stack_push(&mut self.stack, v);
                }
                Op::SetSuper(a) => {
                    let v = pop!();
                    let this = self.stack[base - 1];
                    tri!(self.super_set(fi, Key::atom(a), this, v));
                    stack_push(&mut self.stack, v);
                }
                Op::SetSuperElem => {
                    let (key, v) = peek2!();
                    let k = tri!(self.to_property_key(key));
                    let this = self.stack[base - 1];
                    tri!(self.super_set(fi, k, this, v));
                    replace2!(v);
                }
                Op::GetSuperMethod(a) => {
                    let this = self.stack[base - 1];
                    let v = tri!(self.super_get(fi, Key::atom(a), this));
                    stack_push(&mut self.stack, v);
                    stack_push(&mut self.stack, this);
                }

                // ----- literals -----
                Op::NewObject => {
                    let o = tri!(self.new_object());
                    stack_push(&mut self.stack, o);
                }
                Op::NewArray => {
                    let a = tri!(self.new_array(Vec::new()));
                    stack_push(&mut self.stack, a);
                }
                Op::ArrayPush => {
                    let v = pop!();
                    let a = top!().as_object().unwrap();
                    let len = self.array_len(a);
                    tri!(self.array_put(a, len, v));
                }
                Op::ArrayHole => {
                    let a = top!().as_object().unwrap();
                    if let ObjectKind::Array(arr) = &mut self.heap.obj_mut(a).kind {
                        arr.elems.push(Value::EMPTY);
                        arr.len += 1;
                    }
                }
                Op::ArraySpread => {
                    let src = pop!();
                    let a = top!().as_object().unwrap();
                    self.frames[fi].pc = pc;
                    let items = tri!(self.iterate_to_vec(src));
                    for v in items {
                        let len = self.array_len(a);
                        tri!(self.array_put(a, len, v));
                    }
                }
                Op::DefineField(a) => {
                    let v = pop!();
                    let o = top!().as_object().unwrap();
                    tri!(self.define_field(o, Key::atom(a), v));
                }
                Op::DefineFieldElem => {
                    let v = pop!();
                    let key = pop!();
                    let o = top!().as_object().unwrap();
                    let k = tri!(self.to_property_key(key));
                    tri!(self.define_field(o, k, v));
                }
                Op::CopyDataProps => {
                    let src = pop!();
                    let o = top!().as_object().unwrap();
                    tri!(self.copy_data_properties(o, src, &[]));
                }
                Op::CopyDataPropsExcept(n) => {
                    let n = n as usize;
                    let at = self.stack.len() - n;
                    let excluded: Vec<Value> = self.stack[at..].to_vec();
                    let mut keys = Vec::with_capacity(n);
                    for k in excluded {
                        keys.push(tri!(self.to_property_key(k)));
                    }
                    self.stack.truncate(at);
                    let src = pop!();
                    let o = tri!(self.new_object());
                    stack_push(&mut self.stack, o);
                    tri!(self.copy_data_properties(o.as_object().unwrap(), src, &keys));
                }
                Op::SetProtoLiteral => {
                    let v = pop!();
                    let o = top!().as_object().unwrap();
                    if v.is_object() || v.is_null() {
                        tri!(self.set_prototype_of(o, v.as_object()));
                    }
                }
                Op::Closure(i) => {
                    let f = tri!(self.make_closure(fi, &code.functions[i as usize], None));
                    stack_push(&mut self.stack, f);
                }
                Op::DefineMethod(i, flags) => {
                    let key = pop!();
                    let k = tri!(self.to_property_key(key));
                    let target = if flags & method_flags::STATIC != 0 {
                        self.stack[self.stack.len() - 2]
                    } else {
                        top!()
                    };
                    tri!(self.define_method_op(fi, &code.functions[i as usize], target, k, flags));
                }
                Op::MakeClass => {
                    let ctor = pop!();
                    let heritage = pop!();
                    let proto = tri!(self.make_class(ctor, heritage));
                    stack_push(&mut self.stack, ctor);
                    stack_push(&mut self.stack, proto);
                }
                Op::SetFieldInit(i) => {
                    let proto = top!();
                    let ctor = self.stack[self.stack.len() - 2];
                    let init =
                        tri!(self.make_closure(fi, &code.functions[i as usize], proto.as_object()));
                    if let ObjectKind::Function(fd) =
                        &mut self.heap.obj_mut(ctor.as_object().unwrap()).kind
                    {
                        if let Callable::Closure { fields_init, .. } = &mut fd.callable {
                            *fields_init = init.as_object();
                        }
                    }
                }
                Op::RunStaticInit(i) => {
                    let ctor = self.stack[self.stack.len() - 2];
                    let init =
                        tri!(self.make_closure(fi, &code.functions[i as usize], ctor.as_object()));
                    self.frames[fi].pc = pc;
                    tri!(self.call(init, ctor, &[]));
                }
                Op::RegExp(i) => {
                    let (p, f) = code.regexps[i as usize];
                    let r = tri!(crate::builtins::regexp_create(
                        self,
                        Value::atom(p),
                        Value::atom(f)
                    ));
                    stack_push(&mut self.stack, r);
                }
                Op::TemplateObject(n) => {
                    let n = n as usize;
                    let at = self.stack.len() - 2 * n;
                    let strings: Vec<Value> = self.stack[at..].to_vec();
                    self.stack.truncate(at);
                    let o = tri!(self.template_object(&strings[..n], &strings[n..]));
                    stack_push(&mut self.stack, o);
                }

                // ----- operators -----
                Op::Add => {
                    let (a, b) = peek2!();
                    if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
                        replace2!(number_ops::add(a, b, x, y));
                    } else {
                        let v = tri!(self.add(a, b));
                        replace2!(v);
                    }
                }
                Op::Sub => num_binop!(
                    a,
                    b,
                    x,
                    y,
                    number_ops::sub(a, b, x, y),
                    Value::number(x - y)
                ),
                Op::Mul => num_binop!(
                    a,
                    b,
                    x,
                    y,
                    number_ops::mul(a, b, x, y),
                    Value::number(x * y)
                ),
                Op::Div => num_binop!(_a, _b, x, y, Value::number(x / y), Value::number(x / y)),
                Op::Mod => num_binop!(
                    a,
                    b,
                    x,
                    y,
                    number_ops::rem(a, b, x, y),
                    Value::number(js_rem(x, y))
                ),
                Op::Exp => num_binop!(
                    _a,
                    _b,
                    x,
                    y,
                    Value::number(js_pow(x, y)),
                    Value::number(js_pow(x, y))
                ),
                Op::Shl => int_binop!(x, y, x.wrapping_shl(y as u32 & 31) as f64),
                Op::Shr => int_binop!(x, y, (x >> (y as u32 & 31)) as f64),
                Op::UShr => int_binop!(x, y, ((x as u32) >> (y as u32 & 31)) as f64),
                Op::BitAnd => int_binop!(x, y, (x & y) as f64),
                Op::BitOr => int_binop!(x, y, (x | y) as f64),
                Op::BitXor => int_binop!(x, y, (x ^ y) as f64),
                Op::Eq => {
                    let (a, b) = peek2!();
                    let r = tri!(self.loose_equals(a, b));
                    replace2!(Value::bool(r));
                }
                Op::Ne => {
                    let (a, b) = peek2!();
                    let r = tri!(self.loose_equals(a, b));
                    replace2!(Value::bool(!r));
                }
                Op::StrictEq => {
                    let b = pop!();
                    let a = pop!();
                    let r = if a == b && a.as_number().is_none() {
                        true
                    } else {
                        self.strict_equals(a, b)
                    };
                    stack_push(&mut self.stack, Value::bool(r));
                }
                Op::StrictNe => {
                    let b = pop!();
                    let a = pop!();
                    let r = if a == b && a.as_number().is_none() {
                        true
                    } else {
                        self.strict_equals(a, b)
                    };
                    stack_push(&mut self.stack, Value::bool(!r));
                }
                Op::Lt => compare!(x, y, number_ops::lt(x, y), false, false),
                Op::Gt => compare!(x, y, number_ops::lt(y, x), true, false),
                Op::Le => compare!(x, y, number_ops::le(x, y), true, true),
                Op::Ge => compare!(x, y, number_ops::le(y, x), false, true),
                Op::In => {
                    let (key, obj) = peek2!();
                    let Some(h) = obj.as_object() else {
                        tri!(Err(self.type_error(
                            "Cannot use 'in' operator to search for a key in a non-object"
                        )));
                        unreachable!()
                    };
                    let k = tri!(self.to_property_key(key));
                    let r = tri!(self.has_property(h, k));
                    replace2!(Value::bool(r));
                }
                Op::InstanceOf => {
                    let (v, target) = peek2!();
                    let r = tri!(self.instance_of(v, target));
                    replace2!(Value::bool(r));
                }
                Op::Neg => {
                    let a = pop!();
                    let n = match a.as_number() {
                        Some(n) => n,
                        None => tri!(self.to_numeric(a)),
                    };
                    stack_push(&mut self.stack, Value::number(-n));
                }
                Op::ToNumber | Op::ToNumeric => {
                    let a = pop!();
                    let n = match a.as_number() {
                        Some(n) => n,
                        None => tri!(self.to_numeric(a)),
                    };
                    stack_push(&mut self.stack, Value::number(n));
                }
                Op::Not => {
                    let a = pop!();
                    let b = self.to_boolean(a);
                    stack_push(&mut self.stack, Value::bool(!b));
                }
                Op::BitNot => {
                    let a = pop!();
                    let n = tri!(self.to_int32(a));
                    stack_push(&mut self.stack, Value::number(!n as f64));
                }
                Op::Typeof => {
                    let a = pop!();
                    let t = self.type_of(a);
                    stack_push(&mut self.stack, t);
                }
                Op::Inc => {
                    let a = pop!();
                    let v = match a.as_number() {
                        Some(n) => number_ops::inc(a, n),
                        None => Value::number(tri!(self.to_numeric(a)) + 1.0),
                    };
                    stack_push(&mut self.stack, v);
                }
                Op::Dec => {
                    let a = pop!();
                    let v = match a.as_number() {
                        Some(n) => number_ops::dec(a, n),
                        None => Value::number(tri!(self.to_numeric(a)) - 1.0),
                    };
                    stack_push(&mut self.stack, v);
                }
                Op::ToStr => {
                    let a = pop!();
                    let s = tri!(self.to_string(a));
                    stack_push(&mut self.stack, s);
                }
                Op::ToKey => {
                    let a = pop!();
                    let v = if a.is_string() || a.as_symbol().is_some() || a.is_number() {
                        a
                    } else {
                        let p = tri!(self.to_primitive(a, Hint::String));
                        if p.as_symbol().is_some() {
                            p
                        } else {
                            tri!(self.to_string(p))
                        }
                    };
                    stack_push(&mut self.stack, v);
                }
                Op::ToObject => {
                    let v = pop!();
                    let o = tri!(self.to_object(v));
                    stack_push(&mut self.stack, o);
                }
                Op::WithHas(a) => {
                    let obj = top!();
                    let r = tri!(self.with_has(obj, Key::atom(a)));
                    stack_push(&mut self.stack, Value::bool(r));
                }
                Op::WithSetStrict(a) => {
                    let (obj, v) = peek2!();
                    let key = Key::atom(a);
                    let h = obj.as_object().unwrap();
                    if !tri!(self.has_property(h, key)) {
                        let n = alloc::string::String::from_utf8_lossy(self.atoms.bytes(a))
                            .into_owned();
                        tri!(Err(
                            self.reference_error(&alloc::format!("{n} is not defined"))
                        ));
                    }
                    tri!(self.set(obj, key, v, true));
                    replace2!(v);
                }
                Op::CheckObjectCoercible => {
                    let v = top!();
                    if v.is_nullish() {
                        tri!(Err(
                            self.type_error("Cannot destructure 'undefined' or 'null'")
                        ));
                    }
                }

                // ----- control flow -----
                Op::Jump(t) => {
                    let t = t as usize;
                    if t < pc {
                        pc = t;
                        safe_point!(t);
                    }
                    pc = t;
                }
                Op::JumpIfFalse(t) => {
                    let v = pop!();
                    let b = match v.kind() {
                        Kind::Bool(b) => b,
                        _ => self.to_boolean(v),
                    };
                    if !b {
                        let t = t as usize;
                        if t < pc {
                            pc = t;
                            safe_point!(t);
                        }
                        pc = t;
                    }
                }
                Op::JumpIfTrue(t) => {
                    let v = pop!();
                    let b = match v.kind() {
                        Kind::Bool(b) => b,
                        _ => self.to_boolean(v),
                    };
                    if b {
                        let t = t as usize;
                        if t < pc {
                            pc = t;
                            safe_point!(t);
                        }
                        pc = t;
                    }
                }
                Op::JumpIfFalseKeep(t) => {
                    if !self.to_boolean(top!()) {
                        pc = t as usize;
                    } else {
                        self.stack.pop();
                    }
                }
                Op::JumpIfTrueKeep(t) => {
                    if self.to_boolean(top!()) {
                        pc = t as usize;
                    } else {
                        self.stack.pop();
                    }
                }
                Op::JumpIfNotNullishKeep(t) => {
                    if !top!().is_nullish() {
                        pc = t as usize;
                    } else {
                        self.stack.pop();
                    }
                }
                Op::JumpIfNullish(t, extra) => {
                    if top!().is_nullish() {
                        let n = self.stack.len() - 1 - extra as usize;
                        self.stack.truncate(n);
                        pc = t as usize;
                    }
                }
                Op::JumpIfNotUndefined(t) => {
                    if !top!().is_undefined() {
                        pc = t as usize;
                    } else {
                        self.stack.pop();
                    }
                }
                Op::Call(argc) => {
                    safe_point!(pc - 1);
                    self.frames[fi].pc = pc;
                    invoke!(argc as usize, None);
                }
                Op::DirectEval(site) => {
                    safe_point!(pc - 1);
                    self.frames[fi].pc = pc;
                    let site = code.eval_sites[site as usize].clone();
                    let argc = site.argc as usize;
                    let fpos = self.stack.len() - argc - 2;
                    if self.stack[fpos] != self.intr.eval_function {
                        invoke!(argc, None);
                        continue;
                    }
                    let src = if argc > 0 {
                        self.stack[fpos + 2]
                    } else {
                        Value::UNDEFINED
                    };
                    if !src.is_string() {
                        self.stack.truncate(fpos);
                        stack_push(&mut self.stack, src);
                        continue;
                    }
                    let bytes = self.string_bytes(src).to_vec();
                    let eval_code = tri!(self.compile_eval_code(&bytes, Some(&site)));
                    // The eval code runs as a frame on the caller's callee, `this`,
                    // `new.target` and environment chain.
                    self.stack.truncate(fpos);
                    let callee = self.stack[base - 2];
                    let this = self.stack[base - 1];
                    stack_push(&mut self.stack, callee);
                    stack_push(&mut self.stack, this);
                    let env = self.frames[fi].env;
                    let nt = self.frames[fi].new_target;
                    tri!(self.push_frame(eval_code, env, fpos, 0, nt, false));
                    reload!();
                }
                Op::CallSpread => {
                    safe_point!(pc - 1);
                    self.frames[fi].pc = pc;
                    let arr = pop!();
                    let args = tri!(self.array_to_args(arr));
                    let n = args.len();
                    self.stack.extend(args);
                    invoke!(n, None);
                }
                Op::New(argc) => {
                    safe_point!(pc - 1);
                    self.frames[fi].pc = pc;
                    let at = self.stack.len() - argc as usize;
                    let f = self.stack[at - 1];
                    self.stack.insert(at, Value::UNDEFINED);
                    invoke!(argc as usize, Some(f));
                }
                Op::NewSpread => {
                    safe_point!(pc - 1);
                    self.frames[fi].pc = pc;
                    let arr = pop!();
                    let f = top!();
                    let args = tri!(self.array_to_args(arr));
                    stack_push(&mut self.stack, Value::UNDEFINED);
                    let n = args.len();
                    self.stack.extend(args);
                    invoke!(n, Some(f));
                }
                Op::SuperCall(argc) => {
                    self.frames[fi].pc = pc;
                    let at = self.stack.len() - argc as usize;
                    let args: Vec<Value> = self.stack[at..].to_vec();
                    self.stack.truncate(at);
                    let this = tri!(self.super_call(fi, &args));
                    stack_push(&mut self.stack, this);
                }
                Op::SuperCallSpread => {
                    self.frames[fi].pc = pc;
                    let arr = pop!();
                    let args = tri!(self.array_to_args(arr));
                    let this = tri!(self.super_call(fi, &args));
                    stack_push(&mut self.stack, this);
                }
                Op::Return => {
                    let mut v = pop!();
                    let construct = self.frames[fi].construct;
                    let boundary = self.frames[fi].boundary;
                    if (construct || code.kind == CodeKind::DerivedConstructor) && !v.is_object() {
                        let this = self.stack[base - 1];
                        if code.kind == CodeKind::DerivedConstructor {
                            if !v.is_undefined() {
                                tri!(Err(self.type_error(
                                    "Derived constructors may only return object or undefined"
                                )));
                            }
                            if this.is_empty() {
                                tri!(Err(self.reference_error(
                                        "Must call super constructor in derived class before accessing 'this'"
                                    )));
                            }
                        }
                        v = this;
                    }
                    while self.handlers.last().is_some_and(|h| h.frame >= fi) {
                        self.handlers.pop();
                    }
                    self.frames.pop();
                    self.stack.truncate(base - 2);
                    if boundary || self.frames.len() <= stop {
                        return Ok(Step::Done(v));
                    }
                    stack_push(&mut self.stack, v);
                    reload!();
                }
                Op::Throw => {
                    let v = pop!();
                    self.frames[fi].pc = pc;
                    return Err(v);
                }
                Op::ThrowError(kind, msg) => {
                    let m =
                        alloc::string::String::from_utf8_lossy(self.atoms.bytes(msg)).into_owned();
                    let k = match kind {
                        error_kinds::REFERENCE => ErrorKind::Reference,
                        error_kinds::SYNTAX => ErrorKind::Syntax,
                        error_kinds::RANGE => ErrorKind::Range,
                        _ => ErrorKind::Type,
                    };
                    tri!(Err(self.make_error(k, &m)));
                }
                Op::Try(t) => {
                    let env = self.frames[fi].env;
                    let roots = self.roots.len();
                    self.handlers.push(Handler {
                        roots,
                        frame: fi,
                        pc: t as usize,
                        stack: self.stack.len(),
                        env,
                    });
                }
                Op::EndTry => {
                    self.handlers.pop();
                }

                // ----- iteration -----
                Op::GetIterator(slot) => {
                    let obj = pop!();
                    self.frames[fi].pc = pc;
                    let (it, next) = tri!(self.get_iterator(obj));
                    let s = base + slot as usize;
                    self.stack[s] = it;
                    self.stack[s + 1] = next;
                    self.stack[s + 2] = Value::FALSE;
                }
                Op::IterNext(slot, t) => {
                    safe_point!(pc - 1);
                    self.frames[fi].pc = pc;
                    let s = base + slot as usize;
                    let (it, next) = (self.stack[s], self.stack[s + 1]);
                    match tri!(self.iterator_step(it, next)) {
                        Some(v) => stack_push(&mut self.stack, v),
                        None => {
                            self.stack[s + 2] = Value::TRUE;
                            pc = t as usize;
                        }
                    }
                }
                Op::IterValue(slot) => {
                    self.frames[fi].pc = pc;
                    let s = base + slot as usize;
                    if self.stack[s + 2] == Value::TRUE {
                        stack_push(&mut self.stack, Value::UNDEFINED);
                    } else {
                        let (it, next) = (self.stack[s], self.stack[s + 1]);
                        match self.iterator_step(it, next) {
                            Ok(Some(v)) => stack_push(&mut self.stack, v),
                            Ok(None) => {
                                self.stack[s + 2] = Value::TRUE;
                                stack_push(&mut self.stack, Value::UNDEFINED);
                            }
                            Err(e) => {
                                self.stack[s + 2] = Value::TRUE;
                                tri!(Err(e));
                            }
                        }
                    }
                }
                Op::IterRest(slot) => {
                    self.frames[fi].pc = pc;
                    let s = base + slot as usize;
                    let arr = tri!(self.new_array(Vec::new()));
                    stack_push(&mut self.stack, arr);
                    let ah = arr.as_object().unwrap();
                    while self.stack[s + 2] != Value::TRUE {
                        let (it, next) = (self.stack[s], self.stack[s + 1]);
                        match self.iterator_step(it, next) {
                            Ok(Some(v)) => {
                                let len = self.array_len(ah);
                                tri!(self.array_put(ah, len, v));
                            }
                            Ok(None) => self.stack[s + 2] = Value::TRUE,
                            Err(e) => {
                                self.stack[s + 2] = Value::TRUE;
                                tri!(Err(e));
                            }
                        }
                    }
                }
                Op::IterClose(slot) => {
                    let s = base + slot as usize;
                    if self.stack[s + 2] != Value::TRUE {
                        self.stack[s + 2] = Value::TRUE;
                        let it = self.stack[s];
                        self.frames[fi].pc = pc;
                        tri!(self.iterator_close(it));
                    }
                }
                Op::ForInStart => {
                    let obj = pop!();
                    self.frames[fi].pc = pc;
                    let keys = tri!(self.for_in_keys(obj));
                    tri!(self.charge(keys.len() * 8));
                    let st = tri!(self.alloc_object(
                        None,
                        ObjectKind::ForIn {
                            object: obj,
                            keys,
                            index: 0
                        }
                    ));
                    stack_push(&mut self.stack, st);
                }
                Op::ForInNext(t) => {
                    safe_point!(pc - 1);
                    let st = top!().as_object().unwrap();
                    let key = loop {
                        let ObjectKind::ForIn {
                            object,
                            keys,
                            index,
                        } = &mut self.heap.obj_mut(st).kind
                        else {
                            unreachable!()
                        };
                        if *index as usize >= keys.len() {
                            break None;
                        }
                        let k = keys[*index as usize];
                        *index += 1;
                        let object = *object;
                        // Skip keys deleted during the loop.
                        let o = tri!(self.to_object(object)).as_object().unwrap();
                        let pk = tri!(self.to_property_key(k));
                        if tri!(self.has_property(o, pk)) {
                            break Some(k);
                        }
                    };
                    match key {
                        Some(k) => stack_push(&mut self.stack, k),
                        None => {
                            self.stack.pop();
                            pc = t as usize;
                        }
                    }
                }
                Op::Nop | Op::Debugger => {}
            }
        }
    }

    /// Fuel ran out: yield at the outermost level, else abort after an overdraft.
    #[inline(never)]
    fn out_of_fuel(&mut self) -> Option<Result<Step, Value>> {
        if self.interrupted {
            self.terminating = true;
            return Some(Err(self.make_error(ErrorKind::Internal, "interrupted")));
        }
        if self.native_depth == 0 {
            return Some(Ok(Step::Yield));
        }
        if self.fuel < -self.config.nested_fuel_overdraft {
            self.terminating = true;
            return Some(Err(self.make_error(
                ErrorKind::Internal,
                "out of fuel inside a native callback",
            )));
        }
        None
    }

    #[inline]
    fn env_at(&self, fi: usize, depth: u16) -> Handle {
        let mut e = self.frames[fi].env.expect("environment");
        for _ in 0..depth {
            e = self.heap.env(e).parent.expect("environment parent");
        }
        e
    }

    #[inline(never)]
    fn tdz_error(&mut self, name: crate::value::Atom) -> Value {
        let n = alloc::string::String::from_utf8_lossy(self.atoms.bytes(name)).into_owned();
        self.reference_error(&alloc::format!("Cannot access '{n}' before initialization"))
    }

    #[inline(never)]
    fn const_error(&mut self, name: crate::value::Atom) -> Value {
        let n = alloc::string::String::from_utf8_lossy(self.atoms.bytes(name)).into_owned();
        self.type_error(&alloc::format!("Assignment to constant variable '{n}'."))
    }

    pub(crate) fn array_len(&self, a: Handle) -> u32 {
        match &self.heap.obj(a).kind {
            ObjectKind::Array(arr) => arr.len,
            _ => 0,
        }
    }

    #[inline(never)]
    fn get_global(
        &mut self,
        a: crate::value::Atom,
        ic: u16,
        code: &Code,
        throw: bool,
    ) -> Result<Value, Value> {
        if !self.global_lex.map.is_empty() {
            if let Some(&slot) = self.global_lex.map.get(&a) {
                if let Some(v) = self.global_lex_values.get(slot as usize).copied() {
                    if v.is_empty() {
                        return Err(self.tdz_error(a));
                    }
                    return Ok(v);
                }
            }
        }
        let key = Key::atom(a);
        let g = self.global;
        let cache = &code.caches[ic as usize];
        if let Some(v) = self.read_own_cached(g, key, cache, Value::object(g)) {
            return v;
        }
        if self.has_property(g, key)? {
            return self.get(Value::object(g), key);
        }
        if throw {
            let n = alloc::string::String::from_utf8_lossy(self.atoms.bytes(a)).into_owned();
            return Err(self.reference_error(&alloc::format!("{n} is not defined")));
        }
        Ok(Value::UNDEFINED)
    }

    #[inline(never)]
    fn set_global(
        &mut self,
        a: crate::value::Atom,
        ic: u16,
        code: &Code,
        v: Value,
    ) -> Result<(), Value> {
        if let Some(&slot) = self.global_lex.map.get(&a) {
            if (slot as usize) < self.global_lex_values.len() {
                if self.global_lex_values[slot as usize].is_empty() {
                    return Err(self.tdz_error(a));
                }
                if self.global_lex.is_const[slot as usize] {
                    return Err(self.const_error(a));
                }
                self.global_lex_values[slot as usize] = v;
                return Ok(());
            }
        }
        let key = Key::atom(a);
        let g = self.global;
        let cache = &code.caches[ic as usize];
        let o = self.heap.obj_mut(g);
        if let Some(i) = o.props.find_cached(key, cache.get() as usize) {
            let p = o.props.get_mut(i);
            if p.flags & (ACCESSOR) == 0 && p.flags & WRITABLE != 0 {
                cache.set(i as u32);
                p.stored = v;
                return Ok(());
            }
        }
        if code.strict && !self.has_property(g, key)? {
            let n = alloc::string::String::from_utf8_lossy(self.atoms.bytes(a)).into_owned();
            return Err(self.reference_error(&alloc::format!("{n} is not defined")));
        }
        self.set(Value::object(g), key, v, code.strict)
    }

    /// `holder`'s own property `key`, read as from `receiver` (a getter gets it as `this`),
    /// found with a property instruction's `cache` (its guess checked first, then updated);
    /// `None` if `holder` has no such own property.
    #[inline(always)]
    fn read_own_cached(
        &mut self,
        holder: Handle,
        key: Key,
        cache: &core::cell::Cell<u32>,
        receiver: Value,
    ) -> Option<Result<Value, Value>> {
        let o = self.heap.obj(holder);
        let i = o.props.find_cached(key, cache.get() as usize)?;
        cache.set(i as u32);
        let p = *o.props.get(i).unwrap();
        if p.stored.as_lazy_native().is_some() {
            return Some(self.resolve_lazy(holder, i));
        }
        Some(self.prop_value(p, receiver))
    }

    #[inline(never)]
    fn get_prop_cached(
        &mut self,
        obj: Value,
        a: crate::value::Atom,
        ic: u16,
        code: &Code,
    ) -> Result<Value, Value> {
        let key = Key::atom(a);
        if let Some(h) = obj.as_object() {
            let o = self.heap.obj(h);
            let cache = &code.caches[ic as usize];
            match &o.kind {
                ObjectKind::Ordinary
                | ObjectKind::Function(_)
                | ObjectKind::Native(_)
                | ObjectKind::Error => {
                    let guess = cache.get() as usize;
                    if let Some(p) = o.props.get(guess) {
                        if p.key == key
                            && p.flags & ACCESSOR == 0
                            && p.stored.as_lazy_native().is_none()
                        {
                            return Ok(p.stored);
                        }
                    }
                    if let Some(i) = o.props.find(key) {
                        cache.set(i as u32);
                        let p = *o.props.get(i).unwrap();
                        if p.stored.as_lazy_native().is_some() {
                            return self.resolve_lazy(h, i);
                        }
                        return self.prop_value(p, obj);
                    }
                    // Not own: look up the prototype chain directly for ordinary protos.
                    if matches!(o.kind, ObjectKind::Ordinary) {
                        let mut cur = o.proto();
                        while let Some(ph) = cur {
                            let po = self.heap.obj(ph);
                            // A function whose `name`/`length` are still lazy has them only
                            // after materialising: the slow path does that.
                            let plain = match &po.kind {
                                ObjectKind::Ordinary | ObjectKind::Array(_) => true,
                                ObjectKind::Function(fd) => !fd.lazy_props,
                                _ => false,
                            };
                            if !plain {
                                break;
                            }
                            let (is_array, next) =
                                (matches!(po.kind, ObjectKind::Array(_)), po.proto());
                            // The cache's guess serves a method found on a prototype too.
                            if let Some(v) = self.read_own_cached(ph, key, cache, obj) {
                                return v;
                            }
                            if is_array {
                                break;
                            }
                            cur = next;
                            if cur.is_none() {
                                return Ok(Value::UNDEFINED);
                            }
                        }
                    }
                }
                ObjectKind::Array(arr) if a == self.names.length => {
                    return Ok(Value::number(arr.len as f64));
                }
                _ => {}
            }
            return self.get_from(h, key, obj);
        }
        if obj.is_string() {
            if a == self.names.length {
                return Ok(Value::number(self.string_len(obj) as f64));
            }
            // A string's method (`s.charCodeAt`): found on `String.prototype` with the cache's
            // guess. An index is the string's own property, whatever the prototype has.
            if let Some(ph) = self.intr.string_prototype {
                if self.atoms.array_index(a).is_none() {
                    let cache = &code.caches[ic as usize];
                    if let Some(v) = self.read_own_cached(ph, key, cache, obj) {
                        return v;
                    }
                }
            }
        }
        self.get(obj, key)
    }

    #[inline(never)]
    fn set_prop_cached(
        &mut self,
        obj: Value,
        a: crate::value::Atom,
        ic: u16,
        code: &Code,
        v: Value,
    ) -> Result<(), Value> {
        let key = Key::atom(a);
        if let Some(h) = obj.as_object() {
            let o = self.heap.obj_mut(h);
            if let ObjectKind::Ordinary = o.kind {
                let cache = &code.caches[ic as usize];
                if let Some(i) = o.props.find_cached(key, cache.get() as usize) {
                    let p = o.props.get_mut(i);
                    if p.flags & (ACCESSOR | WRITABLE) == WRITABLE {
                        cache.set(i as u32);
                        p.stored = v;
                        return Ok(());
                    }
                }
            }
        }
        self.set(obj, key, v, code.strict)
    }

    #[inline(never)]
    fn delete_op(&mut self, obj: Value, key: Key, strict: bool) -> Result<bool, Value> {
        let o = self.to_object(obj)?;
        let ok = self.delete_property(o.as_object().unwrap(), key)?;
        if !ok && strict {
            let k = self.key_display(key);
            return Err(self.type_error(&alloc::format!("Cannot delete property '{k}'")));
        }
        Ok(ok)
    }

    /// Define an own data property, enumerable (object literal fields, class fields).
    #[inline(never)]
    fn define_field(&mut self, o: Handle, key: Key, v: Value) -> Result<(), Value> {
        let obj = self.heap.obj(o);
        if matches!(obj.kind, ObjectKind::Ordinary)
            && obj.extensible
            && obj.props.find(key).is_none()
        {
            let grown = self.heap.obj_mut(o).props.push(key, v, DEFAULT_FLAGS);
            return self.charge(grown);
        }
        self.define_property_or_throw(o, key, super::PropertyDescriptor::data(v, DEFAULT_FLAGS))
    }

    /// CopyDataProperties(target, source, excluded).
    pub fn copy_data_properties(
        &mut self,
        target: Handle,
        src: Value,
        excluded: &[Key],
    ) -> Result<(), Value> {
        if src.is_nullish() {
            return Ok(());
        }
        let from = self.to_object(src)?;
        let fh = from.as_object().unwrap();
        let mark = self.push_root(from);
        let keys = self.own_keys(fh)?;
        for k in keys {
            if excluded.contains(&k) {
                continue;
            }
            // Flags first: a built-in method not made yet (never enumerable) stays so.
            if self.own_enumerable(fh, k)? == Some(true) {
                let v = self.get(from, k)?;
                self.create_data_property(target, k, v)?;
            }
        }
        self.truncate_roots(mark);
        Ok(())
    }

    /// Create a closure for `code` in frame `fi`'s environment.
    #[inline(never)]
    fn make_closure(
        &mut self,
        fi: usize,
        code: &Rc<Code>,
        home: Option<Handle>,
    ) -> Result<Value, Value> {
        let frame = &self.frames[fi];
        let env = frame.env;
        let (this_val, new_target, home) = if code.kind == CodeKind::Arrow {
            let base = frame.base;
            let callee = self.stack[base - 2];
            let inherited_home = callee
                .as_object()
                .and_then(|c| match &self.heap.obj(c).kind {
                    ObjectKind::Function(fd) => match &fd.callable {
                        Callable::Closure { home, .. } => *home,
                        _ => None,
                    },
                    _ => None,
                });
            (self.stack[base - 1], frame.new_target, inherited_home)
        } else {
            (Value::UNDEFINED, Value::UNDEFINED, home)
        };
        let is_ctor = matches!(
            code.kind,
            CodeKind::Normal | CodeKind::ClassConstructor | CodeKind::DerivedConstructor
        );
        let is_class = matches!(
            code.kind,
            CodeKind::ClassConstructor | CodeKind::DerivedConstructor
        );
        let fd = FunctionData {
            callable: Callable::Closure {
                code: code.clone(),
                env,
                this_val,
                new_target,
                home,
                fields_init: None,
            },
            is_constructor: is_ctor,
            is_class_constructor: is_class,
            lazy_props: true,
        };
        self.alloc_object(
            self.intr.function_prototype,
            ObjectKind::Function(alloc::boxed::Box::new(fd)),
        )
    }

    #[inline(never)]
    fn define_method_op(
        &mut self,
        fi: usize,
        code: &Rc<Code>,
        target: Value,
        key: Key,
        flags: u8,
    ) -> Result<(), Value> {
        let th = target.as_object().unwrap();
        let f = self.make_closure(fi, code, Some(th))?;
        let fh = f.as_object().unwrap();
        // Name: the key (with a get/set prefix), set eagerly.
        let base_name = match key.as_atom() {
            Some(a) => Value::atom(a),
            None => {
                let d = self.heap.symbol(key.as_symbol().unwrap()).description;
                if d.is_undefined() {
                    Value::atom(self.names.empty)
                } else {
                    let inner = self.string_bytes(d).to_vec();
                    let mut s = alloc::vec![b'['];
                    s.extend_from_slice(&inner);
                    s.push(b']');
                    self.new_string_vec(s)?
                }
            }
        };
        let name = if flags & method_flags::GETTER != 0 {
            let p = self.intern("get ");
            self.concat(p, base_name)?
        } else if flags & method_flags::SETTER != 0 {
            let p = self.intern("set ");
            self.concat(p, base_name)?
        } else {
            base_name
        };
        self.materialize_function(fh)?;
        let nk = Key::atom(self.names.name);
        self.define_value(fh, nk, name, CONFIGURABLE);
        let enumerable = flags & method_flags::CLASS == 0;
        let mut desc = super::PropertyDescriptor {
            enumerable: Some(enumerable),
            configurable: Some(true),
            ..Default::default()
        };
        if flags & method_flags::GETTER != 0 {
            desc.get = Some(f);
        } else if flags & method_flags::SETTER != 0 {
            desc.set = Some(f);
        } else {
            desc.value = Some(f);
            desc.writable = Some(true);
        }
        self.define_property_or_throw(th, key, desc)
    }

    /// Set up a class: prototype chain of the constructor and its `prototype` object.
    #[inline(never)]
    fn make_class(&mut self, ctor: Value, heritage: Value) -> Result<Value, Value> {
        let ch = ctor.as_object().unwrap();
        let (proto_parent, ctor_parent) = if heritage.is_empty() {
            (self.intr.object_prototype, self.intr.function_prototype)
        } else if heritage.is_null() {
            (None, self.intr.function_prototype)
        } else {
            if !self.is_constructor(heritage) {
                return Err(self.type_error("Class extends value is not a constructor or null"));
            }
            let pp = self.get(heritage, Key::atom(self.names.prototype))?;
            if !pp.is_object() && !pp.is_null() {
                return Err(
                    self.type_error("Class extends value does not have valid prototype property")
                );
            }
            (pp.as_object(), heritage.as_object())
        };
        self.heap.obj_mut(ch).set_proto(ctor_parent);
        let proto = self.alloc_object(proto_parent, ObjectKind::Ordinary)?;
        let ph = proto.as_object().unwrap();
        self.materialize_function(ch)?;
        let pk = Key::atom(self.names.prototype);
        self.define_value(ch, pk, proto, 0);
        let ck = Key::atom(self.names.constructor);
        self.define_value(ph, ck, ctor, METHOD_FLAGS);
        // The constructor's home object is the prototype (for super.method() in it).
        if let ObjectKind::Function(fd) = &mut self.heap.obj_mut(ch).kind {
            if let Callable::Closure { home, .. } = &mut fd.callable {
                *home = Some(ph);
            }
        }
        Ok(proto)
    }

    /// The home object of the running function (for `super`).
    fn home_object(&self, fi: usize) -> Option<Handle> {
        let callee = self.stack[self.frames[fi].base - 2];
        match &self.heap.obj(callee.as_object()?).kind {
            ObjectKind::Function(fd) => match &fd.callable {
                Callable::Closure { home, .. } => *home,
                _ => None,
            },
            _ => None,
        }
    }

    #[inline(never)]
    fn super_get(&mut self, fi: usize, key: Key, this: Value) -> Result<Value, Value> {
        if this.is_empty() {
            return Err(self.reference_error(
                "Must call super constructor in derived class before accessing 'this'",
            ));
        }
        let Some(home) = self.home_object(fi) else {
            return Err(self.syntax_error("'super' keyword unexpected here"));
        };
        match self.get_prototype_of(home)? {
            Some(p) => self.get_from(p, key, this),
            None => Ok(Value::UNDEFINED),
        }
    }

    #[inline(never)]
    fn super_set(&mut self, fi: usize, key: Key, this: Value, v: Value) -> Result<(), Value> {
        let Some(home) = self.home_object(fi) else {
            return Err(self.syntax_error("'super' keyword unexpected here"));
        };
        match self.get_prototype_of(home)? {
            Some(p) => {
                let ok = self.set_on(p, key, v, this)?;
                if !ok {
                    return Err(self.type_error("Cannot assign to read only property"));
                }
                Ok(())
            }
            None => self.set(this, key, v, true),
        }
    }

    /// `super(...args)` in a derived constructor (or an arrow inside one).
    #[inline(never)]
    fn super_call(&mut self, fi: usize, args: &[Value]) -> Result<Value, Value> {
        // Find the derived constructor frame (arrows inherit it).
        let mut ci = fi;
        while self.frames[ci].code.kind == CodeKind::Arrow && ci > 0 {
            ci -= 1;
        }
        let base = self.frames[ci].base;
        let callee = self.stack[base - 2];
        let func = callee.as_object().unwrap();
        let parent = self.get_prototype_of(func)?;
        let Some(parent) = parent.filter(|p| self.is_constructor(Value::object(*p))) else {
            return Err(self.type_error("Super constructor is not a constructor"));
        };
        let nt = self.frames[ci].new_target;
        let this = self.construct(Value::object(parent), args, nt)?;
        if !self.stack[base - 1].is_empty() {
            return Err(self.reference_error("Super constructor may only be called once"));
        }
        self.stack[base - 1] = this;
        // Arrows created before super() captured an uninitialised `this`: patch the frame only.
        self.run_field_init_for(func, this)?;
        Ok(this)
    }

    pub(crate) fn run_field_init_for(&mut self, ctor: Handle, this: Value) -> Result<(), Value> {
        let init = match &self.heap.obj(ctor).kind {
            ObjectKind::Function(fd) => match &fd.callable {
                Callable::Closure { fields_init, .. } => *fields_init,
                _ => None,
            },
            _ => None,
        };
        if let Some(init) = init {
            self.call(Value::object(init), this, &[])?;
        }
        Ok(())
    }

    /// Spread an array value into a Vec (CallSpread operands are always fresh arrays).
    #[inline(never)]
    fn array_to_args(&mut self, arr: Value) -> Result<Vec<Value>, Value> {
        let h = arr.as_object().unwrap();
        match &self.heap.obj(h).kind {
            ObjectKind::Array(a) => {
                if a.elems.len() > 65535 {
                    return Err(self.range_error("Too many arguments in function call"));
                }
                Ok(a.elems
                    .iter()
                    .map(|v| if v.is_empty() { Value::UNDEFINED } else { *v })
                    .collect())
            }
            _ => Ok(Vec::new()),
        }
    }

    /// The `arguments` object of frame `fi` (unmapped).
    #[inline(never)]
    fn create_arguments(&mut self, fi: usize) -> Result<Value, Value> {
        let args = self.frames[fi].args.clone().unwrap_or_default();
        let strict = self.frames[fi].code.strict;
        let callee = self.stack[self.frames[fi].base - 2];
        let kind = match (self.frames[fi].code.mapped_arguments, self.frames[fi].env) {
            (true, Some(env)) => {
                let code = &self.frames[fi].code;
                let mapped = args.len().min(code.shape.params as usize);
                let map = (0..mapped as u32)
                    .map(|i| {
                        code.param_to_env
                            .iter()
                            .find(|&&(local, _)| local == i)
                            .map_or(u32::MAX, |&(_, slot)| slot)
                    })
                    .collect();
                ObjectKind::MappedArguments { env, map }
            }
            _ => ObjectKind::Arguments,
        };
        let o = self.alloc_object(self.intr.object_prototype, kind)?;
        let h = o.as_object().unwrap();
        for (i, v) in args.iter().enumerate() {
            let k = self.index_key(i as u32);
            self.define_value(h, k, *v, DEFAULT_FLAGS);
        }
        let lk = Key::atom(self.names.length);
        self.define_value(h, lk, Value::number(args.len() as f64), METHOD_FLAGS);
        let ik = Key::symbol(self.sym.iterator);
        let values = self.intr.array_values;
        self.define_value(h, ik, values, METHOD_FLAGS);
        let ck = Key::atom(self.names.callee);
        if strict {
            let tte = self.intr.throw_type_error;
            let acc =
                self.alloc_cell(Cell::Accessor(crate::heap::Accessor { get: tte, set: tte }))?;
            self.define_value(h, ck, Value::object(acc), ACCESSOR);
        } else {
            self.define_value(h, ck, callee, METHOD_FLAGS);
        }
        Ok(o)
    }

    /// A tagged template's strings object (with `raw`), frozen.
    #[inline(never)]
    fn template_object(&mut self, cooked: &[Value], raw: &[Value]) -> Result<Value, Value> {
        let raw_arr = self.new_array(raw.to_vec())?;
        let mark = self.push_root(raw_arr);
        let arr = self.new_array(cooked.to_vec())?;
        let ah = arr.as_object().unwrap();
        let rk = Key::atom(self.names.raw);
        self.define_value(ah, rk, raw_arr, 0);
        crate::builtins::freeze(self, raw_arr.as_object().unwrap())?;
        crate::builtins::freeze(self, ah)?;
        self.truncate_roots(mark);
        Ok(arr)
    }
}

impl Vm {
    /// HasBinding of a `with` object environment: the property exists and is not listed in
    /// the object's `Symbol.unscopables`.
    #[inline(never)]
    fn with_has(&mut self, obj: Value, key: Key) -> Result<bool, Value> {
        let h = obj.as_object().unwrap();
        if !self.has_property(h, key)? {
            return Ok(false);
        }
        let unscopables = self.get(obj, Key::symbol(self.sym.unscopables))?;
        if unscopables.is_object() {
            let blocked = self.get(unscopables, key)?;
            if self.to_boolean(blocked) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Push onto the interpreter's value stack: the common case (room left) inlined, growth out of
/// line. At `opt-level = "z"` (the firmware) `Vec::push` is a call at every use, about a tenth of
/// a simple loop's instructions on the C3 (scripts/rv32.sh).
#[inline(always)]
fn stack_push(stack: &mut Vec<Value>, v: Value) {
    if stack.len() < stack.capacity() {
        // SAFETY: `len < capacity`, so the slot at `len` is allocated and unused; it is written
        // before the length takes it in.
        unsafe {
            stack.as_mut_ptr().add(stack.len()).write(v);
            stack.set_len(stack.len() + 1);
        }
    } else {
        stack_push_growing(stack, v);
    }
}

#[inline(never)]
fn stack_push_growing(stack: &mut Vec<Value>, v: Value) {
    stack.push(v);
}

/// The `%` operator on numbers.
#[inline]
pub fn js_rem(x: f64, y: f64) -> f64 {
    if y == 0.0 || x.is_infinite() || x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if y.is_infinite() {
        return x;
    }
    if x >= 0.0 && y > 0.0 && x < 9007199254740992.0 && y < 9007199254740992.0 {
        let (xi, yi) = (x as u64, y as u64);
        if xi as f64 == x && yi as f64 == y {
            return (xi % yi) as f64;
        }
    }
    let r = libm::fmod(x, y);
    if r == 0.0 {
        // Keep the sign of the dividend.
        return if x.is_sign_negative() { -0.0 } else { 0.0 };
    }
    r
}

/// The `**` operator.
pub fn js_pow(x: f64, y: f64) -> f64 {
    if y.is_nan() {
        return f64::NAN;
    }
    if y == 0.0 {
        return 1.0;
    }
    if (x == 1.0 || x == -1.0) && y.is_infinite() {
        return f64::NAN;
    }
    libm::pow(x, y)
}
