//! Host tests of `firmware/esp32c3/src/board/pin_plan.rs` and `reset_kind.rs`, the firmware's
//! pure pin and reset decisions (the firmware builds only for the chip, so they are compiled
//! here from the same files).

extern crate alloc;

#[path = "../src/board/pin_plan.rs"]
pub mod pin_plan;
#[path = "../src/board/reset_kind.rs"]
pub mod reset_kind;

#[cfg(test)]
mod tests;
