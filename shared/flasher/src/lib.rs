//! # ferrite-flasher — Espressif's serial bootloader protocol, sans-IO
//!
//! Puts firmware on an ESP chip over its UART/USB serial ROM loader: SLIP framing, the
//! command/response packets, chip detection, the flasher stub (uploaded to RAM and run),
//! compressed or plain flash writes, MD5 verification of every written region, skipping of
//! blocks that already hold the right bytes, reading and erasing flash, baud-rate changes.
//!
//! [`Flasher`] is a state machine: the driver (the `ferrite` CLI, the IDE over WebSerial, tests)
//! feeds it the bytes read from the port and the time, and polls it for bytes to write, baud
//! changes, modem-line settings, progress and results. [`reset`] describes the DTR/RTS
//! sequences as data; the flasher plays them out as settings to make at once, waiting between
//! them by its own deadlines (a driver never sleeps).
//!
//! ## What this crate must never do
//! - I/O, sleeps, threads or clocks of its own: time is a number of milliseconds the driver
//!   passes in, timeouts are deadlines it is told to wait for.
//! - Panic on anything the device sends, or buffer it without a bound.
//! - Depend on `std`.
#![no_std]

extern crate alloc;

pub mod chip;
pub mod error;
pub mod flasher;
pub mod image;
pub mod packet;
pub mod reset;
pub mod slip;
pub mod stub;

pub use chip::Chip;
pub use error::Error;
pub use flasher::{check_baud, BAUD_RANGE};
pub use flasher::{Config, Done, Flasher, Output, Progress, Stage, Task, WriteReport, ROM_BAUD};
pub use reset::After;
