//! The server's limits: Shelly's protocol limits (the same on every device, constants) and the
//! resource limits each driver chooses for its memory ([`Config`]).
//!
//! Must never hold state: these are numbers the rest of the crate reads.

/// Largest request on `/rpc` and everything but script endpoints, request line and headers
/// included (room for `Script.PutCode` chunks); beyond it: 413.
pub const RPC_REQUEST_LIMIT: usize = 16 * 1024;
/// Largest request on a script endpoint (Shelly: 3072, then the connection is reset).
pub const SCRIPT_REQUEST_LIMIT: usize = 3072;
/// Transactions (requests waiting for a pending answer) at once; beyond: 503.
pub const MAX_TRANSACTIONS: usize = 5;
/// A transaction not answered in this time gets 504 (error -104).
pub const TRANSACTION_TIMEOUT_MS: u64 = 10_000;
/// An HTTP connection with nothing in progress and no input for this long is closed.
pub const IDLE_TIMEOUT_MS: u64 = 60_000;
/// A request must arrive whole within this time of its first byte (408 otherwise), so a client
/// trickling bytes cannot hold a connection slot forever.
pub const REQUEST_TIMEOUT_MS: u64 = 10_000;
/// A connection whose unsent output has not shrunk for this long is closed.
pub const WRITE_TIMEOUT_MS: u64 = 10_000;
/// A WebSocket silent for this long is pinged…
pub const WS_IDLE_MS: u64 = 60_000;
/// …and closed if nothing (a pong or anything else) arrives within this time.
pub const PONG_TIMEOUT_MS: u64 = 30_000;
/// How long a digest nonce stays valid.
pub const NONCE_LIFETIME_MS: u64 = 30 * 60 * 1000;
/// Header-authenticated nonces whose `nc` is tracked (see `ferrite_protocols::digest::Nonces`).
pub(crate) const NONCE_COUNTS: usize = 128;
/// Input a connection may hold beyond its request or message limit (the next request's start).
pub(crate) const INPUT_SLACK: usize = 4096;
/// Output below which a static file's next piece is read into it.
pub(crate) const BODY_CHUNK: usize = 64 * 1024;

/// The request size limit for a path (script endpoints get Shelly's smaller one).
pub(crate) fn path_limit(path: &str) -> usize {
    if path.starts_with("/script/") {
        SCRIPT_REQUEST_LIMIT
    } else {
        RPC_REQUEST_LIMIT
    }
}

/// The resource limits a driver picks for its memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Connections at once. When all are taken, a new connection closes the least recently
    /// active one with no request in progress, or is refused.
    pub max_connections: usize,
    /// Unsent bytes one connection may hold before it is closed (a client that stopped
    /// reading).
    pub max_output: usize,
    /// Unsent bytes beyond which a log follower's (`Log.Follow`, `/debug/log`) lines are
    /// skipped (the `seq` gap shows it) rather than the connection dropped. At most
    /// `max_output`.
    pub follow_output_limit: usize,
    /// Largest WebSocket message.
    pub ws_message_limit: usize,
}

impl Config {
    /// The virtual device's limits (docs/PROTOCOL.md §4.2): 32 connections, 512 KiB of output,
    /// log lines skipped beyond 256 KiB, 64 KiB WebSocket messages.
    pub const HOST: Config = Config {
        max_connections: 32,
        max_output: 512 * 1024,
        follow_output_limit: 256 * 1024,
        ws_message_limit: ferrite_protocols::websocket::DEFAULT_MESSAGE_LIMIT,
    };
}

impl Default for Config {
    fn default() -> Config {
        Config::HOST
    }
}
