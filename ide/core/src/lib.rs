//! `ferrite-ide-core`: everything the IDE does that does not touch the browser, so that it is
//! tested natively and shared by the page (`ide/`) and the simulator worker (`ide/worker`).
//!
//! - [`project`]: the project model (files, HTTP mocks), validation, export/import.
//! - [`share`]: a project in a link's fragment (deflate + base64url), hostile input bounded.
//! - [`protocol`]: the messages between page and worker.
//! - [`simulator`] (feature `simulator`): a simulated device session — the real runtime on a
//!   `SimBoard` with virtual time, speed control, board actions, an HTTP mock and an in-tab MQTT
//!   broker — driven by [`protocol::ToWorker`] messages.
//! - [`lint`] (feature `simulator`): diagnostics from the engine's own parser.
//! - [`examples`]: the gallery.
//! - [`device`]: live devices, sans-IO: the console stream, digest auth, RPC calls, the link's
//!   states and back-off, the device session, "Run on device", telemetry, the script diff, the
//!   Configuration form's IPv4 fields and the WebUSB CDC-ACM driver's logic.
//! - [`flash`]: flashing from the browser — the page ⇄ flash worker protocol and progress; the
//!   sans-IO flash job and the worker's state with feature `flash` (the flash worker's only).
//!
//! It must never call browser APIs or read a wall clock itself: the worker passes wall time in.

extern crate alloc;

pub mod device;
pub mod examples;
pub mod flash;
pub mod project;
pub mod protocol;
pub mod share;

#[cfg(feature = "simulator")]
pub mod lint;
#[cfg(feature = "simulator")]
pub mod simulator;
