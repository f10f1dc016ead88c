//! Heap strings. A string is a byte array (UTF-8 by convention). A short one keeps its bytes in
//! its heap cell, with no allocation of its own; a longer one in a `Vec`. Concatenation of long
//! strings builds a rope, flattened in place on first access, so that `s += x` in a loop is
//! linear.

use alloc::vec::Vec;

use crate::value::Value;

/// Below this many bytes, concatenation copies instead of building a rope.
pub const ROPE_MIN: usize = 64;

/// Bytes a string keeps in its heap cell (`JsStr::Short`): most of a script's strings (keys,
/// numbers printed, pieces of log lines) are this short, and each then costs its heap slot only,
/// not also an allocation (on the chip's linked-list allocator, fewer blocks also mean shorter
/// free-list walks). The cell stays no bigger than an object's (a check below).
pub const SHORT_MAX: usize = 40;

pub enum JsStr {
    /// Up to [`SHORT_MAX`] bytes, the first `len` of `bytes`.
    Short {
        len: u8,
        bytes: [u8; SHORT_MAX],
    },
    Flat(Vec<u8>),
    /// `left + right`, both string values (atoms or heap strings).
    Rope {
        left: Value,
        right: Value,
        len: u32,
    },
}

// A short string must not make every heap slot bigger.
const _: () =
    assert!(core::mem::size_of::<JsStr>() <= core::mem::size_of::<crate::object::Object>());

impl JsStr {
    /// A string of these bytes: short (in the cell) if they fit, else flat.
    pub fn from_bytes(b: &[u8]) -> JsStr {
        Self::short(b).unwrap_or_else(|| JsStr::Flat(b.to_vec()))
    }

    /// A string of these bytes: short if they fit (the `Vec` is dropped), else flat.
    pub fn from_vec(v: Vec<u8>) -> JsStr {
        Self::short(&v).unwrap_or(JsStr::Flat(v))
    }

    /// `a` then `b` in the cell, if they fit.
    pub fn short_concat(a: &[u8], b: &[u8]) -> Option<JsStr> {
        let len = a.len() + b.len();
        if len > SHORT_MAX {
            return None;
        }
        let mut bytes = [0; SHORT_MAX];
        bytes[..a.len()].copy_from_slice(a);
        bytes[a.len()..len].copy_from_slice(b);
        Some(JsStr::Short {
            len: len as u8,
            bytes,
        })
    }

    fn short(b: &[u8]) -> Option<JsStr> {
        Self::short_concat(b, &[])
    }

    /// The bytes of a short or flat string; `None` for a rope (flatten it first).
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            JsStr::Short { len, bytes } => Some(&bytes[..*len as usize]),
            JsStr::Flat(b) => Some(b),
            JsStr::Rope { .. } => None,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            JsStr::Short { len, .. } => *len as usize,
            JsStr::Flat(b) => b.len(),
            JsStr::Rope { len, .. } => *len as usize,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn payload_size(&self) -> usize {
        match self {
            JsStr::Flat(b) => b.capacity(),
            JsStr::Short { .. } | JsStr::Rope { .. } => 0,
        }
    }
    pub fn trace(&self, f: &mut dyn FnMut(Value)) {
        if let JsStr::Rope { left, right, .. } = self {
            f(*left);
            f(*right);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_up_to_short_max_live_in_the_cell() {
        let fits = [7u8; SHORT_MAX];
        let over = [7u8; SHORT_MAX + 1];
        assert!(matches!(JsStr::from_bytes(&fits), JsStr::Short { .. }));
        assert!(matches!(JsStr::from_bytes(&over), JsStr::Flat(_)));
        assert!(matches!(
            JsStr::from_vec(fits.to_vec()),
            JsStr::Short { .. }
        ));
        assert!(matches!(JsStr::from_vec(over.to_vec()), JsStr::Flat(_)));
        let s = JsStr::from_bytes(b"key=42");
        assert_eq!(s.bytes(), Some(&b"key=42"[..]));
        assert_eq!((s.len(), s.payload_size()), (6, 0));
        let joined = JsStr::short_concat(b"key", b"=42").unwrap();
        assert_eq!(joined.bytes(), Some(&b"key=42"[..]));
        assert!(JsStr::short_concat(&fits, b"x").is_none());
        assert_eq!(JsStr::from_bytes(&over).bytes(), Some(&over[..]));
    }
}
