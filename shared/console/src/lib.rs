//! # ferrite-console — the serial console of every Ferrite device
//!
//! One line, two audiences (`docs/PROTOCOL.md`): people get a REPL (a prompt with the console
//! realm's heap, line editing and echo on a raw line, continuation lines while brackets are
//! open, Ctrl-C), tools send SOH-framed JSON-RPC requests and get framed answers, and after
//! `Console.SetMode {"mode":"rpc"}` the device log, status, events and telemetry as
//! `NotifyLog` / `NotifyStatus` / `NotifyEvent` / `NotifyTelemetry` frames.
//!
//! The virtual device (`firmware/host`, stdin/stdout or a PTY) and the ESP32-C3 firmware (its
//! USB serial port) both serve it with [`Console`]: a sans-IO state machine the target feeds
//! with the bytes read from the line ([`Console::feed`], [`Console::end_input`],
//! [`Console::terminal_interrupt`]), drives against its [`ferrite_runtime::Runtime`] each round
//! ([`Console::poll`], [`Console::deliver`], [`Console::on_boot`]) and drains of the bytes to
//! write ([`Console::output`] + [`Console::consume`], or [`Console::take_output`];
//! [`Console::poll_writing`] hands them over after each request instead, so that answers go
//! out while later requests of a round still run).
//!
//! ```text
//! let mut console = Console::new(Line::Raw);
//! let mut rt = boot_runtime();
//! console.on_boot(&mut rt);
//! loop {
//!     let mut buf = [0u8; 256];
//!     let n = uart.read_ready(&mut buf[..console.input_room().min(256)]);
//!     console.feed(&buf[..n]);
//!     let mut busy = rt.poll().busy;
//!     busy |= console.poll(&mut rt);
//!     let (done, notes) = (rt.take_rpc_done(), rt.take_notifications());
//!     busy |= !done.is_empty() || !notes.is_empty();
//!     console.deliver(&mut rt, &done, &notes);
//!     let written = uart.write_ready(console.output());
//!     console.consume(written);
//!     if !busy { sleep_until_uart_or_deadline() }
//! }
//! ```
//!
//! ## What this crate must never do
//! - I/O, sleeps, threads or clocks of its own: the target reads and writes the line.
//! - Block: every call does what it can now and returns.
//! - Panic on any input: bad bytes, frames and requests are answered with errors.
//! - Buffer without bound: input is taken a bounded amount per round ([`Console::input_room`]),
//!   entries, lines and frames have size limits, and output beyond [`MAX_OUTPUT`] waiting bytes
//!   is dropped, as a UART with nobody listening loses bytes.
//! - Depend on `std`.
#![no_std]

extern crate alloc;

mod console;
pub mod entry;
pub mod line_editor;
pub mod log_time;
pub mod notify_log;
pub mod rpc_frame;

pub use console::{Console, Line, Mode, INPUT_PER_ROUND, MAX_ENTRY, MAX_OUTPUT};
