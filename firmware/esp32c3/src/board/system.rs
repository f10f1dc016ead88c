//! The runtime's [`System`] on the chip: random numbers from the hardware RNG, the task
//! watchdog (held by [`watchdog`], which the flash store feeds too), the crash marker in RTC
//! memory, the heap figures, the factory MAC, restart.
//!
//! Must never: restart by itself (a restart is requested here and done by the main loop after
//! the RPC answer went out), or block.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::Cell;

use esp_hal::peripherals::TIMG0;
use esp_hal::rng::Rng;
use esp_hal::timer::timg::Wdt;
use ferrite_runtime::board::System;

use super::{crash_marker, heap, watchdog};

pub struct ChipSystem {
    rng: Rng,
    mac: [u8; 6],
    reboot: Rc<Cell<bool>>,
}

impl ChipSystem {
    /// `watchdog` is the armed task watchdog: it goes to [`watchdog`], where both its feeders
    /// (this system and the flash store) reach it.
    pub fn new(watchdog: Wdt<TIMG0<'static>>, reboot: Rc<Cell<bool>>) -> ChipSystem {
        watchdog::arm(watchdog);
        let mut mac = [0u8; 6];
        mac.copy_from_slice(esp_hal::efuse::base_mac_address().as_bytes());
        ChipSystem {
            rng: Rng::new(),
            mac,
            reboot,
        }
    }
}

impl System for ChipSystem {
    fn random(&mut self, buf: &mut [u8]) {
        // Without the radio or an ADC sampling noise the RNG is only pseudo-random (esp-hal's
        // documentation); good enough for Math.random, not for keys.
        self.rng.read(buf);
    }

    fn feed_watchdog(&mut self) {
        watchdog::feed();
    }

    fn crash_marker(&mut self) -> Option<Vec<u8>> {
        // Cleared at boot after a reset that was no crash (`crash_marker::settle_at_boot`).
        crash_marker::read()
    }

    fn set_crash_marker(&mut self, marker: &[u8]) {
        crash_marker::write(marker);
    }

    fn ram_free(&self) -> Option<u64> {
        Some(heap::free() as u64)
    }

    fn heap_free(&self) -> Option<usize> {
        Some(heap::free())
    }
    fn heap_free_probe(&self) -> Option<fn() -> usize> {
        Some(heap::free)
    }
    fn ram_size(&self) -> Option<u64> {
        Some(heap::total() as u64)
    }

    fn ram_min_free(&self) -> Option<u64> {
        Some(heap::min_free() as u64)
    }

    fn stack_min_free(&self) -> Option<u64> {
        Some(heap::stack_min_free() as u64)
    }

    fn request_reboot(&mut self) {
        self.reboot.set(true);
    }

    fn mac(&self) -> [u8; 6] {
        self.mac
    }
}
