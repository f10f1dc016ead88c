//! The compiler: AST → [`Code`] (bytecode with line tables).
//!
//! One [`FnState`] per function being compiled, each with a stack of lexical [`Scope`]s. Names
//! resolve at compile time to a frame slot, an environment slot (`depth` hops up the runtime scope
//! chain) or a global. Control flow that leaves a `try`/`finally`, a block environment or a loop
//! that holds an iterator is lowered by unwinding [`Control`] entries (finally bodies are inlined).

mod captures;
mod eval;
mod expr;
mod stmt;

use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::Cell;

use hashbrown::HashMap;

use crate::ast::*;
use crate::atoms::Atoms;
use crate::bytecode::{Code, CodeKind, FrameShape, LineEntry, Op};
use crate::value::Atom;

pub use captures::Names;
pub use eval::compile_eval;

/// A compile error (reported as a SyntaxError).
#[derive(Debug, Clone)]
pub struct CompileError {
    pub message: String,
    pub pos: Pos,
}

type CResult<T> = Result<T, CompileError>;

/// The realm's top-level lexical bindings (`let`/`const`/`class` of every script so far).
#[derive(Default)]
pub struct GlobalLexicals {
    pub names: Vec<Atom>,
    pub is_const: Vec<bool>,
    pub map: HashMap<Atom, u32>,
}

/// Where a binding lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Loc {
    Local(u32),
    Env(u32),
    GlobalLex(u32),
    /// A global object property (`var` and functions at script top level).
    GlobalVar,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BindKind {
    Var,
    Let,
    Const,
    /// Parameters, functions, catch parameters, `arguments`, class names: like `var` (no TDZ).
    Plain,
}

#[derive(Clone, Debug)]
struct Binding {
    name: String,
    loc: Loc,
    kind: BindKind,
}

#[derive(Default)]
struct Scope {
    bindings: Vec<Binding>,
    /// This scope has a runtime environment (some binding is captured).
    has_env: bool,
    /// A `with` scope: its environment's slot 0 holds the object.
    is_with: bool,
    env_slots: u32,
}

/// What control flow must undo when it jumps out of a construct.
enum Control<'a> {
    /// A loop, switch or labelled statement that `break`/`continue` may target.
    Target {
        labels: Vec<String>,
        is_loop: bool,
        /// A `switch` or block: unlabelled `break` only if `breakable`.
        breakable: bool,
        breaks: Vec<usize>,
        continues: Vec<usize>,
        /// Values this construct keeps on the operand stack (the for-in state).
        stack_values: u32,
        /// A for-of loop's iterator (local slots `s..s+3`), closed when leaving by break/return.
        iterator: Option<u32>,
    },
    /// Inside `try { }`: leaving pops the handler.
    Handler,
    /// Inside a `try` with a `finally`: leaving runs the finally body.
    Finally(&'a [Stmt]),
    /// Inside a block with its own environment.
    Env,
}

struct FnState<'a> {
    kind: CodeKind,
    strict: bool,
    ops: Vec<Op>,
    numbers: Vec<f64>,
    regexps: Vec<(Atom, Atom)>,
    functions: Vec<Rc<Code>>,
    caches: u16,
    local_names: Vec<Atom>,
    lines: Vec<LineEntry>,
    scopes: Vec<Scope>,
    controls: Vec<Control<'a>>,
    /// Names referenced by nested functions: these variables live in environments.
    captured: Names,
    /// The function (or something nested in it) calls `eval`: every variable lives in an
    /// environment, so that eval code can see it.
    capture_all: bool,
    eval_sites: Vec<Rc<crate::bytecode::EvalSite>>,
    mapped_arguments: bool,
    completion: Option<u32>,
    pos: Pos,
    param_to_env: Vec<(u32, u32)>,
    global_vars: Vec<Atom>,
    global_lexicals: Vec<(Atom, bool)>,
}

impl<'a> FnState<'a> {
    fn new(kind: CodeKind, strict: bool, captured: Names) -> Self {
        FnState {
            kind,
            strict,
            ops: Vec::new(),
            numbers: Vec::new(),
            regexps: Vec::new(),
            functions: Vec::new(),
            caches: 0,
            local_names: Vec::new(),
            lines: Vec::new(),
            scopes: Vec::new(),
            controls: Vec::new(),
            captured,
            capture_all: false,
            eval_sites: Vec::new(),
            mapped_arguments: false,
            completion: None,
            pos: Pos::default(),
            param_to_env: Vec::new(),
            global_vars: Vec::new(),
            global_lexicals: Vec::new(),
        }
    }
}

