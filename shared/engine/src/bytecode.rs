//! Bytecode: the instruction set ([`Op`]) and compiled functions ([`Code`]).
//!
//! The VM is a stack machine. Each function has a frame of local slots (parameters first) and an
//! operand stack above them. Variables captured by inner functions live in heap environments
//! ([`crate::heap::Env`]) instead of slots. Instructions are 8 bytes (a test asserts it).

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;

use crate::value::Atom;

/// Flags of [`Op::DefineMethod`].
pub mod method_flags {
    pub const GETTER: u8 = 2;
    pub const SETTER: u8 = 4;
    /// Class member: not enumerable.
    pub const CLASS: u8 = 8;
    /// Class static member: defined on the constructor (below the prototype on the stack).
    pub const STATIC: u8 = 16;
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    // Constants and stack shuffling.
    Undefined,
    Null,
    True,
    False,
    /// Pushes the TDZ marker (uninitialised binding).
    Empty,
    Int(i32),
    /// `code.numbers[i]`.
    Number(u32),
    /// An interned string.
    Str(Atom),
    Pop,
    Dup,
    /// a b → a b a b
    Dup2,
    Swap,
    /// a b c → c a b
    Rot3,
    /// a b → a b a
    Over,

    // Variables.
    GetLocal(u32),
    /// Checks the TDZ marker; the binding's name is `code.local_names[i]`.
    GetLocalChecked(u32),
    /// Stores the top of stack, keeping it.
    SetLocal(u32),
    /// Stores the top of stack, popping it.
    PutLocal(u32),
    /// Assignment to a `let` that must be initialised (TDZ check), keeps the value.
    SetLocalChecked(u32),
    /// Environment slot: `depth` hops up the scope chain, then slot `index`.
    GetEnv(u16, u32),
    GetEnvChecked(u16, u32),
    SetEnv(u16, u32),
    PutEnv(u16, u32),
    SetEnvChecked(u16, u32),
    /// Global variable by name, with an inline-cache slot.
    GetGlobal(Atom, u16),
    /// Like `GetGlobal` but yields undefined instead of a ReferenceError (for `typeof x`).
    GetGlobalOrUndefined(Atom, u16),
    SetGlobal(Atom, u16),
    /// A top-level `let`/`const`/`class` of some script: slot in the realm's lexical table.
    GetGlobalLex(u32),
    SetGlobalLex(u32),
    /// Initialise a global lexical binding (ends its TDZ), popping the value.
    InitGlobalLex(u32),
    /// Assignment to a `const`: throws TypeError (the name is the atom).
    ConstAssign(Atom),
    /// Push a new block environment with `n` slots (TDZ-initialised).
    PushEnv(u32),
    PopEnv,
    /// Replace the current environment by a copy (per-iteration bindings of `for (let …)`).
    CopyEnv,

    // Receivers and function context.
    This,
    NewTarget,
    /// The running function itself.
    Callee,
    /// The realm's global object.
    GlobalObject,
    /// Create the `arguments` object from the frame's arguments.
    Arguments,
    /// Create an array of the arguments from index `n` on.
    RestArgs(u32),

    // Properties.
    GetProp(Atom, u16),
    /// obj val → val
    SetProp(Atom, u16),
    /// obj → method obj (for calls)
    GetMethod(Atom, u16),
    GetElem,
    /// obj key val → val
    SetElem,
    /// obj key → method obj
    GetMethodElem,
    DeleteProp(Atom),
    DeleteElem,
    /// super.name (receiver is `this`)
    GetSuper(Atom),
    /// key → value
    GetSuperElem,
    /// val → val
    SetSuper(Atom),
    /// key val → val
    SetSuperElem,
    /// super.name for a call: → method this
    GetSuperMethod(Atom),

