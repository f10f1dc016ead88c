use alloc::vec::Vec;

/// Things about the chip itself.
pub trait System {
    /// Fill `buf` with random bytes (hardware RNG on a chip, seeded PRNG in the simulator).
    fn random(&mut self, buf: &mut [u8]);
    /// Feed the hardware watchdog (called by the runtime between script slices, and by
    /// `OS.wdt_feed()`).
    fn feed_watchdog(&mut self) {}
    /// Memory that survives a crash and reset but not a power cycle (RTC RAM on a chip, a mapped
    /// file on the host): the runtime records here which script is running, so that a script that
    /// crashed the device is found and disabled at the next boot.
    fn crash_marker(&mut self) -> Option<Vec<u8>>;
    fn set_crash_marker(&mut self, marker: &[u8]);
    /// Bytes of RAM free to the whole firmware (not just scripts), for `Sys.GetStatus`.
    fn ram_free(&self) -> Option<u64> {
        None
    }
    fn ram_size(&self) -> Option<u64> {
        None
    }
    /// The least [`System::ram_free`] has been since boot, where the target tracks it (a
    /// chip's heap: what the radio, the network and scripts took at their peak), for
    /// `Sys.GetStatus`.
    fn ram_min_free(&self) -> Option<u64> {
        None
    }
    /// Bytes of the main stack never used since boot, where the target can tell (a chip that
    /// painted its stack), for `Sys.GetStatus`: how close the deepest call came to the end.
    fn stack_min_free(&self) -> Option<u64> {
        None
    }
    /// Bytes free in the heap the firmware itself allocates from, where the target has one
    /// fixed heap (a chip); `None` where an OS manages memory. The runtime starts a realm only
    /// when it fits ([`crate::Limits::heap_reserve`]), instead of running out mid-way.
    fn heap_free(&self) -> Option<usize> {
        None
    }
    /// [`System::heap_free`] as a plain function, for the engine to ask while a script grows
    /// (it cannot borrow the board then): each realm's growth must leave
    /// [`crate::Limits::heap_reserve`] bytes free, or fails as past its budget. `None` where
    /// `heap_free` is `None`.
    fn heap_free_probe(&self) -> Option<fn() -> usize> {
        None
    }
    /// Ask the target to restart (after the RPC answer went out).
    fn request_reboot(&mut self) {}
    /// The device's MAC address (also its id: `ferrite-<mac>`).
    fn mac(&self) -> [u8; 6];
}