pub struct Compiler<'a, 'c> {
    atoms: &'c mut Atoms,
    globals: &'c mut GlobalLexicals,
    script: Rc<str>,
    source: Rc<[u8]>,
    captures: captures::Captures,
    fns: Vec<FnState<'a>>,
    /// Open optional chains: their short-circuit jumps.
    chains: Vec<Vec<usize>>,
    /// `with` statements being compiled (0: names never need dynamic checks).
    with_scopes: u32,
    /// The native stack's floor (`crate::stack`; 0: none).
    pub(crate) stack_floor: usize,
}

/// Compile a parsed script. On error, `globals` is left as it was.
pub fn compile_script(
    program: &Program,
    atoms: &mut Atoms,
    globals: &mut GlobalLexicals,
    script: Rc<str>,
    source: Rc<[u8]>,
    stack_floor: usize,
) -> Result<Rc<Code>, CompileError> {
    let saved = globals.names.len();
    let mut c = Compiler::new(atoms, globals, script, source);
    c.stack_floor = stack_floor;
    let r = c.script(program);
    if r.is_err() {
        let g = &mut *c.globals;
        for a in g.names.drain(saved..) {
            g.map.remove(&a);
        }
        g.is_const.truncate(saved);
    }
    r
}

impl<'a, 'c> Compiler<'a, 'c> {
    fn new(
        atoms: &'c mut Atoms,
        globals: &'c mut GlobalLexicals,
        script: Rc<str>,
        source: Rc<[u8]>,
    ) -> Self {
        Compiler {
            atoms,
            globals,
            script,
            source,
            captures: Default::default(),
            fns: Vec::new(),
            chains: Vec::new(),
            with_scopes: 0,
            stack_floor: 0,
        }
    }

    fn err<T>(&self, pos: Pos, message: impl Into<String>) -> CResult<T> {
        Err(CompileError {
            message: message.into(),
            pos,
        })
    }

    fn atom(&mut self, s: &str) -> Atom {
        self.atoms.intern(s.as_bytes()).0
    }
    fn atom_bytes(&mut self, s: &[u8]) -> Atom {
        self.atoms.intern(s).0
    }

