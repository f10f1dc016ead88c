//! Transactions: requests whose answer comes later from the runtime (an RPC method that
//! returned a token, a script endpoint), where each answer goes and in which shape, Shelly's
//! limits on them (5 in flight → 503, not answered in 10 s → 504 / error -104).
//!
//! Must never lose a request: every request that is run gets exactly one answer (now, from the
//! runtime, the timeout, or "the device restarted"), unless its connection went away.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ferrite_collections::SortedMap;

use ferrite_console::rpc_frame::{response_frame, RequestFrame};
use ferrite_runtime::json::Json;
use ferrite_runtime::rpc::{code, Origin, RpcError, RpcReply};
use ferrite_runtime::Runtime;

use crate::auth;
use crate::conn::{Conn, Mode};
use crate::frames;
use crate::limits::{MAX_TRANSACTIONS, TRANSACTION_TIMEOUT_MS};
use crate::server::{ConnId, Shared};

/// Where a pending RPC answer goes.
#[derive(Clone, Debug)]
pub(crate) enum Answer {
    /// `POST /rpc`: the whole response frame, addressed to the request's `src`.
    Frame {
        keep_alive: bool,
        dst: Option<String>,
    },
    /// `GET|POST /rpc/<Method>`: the bare result.
    Bare { keep_alive: bool },
    /// A WebSocket frame, addressed to the request's `src`.
    Ws { dst: Option<String> },
}

/// A request waiting for the runtime's answer.
pub(crate) struct Transaction {
    pub(crate) conn: ConnId,
    pub(crate) id: Json,
    pub(crate) answer: Answer,
    pub(crate) started_ms: u64,
    /// When it is given up: [`TRANSACTION_TIMEOUT_MS`] after it started, or the longer limit
    /// the runtime asks for the method (`Wifi.Scan`).
    pub(crate) deadline_ms: u64,
}

/// The transactions in flight, by the runtime's token.
#[derive(Default)]
pub(crate) struct Transactions {
    pending: SortedMap<u32, Transaction>,
    /// Script endpoint requests (the runtime keeps their limits): token → connection.
    endpoints: SortedMap<u32, ConnId>,
}

impl Transactions {
    /// Whether connection `conn` waits for an answer.
    pub(crate) fn has_conn(&self, conn: ConnId) -> bool {
        self.pending.values().any(|t| t.conn == conn)
    }

    /// The transaction of `token`, removed.
    pub(crate) fn take(&mut self, token: u32) -> Option<Transaction> {
        self.pending.remove(&token)
    }

    /// The connection waiting for endpoint answer `token`, removed.
    pub(crate) fn take_endpoint(&mut self, token: u32) -> Option<ConnId> {
        self.endpoints.remove(&token)
    }

    pub(crate) fn add_endpoint(&mut self, token: u32, conn: ConnId) {
        self.endpoints.insert(token, conn);
    }

    /// Every transaction and endpoint request, removed (the runtime restarted).
    pub(crate) fn take_all(&mut self) -> (Vec<Transaction>, Vec<ConnId>) {
        let pending = core::mem::take(&mut self.pending).into_values().collect();
        let endpoints = core::mem::take(&mut self.endpoints).into_values().collect();
        (pending, endpoints)
    }

    /// Transactions past their deadline, removed.
    pub(crate) fn take_expired(&mut self, now_ms: u64) -> Vec<Transaction> {
        let expired: Vec<u32> = self
            .pending
            .iter()
            .filter(|(_, t)| now_ms >= t.deadline_ms)
            .map(|(k, _)| *k)
            .collect();
        expired
            .into_iter()
            .filter_map(|k| self.pending.remove(&k))
            .collect()
    }

    /// When the oldest transaction times out.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.pending.values().map(|t| t.deadline_ms).min()
    }
}

/// The error of a transaction that timed out (`waited_ms` after it started).
pub(crate) fn timeout_error(waited_ms: u64) -> Result<Json, RpcError> {
    Err(RpcError::new(
        code::DEADLINE_EXCEEDED,
        format!(
            "the request was not answered in {} seconds",
            waited_ms / 1000
        ),
    ))
}

impl Conn {
    /// Run an authenticated request: answer now, or register the transaction.
    pub(crate) fn run(
        &mut self,
        sh: &mut Shared,
        rt: &mut Runtime,
        frame: RequestFrame,
        answer: Answer,
    ) {
        if sh.transactions.pending.len() >= MAX_TRANSACTIONS {
            // Answered as HTTP 503 (or the same error over WebSocket).
            let e = RpcError::new(
                code::UNAVAILABLE,
                "too many requests in progress (5), try again later",
            );
            self.answer(&sh.device_id, &frame.id, &answer, &Err(e));
            return;
        }
        let reply = if frame.method.eq_ignore_ascii_case("Shelly.SetAuth") {
            RpcReply::Done(auth::set_auth(rt, &frame.params))
        } else {
            rt.rpc(&frame.method, frame.params.clone(), Origin::Transport)
        };
        match reply {
            RpcReply::Done(result) => self.answer(&sh.device_id, &frame.id, &answer, &result),
            RpcReply::Pending(token) => {
                if let Mode::Http { waiting, .. } = &mut self.mode {
                    *waiting = true;
                }
                let limit = ferrite_runtime::rpc::answer_limit_ms(&frame.method)
                    .map_or(TRANSACTION_TIMEOUT_MS, |ms| ms.max(TRANSACTION_TIMEOUT_MS));
                sh.transactions.pending.insert(
                    token,
                    Transaction {
                        conn: self.id,
                        id: frame.id,
                        answer,
                        started_ms: sh.now_ms,
                        deadline_ms: sh.now_ms.saturating_add(limit),
                    },
                );
            }
        }
    }

    /// Queue the answer to a request.
    pub(crate) fn answer(
        &mut self,
        device_id: &str,
        id: &Json,
        answer: &Answer,
        result: &Result<Json, RpcError>,
    ) {
        match answer {
            Answer::Ws { dst } => {
                if !id.is_null() {
                    self.ws_send(&response_frame(id, device_id, dst.as_deref(), result));
                }
            }
            Answer::Frame { keep_alive, dst } => {
                if let Mode::Http { waiting, .. } = &mut self.mode {
                    *waiting = false;
                }
                let status = result.as_ref().err().map_or(200, frames::http_status);
                self.respond(
                    status,
                    &[],
                    &response_frame(id, device_id, dst.as_deref(), result),
                    *keep_alive,
                );
            }
            Answer::Bare { keep_alive } => {
                if let Mode::Http { waiting, .. } = &mut self.mode {
                    *waiting = false;
                }
                match result {
                    Ok(r) => self.respond(200, &[], r, *keep_alive),
                    Err(e) => self.respond(
                        frames::http_status(e),
                        &[],
                        &frames::error_object(e),
                        *keep_alive,
                    ),
                }
            }
        }
    }
}
