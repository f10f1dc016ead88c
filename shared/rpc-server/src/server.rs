//! [`Server`]: the connection table and the calls a driver makes (accept, feed, poll, deliver,
//! output / consume, take_close, next_deadline_ms), plus what spans connections: eviction when
//! the table is full, transaction timeouts, script endpoint answers, a reboot of the runtime.
//!
//! Must never do I/O or read a clock (the driver passes `now_ms`), never panic on an unknown
//! [`ConnId`] (calls on one are ignored), and never hold more than
//! [`Config::max_connections`] connections.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use ferrite_runtime::api::shelly_extras::take_http_responses;
use ferrite_runtime::device::Notification;
use ferrite_runtime::json::Json;
use ferrite_runtime::rpc::{code, RpcError};
use ferrite_runtime::Runtime;

use crate::auth::Auth;
use crate::conn::{Conn, Mode};
use crate::limits::Config;
use crate::static_files::StaticFiles;
use crate::transactions::{timeout_error, Transactions};

/// A connection of the server, handed out by [`Server::accept`]. Ids are never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(u64);

impl ConnId {
    /// The id as a number (1 for the first connection, then counting up).
    pub fn get(self) -> u64 {
        self.0
    }
}

/// How the driver closes a connection the server is done with ([`Server::take_close`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Close {
    /// Everything was written (or the connection was evicted): shut the socket down normally.
    Graceful,
    /// Drop it at once (it failed, timed out, stopped reading, or is reset as Shelly resets a
    /// script endpoint that got too much); unsent output is discarded.
    Abort,
}

/// Everything but the connections (so a connection and this can be borrowed together).
pub(crate) struct Shared {
    /// The runtime's device id (the `src` of every frame, the digest realm).
    pub(crate) device_id: String,
    pub(crate) transactions: Transactions,
    pub(crate) auth: Auth,
    pub(crate) files: Option<Box<dyn StaticFiles>>,
    pub(crate) config: Config,
    /// The time of the call being served.
    pub(crate) now_ms: u64,
}

/// The HTTP/WebSocket RPC server. See the crate docs for the driver's loop.
pub struct Server {
    conns: Vec<Conn>,
    next_id: u64,
    sh: Shared,
    /// Connections the server is done with, for the driver to close.
    closed: VecDeque<(ConnId, Close)>,
}

impl Server {
    /// A server with the limits of `config` (a follow limit above the output limit is lowered
    /// to it). `nonce_key`: the secret digest nonces are made with (random, from the system,
    /// new at every start of the device).
    pub fn new(mut config: Config, nonce_key: [u8; 32]) -> Server {
        config.follow_output_limit = config.follow_output_limit.min(config.max_output);
        Server {
            conns: Vec::new(),
            next_id: 1,
            sh: Shared {
                device_id: String::new(),
                transactions: Transactions::default(),
                auth: Auth::new(nonce_key),
                files: None,
                config,
                now_ms: 0,
            },
            closed: VecDeque::new(),
        }
    }

    /// Serve `files` too (the host's `/ide/`).
    pub fn with_static_files(mut self, files: Box<dyn StaticFiles>) -> Server {
        self.sh.files = Some(files);
        self
    }

    /// The limits the server was made with.
    pub fn config(&self) -> &Config {
        &self.sh.config
    }

    /// The driver accepted a TCP connection: its id, or `None` when the table is full and
    /// every connection has a request in progress (drop the socket). When full, the least
    /// recently active connection with nothing in progress makes room: it is reported by
    /// [`Server::take_close`].
    pub fn accept(&mut self, now_ms: u64) -> Option<ConnId> {
        if self.conns.len() >= self.sh.config.max_connections && !self.evict_idle() {
            return None;
        }
        let id = ConnId(self.next_id);
        self.next_id += 1;
        self.conns.push(Conn::new(id, now_ms));
        Some(id)
    }

