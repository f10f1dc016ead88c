//! The hook through which a driver serves static files (the virtual device's `/ide/` with
//! `--ide DIR`). The chip has none; the server then routes those paths like any other.
//!
//! The server decides when a request goes to the files (after `OPTIONS` and WebSocket upgrades,
//! before everything else, without authentication) and streams a long body a piece at a time
//! while the connection's output is short; the driver's implementation decides what to answer.

use alloc::boxed::Box;
use alloc::vec::Vec;

use ferrite_protocols::http::Request;

/// Files a driver serves itself.
pub trait StaticFiles {
    /// Whether the files answer requests for `path` (the request target's path).
    fn claims(&self, path: &str) -> bool;
    /// Answer `req` (a path [`StaticFiles::claims`]): append the whole response, or its head, to
    /// `out`, and return the rest of the body when it is streamed. `keep_alive`: whether the
    /// connection stays open afterwards (the server closes it otherwise once all is sent).
    fn serve(
        &mut self,
        req: &Request,
        keep_alive: bool,
        out: &mut Vec<u8>,
    ) -> Option<Box<dyn BodySource>>;
}

/// The rest of a response body, read while the connection's output is short.
pub trait BodySource {
    /// Bytes still to come.
    fn remaining(&self) -> u64;
    /// Fill the start of `buf` (never longer than [`BodySource::remaining`]): `Some(n)` with
    /// `n > 0` bytes read, or `None` when the body cannot be completed (the connection is then
    /// dropped: its response would be cut short).
    fn read(&mut self, buf: &mut [u8]) -> Option<usize>;
}
