//! # ferrite-engine — Ferrite's JavaScript engine
//!
//! A small, fast JavaScript interpreter for microcontrollers, the browser (wasm) and the host.
//! The pipeline is: [`lexer`] → [`parser`] (an [`ast`]) → [`compiler`] (compact bytecode with line
//! tables) → the [`vm`], which runs bytecode over a precise, budgeted garbage-collected [`heap`].
//!
//! Strings are byte arrays (UTF-8 by convention), as on Shelly devices and in Cesanta's Smart.js:
//! `.length` and indices count bytes, and `"\xHH"` is the raw byte HH.
//!
//! ## What this crate must never do
//! - I/O of any kind. Output goes through a host-provided sink ([`Engine::set_output`]).
//! - Panic, hang or overflow the native stack on any input: every limit (heap budget, fuel, call depth,
//!   parser nesting, script and string size) is a JS error or a clean abort.
//! - Depend on `std` unless the `std` feature is enabled (it only adds conveniences).
#![no_std]
#![forbid(unsafe_op_in_unsafe_fn)]
// `Vm::to_number(&mut self)` and friends need `&mut` (they may run JavaScript).
#![allow(clippy::wrong_self_convention)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod ast;
pub mod lexer;
pub mod parser;

mod engine;

pub use engine::{Config, Engine, HeapStats, JsError, RunOutcome};
pub mod atoms;
pub mod builtins;
pub mod bytecode;
pub mod compiler;
pub mod heap;
pub mod object;
pub mod regexp;
pub mod stack;
pub mod string;
pub mod value;
pub mod vm;

pub use engine::NativeFn;
pub use value::Value;
pub use vm::OutputSink;
pub use vm::Vm;
