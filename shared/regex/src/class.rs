//! Character sets: what a class (`[a-z\d]`), a class escape (`\w`) or a property escape
//! (`\p{Alphabetic}`) matches.

use alloc::vec::Vec;

use crate::fold;

/// The largest code point.
pub const MAX_CHAR: u32 = 0x10FFFF;

/// A Unicode property that `\p{…}` can name, answered by `core`'s own tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Property {
    Any,
    Ascii,
    AsciiHexDigit,
    Alphabetic,
    Lowercase,
    Uppercase,
    WhiteSpace,
    /// General_Category=Number (`N`).
    Number,
    /// General_Category=Control (`Cc`).
    Control,
}

impl Property {
    /// A property by the name `\p{…}` gives it (`Name` or `General_Category=Value`).
    pub fn from_name(name: &str, value: Option<&str>) -> Option<Property> {
        let name = match value {
            None => name,
            Some(v) if matches!(name, "General_Category" | "gc") => {
                return Property::general_category(v)
            }
            Some(_) => return None,
        };
        Some(match name {
            "Any" => Property::Any,
            "ASCII" => Property::Ascii,
            "ASCII_Hex_Digit" | "AHex" => Property::AsciiHexDigit,
            "Alphabetic" | "Alpha" => Property::Alphabetic,
            "Lowercase" | "Lower" => Property::Lowercase,
            "Uppercase" | "Upper" => Property::Uppercase,
            "White_Space" | "WSpace" | "space" => Property::WhiteSpace,
            other => return Property::general_category(other),
        })
    }

    fn general_category(value: &str) -> Option<Property> {
        match value {
            "N" | "Number" => Some(Property::Number),
            "Cc" | "Control" | "cntrl" => Some(Property::Control),
            _ => None,
        }
    }

    pub fn contains(self, c: u32) -> bool {
        let Some(ch) = char::from_u32(c) else {
            // Lone surrogates: only Any has them.
            return self == Property::Any;
        };
        match self {
            Property::Any => true,
            Property::Ascii => c < 0x80,
            Property::AsciiHexDigit => ch.is_ascii_hexdigit(),
            Property::Alphabetic => ch.is_alphabetic(),
            Property::Lowercase => ch.is_lowercase(),
            Property::Uppercase => ch.is_uppercase(),
            Property::WhiteSpace => ch.is_whitespace(),
            Property::Number => ch.is_numeric(),
            Property::Control => ch.is_control(),
        }
    }
}

/// A set of characters: sorted, disjoint, non-adjacent ranges plus properties (each possibly
/// negated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CharSet {
    ranges: Vec<(u32, u32)>,
    properties: Vec<(Property, bool)>,
}

impl CharSet {
    pub fn new() -> CharSet {
        CharSet::default()
    }

    pub fn from_ranges(ranges: &[(u32, u32)]) -> CharSet {
        let mut s = CharSet::new();
        for &(a, b) in ranges {
            s.add_range(a, b);
        }
        s
    }

    pub fn property(p: Property, negated: bool) -> CharSet {
        CharSet {
            ranges: Vec::new(),
            properties: Vec::from([(p, negated)]),
        }
    }

    pub fn add(&mut self, c: u32) {
        self.add_range(c, c);
    }

    pub fn add_range(&mut self, lo: u32, hi: u32) {
        if lo > hi {
            return;
        }
        // Insert, then merge with overlapping or adjacent neighbours.
        let i = self.ranges.partition_point(|r| r.1.saturating_add(1) < lo);
        let mut lo = lo;
        let mut hi = hi;
        let mut j = i;
        while j < self.ranges.len() && self.ranges[j].0 <= hi.saturating_add(1) {
            lo = lo.min(self.ranges[j].0);
            hi = hi.max(self.ranges[j].1);
            j += 1;
        }
        self.ranges.splice(i..j, [(lo, hi)]);
    }

    pub fn union(&mut self, other: &CharSet) {
        for &(a, b) in &other.ranges {
            self.add_range(a, b);
        }
        for p in &other.properties {
            if !self.properties.contains(p) {
                self.properties.push(*p);
            }
        }
    }

    /// The complement of a set of ranges (a set with properties keeps them and is negated by
    /// the caller instead).
    pub fn complement_ranges(&self) -> CharSet {
        let mut out = CharSet::new();
        let mut next = 0u32;
        for &(a, b) in &self.ranges {
            if a > next {
                out.ranges.push((next, a - 1));
            }
            next = b.saturating_add(1);
        }
        if next <= MAX_CHAR {
            out.ranges.push((next, MAX_CHAR));
        }
        out
    }

