//! Calling functions: frames for compiled code, natives, bound functions, `new`, and scripts.

use alloc::rc::Rc;
use alloc::vec::Vec;

use super::{ErrorKind, Frame, Vm, MAX_NATIVE_DEPTH};
use crate::bytecode::{Code, CodeKind};
use crate::engine::NativeFn;
use crate::heap::{Cell, Env, Handle};
use crate::object::*;
use crate::value::Value;

/// What [`Vm::invoke`] did.
pub(crate) enum Invoked {
    /// A frame was pushed; the interpreter continues in it.
    Frame,
    /// The call completed; its result replaced the callee, `this` and arguments on the stack.
    Done,
}

impl Vm {
    /// Call `f` with `this` and `args` and run it to completion.
    pub fn call(&mut self, f: Value, this: Value, args: &[Value]) -> Result<Value, Value> {
        self.call_nested(f, this, args, None)
    }

    /// Same as [`Vm::call`] (the name the embedding API uses).
    pub fn call_value(&mut self, f: Value, this: Value, args: &[Value]) -> Result<Value, Value> {
        self.call(f, this, args)
    }

    /// `new f(...args)` with `new_target` (usually `f`).
    pub fn construct(
        &mut self,
        f: Value,
        args: &[Value],
        new_target: Value,
    ) -> Result<Value, Value> {
        self.call_nested(f, Value::UNDEFINED, args, Some(new_target))
    }

    fn call_nested(
        &mut self,
        f: Value,
        this: Value,
        args: &[Value],
        new_target: Option<Value>,
    ) -> Result<Value, Value> {
        if self.native_depth >= MAX_NATIVE_DEPTH || !crate::stack::has_room(self.stack_floor) {
            return Err(self.make_error(ErrorKind::Range, "Maximum call stack size exceeded"));
        }
        let depth = self.frames.len();
        let sp = self.stack.len();
        self.stack.push(f);
        self.stack.push(this);
        self.stack.extend_from_slice(args);
        match self.invoke(args.len(), new_target) {
            Ok(Invoked::Done) => Ok(self.stack.pop().unwrap_or(Value::UNDEFINED)),
            Ok(Invoked::Frame) => {
                self.frames.last_mut().unwrap().boundary = true;
                self.native_depth += 1;
                let r = self.run_frames(depth);
                self.native_depth -= 1;
                match r {
                    Ok(Some(v)) => Ok(v),
                    Ok(None) => {
                        Err(self.make_error(ErrorKind::Internal, "yield inside a native call"))
                    }
                    Err(e) => {
                        self.stack.truncate(sp);
                        Err(e)
                    }
                }
            }
            Err(e) => {
                self.stack.truncate(sp);
                Err(e)
            }
        }
    }

