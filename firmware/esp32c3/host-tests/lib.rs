//! Host tests of `firmware/esp32c3/src/board/pin_plan.rs`, the firmware's pure pin decisions
//! (the firmware builds only for the chip, so they are compiled here from the same file).

extern crate alloc;

#[path = "../src/board/pin_plan.rs"]
pub mod pin_plan;

#[cfg(test)]
mod tests;
