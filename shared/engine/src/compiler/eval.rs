//! Direct `eval`: describing the scopes visible at a call site, and compiling eval code against
//! such a description.
//!
//! A function that contains a direct `eval` keeps all its variables in environments
//! (`FnState::capture_all`), so that the eval code, run with the caller's environment chain, can
//! reach them as `(depth, slot)`. Deviation: in sloppy mode, `var` and function declarations of
//! eval code inside a function stay local to the eval code instead of joining the caller's scope.

use alloc::rc::Rc;
use alloc::vec::Vec;

use super::*;
use crate::bytecode::{EvalLevel, EvalSite};

fn kind_code(k: BindKind) -> u8 {
    match k {
        BindKind::Var => 0,
        BindKind::Let => 1,
        BindKind::Const => 2,
        BindKind::Plain => 3,
    }
}

fn kind_from(code: u8) -> BindKind {
    match code {
        0 => BindKind::Var,
        1 => BindKind::Let,
        2 => BindKind::Const,
        _ => BindKind::Plain,
    }
}

/// Compile eval code. `site` is `None` for an indirect eval; `strict` is inherited from the
/// caller of a direct eval.
pub fn compile_eval(
    program: &Program,
    atoms: &mut Atoms,
    globals: &mut GlobalLexicals,
    script: Rc<str>,
    source: Rc<[u8]>,
    site: Option<&EvalSite>,
    stack_floor: usize,
) -> Result<Rc<Code>, CompileError> {
    let mut c = Compiler::new(atoms, globals, script, source);
    c.stack_floor = stack_floor;
    c.eval_program(program, site)
}

impl<'a, 'c> Compiler<'a, 'c> {
    /// Describe the environments visible here, for a direct eval with `argc` arguments.
    pub(super) fn eval_site(&mut self, argc: u16) -> u32 {
        let mut levels = Vec::new();
        for f in self.fns.iter().rev() {
            for scope in f.scopes.iter().rev() {
                if !scope.has_env {
                    continue;
                }
                let mut names = Vec::new();
                for b in &scope.bindings {
                    if let Loc::Env(slot) = b.loc {
                        names.push((b.name.clone(), slot, kind_code(b.kind)));
                    }
                }
                let names = names
                    .into_iter()
                    .map(|(n, slot, k)| (self.atoms.intern(n.as_bytes()).0, slot, k))
                    .collect();
                levels.push(EvalLevel {
                    names,
                    is_with: scope.is_with,
                });
            }
        }
        // The innermost non-arrow function decides what `new.target` and `super` mean.
        let enclosing = self
            .fns
            .iter()
            .rev()
            .map(|f| f.kind)
            .find(|k| *k != CodeKind::Arrow);
        let new_target = matches!(enclosing, Some(k) if k != CodeKind::Script);
        let super_property = matches!(
            enclosing,
            Some(
                CodeKind::Method
                    | CodeKind::ClassConstructor
                    | CodeKind::DerivedConstructor
                    | CodeKind::FieldInit
            )
        );
        let site = EvalSite {
            argc,
            strict: self.fr().strict,
            new_target,
            super_property,
            levels,
        };
        let f = self.f();
        f.eval_sites.push(Rc::new(site));
        f.eval_sites.len() as u32 - 1
    }

    fn eval_program(&mut self, program: &'a Program, site: Option<&EvalSite>) -> CResult<Rc<Code>> {
        let inherited_strict = site.is_some_and(|s| s.strict);
        let strict = program.strict || inherited_strict;
        let in_function = site.is_some_and(|s| !s.levels.is_empty());
        if let Some(site) = site.filter(|s| !s.levels.is_empty()) {
            // A stand-in for the caller: its environments, outermost first.
            let mut caller = FnState::new(CodeKind::Normal, site.strict, Names::default());
            for level in site.levels.iter().rev() {
                let bindings = level
                    .names
                    .iter()
                    .map(|&(a, slot, k)| Binding {
                        name: String::from_utf8_lossy(self.atoms.bytes(a)).into_owned(),
                        loc: Loc::Env(slot),
                        kind: kind_from(k),
                    })
                    .collect();
                caller.scopes.push(Scope {
                    bindings,
                    has_env: true,
                    is_with: level.is_with,
                    env_slots: 0,
                });
                if level.is_with {
                    self.with_scopes += 1;
                }
            }
            self.fns.push(caller);
        }
        let captured = self.captures.captured_by_children(&[], None, &program.body);
        self.fns
            .push(FnState::new(CodeKind::Script, strict, captured));
        self.f().capture_all = body_mentions(&program.body, "eval", &Names::default());
        let completion = self.temp();
        self.f().completion = Some(completion);
        self.f().scopes.push(Scope::default());

        let mut vars = Vec::new();
        collect_var_names(&program.body, &mut vars);
        let mut funcs = Vec::new();
        collect_function_decls(&program.body, &mut funcs);
        let mut decls = collect_lexical_decls(&program.body);
        self.check_duplicate_lexicals(&decls)?;
        let local_vars = strict || in_function;
        if local_vars {
            // Strict eval code, and (a deviation) sloppy eval code inside functions, keep their
            // `var`s and functions to themselves.
            for v in &vars {
                if decls.iter().any(|(d, _)| d == v) {
                    return self.err(
                        Pos::default(),
                        format!("Identifier '{v}' has already been declared"),
                    );
                }
                decls.push((v.clone(), BindKind::Var));
            }
            for f in &funcs {
                decls.push((f.name.clone().unwrap_or_default(), BindKind::Plain));
            }
        } else {
            for v in vars
                .iter()
                .chain(funcs.iter().filter_map(|f| f.name.as_ref()))
            {
                let a = self.atom(v);
                if self.globals.map.contains_key(&a) || decls.iter().any(|(d, _)| d == v) {
                    return self.err(
                        Pos::default(),
                        format!("Identifier '{v}' has already been declared"),
                    );
                }
                if !self.f().global_vars.contains(&a) {
                    self.f().global_vars.push(a);
                }
            }
        }
        let scoped = !decls.is_empty();
        if scoped {
            self.push_scope(&decls)?;
            self.enter_block_scope();
        }
        for f in funcs {
            self.set_pos(f.pos);
            let idx = self.function_code(f)?;
            self.emit(Op::Closure(idx));
            let name = f.name.as_deref().unwrap_or("");
            self.put_name(name, true);
        }
        self.statements(&program.body)?;
        if scoped {
            self.leave_block_scope();
        }
        self.emit(Op::GetLocal(completion));
        self.emit(Op::Return);
        let name = self.atom("");
        let f = self.fns.pop().unwrap();
        Ok(self.finish(f, name, 0, FrameShape::default(), None))
    }
}
