//! The flash the store runs on: raw NOR, as a driver maps one partition of it. The store only
//! ever writes to erased (0xFF) bytes, in whole aligned write units, and erases whole sectors.

/// Why the flash driver failed (its own words).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlashError(pub &'static str);

/// NOR flash as the store sees it: erase sets a sector to 0xFF; write can only clear bits (1→0),
/// in whole WRITE_UNIT-aligned units; the region starts at 0 (the driver maps it to its partition).
pub trait Flash {
    /// Erase unit in bytes (4096 on the ESP32-C3).
    const SECTOR: u32;
    /// Program unit in bytes (4 on the ESP32-C3).
    const WRITE_UNIT: u32;
    /// Size of the region in bytes: a multiple of `SECTOR`.
    fn capacity(&self) -> u32;
    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), FlashError>;
    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), FlashError>;
    /// Erase the sector starting at `offset`.
    fn erase(&mut self, offset: u32) -> Result<(), FlashError>;
    /// Called before each erase and at least every [`KEEP_ALIVE_EVERY`] reads or programs, so
    /// that one store operation (a write that collects garbage, a mount scanning the whole log)
    /// never runs long without it: a target feeds its watchdog here. Must be cheap and must not
    /// touch the flash. The default does nothing.
    fn keep_alive(&mut self) {}
}

/// The most reads and programs the store makes between two calls of [`Flash::keep_alive`].
pub const KEEP_ALIVE_EVERY: u32 = 64;
