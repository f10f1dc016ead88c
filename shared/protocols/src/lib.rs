//! # ferrite-protocols — the wire protocols, sans-IO
//!
//! Every protocol here is a state machine that is fed bytes (and the time) and polled for bytes
//! to send and for what happened. The host device drives them with std sockets and a PTY, the
//! ESP32-C3 with its network stack and UART, tests with byte slices.
//!
//! ## What this crate must never do
//! - I/O, sleeps, threads or clocks of its own.
//! - Panic on any input, or buffer without a bound: every parser has a size limit and rejects
//!   what exceeds it with an error value.
//! - Depend on `std`.
#![no_std]

extern crate alloc;
pub mod mqtt;
pub mod mqtt_topic;

pub mod base64;
pub mod digest;
pub mod frame;
pub mod http;
pub mod http_client;
pub mod mdns;
pub mod sha;
pub mod sntp;
pub mod websocket;
