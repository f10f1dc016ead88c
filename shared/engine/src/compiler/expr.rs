//! Expressions, assignment targets and patterns, functions and classes.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use super::*;
use crate::bytecode::method_flags;

impl<'a, 'c> Compiler<'a, 'c> {
    pub(super) fn expr(&mut self, e: &'a Expr) -> CResult<()> {
        self.set_pos(e.pos);
        if !crate::stack::has_room(self.stack_floor) {
            return self.err(e.pos, "nesting too deep");
        }
        match &e.kind {
            ExprKind::Number(n) => self.number(*n),
            ExprKind::Str(s) => self.string(s),
            ExprKind::Template { quasis, exprs } => {
                self.string(&quasis[0]);
                for (i, x) in exprs.iter().enumerate() {
                    self.expr(x)?;
                    self.emit(Op::ToStr);
                    self.emit(Op::Add);
                    if !quasis[i + 1].is_empty() {
                        self.string(&quasis[i + 1]);
                        self.emit(Op::Add);
                    }
                }
            }
            ExprKind::TaggedTemplate {
                tag,
                cooked,
                raw,
                exprs,
            } => {
                self.callee(tag)?;
                for c in cooked {
                    match c {
                        Some(s) => self.string(s),
                        None => {
                            self.emit(Op::Undefined);
                        }
                    }
                }
                for r in raw {
                    self.string(r);
                }
                self.emit(Op::TemplateObject(cooked.len() as u32));
                for x in exprs {
                    self.expr(x)?;
                }
                self.set_pos(e.pos);
                self.emit(Op::Call((exprs.len() + 1) as u16));
            }
            ExprKind::Regex { pattern, flags } => {
                let p = self.atom_bytes(pattern);
                let fl = self.atom_bytes(flags);
                let f = self.f();
                f.regexps.push((p, fl));
                let i = f.regexps.len() as u32 - 1;
                self.emit(Op::RegExp(i));
            }
            ExprKind::Ident(n) => {
                if n == "undefined" && self.resolve(n).0 == Loc::GlobalVar {
                    self.emit(Op::Undefined);
                } else {
                    self.load_name(n);
                }
            }
            ExprKind::This => {
                self.emit(Op::This);
            }
            ExprKind::Null => {
                self.emit(Op::Null);
            }
            ExprKind::Bool(b) => {
                self.emit(if *b { Op::True } else { Op::False });
            }
            ExprKind::Array(elems) => {
                self.emit(Op::NewArray);
                for el in elems {
                    match el {
                        ArrayElem::Hole => {
                            self.emit(Op::ArrayHole);
                        }
                        ArrayElem::Expr(x) => {
                            self.expr(x)?;
                            self.emit(Op::ArrayPush);
                        }
                        ArrayElem::Spread(x) => {
                            self.expr(x)?;
                            self.emit(Op::ArraySpread);
                        }
                    }
                }
            }
            ExprKind::Object(props) => self.object_literal(props)?,
            ExprKind::Function(f) => {
                let idx = self.function_code(f)?;
                self.emit(Op::Closure(idx));
            }
            ExprKind::Class(c) => self.class_expr(c, None)?,
            ExprKind::Unary(op, x) => self.unary(*op, x)?,
            ExprKind::Update {
                prefix,
                delta,
                target,
            } => self.update(*prefix, *delta, target)?,
            ExprKind::Binary(op, a, b) => {
                self.expr(a)?;
                self.expr(b)?;
                self.set_pos(e.pos);
                self.emit(binary_op(*op));
            }
            ExprKind::Logical(op, a, b) => {
                self.expr(a)?;
                let j = self.emit(match op {
                    LogicalOp::And => Op::JumpIfFalseKeep(0),
                    LogicalOp::Or => Op::JumpIfTrueKeep(0),
                    LogicalOp::Nullish => Op::JumpIfNotNullishKeep(0),
                });
                self.expr(b)?;
                self.patch(j);
            }
            ExprKind::Assign(op, target, value) => self.assign(*op, target, value)?,
            ExprKind::Cond(t, a, b) => {
                self.expr(t)?;
                let j = self.emit(Op::JumpIfFalse(0));
                self.expr(a)?;
                let j2 = self.emit(Op::Jump(0));
                self.patch(j);
                self.expr(b)?;
                self.patch(j2);
            }
            ExprKind::Call {
                callee,
                args,
                optional: false,
            } if self.is_direct_eval(callee, args) => {
                self.callee(callee)?;
                for a in args {
                    if let Arg::Expr(x) = a {
                        self.expr(x)?;
                    }
                }
                self.set_pos(e.pos);
                let site = self.eval_site(args.len() as u16);
                self.emit(Op::DirectEval(site));
            }
            ExprKind::Call {
                callee,
                args,
                optional,
            } => {
                self.callee(callee)?;
                if *optional {
                    self.chain_jump(1);
                }
                self.call_args(args, e.pos)?;
            }
            ExprKind::New { callee, args } => {
                self.expr(callee)?;
                if args.iter().any(|a| matches!(a, Arg::Spread(_))) {
                    self.spread_array(args)?;
                    self.set_pos(e.pos);
                    self.emit(Op::NewSpread);
                } else {
                    for a in args {
                        if let Arg::Expr(x) = a {
                            self.expr(x)?;
                        }
                    }
                    self.set_pos(e.pos);
                    self.emit(Op::New(args.len() as u16));
                }
            }
            ExprKind::Member {
                obj,
                prop,
                optional,
            } => self.member(obj, prop, *optional, e.pos, false)?,
            ExprKind::OptionalChain(inner) => {
                self.chains.push(Vec::new());
                self.expr(inner)?;
                let jumps = self.chains.pop().unwrap_or_default();
                let end = self.emit(Op::Jump(0));
                for j in jumps {
                    self.patch(j);
                }
                self.emit(Op::Undefined);
                self.patch(end);
            }
            ExprKind::SuperMember(k) => match k {
                PropKey::Static(name) => {
                    let a = self.atom_bytes(name);
                    self.emit(Op::GetSuper(a));
                }
                PropKey::Computed(x) => {
                    self.expr(x)?;
                    self.emit(Op::GetSuperElem);
                }
            },
            ExprKind::SuperCall(args) => {
                if args.iter().any(|a| matches!(a, Arg::Spread(_))) {
                    self.spread_array(args)?;
                    self.set_pos(e.pos);
                    self.emit(Op::SuperCallSpread);
                } else {
                    for a in args {
                        if let Arg::Expr(x) = a {
                            self.expr(x)?;
                        }
                    }
                    self.set_pos(e.pos);
                    self.emit(Op::SuperCall(args.len() as u16));
                }
            }
            ExprKind::NewTarget => {
                self.emit(Op::NewTarget);
            }
            ExprKind::Seq(es) => {
                for (i, x) in es.iter().enumerate() {
                    self.expr(x)?;
                    if i + 1 < es.len() {
                        self.emit(Op::Pop);
                    }
                }
            }
        }
        Ok(())
    }

