//! A parsed pattern.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::class::CharSet;

/// One node of a pattern; groups are numbered from 1 in the order their `(` appears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Matches the empty string.
    Empty,
    /// One character.
    Char(u32),
    /// `.`
    Dot,
    /// `[…]`, a class escape or a property escape.
    Set { set: CharSet, negated: bool },
    /// `^`
    LineStart,
    /// `$`
    LineEnd,
    /// `\b` (`negated`: `\B`).
    WordBoundary { negated: bool },
    /// A sequence.
    Concat(Vec<Node>),
    /// `a|b|…`, tried in order.
    Alternation(Vec<Node>),
    /// A capturing group.
    Capture { index: usize, node: Box<Node> },
    /// A quantified node; `groups` are the capturing groups inside it (reset each iteration).
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
        greedy: bool,
        groups: (usize, usize),
    },
    /// `\1`, `\k<name>` (resolved to a number).
    BackReference(usize),
    /// `(?=…)`, `(?!…)`, `(?<=…)`, `(?<!…)`; `groups` are the capturing groups inside it.
    Look {
        node: Box<Node>,
        behind: bool,
        negated: bool,
        groups: (usize, usize),
    },
}

/// A parsed pattern with its groups.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub node: Node,
    pub group_count: usize,
    /// Named groups in pattern order, with their numbers.
    pub names: Vec<(String, usize)>,
}
