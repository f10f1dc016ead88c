//! Names interned when Ferrite is built: a table in the program's read-only data (flash on the
//! chip) that every realm shares instead of interning the same few hundred built-in names into
//! its own heap.
//!
//! A table is made at compile time from a list of names by [`static_names!`](crate::static_names):
//! the names back to back, where each ends, and an open-addressing hash index over them, all
//! computed by `const fn`s, so a bad list (a duplicate, an array index, too much text) is a
//! compile error, not a run-time surprise.

/// A table of names made at compile time (see the module docs).
pub struct StaticNames {
    /// The names back to back.
    text: &'static [u8],
    /// Where name `i` ends in `text` (it starts where name `i - 1` ends).
    ends: &'static [u16],
    /// An open-addressing index (linear probing) of `ends`' positions by [`hash`]; a power of
    /// two long, never full. [`EMPTY`] marks a free slot.
    slots: &'static [u16],
}

/// A free slot of [`StaticNames::slots`].
const EMPTY: u16 = u16::MAX;

impl StaticNames {
    /// A table without names.
    pub const EMPTY: StaticNames = StaticNames {
        text: b"",
        ends: &[],
        slots: &[EMPTY],
    };

    /// For [`static_names!`](crate::static_names): the parts its `const fn`s made. Checks
    /// what [`find`](Self::find) relies on (evaluated at compile time there): `slots` a power
    /// of two long with a free slot, so that a look-up ends, each entry a position in `ends`.
    #[doc(hidden)]
    pub const fn from_parts(
        text: &'static [u8],
        ends: &'static [u16],
        slots: &'static [u16],
    ) -> StaticNames {
        assert!(slots.len().is_power_of_two(), "static names: slots");
        let mut free = false;
        let mut i = 0;
        while i < slots.len() {
            if slots[i] == EMPTY {
                free = true;
            } else {
                assert!((slots[i] as usize) < ends.len(), "static names: a slot");
            }
            i += 1;
        }
        assert!(free, "static names: no free slot");
        StaticNames { text, ends, slots }
    }

    /// How many names the table holds.
    pub const fn len(&self) -> usize {
        self.ends.len()
    }

    pub const fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Name `i` (`i < len()`).
    #[inline]
    pub fn name(&self, i: usize) -> &'static [u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// The position of `bytes` in the table, given its [`hash`].
    #[inline]
    pub fn find(&self, hash: u32, bytes: &[u8]) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot == EMPTY {
                return None;
            }
            if self.name(slot as usize) == bytes {
                return Some(slot as u32);
            }
            at = (at + 1) & mask;
        }
    }

    /// The names in table order.
    pub fn iter(&self) -> impl Iterator<Item = &'static [u8]> + '_ {
        (0..self.len()).map(|i| self.name(i))
    }
}

/// The hash the index is built with: FNV-1a, 32 bits (cheap for short names, and a `const fn`).
#[inline]
pub const fn hash(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u32;
        h = h.wrapping_mul(0x0100_0193);
        i += 1;
    }
    h
}

/// Bytes of all names together.
#[doc(hidden)]
pub const fn text_len(names: &[&[u8]]) -> usize {
    let mut total = 0;
    let mut i = 0;
    while i < names.len() {
        total += names[i].len();
        i += 1;
    }
    assert!(
        total < EMPTY as usize,
        "static names: more than 64 KiB of text"
    );
    total
}

/// The names back to back (`L` = [`text_len`]).
#[doc(hidden)]
pub const fn text<const L: usize>(names: &[&[u8]]) -> [u8; L] {
    let mut out = [0u8; L];
    let mut at = 0;
    let mut i = 0;
    while i < names.len() {
        let mut j = 0;
        while j < names[i].len() {
            out[at] = names[i][j];
            at += 1;
            j += 1;
        }
        i += 1;
    }
    out
}

/// Where each name ends in [`text`] (`N` = the number of names).
#[doc(hidden)]
pub const fn ends<const N: usize>(names: &[&[u8]]) -> [u16; N] {
    let mut out = [0u16; N];
    let mut at = 0;
    let mut i = 0;
    while i < N {
        at += names[i].len();
        out[i] = at as u16;
        i += 1;
    }
    out
}

/// Slots for `n` names: a power of two at least twice as many (short probes, also for names
/// that are not there, which is what most look-ups of a script's own names are).
#[doc(hidden)]
pub const fn slot_count(n: usize) -> usize {
    (n * 2 + 1).next_power_of_two()
}

