//! A compiled pattern: instructions for the backtracker in [`crate::exec`].

use alloc::string::String;
use alloc::vec::Vec;

use crate::class::CharSet;
use crate::Flags;

/// What one character must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matcher {
    /// Exactly this character.
    Char(u32),
    /// Any character whose canonical form (see [`crate::fold`]) is this one.
    CharFold(u32),
    /// `.` without `s`: anything but a line terminator.
    Dot,
    /// `.` with `s`, `[^]`: anything.
    Any,
    /// A set of [`Program::sets`] (or its complement), compared case-insensitively if `fold`.
    Set {
        index: usize,
        negated: bool,
        fold: bool,
    },
}

/// One instruction. Instructions that consume characters carry `back`: inside a lookbehind
/// they read the character before the position and move left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inst {
    /// One character.
    Consume {
        m: Matcher,
        back: bool,
    },
    /// `min..=max` characters of one matcher (`max` = `u32::MAX`: no bound), greedy or lazy,
    /// backtracking a character at a time without a stack entry per character.
    Star {
        m: Matcher,
        back: bool,
        min: u32,
        max: u32,
        greedy: bool,
    },
    LineStart,
    LineEnd,
    WordBoundary {
        negated: bool,
    },
    /// Record the position in capture slot `slot` (2·group for a start, 2·group+1 for an end).
    Save(usize),
    /// Go on at `prefer`; on failure, at `other`.
    Split {
        prefer: usize,
        other: usize,
    },
    Jump(usize),
    /// Forget groups `from..to` (each iteration of a quantified group starts with them unset).
    ClearGroups {
        from: usize,
        to: usize,
    },
    /// A counted loop's registers: `reg` its iteration count, `reg + 1` where the iteration began.
    RepeatInit {
        reg: usize,
    },
    /// Another iteration (at the next instruction) or leave (at `exit`).
    RepeatLoop {
        reg: usize,
        min: u32,
        max: u32,
        greedy: bool,
        exit: usize,
    },
    RepeatIterStart {
        reg: usize,
    },
    /// End of an iteration: an empty iteration beyond `min` fails; else count it and loop to
    /// `head`.
    RepeatIterEnd {
        reg: usize,
        min: u32,
        head: usize,
    },
    /// The text of a group again (an unset group matches empty).
    BackRef {
        group: usize,
        back: bool,
    },
    /// A lookaround: its body runs from the next instruction to a [`Inst::LookEnd`]; the match
    /// goes on at `end`. `groups` are the capturing groups inside it.
    Look {
        negated: bool,
        end: usize,
        groups: (usize, usize),
    },
    LookEnd,
    Match,
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Program {
    pub insts: Vec<Inst>,
    pub sets: Vec<CharSet>,
    /// Capturing groups, not counting the whole match.
    pub group_count: usize,
    pub names: Vec<(String, usize)>,
    /// Registers the counted loops use.
    pub registers: usize,
    pub flags: Flags,
    /// A byte every match starts with, when the pattern begins with a fixed character (lets a
    /// search skip ahead).
    pub first_byte: Option<u8>,
}

impl Program {
    /// The bytes this program holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.insts.capacity() * core::mem::size_of::<Inst>()
            + self.sets.iter().map(CharSet::heap_bytes).sum::<usize>()
            + self.sets.capacity() * core::mem::size_of::<CharSet>()
            + self
                .names
                .iter()
                .map(|(n, _)| n.capacity() + 16)
                .sum::<usize>()
    }
}
