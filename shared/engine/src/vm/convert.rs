//! Type conversions (ECMAScript §7.1) and `typeof`.

use alloc::vec::Vec;

use super::{ErrorKind, Vm};
use crate::object::{Key, ObjectKind};
use crate::value::{Kind, Value};

/// Preferred type for `ToPrimitive`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    Default,
    Number,
    String,
}

impl Vm {
    #[inline]
    pub fn to_boolean(&self, v: Value) -> bool {
        match v.kind() {
            Kind::Bool(b) => b,
            Kind::Number(n) => !(n == 0.0 || n.is_nan()),
            Kind::Undefined | Kind::Null | Kind::Empty => false,
            Kind::Atom(_) | Kind::String(_) => self.string_len(v) != 0,
            Kind::Object(_) | Kind::Symbol(_) => true,
        }
    }

    #[inline]
    pub fn to_number(&mut self, v: Value) -> Result<f64, Value> {
        if let Some(n) = v.as_number() {
            return Ok(n);
        }
        self.to_number_slow(v)
    }

    #[inline(never)]
    fn to_number_slow(&mut self, v: Value) -> Result<f64, Value> {
        Ok(match v.kind() {
            Kind::Number(n) => n,
            Kind::Undefined | Kind::Empty => f64::NAN,
            Kind::Null => 0.0,
            Kind::Bool(b) => b as u8 as f64,
            Kind::Atom(_) | Kind::String(_) => {
                let b = self.string_bytes(v);
                string_to_number(b)
            }
            Kind::Symbol(_) => {
                return Err(self.type_error("Cannot convert a Symbol value to a number"))
            }
            Kind::Object(_) => {
                let p = self.to_primitive(v, Hint::Number)?;
                return self.to_number(p);
            }
        })
    }

    /// ToNumeric (no BigInt: same as ToNumber).
    pub fn to_numeric(&mut self, v: Value) -> Result<f64, Value> {
        self.to_number(v)
    }

    pub fn to_integer_or_infinity(&mut self, v: Value) -> Result<f64, Value> {
        let n = self.to_number(v)?;
        Ok(if n.is_nan() {
            0.0
        } else if n.is_infinite() {
            n
        } else {
            libm::trunc(n) + 0.0
        })
    }

    pub fn to_int32(&mut self, v: Value) -> Result<i32, Value> {
        Ok(f64_to_int32(self.to_number(v)?))
    }
    pub fn to_uint32(&mut self, v: Value) -> Result<u32, Value> {
        Ok(f64_to_int32(self.to_number(v)?) as u32)
    }

    /// ToLength: clamp to 0..2^53-1.
    pub fn to_length(&mut self, v: Value) -> Result<f64, Value> {
        let n = self.to_integer_or_infinity(v)?;
        Ok(n.clamp(0.0, 9007199254740991.0))
    }

    /// ToIndex (for ArrayBuffer sizes and DataView offsets).
    pub fn to_index(&mut self, v: Value) -> Result<usize, Value> {
        if v.is_undefined() {
            return Ok(0);
        }
        let n = self.to_integer_or_infinity(v)?;
        if !(0.0..=9007199254740991.0).contains(&n) {
            return Err(self.make_error(ErrorKind::Range, "Invalid index"));
        }
        Ok(n as usize)
    }

    /// ToString, returning a string value.
    #[inline(never)]
    pub fn to_string(&mut self, v: Value) -> Result<Value, Value> {
        Ok(match v.kind() {
            Kind::Atom(_) | Kind::String(_) => v,
            Kind::Number(n) => self.number_to_string_value(n),
            Kind::Undefined | Kind::Empty => Value::atom(self.names.undefined),
            Kind::Null => Value::atom(self.names.null),
            Kind::Bool(true) => Value::atom(self.names.true_),
            Kind::Bool(false) => Value::atom(self.names.false_),
            Kind::Symbol(_) => {
                return Err(self.type_error("Cannot convert a Symbol value to a string"))
            }
            Kind::Object(_) => {
                let p = self.to_primitive(v, Hint::String)?;
                return self.to_string(p);
            }
        })
    }

    pub fn number_to_string_value(&mut self, n: f64) -> Value {
        if n == 0.0 {
            return Value::atom(self.names.zero);
        }
        if libm::trunc(n) == n && n.abs() < 1e15 {
            // Integers: format without going through the float algorithm.
            let mut buf = [0u8; 24];
            let s = format_int(n as i64, &mut buf);
            return self.new_string(s).unwrap_or(Value::atom(self.names.nan));
        }
        let s = crate::lexer::number_to_string(n);
        self.new_string(s.as_bytes())
            .unwrap_or(Value::atom(self.names.nan))
    }

