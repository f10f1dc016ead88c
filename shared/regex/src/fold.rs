//! Case canonicalization for `i` patterns, from the case tables `core` already carries.
//!
//! ECMAScript's Canonicalize: without `u`, a character's single-character uppercase, except
//! that a non-ASCII character never becomes ASCII; with `u`, simple case folding. Two characters
//! match case-insensitively when their canonical forms are equal. Simple case folding is
//! computed as the lowercase of the uppercase, with the few characters where that differs from
//! Unicode's CaseFolding.txt listed in [`FOLD_TO_SELF`].

/// Characters whose simple case folding is themselves although their uppercase folds elsewhere.
const FOLD_TO_SELF: [u32; 2] = [0x0130, 0x0131];

/// Simple foldings between characters whose uppercase is more than one character (so
/// lowercase-of-uppercase cannot find them).
const FOLD_SPECIAL: [(u32, u32); 3] = [(0x1FD3, 0x0390), (0x1FE3, 0x03B0), (0xFB05, 0xFB06)];

/// Characters that share a canonical form with a character without being its single-character
/// upper- or lowercase (Kelvin sign, long s, final sigma, …): the pairs let a class or a
/// backreference find every member of a case class.
const RELATED: [(u32, u32); 34] = [
    (0x043E, 0x1C82),
    (0x0441, 0x1C83),
    (0x0442, 0x1C84),
    (0x0442, 0x1C85),
    (0x044A, 0x1C86),
    (0x0463, 0x1C87),
    (0xA64B, 0x1C88),
    (0x0390, 0x1FD3),
    (0x03B0, 0x1FE3),
    (0xFB06, 0xFB05),
    (0x006B, 0x212A),
    (0x00E5, 0x212B),
    (0x03C9, 0x2126),
    (0x0073, 0x017F),
    (0x00DF, 0x1E9E),
    (0x03C3, 0x03C2),
    (0x03B2, 0x03D0),
    (0x03B8, 0x03D1),
    (0x03B8, 0x03F4),
    (0x03C6, 0x03D5),
    (0x03C0, 0x03D6),
    (0x03BA, 0x03F0),
    (0x03C1, 0x03F1),
    (0x03B5, 0x03F5),
    (0x1E61, 0x1E9B),
    (0x03B9, 0x0345),
    (0x03B9, 0x1FBE),
    (0x03BC, 0x00B5),
    (0x01C6, 0x01C5),
    (0x01C9, 0x01C8),
    (0x01CC, 0x01CB),
    (0x01F3, 0x01F2),
    (0x0432, 0x1C80),
    (0x0434, 0x1C81),
];

fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

/// The single-character uppercase of `c`, or `c`.
pub fn upper(c: u32) -> u32 {
    char::from_u32(c)
        .and_then(|ch| single(ch.to_uppercase()))
        .map_or(c, u32::from)
}

/// The single-character lowercase of `c`, or `c`.
pub fn lower(c: u32) -> u32 {
    char::from_u32(c)
        .and_then(|ch| single(ch.to_lowercase()))
        .map_or(c, u32::from)
}

/// Canonicalize(c) for a pattern with the `i` flag.
pub fn canonical(c: u32, unicode: bool) -> u32 {
    if c < 0x80 {
        let b = c as u8;
        return if b.is_ascii_alphabetic() && (b.is_ascii_lowercase() ^ unicode) {
            c ^ 0x20
        } else {
            c
        };
    }
    if unicode {
        if FOLD_TO_SELF.contains(&c) {
            return c;
        }
        if let Some(&(_, to)) = FOLD_SPECIAL.iter().find(|(from, _)| *from == c) {
            return to;
        }
        lower(upper(c))
    } else {
        let u = upper(c);
        if u < 0x80 {
            c
        } else {
            u
        }
    }
}

/// Every character whose canonical form is `canonical(c)`, `c` first; at most a handful.
pub fn case_class(c: u32, unicode: bool) -> CaseClass {
    let key = canonical(c, unicode);
    let mut out = CaseClass {
        chars: [c; 6],
        len: 1,
    };
    let mut add = |x: u32| {
        if canonical(x, unicode) == key && !out.chars[..out.len].contains(&x) && out.len < 6 {
            out.chars[out.len] = x;
            out.len += 1;
        }
    };
    for x in [lower(c), upper(c), key, lower(key), upper(key)] {
        add(x);
    }
    if let Some(t) = titlecase_partner(c) {
        add(t);
    }
    for &(a, b) in RELATED.iter() {
        let l = lower(key);
        if a == key || b == key || a == l || b == l || a == c || b == c {
            add(a);
            add(b);
            add(upper(a));
        }
    }
    out
}

/// The other one of a Greek letter with iota subscript and its titlecase form (U+1F80 and
/// U+1F88, …): their uppercase is two characters, so neither case mapping leads from the
/// lowercase one to the other.
fn titlecase_partner(c: u32) -> Option<u32> {
    match c {
        0x1F80..=0x1FAF => Some(c ^ 0x8),
        0x1FB3 | 0x1FC3 | 0x1FF3 => Some(c + 9),
        0x1FBC | 0x1FCC | 0x1FFC => Some(c - 9),
        _ => None,
    }
}

/// The members of one case class (see [`case_class`]).
#[derive(Debug, Clone, Copy)]
pub struct CaseClass {
    chars: [u32; 6],
    len: usize,
}

impl CaseClass {
    pub fn as_slice(&self) -> &[u32] {
        &self.chars[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical('a' as u32, false), 'A' as u32);
        assert_eq!(canonical('A' as u32, true), 'a' as u32);
        // Without u a non-ASCII character never becomes ASCII; with u the long s folds to s.
        assert_eq!(canonical(0x17F, false), 0x17F);
        assert_eq!(canonical(0x17F, true), 's' as u32);
        assert_eq!(canonical(0x212A, true), 'k' as u32);
        assert_eq!(canonical(0x212A, false), 0x212A);
        assert_eq!(canonical(0xDF, false), 0xDF);
        assert_eq!(canonical(0x1E9E, true), 0xDF);
        assert_eq!(canonical(0x131, true), 0x131);
        assert_eq!(canonical(0x3C2, true), 0x3C3);
        assert_eq!(canonical(0xB5, false), 0x39C);
    }

    #[test]
    fn case_classes_are_complete() {
        let k: alloc::vec::Vec<u32> = case_class('k' as u32, true).as_slice().into();
        assert!(k.contains(&0x212A) && k.contains(&('K' as u32)));
        let k: alloc::vec::Vec<u32> = case_class('k' as u32, false).as_slice().into();
        assert!(!k.contains(&0x212A));
        let iota: alloc::vec::Vec<u32> = case_class(0x1F80, true).as_slice().into();
        assert!(iota.contains(&0x1F88));
        let iota: alloc::vec::Vec<u32> = case_class(0x1F80, false).as_slice().into();
        assert!(!iota.contains(&0x1F88));
        let o: alloc::vec::Vec<u32> = case_class(0x43E, false).as_slice().into();
        assert!(o.contains(&0x1C82));
        let s: alloc::vec::Vec<u32> = case_class(0x3C3, true).as_slice().into();
        assert!(s.contains(&0x3C2) && s.contains(&0x3A3));
        let mu: alloc::vec::Vec<u32> = case_class(0x3BC, false).as_slice().into();
        assert!(mu.contains(&0xB5) && mu.contains(&0x39C));
    }
}
