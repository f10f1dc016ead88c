//! Ferrite's regular expressions: the ECMAScript pattern language (ES2023, with the web
//! compatibility syntax of Annex B outside `u` mode), matched on UTF-8 byte strings.
//!
//! What it is for: `RegExp` in `ferrite-engine`, and the early errors of regular expression
//! literals. Strings in Ferrite are byte strings, so a match's positions are byte offsets, a
//! subject is decoded as UTF-8 while matching (a byte that is not part of valid UTF-8 is one
//! character, U+FFFD, to every part of a pattern), and a pattern works on code points in both
//! `u` and non-`u` mode.
//!
//! What it must never do:
//! - **hang**: every match runs under a step budget ([`Limits::steps`]); a catastrophic pattern
//!   ends with [`MatchError::StepLimit`], which the engine turns into running out of fuel;
//! - **grow without bound**: the backtracking stack is capped ([`Limits::stack_bytes`]) and a
//!   pattern's nesting is limited ([`Regex::with_nesting`]);
//! - **panic**, on any pattern or subject (the fuzz target and the tests feed it garbage);
//! - **carry Unicode tables of its own**: case folding and the supported property escapes use
//!   the tables `core` already has (`char::to_uppercase`, `char::is_alphabetic`, …), so the
//!   chip's flash does not pay for a second copy. Properties beyond those are a clear
//!   `SyntaxError` (docs/CONFORMANCE.md, deviations).
//!
//! Layout: [`parse`] turns a pattern into an [`ast::Node`] tree, [`compile`] turns the tree into
//! a [`program::Program`], [`exec`] runs a program with backtracking. [`class`] holds character
//! sets and class escapes, [`fold`] case canonicalization, [`utf8`] the subject's decoding.

#![no_std]

extern crate alloc;

pub mod ast;
pub mod class;
pub mod compile;
pub mod error;
pub mod exec;
pub mod fold;
pub mod parse;
pub mod program;
pub mod utf8;

use alloc::string::String;
use alloc::vec::Vec;

pub use error::{MatchError, SyntaxError};
pub use program::Program;

/// How deeply groups and lookarounds may nest in a pattern unless the caller says otherwise
/// ([`Regex::with_nesting`]); parsing, compiling and a lookaround's match recurse once per level.
pub const MAX_NESTING: usize = 64;

/// The flags that change how a pattern parses or matches (`g`, `y` and `d` are the caller's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// `i`: case-insensitive.
    pub ignore_case: bool,
    /// `m`: `^` and `$` also match at line terminators.
    pub multiline: bool,
    /// `s`: `.` also matches line terminators.
    pub dot_all: bool,
    /// `u`: the strict Unicode grammar (no Annex B), `\u{…}` and `\p{…}`.
    pub unicode: bool,
}

/// Bounds on one search.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Steps (instructions executed and characters consumed) the search may take.
    pub steps: u64,
    /// Bytes the backtracking stack may take (each entry is [`exec::STACK_ENTRY_BYTES`]).
    pub stack_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            steps: 100_000_000,
            stack_bytes: 16 << 20,
        }
    }
}

/// A successful match: `captures[0]` is the whole match, `captures[i]` group i, as byte ranges
/// of the subject (`None`: the group did not take part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub captures: Vec<Option<(usize, usize)>>,
}

impl Match {
    pub fn start(&self) -> usize {
        self.captures.first().copied().flatten().map_or(0, |r| r.0)
    }
    pub fn end(&self) -> usize {
        self.captures.first().copied().flatten().map_or(0, |r| r.1)
    }
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Regex {
    program: Program,
}

impl Regex {
    /// Parse and compile `pattern` (UTF-8 by convention: bytes that are not valid UTF-8 are
    /// U+FFFD each).
    pub fn new(pattern: &[u8], flags: Flags) -> Result<Regex, SyntaxError> {
        Regex::with_nesting(pattern, flags, MAX_NESTING)
    }

    /// [`Regex::new`] with groups and lookarounds nested at most `max_nesting` deep.
    pub fn with_nesting(
        pattern: &[u8],
        flags: Flags,
        max_nesting: usize,
    ) -> Result<Regex, SyntaxError> {
        let parsed = parse::parse(pattern, flags, max_nesting)?;
        Ok(Regex {
            program: compile::compile(&parsed, flags),
        })
    }

    /// Only the early errors of `pattern` (what a regular expression literal needs at parse
    /// time).
    pub fn check(pattern: &[u8], flags: Flags, max_nesting: usize) -> Result<(), SyntaxError> {
        parse::parse(pattern, flags, max_nesting).map(|_| ())
    }

    /// The bytes the compiled pattern holds on the heap (for the engine's heap budget).
    pub fn heap_bytes(&self) -> usize {
        self.program.heap_bytes()
    }

    /// The number of capturing groups (not counting the whole match).
    pub fn group_count(&self) -> usize {
        self.program.group_count
    }

    /// Named groups, in pattern order, with their group numbers.
    pub fn group_names(&self) -> &[(String, usize)] {
        &self.program.names
    }

    /// The first match in `subject` starting at byte `start` or later (exactly at `start` when
    /// `sticky`); `steps_used` gets the steps it took, also when it fails.
    pub fn find_at(
        &self,
        subject: &[u8],
        start: usize,
        sticky: bool,
        limits: Limits,
        steps_used: &mut u64,
    ) -> Result<Option<Match>, MatchError> {
        exec::find(&self.program, subject, start, sticky, limits, steps_used)
    }
}