    /// ToString then the bytes, copied.
    pub fn to_byte_vec(&mut self, v: Value) -> Result<Vec<u8>, Value> {
        let s = self.to_string(v)?;
        Ok(self.string_bytes(s).to_vec())
    }

    /// ToPropertyKey.
    #[inline(never)]
    pub fn to_property_key(&mut self, v: Value) -> Result<Key, Value> {
        match v.kind() {
            Kind::Atom(a) => Ok(Key::atom(a)),
            Kind::Symbol(h) => Ok(Key::symbol(h)),
            Kind::Number(n) => {
                if (0.0..4294967295.0).contains(&n) && libm::trunc(n) == n {
                    return Ok(self.index_key(n as u32));
                }
                let s = self.to_string(v)?;
                Ok(self.string_key(s))
            }
            Kind::String(_) => Ok(self.string_key(v)),
            Kind::Object(_) => {
                let p = self.to_primitive(v, Hint::String)?;
                self.to_property_key(p)
            }
            _ => {
                let s = self.to_string(v)?;
                Ok(self.string_key(s))
            }
        }
    }

    /// The key for a string value (interning it).
    pub fn string_key(&mut self, s: Value) -> Key {
        if let Some(a) = s.as_atom() {
            return Key::atom(a);
        }
        self.flatten(s);
        let Some(h) = s.heap_handle() else {
            return Key::atom(self.names.empty);
        };
        let bytes: &[u8] = self.heap.str(h).bytes().unwrap_or(&[]);
        let (a, _) = self.atoms.intern(bytes);
        Key::atom(a)
    }

    /// The key for an array index.
    pub fn index_key(&mut self, i: u32) -> Key {
        let mut buf = [0u8; 24];
        let s = format_int(i as i64, &mut buf);
        Key::atom(self.atoms.intern(s).0)
    }

    /// ToObject.
    pub fn to_object(&mut self, v: Value) -> Result<Value, Value> {
        let (proto, kind) = match v.kind() {
            Kind::Object(_) => return Ok(v),
            Kind::Undefined | Kind::Null | Kind::Empty => {
                return Err(self.type_error("Cannot convert undefined or null to object"))
            }
            Kind::Bool(b) => (self.intr.boolean_prototype, ObjectKind::Boolean(b)),
            Kind::Number(n) => (self.intr.number_prototype, ObjectKind::Number(n)),
            Kind::Atom(_) | Kind::String(_) => (self.intr.string_prototype, ObjectKind::String(v)),
            Kind::Symbol(_) => (self.intr.symbol_prototype, ObjectKind::Symbol(v)),
        };
        let o = self.alloc_object(proto, kind)?;
        if v.is_string() {
            let len = self.string_len(v);
            let k = Key::atom(self.names.length);
            self.define_value(o.as_object().unwrap(), k, Value::number(len as f64), 0);
        }
        Ok(o)
    }

    /// ToPrimitive.
    pub fn to_primitive(&mut self, v: Value, hint: Hint) -> Result<Value, Value> {
        if !v.is_object() {
            return Ok(v);
        }
        let exotic = self.get(v, Key::symbol(self.sym.to_primitive))?;
        if !exotic.is_nullish() {
            if !self.is_callable(exotic) {
                return Err(self.type_error("Symbol.toPrimitive is not a function"));
            }
            let h = match hint {
                Hint::Default => Value::atom(self.names.default),
                Hint::Number => Value::atom(self.names.number),
                Hint::String => Value::atom(self.names.string),
            };
            let r = self.call(exotic, v, &[h])?;
            if r.is_object() {
                return Err(self.type_error("Cannot convert object to primitive value"));
            }
            return Ok(r);
        }
        let order = if hint == Hint::String {
            [self.names.to_string, self.names.value_of]
        } else {
            [self.names.value_of, self.names.to_string]
        };
        for name in order {
            let f = self.get(v, Key::atom(name))?;
            if self.is_callable(f) {
                let r = self.call(f, v, &[])?;
                if !r.is_object() {
                    return Ok(r);
                }
            }
        }
        Err(self.type_error("Cannot convert object to primitive value"))
    }

