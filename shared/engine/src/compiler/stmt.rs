//! Statements and control flow.

use alloc::string::String;
use alloc::vec::Vec;

use super::*;

impl<'a, 'c> Compiler<'a, 'c> {
    pub(super) fn statements(&mut self, body: &'a [Stmt]) -> CResult<()> {
        for s in body {
            self.statement(s)?;
        }
        Ok(())
    }

    /// A block body with its own lexical scope (let/const/class/function declarations).
    fn block(&mut self, body: &'a [Stmt]) -> CResult<()> {
        let mut decls = collect_lexical_decls(body);
        let mut funcs = Vec::new();
        collect_function_decls(body, &mut funcs);
        for f in &funcs {
            decls.push((f.name.clone().unwrap_or_default(), BindKind::Plain));
        }
        if decls.is_empty() {
            return self.statements(body);
        }
        self.check_duplicate_lexicals(&decls)?;
        self.push_scope(&decls)?;
        self.enter_block_scope();
        for f in funcs {
            self.set_pos(f.pos);
            let idx = self.function_code(f)?;
            self.emit(Op::Closure(idx));
            let name = f.name.as_deref().unwrap_or("");
            if !self.fr().strict {
                // Annex B.3.3: also assign the function-level var of the same name, if there is one.
                self.emit(Op::Dup);
                self.annex_b_store(name);
            }
            self.put_name(name, true);
        }
        self.statements(body)?;
        self.leave_block_scope();
        Ok(())
    }

    fn annex_b_store(&mut self, name: &str) {
        // Resolve skipping the innermost (block) scope.
        let scope = self.f().scopes.pop().unwrap();
        let (loc, _, kind) = self.resolve(name);
        let ok = matches!(kind, BindKind::Var | BindKind::Plain);
        self.f().scopes.push(scope);
        if ok && !matches!(loc, Loc::GlobalLex(_)) {
            let scope = self.f().scopes.pop().unwrap();
            let has_env = scope.has_env;
            if has_env {
                // The value must be stored one environment further out.
                self.f().scopes.push(scope);
                self.emit(Op::Pop);
                return;
            }
            self.put_name(name, true);
            self.f().scopes.push(scope);
        } else {
            self.emit(Op::Pop);
        }
    }

    pub(super) fn check_duplicate_lexicals(&self, decls: &[(String, BindKind)]) -> CResult<()> {
        for (i, (n, k)) in decls.iter().enumerate() {
            if *k == BindKind::Plain {
                continue;
            }
            if decls[..i].iter().any(|(m, _)| m == n) || decls[i + 1..].iter().any(|(m, _)| m == n)
            {
                return self.err(
                    Pos::default(),
                    alloc::format!("Identifier '{n}' has already been declared"),
                );
            }
        }
        Ok(())
    }

