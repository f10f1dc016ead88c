//! Sorting with a script's comparator (`Array.prototype.sort`, `toSorted`, and the typed
//! arrays'): the shared crates' stable merge sort over indices
//! (`ferrite_collections::sort::stable_order`), with a comparator that may throw.
//!
//! After the comparator throws, it is not called again (the spec's abrupt completion: a script
//! sees no further calls) and the sort gives the error back; the values are then left as they
//! were.

use alloc::vec::Vec;

use ferrite_collections::sort::{permute, stable_order};

use crate::value::Value;
use crate::vm::Vm;

/// Sort `v` stably; `greater(vm, a, b)` says whether `a` sorts after `b` (or throws).
pub(crate) fn sort_with<T: Copy>(
    vm: &mut Vm,
    v: &mut [T],
    mut greater: impl FnMut(&mut Vm, T, T) -> Result<bool, Value>,
) -> Result<(), Value> {
    let mut thrown = None;
    let mut order: Vec<usize> = {
        let items: &[T] = v;
        stable_order(items.len(), &mut |a, b| {
            if thrown.is_some() {
                return false;
            }
            greater(vm, items[a], items[b]).unwrap_or_else(|e| {
                thrown = Some(e);
                false
            })
        })
    };
    if let Some(e) = thrown {
        return Err(e);
    }
    permute(v, &mut order);
    Ok(())
}
