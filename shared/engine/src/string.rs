//! Heap strings. A string is a byte array (UTF-8 by convention). Concatenation of long strings
//! builds a rope, flattened in place on first access, so that `s += x` in a loop is linear.

use alloc::vec::Vec;

use crate::value::Value;

/// Below this many bytes, concatenation copies instead of building a rope.
pub const ROPE_MIN: usize = 64;

pub enum JsStr {
    Flat(Vec<u8>),
    /// `left + right`, both string values (atoms or heap strings).
    Rope {
        left: Value,
        right: Value,
        len: u32,
    },
}

impl JsStr {
    pub fn len(&self) -> usize {
        match self {
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
            JsStr::Rope { .. } => 0,
        }
    }
    pub fn trace(&self, f: &mut dyn FnMut(Value)) {
        if let JsStr::Rope { left, right, .. } = self {
            f(*left);
            f(*right);
        }
    }
}