    /// Close the least recently active connection with no request in progress. `false` if
    /// every connection is busy.
    fn evict_idle(&mut self) -> bool {
        let tx = &self.sh.transactions;
        let victim = (0..self.conns.len())
            .filter(|i| self.conns[*i].is_quiet() && !tx.has_conn(self.conns[*i].id))
            .min_by_key(|i| self.conns[*i].last_input);
        let Some(i) = victim else {
            return false;
        };
        let c = self.conns.remove(i);
        self.closed.push_back((c.id, Close::Graceful));
        true
    }

    fn conn(&self, id: ConnId) -> Option<&Conn> {
        self.conns.iter().find(|c| c.id == id)
    }

    fn conn_mut(&mut self, id: ConnId) -> Option<&mut Conn> {
        self.conns.iter_mut().find(|c| c.id == id)
    }

    /// How many bytes connection `id` takes now: read at most this much before the next
    /// [`Server::poll`]; 0: do not read (it waits for an answer, is closing, or is full).
    pub fn input_room(&self, id: ConnId) -> usize {
        self.conn(id).map_or(0, |c| c.input_room(&self.sh.config))
    }

    /// Bytes read from connection `id` (at most [`Server::input_room`]; handled at the next
    /// [`Server::poll`]).
    pub fn feed(&mut self, id: ConnId, data: &[u8], now_ms: u64) {
        if let Some(c) = self.conn_mut(id) {
            c.feed(data, now_ms);
        }
    }

    /// The client closed its side of connection `id` (a read returned end of stream): what it
    /// sent is answered, then the connection closes.
    pub fn peer_closed(&mut self, id: ConnId) {
        if let Some(c) = self.conn_mut(id) {
            c.eof = true;
        }
    }

    /// Reading or writing connection `id` failed: the server forgets it (and reports it by
    /// [`Server::take_close`] as [`Close::Abort`]).
    pub fn connection_failed(&mut self, id: ConnId) {
        if let Some(c) = self.conn_mut(id) {
            c.dead = true;
        }
        self.reap();
    }

    /// Handle what arrived: requests and messages (run against `rt`), the log for followers,
    /// transaction timeouts, script endpoint answers, the connection timers. Returns whether
    /// anything happened (the driver loops again at once rather than waiting).
    pub fn poll(&mut self, rt: &mut Runtime, now_ms: u64) -> bool {
        self.sh.now_ms = now_ms;
        if self.sh.device_id.is_empty() {
            self.sh.device_id = rt.device().borrow().info.id.clone();
        }
        let mut did = false;
        // The driver has written what it could since the last round: a connection that still
        // holds too much has a client that stopped reading.
        for c in self.conns.iter_mut() {
            if c.out.len() > self.sh.config.max_output && !c.dead {
                c.dead = true;
                did = true;
            }
        }
        for c in self.conns.iter_mut() {
            did |= c.process(&mut self.sh, rt);
            if c.eof && !c.closing && !matches!(c.mode, Mode::Http { waiting: true, .. }) {
                c.closing = true;
                did = true;
            }
            did |= c.stream_log(rt, &self.sh.config, &self.sh.device_id);
        }
        for t in self.sh.transactions.take_expired(now_ms) {
            did = true;
            if let Some(c) = self.conns.iter_mut().find(|c| c.id == t.conn) {
                let waited = t.deadline_ms - t.started_ms;
                c.answer(&self.sh.device_id, &t.id, &t.answer, &timeout_error(waited));
            }
        }
        did |= self.endpoint_answers(rt);
        for c in self.conns.iter_mut() {
            did |= c.check_timers(now_ms);
            did |= c.check_request_deadline(now_ms);
            did |= c.check_idle(now_ms);
        }
        self.settle(now_ms);
        did | self.reap()
    }

