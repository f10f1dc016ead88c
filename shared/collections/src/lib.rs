//! Ordered maps and sets kept as sorted vectors.
//!
//! What it is for: the small keyed collections of the shared crates (pending calls, listeners,
//! open handles, a store's index, a parser's scopes). `alloc`'s `BTreeMap` compiles to about
//! 2.5 KiB of code for every key and value type it is used with, which on the ESP32-C3 added up
//! to 68 KiB of flash; a sorted vector needs a binary search and a `Vec` insert or remove.
//! Lookups are O(log n), inserts and removes O(n) (a move of the tail), and appending in key
//! order is O(1) — the right trade for collections of a few hundred entries.
//!
//!
//! [`sort`] is the shared crates' stable sort: one copy of its code for every element type, where
//! `slice::sort` has one per type (the same kind of saving).
//!
//! What it must never do: break BTreeMap's contract that the shared crates rely on — iteration in
//! key order, one entry per key — or panic on any sequence of calls.

#![no_std]

extern crate alloc;

mod map;
mod set;
pub mod sort;

pub use map::SortedMap;
pub use set::SortedSet;

/// Where `key` is in `items` (sorted by `key_of`): `Ok(index)`, or `Err(where it would go)`.
/// The end is checked first, as appending in order is the common case.
fn search<E, Q>(items: &[E], key: &Q, key_of: impl Fn(&E) -> &Q) -> Result<usize, usize>
where
    Q: Ord + ?Sized,
{
    match items.last() {
        None => return Err(0),
        Some(last) if key_of(last) < key => return Err(items.len()),
        _ => {}
    }
    items.binary_search_by(|e| key_of(e).cmp(key))
}
