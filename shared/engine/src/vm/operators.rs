//! Operators: `+`, relational comparison, equality (§7.2), `instanceof`, `in`.

use super::convert::Hint;
use super::Vm;
use crate::object::{Callable, Key, ObjectKind};
use crate::value::{Kind, Value};

impl Vm {
    /// The `+` operator.
    #[inline(never)]
    pub fn add(&mut self, a: Value, b: Value) -> Result<Value, Value> {
        if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
            return Ok(Value::number(x + y));
        }
        if a.is_string() && b.is_string() {
            return self.concat(a, b);
        }
        let pa = self.to_primitive(a, Hint::Default)?;
        // `pa` may be a fresh string: keep it alive while `b` converts (which can run JS).
        let mark = self.push_root(pa);
        let pb = self.to_primitive(b, Hint::Default);
        self.truncate_roots(mark);
        let pb = pb?;
        if pa.is_string() || pb.is_string() {
            let sa = self.to_string(pa)?;
            let sb = self.to_string(pb)?;
            return self.concat(sa, sb);
        }
        let x = self.to_number(pa)?;
        let y = self.to_number(pb)?;
        Ok(Value::number(x + y))
    }

    /// Abstract relational comparison `a < b`: Some(true/false) or None (undefined: NaN).
    #[inline(never)]
    pub fn less_than(
        &mut self,
        a: Value,
        b: Value,
        left_first: bool,
    ) -> Result<Option<bool>, Value> {
        // The first result stays rooted while the second conversion may run JS.
        let (pa, pb) = if left_first {
            let pa = self.to_primitive(a, Hint::Number)?;
            let mark = self.push_root(pa);
            let pb = self.to_primitive(b, Hint::Number);
            self.truncate_roots(mark);
            (pa, pb?)
        } else {
            let pb = self.to_primitive(b, Hint::Number)?;
            let mark = self.push_root(pb);
            let pa = self.to_primitive(a, Hint::Number);
            self.truncate_roots(mark);
            (pa?, pb)
        };
        if pa.is_string() && pb.is_string() {
            self.flatten(pa);
            self.flatten(pb);
            return Ok(Some(self.flat_bytes(pa) < self.flat_bytes(pb)));
        }
        let x = self.to_number(pa)?;
        let y = self.to_number(pb)?;
        if x.is_nan() || y.is_nan() {
            return Ok(None);
        }
        Ok(Some(x < y))
    }

    /// `===`.
    #[inline(never)]
    pub fn strict_equals(&mut self, a: Value, b: Value) -> bool {
        if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
            return x == y;
        }
        if a.is_string() && b.is_string() {
            return self.string_eq(a, b);
        }
        a == b
    }

    /// SameValueZero (Map keys, `includes`).
    pub fn same_value_zero(&mut self, a: Value, b: Value) -> bool {
        if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
            return x == y || (x.is_nan() && y.is_nan());
        }
        self.strict_equals(a, b)
    }

    /// SameValue (`Object.is`).
    pub fn same_value(&mut self, a: Value, b: Value) -> bool {
        if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
            return x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan());
        }
        self.strict_equals(a, b)
    }

    /// `==`.
    #[inline(never)]
    pub fn loose_equals(&mut self, a: Value, b: Value) -> Result<bool, Value> {
        let mut a = a;
        let mut b = b;
        loop {
            match (a.kind(), b.kind()) {
                (Kind::Number(x), Kind::Number(y)) => return Ok(x == y),
                _ if a.is_string() && b.is_string() => return Ok(self.string_eq(a, b)),
                (Kind::Undefined | Kind::Null, Kind::Undefined | Kind::Null) => return Ok(true),
                (Kind::Undefined | Kind::Null, _) | (_, Kind::Undefined | Kind::Null) => {
                    return Ok(false)
                }
                (Kind::Number(x), _) if b.is_string() => {
                    let y = self.to_number(b)?;
                    return Ok(x == y);
                }
                (_, Kind::Number(y)) if a.is_string() => {
                    let x = self.to_number(a)?;
                    return Ok(x == y);
                }
                (Kind::Bool(x), _) => a = Value::number(x as u8 as f64),
                (_, Kind::Bool(y)) => b = Value::number(y as u8 as f64),
                (Kind::Object(_), Kind::Object(_)) => return Ok(a == b),
                (Kind::Object(_), _) => {
                    if matches!(b.kind(), Kind::Symbol(_)) || b.is_string() || b.is_number() {
                        a = self.to_primitive(a, Hint::Default)?;
                    } else {
                        return Ok(false);
                    }
                }
                (_, Kind::Object(_)) => {
                    if matches!(a.kind(), Kind::Symbol(_)) || a.is_string() || a.is_number() {
                        b = self.to_primitive(b, Hint::Default)?;
                    } else {
                        return Ok(false);
                    }
                }
                _ => return Ok(a == b),
            }
        }
    }

    /// `v instanceof target`.
    pub fn instance_of(&mut self, v: Value, target: Value) -> Result<bool, Value> {
        if !target.is_object() {
            return Err(self.type_error("Right-hand side of 'instanceof' is not an object"));
        }
        let hi = self.get(target, Key::symbol(self.sym.has_instance))?;
        if !hi.is_nullish() {
            let r = self.call(hi, target, &[v])?;
            return Ok(self.to_boolean(r));
        }
        if !self.is_callable(target) {
            return Err(self.type_error("Right-hand side of 'instanceof' is not callable"));
        }
        self.ordinary_has_instance(target, v)
    }

    pub fn ordinary_has_instance(&mut self, c: Value, v: Value) -> Result<bool, Value> {
        let Some(ch) = c.as_object() else {
            return Ok(false);
        };
        match &self.heap.obj(ch).kind {
            ObjectKind::Function(fd) => {
                if let Callable::Bound { target, .. } = fd.callable {
                    return self.instance_of(v, Value::object(target));
                }
            }
            ObjectKind::Native(_) => {}
            _ => return Ok(false),
        }
        let Some(mut o) = v.as_object() else {
            return Ok(false);
        };
        let proto = self.get(c, Key::atom(self.names.prototype))?;
        let Some(ph) = proto.as_object() else {
            return Err(self.type_error("Function has non-object prototype in instanceof check"));
        };
        loop {
            match self.get_prototype_of(o)? {
                Some(p) if p == ph => return Ok(true),
                Some(p) => o = p,
                None => return Ok(false),
            }
        }
    }
}
