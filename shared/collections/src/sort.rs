//! A stable sort whose code exists once, whatever the element type.
//!
//! `core`'s `sort`, `sort_by` and `sort_unstable` are generic: every element type and comparator
//! gets its own copy of driftsort or ipnsort, about 2 KiB each on the ESP32-C3, 26 KiB for the
//! firmware's dozen sorts. Here the sorting itself is one non-generic function over indices
//! ([`stable_order`]); the generic part is a comparator that looks two elements up and a loop of
//! swaps that puts the elements in that order ([`permute`]), a few dozen bytes per use.
//!
//! The cost is a `usize` pair per element of scratch space and an indirect call per comparison,
//! which the sorts of the shared crates (property keys, records, a default-ordered array) can
//! afford. The engine's `Array.prototype.sort` with a script's comparator has its own merge sort,
//! which calls the script.
//!
//! All sorts here are stable: equal elements keep their order, as `slice::sort` keeps them.

use alloc::vec::Vec;
use core::cmp::Ordering;

/// Sorts `v` in place, stably, by `compare`.
pub fn sort_by<T, F>(v: &mut [T], mut compare: F)
where
    F: FnMut(&T, &T) -> Ordering,
{
    if v.len() < 2 {
        return;
    }
    let slice: &[T] = v;
    let mut order = stable_order(slice.len(), &mut |a, b| {
        compare(&slice[a], &slice[b]) == Ordering::Greater
    });
    permute(v, &mut order);
}

/// Sorts `v` in place, stably, by the key `key` gives each element.
pub fn sort_by_key<T, K, F>(v: &mut [T], mut key: F)
where
    K: Ord,
    F: FnMut(&T) -> K,
{
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` in place, stably, in ascending order.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// Below this many elements a run is sorted by insertion, then runs are merged.
const RUN: usize = 8;

/// The stable sorted order of `n` elements: `order[i]` is the index of the element that belongs
/// at position `i`. `greater(a, b)` says whether element `a` sorts after element `b`.
///
/// Insertion sort on runs of [`RUN`], then bottom-up merges that take from the right run only when
/// its element is strictly smaller (which keeps equal elements in order) and skip a merge whose
/// two runs are already in order (so sorted input costs n comparisons).
pub fn stable_order(n: usize, greater: &mut dyn FnMut(usize, usize) -> bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut start = 0;
    while start < n {
        let end = (start + RUN).min(n);
        for i in start + 1..end {
            let x = order[i];
            let mut j = i;
            while j > start && greater(order[j - 1], x) {
                order[j] = order[j - 1];
                j -= 1;
            }
            order[j] = x;
        }
        start = end;
    }
    let mut merged: Vec<usize> = Vec::with_capacity(n);
    let mut width = RUN;
    while width < n {
        merged.clear();
        let mut lo = 0;
        while lo < n {
            let mid = (lo + width).min(n);
            let hi = (lo + 2 * width).min(n);
            if mid == hi || !greater(order[mid - 1], order[mid]) {
                merged.extend_from_slice(&order[lo..hi]);
                lo = hi;
                continue;
            }
            let (mut i, mut j) = (lo, mid);
            while i < mid && j < hi {
                if greater(order[i], order[j]) {
                    merged.push(order[j]);
                    j += 1;
                } else {
                    merged.push(order[i]);
                    i += 1;
                }
            }
            merged.extend_from_slice(&order[i..mid]);
            merged.extend_from_slice(&order[j..hi]);
            lo = hi;
        }
        core::mem::swap(&mut order, &mut merged);
        width *= 2;
    }
    order
}

/// Puts the elements of `v` in `order` (as [`stable_order`] gives it: `order[i]` is the index of
/// the element that belongs at `i`), by following each cycle of the permutation with swaps.
/// `order` is used up: every entry ends as its own index. An `order` that is not a permutation
/// leaves `v` in some order, never loops forever: each step marks one more entry done.
pub fn permute<T>(v: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        let mut i = start;
        loop {
            let j = order[i];
            order[i] = i;
            if j == start || j == i {
                break;
            }
            v.swap(i, j);
            i = j;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// A small deterministic generator for the randomised cases.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn sorts_like_the_standard_stable_sort() {
        let mut state = 0x9E37_79B9_7F4A_7C15;
        for len in (0..70).chain([100, 257, 1000, 4096]) {
            for spread in [2, 10, 1_000_000] {
                let mut v: Vec<(u64, usize)> =
                    (0..len).map(|i| (next(&mut state) % spread, i)).collect();
                let mut expected = v.clone();
                // The second field records the original position: a stable sort by the first
                // field alone must give exactly the standard library's stable result.
                expected.sort_by_key(|e| e.0);
                sort_by_key(&mut v, |e| e.0);
                assert_eq!(v, expected, "len {len}, spread {spread}");
            }
        }
    }

    #[test]
    fn sorted_reversed_and_equal_inputs() {
        for len in [0, 1, 2, 7, 8, 9, 16, 17, 1000] {
            let mut up: Vec<u32> = (0..len).collect();
            sort(&mut up);
            assert_eq!(up, (0..len).collect::<Vec<_>>());
            let mut down: Vec<u32> = (0..len).rev().collect();
            sort(&mut down);
            assert_eq!(down, (0..len).collect::<Vec<_>>());
            let mut same: Vec<(u8, u32)> = (0..len).map(|i| (7, i)).collect();
            sort_by_key(&mut same, |e| e.0);
            assert_eq!(same, (0..len).map(|i| (7, i)).collect::<Vec<_>>());
        }
    }

    #[test]
    fn sorted_input_costs_one_comparison_per_element() {
        let n = 1000;
        let mut comparisons = 0;
        let order = stable_order(n, &mut |a, b| {
            comparisons += 1;
            a > b
        });
        assert_eq!(order, (0..n).collect::<Vec<_>>());
        assert!(
            comparisons < n,
            "{comparisons} comparisons for {n} sorted elements"
        );
    }

    #[test]
    fn permute_follows_every_cycle() {
        let mut v = vec!['a', 'b', 'c', 'd', 'e', 'f'];
        // Cycles (0 2 4), (1 5), (3).
        let mut order = vec![2, 5, 4, 3, 0, 1];
        permute(&mut v, &mut order);
        assert_eq!(v, vec!['c', 'f', 'e', 'd', 'a', 'b']);
        assert_eq!(order, vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_comparator_that_is_not_a_total_order_ends_without_panicking() {
        // `slice::sort` promises only a permutation for an inconsistent comparator; so does this.
        let mut state = 7;
        let mut v: Vec<u32> = (0..500).collect();
        sort_by(&mut v, |_, _| match next(&mut state) % 3 {
            0 => Ordering::Less,
            1 => Ordering::Equal,
            _ => Ordering::Greater,
        });
        let mut seen = v.clone();
        seen.sort();
        assert_eq!(seen, (0..500).collect::<Vec<_>>());
    }
}