    /// `eval(…)` calling the global `eval` (not a local binding named `eval`, no spread).
    fn is_direct_eval(&mut self, callee: &Expr, args: &[Arg]) -> bool {
        matches!(&callee.kind, ExprKind::Ident(n) if n == "eval")
            && args.len() < 1000
            && args.iter().all(|a| matches!(a, Arg::Expr(_)))
            && self.resolve("eval").0 == Loc::GlobalVar
    }

    /// An expression whose value is not used: `i++` compiles as `++i` (fewer instructions).
    pub(super) fn expr_discarded(&mut self, e: &'a Expr) -> CResult<()> {
        match &e.kind {
            ExprKind::Update {
                prefix: false,
                delta,
                target,
            } => {
                self.set_pos(e.pos);
                self.update(true, *delta, target)?;
            }
            _ => self.expr(e)?,
        }
        self.emit(Op::Pop);
        Ok(())
    }

    /// An expression whose anonymous function/class gets `name` (`let f = () => {}`).
    pub(super) fn expr_named(&mut self, e: &'a Expr, name: Option<&str>) -> CResult<()> {
        if let Some(n) = name {
            match &e.kind {
                ExprKind::Function(f) if f.name.is_none() => {
                    self.set_pos(e.pos);
                    let code = self.compile_function(f, Some(n))?;
                    let fs = self.f();
                    fs.functions.push(code);
                    let idx = fs.functions.len() as u32 - 1;
                    self.emit(Op::Closure(idx));
                    return Ok(());
                }
                ExprKind::Class(c) if c.name.is_none() => return self.class_expr(c, Some(n)),
                _ => {}
            }
        }
        self.expr(e)
    }

