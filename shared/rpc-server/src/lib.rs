//! # ferrite-rpc-server — the HTTP/WebSocket JSON-RPC server of every Ferrite device
//!
//! Shelly Gen2 compatible (`docs/PROTOCOL.md` §4): `POST /rpc`, `GET|POST /rpc/<Method>`,
//! `GET /shelly`, `OPTIONS` (CORS), WebSocket `/rpc` (request frames in, answers out,
//! `NotifyStatus` / `NotifyEvent` to clients that sent a `src`, `NotifyLog` / `NotifyTelemetry`
//! after `Log.Follow`), WebSocket `/debug/log`, and scripts' `/script/<id>/<name>` endpoints;
//! digest authentication once a password is set (`Shelly.SetAuth`). The virtual device
//! (`firmware/host`, std sockets) and the ESP32-C3 firmware (smoltcp sockets) both serve it with
//! [`Server`], so both speak exactly the same protocol.
//!
//! The server is a sans-IO state machine. The driver owns the listening socket and the TCP
//! connections; the server owns everything it decides: what a connection speaks (HTTP, RPC
//! WebSocket, log WebSocket), request parsing and size limits, routing, authentication and
//! nonces, transactions (5 in flight → 503, 10 s → 504), notifications and `Log.Follow`,
//! connection limits and eviction, the write-stall / idle / request / ping-pong timeouts, and
//! how much output a connection may hold. Connections are [`ConnId`]s the server hands out
//! when the driver accepts a socket; time is milliseconds from any monotonic clock, passed in.
//!
//! ## The driver's loop
//!
//! ```text
//! let mut server = Server::new(Config::HOST, random_key);      // the chip: a smaller Config
//! server.on_boot(&mut rt, now_ms());                           // and after every reboot
//! loop {
//!     while let Some(socket) = listener.accept() {             // 1. accept
//!         match server.accept(now_ms()) { Some(id) => sockets.insert(id, socket), None => drop(socket) }
//!     }
//!     for (id, s) in &sockets {                                 // 2. feed what arrived
//!         let room = server.input_room(*id);                   //    0: do not read now
//!         match s.read(&mut buf[..room.min(buf.len())]) {
//!             Ok(0) => server.peer_closed(*id), Ok(n) => server.feed(*id, &buf[..n], now_ms()),
//!             Err(WouldBlock) => {}, Err(_) => server.connection_failed(*id),
//!         }
//!     }
//!     let mut busy = rt.poll().busy | server.poll(&mut rt, now_ms());   // 3. run requests
//!     let (done, notes) = (rt.take_rpc_done(), rt.take_notifications());
//!     server.deliver(&mut rt, &done, &notes, now_ms());        //    answers, notifications, log
//!     for (id, s) in &sockets {                                 // 4. write output
//!         let n = s.write(server.output(*id))?; server.consume(*id, n, now_ms());
//!     }
//!     while let Some((id, how)) = server.take_close() {        // 5. close what the server ended
//!         sockets.remove(id) /* Close::Graceful: shut down after the last byte; Abort: reset */;
//!     }
//!     if !busy { sleep until a socket is ready or server.next_deadline_ms() / rt's deadline }
//! }
//! ```
//!
//! The order within a round does not matter for correctness, only for latency; a driver that
//! shares one runtime among several transports (the host's serial console) calls
//! [`Server::deliver`] with the same `done` / `notes` as the others: each transport picks its own
//! tokens. Static files (the host's `/ide/` with `--ide DIR`) are a driver feature plugged in
//! through [`StaticFiles`]; the chip has none.
//!
//! ## What this crate must never do
//! - I/O, sleeps, threads or clocks of its own: the driver moves the bytes and passes the time
//!   (the only exception is a [`StaticFiles`] body the driver itself provides).
//! - Block: every call does what it can now and returns.
//! - Panic on any input: bad requests, frames and credentials are answered with errors, an
//!   unknown [`ConnId`] is ignored.
//! - Buffer without bound: requests and WebSocket messages have size limits, input is taken
//!   only up to [`Server::input_room`], a connection with more than [`Config::max_output`]
//!   unsent bytes is closed, log lines are skipped beyond [`Config::follow_output_limit`].
//! - Depend on `std`.
#![no_std]

extern crate alloc;

mod auth;
mod conn;
mod follow;
mod frames;
mod limits;
mod respond;
mod routing;
mod server;
mod static_files;
mod transactions;

pub use frames::frame_credentials;
pub use limits::{
    Config, IDLE_TIMEOUT_MS, MAX_TRANSACTIONS, NONCE_LIFETIME_MS, PONG_TIMEOUT_MS,
    REQUEST_TIMEOUT_MS, RPC_REQUEST_LIMIT, SCRIPT_REQUEST_LIMIT, TRANSACTION_TIMEOUT_MS,
    WRITE_TIMEOUT_MS, WS_IDLE_MS,
};
pub use server::{Close, ConnId, Server};
pub use static_files::{BodySource, StaticFiles};