    /// Invoke the callee at `stack[len - argc - 2]` (then `this`, then the arguments).
    /// `construct` holds `new.target` for `new` calls.
    #[inline(never)]
    pub(crate) fn invoke(
        &mut self,
        argc: usize,
        construct: Option<Value>,
    ) -> Result<Invoked, Value> {
        let fpos = self.stack.len() - argc - 2;
        let f = self.stack[fpos];
        let Some(fh) = f.as_object() else {
            return Err(self.not_callable(f, construct.is_some()));
        };
        if let ObjectKind::Native(n) = self.heap.obj(fh).kind {
            if construct.is_some() && !n.is_constructor {
                return Err(self.not_callable(f, true));
            }
            return self.invoke_native(n.f, fpos, construct);
        }
        let ObjectKind::Function(fd) = &self.heap.obj(fh).kind else {
            return Err(self.not_callable(f, construct.is_some()));
        };
        if construct.is_some() && !fd.is_constructor {
            return Err(self.not_callable(f, true));
        }
        match &fd.callable {
            Callable::Closure {
                code,
                env,
                this_val,
                new_target,
                ..
            } => {
                let code = code.clone();
                let env = *env;
                let (captured_this, captured_nt) = (*this_val, *new_target);
                if fd.is_class_constructor && construct.is_none() {
                    return Err(
                        self.type_error("Class constructor cannot be invoked without 'new'")
                    );
                }
                let (this, nt) = match code.kind {
                    CodeKind::Arrow => (captured_this, captured_nt),
                    _ => match construct {
                        Some(nt) => {
                            if code.kind == CodeKind::DerivedConstructor {
                                (Value::EMPTY, nt)
                            } else {
                                let proto =
                                    self.proto_from_new_target(nt, self.intr.object_prototype)?;
                                (self.alloc_object(proto, ObjectKind::Ordinary)?, nt)
                            }
                        }
                        None => {
                            let t = self.stack[fpos + 1];
                            let t = if code.strict {
                                t
                            } else if t.is_nullish() {
                                Value::object(self.global)
                            } else if !t.is_object() {
                                self.to_object(t)?
                            } else {
                                t
                            };
                            (t, Value::UNDEFINED)
                        }
                    },
                };
                self.stack[fpos + 1] = this;
                self.push_frame(code, env, fpos, argc, nt, construct.is_some())?;
                if construct.is_some()
                    && self.frames.last().unwrap().code.kind == CodeKind::ClassConstructor
                {
                    self.run_field_init(fh, this)?;
                }
                Ok(Invoked::Frame)
            }
            Callable::Bound {
                target,
                this_val,
                args,
            } => {
                let target = *target;
                let bound_this = *this_val;
                let bound_args = args.clone();
                self.stack[fpos] = Value::object(target);
                if construct.is_none() {
                    self.stack[fpos + 1] = bound_this;
                }
                // Insert the bound arguments before the call's arguments.
                let at = fpos + 2;
                let tail: Vec<Value> = self.stack.drain(at..).collect();
                self.stack.extend_from_slice(&bound_args);
                self.stack.extend_from_slice(&tail);
                let nt = construct.map(|nt| if nt == f { Value::object(target) } else { nt });
                // A chain of bound functions (at most `MAX_BIND_DEPTH`) recurses here.
                if !crate::stack::has_room(self.stack_floor) {
                    return Err(
                        self.make_error(ErrorKind::Range, "Maximum call stack size exceeded")
                    );
                }
                self.invoke(argc + bound_args.len(), nt)
            }
        }
    }

    /// Call native `native` below its arguments at `fpos`; its result replaces them.
    fn invoke_native(
        &mut self,
        native: NativeFn,
        fpos: usize,
        construct: Option<Value>,
    ) -> Result<Invoked, Value> {
        let this = self.stack[fpos + 1];
        let mut buf = self.arg_pool.pop().unwrap_or_default();
        buf.extend_from_slice(&self.stack[fpos + 2..]);
        let saved_nt = self.native_new_target;
        self.native_new_target = construct.unwrap_or(Value::UNDEFINED);
        self.native_depth += 1;
        // Roots a native leaves behind (say on an error path) go when it returns.
        let roots = self.roots_len();
        let r = if self.native_depth > MAX_NATIVE_DEPTH || !crate::stack::has_room(self.stack_floor)
        {
            Err(self.make_error(ErrorKind::Range, "Maximum call stack size exceeded"))
        } else {
            native(self, this, &buf)
        };
        self.native_depth -= 1;
        self.truncate_roots(roots);
        self.native_new_target = saved_nt;
        buf.clear();
        self.arg_pool.push(buf);
        let v = r?;
        self.stack.truncate(fpos);
        self.stack.push(v);
        Ok(Invoked::Done)
    }

    fn not_callable(&mut self, f: Value, construct: bool) -> Value {
        let what = self.describe_value(f);
        let msg = if construct {
            alloc::format!("{what} is not a constructor")
        } else {
            alloc::format!("{what} is not a function")
        };
        self.type_error(&msg)
    }

    /// Set up a frame for `code`; the callee is at `fpos` with `argc` arguments above `this`.
    #[inline(never)]
    pub(crate) fn push_frame(
        &mut self,
        code: Rc<Code>,
        env: Option<Handle>,
        fpos: usize,
        argc: usize,
        new_target: Value,
        construct: bool,
    ) -> Result<(), Value> {
        if self.frames.len() >= self.config.max_call_depth as usize {
            return Err(self.make_error(ErrorKind::Range, "Maximum call stack size exceeded"));
        }
        let base = fpos + 2;
        let shape = code.shape;
        let params = shape.params as usize;
        let args = if code.needs_args {
            Some(self.stack[base..base + argc].to_vec())
        } else {
            None
        };
        if argc > params {
            self.stack.truncate(base + params);
        }
        let locals = shape.locals as usize;
        self.stack
            .resize(base + locals.max(params), Value::UNDEFINED);
        let env = if shape.env_slots > 0 {
            let mut slots = alloc::vec![Value::UNDEFINED; shape.env_slots as usize];
            for &(local, slot) in code.param_to_env.iter() {
                slots[slot as usize] = self.stack[base + local as usize];
            }
            let h = self.alloc_cell(Cell::Env(Env { parent: env, slots }))?;
            Some(h)
        } else {
            env
        };
        self.frames.push(Frame {
            code,
            pc: 0,
            base,
            env,
            new_target,
            args,
            construct,
            boundary: false,
        });
        Ok(())
    }