    fn chain_jump(&mut self, extra: u8) {
        let j = self.emit(Op::JumpIfNullish(0, extra));
        if let Some(c) = self.chains.last_mut() {
            c.push(j);
        }
    }

    /// `obj.prop` / `obj[prop]` (`obj?.…` when `optional`); as a callee (`method`) it pushes
    /// `function this`.
    fn member(
        &mut self,
        obj: &'a Expr,
        prop: &'a PropKey,
        optional: bool,
        pos: Pos,
        method: bool,
    ) -> CResult<()> {
        self.expr(obj)?;
        if optional {
            self.chain_jump(0);
        }
        self.set_pos(pos);
        match prop {
            PropKey::Static(name) => {
                let a = self.atom_bytes(name);
                let c = self.cache();
                self.emit(if method {
                    Op::GetMethod(a, c)
                } else {
                    Op::GetProp(a, c)
                });
            }
            PropKey::Computed(k) => {
                self.expr(k)?;
                self.set_pos(pos);
                self.emit(if method {
                    Op::GetMethodElem
                } else {
                    Op::GetElem
                });
            }
        }
        Ok(())
    }

    /// Push `function this` for a call.
    fn callee(&mut self, callee: &'a Expr) -> CResult<()> {
        match &callee.kind {
            ExprKind::Member {
                obj,
                prop,
                optional,
            } => self.member(obj, prop, *optional, callee.pos, true)?,
            ExprKind::SuperMember(PropKey::Static(name)) => {
                let a = self.atom_bytes(name);
                self.emit(Op::GetSuperMethod(a));
            }
            ExprKind::SuperMember(PropKey::Computed(k)) => {
                self.expr(k)?;
                self.emit(Op::GetSuperElem);
                self.emit(Op::This);
            }
            ExprKind::Ident(n) => {
                self.set_pos(callee.pos);
                self.load_callee_name(n);
            }
            _ => {
                self.expr(callee)?;
                self.emit(Op::Undefined);
            }
        }
        Ok(())
    }

    fn call_args(&mut self, args: &'a [Arg], pos: Pos) -> CResult<()> {
        if args.iter().any(|a| matches!(a, Arg::Spread(_))) {
            self.spread_array(args)?;
            self.set_pos(pos);
            self.emit(Op::CallSpread);
        } else {
            if args.len() > u16::MAX as usize {
                return self.err(pos, "too many arguments");
            }
            for a in args {
                if let Arg::Expr(x) = a {
                    self.expr(x)?;
                }
            }
            self.set_pos(pos);
            self.emit(Op::Call(args.len() as u16));
        }
        Ok(())
    }

    fn spread_array(&mut self, args: &'a [Arg]) -> CResult<()> {
        self.emit(Op::NewArray);
        for a in args {
            match a {
                Arg::Expr(x) => {
                    self.expr(x)?;
                    self.emit(Op::ArrayPush);
                }
                Arg::Spread(x) => {
                    self.expr(x)?;
                    self.emit(Op::ArraySpread);
                }
            }
        }
        Ok(())
    }

