//! Talking to a live device, sans-IO: everything the IDE does with a real board (or the
//! virtual device, or a Shelly) that does not touch the browser. The page's glue moves bytes
//! and text messages between these state machines and the transports (WebSerial, WebUSB,
//! WebSocket, `fetch`) and passes the time in.
//!
//! - [`console_stream`]: the serial console's output split into text lines and SOH frames;
//!   frames encoded for sending.
//! - [`auth`]: SHA-256 digest credentials for JSON-RPC frames (docs/PROTOCOL.md §4.4).
//! - [`rpc`]: request ids, calls waiting for answers with deadlines, answer matching.
//! - [`link`]: connection states, the open timeout, reconnect back-off.
//! - [`session`]: [`session::DeviceSession`], the device client combining all of the above.
//! - [`deploy`]: "Run on device": find or create the script, stop, upload in chunks, start.
//! - [`telemetry`]: `name=value` print lines and `NotifyTelemetry` as bounded time series.
//! - [`diff`]: a bounded line diff of the editor's script against the device's copy.
//! - [`cdc_acm`]: the WebUSB CDC-ACM driver's logic (interfaces, control transfers, packets).
//! - [`ipv4_form`], [`wifi_networks`], [`wifi_status`]: the Configuration form's station
//!   address, the networks `Wifi.Scan` offers for its SSID field and the station's status line.
//!
//! Nothing here may call browser APIs, read a clock, use OS randomness, sleep or block, or
//! buffer without a bound: time comes in as milliseconds (`f64`), bytes and text as arguments.

pub mod auth;
pub mod cdc_acm;
pub mod console_stream;
pub mod deploy;
pub mod diff;
pub mod ipv4_form;
pub mod link;
pub mod rpc;
pub mod session;
pub mod telemetry;
pub mod wifi_networks;
pub mod wifi_status;
