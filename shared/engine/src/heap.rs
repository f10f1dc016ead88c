//! The garbage-collected heap (stub).
/// A handle to a heap cell: an index into the heap's slot table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Handle(pub u32);
