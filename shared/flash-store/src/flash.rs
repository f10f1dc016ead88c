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
}
