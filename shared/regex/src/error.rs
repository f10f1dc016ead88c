//! Errors as values: a pattern that does not parse, a search that went over its limits.

use core::fmt;

/// A pattern the grammar rejects: what is wrong and where (an index in code points).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: &'static str,
    pub offset: usize,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at position {}", self.message, self.offset)
    }
}

/// A search that was stopped before it could answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchError {
    /// It took more steps than [`crate::Limits::steps`] (catastrophic backtracking, or just a
    /// very long subject).
    StepLimit,
    /// Its backtracking stack outgrew [`crate::Limits::stack_bytes`], or memory for it ran out.
    StackLimit,
}

impl fmt::Display for MatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MatchError::StepLimit => "regular expression took too many steps",
            MatchError::StackLimit => "regular expression needed too much backtracking memory",
        })
    }
}