    fn f(&mut self) -> &mut FnState<'a> {
        self.fns.last_mut().unwrap()
    }
    fn fr(&self) -> &FnState<'a> {
        self.fns.last().unwrap()
    }

    // ----- emitting -----

    fn emit(&mut self, op: Op) -> usize {
        let f = self.fns.last_mut().unwrap();
        let pc = f.ops.len();
        let pos = f.pos;
        if f.lines
            .last()
            .is_none_or(|l| l.line != pos.line || l.col != pos.col)
        {
            f.lines.push(LineEntry {
                pc: pc as u32,
                line: pos.line,
                col: pos.col,
            });
        }
        f.ops.push(op);
        pc
    }
    fn set_pos(&mut self, pos: Pos) {
        if pos.line != 0 {
            self.f().pos = pos;
        }
    }
    fn here(&self) -> u32 {
        self.fr().ops.len() as u32
    }
    fn patch(&mut self, at: usize) {
        let target = self.here();
        self.patch_to(at, target);
    }
    fn patch_to(&mut self, at: usize, target: u32) {
        let op = &mut self.f().ops[at];
        *op = match *op {
            Op::Jump(_) => Op::Jump(target),
            Op::JumpIfFalse(_) => Op::JumpIfFalse(target),
            Op::JumpIfTrue(_) => Op::JumpIfTrue(target),
            Op::JumpIfFalseKeep(_) => Op::JumpIfFalseKeep(target),
            Op::JumpIfTrueKeep(_) => Op::JumpIfTrueKeep(target),
            Op::JumpIfNotNullishKeep(_) => Op::JumpIfNotNullishKeep(target),
            Op::JumpIfNullish(_, n) => Op::JumpIfNullish(target, n),
            Op::JumpIfNotUndefined(_) => Op::JumpIfNotUndefined(target),
            Op::Try(_) => Op::Try(target),
            Op::IterNext(s, _) => Op::IterNext(s, target),
            Op::ForInNext(_) => Op::ForInNext(target),
            other => other,
        };
    }
    fn cache(&mut self) -> u16 {
        let f = self.f();
        let c = f.caches;
        f.caches = f.caches.saturating_add(1).min(u16::MAX - 1);
        c
    }
    fn number(&mut self, n: f64) {
        if libm::trunc(n) == n && n.abs() < 1e9 && !(n == 0.0 && n.is_sign_negative()) {
            self.emit(Op::Int(n as i32));
        } else {
            let f = self.f();
            let i = f.numbers.len() as u32;
            f.numbers.push(n);
            self.emit(Op::Number(i));
        }
    }
    fn string(&mut self, s: &[u8]) {
        let a = self.atom_bytes(s);
        self.emit(Op::Str(a));
    }

    /// Allocate an anonymous local slot.
    fn temp(&mut self) -> u32 {
        let a = self.atom("");
        let f = self.f();
        f.local_names.push(a);
        f.local_names.len() as u32 - 1
    }
    fn new_local(&mut self, name: &str) -> u32 {
        let a = self.atom(name);
        let f = self.f();
        f.local_names.push(a);
        f.local_names.len() as u32 - 1
    }

    // ----- scopes -----

    /// Declare `names` in a new scope. Captured names go to an environment.
    fn push_scope(&mut self, decls: &[(String, BindKind)]) -> CResult<()> {
        self.push_function_scope(decls, None)
    }

    /// Emit the code that enters a block scope pushed by `push_scope` (env + TDZ markers).
    fn enter_block_scope(&mut self) {
        let scope = self.fr().scopes.last().unwrap();
        let has_env = scope.has_env;
        let n = scope.env_slots;
        let tdz: Vec<u32> = scope
            .bindings
            .iter()
            .filter(|b| matches!(b.kind, BindKind::Let | BindKind::Const))
            .filter_map(|b| match b.loc {
                Loc::Local(s) => Some(s),
                _ => None,
            })
            .collect();
        if has_env {
            self.emit(Op::PushEnv(n));
            self.f().controls.push(Control::Env);
        }
        for s in tdz {
            self.emit(Op::Empty);
            self.emit(Op::PutLocal(s));
        }
    }
    fn leave_block_scope(&mut self) {
        let scope = self.f().scopes.pop().unwrap();
        if scope.has_env {
            self.f().controls.pop();
            self.emit(Op::PopEnv);
        }
    }

    /// Resolve a name: (location, env depth, kind).
    fn resolve(&mut self, name: &str) -> (Loc, u16, BindKind) {
        let mut depth: u16 = 0;
        for fi in (0..self.fns.len()).rev() {
            let f = &self.fns[fi];
            for scope in f.scopes.iter().rev() {
                if let Some(b) = scope.bindings.iter().find(|b| b.name == name) {
                    match b.loc {
                        Loc::Local(_) if fi + 1 != self.fns.len() => {
                            // Not captured (should not happen): fall back to a global lookup.
                            return (Loc::GlobalVar, 0, BindKind::Plain);
                        }
                        _ => return (b.loc, depth, b.kind),
                    }
                }
                if scope.has_env {
                    depth = depth.saturating_add(1);
                }
            }
        }
        let a = self.atom(name);
        if let Some(&slot) = self.globals.map.get(&a) {
            let k = if self.globals.is_const[slot as usize] {
                BindKind::Const
            } else {
                BindKind::Let
            };
            return (Loc::GlobalLex(slot), 0, k);
        }
        (Loc::GlobalVar, 0, BindKind::Plain)
    }

    pub(super) fn load_name_static(&mut self, name: &str) {
        let (loc, depth, kind) = self.resolve(name);
        let tdz = matches!(kind, BindKind::Let | BindKind::Const);
        match loc {
            Loc::Local(s) => self.emit(if tdz {
                Op::GetLocalChecked(s)
            } else {
                Op::GetLocal(s)
            }),
            Loc::Env(s) => self.emit(if tdz {
                Op::GetEnvChecked(depth, s)
            } else {
                Op::GetEnv(depth, s)
            }),
            Loc::GlobalLex(s) => self.emit(Op::GetGlobalLex(s)),
            Loc::GlobalVar => {
                let a = self.atom(name);
                let c = self.cache();
                self.emit(Op::GetGlobal(a, c))
            }
        };
    }

    /// `typeof name`: no ReferenceError for undeclared globals.
    fn load_name_for_typeof_static(&mut self, name: &str) {
        let (loc, _, _) = self.resolve(name);
        if loc == Loc::GlobalVar {
            let a = self.atom(name);
            let c = self.cache();
            self.emit(Op::GetGlobalOrUndefined(a, c));
        } else {
            self.load_name_static(name);
        }
    }

    /// Store the top of stack into `name` (keeping it). `init` marks declarations.
    pub(super) fn store_name_static(&mut self, name: &str, init: bool) {
        let (loc, depth, kind) = self.resolve(name);
        if kind == BindKind::Const && !init {
            let a = self.atom(name);
            // Reading checks the TDZ first (assignment to an uninitialised const is a ReferenceError).
            self.load_name_static(name);
            self.emit(Op::Pop);
            self.emit(Op::ConstAssign(a));
            return;
        }
        let tdz = !init && kind == BindKind::Let;
        match loc {
            Loc::Local(s) => self.emit(if tdz {
                Op::SetLocalChecked(s)
            } else {
                Op::SetLocal(s)
            }),
            Loc::Env(s) => self.emit(if tdz {
                Op::SetEnvChecked(depth, s)
            } else {
                Op::SetEnv(depth, s)
            }),
            Loc::GlobalLex(s) => {
                if init {
                    self.emit(Op::Dup);
                    self.emit(Op::InitGlobalLex(s))
                } else {
                    self.emit(Op::SetGlobalLex(s))
                }
            }
            Loc::GlobalVar => {
                let a = self.atom(name);
                let c = self.cache();
                self.emit(Op::SetGlobal(a, c))
            }
        };
    }
    fn put_name_static(&mut self, name: &str, init: bool) {
        let (loc, _, kind) = self.resolve(name);
        match loc {
            Loc::Local(s) if init || kind == BindKind::Var || kind == BindKind::Plain => {
                self.emit(Op::PutLocal(s));
            }
            _ => {
                self.store_name_static(name, init);
                self.emit(Op::Pop);
            }
        }
    }

    /// The `with` objects a reference to `name` must consult first, innermost first:
    /// (environment depth, slot) of each.
    pub(super) fn with_objects_for(&self, name: &str) -> Vec<(u16, u32)> {
        let mut out = Vec::new();
        if self.with_scopes == 0 {
            return out;
        }
        let mut depth: u16 = 0;
        for f in self.fns.iter().rev() {
            for scope in f.scopes.iter().rev() {
                if scope.bindings.iter().any(|b| b.name == name) {
                    return out;
                }
                if scope.is_with {
                    out.push((depth, 0));
                }
                if scope.has_env {
                    depth = depth.saturating_add(1);
                }
            }
        }
        out
    }

    /// Emit the `with` checks before a name access. For each with object: if it has `name`,
    /// run `found` (with the object on the stack) and jump to the end. Returns the jumps to patch.
    pub(super) fn with_checks(
        &mut self,
        withs: &[(u16, u32)],
        name: &str,
        found: &mut dyn FnMut(&mut Self),
    ) -> Vec<usize> {
        let a = self.atom(name);
        let mut ends = Vec::new();
        for &(depth, slot) in withs {
            self.emit(Op::GetEnv(depth, slot));
            self.emit(Op::WithHas(a));
            let miss = self.emit(Op::JumpIfFalse(0));
            found(self);
            ends.push(self.emit(Op::Jump(0)));
            self.patch(miss);
            self.emit(Op::Pop);
        }
        ends
    }

    /// Load `name` through any `with` objects, else with `load_static`.
    fn load_through_withs(&mut self, name: &str, load_static: fn(&mut Self, &str)) {
        let withs = self.with_objects_for(name);
        let a = self.atom(name);
        let ends = self.with_checks(&withs, name, &mut |c| {
            let ic = c.cache();
            c.emit(Op::GetProp(a, ic));
        });
        load_static(self, name);
        for j in ends {
            self.patch(j);
        }
    }

    /// obj val → val: assign a name found on a `with` object.
    pub(super) fn emit_with_set(&mut self, a: Atom) {
        if self.fr().strict {
            self.emit(Op::WithSetStrict(a));
        } else {
            let ic = self.cache();
            self.emit(Op::SetProp(a, ic));
        }
    }

    fn load_name(&mut self, name: &str) {
        self.load_through_withs(name, Self::load_name_static);
    }

    fn load_name_for_typeof(&mut self, name: &str) {
        self.load_through_withs(name, Self::load_name_for_typeof_static);
    }

    /// Load `name` as a callee: pushes `function this` (`this` is the with object when the
    /// function was found on one).
    fn load_callee_name(&mut self, name: &str) {
        let withs = self.with_objects_for(name);
        let a = self.atom(name);
        let ends = self.with_checks(&withs, name, &mut |c| {
            let ic = c.cache();
            c.emit(Op::GetMethod(a, ic));
        });
        if name == "undefined" && self.resolve(name).0 == Loc::GlobalVar {
            self.emit(Op::Undefined);
        } else {
            self.load_name_static(name);
        }
        self.emit(Op::Undefined);
        for j in ends {
            self.patch(j);
        }
    }

    fn store_name(&mut self, name: &str, init: bool) {
        let withs = if init {
            Vec::new()
        } else {
            self.with_objects_for(name)
        };
        let a = self.atom(name);
        // Stack: value; with the object pushed: value obj.
        let ends = self.with_checks(&withs, name, &mut |c| {
            c.emit(Op::Swap);
            c.emit_with_set(a);
        });
        self.store_name_static(name, init);
        for j in ends {
            self.patch(j);
        }
    }

    fn put_name(&mut self, name: &str, init: bool) {
        if !init && !self.with_objects_for(name).is_empty() {
            self.store_name(name, init);
            self.emit(Op::Pop);
            return;
        }
        self.put_name_static(name, init);
    }

    // ----- entry points -----

    fn script(&mut self, program: &'a Program) -> CResult<Rc<Code>> {
        let captured = self.captures.captured_by_children(&[], None, &program.body);
        self.fns
            .push(FnState::new(CodeKind::Script, program.strict, captured));
        self.f().capture_all = body_mentions(&program.body, "eval", &Names::default());
        let completion = self.temp();
        self.f().completion = Some(completion);
        // Global declarations: var/function names become global object properties;
        // top-level lexical declarations go to the realm's lexical table.
        let mut vars = Vec::new();
        collect_var_names(&program.body, &mut vars);
        let mut funcs = Vec::new();
        collect_function_decls(&program.body, &mut funcs);
        for f in &funcs {
            if let Some(n) = &f.name {
                vars.push(n.clone());
            }
        }
        let lexicals = collect_lexical_decls(&program.body);
        let mut seen: Vec<&str> = Vec::new();
        for (name, kind) in &lexicals {
            if seen.contains(&name.as_str()) || vars.contains(name) {
                return self.err(
                    Pos::default(),
                    format!("Identifier '{name}' has already been declared"),
                );
            }
            seen.push(name);
            let a = self.atom(name);
            if self.globals.map.contains_key(&a) {
                return self.err(
                    Pos::default(),
                    format!("Identifier '{name}' has already been declared"),
                );
            }
            let slot = self.globals.names.len() as u32;
            self.globals.names.push(a);
            self.globals.is_const.push(*kind == BindKind::Const);
            self.globals.map.insert(a, slot);
            self.f().global_lexicals.push((a, *kind == BindKind::Const));
        }
        for v in &vars {
            let a = self.atom(v);
            if self.globals.map.contains_key(&a) {
                return self.err(
                    Pos::default(),
                    format!("Identifier '{v}' has already been declared"),
                );
            }
            if !self.f().global_vars.contains(&a) {
                self.f().global_vars.push(a);
            }
        }
        // The script's own scope holds nothing: globals resolve through the realm.
        self.f().scopes.push(Scope::default());
        for f in funcs {
            self.set_pos(f.pos);
            let idx = self.function_code(f)?;
            self.emit(Op::Closure(idx));
            let name = f.name.as_deref().unwrap_or("");
            self.put_name(name, true);
        }
        self.statements(&program.body)?;
        self.emit(Op::GetLocal(completion));
        self.emit(Op::Return);
        let name = self.atom("");
        let f = self.fns.pop().unwrap();
        Ok(self.finish(
            f,
            name,
            0,
            FrameShape {
                params: 0,
                locals: 0,
                env_slots: 0,
            },
            None,
        ))
    }

    fn finish(
        &mut self,
        f: FnState<'a>,
        name: Atom,
        length: u32,
        mut shape: FrameShape,
        src: Option<(u32, u32)>,
    ) -> Rc<Code> {
        shape.locals = f.local_names.len() as u32;
        Rc::new(Code {
            name,
            kind: f.kind,
            strict: f.strict,
            shape,
            length,
            mapped_arguments: f.mapped_arguments,
            needs_args: f
                .ops
                .iter()
                .any(|op| matches!(op, Op::Arguments | Op::RestArgs(_))),
            ops: f.ops.into_boxed_slice(),
            numbers: f.numbers.into_boxed_slice(),
            regexps: f.regexps.into_boxed_slice(),
            eval_sites: f.eval_sites.into_boxed_slice(),
            functions: f.functions.into_boxed_slice(),
            caches: (0..f.caches)
                .map(|_| Cell::new(0))
                .collect::<Vec<_>>()
                .into_boxed_slice(),
            local_names: f.local_names.into_boxed_slice(),
            lines: f.lines.into_boxed_slice(),
            script: self.script.clone(),
            source: src.map(|(a, b)| (self.source.clone(), a, b)),
            param_to_env: f.param_to_env.into_boxed_slice(),
            global_vars: f.global_vars.into_boxed_slice(),
            global_lexicals: f.global_lexicals.into_boxed_slice(),
        })
    }

    /// Compile a nested function; returns its index in the current function's table.
    fn function_code(&mut self, func: &'a Function) -> CResult<u32> {
        let code = self.compile_function(func, None)?;
        let f = self.f();
        f.functions.push(code);
        Ok(f.functions.len() as u32 - 1)
    }

    fn compile_function(
        &mut self,
        func: &'a Function,
        name_override: Option<&str>,
    ) -> CResult<Rc<Code>> {
        if self.fns.len() > 200 {
            return self.err(func.pos, "functions nested too deeply");
        }
        let kind = match func.kind {
            FunctionKind::Normal => CodeKind::Normal,
            FunctionKind::Arrow => CodeKind::Arrow,
            FunctionKind::Method => CodeKind::Method,
            FunctionKind::ClassConstructor => CodeKind::ClassConstructor,
            FunctionKind::DerivedConstructor => CodeKind::DerivedConstructor,
        };
        let captured =
            self.captures
                .captured_by_children(&func.params, func.rest.as_ref(), &func.body);
        let capture_all = captured.contains("eval") || body_mentions(&func.body, "eval", &captured);
        self.fns.push(FnState::new(kind, func.strict, captured));
        self.f().capture_all = capture_all;
        self.set_pos(func.pos);

        // Parameter slots come first: 0..params.
        let nparams = func.params.len() as u32;
        for i in 0..nparams {
            if func.simple_params {
                let Pattern::Ident(n) = &func.params[i as usize] else {
                    unreachable!()
                };
                self.new_local(n);
            } else {
                self.temp();
            }
        }
        // Declarations of the function-level scope.
        let mut decls: Vec<(String, BindKind)> = Vec::new();
        let mut param_names = Vec::new();
        for p in func.params.iter().chain(func.rest.iter()) {
            bound_names(p, &mut param_names);
        }
        // Parameters with expressions are in their TDZ until bound (`(a = b, b) => …`).
        let param_kind = if func.simple_params {
            BindKind::Plain
        } else {
            BindKind::Let
        };
        for n in &param_names {
            decls.push((n.clone(), param_kind));
        }
        let uses_arguments = kind != CodeKind::Arrow
            && !param_names.iter().any(|n| n == "arguments")
            && (capture_all
                || body_mentions(&func.body, "arguments", &self.fr().captured)
                || params_mention_arguments(func));
        if uses_arguments {
            decls.push(("arguments".to_string(), BindKind::Plain));
            if !func.strict && func.simple_params {
                // Mapped arguments alias the parameters: those live in the environment.
                let f = self.f();
                f.mapped_arguments = true;
                f.captured.extend(param_names.iter().cloned());
            }
        }
        let mut vars = Vec::new();
        collect_var_names(&func.body, &mut vars);
        let mut funcs = Vec::new();
        collect_function_decls(&func.body, &mut funcs);
        // With parameter expressions, the body's declarations live in a scope of their own, so
        // that closures in default values do not see them (FunctionDeclarationInstantiation).
        let separate_body = !func.simple_params;
        let mut body_decls: Vec<(String, BindKind)> = Vec::new();
        let target = if separate_body {
            &mut body_decls
        } else {
            &mut decls
        };
        for v in &vars {
            target.push((v.clone(), BindKind::Var));
        }
        for f in &funcs {
            target.push((f.name.clone().unwrap_or_default(), BindKind::Plain));
        }
        let lexicals = collect_lexical_decls(&func.body);
        for (n, k) in &lexicals {
            if param_names.contains(n) {
                return self.err(
                    func.pos,
                    format!("Identifier '{n}' has already been declared"),
                );
            }
            target.push((n.clone(), *k));
        }
        // A named function expression can refer to itself.
        let self_name = match (func.kind, &func.name) {
            (FunctionKind::Normal, Some(n))
                if name_override.is_none() && !decls.iter().any(|(d, _)| d == n) =>
            {
                decls.push((n.clone(), BindKind::Plain));
                Some(n.clone())
            }
            _ => None,
        };
        // Simple parameters keep their slots: bind them there (or copy into the environment).
        self.push_function_scope(&decls, func.simple_params.then_some(nparams))?;
        // TDZ markers for function-level lexicals.
        let lex_locs: Vec<Loc> = if separate_body {
            Vec::new()
        } else {
            lexicals.iter().map(|(n, _)| self.resolve(n).0).collect()
        };
        for loc in lex_locs {
            self.emit(Op::Empty);
            match loc {
                Loc::Local(s) => self.emit(Op::PutLocal(s)),
                Loc::Env(s) => self.emit(Op::PutEnv(0, s)),
                _ => self.emit(Op::Pop),
            };
        }
        if let Some(n) = &self_name {
            self.emit(Op::Callee);
            self.put_name(n, true);
        }
        if uses_arguments {
            self.emit(Op::Arguments);
            self.put_name("arguments", true);
        }
        // Non-simple parameters: defaults and patterns, in order.
        if !func.simple_params {
            let locs: Vec<Loc> = param_names.iter().map(|n| self.resolve(n).0).collect();
            for loc in locs {
                self.emit(Op::Empty);
                match loc {
                    Loc::Local(s) => self.emit(Op::PutLocal(s)),
                    Loc::Env(s) => self.emit(Op::PutEnv(0, s)),
                    _ => self.emit(Op::Pop),
                };
            }
            for (i, p) in func.params.iter().enumerate() {
                self.emit(Op::GetLocal(i as u32));
                self.bind_pattern(p, true)?;
            }
            if let Some(r) = &func.rest {
                self.emit(Op::RestArgs(nparams));
                self.bind_pattern(r, true)?;
            }
        }
        let body_scope = separate_body && !body_decls.is_empty();
        if body_scope {
            // A body `var` named like a parameter (or `arguments`) starts with its value.
            let mut carried: Vec<String> = Vec::new();
            for v in &vars {
                let is_param = param_names.contains(v) || (uses_arguments && v == "arguments");
                if is_param && !carried.contains(v) {
                    carried.push(v.clone());
                }
            }
            for n in &carried {
                self.load_name(n);
            }
            self.push_scope(&body_decls)?;
            self.enter_block_scope();
            // Block environments start out uninitialised: `var`s and functions are undefined.
            let plain: Vec<u32> = self
                .fr()
                .scopes
                .last()
                .unwrap()
                .bindings
                .iter()
                .filter(|b| matches!(b.kind, BindKind::Var | BindKind::Plain))
                .filter_map(|b| match b.loc {
                    Loc::Env(slot) => Some(slot),
                    _ => None,
                })
                .collect();
            for slot in plain {
                self.emit(Op::Undefined);
                self.emit(Op::PutEnv(0, slot));
            }
            for n in carried.iter().rev() {
                self.put_name(n, true);
            }
        }
        for f in funcs {
            self.set_pos(f.pos);
            let idx = self.function_code(f)?;
            self.emit(Op::Closure(idx));
            self.put_name(f.name.as_deref().unwrap_or(""), true);
        }
        self.set_pos(func.pos);
        self.statements(&func.body)?;
        if body_scope {
            self.leave_block_scope();
        }
        if kind == CodeKind::DerivedConstructor {
            self.emit(Op::This);
        } else {
            self.emit(Op::Undefined);
        }
        self.emit(Op::Return);

        let f = self.fns.pop().unwrap();
        let env_slots = f.scopes.first().map_or(0, |s| s.env_slots);
        let name = match name_override {
            Some(n) => self.atom(n),
            None => {
                let n = func.name.clone().unwrap_or_default();
                self.atom(&n)
            }
        };
        let length = func
            .params
            .iter()
            .take_while(|p| !matches!(p, Pattern::Default(..)))
            .count() as u32;
        Ok(self.finish(
            f,
            name,
            length,
            FrameShape {
                params: nparams,
                locals: 0,
                env_slots,
            },
            Some((func.source_start, func.source_end)),
        ))
    }

    /// Push the function-level scope; with simple params, param `i` is bound to slot `i`.
    fn push_function_scope(
        &mut self,
        decls: &[(String, BindKind)],
        simple_params: Option<u32>,
    ) -> CResult<()> {
        let mut scope = Scope::default();
        let nparams = simple_params.unwrap_or(0);
        // Parameter names bind to their slots; the last of duplicate names wins.
        let mut param_slots: Vec<(String, u32)> = Vec::new();
        if simple_params.is_some() {
            for i in 0..nparams {
                let a = self.fr().local_names[i as usize];
                let name = String::from_utf8_lossy(self.atoms.bytes(a)).into_owned();
                if let Some(e) = param_slots.iter_mut().find(|(n, _)| *n == name) {
                    e.1 = i;
                } else {
                    param_slots.push((name, i));
                }
            }
        }
        for (name, kind) in decls {
            if let Some(b) = scope.bindings.iter_mut().find(|b| &b.name == name) {
                // `var x` twice, or `function f` after `var f`: same binding.
                if *kind == BindKind::Plain {
                    b.kind = BindKind::Plain;
                }
                continue;
            }
            let captured = self.fr().capture_all || self.fr().captured.contains(name.as_str());
            let param_slot = param_slots.iter().find(|(n, _)| n == name).map(|p| p.1);
            let loc = if captured {
                scope.env_slots += 1;
                let e = scope.env_slots - 1;
                if let Some(ps) = param_slot {
                    self.f().param_to_env.push((ps, e));
                }
                Loc::Env(e)
            } else if let Some(ps) = param_slot {
                Loc::Local(ps)
            } else {
                Loc::Local(self.new_local(name))
            };
            scope.bindings.push(Binding {
                name: name.clone(),
                loc,
                kind: *kind,
            });
        }
        scope.has_env = scope.env_slots > 0;
        self.f().scopes.push(scope);
        Ok(())
    }
}

