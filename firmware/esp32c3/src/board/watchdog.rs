//! The task watchdog (TIMG0's), reachable by both of its feeders: the runtime's
//! `System::feed_watchdog` between script steps ([`super::system`]) and the flash store's
//! `keep_alive` before each erase and during long scans ([`super::flash`]), so that one store
//! call that collects garbage or a mount of a full log is not taken for a hung loop. Armed in
//! `board::init` after the store is mounted (handed over by `ChipSystem::new`); until then
//! [`feed`] does nothing.
//!
//! Must never: block (the lock is a critical section of a few register writes), or be fed from
//! an interrupt handler (a watchdog fed there would not notice a main loop that hangs).

use core::cell::RefCell;

use critical_section::Mutex;
use esp_hal::peripherals::TIMG0;
use esp_hal::timer::timg::Wdt;

static WATCHDOG: Mutex<RefCell<Option<Wdt<TIMG0<'static>>>>> = Mutex::new(RefCell::new(None));

/// Take over the armed watchdog: from now on [`feed`] feeds it.
pub fn arm(watchdog: Wdt<TIMG0<'static>>) {
    critical_section::with(|cs| *WATCHDOG.borrow_ref_mut(cs) = Some(watchdog));
}

/// Feed the watchdog, if it is armed yet.
pub fn feed() {
    critical_section::with(|cs| {
        if let Some(watchdog) = WATCHDOG.borrow_ref_mut(cs).as_mut() {
            watchdog.feed();
        }
    });
}
