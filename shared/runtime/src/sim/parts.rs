//! Simulated I2C parts (see the helper-owned submodules): attached by
//! [`super::SimBoard::with_standard_parts`].

use super::SimHandle;

/// GPIO number under which pin `pin` of the expander at `addr` reports edges.
pub fn expander_pin(addr: u8, pin: u32) -> u32 {
    100 + (addr as u32 - 0x20) * 16 + pin
}

/// Attach the standard parts.
pub fn attach_standard(_h: &SimHandle) {}
