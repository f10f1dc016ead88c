//! Why a file cannot be written as asked: one clear sentence for a person.

use std::fmt;

/// A failure to turn a file into what to write (wrong chip, too large, not an image, …). Its
/// `Display` is a sentence meant for the person who chose the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageError(String);

impl ImageError {
    pub fn new(message: impl Into<String>) -> ImageError {
        ImageError(message.into())
    }

    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ImageError {}

impl From<ferrite_flasher::Error> for ImageError {
    fn from(e: ferrite_flasher::Error) -> ImageError {
        ImageError(e.to_string())
    }
}