    pub(super) fn statement(&mut self, s: &'a Stmt) -> CResult<()> {
        self.set_pos(s.pos);
        if !crate::stack::has_room(self.stack_floor) {
            return self.err(s.pos, "nesting too deep");
        }
        // Completion values (script and eval code): these statements complete with `undefined`
        // unless their body produces a value (UpdateEmpty(…, undefined)).
        if let Some(slot) = self.fr().completion {
            if matches!(
                s.kind,
                StmtKind::If(..)
                    | StmtKind::For { .. }
                    | StmtKind::ForIn(..)
                    | StmtKind::ForOf(..)
                    | StmtKind::While(..)
                    | StmtKind::DoWhile(..)
                    | StmtKind::Switch(..)
                    | StmtKind::Try { .. }
                    | StmtKind::With(..)
            ) {
                self.emit(Op::Undefined);
                self.emit(Op::PutLocal(slot));
            }
        }
        match &s.kind {
            StmtKind::Expr(e) => match self.fr().completion {
                Some(slot) => {
                    self.expr(e)?;
                    self.emit(Op::PutLocal(slot));
                }
                None => self.expr_discarded(e)?,
            },
            StmtKind::Var(kind, decls) => {
                for d in decls {
                    self.set_pos(s.pos);
                    match &d.init {
                        Some(init) => {
                            self.expr_named(init, pattern_name(&d.target))?;
                            self.bind_pattern(&d.target, *kind != VarKind::Var)?;
                        }
                        None if *kind != VarKind::Var => {
                            self.emit(Op::Undefined);
                            self.bind_pattern(&d.target, true)?;
                        }
                        None => {}
                    }
                }
            }
            StmtKind::Function(_) => {} // hoisted
            StmtKind::Class(c) => {
                self.class(c, c.name.as_deref())?;
                let name = c.name.as_deref().unwrap_or("");
                self.put_name(name, true);
            }
            StmtKind::Return(e) => {
                match e {
                    Some(e) => self.expr(e)?,
                    None => {
                        self.emit(Op::Undefined);
                    }
                }
                self.emit_return()?;
            }
            StmtKind::If(test, then, els) => {
                self.expr(test)?;
                let j = self.emit(Op::JumpIfFalse(0));
                self.sub_statement(then)?;
                if let Some(e) = els {
                    let j2 = self.emit(Op::Jump(0));
                    self.patch(j);
                    self.sub_statement(e)?;
                    self.patch(j2);
                } else {
                    self.patch(j);
                }
            }
            StmtKind::Block(b) => self.block(b)?,
            StmtKind::For {
                init,
                test,
                update,
                body,
            } => self.for_loop(init, test, update, body, Vec::new())?,
            StmtKind::ForIn(head, obj, body) => self.for_in(head, obj, body, Vec::new())?,
            StmtKind::ForOf(head, obj, body) => self.for_of(head, obj, body, Vec::new())?,
            StmtKind::While(test, body) => self.while_loop(test, body, Vec::new())?,
            StmtKind::DoWhile(body, test) => self.do_while(body, test, Vec::new())?,
            StmtKind::Break(label) => self.jump_out(label.as_deref(), false, s.pos)?,
            StmtKind::Continue(label) => self.jump_out(label.as_deref(), true, s.pos)?,
            StmtKind::Throw(e) => {
                self.expr(e)?;
                self.set_pos(s.pos);
                self.emit(Op::Throw);
            }
            StmtKind::Try {
                block,
                param,
                handler,
                finalizer,
            } => self.try_statement(
                block,
                param.as_ref(),
                handler.as_deref(),
                finalizer.as_deref(),
            )?,
            StmtKind::Switch(disc, cases) => self.switch(disc, cases, Vec::new())?,
            StmtKind::Labeled(..) => self.labeled(s)?,
            StmtKind::With(obj, body) => self.with_statement(obj, body)?,
            StmtKind::Empty => {}
            StmtKind::Debugger => {
                self.emit(Op::Debugger);
            }
        }
        Ok(())
    }

    /// `with (obj) body`: the object lives in slot 0 of a block environment; names in the body
    /// check it before their static binding (see `Compiler::with_objects_for`).
    fn with_statement(&mut self, obj: &'a Expr, body: &'a Stmt) -> CResult<()> {
        self.expr(obj)?;
        self.emit(Op::ToObject);
        self.f().scopes.push(Scope {
            has_env: true,
            is_with: true,
            env_slots: 1,
            ..Default::default()
        });
        self.emit(Op::PushEnv(1));
        self.f().controls.push(Control::Env);
        self.emit(Op::PutEnv(0, 0));
        self.with_scopes += 1;
        let r = self.sub_statement(body);
        self.with_scopes -= 1;
        r?;
        self.leave_block_scope();
        Ok(())
    }

    /// The body of an `if`/loop: a function declaration there gets its own scope.
    fn sub_statement(&mut self, s: &'a Stmt) -> CResult<()> {
        if matches!(s.kind, StmtKind::Function(_)) {
            return self.block(core::slice::from_ref(s));
        }
        self.statement(s)
    }