    fn unary(&mut self, op: UnaryOp, x: &'a Expr) -> CResult<()> {
        match op {
            UnaryOp::Typeof => {
                if let ExprKind::Ident(n) = &x.kind {
                    self.load_name_for_typeof(n);
                } else {
                    self.expr(x)?;
                }
                self.emit(Op::Typeof);
            }
            UnaryOp::Delete => match &x.kind {
                ExprKind::Member {
                    obj,
                    prop,
                    optional: false,
                } => {
                    self.expr(obj)?;
                    match prop {
                        PropKey::Static(name) => {
                            let a = self.atom_bytes(name);
                            self.emit(Op::DeleteProp(a));
                        }
                        PropKey::Computed(k) => {
                            self.expr(k)?;
                            self.emit(Op::DeleteElem);
                        }
                    }
                }
                ExprKind::Ident(n) => {
                    let a = self.atom(n);
                    let withs = self.with_objects_for(n);
                    let ends = self.with_checks(&withs, n, &mut |c| {
                        c.emit(Op::DeleteProp(a));
                    });
                    let (loc, _, _) = self.resolve(n);
                    if loc == Loc::GlobalVar {
                        self.emit(Op::GlobalObject);
                        self.emit(Op::DeleteProp(a));
                    } else {
                        self.emit(Op::False);
                    }
                    for j in ends {
                        self.patch(j);
                    }
                }
                ExprKind::OptionalChain(_) => {
                    self.expr(x)?;
                    self.emit(Op::Pop);
                    self.emit(Op::True);
                }
                _ => {
                    self.expr(x)?;
                    self.emit(Op::Pop);
                    self.emit(Op::True);
                }
            },
            UnaryOp::Void => {
                self.expr(x)?;
                self.emit(Op::Pop);
                self.emit(Op::Undefined);
            }
            _ => {
                self.expr(x)?;
                self.emit(match op {
                    UnaryOp::Neg => Op::Neg,
                    UnaryOp::Plus => Op::ToNumber,
                    UnaryOp::Not => Op::Not,
                    UnaryOp::BitNot => Op::BitNot,
                    UnaryOp::Void | UnaryOp::Typeof | UnaryOp::Delete => unreachable!(),
                });
            }
        }
        Ok(())
    }

    fn update(&mut self, prefix: bool, delta: i8, target: &'a Pattern) -> CResult<()> {
        let step = if delta > 0 { Op::Inc } else { Op::Dec };
        match target {
            Pattern::Ident(n) => {
                let tmp = if prefix { None } else { Some(self.temp()) };
                self.read_modify_write_name(n, tmp, &mut |c| {
                    c.emit_update_step(step, tmp);
                    Ok(())
                })?;
            }
            Pattern::Member(m) => {
                let ExprKind::Member { obj, prop, .. } = &m.kind else {
                    return self.err(m.pos, "invalid update target");
                };
                self.expr(obj)?;
                let tmp = if prefix { None } else { Some(self.temp()) };
                match prop {
                    PropKey::Static(name) => {
                        let a = self.atom_bytes(name);
                        self.emit(Op::Dup);
                        let c = self.cache();
                        self.emit(Op::GetProp(a, c));
                        self.emit_update_step(step, tmp);
                        let c = self.cache();
                        self.emit(Op::SetProp(a, c));
                    }
                    PropKey::Computed(k) => {
                        self.expr(k)?;
                        self.emit(Op::ToKey);
                        self.emit(Op::Dup2);
                        self.emit(Op::GetElem);
                        self.emit_update_step(step, tmp);
                        self.emit(Op::SetElem);
                    }
                }
                if let Some(t) = tmp {
                    self.emit(Op::Pop);
                    self.emit(Op::GetLocal(t));
                }
            }
            _ => return self.err(Pos::default(), "invalid update target"),
        }
        Ok(())
    }

    /// `name = modify(name)`, leaving the new value (or, with `result`, that local) on the stack.
    /// `modify` turns the old value on top of the stack into the new one. Inside `with`, the
    /// reference is resolved once: the same object is read and written.
    fn read_modify_write_name(
        &mut self,
        n: &str,
        result: Option<u32>,
        modify: &mut dyn FnMut(&mut Self) -> CResult<()>,
    ) -> CResult<()> {
        let withs = self.with_objects_for(n);
        let a = self.atom(n);
        let mut ends = Vec::new();
        for (depth, slot) in withs {
            self.emit(Op::GetEnv(depth, slot));
            self.emit(Op::WithHas(a));
            let miss = self.emit(Op::JumpIfFalse(0));
            self.emit(Op::Dup);
            let ic = self.cache();
            self.emit(Op::GetProp(a, ic));
            modify(self)?;
            self.emit_with_set(a);
            ends.push(self.emit(Op::Jump(0)));
            self.patch(miss);
            self.emit(Op::Pop);
        }
        self.load_name_static(n);
        modify(self)?;
        self.store_name_static(n, false);
        for j in ends {
            self.patch(j);
        }
        if let Some(t) = result {
            self.emit(Op::Pop);
            self.emit(Op::GetLocal(t));
        }
        Ok(())
    }

