//! Capture analysis: which variable names a function's nested functions refer to.
//!
//! A variable of function F is "captured" (stored in a heap environment instead of a frame slot)
//! if its name is referenced anywhere inside a function nested in F. This over-approximates
//! (it ignores shadowing) and is always safe.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use hashbrown::{HashMap, HashSet};

use crate::ast::*;

pub type Names = HashSet<String>;

#[derive(Default)]
pub struct Captures {
    /// All names referenced inside a function, including its nested functions.
    refs: HashMap<*const Function, Rc<Names>>,
}

impl Captures {
    /// Names referenced by functions nested in this body (directly or deeper).
    pub fn captured_by_children(
        &mut self,
        params: &[Pattern],
        rest: Option<&Pattern>,
        body: &[Stmt],
    ) -> Names {
        let mut c = Collector::default();
        for p in params {
            c.pattern(p);
        }
        if let Some(r) = rest {
            c.pattern(r);
        }
        for s in body {
            c.stmt(s);
        }
        let mut out = c.child_names;
        for f in c.children {
            out.extend(self.refs_of(f).iter().cloned());
        }
        out
    }

    /// Also used for class field initialisers, which run in a synthetic function.
    pub fn names_in_exprs<'e>(&mut self, exprs: impl Iterator<Item = &'e Expr>) -> Names {
        let mut c = Collector::default();
        for e in exprs {
            c.expr(e);
        }
        let mut out = c.names;
        out.extend(c.child_names);
        for f in c.children {
            out.extend(self.refs_of(f).iter().cloned());
        }
        out
    }

    fn refs_of(&mut self, f: &Function) -> Rc<Names> {
        let key = f as *const Function;
        if let Some(r) = self.refs.get(&key) {
            return r.clone();
        }
        let mut c = Collector::default();
        for p in &f.params {
            c.pattern(p);
        }
        if let Some(r) = &f.rest {
            c.pattern(r);
        }
        for s in &f.body {
            c.stmt(s);
        }
        let mut names = c.names;
        names.extend(c.child_names);
        for child in c.children {
            names.extend(self.refs_of(child).iter().cloned());
        }
        let r = Rc::new(names);
        self.refs.insert(key, r.clone());
        r
    }
}

/// Walks one function body without entering nested functions (those are recorded).
#[derive(Default)]
struct Collector<'a> {
    names: Names,
    /// Names referenced by code that runs as a nested function but isn't a `Function` node
    /// (class field initialisers).
    child_names: Names,
    children: Vec<&'a Function>,
}

impl<'a> Collector<'a> {
    fn stmt(&mut self, s: &'a Stmt) {
        match &s.kind {
            StmtKind::Expr(e) | StmtKind::Throw(e) => self.expr(e),
            StmtKind::Var(_, decls) => self.decls(decls),
            StmtKind::Function(f) => {
                if let Some(n) = &f.name {
                    self.names.insert(n.clone());
                }
                self.children.push(f)
            }
            StmtKind::Class(c) => self.class(c),
            StmtKind::Return(e) => {
                if let Some(e) = e {
                    self.expr(e)
                }
            }
            StmtKind::If(c, t, e) => {
                self.expr(c);
                self.stmt(t);
                if let Some(e) = e {
                    self.stmt(e);
                }
            }
            StmtKind::Block(b) => b.iter().for_each(|s| self.stmt(s)),
            StmtKind::For {
                init,
                test,
                update,
                body,
            } => {
                match init {
                    Some(ForInit::Decl(_, d)) => self.decls(d),
                    Some(ForInit::Expr(e)) => self.expr(e),
                    None => {}
                }
                if let Some(e) = test {
                    self.expr(e);
                }
                if let Some(e) = update {
                    self.expr(e);
                }
                self.stmt(body);
            }
            StmtKind::ForIn(h, e, b) | StmtKind::ForOf(h, e, b) => {
                match h {
                    ForHead::Decl(_, p) | ForHead::Target(p) => self.pattern(p),
                }
                self.expr(e);
                self.stmt(b);
            }
            StmtKind::While(e, b) | StmtKind::DoWhile(b, e) | StmtKind::With(e, b) => {
                self.expr(e);
                self.stmt(b);
            }
            StmtKind::Try {
                block,
                param,
                handler,
                finalizer,
            } => {
                block.iter().for_each(|s| self.stmt(s));
                if let Some(p) = param {
                    self.pattern(p);
                }
                if let Some(h) = handler {
                    h.iter().for_each(|s| self.stmt(s));
                }
                if let Some(f) = finalizer {
                    f.iter().for_each(|s| self.stmt(s));
                }
            }
            StmtKind::Switch(e, cases) => {
                self.expr(e);
                for c in cases {
                    if let Some(t) = &c.test {
                        self.expr(t);
                    }
                    c.body.iter().for_each(|s| self.stmt(s));
                }
            }
            StmtKind::Labeled(_, s) => self.stmt(s),
            StmtKind::Break(_) | StmtKind::Continue(_) | StmtKind::Empty | StmtKind::Debugger => {}
        }
    }