    fn labeled(&mut self, s: &'a Stmt) -> CResult<()> {
        let mut labels = Vec::new();
        let mut s = s;
        while let StmtKind::Labeled(l, inner) = &s.kind {
            labels.push(l.clone());
            s = inner;
        }
        self.set_pos(s.pos);
        match &s.kind {
            StmtKind::For {
                init,
                test,
                update,
                body,
            } => self.for_loop(init, test, update, body, labels),
            StmtKind::ForIn(h, o, b) => self.for_in(h, o, b, labels),
            StmtKind::ForOf(h, o, b) => self.for_of(h, o, b, labels),
            StmtKind::While(t, b) => self.while_loop(t, b, labels),
            StmtKind::DoWhile(b, t) => self.do_while(b, t, labels),
            StmtKind::Switch(d, c) => self.switch(d, c, labels),
            _ => {
                self.f().controls.push(Control::Target {
                    labels,
                    is_loop: false,
                    breakable: false,
                    breaks: Vec::new(),
                    continues: Vec::new(),
                    stack_values: 0,
                    iterator: None,
                });
                self.sub_statement(s)?;
                self.pop_target(None);
                Ok(())
            }
        }
    }

    fn push_loop(&mut self, labels: Vec<String>, stack_values: u32, iterator: Option<u32>) {
        self.f().controls.push(Control::Target {
            labels,
            is_loop: true,
            breakable: true,
            breaks: Vec::new(),
            continues: Vec::new(),
            stack_values,
            iterator,
        });
    }

    /// Pop a loop/switch/label target, patching its continues to `cont` and breaks to here.
    fn pop_target(&mut self, cont: Option<u32>) {
        let Some(Control::Target {
            breaks, continues, ..
        }) = self.f().controls.pop()
        else {
            unreachable!("control stack out of order")
        };
        if let Some(c) = cont {
            for j in continues {
                self.patch_to(j, c);
            }
        }
        for j in breaks {
            self.patch(j);
        }
    }
    /// Patch the innermost target's continues to here (continue jumps forward to the update).
    fn patch_continues_here(&mut self) {
        let here = self.here();
        let mut pending = Vec::new();
        if let Some(Control::Target { continues, .. }) = self.f().controls.last_mut() {
            pending = core::mem::take(continues);
        }
        for j in pending {
            self.patch_to(j, here);
        }
    }

    fn while_loop(&mut self, test: &'a Expr, body: &'a Stmt, labels: Vec<String>) -> CResult<()> {
        let top = self.here();
        self.expr(test)?;
        let exit = self.emit(Op::JumpIfFalse(0));
        self.push_loop(labels, 0, None);
        self.sub_statement(body)?;
        self.emit(Op::Jump(top));
        self.patch(exit);
        self.pop_target(Some(top));
        Ok(())
    }

    fn do_while(&mut self, body: &'a Stmt, test: &'a Expr, labels: Vec<String>) -> CResult<()> {
        let top = self.here();
        self.push_loop(labels, 0, None);
        self.sub_statement(body)?;
        self.patch_continues_here();
        self.expr(test)?;
        self.emit(Op::JumpIfTrue(top));
        self.pop_target(None);
        Ok(())
    }

    fn for_loop(
        &mut self,
        init: &'a Option<ForInit>,
        test: &'a Option<Expr>,
        update: &'a Option<Expr>,
        body: &'a Stmt,
        labels: Vec<String>,
    ) -> CResult<()> {
        let mut scoped = false;
        let mut per_iteration_env = false;
        match init {
            Some(ForInit::Decl(kind @ (VarKind::Let | VarKind::Const), decls)) => {
                let mut names = Vec::new();
                for d in decls {
                    bound_names(&d.target, &mut names);
                }
                let bk = if *kind == VarKind::Const {
                    BindKind::Const
                } else {
                    BindKind::Let
                };
                let decls_k: Vec<(String, BindKind)> = names.into_iter().map(|n| (n, bk)).collect();
                self.check_duplicate_lexicals(&decls_k)?;
                self.push_scope(&decls_k)?;
                self.enter_block_scope();
                scoped = true;
                per_iteration_env = self.fr().scopes.last().unwrap().has_env;
                self.statement_var(*kind, decls)?;
            }
            Some(ForInit::Decl(VarKind::Var, decls)) => self.statement_var(VarKind::Var, decls)?,
            Some(ForInit::Expr(e)) => {
                self.expr(e)?;
                self.emit(Op::Pop);
            }
            None => {}
        }
        let top = self.here();
        let exit = match test {
            Some(t) => {
                self.expr(t)?;
                Some(self.emit(Op::JumpIfFalse(0)))
            }
            None => None,
        };
        self.push_loop(labels, 0, None);
        self.sub_statement(body)?;
        self.patch_continues_here();
        if per_iteration_env {
            self.emit(Op::CopyEnv);
        }
        if let Some(u) = update {
            self.expr_discarded(u)?;
        }
        self.emit(Op::Jump(top));
        if let Some(e) = exit {
            self.patch(e);
        }
        self.pop_target(None);
        if scoped {
            self.leave_block_scope();
        }
        Ok(())
    }

