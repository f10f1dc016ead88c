//! The device's RPC methods (Shelly Gen2 style): request and error types, and the dispatch from
//! a method name to its handler. The same methods serve HTTP, WebSocket, the serial console's RPC
//! mode and `Shelly.call` from scripts.

pub mod fs;
mod methods;

pub(crate) use methods::dispatch;
pub use methods::{device_info, full_config, full_status, http_result, METHODS};

use alloc::string::String;

use crate::json::Json;

/// Shelly's error codes (and JSON-RPC's parse error).
pub mod code {
    pub const PARSE_ERROR: i32 = -32700;
    pub const INVALID_ARGUMENT: i32 = -103;
    pub const DEADLINE_EXCEEDED: i32 = -104;
    pub const NOT_FOUND: i32 = -105;
    pub const ALREADY_EXISTS: i32 = -106;
    pub const RESOURCE_EXHAUSTED: i32 = -107;
    pub const FAILED_PRECONDITION: i32 = -108;
    pub const INTERNAL: i32 = -113;
    pub const UNAVAILABLE: i32 = -114;
    pub const UNAUTHORIZED: i32 = 401;
    pub const NO_HANDLER: i32 = 404;
}

/// An RPC error: a code and a message for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcError {
    pub code: i32,
    pub message: String,
}

impl RpcError {
    pub fn new(code: i32, message: impl Into<String>) -> RpcError {
        RpcError {
            code,
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> RpcError {
        RpcError::new(code::INVALID_ARGUMENT, message)
    }
    pub fn not_found(message: impl Into<String>) -> RpcError {
        RpcError::new(code::NOT_FOUND, message)
    }
    pub fn precondition(message: impl Into<String>) -> RpcError {
        RpcError::new(code::FAILED_PRECONDITION, message)
    }
    pub fn no_handler(method: &str) -> RpcError {
        RpcError::new(code::NO_HANDLER, alloc::format!("No handler for {method}"))
    }
}

impl core::fmt::Display for RpcError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// Who is calling: decides what a method may do and where asynchronous answers go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A transport (HTTP, WebSocket, serial RPC mode); authentication was checked by it.
    Transport,
    /// `Shelly.call` from script `id`.
    Script(u32),
}

/// How long a transport should wait for the answer to `method` when that is longer than its
/// usual limit: the runtime answers such a method itself when it takes too long (`Wifi.Scan`
/// after [`crate::components::wifi_scan::SCAN_LIMIT_MS`]), so a transport that gave up sooner
/// would fail a call that was going to be answered.
pub fn answer_limit_ms(method: &str) -> Option<u64> {
    method
        .eq_ignore_ascii_case("Wifi.Scan")
        .then_some(crate::components::wifi_scan::SCAN_LIMIT_MS + 5_000)
}

/// The answer to an RPC call: now, or later under a token (see
/// [`crate::Runtime::take_rpc_completions`]).
#[derive(Clone, Debug, PartialEq)]
pub enum RpcReply {
    Done(Result<Json, RpcError>),
    Pending(u32),
}

impl From<Result<Json, RpcError>> for RpcReply {
    fn from(r: Result<Json, RpcError>) -> Self {
        RpcReply::Done(r)
    }
}

/// Build a JSON-RPC response frame `{id, src, result | error}` for a transport.
pub fn response_frame(id: &Json, src: &str, result: &Result<Json, RpcError>) -> Json {
    match result {
        Ok(r) => serde_json::json!({"id": id, "src": src, "result": r}),
        Err(e) => {
            serde_json::json!({"id": id, "src": src, "error": {"code": e.code, "message": e.message}})
        }
    }
}