    fn emit_update_step(&mut self, step: Op, tmp: Option<u32>) {
        if let Some(t) = tmp {
            self.emit(Op::ToNumeric);
            self.emit(Op::SetLocal(t));
        }
        self.emit(step);
    }

    fn assign(&mut self, op: AssignOp, target: &'a Pattern, value: &'a Expr) -> CResult<()> {
        match (op, target) {
            (AssignOp::Assign, Pattern::Ident(n)) => {
                self.expr_named(value, Some(n))?;
                self.store_name(n, false);
            }
            (AssignOp::Assign, Pattern::Member(m)) => {
                let ExprKind::Member { obj, prop, .. } = &m.kind else {
                    return self.assign_super(m, value);
                };
                self.expr(obj)?;
                match prop {
                    PropKey::Static(name) => {
                        self.expr(value)?;
                        let a = self.atom_bytes(name);
                        let c = self.cache();
                        self.set_pos(m.pos);
                        self.emit(Op::SetProp(a, c));
                    }
                    PropKey::Computed(k) => {
                        self.expr(k)?;
                        self.emit(Op::ToKey);
                        self.expr(value)?;
                        self.set_pos(m.pos);
                        self.emit(Op::SetElem);
                    }
                }
            }
            (AssignOp::Assign, p) => {
                self.expr(value)?;
                self.emit(Op::Dup);
                self.assign_pattern(p)?;
            }
            (AssignOp::Op(bop), Pattern::Ident(n)) => {
                self.read_modify_write_name(n, None, &mut |c| {
                    c.expr(value)?;
                    c.emit(binary_op(bop));
                    Ok(())
                })?;
            }
            (AssignOp::Logical(lop), Pattern::Ident(n)) => {
                self.load_name(n);
                let j = self.emit(logical_keep_jump(lop));
                self.expr_named(value, Some(n))?;
                self.store_name(n, false);
                self.patch(j);
            }
            (_, Pattern::Member(m)) => {
                let ExprKind::Member { obj, prop, .. } = &m.kind else {
                    return self.err(m.pos, "unsupported assignment target");
                };
                self.expr(obj)?;
                let set = match prop {
                    PropKey::Static(name) => {
                        let a = self.atom_bytes(name);
                        self.emit(Op::Dup);
                        let c = self.cache();
                        self.emit(Op::GetProp(a, c));
                        let c = self.cache();
                        Op::SetProp(a, c)
                    }
                    PropKey::Computed(k) => {
                        self.expr(k)?;
                        self.emit(Op::ToKey);
                        self.emit(Op::Dup2);
                        self.emit(Op::GetElem);
                        Op::SetElem
                    }
                };
                let keep = if matches!(set, Op::SetElem) { 2 } else { 1 };
                match op {
                    AssignOp::Op(bop) => {
                        self.expr(value)?;
                        self.emit(binary_op(bop));
                        self.set_pos(m.pos);
                        self.emit(set);
                    }
                    AssignOp::Logical(lop) => {
                        let j = self.emit(logical_keep_jump(lop));
                        self.expr(value)?;
                        self.emit(set);
                        let end = self.emit(Op::Jump(0));
                        self.patch(j);
                        // Short-circuit: drop the object (and key) under the kept value.
                        let t = self.temp();
                        self.emit(Op::PutLocal(t));
                        for _ in 0..keep {
                            self.emit(Op::Pop);
                        }
                        self.emit(Op::GetLocal(t));
                        self.patch(end);
                    }
                    AssignOp::Assign => unreachable!(),
                }
            }
            _ => return self.err(Pos::default(), "invalid assignment target"),
        }
        Ok(())
    }

    fn assign_super(&mut self, m: &'a Expr, value: &'a Expr) -> CResult<()> {
        match &m.kind {
            ExprKind::SuperMember(PropKey::Static(name)) => {
                self.expr(value)?;
                let a = self.atom_bytes(name);
                self.emit(Op::SetSuper(a));
            }
            ExprKind::SuperMember(PropKey::Computed(k)) => {
                self.expr(k)?;
                self.emit(Op::ToKey);
                self.expr(value)?;
                self.emit(Op::SetSuperElem);
            }
            _ => return self.err(m.pos, "invalid assignment target"),
        }
        Ok(())
    }

