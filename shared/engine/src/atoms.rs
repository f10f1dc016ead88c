//! The atom table: interned byte strings used as property names, identifiers and string literals.
//!
//! Atoms are never freed (they are few: names in source code and keys scripts use); their bytes
//! are charged to the heap budget by the VM when created.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::value::Atom;

pub struct Atoms {
    strings: Vec<Box<[u8]>>,
    /// For each atom, its array index if the string is a canonical array index ("0", "17").
    index: Vec<u32>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

/// Marks "not an array index" in [`Atoms::array_index`].
const NOT_INDEX: u32 = u32::MAX;

impl Default for Atoms {
    fn default() -> Self {
        Self::new()
    }
}

impl Atoms {
    pub fn new() -> Atoms {
        Atoms {
            strings: Vec::new(),
            index: Vec::new(),
            table: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
        }
    }

    /// Give back spare capacity (after a realm's built-ins interned their names).
    pub fn shrink_to_fit(&mut self) {
        self.strings.shrink_to_fit();
        self.index.shrink_to_fit();
        let strings = &self.strings;
        let hasher = &self.hasher;
        self.table
            .shrink_to_fit(|&i| hasher.hash_one(&*strings[i as usize]));
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// Intern `bytes`; returns the atom and whether it was newly created.
    pub fn intern(&mut self, bytes: &[u8]) -> (Atom, bool) {
        let hash = self.hasher.hash_one(bytes);
        let strings = &self.strings;
        if let Some(&i) = self.table.find(hash, |&i| &*strings[i as usize] == bytes) {
            return (Atom(i), false);
        }
        let i = self.strings.len() as u32;
        self.strings.push(bytes.into());
        self.index
            .push(parse_array_index(bytes).unwrap_or(NOT_INDEX));
        let strings = &self.strings;
        let hasher = &self.hasher;
        self.table
            .insert_unique(hash, i, |&j| hasher.hash_one(&*strings[j as usize]));
        (Atom(i), true)
    }

    /// The atom for `bytes` if it exists (never creates one).
    pub fn lookup(&self, bytes: &[u8]) -> Option<Atom> {
        let hash = self.hasher.hash_one(bytes);
        self.table
            .find(hash, |&i| &*self.strings[i as usize] == bytes)
            .map(|&i| Atom(i))
    }

    #[inline]
    pub fn bytes(&self, a: Atom) -> &[u8] {
        &self.strings[a.0 as usize]
    }

    /// The array index this atom spells, if it is a canonical one ("0".."4294967294").
    #[inline]
    pub fn array_index(&self, a: Atom) -> Option<u32> {
        let i = self.index[a.0 as usize];
        (i != NOT_INDEX).then_some(i)
    }
}

/// Parse a canonical array index: no leading zeros, no sign, below 2^32 - 1.
pub fn parse_array_index(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 10 || (b.len() > 1 && b[0] == b'0') {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + (c - b'0') as u64;
    }
    (n < u32::MAX as u64).then_some(n as u32)
}
