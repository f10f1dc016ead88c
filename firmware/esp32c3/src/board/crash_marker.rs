//! The crash marker in RTC fast memory: it survives a panic, a watchdog reset and
//! `Shelly.Reboot`, but not a power cycle. The runtime writes `run:<id>` while a script runs and
//! `idle` otherwise, and reads it at boot to disable a script that crashed the device.
//!
//! RTC memory also survives resets that are no crash: the IDE's or esptool's flashing over USB,
//! a brownout. So the marker counts only after a crash: a panic or an exception (the panic
//! handler notes it here, [`note_panic`], before it restarts) or a watchdog reset
//! ([`left_by_a_crash`]); after any other reset [`settle_at_boot`] clears it.
//!
//! Memory that is not initialized at boot holds garbage after power-on, so a record counts only
//! with its magic word and a checksum that match.
//!
//! Must never: return garbage as a marker, blame a script for a reset it did not cause, or write
//! past its record.

use core::sync::atomic::{AtomicBool, Ordering};

use esp_hal::rtc_cntl::SocResetReason;

/// Longest marker kept (the runtime's markers are `idle` and `run:<id>`).
const CAPACITY: usize = 32;
const MAGIC: u32 = 0x4652_4354; // "FRCT"

/// The record: magic (4 bytes), length (4), marker (`CAPACITY`), checksum (4), little-endian.
const RECORD_BYTES: usize = 4 + 4 + CAPACITY + 4;
const DATA: usize = 8;
const CHECK: usize = DATA + CAPACITY;

#[esp_hal::ram(unstable(rtc_fast, persistent))]
static mut RECORD: [u8; RECORD_BYTES] = [0; RECORD_BYTES];

fn word(r: &[u8; RECORD_BYTES], at: usize) -> u32 {
    u32::from_le_bytes([r[at], r[at + 1], r[at + 2], r[at + 3]])
}

/// FNV-1a over the length and the bytes.
fn checksum(len: u32, data: &[u8]) -> u32 {
    let mut h: u32 = 0x811C_9DC5;
    for b in len.to_le_bytes().iter().chain(data) {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// "PANC": the panic handler's note that the next boot follows a panic.
const PANIC_MAGIC: u32 = 0x434E_4150;

#[esp_hal::ram(unstable(rtc_fast, persistent))]
static mut PANICKED: u32 = 0;

/// Whether this boot follows a panic (read and cleared by [`settle_at_boot`]).
static BOOT_AFTER_PANIC: AtomicBool = AtomicBool::new(false);

/// From the panic handler, before it restarts: the next boot follows a crash.
pub fn note_panic() {
    // SAFETY: single-threaded; the handler runs last; any u32 is valid.
    unsafe { (&raw mut PANICKED).write_volatile(PANIC_MAGIC) };
}

/// At boot, first thing: read and clear the panic handler's note, and after a reset that was
/// no crash clear the marker at once (were it left until the runtime writes `idle`, a crash
/// during this boot's set-up would blame the script that ran before the reset).
pub fn settle_at_boot() {
    // SAFETY: as in `note_panic`; boot runs before anything else touches it.
    let noted = unsafe { (&raw const PANICKED).read_volatile() } == PANIC_MAGIC;
    unsafe { (&raw mut PANICKED).write_volatile(0) };
    BOOT_AFTER_PANIC.store(noted, Ordering::Relaxed);
    if !left_by_a_crash(noted, esp_hal::system::reset_reason()) {
        write(b"idle");
    }
}

/// Whether this boot follows a panic or an exception ([`settle_at_boot`] ran).
pub fn boot_after_panic() -> bool {
    BOOT_AFTER_PANIC.load(Ordering::Relaxed)
}

/// Whether the last reset was a crash, after which the marker names the script that ran
/// ([`super::reset_kind::left_by_a_crash`]).
pub fn left_by_a_crash(panicked: bool, reason: Option<SocResetReason>) -> bool {
    super::reset_kind::left_by_a_crash(panicked, reason.map(|r| r as u8))
}

/// The marker left by the previous run, if a valid one is there.
pub fn read() -> Option<alloc::vec::Vec<u8>> {
    // SAFETY: the firmware is single-threaded and no interrupt handler touches RECORD; any bit
    // pattern is a valid byte array. The record is copied out.
    let r = unsafe { (&raw const RECORD).read_volatile() };
    let r = &r;
    let len = word(r, 4);
    let n = len as usize;
    if word(r, 0) != MAGIC || n > CAPACITY || word(r, CHECK) != checksum(len, &r[DATA..DATA + n]) {
        return None;
    }
    Some(r[DATA..DATA + n].to_vec())
}

/// Record `marker` (cut to the capacity). A reset in the middle of the write leaves a record
/// whose checksum does not match, which reads as no marker.
pub fn write(marker: &[u8]) {
    let n = marker.len().min(CAPACITY);
    let mut r = [0u8; RECORD_BYTES];
    r[0..4].copy_from_slice(&MAGIC.to_le_bytes());
    r[4..8].copy_from_slice(&(n as u32).to_le_bytes());
    r[DATA..DATA + n].copy_from_slice(&marker[..n]);
    let check = checksum(n as u32, &r[DATA..DATA + n]);
    r[CHECK..CHECK + 4].copy_from_slice(&check.to_le_bytes());
    // SAFETY: as in `read`; nothing else holds a reference to RECORD.
    unsafe { (&raw mut RECORD).write_volatile(r) };
}