    /// Bind a declaration pattern to the value on the stack (consumes it).
    pub(super) fn bind_pattern(&mut self, p: &'a Pattern, init: bool) -> CResult<()> {
        self.destructure(p, &mut |c, name| {
            c.put_name(name, init);
            Ok(())
        })
    }

    /// Assign to an assignment pattern the value on the stack (consumes it).
    pub(super) fn assign_pattern(&mut self, p: &'a Pattern) -> CResult<()> {
        self.destructure(p, &mut |c, name| {
            c.store_name(name, false);
            c.emit(Op::Pop);
            Ok(())
        })
    }

    fn destructure(
        &mut self,
        p: &'a Pattern,
        bind: &mut dyn FnMut(&mut Self, &str) -> CResult<()>,
    ) -> CResult<()> {
        match p {
            Pattern::Ident(n) => bind(self, n),
            Pattern::Member(m) => {
                let tmp = self.temp();
                self.emit(Op::PutLocal(tmp));
                match &m.kind {
                    ExprKind::Member { obj, prop, .. } => {
                        self.expr(obj)?;
                        match prop {
                            PropKey::Static(name) => {
                                self.emit(Op::GetLocal(tmp));
                                let a = self.atom_bytes(name);
                                let c = self.cache();
                                self.emit(Op::SetProp(a, c));
                            }
                            PropKey::Computed(k) => {
                                self.expr(k)?;
                                self.emit(Op::ToKey);
                                self.emit(Op::GetLocal(tmp));
                                self.emit(Op::SetElem);
                            }
                        }
                    }
                    ExprKind::SuperMember(PropKey::Static(name)) => {
                        self.emit(Op::GetLocal(tmp));
                        let a = self.atom_bytes(name);
                        self.emit(Op::SetSuper(a));
                    }
                    _ => return self.err(m.pos, "invalid assignment target"),
                }
                self.emit(Op::Pop);
                Ok(())
            }
            Pattern::Default(inner, dflt) => {
                let j = self.emit(Op::JumpIfNotUndefined(0));
                let name = if let Pattern::Ident(n) = &**inner {
                    Some(n.as_str())
                } else {
                    None
                };
                self.expr_named(dflt, name)?;
                self.patch(j);
                self.destructure(inner, bind)
            }
            Pattern::Object { props, rest } => {
                self.emit(Op::CheckObjectCoercible);
                let mut key_temps = Vec::new();
                for pp in props {
                    self.emit(Op::Dup);
                    match &pp.key {
                        PropKey::Static(name) => {
                            let a = self.atom_bytes(name);
                            if rest.is_some() {
                                key_temps.push(Err(a));
                            }
                            let c = self.cache();
                            self.emit(Op::GetProp(a, c));
                        }
                        PropKey::Computed(k) => {
                            self.expr(k)?;
                            self.emit(Op::ToKey);
                            if rest.is_some() {
                                let t = self.temp();
                                self.emit(Op::SetLocal(t));
                                key_temps.push(Ok(t));
                            }
                            self.emit(Op::GetElem);
                        }
                    }
                    self.destructure(&pp.value, bind)?;
                }
                if let Some(r) = rest {
                    for k in &key_temps {
                        match k {
                            Ok(t) => self.emit(Op::GetLocal(*t)),
                            Err(a) => self.emit(Op::Str(*a)),
                        };
                    }
                    self.emit(Op::CopyDataPropsExcept(key_temps.len() as u32));
                    self.destructure(r, bind)?;
                } else {
                    self.emit(Op::Pop);
                }
                Ok(())
            }
            Pattern::Array { elems, rest } => {
                let slot = self.temp();
                self.temp();
                self.temp();
                self.emit(Op::GetIterator(slot));
                for el in elems {
                    self.emit(Op::IterValue(slot));
                    match el {
                        Some(p) => self.destructure(p, bind)?,
                        None => {
                            self.emit(Op::Pop);
                        }
                    }
                }
                match rest {
                    Some(r) => {
                        self.emit(Op::IterRest(slot));
                        self.destructure(r, bind)?;
                    }
                    None => {
                        self.emit(Op::IterClose(slot));
                    }
                }
                Ok(())
            }
        }
    }