    /// The `typeof` string.
    pub fn type_of(&self, v: Value) -> Value {
        let n = &self.names;
        Value::atom(match v.kind() {
            Kind::Undefined | Kind::Empty => n.undefined,
            Kind::Null => n.object,
            Kind::Bool(_) => n.boolean,
            Kind::Number(_) => n.number,
            Kind::Atom(_) | Kind::String(_) => n.string,
            Kind::Symbol(_) => n.symbol,
            Kind::Object(h) => {
                if self.heap.obj(h).is_callable() {
                    n.function
                } else {
                    n.object
                }
            }
        })
    }

    pub fn is_callable(&self, v: Value) -> bool {
        v.as_object()
            .is_some_and(|h| self.heap.obj(h).is_callable())
    }

    pub fn is_constructor(&self, v: Value) -> bool {
        v.as_object()
            .map(|h| self.heap.obj(h).is_constructor())
            .unwrap_or(false)
    }

    pub fn is_array(&self, v: Value) -> bool {
        v.as_object().is_some_and(|h| self.heap.obj(h).is_array())
    }
}

/// ECMAScript ToInt32 of a number.
#[inline]
pub fn f64_to_int32(n: f64) -> i32 {
    if n.is_finite() && n.abs() < 2147483648.0 {
        return n as i32;
    }
    if !n.is_finite() {
        return 0;
    }
    let m = libm::fmod(libm::trunc(n), 4294967296.0);
    let m = if m < 0.0 { m + 4294967296.0 } else { m };
    m as u32 as i32
}

/// Format an integer into `buf`, returning the digits.
pub fn format_int(mut n: i64, buf: &mut [u8; 24]) -> &[u8] {
    let neg = n < 0;
    let mut i = buf.len();
    if n == 0 {
        i -= 1;
        buf[i] = b'0';
    }
    while n != 0 {
        let d = (n % 10).unsigned_abs() as u8;
        i -= 1;
        buf[i] = b'0' + d;
        n /= 10;
    }
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{A}' | '\u{B}' | '\u{C}' | '\u{D}' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// Trim JS whitespace (incl. Unicode spaces) from both ends of UTF-8 bytes.
pub fn trim_js(b: &[u8]) -> &[u8] {
    trim_js_end(trim_js_start(b))
}

pub fn trim_js_start(b: &[u8]) -> &[u8] {
    let mut i = 0;
    while i < b.len() {
        let (c, n) = decode_utf8(&b[i..]);
        match c {
            Some(c) if is_js_whitespace(c) => i += n,
            _ => break,
        }
    }
    &b[i..]
}

pub fn trim_js_end(b: &[u8]) -> &[u8] {
    let mut end = b.len();
    while end > 0 {
        // Find the start of the last UTF-8 sequence.
        let mut s = end - 1;
        while s > 0 && end - s < 4 && b[s] & 0xC0 == 0x80 {
            s -= 1;
        }
        let (c, n) = decode_utf8(&b[s..end]);
        match c {
            Some(c) if n == end - s && is_js_whitespace(c) => end = s,
            _ => break,
        }
    }
    &b[..end]
}

/// Decode one UTF-8 character: (char or None if invalid, bytes consumed ≥ 1).
pub fn decode_utf8(b: &[u8]) -> (Option<char>, usize) {
    let Some(&c0) = b.first() else {
        return (None, 0);
    };
    let n = match c0 {
        0x00..=0x7F => return (Some(c0 as char), 1),
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => return (None, 1),
    };
    if b.len() < n {
        return (None, 1);
    }
    match core::str::from_utf8(&b[..n]) {
        Ok(s) => (s.chars().next(), n),
        Err(_) => (None, 1),
    }
}

/// StringToNumber.
pub fn string_to_number(b: &[u8]) -> f64 {
    let t = trim_js(b);
    if t.is_empty() {
        return 0.0;
    }
    if t.len() > 2 && t[0] == b'0' {
        let radix = match t[1] {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if radix != 0 {
            let mut v = 0f64;
            for &c in &t[2..] {
                let d = match (c as char).to_digit(radix) {
                    Some(d) => d,
                    None => return f64::NAN,
                };
                v = v * radix as f64 + d as f64;
            }
            return v;
        }
    }
    let s = match core::str::from_utf8(t) {
        Ok(s) => s,
        Err(_) => return f64::NAN,
    };
    match s {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    // Only decimal literal syntax: digits, '.', exponent, sign.
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty()
        || !body
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        || body.starts_with(['e', 'E'])
        || body == "."
    {
        return f64::NAN;
    }
    s.parse::<f64>().unwrap_or(f64::NAN)
}