    /// The runtime's answers to pending calls and its notifications of this round (the same
    /// slices every transport gets: the server takes its own tokens), and the log lines of the
    /// round before them (a `Script.Eval`'s prints, then its result).
    pub fn deliver(
        &mut self,
        rt: &mut Runtime,
        done: &[(u32, Result<Json, RpcError>)],
        notifications: &[Notification],
        now_ms: u64,
    ) {
        self.sh.now_ms = now_ms;
        // Answers produced by this round's script callbacks go out now, not after a wait.
        self.endpoint_answers(rt);
        for c in self.conns.iter_mut() {
            c.stream_log(rt, &self.sh.config, &self.sh.device_id);
        }
        for (token, result) in done {
            let Some(t) = self.sh.transactions.take(*token) else {
                continue;
            };
            if let Some(c) = self.conns.iter_mut().find(|c| c.id == t.conn) {
                c.answer(&self.sh.device_id, &t.id, &t.answer, result);
            }
        }
        if !notifications.is_empty() {
            for c in self.conns.iter_mut() {
                c.notify(&self.sh.device_id, notifications);
            }
        }
        self.settle(now_ms);
        self.reap();
    }

    /// The runtime (re)booted: calls in flight are answered "the device restarted" (their
    /// tokens may be reused), log streams start again at sequence 0.
    pub fn on_boot(&mut self, rt: &mut Runtime, now_ms: u64) {
        self.sh.now_ms = now_ms;
        self.sh.device_id = rt.device().borrow().info.id.clone();
        let (lost, endpoints) = self.sh.transactions.take_all();
        for conn in endpoints {
            if let Some(c) = self.conn_mut(conn) {
                c.respond_text(503, &[], b"Service Unavailable");
            }
        }
        let err = Err(RpcError::new(code::UNAVAILABLE, "the device restarted"));
        for t in lost {
            if let Some(c) = self.conns.iter_mut().find(|c| c.id == t.conn) {
                c.answer(&self.sh.device_id, &t.id, &t.answer, &err);
            }
        }
        for c in self.conns.iter_mut() {
            if let Mode::Log { next, .. }
            | Mode::Rpc {
                follow: Some(next), ..
            } = &mut c.mode
            {
                *next = 0;
            }
        }
        self.settle(now_ms);
        self.reap();
    }

    /// The bytes connection `id` has to write (empty for an unknown id).
    pub fn output(&self, id: ConnId) -> &[u8] {
        self.conn(id).map_or(&[], |c| &c.out)
    }

    /// The driver wrote the first `n` bytes of [`Server::output`].
    pub fn consume(&mut self, id: ConnId, n: usize, now_ms: u64) {
        if let Some(c) = self.conn_mut(id) {
            c.consume(n, now_ms);
        }
        self.reap();
    }

    /// The next connection to close (and how), removed from the server; its id is not used
    /// again. Call until `None` after every call that may end connections.
    pub fn take_close(&mut self) -> Option<(ConnId, Close)> {
        self.closed.pop_front()
    }

    /// When a timer of the server fires (a transaction, a connection's timeouts): call
    /// [`Server::poll`] then at the latest. `None`: no timer runs.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.conns
            .iter()
            .filter_map(Conn::next_deadline)
            .chain(self.sh.transactions.next_deadline())
            .min()
    }

    /// The open connections.
    pub fn connections(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.conns.iter().map(|c| c.id)
    }

    /// Write the answers scripts gave to endpoint requests.
    fn endpoint_answers(&mut self, rt: &mut Runtime) -> bool {
        let answers = take_http_responses(rt);
        let did = !answers.is_empty();
        for (token, resp) in answers {
            let Some(conn) = self.sh.transactions.take_endpoint(token) else {
                continue;
            };
            if let Some(c) = self.conn_mut(conn) {
                c.respond_text(resp.code, &resp.headers, &resp.body);
            }
        }
        did
    }

    /// After output was queued: static bodies refilled, stall timers started.
    fn settle(&mut self, now_ms: u64) {
        for c in self.conns.iter_mut() {
            c.settle(now_ms);
        }
    }

    /// Move the connections that are done to the close queue. Returns whether any were.
    fn reap(&mut self) -> bool {
        let before = self.conns.len();
        let closed = &mut self.closed;
        self.conns.retain(|c| {
            let how = if c.dead {
                Close::Abort
            } else if c.finished() {
                Close::Graceful
            } else {
                return true;
            };
            closed.push_back((c.id, how));
            false
        });
        self.conns.len() != before
    }
}
