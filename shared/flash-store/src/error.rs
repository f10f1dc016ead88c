//! The store's errors: values with context, never panics, whatever the flash holds.

use alloc::format;
use alloc::string::{String, ToString};
use core::fmt;

use ferrite_runtime::board::BoardError;

use crate::flash::FlashError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// The driver failed: (what the store was doing, the driver's message).
    Flash(&'static str, &'static str),
    /// Not enough room (or too many files) for this write.
    Full(String),
    /// A file name the store does not take (empty or too long).
    InvalidName(String),
    /// The flash's sector/write-unit/capacity cannot hold a store.
    Geometry(&'static str),
    /// A committed file failed its checksum when read.
    Corrupt(String),
}

impl StoreError {
    pub(crate) fn flash(what: &'static str) -> impl FnOnce(FlashError) -> StoreError {
        move |e| StoreError::Flash(what, e.0)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Flash(what, m) => write!(f, "storage: flash {what} failed: {m}"),
            StoreError::Full(m) => write!(f, "storage full: {m}"),
            StoreError::InvalidName(m) => write!(f, "invalid file name: {m}"),
            StoreError::Geometry(m) => write!(f, "storage: unusable flash layout: {m}"),
            StoreError::Corrupt(m) => write!(f, "storage: {m}"),
        }
    }
}

impl From<StoreError> for BoardError {
    fn from(e: StoreError) -> BoardError {
        match e {
            StoreError::InvalidName(_) => BoardError::InvalidArgument(e.to_string()),
            _ => BoardError::Failed(format!("{e}")),
        }
    }
}