    /// The bytes this set holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.ranges.capacity() * 8 + self.properties.capacity() * 2
    }

    pub fn has_properties(&self) -> bool {
        !self.properties.is_empty()
    }

    pub fn contains(&self, c: u32) -> bool {
        let i = self.ranges.partition_point(|r| r.1 < c);
        if self.ranges.get(i).is_some_and(|r| r.0 <= c) {
            return true;
        }
        self.properties.iter().any(|&(p, neg)| p.contains(c) != neg)
    }

    /// Whether `c` matches case-insensitively: some member of its case class is in the set.
    pub fn contains_ignoring_case(&self, c: u32, unicode: bool) -> bool {
        if self.contains(c) {
            return true;
        }
        if c < 0x80 {
            // ASCII: the other case, and with `u` the two non-ASCII characters that fold to an
            // ASCII letter (Kelvin sign, long s). Without `u` nothing non-ASCII is equivalent.
            let b = c as u8;
            if !b.is_ascii_alphabetic() {
                return false;
            }
            return self.contains(u32::from(b ^ 0x20))
                || (unicode
                    && match b | 0x20 {
                        b'k' => self.contains(0x212A),
                        b's' => self.contains(0x17F),
                        _ => false,
                    });
        }
        fold::case_class(c, unicode)
            .as_slice()
            .iter()
            .any(|&x| self.contains(x))
    }

    /// The only character in the set, if it has exactly one.
    pub fn single(&self) -> Option<u32> {
        match (self.ranges.as_slice(), self.properties.is_empty()) {
            ([(a, b)], true) if a == b => Some(*a),
            _ => None,
        }
    }
}

/// `\d`.
pub fn digits() -> CharSet {
    CharSet::from_ranges(&[(0x30, 0x39)])
}

/// `\s`: WhiteSpace and LineTerminator.
pub fn spaces() -> CharSet {
    CharSet::from_ranges(&[
        (0x09, 0x0D),
        (0x20, 0x20),
        (0xA0, 0xA0),
        (0x1680, 0x1680),
        (0x2000, 0x200A),
        (0x2028, 0x2029),
        (0x202F, 0x202F),
        (0x205F, 0x205F),
        (0x3000, 0x3000),
        (0xFEFF, 0xFEFF),
    ])
}

/// `\w`; with `i` and `u` also the characters that fold into it (long s, Kelvin sign).
pub fn word(ignore_case_unicode: bool) -> CharSet {
    let mut s = CharSet::from_ranges(&[(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]);
    if ignore_case_unicode {
        s.add(0x17F);
        s.add(0x212A);
    }
    s
}

/// A word character for `\b` and `\B`.
pub fn is_word(c: u32, ignore_case_unicode: bool) -> bool {
    matches!(c, 0x30..=0x39 | 0x41..=0x5A | 0x5F | 0x61..=0x7A)
        || (ignore_case_unicode && (c == 0x17F || c == 0x212A))
}

/// LineTerminator: what `.` does not match without `s`, and where `^`/`$` match with `m`.
pub fn is_line_terminator(c: u32) -> bool {
    matches!(c, 0x0A | 0x0D | 0x2028 | 0x2029)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_and_complement() {
        let mut s = CharSet::new();
        s.add_range(10, 20);
        s.add_range(30, 40);
        s.add_range(21, 29);
        assert_eq!(s.ranges, [(10, 40)]);
        s.add(5);
        s.add_range(0, 4);
        assert_eq!(s.ranges, [(0, 5), (10, 40)]);
        let c = s.complement_ranges();
        assert_eq!(c.ranges, [(6, 9), (41, MAX_CHAR)]);
        assert!(c.contains(7) && !c.contains(10) && c.contains(MAX_CHAR));
    }

    #[test]
    fn properties_use_core_tables() {
        let p = Property::from_name("Alphabetic", None).unwrap();
        assert!(p.contains('é' as u32) && !p.contains('1' as u32));
        assert_eq!(
            Property::from_name("General_Category", Some("Number")),
            Some(Property::Number)
        );
        assert_eq!(Property::from_name("Script", Some("Greek")), None);
    }
}