    fn decls(&mut self, decls: &'a [VarDecl]) {
        for d in decls {
            self.pattern(&d.target);
            if let Some(e) = &d.init {
                self.expr(e);
            }
        }
    }

    fn class(&mut self, c: &'a Class) {
        if let Some(n) = &c.name {
            self.names.insert(n.clone());
        }
        if let Some(e) = &c.extends {
            self.expr(e);
        }
        if let Some(f) = &c.constructor {
            self.children.push(f);
        }
        for m in &c.members {
            self.key(&m.key);
            self.children.push(&m.value);
        }
        let mut inner = Collector::default();
        for f in &c.fields {
            if let PropKey::Computed(e) = &f.key {
                self.expr(e);
            }
            if let Some(v) = &f.value {
                inner.expr(v);
            }
        }
        self.child_names.extend(inner.names);
        self.child_names.extend(inner.child_names);
        self.children.extend(inner.children);
    }

    fn key(&mut self, k: &'a PropKey) {
        if let PropKey::Computed(e) = k {
            self.expr(e);
        }
    }

    fn pattern(&mut self, p: &'a Pattern) {
        match p {
            Pattern::Ident(n) => {
                self.names.insert(n.clone());
            }
            Pattern::Member(e) => self.expr(e),
            Pattern::Object { props, rest } => {
                for pp in props {
                    self.key(&pp.key);
                    self.pattern(&pp.value);
                }
                if let Some(r) = rest {
                    self.pattern(r);
                }
            }
            Pattern::Array { elems, rest } => {
                for e in elems.iter().flatten() {
                    self.pattern(e);
                }
                if let Some(r) = rest {
                    self.pattern(r);
                }
            }
            Pattern::Default(p, e) => {
                self.pattern(p);
                self.expr(e);
            }
        }
    }

    fn args(&mut self, args: &'a [Arg]) {
        for a in args {
            match a {
                Arg::Expr(e) | Arg::Spread(e) => self.expr(e),
            }
        }
    }

    fn expr(&mut self, e: &'a Expr) {
        match &e.kind {
            ExprKind::Ident(n) => {
                self.names.insert(n.clone());
            }
            ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Regex { .. }
            | ExprKind::This
            | ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::NewTarget => {}
            ExprKind::Template { exprs, .. } => exprs.iter().for_each(|e| self.expr(e)),
            ExprKind::TaggedTemplate { tag, exprs, .. } => {
                self.expr(tag);
                exprs.iter().for_each(|e| self.expr(e));
            }
            ExprKind::Array(elems) => {
                for el in elems {
                    match el {
                        ArrayElem::Hole => {}
                        ArrayElem::Expr(e) | ArrayElem::Spread(e) => self.expr(e),
                    }
                }
            }
            ExprKind::Object(props) => {
                for p in props {
                    match p {
                        ObjectProp::Prop { key, value, .. } => {
                            self.key(key);
                            self.expr(value);
                        }
                        ObjectProp::Spread(e) => self.expr(e),
                    }
                }
            }
            ExprKind::Function(f) => self.children.push(f),
            ExprKind::Class(c) => self.class(c),
            ExprKind::Unary(_, e) | ExprKind::OptionalChain(e) => self.expr(e),
            ExprKind::Update { target, .. } => self.pattern(target),
            ExprKind::Binary(_, a, b) | ExprKind::Logical(_, a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Assign(_, p, e) => {
                self.pattern(p);
                self.expr(e);
            }
            ExprKind::Cond(a, b, c) => {
                self.expr(a);
                self.expr(b);
                self.expr(c);
            }
            ExprKind::Call { callee, args, .. } | ExprKind::New { callee, args } => {
                self.expr(callee);
                self.args(args);
            }
            ExprKind::Member { obj, prop, .. } => {
                self.expr(obj);
                self.key(prop);
            }
            ExprKind::SuperMember(k) => self.key(k),
            ExprKind::SuperCall(args) => self.args(args),
            ExprKind::Seq(es) => es.iter().for_each(|e| self.expr(e)),
        }
    }
}

impl Captures {
    /// All names referenced in these statements, nested functions included.
    pub fn names_in_stmts(&mut self, body: &[Stmt]) -> Names {
        let mut c = Collector::default();
        for s in body {
            c.stmt(s);
        }
        let mut out = c.names;
        out.extend(c.child_names);
        for f in c.children {
            out.extend(self.refs_of(f).iter().cloned());
        }
        out
    }
}