// ----- declaration collection -----

/// Names bound by a pattern.
pub(crate) fn bound_names(p: &Pattern, out: &mut Vec<String>) {
    match p {
        Pattern::Ident(n) => out.push(n.clone()),
        Pattern::Member(_) => {}
        Pattern::Object { props, rest } => {
            for pp in props {
                bound_names(&pp.value, out);
            }
            if let Some(r) = rest {
                bound_names(r, out);
            }
        }
        Pattern::Array { elems, rest } => {
            for e in elems.iter().flatten() {
                bound_names(e, out);
            }
            if let Some(r) = rest {
                bound_names(r, out);
            }
        }
        Pattern::Default(p, _) => bound_names(p, out),
    }
}

/// `var` names declared in a body (not entering nested functions).
fn collect_var_names(body: &[Stmt], out: &mut Vec<String>) {
    for s in body {
        collect_var_stmt(s, out);
    }
}

fn collect_var_stmt(s: &Stmt, out: &mut Vec<String>) {
    match &s.kind {
        StmtKind::Var(VarKind::Var, decls) => {
            for d in decls {
                bound_names(&d.target, out);
            }
        }
        StmtKind::If(_, a, b) => {
            collect_var_stmt(a, out);
            if let Some(b) = b {
                collect_var_stmt(b, out);
            }
        }
        StmtKind::Block(b) => collect_var_names(b, out),
        StmtKind::For { init, body, .. } => {
            if let Some(ForInit::Decl(VarKind::Var, decls)) = init {
                for d in decls {
                    bound_names(&d.target, out);
                }
            }
            collect_var_stmt(body, out);
        }
        StmtKind::ForIn(h, _, b) | StmtKind::ForOf(h, _, b) => {
            if let ForHead::Decl(VarKind::Var, p) = h {
                bound_names(p, out);
            }
            collect_var_stmt(b, out);
        }
        StmtKind::While(_, b)
        | StmtKind::DoWhile(b, _)
        | StmtKind::Labeled(_, b)
        | StmtKind::With(_, b) => collect_var_stmt(b, out),
        StmtKind::Try {
            block,
            handler,
            finalizer,
            ..
        } => {
            collect_var_names(block, out);
            if let Some(h) = handler {
                collect_var_names(h, out);
            }
            if let Some(f) = finalizer {
                collect_var_names(f, out);
            }
        }
        StmtKind::Switch(_, cases) => {
            for c in cases {
                collect_var_names(&c.body, out);
            }
        }
        // Annex B: function declarations in blocks are also var-scoped (sloppy mode).
        _ => {}
    }
}