    fn object_literal(&mut self, props: &'a [ObjectProp]) -> CResult<()> {
        self.emit(Op::NewObject);
        for p in props {
            match p {
                ObjectProp::Spread(x) => {
                    self.expr(x)?;
                    self.emit(Op::CopyDataProps);
                }
                ObjectProp::Prop { key, value, kind } => {
                    let method = match &value.kind {
                        ExprKind::Function(f) if f.kind == FunctionKind::Method => Some(f),
                        _ => None,
                    };
                    if let Some(f) = method {
                        let name = self.push_key(key)?;
                        let code = self.compile_function(f, Some(&name))?;
                        let fs = self.f();
                        fs.functions.push(code);
                        let idx = fs.functions.len() as u32 - 1;
                        let flags = match kind {
                            PropKind::Get => method_flags::GETTER,
                            PropKind::Set => method_flags::SETTER,
                            PropKind::Init => 0,
                        };
                        self.emit(Op::DefineMethod(idx, flags));
                        continue;
                    }
                    match key {
                        PropKey::Static(name) => {
                            if name.as_slice() == b"__proto__" {
                                self.expr(value)?;
                                self.emit(Op::SetProtoLiteral);
                            } else {
                                let n = String::from_utf8_lossy(name).into_owned();
                                self.expr_named(value, Some(&n))?;
                                let a = self.atom_bytes(name);
                                self.emit(Op::DefineField(a));
                            }
                        }
                        PropKey::Computed(k) => {
                            self.expr(k)?;
                            self.emit(Op::ToKey);
                            self.expr(value)?;
                            self.emit(Op::DefineFieldElem);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Push a property key (static or computed) and return its name for function naming.
    fn push_key(&mut self, key: &'a PropKey) -> CResult<String> {
        match key {
            PropKey::Static(name) => {
                self.string(name);
                Ok(String::from_utf8_lossy(name).into_owned())
            }
            PropKey::Computed(k) => {
                self.expr(k)?;
                self.emit(Op::ToKey);
                Ok(String::new())
            }
        }
    }

    // ----- classes -----

    fn class_expr(&mut self, c: &'a Class, name: Option<&str>) -> CResult<()> {
        match &c.name {
            Some(n) => {
                let decls = [(n.clone(), BindKind::Plain)];
                self.push_scope(&decls)?;
                self.enter_block_scope();
                self.class(c, Some(n))?;
                self.emit(Op::Dup);
                self.put_name(n, true);
                self.leave_block_scope();
            }
            None => self.class(c, name)?,
        }
        Ok(())
    }

    /// Evaluate a class; leaves the constructor on the stack.
    pub(super) fn class(&mut self, c: &'a Class, name: Option<&str>) -> CResult<()> {
        self.set_pos(c.pos);
        match &c.extends {
            Some(e) => self.expr(e)?,
            None => {
                self.emit(Op::Empty);
            }
        }
        let cname = name.unwrap_or("");
        let ctor = match &c.constructor {
            Some(f) => self.compile_function(f, Some(cname))?,
            None => self.default_constructor(c.extends.is_some(), cname),
        };
        let fs = self.f();
        fs.functions.push(ctor);
        let idx = fs.functions.len() as u32 - 1;
        self.set_pos(c.pos);
        self.emit(Op::Closure(idx));
        self.emit(Op::MakeClass);
        for m in &c.members {
            let name = self.push_key(&m.key)?;
            let code = self.compile_function(&m.value, Some(&name))?;
            let fs = self.f();
            fs.functions.push(code);
            let idx = fs.functions.len() as u32 - 1;
            let mut flags = method_flags::CLASS;
            if m.is_static {
                flags |= method_flags::STATIC;
            }
            flags |= match m.kind {
                PropKind::Get => method_flags::GETTER,
                PropKind::Set => method_flags::SETTER,
                PropKind::Init => 0,
            };
            self.emit(Op::DefineMethod(idx, flags));
        }
        let instance: Vec<&'a ClassField> = c.fields.iter().filter(|f| !f.is_static).collect();
        if !instance.is_empty() {
            let code = self.field_init(&instance)?;
            let fs = self.f();
            fs.functions.push(code);
            let idx = fs.functions.len() as u32 - 1;
            self.emit(Op::SetFieldInit(idx));
        }
        let statics: Vec<&'a ClassField> = c.fields.iter().filter(|f| f.is_static).collect();
        if !statics.is_empty() {
            let code = self.field_init(&statics)?;
            let fs = self.f();
            fs.functions.push(code);
            let idx = fs.functions.len() as u32 - 1;
            self.emit(Op::RunStaticInit(idx));
        }
        self.emit(Op::Pop);
        Ok(())
    }

    fn default_constructor(&mut self, derived: bool, name: &str) -> Rc<Code> {
        let kind = if derived {
            CodeKind::DerivedConstructor
        } else {
            CodeKind::ClassConstructor
        };
        let pos = self.fr().pos;
        let mut f = FnState::new(kind, true, Names::default());
        f.pos = pos;
        self.fns.push(f);
        if derived {
            self.emit(Op::RestArgs(0));
            self.emit(Op::SuperCallSpread);
            self.emit(Op::Pop);
            self.emit(Op::This);
        } else {
            self.emit(Op::Undefined);
        }
        self.emit(Op::Return);
        let f = self.fns.pop().unwrap();
        let a = self.atom(name);
        self.finish(f, a, 0, FrameShape::default(), None)
    }

    /// A synthetic method that defines `fields` on `this`.
    fn field_init(&mut self, fields: &[&'a ClassField]) -> CResult<Rc<Code>> {
        let captured = self
            .captures
            .names_in_exprs(fields.iter().filter_map(|f| f.value.as_ref()));
        let pos = self.fr().pos;
        let mut f = FnState::new(CodeKind::FieldInit, true, captured);
        f.pos = pos;
        self.fns.push(f);
        self.f().scopes.push(Scope::default());
        for field in fields {
            self.emit(Op::This);
            match &field.key {
                PropKey::Static(name) => {
                    let n = String::from_utf8_lossy(name).into_owned();
                    match &field.value {
                        Some(v) => self.expr_named(v, Some(&n))?,
                        None => {
                            self.emit(Op::Undefined);
                        }
                    }
                    let a = self.atom_bytes(name);
                    self.emit(Op::DefineField(a));
                }
                PropKey::Computed(k) => {
                    self.expr(k)?;
                    self.emit(Op::ToKey);
                    match &field.value {
                        Some(v) => self.expr(v)?,
                        None => {
                            self.emit(Op::Undefined);
                        }
                    }
                    self.emit(Op::DefineFieldElem);
                }
            }
            self.emit(Op::Pop);
        }
        self.emit(Op::Undefined);
        self.emit(Op::Return);
        let f = self.fns.pop().unwrap();
        let env_slots = f.scopes.first().map_or(0, |s| s.env_slots);
        let a = self.atom("");
        Ok(self.finish(
            f,
            a,
            0,
            FrameShape {
                params: 0,
                locals: 0,
                env_slots,
            },
            None,
        ))
    }
}

fn logical_keep_jump(op: LogicalOp) -> Op {
    match op {
        LogicalOp::And => Op::JumpIfFalseKeep(0),
        LogicalOp::Or => Op::JumpIfTrueKeep(0),
        LogicalOp::Nullish => Op::JumpIfNotNullishKeep(0),
    }
}

pub(super) fn binary_op(op: BinaryOp) -> Op {
    match op {
        BinaryOp::Add => Op::Add,
        BinaryOp::Sub => Op::Sub,
        BinaryOp::Mul => Op::Mul,
        BinaryOp::Div => Op::Div,
        BinaryOp::Mod => Op::Mod,
        BinaryOp::Exp => Op::Exp,
        BinaryOp::Shl => Op::Shl,
        BinaryOp::Shr => Op::Shr,
        BinaryOp::UShr => Op::UShr,
        BinaryOp::BitAnd => Op::BitAnd,
        BinaryOp::BitOr => Op::BitOr,
        BinaryOp::BitXor => Op::BitXor,
        BinaryOp::Eq => Op::Eq,
        BinaryOp::Ne => Op::Ne,
        BinaryOp::StrictEq => Op::StrictEq,
        BinaryOp::StrictNe => Op::StrictNe,
        BinaryOp::Lt => Op::Lt,
        BinaryOp::Le => Op::Le,
        BinaryOp::Gt => Op::Gt,
        BinaryOp::Ge => Op::Ge,
        BinaryOp::In => Op::In,
        BinaryOp::InstanceOf => Op::InstanceOf,
    }
}