    fn statement_var(&mut self, kind: VarKind, decls: &'a [VarDecl]) -> CResult<()> {
        for d in decls {
            match &d.init {
                Some(init) => {
                    self.expr_named(init, pattern_name(&d.target))?;
                    self.bind_pattern(&d.target, kind != VarKind::Var)?;
                }
                None if kind != VarKind::Var => {
                    self.emit(Op::Undefined);
                    self.bind_pattern(&d.target, true)?;
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Set up the scope of a for-in/of head declaration; returns whether a scope was pushed.
    fn for_head_scope(&mut self, head: &'a ForHead) -> CResult<bool> {
        if let ForHead::Decl(kind @ (VarKind::Let | VarKind::Const), p) = head {
            let mut names = Vec::new();
            bound_names(p, &mut names);
            let bk = if *kind == VarKind::Const {
                BindKind::Const
            } else {
                BindKind::Let
            };
            let decls: Vec<(String, BindKind)> = names.into_iter().map(|n| (n, bk)).collect();
            self.check_duplicate_lexicals(&decls)?;
            self.push_scope(&decls)?;
            self.enter_block_scope();
            return Ok(true);
        }
        Ok(false)
    }

    fn for_head_bind(&mut self, head: &'a ForHead) -> CResult<()> {
        match head {
            ForHead::Decl(kind, p) => self.bind_pattern(p, *kind != VarKind::Var),
            ForHead::Target(p) => self.assign_pattern(p),
        }
    }

    fn for_in(
        &mut self,
        head: &'a ForHead,
        obj: &'a Expr,
        body: &'a Stmt,
        labels: Vec<String>,
    ) -> CResult<()> {
        // TDZ scope for the head's names while evaluating the object.
        let scoped = self.for_head_scope(head)?;
        self.expr(obj)?;
        if scoped {
            self.leave_block_scope();
        }
        self.emit(Op::ForInStart);
        let top = self.here();
        let next = self.emit(Op::ForInNext(0));
        self.push_loop(labels, 1, None);
        let scoped = self.for_head_scope(head)?;
        self.for_head_bind(head)?;
        self.sub_statement(body)?;
        if scoped {
            self.leave_block_scope();
        }
        self.emit(Op::Jump(top));
        self.pop_target(Some(top));
        self.patch(next);
        Ok(())
    }

    fn for_of(
        &mut self,
        head: &'a ForHead,
        obj: &'a Expr,
        body: &'a Stmt,
        labels: Vec<String>,
    ) -> CResult<()> {
        let scoped = self.for_head_scope(head)?;
        self.expr(obj)?;
        if scoped {
            self.leave_block_scope();
        }
        let slot = self.temp();
        self.temp();
        self.temp();
        if slot > u16::MAX as u32 {
            return self.err(obj.pos, "too many local variables");
        }
        self.emit(Op::GetIterator(slot));
        let top = self.here();
        let next = self.emit(Op::IterNext(slot as u16, 0));
        self.push_loop(labels, 0, Some(slot));
        let scoped = self.for_head_scope(head)?;
        // An exception in the binding or the body closes the iterator.
        let t = self.emit(Op::Try(0));
        self.f().controls.push(Control::Handler);
        self.for_head_bind(head)?;
        self.sub_statement(body)?;
        self.f().controls.pop();
        self.emit(Op::EndTry);
        if scoped {
            self.leave_block_scope();
        }
        self.emit(Op::Jump(top));
        self.patch(t);
        let exc = self.temp();
        self.emit(Op::PutLocal(exc));
        self.emit(Op::IterClose(slot));
        self.emit(Op::GetLocal(exc));
        self.emit(Op::Throw);
        self.pop_target(Some(top));
        self.patch(next);
        Ok(())
    }

    fn switch(
        &mut self,
        disc: &'a Expr,
        cases: &'a [SwitchCase],
        labels: Vec<String>,
    ) -> CResult<()> {
        self.expr(disc)?;
        let d = self.temp();
        self.emit(Op::PutLocal(d));
        let mut decls = Vec::new();
        let mut funcs = Vec::new();
        for c in cases {
            decls.extend(collect_lexical_decls(&c.body));
            collect_function_decls(&c.body, &mut funcs);
        }
        for f in &funcs {
            decls.push((f.name.clone().unwrap_or_default(), BindKind::Plain));
        }
        self.check_duplicate_lexicals(&decls)?;
        let scoped = !decls.is_empty();
        if scoped {
            self.push_scope(&decls)?;
            self.enter_block_scope();
            for f in funcs {
                let idx = self.function_code(f)?;
                self.emit(Op::Closure(idx));
                self.put_name(f.name.as_deref().unwrap_or(""), true);
            }
        }
        let mut jumps = Vec::new();
        for c in cases {
            if let Some(t) = &c.test {
                self.emit(Op::GetLocal(d));
                self.expr(t)?;
                self.emit(Op::StrictEq);
                jumps.push(Some(self.emit(Op::JumpIfTrue(0))));
            } else {
                jumps.push(None);
            }
        }
        let default_jump = self.emit(Op::Jump(0));
        self.f().controls.push(Control::Target {
            labels,
            is_loop: false,
            breakable: true,
            breaks: Vec::new(),
            continues: Vec::new(),
            stack_values: 0,
            iterator: None,
        });
        let mut has_default = false;
        for (c, j) in cases.iter().zip(jumps) {
            match j {
                Some(j) => self.patch(j),
                None => {
                    has_default = true;
                    self.patch(default_jump);
                }
            }
            self.statements(&c.body)?;
        }
        if !has_default {
            self.patch(default_jump);
        }
        self.pop_target(None);
        if scoped {
            self.leave_block_scope();
        }
        Ok(())
    }

    fn try_statement(
        &mut self,
        block: &'a [Stmt],
        param: Option<&'a Pattern>,
        handler: Option<&'a [Stmt]>,
        finalizer: Option<&'a [Stmt]>,
    ) -> CResult<()> {
        let outer = match finalizer {
            Some(fin) => {
                let t = self.emit(Op::Try(0));
                self.f().controls.push(Control::Finally(fin));
                Some(t)
            }
            None => None,
        };
        if let Some(h) = handler {
            let t = self.emit(Op::Try(0));
            self.f().controls.push(Control::Handler);
            self.block(block)?;
            self.f().controls.pop();
            self.emit(Op::EndTry);
            let skip = self.emit(Op::Jump(0));
            self.patch(t);
            // The exception is on the stack.
            match param {
                Some(p) => {
                    let mut names = Vec::new();
                    bound_names(p, &mut names);
                    let decls: Vec<(String, BindKind)> =
                        names.into_iter().map(|n| (n, BindKind::Plain)).collect();
                    self.push_scope(&decls)?;
                    self.enter_block_scope();
                    self.bind_pattern(p, true)?;
                    self.block(h)?;
                    self.leave_block_scope();
                }
                None => {
                    self.emit(Op::Pop);
                    self.block(h)?;
                }
            }
            self.patch(skip);
        } else {
            self.block(block)?;
        }
        if let (Some(t), Some(fin)) = (outer, finalizer) {
            self.f().controls.pop();
            self.emit(Op::EndTry);
            self.finally_body(fin)?;
            let skip = self.emit(Op::Jump(0));
            self.patch(t);
            let exc = self.temp();
            self.emit(Op::PutLocal(exc));
            self.finally_body(fin)?;
            self.emit(Op::GetLocal(exc));
            self.emit(Op::Throw);
            self.patch(skip);
        }
        Ok(())
    }

    /// A finally body, compiled with the completion value preserved.
    fn finally_body(&mut self, fin: &'a [Stmt]) -> CResult<()> {
        let saved = self.f().completion.take();
        if saved.is_some() {
            let t = self.temp();
            self.f().completion = Some(t);
        }
        self.block(fin)?;
        self.f().completion = saved;
        Ok(())
    }

    /// `return`: the value is on the stack; run enclosing finally bodies first.
    fn emit_return(&mut self) -> CResult<()> {
        let n = self.fr().controls.len();
        if n == 0 {
            self.emit(Op::Return);
            return Ok(());
        }
        let has_unwinding = self.fr().controls.iter().any(|c| {
            !matches!(
                c,
                Control::Target {
                    stack_values: 0,
                    iterator: None,
                    ..
                }
            )
        });
        if !has_unwinding {
            self.emit(Op::Return);
            return Ok(());
        }
        let tmp = self.temp();
        self.emit(Op::PutLocal(tmp));
        self.unwind_to(0)?;
        self.emit(Op::GetLocal(tmp));
        self.emit(Op::Return);
        Ok(())
    }

    /// Emit the code that leaves every control entry above `level`.
    fn unwind_to(&mut self, level: usize) -> CResult<()> {
        let mut i = self.fr().controls.len();
        while i > level {
            i -= 1;
            // Compile cleanups with the control stack cut at the entry being left.
            let entry = match &self.fr().controls[i] {
                Control::Target {
                    stack_values,
                    iterator,
                    ..
                } => {
                    if let Some(s) = iterator {
                        Some((4u8, *s))
                    } else {
                        Some((0, *stack_values))
                    }
                }
                Control::Handler => Some((1, 0)),
                Control::Finally(_) => Some((2, 0)),
                Control::Env => Some((3, 0)),
            };
            match entry {
                Some((0, n)) => {
                    for _ in 0..n {
                        self.emit(Op::Pop);
                    }
                }
                Some((1, _)) => {
                    self.emit(Op::EndTry);
                }
                Some((2, _)) => {
                    self.emit(Op::EndTry);
                    let Control::Finally(fin) = self.fr().controls[i] else {
                        unreachable!()
                    };
                    let rest = self.f().controls.split_off(i);
                    let r = self.finally_body(fin);
                    self.f().controls.extend(rest);
                    r?;
                }
                Some((3, _)) => {
                    self.emit(Op::PopEnv);
                }
                Some((4, s)) => {
                    self.emit(Op::IterClose(s));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn jump_out(&mut self, label: Option<&str>, is_continue: bool, pos: Pos) -> CResult<()> {
        let controls = &self.fr().controls;
        let mut found = None;
        for (i, c) in controls.iter().enumerate().rev() {
            if let Control::Target {
                labels,
                is_loop,
                breakable,
                ..
            } = c
            {
                let matches = match label {
                    Some(l) => labels.iter().any(|x| x == l),
                    None => {
                        if is_continue {
                            *is_loop
                        } else {
                            *breakable
                        }
                    }
                };
                if matches {
                    if is_continue && !is_loop {
                        return self.err(pos, "continue target is not a loop");
                    }
                    found = Some(i);
                    break;
                }
            }
        }
        let Some(i) = found else {
            return self.err(
                pos,
                if is_continue {
                    "continue outside a loop"
                } else {
                    "break outside a loop or switch"
                },
            );
        };
        // For continue, the loop's own stack values stay; for break they are popped.
        self.unwind_to(i + 1)?;
        if !is_continue {
            if let Control::Target {
                stack_values,
                iterator,
                ..
            } = self.fr().controls[i]
            {
                for _ in 0..stack_values {
                    self.emit(Op::Pop);
                }
                if let Some(s) = iterator {
                    self.emit(Op::IterClose(s));
                }
            }
        }
        let j = self.emit(Op::Jump(0));
        if let Control::Target {
            breaks, continues, ..
        } = &mut self.f().controls[i]
        {
            if is_continue {
                continues.push(j);
            } else {
                breaks.push(j);
            }
        }
        Ok(())
    }
}

/// The name a declaration gives an anonymous function: `let f = function () {}` → "f".
pub(super) fn pattern_name(p: &Pattern) -> Option<&str> {
    match p {
        Pattern::Ident(n) => Some(n),
        _ => None,
    }
}
