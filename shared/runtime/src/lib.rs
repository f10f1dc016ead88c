//! # ferrite-runtime — what device scripts talk to
//!
//! The runtime sits on the engine and gives scripts their world: an event loop with timers,
//! several isolated scripts (Shelly's `Script` ids), the Shelly, Smart.js and TC53 IO APIs, the
//! device's components and RPC methods — all over a [`board::Board`] that each target implements
//! (the ESP32-C3, the host's virtual device, the in-tab simulator through [`sim::SimBoard`]).
//!
//! ## What this crate must never do
//! - I/O of its own: everything goes through the board traits, and the target drives the loop
//!   ([`Runtime::poll`]).
//! - Block, sleep or wait: operations that take time complete later as board events.
//! - Let one script take down another or the device: each script has its own realm, heap budget
//!   and fuel; an error aborts that script only.
//! - Depend on `std` (the `std` feature only adds conveniences of the engine).
#![no_std]

extern crate alloc;

pub mod api;
pub mod board;
pub mod codec;
pub mod components;
pub mod datapoints;
pub mod device;
pub mod host;
pub mod json;
pub mod limits;
pub mod log;
/// MQTT topic filters (in `ferrite-protocols`, shared with the IDE's traffic filter).
pub use ferrite_protocols::mqtt_topic;
pub mod num;
pub mod persist;
pub mod rpc;
pub mod runtime;
pub mod script;
pub mod sim;
#[cfg(test)]
pub(crate) mod testing;

pub use limits::Limits;
pub use runtime::{Poll, Runtime, RuntimeConfig, CONSOLE_ID, SCRIPT_MAX_NESTING};