    /// Run a class's instance field initialiser on `this` for the frame just pushed.
    pub(crate) fn run_field_init(&mut self, ctor: Handle, this: Value) -> Result<(), Value> {
        // The new frame is not running yet: run the initialiser nested, below it.
        let frame = self.frames.pop().unwrap();
        let r = self.run_field_init_for(ctor, this);
        self.frames.push(frame);
        r
    }

    /// Start a script: global declarations, then a frame (not yet run).
    pub(crate) fn enter_script(&mut self, code: Rc<Code>) -> Result<(), Value> {
        self.declare_globals(&code)?;
        let fpos = self.stack.len();
        self.stack.push(Value::UNDEFINED);
        self.stack.push(Value::object(self.global));
        self.push_frame(code, None, fpos, 0, Value::UNDEFINED, false)
    }

    /// Run a script nested in the current execution (eval, `$262.evalScript`).
    pub(crate) fn run_script_nested(&mut self, code: Rc<Code>) -> Result<Value, Value> {
        if !crate::stack::has_room(self.stack_floor) {
            return Err(self.make_error(ErrorKind::Range, "Maximum call stack size exceeded"));
        }
        let depth = self.frames.len();
        let sp = self.stack.len();
        if let Err(e) = self.enter_script(code) {
            self.stack.truncate(sp);
            return Err(e);
        }
        self.frames.last_mut().unwrap().boundary = true;
        self.native_depth += 1;
        let r = self.run_frames(depth);
        self.native_depth -= 1;
        match r {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(self.make_error(ErrorKind::Internal, "yield inside a nested script")),
            Err(e) => {
                self.stack.truncate(sp);
                Err(e)
            }
        }
    }

    /// GlobalDeclarationInstantiation.
    fn declare_globals(&mut self, code: &Code) -> Result<(), Value> {
        let global = self.global;
        for &(name, _) in code.global_lexicals.iter() {
            let key = Key::atom(name);
            if let Some(d) = self.own_attributes(global, key)? {
                if d.configurable == Some(false) {
                    let n = self.key_display(key);
                    return Err(self.make_error(
                        ErrorKind::Syntax,
                        &alloc::format!("Identifier '{n}' has already been declared"),
                    ));
                }
            }
        }
        while self.global_lex_values.len() < self.global_lex.names.len() {
            self.global_lex_values.push(Value::EMPTY);
        }
        for &name in code.global_vars.iter() {
            let key = Key::atom(name);
            if !self.has_own_property(global, key)? {
                if !self.heap.obj(global).extensible {
                    let n = self.key_display(key);
                    return Err(
                        self.type_error(&alloc::format!("Cannot define global variable '{n}'"))
                    );
                }
                self.define_value(global, key, Value::UNDEFINED, WRITABLE | ENUMERABLE);
            }
        }
        Ok(())
    }

    /// A short description of a value for error messages.
    pub fn describe_value(&mut self, v: Value) -> alloc::string::String {
        use crate::value::Kind;
        match v.kind() {
            Kind::Object(h) => {
                if self.heap.obj(h).is_callable() {
                    let name = self
                        .get_own_data(h, Key::atom(self.names.name))
                        .unwrap_or(Value::UNDEFINED);
                    if name.is_string() && self.string_len(name) > 0 {
                        return alloc::string::String::from_utf8_lossy(self.string_bytes(name))
                            .into_owned();
                    }
                    return "function".into();
                }
                "object".into()
            }
            Kind::Atom(_) | Kind::String(_) => {
                let b = self.string_bytes(v);
                let s = alloc::string::String::from_utf8_lossy(&b[..b.len().min(40)]).into_owned();
                alloc::format!("\"{s}\"")
            }
            _ => self.display_string(v),
        }
    }
}