/// The hash index over the names (`S` = [`slot_count`]). Fails to compile on a duplicate or a
/// canonical array index ("0", "17"): those the atom table keeps per realm,
/// with their index.
#[doc(hidden)]
pub const fn slots<const S: usize>(names: &[&[u8]]) -> [u16; S] {
    assert!(names.len() < EMPTY as usize, "static names: too many names");
    let mut out = [EMPTY; S];
    let mut i = 0;
    while i < names.len() {
        let name = names[i];
        assert!(
            super::parse_array_index(name).is_none(),
            "static names: an array index (kept per realm)"
        );
        let mut at = hash(name) as usize & (S - 1);
        while out[at] != EMPTY {
            assert!(
                !same(names[out[at] as usize], name),
                "static names: a name twice"
            );
            at = (at + 1) & (S - 1);
        }
        out[at] = i as u16;
        i += 1;
    }
    out
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The Rust source of a generated names file: `header` (its doc comment), then
/// `pub static {item}: StaticNames = static_names!([...])` with `names` one per line, as
/// byte strings; `engine` is the engine crate's path there (`crate`, `ferrite_engine`). The
/// tests that keep such files up to date write it.
#[doc(hidden)]
pub fn render_source(
    header: &str,
    engine: &str,
    item: &str,
    names: &[&[u8]],
) -> alloc::string::String {
    use core::fmt::Write;
    let mut out = alloc::string::String::new();
    let _ = write!(
        out,
        "{header}\nuse {engine}::atoms::StaticNames;\n\n#[rustfmt::skip]\n\
         pub static {item}: StaticNames = {engine}::static_names!([\n"
    );
    for name in names {
        out.push_str("    b\"");
        for &b in *name {
            match b {
                b'"' | b'\\' => {
                    out.push('\\');
                    out.push(b as char);
                }
                0x20..=0x7e => out.push(b as char),
                _ => {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
        }
        out.push_str("\",\n");
    }
    out.push_str("]);\n");
    out
}

/// For the tests that keep a generated names file exact (the engine's and the runtime's
/// `tests/shared_names.rs`): passes if `listed`, the file's table, holds exactly `wanted`;
/// otherwise rewrites `file` with `UPDATE_NAMES` set, or fails naming the missing and unused
/// names.
#[cfg(feature = "std")]
#[doc(hidden)]
pub fn check_names_file(
    file: &str,
    header: &str,
    engine: &str,
    item: &str,
    wanted: &std::collections::BTreeSet<alloc::vec::Vec<u8>>,
    listed: &StaticNames,
) {
    use alloc::vec::Vec;
    let listed: std::collections::BTreeSet<Vec<u8>> = listed.iter().map(<[u8]>::to_vec).collect();
    if *wanted == listed {
        return;
    }
    if std::env::var_os("UPDATE_NAMES").is_some() {
        let names: Vec<&[u8]> = wanted.iter().map(|n| &n[..]).collect();
        std::fs::write(file, render_source(header, engine, item, &names))
            .expect("writing the names file");
        return;
    }
    let show = |names: Vec<&Vec<u8>>| {
        names
            .iter()
            .map(|n| alloc::string::String::from_utf8_lossy(n))
            .collect::<Vec<_>>()
            .join(" ")
    };
    panic!(
        "{file} is out of date (rerun with UPDATE_NAMES=1 to rewrite it)\n  missing: {}\n  unused: {}",
        show(wanted.difference(&listed).collect()),
        show(listed.difference(wanted).collect()),
    );
}

/// A [`StaticNames`] table from an array of byte-string names, made at compile time:
/// `static NAMES: StaticNames = static_names!([b"length", b"prototype"]);`
#[macro_export]
macro_rules! static_names {
    ($names:expr) => {{
        const NAMES: &[&[u8]] = &$names;
        const TEXT_LEN: usize = $crate::atoms::static_names::text_len(NAMES);
        const TEXT: [u8; TEXT_LEN] = $crate::atoms::static_names::text(NAMES);
        const ENDS: [u16; NAMES.len()] = $crate::atoms::static_names::ends(NAMES);
        const SLOT_COUNT: usize = $crate::atoms::static_names::slot_count(NAMES.len());
        const SLOTS: [u16; SLOT_COUNT] = $crate::atoms::static_names::slots(NAMES);
        $crate::atoms::StaticNames::from_parts(&TEXT, &ENDS, &SLOTS)
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    static SOME: StaticNames = crate::static_names!([b"length", b"prototype", b"push", b"x"]);

    #[test]
    fn every_name_is_found_at_its_position() {
        for (i, name) in [&b"length"[..], b"prototype", b"push", b"x"]
            .iter()
            .enumerate()
        {
            assert_eq!(SOME.find(hash(name), name), Some(i as u32));
            assert_eq!(SOME.name(i), *name);
        }
        assert_eq!(SOME.len(), 4);
    }

    #[test]
    fn other_names_are_not_found() {
        for name in [&b""[..], b"len", b"lengthy", b"pus", b"y", b"0"] {
            assert_eq!(SOME.find(hash(name), name), None);
        }
        assert_eq!(StaticNames::EMPTY.find(hash(b"x"), b"x"), None);
    }
}
