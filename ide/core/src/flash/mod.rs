//! Flashing from the browser: the engine of the flash worker (`ide/flash-worker`).
//!
//! - [`protocol`]: the messages page ⇄ flash worker (always built: the page uses them too).
//! - [`progress`]: bytes written of bytes to write over all segments, rate, time left.
//! - [`job`] (feature `flash`): one flash job, sans-IO — connect, plan the image's segments
//!   (`ferrite-esp-image`), write and verify each, reset the chip; cancellable.
//! - [`service`] (feature `flash`): the worker's state — at most one job — driven by
//!   [`protocol::ToFlashWorker`] messages.
//!
//! Nothing here may touch the browser, read a clock, sleep or block: bytes, messages and the
//! time (milliseconds) come in as arguments; the worker shell moves them.

pub mod progress;
pub mod protocol;

#[cfg(feature = "flash")]
pub mod job;
#[cfg(feature = "flash")]
pub mod service;
