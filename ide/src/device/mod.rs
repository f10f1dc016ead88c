//! Live devices, the browser half: the bindings to public/device-io.js (`io`), the WebUSB
//! CDC-ACM driver's page side (`usb`) and the client that drives one device session
//! (`client`), and a plain byte port for the flasher (`raw_port`). The protocol logic
//! (framing, RPC, auth, reconnects, deploy) is `ferrite_ide_core::device`; what the user sees
//! is `controller::device` and `components::device`. Nothing here keeps application state
//! beyond one connection.

pub mod client;
pub mod io;
pub mod raw_port;
pub mod usb;
