//! Host tests of `firmware/esp32c3/src/board/pin_plan.rs`, `reset_kind.rs` and `station.rs`,
//! the firmware's pure pin, reset and Wi-Fi station decisions (the firmware builds only for
//! the chip, so they are compiled here from the same files; the station runs over a scripted
//! radio, as no real one exists off the chip).

extern crate alloc;

#[path = "../src/board/pin_plan.rs"]
pub mod pin_plan;
#[path = "../src/board/reset_kind.rs"]
pub mod reset_kind;
#[path = "../src/board/station.rs"]
pub mod station;

#[cfg(test)]
mod station_tests;
#[cfg(test)]
mod tests;
