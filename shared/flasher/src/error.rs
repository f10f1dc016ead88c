//! Everything that can go wrong talking to the bootloader, as values with context.

use alloc::string::String;
use core::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Nothing answered SYNC: no chip, not in download mode, wrong port or baud rate.
    NoAnswer {
        attempts: u32,
    },
    /// A command got no (matching) response in time.
    Timeout {
        command: &'static str,
    },
    /// The device answered a command with a failure status.
    Failed {
        command: &'static str,
        status: u8,
        code: u8,
    },
    /// A response too short or malformed for its command.
    BadResponse {
        command: &'static str,
        detail: String,
    },
    /// The chip answered with a magic value or chip id we do not know.
    UnknownChip {
        detail: String,
    },
    /// The chip is not the one the image or the user asked for.
    WrongChip {
        expected: &'static str,
        found: &'static str,
    },
    /// The MD5 the device computed over a written (or read) region differs from ours.
    VerifyFailed {
        offset: u32,
        len: u32,
    },
    /// The image does not fit into the flash.
    TooLarge {
        offset: u32,
        len: u32,
        flash_size: u32,
    },
    /// An argument the task cannot work with (alignment, zero length, …).
    Invalid(String),
    /// The operation needs the flasher stub (erase, fast read) and it is not running.
    NeedsStub {
        command: &'static str,
    },
    /// A task was started while another one is still running, or before connecting.
    Busy,
    NotConnected,
}

/// The ROM's and the stub's failure codes (esptool's `ESPLoader` error table).
fn code_text(code: u8) -> &'static str {
    match code {
        0x05 => "received message is invalid (parameters or length field)",
        0x06 => "failed to act on received message",
        0x07 => "invalid CRC in message",
        0x08 => "flash write error (read back differs)",
        0x09 => "flash read error",
        0x0A => "flash read length error",
        0x0B => "deflate error",
        0xC0 => "bad data length",
        0xC1 => "bad data checksum",
        0xC2 => "bad block size",
        0xC3 => "invalid command",
        0xC4 => "SPI operation failed",
        0xC5 => "SPI unlock failed",
        0xC6 => "not in flash mode",
        0xC7 => "inflate error",
        0xC8 => "not enough data",
        0xC9 => "too much data",
        0xFF => "command not implemented",
        _ => "unknown error",
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoAnswer { attempts } => write!(
                f,
                "no answer from the bootloader after {attempts} sync attempts (is the chip in \
                 download mode? hold BOOT and press RESET, then try again)"
            ),
            Error::Timeout { command } => write!(f, "{command}: no response in time"),
            Error::Failed {
                command,
                status,
                code,
            } => write!(
                f,
                "{command} failed: status {status:#04x}, error {code:#04x} ({})",
                code_text(*code)
            ),
            Error::BadResponse { command, detail } => {
                write!(f, "{command}: malformed response: {detail}")
            }
            Error::UnknownChip { detail } => write!(f, "unknown chip: {detail}"),
            Error::WrongChip { expected, found } => {
                write!(f, "wrong chip: expected {expected}, found {found}")
            }
            Error::VerifyFailed { offset, len } => write!(
                f,
                "verification failed: MD5 of flash {offset:#x}..{:#x} differs from the image \
                 (checksum mismatch)",
                u64::from(*offset) + u64::from(*len)
            ),
            Error::TooLarge {
                offset,
                len,
                flash_size,
            } => write!(
                f,
                "image too large: {len} bytes at {offset:#x} end at {:#x}, past the end of the \
                 {flash_size}-byte flash",
                u64::from(*offset) + u64::from(*len)
            ),
            Error::Invalid(s) => f.write_str(s),
            Error::NeedsStub { command } => write!(
                f,
                "{command} needs the flasher stub, which is not running (drop --no-stub)"
            ),
            Error::Busy => f.write_str("another operation is still running"),
            Error::NotConnected => f.write_str("not connected to the bootloader"),
        }
    }
}