/// Function declarations directly in a body (hoisted to its start).
fn collect_function_decls<'a>(body: &'a [Stmt], out: &mut Vec<&'a Function>) {
    for s in body {
        let mut s = s;
        while let StmtKind::Labeled(_, inner) = &s.kind {
            s = inner;
        }
        if let StmtKind::Function(f) = &s.kind {
            out.push(f);
        }
    }
}

/// `let`/`const`/`class` declared directly in a body.
fn collect_lexical_decls(body: &[Stmt]) -> Vec<(String, BindKind)> {
    let mut out = Vec::new();
    for s in body {
        match &s.kind {
            StmtKind::Var(k @ (VarKind::Let | VarKind::Const), decls) => {
                let mut names = Vec::new();
                for d in decls {
                    bound_names(&d.target, &mut names);
                }
                let bk = if *k == VarKind::Const {
                    BindKind::Const
                } else {
                    BindKind::Let
                };
                out.extend(names.into_iter().map(|n| (n, bk)));
            }
            StmtKind::Class(c) => {
                if let Some(n) = &c.name {
                    out.push((n.clone(), BindKind::Let));
                }
            }
            _ => {}
        }
    }
    out
}

/// Does the body (or a nested arrow) mention `name`? Uses the capture set for nested functions.
fn body_mentions(body: &[Stmt], name: &str, captured: &Names) -> bool {
    if captured.contains(name) {
        return true;
    }
    let mut c = captures::Captures::default();
    let names = c.names_in_stmts(body);
    names.contains(name)
}

fn params_mention_arguments(func: &Function) -> bool {
    let mut c = captures::Captures::default();
    let mut found = false;
    for p in &func.params {
        if let Pattern::Default(_, e) = p {
            found |= c
                .names_in_exprs(core::iter::once(&**e))
                .contains("arguments");
        }
    }
    found
}

impl From<CompileError> for crate::parser::SyntaxError {
    fn from(e: CompileError) -> Self {
        crate::parser::SyntaxError {
            message: e.message,
            line: e.pos.line,
            col: e.pos.col,
        }
    }
}
