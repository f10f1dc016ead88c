//! Simulated I2C parts, attached by [`super::SimBoard::with_standard_parts`]: the parts the
//! seeds' examples talk to, each behaving as its datasheet says at the level of I2C
//! transactions (no timing: conversions and write cycles complete at once).

mod eeprom;
pub mod mcp23017;
mod sht3x;

pub use eeprom::Eeprom24c32;
pub use mcp23017::Mcp23017;
pub use sht3x::Sht3x;

use alloc::boxed::Box;

use super::SimHandle;

/// Address of the temperature/humidity sensor of the standard parts.
pub const SHT3X_ADDR: u8 = 0x44;
/// Address of the 24C32 EEPROM of the standard parts.
pub const EEPROM_ADDR: u8 = 0x50;
/// Address of the MCP23017 expander of the standard parts.
pub const EXPANDER_ADDR: u8 = 0x20;

/// GPIO number under which pin `pin` of the expander at `addr` reports edges
/// (expanders sit at 0x20..=0x27; each gets 16 numbers from 100 up).
pub fn expander_pin(addr: u8, pin: u32) -> u32 {
    100 + (addr.wrapping_sub(0x20) as u32 & 0x07) * 16 + pin
}

/// Attach the standard parts on I2C bus 0.
pub fn attach_standard(h: &SimHandle) {
    h.attach_i2c(0, SHT3X_ADDR, Box::new(Sht3x::new()));
    h.attach_i2c(0, EEPROM_ADDR, Box::new(Eeprom24c32::new()));
    h.attach_i2c(0, EXPANDER_ADDR, Box::new(Mcp23017::new()));
}
