//! The native stack's floor: on a target with a small, fixed stack (a microcontroller's main
//! stack), the embedder names the lowest address the engine's recursion may reach
//! ([`crate::Engine::set_stack_floor`]); the parser, the compiler, nested calls from natives
//! and JSON check the address of a local against it and fail with an error ("nesting too
//! deep", "Maximum call stack size exceeded") instead of overflowing the stack. The count
//! limits (`max_nesting`, the native call depth, JSON's depth) stay; this one measures what
//! the frames of this build on this target really take, which differs by target and by
//! optimisation level (a level of parenthesised expression is about 2 KiB on riscv32 at
//! `opt-level = "z"`).
//!
//! Must never: be the only guard on hosts (0 means no floor), or read memory (it compares an
//! address).

/// Room a compile needs above the floor before it starts: besides the parser and the compiler,
/// which check as they go, the pass that collects captured names and dropping the syntax tree
/// recurse once per level of the tree without checking, and a chain of operators nests the
/// tree four levels for each level the parser counts (about 24 KiB at a script's 64 levels on
/// riscv32).
pub const COMPILE_ROOM: usize = 24 * 1024;

/// Room a RegExp match needs above the floor: a lookaround's match recurses (about 200 bytes a
/// level on riscv32) as deep as the pattern nests them, which its build capped by the room
/// then ([`pattern_nesting`]).
pub const MATCH_ROOM: usize = 8 * 1024;

/// Stack a level of a RegExp pattern's nesting may take, reckoned generously: parsing one group
/// is about 512 bytes on riscv32 at opt-level "z", compiling it and a lookaround's match inside
/// it less.
const PATTERN_LEVEL_BYTES: usize = 1024;

/// How deep a RegExp pattern built here may nest: `max_nesting`, and no deeper than the stack
/// has room for above `floor` (parsing, compiling and a lookaround's match recurse once a level,
/// in `ferrite-regex`, which cannot check as it goes).
pub fn pattern_nesting(max_nesting: u32, floor: usize) -> usize {
    (max_nesting as usize).min(room(floor) / PATTERN_LEVEL_BYTES)
}

/// Bytes of stack left above `floor` here (`usize::MAX` when `floor` is 0), for a recursion
/// that cannot check as it goes (the RegExp parser's, in its own crate) and is given a depth
/// that fits instead.
#[inline(always)]
pub fn room(floor: usize) -> usize {
    if floor == 0 {
        return usize::MAX;
    }
    let here = 0u8;
    (core::hint::black_box(&here) as *const u8 as usize).saturating_sub(floor)
}

/// Whether the stack still has room above `floor` here (always, when `floor` is 0). The stack
/// grows down on every target the engine runs on (x86-64, RISC-V, wasm's shadow stack).
#[inline(always)]
pub fn has_room(floor: usize) -> bool {
    if floor == 0 {
        return true;
    }
    let here = 0u8;
    core::hint::black_box(&here) as *const u8 as usize > floor
}
