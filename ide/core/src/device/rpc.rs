//! JSON-RPC calls to a device: request ids, the calls waiting for an answer with their
//! deadlines, and reading what the device sent (answers and notifications).
//!
//! It never decides what a call means (that is the session's) and never waits: deadlines are
//! times in ms that [`PendingCalls::take_expired`] compares with the time it is given.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde_json::{Map, Value};

/// A call the session's user made; answered by exactly one `Reply` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

/// Why a call failed: the device's error (its code and message), or one of ours.
#[derive(Clone, Debug, PartialEq)]
pub struct CallError {
    pub code: i64,
    pub message: String,
}

impl CallError {
    /// No answer before the call's deadline.
    pub const TIMEOUT: i64 = -1;
    /// The connection was lost (or was not there) before the answer came.
    pub const LOST: i64 = -2;
    /// The device wants a password (none was given, or it was refused).
    pub const AUTH: i64 = 401;
    /// The request is larger than the device accepts (the device's own code for it).
    pub const TOO_LARGE: i64 = -107;

    pub fn new(code: i64, message: impl Into<String>) -> CallError {
        CallError {
            code,
            message: message.into(),
        }
    }

    pub fn timeout(after_ms: f64) -> CallError {
        CallError::new(
            CallError::TIMEOUT,
            format!("no answer in {}", seconds_text(after_ms)),
        )
    }

    pub fn lost(reason: &str) -> CallError {
        if reason.is_empty() {
            CallError::new(CallError::LOST, "connection lost")
        } else {
            CallError::new(CallError::LOST, format!("connection lost: {reason}"))
        }
    }

    pub fn is_timeout(&self) -> bool {
        self.code == CallError::TIMEOUT
    }
    pub fn is_lost(&self) -> bool {
        self.code == CallError::LOST
    }
    pub fn is_auth(&self) -> bool {
        self.code == CallError::AUTH
    }
}

impl core::fmt::Display for CallError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.code {
            CallError::TIMEOUT | CallError::LOST => f.write_str(&self.message),
            code => write!(f, "{} ({code})", self.message),
        }
    }
}

/// `10 s`, `1.5 s`.
pub(crate) fn seconds_text(ms: f64) -> String {
    let s = ms / 1000.0;
    if (s - s.round()).abs() < 1e-9 {
        format!("{} s", s.round() as i64)
    } else {
        format!("{s:.1} s")
    }
}

/// The JSON text of a request.
pub fn request_text(
    id: u64,
    src: &str,
    method: &str,
    params: &Value,
    auth: Option<&Value>,
) -> String {
    let mut m = Map::new();
    m.insert("id".into(), Value::from(id));
    if !src.is_empty() {
        m.insert("src".into(), Value::from(src));
    }
    m.insert("method".into(), Value::from(method));
    if !params.is_null() {
        m.insert("params".into(), params.clone());
    }
    if let Some(a) = auth {
        m.insert("auth".into(), a.clone());
    }
    Value::Object(m).to_string()
}

/// What the device sent.
#[derive(Clone, Debug, PartialEq)]
pub enum Incoming {
    /// An answer. `id`: `None` when the device could not read the request's id (it answers
    /// unreadable frames with `id: null`) or the id is not one of ours (not a number).
    Response {
        id: Option<u64>,
        result: Result<Value, CallError>,
    },
    /// A notification: `NotifyStatus`, `NotifyEvent`, `NotifyLog`, `NotifyTelemetry`, …
    Notification { method: String, params: Value },
}

/// Read a JSON-RPC message. `Err` says why it is not one (for the log).
pub fn parse_incoming(text: &str) -> Result<Incoming, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(mut m) = v else {
        return Err("not a JSON object".into());
    };
    if let Some(Value::String(method)) = m.get("method") {
        if m.get("id").is_none_or(Value::is_null) || !m.contains_key("result") {
            let method = method.clone();
            let params = m.remove("params").unwrap_or(Value::Null);
            return Ok(Incoming::Notification { method, params });
        }
    }
    let id = m.get("id").and_then(Value::as_u64);
    if let Some(e) = m.remove("error") {
        let code = e.get("code").and_then(Value::as_i64).unwrap_or(0);
        let message = match e.get("message") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        return Ok(Incoming::Response {
            id,
            result: Err(CallError { code, message }),
        });
    }
    match m.remove("result") {
        Some(r) => Ok(Incoming::Response { id, result: Ok(r) }),
        None => Err("neither an answer nor a notification".into()),
    }
}

/// A call waiting for its answer. `T`: what the caller needs to know about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending<T> {
    pub deadline_ms: f64,
    pub data: T,
}

/// The calls waiting for answers, by request id.
#[derive(Clone, Debug)]
pub struct PendingCalls<T> {
    next_id: u64,
    calls: BTreeMap<u64, Pending<T>>,
}

impl<T> Default for PendingCalls<T> {
    fn default() -> Self {
        PendingCalls::new()
    }
}

impl<T> PendingCalls<T> {
    pub fn new() -> PendingCalls<T> {
        PendingCalls {
            next_id: 1,
            calls: BTreeMap::new(),
        }
    }

    /// A fresh request id (never reused within this table's life).
    pub fn next_request_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub fn insert(&mut self, request_id: u64, deadline_ms: f64, data: T) {
        self.calls.insert(request_id, Pending { deadline_ms, data });
    }

    /// The call answered by `request_id`, if it is waiting.
    pub fn take(&mut self, request_id: u64) -> Option<Pending<T>> {
        self.calls.remove(&request_id)
    }

    /// The calls whose deadline is at or before `now_ms`, in request order.
    pub fn take_expired(&mut self, now_ms: f64) -> Vec<(u64, Pending<T>)> {
        let ids: Vec<u64> = self
            .calls
            .iter()
            .filter(|(_, p)| p.deadline_ms <= now_ms)
            .map(|(id, _)| *id)
            .collect();
        ids.into_iter()
            .filter_map(|id| self.calls.remove(&id).map(|p| (id, p)))
            .collect()
    }

    /// Every waiting call, in request order (the connection is gone).
    pub fn take_all(&mut self) -> Vec<(u64, Pending<T>)> {
        core::mem::take(&mut self.calls).into_iter().collect()
    }

    pub fn next_deadline(&self) -> Option<f64> {
        self.calls
            .values()
            .map(|p| p.deadline_ms)
            .fold(None, |a: Option<f64>, d| Some(a.map_or(d, |a| a.min(d))))
    }

    pub fn len(&self) -> usize {
        self.calls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&u64, &Pending<T>)> {
        self.calls.iter()
    }
}
