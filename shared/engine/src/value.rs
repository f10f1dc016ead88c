//! [`Value`]: a JavaScript value in 8 bytes (NaN-boxing).
//!
//! Numbers are stored as their IEEE-754 bits. Every other value lives in the space of negative quiet
//! NaNs, which no arithmetic produces once NaNs are canonicalised ([`Value::number`] does that):
//! the top 16 bits are a tag, the low 32 bits a payload (a heap handle, an atom or a small constant).

use crate::heap::Handle;

/// A JavaScript value. `Copy`, 8 bytes on every target (a test asserts it).
///
/// Values that point into the heap (strings, objects, symbols) are only valid while they are
/// reachable from a GC root; see the rooting rules in [`crate::vm`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Value(u64);

const TAG_SHIFT: u32 = 48;
const TAG_SPECIAL: u64 = 0xFFF9;
const TAG_ATOM: u64 = 0xFFFA;
const TAG_STRING: u64 = 0xFFFB;
const TAG_OBJECT: u64 = 0xFFFC;
const TAG_SYMBOL: u64 = 0xFFFD;
/// A built-in method not made yet: the payload indexes the realm's lazy natives. Only ever in a
/// property table, never handed out (see `Vm::resolve_lazy`).
const TAG_LAZY: u64 = 0xFFFE;

const SPECIAL_UNDEFINED: u64 = 0;
const SPECIAL_NULL: u64 = 1;
const SPECIAL_FALSE: u64 = 2;
const SPECIAL_TRUE: u64 = 3;
/// An internal marker: an array hole, an uninitialised `let` (TDZ), a missing property.
const SPECIAL_EMPTY: u64 = 4;

const CANONICAL_NAN: u64 = 0x7FF8_0000_0000_0000;

/// An interned string (property names, identifiers, literals): an index into the atom table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Atom(pub u32);

/// What a [`Value`] is, for `match`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    /// An interned string.
    Atom(Atom),
    /// A heap string.
    String(Handle),
    Object(Handle),
    Symbol(Handle),
    /// Internal marker (hole / uninitialised binding); never visible to scripts.
    Empty,
}

impl Value {
    pub const UNDEFINED: Value = Value::tagged(TAG_SPECIAL, SPECIAL_UNDEFINED);
    pub const NULL: Value = Value::tagged(TAG_SPECIAL, SPECIAL_NULL);
    pub const FALSE: Value = Value::tagged(TAG_SPECIAL, SPECIAL_FALSE);
    pub const TRUE: Value = Value::tagged(TAG_SPECIAL, SPECIAL_TRUE);
    pub const EMPTY: Value = Value::tagged(TAG_SPECIAL, SPECIAL_EMPTY);
    pub const NAN: Value = Value(CANONICAL_NAN);

    #[inline(always)]
    const fn tagged(tag: u64, payload: u64) -> Value {
        Value((tag << TAG_SHIFT) | payload)
    }
    #[inline(always)]
    fn tag(self) -> u64 {
        self.0 >> TAG_SHIFT
    }
    #[inline(always)]
    fn payload(self) -> u32 {
        self.0 as u32
    }

    #[inline(always)]
    pub fn number(n: f64) -> Value {
        if n.is_nan() {
            Value::NAN
        } else {
            Value(n.to_bits())
        }
    }
    /// A number known not to be NaN (an integer converted, a constant, one the caller checked).
    #[inline(always)]
    pub(crate) fn number_not_nan(n: f64) -> Value {
        debug_assert!(!n.is_nan());
        Value(n.to_bits())
    }
    #[inline(always)]
    pub fn bool(b: bool) -> Value {
        if b {
            Value::TRUE
        } else {
            Value::FALSE
        }
    }
    #[inline(always)]
    pub fn atom(a: Atom) -> Value {
        Value::tagged(TAG_ATOM, a.0 as u64)
    }
    #[inline(always)]
    pub fn string(h: Handle) -> Value {
        Value::tagged(TAG_STRING, h.0 as u64)
    }
    #[inline(always)]
    pub fn object(h: Handle) -> Value {
        Value::tagged(TAG_OBJECT, h.0 as u64)
    }
    #[inline(always)]
    pub fn symbol(h: Handle) -> Value {
        Value::tagged(TAG_SYMBOL, h.0 as u64)
    }

