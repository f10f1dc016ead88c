//! Which resets are crashes, after which the crash marker names the script that ran: a pure
//! decision over the ESP32-C3's reset reason codes (esp-hal's `SocResetReason`, the ROM's
//! `RESET_REASON`), compiled for the host too (`host-tests`).
//!
//! Must never: count a reset that is no crash (a software restart, USB flashing, a brownout,
//! power-on) without the panic handler's note.

/// The watchdogs' reset reasons: main watchdogs 0 and 1 and the RTC watchdog, resetting the
/// digital core (0x07, 0x08, 0x09), CPU 0 (0x0B, 0x11, 0x0D) or the RTC module too (0x10); the
/// super watchdog (0x12).
const WATCHDOG_RESETS: [u8; 8] = [0x07, 0x08, 0x09, 0x0B, 0x11, 0x0D, 0x10, 0x12];

/// Whether the last reset was a crash: a panic or an exception (`panicked`: the handler's note,
/// since it restarts by software) or a watchdog reset (`reason`: the reset reason's code).
pub fn left_by_a_crash(panicked: bool, reason: Option<u8>) -> bool {
    panicked || reason.is_some_and(|r| WATCHDOG_RESETS.contains(&r))
}
