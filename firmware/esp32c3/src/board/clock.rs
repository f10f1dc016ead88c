//! The runtime's [`Clock`] on the chip: milliseconds since boot from esp-hal's system timer.
//!
//! Must never: go backwards or claim to know the wall-clock time (no SNTP in this build).

use ferrite_runtime::board::Clock;

/// Time since boot (the SYSTIMER, 16 MHz, 52 bits: it does not wrap in the device's lifetime).
pub struct ChipClock;

impl Clock for ChipClock {
    fn now_ms(&self) -> u64 {
        esp_hal::time::Instant::now()
            .duration_since_epoch()
            .as_millis()
    }

    fn unix_time_ms(&self) -> Option<f64> {
        // No network time in this build.
        None
    }
}