    /// A built-in method that is made when first read (`Vm::resolve_lazy`).
    #[inline(always)]
    pub(crate) fn lazy_native(index: u32) -> Value {
        Value::tagged(TAG_LAZY, index as u64)
    }
    #[inline(always)]
    pub(crate) fn as_lazy_native(self) -> Option<u32> {
        (self.tag() == TAG_LAZY).then_some(self.payload())
    }

    #[inline(always)]
    pub fn kind(self) -> Kind {
        match self.tag() {
            TAG_SPECIAL => match self.payload() as u64 {
                SPECIAL_UNDEFINED => Kind::Undefined,
                SPECIAL_NULL => Kind::Null,
                SPECIAL_FALSE => Kind::Bool(false),
                SPECIAL_TRUE => Kind::Bool(true),
                _ => Kind::Empty,
            },
            TAG_ATOM => Kind::Atom(Atom(self.payload())),
            TAG_STRING => Kind::String(Handle(self.payload())),
            TAG_OBJECT => Kind::Object(Handle(self.payload())),
            TAG_SYMBOL => Kind::Symbol(Handle(self.payload())),
            // Never handed out; the garbage collector sees nothing to follow in it.
            TAG_LAZY => Kind::Empty,
            _ => Kind::Number(f64::from_bits(self.0)),
        }
    }

    #[inline(always)]
    pub fn is_number(self) -> bool {
        self.tag() < TAG_SPECIAL
    }
    /// The number, if this is one (int or double).
    #[inline(always)]
    pub fn as_number(self) -> Option<f64> {
        if self.tag() < TAG_SPECIAL {
            Some(f64::from_bits(self.0))
        } else {
            None
        }
    }
    #[inline(always)]
    pub fn as_object(self) -> Option<Handle> {
        if self.tag() == TAG_OBJECT {
            Some(Handle(self.payload()))
        } else {
            None
        }
    }
    #[inline(always)]
    pub fn as_atom(self) -> Option<Atom> {
        if self.tag() == TAG_ATOM {
            Some(Atom(self.payload()))
        } else {
            None
        }
    }
    #[inline(always)]
    pub fn as_symbol(self) -> Option<Handle> {
        if self.tag() == TAG_SYMBOL {
            Some(Handle(self.payload()))
        } else {
            None
        }
    }
    #[inline(always)]
    pub fn is_undefined(self) -> bool {
        self == Value::UNDEFINED
    }
    #[inline(always)]
    pub fn is_null(self) -> bool {
        self == Value::NULL
    }
    #[inline(always)]
    pub fn is_nullish(self) -> bool {
        self == Value::UNDEFINED || self == Value::NULL
    }
    #[inline(always)]
    pub fn is_empty(self) -> bool {
        self == Value::EMPTY
    }
    #[inline(always)]
    pub fn is_string(self) -> bool {
        let t = self.tag();
        t == TAG_ATOM || t == TAG_STRING
    }
    #[inline(always)]
    pub fn is_object(self) -> bool {
        self.tag() == TAG_OBJECT
    }
    /// The heap handle of a heap string, object or symbol.
    #[inline(always)]
    pub fn heap_handle(self) -> Option<Handle> {
        match self.tag() {
            TAG_STRING | TAG_OBJECT | TAG_SYMBOL => Some(Handle(self.payload())),
            _ => None,
        }
    }
    /// Raw bits, for hashing and identity.
    #[inline(always)]
    pub fn bits(self) -> u64 {
        self.0
    }
}

impl Default for Value {
    fn default() -> Value {
        Value::UNDEFINED
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::number(n)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::bool(b)
    }
}
impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::number(i as f64)
    }
}

impl core::fmt::Debug for Value {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?}", self.kind())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_eight_bytes() {
        assert_eq!(core::mem::size_of::<Value>(), 8);
        assert_eq!(core::mem::size_of::<Option<Handle>>(), 8);
    }

    #[test]
    fn numbers_round_trip() {
        for n in [
            0.0,
            -0.0,
            1.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            assert_eq!(Value::number(n).as_number().unwrap().to_bits(), n.to_bits());
        }
        assert!(Value::number(f64::NAN).as_number().unwrap().is_nan());
        // A NaN with the sign bit and payload set must not be confused with a tagged value.
        let evil = f64::from_bits(0xFFFC_0000_0000_0001);
        assert!(Value::number(evil).as_number().unwrap().is_nan());
        assert_eq!(Value::from(-5).as_number(), Some(-5.0));
        assert_eq!(Value::UNDEFINED.kind(), Kind::Undefined);
    }
}
