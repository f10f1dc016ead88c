//! The abstract syntax tree produced by [`crate::parser`] and consumed by [`crate::compiler`].
//!
//! Strings are byte strings (`Vec<u8>`): Ferrite strings are byte arrays, UTF-8 by convention.
//! Identifiers are Rust `String`s (escapes in identifiers are decoded to UTF-8 by the lexer).
//! Every statement and expression carries a [`Pos`] so that the compiler can emit line tables.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

/// A source position: 1-based line and column (column counts bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

pub type Name = String;

#[derive(Debug)]
pub struct Program {
    pub body: Vec<Stmt>,
    /// `"use strict"` directive prologue at the top of the script.
    pub strict: bool,
}

#[derive(Debug)]
pub struct Stmt {
    pub kind: StmtKind,
    pub pos: Pos,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarKind {
    Var,
    Let,
    Const,
}

#[derive(Debug)]
pub struct VarDecl {
    pub target: Pattern,
    pub init: Option<Expr>,
}

/// The left-hand side of `for (… in/of …)`.
#[derive(Debug)]
pub enum ForHead {
    /// `for (var x in …)`, `for (let [a, b] of …)`; the declaration has no initializer
    /// (except the legacy `for (var x = 1 in …)`, which we reject).
    Decl(VarKind, Pattern),
    /// `for (x in …)`, `for (o.p of …)`, `for ([a, b] of …)`.
    Target(Pattern),
}

#[derive(Debug)]
pub enum ForInit {
    Decl(VarKind, Vec<VarDecl>),
    Expr(Expr),
}

#[derive(Debug)]
pub struct SwitchCase {
    /// `None` for `default:`.
    pub test: Option<Expr>,
    pub body: Vec<Stmt>,
}

#[derive(Debug)]
pub enum StmtKind {
    Expr(Expr),
    Var(VarKind, Vec<VarDecl>),
    /// A function declaration (hoisted).
    Function(Rc<Function>),
    Class(Rc<Class>),
    Return(Option<Expr>),
    If(Expr, Box<Stmt>, Option<Box<Stmt>>),
    Block(Vec<Stmt>),
    For {
        init: Option<ForInit>,
        test: Option<Expr>,
        update: Option<Expr>,
        body: Box<Stmt>,
    },
    ForIn(ForHead, Expr, Box<Stmt>),
    ForOf(ForHead, Expr, Box<Stmt>),
    While(Expr, Box<Stmt>),
    DoWhile(Box<Stmt>, Expr),
    Break(Option<Name>),
    Continue(Option<Name>),
    Throw(Expr),
    Try {
        block: Vec<Stmt>,
        /// `catch (param)`; `None` for `catch {` without a binding.
        param: Option<Pattern>,
        handler: Option<Vec<Stmt>>,
        finalizer: Option<Vec<Stmt>>,
    },
    Switch(Expr, Vec<SwitchCase>),
    Labeled(Name, Box<Stmt>),
    With(Expr, Box<Stmt>),
    Empty,
    Debugger,
}

/// A binding or assignment target.
#[derive(Debug)]
pub enum Pattern {
    Ident(Name),
    /// Only as an assignment target: `o.p = …`, `[o.p] = …`.
    Member(Box<Expr>),
    Object {
        props: Vec<PatProp>,
        rest: Option<Box<Pattern>>,
    },
    Array {
        /// `None` is a hole: `[, b] = …`.
        elems: Vec<Option<Pattern>>,
        rest: Option<Box<Pattern>>,
    },
    /// `target = default`.
    Default(Box<Pattern>, Box<Expr>),
}

#[derive(Debug)]
pub struct PatProp {
    pub key: PropKey,
    pub value: Pattern,
}

#[derive(Debug)]
pub enum PropKey {
    /// `a`, `"a"`, `1` (numbers are canonicalised to their string form by the parser).
    Static(Vec<u8>),
    /// `[expr]`.
    Computed(Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropKind {
    Init,
    Get,
    Set,
}

#[derive(Debug)]
pub enum ObjectProp {
    /// `key: value`, `key`, `key() {}`, `get key() {}`, `set key(v) {}`.
    Prop {
        key: PropKey,
        value: Expr,
        kind: PropKind,
    },
    /// `...expr`.
    Spread(Expr),
}

#[derive(Debug)]
pub enum ArrayElem {
    Hole,
    Expr(Expr),
    Spread(Expr),
}

#[derive(Debug)]
pub enum Arg {
    Expr(Expr),
    Spread(Expr),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Plus,
    Not,
    BitNot,
    Typeof,
    Void,
    Delete,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Exp,
    Shl,
    Shr,
    UShr,
    BitAnd,
    BitOr,
    BitXor,
    Eq,
    Ne,
    StrictEq,
    StrictNe,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    InstanceOf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogicalOp {
    And,
    Or,
    Nullish,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOp {
    /// `=`
    Assign,
    /// `+=`, `-=`, … : the binary operator applied.
    Op(BinaryOp),
    /// `&&=`, `||=`, `??=`.
    Logical(LogicalOp),
}

#[derive(Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub pos: Pos,
}

#[derive(Debug)]
pub enum ExprKind {
    Number(f64),
    Str(Vec<u8>),
    /// A template literal: `quasis.len() == exprs.len() + 1` (cooked strings).
    Template {
        quasis: Vec<Vec<u8>>,
        exprs: Vec<Expr>,
    },
    /// A tagged template: `tag\`…\``; `cooked` may hold `None` for invalid escapes.
    TaggedTemplate {
        tag: Box<Expr>,
        cooked: Vec<Option<Vec<u8>>>,
        raw: Vec<Vec<u8>>,
        exprs: Vec<Expr>,
    },
    Regex {
        pattern: Vec<u8>,
        flags: Vec<u8>,
    },
    Ident(Name),
    This,
    Null,
    Bool(bool),
    Array(Vec<ArrayElem>),
    Object(Vec<ObjectProp>),
    Function(Rc<Function>),
    Class(Rc<Class>),
    Unary(UnaryOp, Box<Expr>),
    /// `++x`, `x--`: `delta` is +1 or -1.
    Update {
        prefix: bool,
        delta: i8,
        target: Box<Pattern>,
    },
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Logical(LogicalOp, Box<Expr>, Box<Expr>),
    Assign(AssignOp, Box<Pattern>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `callee(args)`; `optional` for `callee?.(args)`.
    Call {
        callee: Box<Expr>,
        args: Vec<Arg>,
        optional: bool,
    },
    New {
        callee: Box<Expr>,
        args: Vec<Arg>,
    },
    /// `obj.name` / `obj[expr]`; `optional` for `obj?.name`.
    Member {
        obj: Box<Expr>,
        prop: PropKey,
        optional: bool,
    },
    /// The boundary of an optional chain: `a?.b.c` parses as
    /// `OptionalChain(Member(Member(a, b, optional), c))`. A short-circuit anywhere inside
    /// yields `undefined` for the whole chain.
    OptionalChain(Box<Expr>),
    /// `super.name` / `super[expr]`.
    SuperMember(PropKey),
    /// `super(args)`.
    SuperCall(Vec<Arg>),
    NewTarget,
    Seq(Vec<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionKind {
    /// `function f() {}` (declaration or expression).
    Normal,
    Arrow,
    /// Object literal or class method (no `prototype`, not a constructor), incl. getters/setters.
    Method,
    /// A class's `constructor` (or the implicit one).
    ClassConstructor,
    /// The constructor of a class with `extends`.
    DerivedConstructor,
}

#[derive(Debug)]
pub struct Param {
    pub pattern: Pattern,
}

#[derive(Debug)]
pub struct Function {
    pub name: Option<Name>,
    pub kind: FunctionKind,
    /// Parameters; a default value is `Pattern::Default`.
    pub params: Vec<Pattern>,
    pub rest: Option<Pattern>,
    /// An arrow's expression body is parsed into a single `Return` statement.
    pub body: Vec<Stmt>,
    /// Strict because of the enclosing code or its own `"use strict"`.
    pub strict: bool,
    /// True if the parameter list is simple (only identifiers, no defaults/rest/patterns).
    pub simple_params: bool,
    pub pos: Pos,
    /// Byte range of the function's source text, for `Function.prototype.toString`.
    pub source_start: u32,
    pub source_end: u32,
}

#[derive(Debug)]
pub struct ClassMember {
    pub key: PropKey,
    pub is_static: bool,
    pub kind: PropKind,
    /// A method (kind Init), getter or setter.
    pub value: Rc<Function>,
}

/// `static x = 1;` / `x = 1;` class fields.
#[derive(Debug)]
pub struct ClassField {
    pub key: PropKey,
    pub is_static: bool,
    pub value: Option<Expr>,
}

#[derive(Debug)]
pub struct Class {
    pub name: Option<Name>,
    pub extends: Option<Box<Expr>>,
    /// The constructor; `None` if the class declares none (the compiler builds the default).
    pub constructor: Option<Rc<Function>>,
    pub members: Vec<ClassMember>,
    pub fields: Vec<ClassField>,
    pub pos: Pos,
}
