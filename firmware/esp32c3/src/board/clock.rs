//! The runtime's [`Clock`] on the chip: milliseconds since boot from esp-hal's system timer, and
//! the wall clock once the network's SNTP client found it (`ferrite_net::WallClock`).
//!
//! Must never: go backwards (the boot clock), or claim to know the wall-clock time before a
//! server answered.

use ferrite_net::WallClock;
use ferrite_runtime::board::Clock;

/// Time since boot (the SYSTIMER, 16 MHz, 52 bits: it does not wrap in the device's lifetime).
pub fn boot_ms() -> u64 {
    esp_hal::time::Instant::now()
        .duration_since_epoch()
        .as_millis()
}

/// The boot clock and, with Wi-Fi, the wall clock SNTP keeps.
pub struct ChipClock {
    wall: Option<WallClock>,
}

impl ChipClock {
    /// `wall`: what the network's SNTP client sets (`None` without Wi-Fi).
    pub fn new(wall: Option<WallClock>) -> ChipClock {
        ChipClock { wall }
    }
}

impl Clock for ChipClock {
    fn now_ms(&self) -> u64 {
        boot_ms()
    }

    fn unix_time_ms(&self) -> Option<f64> {
        self.wall.as_ref()?.unix_time_ms(boot_ms())
    }
}
