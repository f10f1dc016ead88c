//! The atom table: interned byte strings used as property names, identifiers and string literals.
//!
//! The names of the built-ins (and of the embedder's API) are interned when Ferrite is built:
//! [`SharedNames`], tables in read-only data that every realm shares ([`static_names`]). A realm
//! interns only the other names its scripts use. Atoms are never freed (they are few: names
//! in source code and keys scripts use); the VM charges the bytes of those a script's code
//! brings to the heap budget when it compiles it.
//!
//! Atom ids: the engine's shared names first, then the embedder's, then the realm's own.

use alloc::boxed::Box;
use alloc::vec::Vec;

use core::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::value::Atom;

mod engine_names;
pub mod static_names;

pub use engine_names::ENGINE_NAMES;
pub use static_names::StaticNames;

/// The names a realm shares instead of interning them: the engine's built-ins' and the
/// embedder's (its API's globals and methods).
#[derive(Clone, Copy)]
pub struct SharedNames {
    pub engine: &'static StaticNames,
    pub embedder: &'static StaticNames,
}

impl SharedNames {
    /// The engine's names (the default).
    pub const ENGINE: SharedNames = SharedNames {
        engine: &ENGINE_NAMES,
        embedder: &StaticNames::EMPTY,
    };
    /// None: every name is interned per realm (to list what a realm's set-up interns).
    pub const NONE: SharedNames = SharedNames {
        engine: &StaticNames::EMPTY,
        embedder: &StaticNames::EMPTY,
    };
    /// The engine's names and the embedder's.
    pub const fn with_embedder(embedder: &'static StaticNames) -> SharedNames {
        SharedNames {
            engine: &ENGINE_NAMES,
            embedder,
        }
    }
}

impl core::fmt::Debug for SharedNames {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "SharedNames {{ engine: {} names, embedder: {} names }}",
            self.engine.len(),
            self.embedder.len()
        )
    }
}

impl Default for SharedNames {
    fn default() -> Self {
        SharedNames::ENGINE
    }
}

pub struct Atoms {
    shared: SharedNames,
    /// The id of the first name this realm interned itself (the shared names come first).
    first_own: u32,
    /// The realm's own names, from `first_own` on.
    strings: Vec<Box<[u8]>>,
    /// For each own atom, its array index if the string is a canonical array index ("0", "17").
    index: Vec<u32>,
    /// The own atoms by their hash under `hasher` (hashbrown's seeded one, not the shared
    /// tables' FNV: scripts' and remote data's keys land here, and an unseeded hash would let
    /// crafted keys collide).
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

/// Marks "not an array index" in [`Atoms::array_index`].
const NOT_INDEX: u32 = u32::MAX;

impl Default for Atoms {
    fn default() -> Self {
        Self::new(SharedNames::ENGINE)
    }
}

impl Atoms {
    pub fn new(shared: SharedNames) -> Atoms {
        Atoms {
            shared,
            first_own: (shared.engine.len() + shared.embedder.len()) as u32,
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

    /// How many atoms there are, shared ones included (ids are below this).
    pub fn len(&self) -> usize {
        self.first_own as usize + self.strings.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The names this realm interned itself, in the order it did.
    pub fn own_names(&self) -> impl Iterator<Item = &[u8]> {
        self.strings.iter().map(|s| &**s)
    }

    /// The shared atom for `bytes`, given its hash.
    #[inline]
    fn find_shared(&self, hash: u32, bytes: &[u8]) -> Option<Atom> {
        if let Some(i) = self.shared.engine.find(hash, bytes) {
            return Some(Atom(i));
        }
        let i = self.shared.embedder.find(hash, bytes)?;
        Some(Atom(self.shared.engine.len() as u32 + i))
    }

    /// Intern `bytes`; returns the atom and whether it was newly created.
    pub fn intern(&mut self, bytes: &[u8]) -> (Atom, bool) {
        if let Some(a) = self.find_shared(static_names::hash(bytes), bytes) {
            return (a, false);
        }
        let strings = &self.strings;
        let th = self.hasher.hash_one(bytes);
        if let Some(&i) = self.table.find(th, |&i| &*strings[i as usize] == bytes) {
            return (Atom(self.first_own + i), false);
        }
        let i = self.strings.len() as u32;
        self.strings.push(bytes.into());
        self.index
            .push(parse_array_index(bytes).unwrap_or(NOT_INDEX));
        let strings = &self.strings;
        let hasher = &self.hasher;
        self.table
            .insert_unique(th, i, |&j| hasher.hash_one(&*strings[j as usize]));
        (Atom(self.first_own + i), true)
    }

    /// The atom for `bytes` if it exists (never creates one).
    pub fn lookup(&self, bytes: &[u8]) -> Option<Atom> {
        if let Some(a) = self.find_shared(static_names::hash(bytes), bytes) {
            return Some(a);
        }
        self.table
            .find(self.hasher.hash_one(bytes), |&i| {
                &*self.strings[i as usize] == bytes
            })
            .map(|&i| Atom(self.first_own + i))
    }

    #[inline]
    pub fn bytes(&self, a: Atom) -> &[u8] {
        let i = a.0 as usize;
        match i.checked_sub(self.first_own as usize) {
            Some(own) => &self.strings[own],
            None => {
                let engine = self.shared.engine;
                if i < engine.len() {
                    engine.name(i)
                } else {
                    self.shared.embedder.name(i - engine.len())
                }
            }
        }
    }

    /// The array index this atom spells, if it is a canonical one ("0".."4294967294"). Shared
    /// names never are.
    #[inline]
    pub fn array_index(&self, a: Atom) -> Option<u32> {
        let own = a.0.checked_sub(self.first_own)?;
        let i = self.index[own as usize];
        (i != NOT_INDEX).then_some(i)
    }
}

/// Parse a canonical array index: no leading zeros, no sign, below 2^32 - 1. A `const fn`, so
/// that the shared names' tables can refuse one at compile time.
pub const fn parse_array_index(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 10 || (b.len() > 1 && b[0] == b'0') {
        return None;
    }
    let mut n: u64 = 0;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            return None;
        }
        n = n * 10 + (b[i] - b'0') as u64;
        i += 1;
    }
    if n < u32::MAX as u64 {
        Some(n as u32)
    } else {
        None
    }
}
