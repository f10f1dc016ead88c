//! Decoding the subject: one character at a time, forwards or backwards, from a byte offset.
//!
//! Valid UTF-8 (and the 3-byte encodings of lone surrogates, as WTF-8 writes them) decodes to its
//! code point; any other byte is a character of its own, U+FFFD, one byte wide. Decoding
//! backwards finds the same characters as decoding forwards.

/// The replacement character that stands for a byte outside valid UTF-8.
pub const INVALID: u32 = 0xFFFD;

/// The character starting at `pos` and the offset after it.
#[inline]
pub fn next(text: &[u8], pos: usize) -> Option<(u32, usize)> {
    let b0 = *text.get(pos)?;
    if b0 < 0x80 {
        return Some((u32::from(b0), pos + 1));
    }
    match sequence_at(text, pos) {
        Some((c, n)) => Some((c, pos + n)),
        None => Some((INVALID, pos + 1)),
    }
}

/// The character ending at `pos` and the offset where it starts.
#[inline]
pub fn prev(text: &[u8], pos: usize) -> Option<(u32, usize)> {
    if pos == 0 || pos > text.len() {
        return None;
    }
    let last = text[pos - 1];
    if last < 0x80 {
        return Some((u32::from(last), pos - 1));
    }
    for width in 2..=4usize {
        if width > pos {
            break;
        }
        let start = pos - width;
        if let Some((c, n)) = sequence_at(text, start) {
            if n == width {
                return Some((c, start));
            }
        }
    }
    Some((INVALID, pos - 1))
}

/// A multi-byte sequence at `pos`: its code point and width.
fn sequence_at(text: &[u8], pos: usize) -> Option<(u32, usize)> {
    let b0 = *text.get(pos)?;
    let (width, init) = match b0 {
        0xC2..=0xDF => (2, u32::from(b0 & 0x1F)),
        0xE0..=0xEF => (3, u32::from(b0 & 0x0F)),
        0xF0..=0xF4 => (4, u32::from(b0 & 0x07)),
        _ => return None,
    };
    let mut c = init;
    for i in 1..width {
        let b = *text.get(pos + i)?;
        if b & 0xC0 != 0x80 {
            return None;
        }
        c = (c << 6) | u32::from(b & 0x3F);
    }
    let min = [0, 0, 0x80, 0x800, 0x10000][width];
    if c < min || c > 0x10FFFF {
        return None;
    }
    Some((c, width))
}

/// `pos`, or the end of the character that `pos` falls inside of.
pub fn boundary_at_or_after(text: &[u8], pos: usize) -> usize {
    for back in 1..=3usize {
        if back > pos {
            break;
        }
        if let Some((_, width)) = sequence_at(text, pos - back) {
            if width > back {
                return pos - back + width;
            }
        }
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwards_and_backwards_agree() {
        let text = b"a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xFF\x80z\xED\xA0\x80";
        let mut fwd = alloc::vec::Vec::new();
        let mut p = 0;
        while let Some((c, n)) = next(text, p) {
            fwd.push((c, p));
            p = n;
        }
        let mut back = alloc::vec::Vec::new();
        let mut p = text.len();
        while let Some((c, s)) = prev(text, p) {
            back.push((c, s));
            p = s;
        }
        back.reverse();
        assert_eq!(fwd, back);
        let chars: alloc::vec::Vec<u32> = fwd.iter().map(|x| x.0).collect();
        assert_eq!(
            chars,
            [0x61, 0xE9, 0x20AC, 0x1F600, INVALID, INVALID, 0x7A, 0xD800]
        );
    }
}
