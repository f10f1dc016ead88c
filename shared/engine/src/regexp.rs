//! The state of a RegExp object (compiled pattern, source and flags).

use crate::value::Value;

pub struct RegExpData {
    /// The pattern source (a string value): [[OriginalSource]], unescaped.
    pub source: Value,
    /// The flags string value: [[OriginalFlags]].
    pub flags: Value,
    pub regex: ferrite_regex::Regex,
    pub global: bool,
    pub ignore_case: bool,
    pub multiline: bool,
    pub dot_all: bool,
    pub unicode: bool,
    pub sticky: bool,
    pub has_indices: bool,
}

impl RegExpData {
    pub fn trace(&self, f: &mut dyn FnMut(Value)) {
        f(self.source);
        f(self.flags);
    }
}