    // Literals.
    NewObject,
    NewArray,
    /// arr val → arr
    ArrayPush,
    ArrayHole,
    /// arr iterable → arr
    ArraySpread,
    /// obj val → obj: define an own data property (object literals, class fields).
    DefineField(Atom),
    /// obj key val → obj
    DefineFieldElem,
    /// obj src → obj (`{...src}`)
    CopyDataProps,
    /// src excl1 … excln → rest object (object rest in patterns)
    CopyDataPropsExcept(u32),
    /// obj val → obj: `__proto__: val` in a literal.
    SetProtoLiteral,
    /// Create a closure from `code.functions[i]`.
    Closure(u32),
    /// target key → target: create method `code.functions[func]` with home object `target`
    /// and define it (see [`method_flags`]). For class members the stack is `ctor proto key`.
    DefineMethod(u32, u8),
    /// heritage-or-empty ctor → ctor proto
    MakeClass,
    /// ctor proto → ctor proto: attach `code.functions[i]` as the instance-field initialiser.
    SetFieldInit(u32),
    /// ctor proto → ctor proto: run `code.functions[i]` with `this` = ctor (static fields).
    RunStaticInit(u32),
    /// `code.regexps[i]`: (pattern, flags).
    RegExp(u32),
    /// strings… (n of them) → template object (for tagged templates); cooked then raw.
    TemplateObject(u32),

    // Operators.
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
    Neg,
    /// Unary `+`: ToNumber.
    ToNumber,
    /// ToNumeric (postfix increment's old value).
    ToNumeric,
    Not,
    BitNot,
    Typeof,
    Inc,
    Dec,
    /// ToString (template literal substitutions).
    ToStr,
    /// ToPropertyKey (computed keys).
    ToKey,
    /// Throws TypeError if the top is null/undefined (destructuring).
    CheckObjectCoercible,
    /// ToObject (the object of a `with` statement).
    ToObject,
    /// obj → obj bool: does the `with` object provide this name (HasProperty, not unscopable)?
    WithHas(Atom),
    /// obj val → val: strict-mode assignment through a `with` object: a ReferenceError if the
    /// property disappeared since the name was resolved.
    WithSetStrict(Atom),

    // Control flow.
    Jump(u32),
    JumpIfFalse(u32),
    JumpIfTrue(u32),
    /// Jump keeping the value if falsy, else pop it (`&&`).
    JumpIfFalseKeep(u32),
    /// Jump keeping the value if truthy, else pop it (`||`).
    JumpIfTrueKeep(u32),
    /// Jump keeping the value if not nullish, else pop it (`??`).
    JumpIfNotNullishKeep(u32),
    /// If the top is nullish: pop it and `n` more values below it, and jump (optional chains).
    JumpIfNullish(u32, u8),
    /// If the top is not undefined, jump keeping it; else pop it (default values).
    JumpIfNotUndefined(u32),
    /// f this args… → result
    Call(u16),
    /// A call `eval(args…)` that is a direct eval if `f` is the realm's `eval`:
    /// `code.eval_sites[i]` describes the scopes the eval code can see.
    DirectEval(u32),
    /// f this array → result
    CallSpread,
    /// f args… → result
    New(u16),
    /// f array → result
    NewSpread,
    /// args… → this (also runs field initialisers)
    SuperCall(u16),
    /// array → this
    SuperCallSpread,
    Return,
    Throw,
    /// Throw a ReferenceError/TypeError etc. prepared by the compiler: `(kind, message atom)`.
    ThrowError(u8, Atom),
    /// Push an exception handler at `target`.
    Try(u32),
    EndTry,

    // Iteration.
    /// iterable → (iterator in local `slot`, its `next` in `slot+1`, done flag in `slot+2`)
    GetIterator(u32),
    /// Push the next value, or jump to the target when done.
    IterNext(u16, u32),
    /// Push the next value, or undefined when done (array destructuring).
    IterValue(u32),
    /// Push an array of the remaining values.
    IterRest(u32),
    /// Call `return` on the iterator unless it is done.
    IterClose(u32),
    /// obj → for-in state
    ForInStart,
    /// state → state key, or pop the state and jump when done.
    ForInNext(u32),

    Nop,
    Debugger,
}

/// `kind` of [`Op::ThrowError`].
pub mod error_kinds {
    pub const REFERENCE: u8 = 0;
    pub const TYPE: u8 = 1;
    pub const SYNTAX: u8 = 2;
    pub const RANGE: u8 = 3;
}

/// The scopes visible at a direct `eval` call site, for compiling the eval code.
#[derive(Debug)]
pub struct EvalSite {
    pub argc: u16,
    pub strict: bool,
    /// The eval code may use `new.target` (inside a non-arrow function).
    pub new_target: bool,
    /// The eval code may use `super.x` (inside a method).
    pub super_property: bool,
    /// The runtime environment chain, innermost first: one level per environment.
    pub levels: Vec<EvalLevel>,
}

/// One environment of an [`EvalSite`]: its bindings `(name, slot, kind)` (kind: 0 var,
/// 1 let, 2 const, 3 other), or a `with` object in slot 0.
#[derive(Debug)]
pub struct EvalLevel {
    pub names: Vec<(Atom, u32, u8)>,
    pub is_with: bool,
}

/// A line-table entry: instructions from `pc` on come from `line:col`.
#[derive(Clone, Copy, Debug)]
pub struct LineEntry {
    pub pc: u32,
    pub line: u32,
    pub col: u32,
}

/// What the VM must set up when a function is entered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameShape {
    pub params: u32,
    /// Local slots including parameters.
    pub locals: u32,
    /// Slots of the function-level environment (0: none is created).
    pub env_slots: u32,
}

/// How a function treats `this`, `arguments` and `new`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeKind {
    Script,
    Normal,
    Arrow,
    Method,
    ClassConstructor,
    DerivedConstructor,
    /// A synthetic function initialising class fields.
    FieldInit,
}

/// A compiled function (or script).
pub struct Code {
    pub name: Atom,
    pub kind: CodeKind,
    pub strict: bool,
    pub shape: FrameShape,
    /// `length` of the function object.
    pub length: u32,
    pub ops: Box<[Op]>,
    /// The function uses `arguments` or a rest parameter: the frame keeps all arguments.
    pub needs_args: bool,
    /// Sloppy function with simple parameters: `arguments[i]` aliases parameter `i`.
    pub mapped_arguments: bool,
    pub numbers: Box<[f64]>,
    pub regexps: Box<[(Atom, Atom)]>,
    pub eval_sites: Box<[Rc<EvalSite>]>,
    pub functions: Box<[Rc<Code>]>,
    /// Inline caches of property instructions: the guessed property slot.
    pub caches: Box<[Cell<u32>]>,
    /// Names of local slots (for TDZ errors).
    pub local_names: Box<[Atom]>,
    pub lines: Box<[LineEntry]>,
    pub script: Rc<str>,
    /// The function's source text (for `Function.prototype.toString`), shared with the script.
    pub source: Option<(Rc<[u8]>, u32, u32)>,
    /// Parameters are copied from these local slots into environment slots at entry:
    /// `(local, env slot)`.
    pub param_to_env: Box<[(u32, u32)]>,
    /// Script code: global `var`/function names to create, and lexical names to declare.
    pub global_vars: Box<[Atom]>,
    pub global_lexicals: Box<[(Atom, bool)]>,
}

impl Code {
    /// The source position of the instruction at `pc`.
    pub fn position(&self, pc: usize) -> (u32, u32) {
        let pc = pc as u32;
        let i = self.lines.partition_point(|e| e.pc <= pc);
        if i == 0 {
            return self.lines.first().map_or((0, 0), |e| (e.line, e.col));
        }
        let e = self.lines[i - 1];
        (e.line, e.col)
    }
}

impl core::fmt::Debug for Code {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Code({:?}, {} ops)", self.kind, self.ops.len())
    }
}

/// A script's name as stored in [`Code::script`].
pub fn script_name(name: &str) -> Rc<str> {
    Rc::from(String::from(name).into_boxed_str())
}

#[cfg(test)]
mod tests {
    #[test]
    fn instructions_are_eight_bytes() {
        assert_eq!(core::mem::size_of::<super::Op>(), 8);
    }
}
