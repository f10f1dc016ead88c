//! The virtual device's HTTP/WebSocket RPC server, compatible with Shelly Gen2 devices:
//!
//! - `POST /rpc` with a JSON-RPC frame → the response frame;
//! - `GET|POST /rpc/<Method>` with params from the query (values as JSON when they parse) or the
//!   body → the bare result, errors as HTTP 4xx/5xx with the error object;
//! - `GET /shelly` → device info (never needs authentication);
//! - WebSocket on `/rpc`: request frames in, response frames out, and every notification
//!   (`NotifyStatus`, `NotifyEvent`) to clients that sent a request with a `src`; after
//!   `Log.Follow` also the device log (`NotifyLog`) and `NotifyTelemetry` (never to clients
//!   that did not ask: Shelly clients see what a Shelly sends);
//! - `GET|HEAD /ide/…` with `--ide DIR`: the IDE's static files (no authentication);
//! - WebSocket on `/debug/log`: the device log as `{ts, level, data}` frames;
//! - `/script/<id>/<name>`: scripts' `HTTPServer.registerEndpoint` endpoints (answers close
//!   the connection, as on Shelly).
//!
//! Non-blocking std sockets driven from [`Transport::poll`]; the protocols are the sans-IO
//! parsers of `ferrite-protocols`. Limits as on Shelly: 5 transactions in flight (503), 10 s
//! per transaction (504), request size 16 KiB for `/rpc`, 3072 bytes for script endpoints
//! (connection reset), 64 KiB WebSocket messages. Connection slots are protected: 32 at most
//! (when full, the least recently active idle one is closed for a new one), a connection whose
//! output has not shrunk for 10 s is closed, a silent WebSocket is pinged after 60 s and closed
//! without an answer 30 s later. With a password set (`Shelly.SetAuth`), requests need digest
//! authentication except `GET /shelly`, `OPTIONS`, `Shelly.GetDeviceInfo` and the `/rpc`
//! WebSocket upgrade (its frames carry their own `auth`); see docs/PROTOCOL.md §4.4.

mod frames;
mod static_files;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ferrite_console::rpc_frame::{self, response_frame, RequestFrame};
use ferrite_protocols::digest::{self, Nonces};
use ferrite_protocols::http::{write_response, HttpError, Request, RequestParser};
use ferrite_protocols::websocket::{self, opcode, Decoder, Message};
use ferrite_runtime::api::shelly_extras::{
    http_endpoint_request, take_http_responses, EndpointReply, EndpointRequest,
};
use ferrite_runtime::device::Notification;
use ferrite_runtime::json::{json, Json};
use ferrite_runtime::log::Level;
use ferrite_runtime::rpc::{code, Origin, RpcError, RpcReply};
use ferrite_runtime::Runtime;

use super::{DeviceOptions, Transport};

/// Largest request on `/rpc` (room for `Script.PutCode` chunks).
const RPC_REQUEST_LIMIT: usize = 16 * 1024;
/// Largest request on a script endpoint (Shelly: 3072, then the connection is reset).
const SCRIPT_REQUEST_LIMIT: usize = 3072;
/// Transactions (requests waiting for a pending answer) at once.
const MAX_TRANSACTIONS: usize = 5;
/// A transaction not answered in this time gets 504.
const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(10);
/// An HTTP connection with nothing in progress and no input for this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// A request must arrive whole within this time of its first byte (408 otherwise), so a client
/// trickling bytes cannot hold a connection slot forever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections at once; more are closed on accept.
const MAX_CONNECTIONS: usize = 32;
/// Unsent bytes one connection may hold before it is dropped (a client that stopped reading).
const MAX_OUTPUT: usize = 512 * 1024;
/// How long a digest nonce stays valid.
const NONCE_LIFETIME_MS: u64 = 30 * 60 * 1000;
/// Header-authenticated nonces whose `nc` is tracked (see [`Nonces`]).
const NONCE_COUNTS: usize = 128;

/// The connection timers (the loop wakes at least once a second, which is their resolution).
#[derive(Clone, Copy, Debug)]
struct Timeouts {
    /// A connection whose pending output has not shrunk for this long is closed.
    write: Duration,
    /// A WebSocket silent for this long is pinged…
    ws_idle: Duration,
    /// …and closed if nothing (a pong) arrives within this time.
    pong: Duration,
}

const TIMEOUTS: Timeouts = Timeouts {
    write: Duration::from_secs(10),
    ws_idle: Duration::from_secs(60),
    pong: Duration::from_secs(30),
};

fn path_limit(path: &str) -> usize {
    if path.starts_with("/script/") {
        SCRIPT_REQUEST_LIMIT
    } else {
        RPC_REQUEST_LIMIT
    }
}

/// What a connection speaks now.
enum Mode {
    Http {
        parser: RequestParser,
        /// A request is waiting for its answer; later requests wait (answers stay in order).
        waiting: bool,
    },
    /// JSON-RPC over WebSocket.
    Rpc {
        decoder: Decoder,
        /// The client's `src` once it sent one: notifications go to it.
        src: Option<String>,
        /// After `Log.Follow {enable: true}`: the next log line to send as `NotifyLog`
        /// (telemetry goes to followers too).
        follow: Option<u64>,
    },
    /// The debug log stream; `next` is the next log line to send.
    Log { decoder: Decoder, next: u64 },
}

struct Conn {
    id: u64,
    stream: TcpStream,
    mode: Mode,
    out: Vec<u8>,
    /// Close once `out` is written.
    closing: bool,
    /// Closed or failed: remove.
    dead: bool,
    /// The client closed its side: nothing more will be read.
    eof: bool,
    /// When the client last sent something (idle HTTP connections are closed).
    last_input: Instant,
    /// When the first byte of the HTTP request being received arrived.
    request_started: Option<Instant>,
    /// Since when `out` has not shrunk (`None` while it is empty or being written).
    stalled_since: Option<Instant>,
    /// When a WebSocket ping went out that nothing has answered yet.
    ping_sent: Option<Instant>,
    /// A static file being sent (`/ide/`): the file and the bytes still to read from it. Later
    /// requests wait until it is sent.
    body: Option<(File, u64)>,
}

/// Output below which a static file's next piece is read into it.
const BODY_CHUNK: usize = 64 * 1024;

/// Where a pending RPC answer goes.
#[derive(Clone, Debug)]
enum Answer {
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

struct Transaction {
    conn: u64,
    id: Json,
    answer: Answer,
    started: Instant,
}

/// Everything but the connections (so a connection and this can be borrowed together).
struct Shared {
    device_id: String,
    transactions: BTreeMap<u32, Transaction>,
    /// Script endpoint transactions: token → connection.
    endpoints: BTreeMap<u32, u64>,
    nonces: Nonces,
    started: Instant,
    /// `--ide DIR` (canonical): static files served at `/ide/`.
    ide_root: Option<PathBuf>,
}

pub struct HttpServer {
    listener: TcpListener,
    conns: Vec<Conn>,
    next_conn: u64,
    shared: Shared,
}

impl HttpServer {
    /// Listen on `addr` (`host:port`; port 0 picks one). Prints
    /// `http: listening on http://<addr>` to stderr. `nonce_key`: the secret digest nonces are
    /// made with (random, from the system).
    pub fn bind(
        addr: &str,
        opts: &DeviceOptions,
        nonce_key: [u8; 32],
    ) -> Result<HttpServer, String> {
        let ide_root = match &opts.ide {
            None => None,
            Some(dir) => {
                let root = dir
                    .canonicalize()
                    .map_err(|e| format!("--ide {}: {e}", dir.display()))?;
                if !root.is_dir() {
                    return Err(format!("--ide {}: not a directory", dir.display()));
                }
                Some(root)
            }
        };
        let listener =
            TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("{addr}: {e}"))?;
        let local = listener.local_addr().map_err(|e| format!("{addr}: {e}"))?;
        eprintln!("http: listening on http://{local}");
        if ide_root.is_some() {
            eprintln!("http: the IDE at http://{local}/ide/");
        }
        Ok(HttpServer {
            listener,
            conns: Vec::new(),
            next_conn: 1,
            shared: Shared {
                device_id: String::new(),
                transactions: BTreeMap::new(),
                endpoints: BTreeMap::new(),
                nonces: Nonces::new(nonce_key, NONCE_LIFETIME_MS, NONCE_COUNTS),
                started: Instant::now(),
                ide_root,
            },
        })
    }

    fn accept(&mut self) -> bool {
        let mut did = false;
        loop {
            match self.listener.accept() {
                Ok((stream, _peer)) => {
                    did = true;
                    if self.conns.len() >= MAX_CONNECTIONS && !self.evict_idle() {
                        drop(stream);
                        continue;
                    }
                    if stream.set_nonblocking(true).is_err() {
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    self.conns.push(Conn::new(self.next_conn, stream));
                    self.next_conn += 1;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        did
    }

    /// Close the least recently active connection with no request in progress, to make room
    /// for a new one. `false` if every connection is busy.
    fn evict_idle(&mut self) -> bool {
        let sh = &self.shared;
        let victim = (0..self.conns.len())
            .filter(|i| self.conns[*i].is_idle(sh))
            .min_by_key(|i| self.conns[*i].last_input);
        let Some(i) = victim else {
            return false;
        };
        let c = self.conns.remove(i);
        let _ = c.stream.shutdown(std::net::Shutdown::Both);
        true
    }
}

impl Transport for HttpServer {
    fn poll(&mut self, rt: &mut Runtime) -> bool {
        if self.shared.device_id.is_empty() {
            self.shared.device_id = rt.device().borrow().info.id.clone();
        }
        let mut did = self.accept();
        for conn in self.conns.iter_mut() {
            did |= conn.read_input();
            did |= conn.process(&mut self.shared, rt);
            if conn.eof && !conn.closing && !matches!(conn.mode, Mode::Http { waiting: true, .. }) {
                conn.closing = true;
                did = true;
            }
            did |= conn.stream_log(rt, &self.shared.device_id);
        }
        did |= self.expire_transactions();
        did |= self.endpoint_answers(rt);
        for conn in self.conns.iter_mut() {
            did |= conn.flush();
        }
        let now = Instant::now();
        for c in self.conns.iter_mut() {
            did |= c.check_timers(now, &TIMEOUTS);
            did |= c.check_request_deadline();
            let idle_http = matches!(c.mode, Mode::Http { waiting: false, .. }) && c.out.is_empty();
            if idle_http && c.last_input.elapsed() >= IDLE_TIMEOUT {
                c.dead = true;
            }
        }
        let before = self.conns.len();
        self.conns.retain(|c| !c.dead);
        did | (self.conns.len() != before)
    }

    fn on_boot(&mut self, rt: &mut Runtime) {
        // A new runtime: its tokens start again and the log restarts at sequence 0.
        self.shared.device_id = rt.device().borrow().info.id.clone();
        let lost: Vec<Transaction> = std::mem::take(&mut self.shared.transactions)
            .into_values()
            .collect();
        let err = Err(RpcError::new(code::UNAVAILABLE, "the device restarted"));
        for (_, conn_id) in std::mem::take(&mut self.shared.endpoints) {
            if let Some(conn) = self.conns.iter_mut().find(|c| c.id == conn_id) {
                conn.respond_text(503, &[], b"Service Unavailable");
            }
        }
        for t in lost {
            if let Some(conn) = self.conns.iter_mut().find(|c| c.id == t.conn) {
                conn.answer(&self.shared.device_id, &t.id, &t.answer, &err);
                conn.flush();
            }
        }
        for conn in self.conns.iter_mut() {
            if let Mode::Log { next, .. }
            | Mode::Rpc {
                follow: Some(next), ..
            } = &mut conn.mode
            {
                *next = 0;
            }
        }
    }

    fn wait_fds(&self, fds: &mut Vec<libc::pollfd>) -> bool {
        use std::os::fd::AsRawFd;
        fds.push(libc::pollfd {
            fd: self.listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        });
        for c in &self.conns {
            let mut events = 0;
            if c.wants_input() {
                events |= libc::POLLIN;
            }
            if !c.out.is_empty() {
                events |= libc::POLLOUT;
            }
            // A connection waiting for an answer is not watched (a hangup would wake the
            // loop over and over); the answer or the timeout wakes it.
            if events != 0 {
                fds.push(libc::pollfd {
                    fd: c.stream.as_raw_fd(),
                    events,
                    revents: 0,
                });
            }
        }
        // Transaction timeouts (10 s) need no wake-up of their own: the loop wakes at least
        // every second.
        true
    }

    fn deliver(
        &mut self,
        rt: &mut Runtime,
        done: &[(u32, Result<Json, RpcError>)],
        notifications: &[Notification],
    ) {
        // Answers produced by this round's script callbacks go out now, not after a wait.
        self.endpoint_answers(rt);
        // Log lines of this round before the answers (a `Script.Eval`'s prints, then its result).
        for conn in self.conns.iter_mut() {
            conn.stream_log(rt, &self.shared.device_id);
        }
        for (token, result) in done {
            let Some(t) = self.shared.transactions.remove(token) else {
                continue;
            };
            if let Some(conn) = self.conns.iter_mut().find(|c| c.id == t.conn) {
                conn.answer(&self.shared.device_id, &t.id, &t.answer, result);
                conn.flush();
            }
        }
        if notifications.is_empty() {
            return;
        }
        for conn in self.conns.iter_mut() {
            let Mode::Rpc { src, follow, .. } = &conn.mode else {
                continue;
            };
            if src.is_none() && follow.is_none() {
                continue;
            }
            let dst = src.clone();
            let following = follow.is_some();
            for n in notifications {
                // Telemetry is for followers only: Shelly clients never see it.
                if n.followers_only() && !following {
                    continue;
                }
                let mut frame = json!({"src": self.shared.device_id,
                    "method": n.method, "params": n.params});
                if let Some(dst) = &dst {
                    frame["dst"] = json!(dst);
                }
                websocket::encode_frame(
                    &mut conn.out,
                    opcode::TEXT,
                    &serde_json::to_vec(&frame).unwrap_or_default(),
                    None,
                );
            }
            conn.flush();
        }
    }
}

impl HttpServer {
    /// Write the answers scripts gave to endpoint requests.
    fn endpoint_answers(&mut self, rt: &mut Runtime) -> bool {
        let answers = take_http_responses(rt);
        let did = !answers.is_empty();
        for (token, resp) in answers {
            let Some(conn_id) = self.shared.endpoints.remove(&token) else {
                continue;
            };
            if let Some(conn) = self.conns.iter_mut().find(|c| c.id == conn_id) {
                conn.respond_text(resp.code, &resp.headers, &resp.body);
                conn.flush();
            }
        }
        did
    }

    /// Answer transactions older than [`TRANSACTION_TIMEOUT`] with 504 / error -104.
    fn expire_transactions(&mut self) -> bool {
        let expired: Vec<u32> = self
            .shared
            .transactions
            .iter()
            .filter(|(_, t)| t.started.elapsed() >= TRANSACTION_TIMEOUT)
            .map(|(k, _)| *k)
            .collect();
        for token in &expired {
            let Some(t) = self.shared.transactions.remove(token) else {
                continue;
            };
            let err = Err(RpcError::new(
                code::DEADLINE_EXCEEDED,
                "the request was not answered in 10 seconds",
            ));
            if let Some(conn) = self.conns.iter_mut().find(|c| c.id == t.conn) {
                conn.answer(&self.shared.device_id, &t.id, &t.answer, &err);
            }
        }
        !expired.is_empty()
    }
}

/// Unsent bytes beyond which a follower's log lines are skipped (the `seq` gap shows it), so a
/// slow follower, or a burst of long lines, loses lines rather than the connection. Checked
/// for every line queued.
const FOLLOW_OUTPUT_LIMIT: usize = 256 * 1024;

/// Queue new log lines for a `/debug/log` client (`{ts, level, data}`) or a follower of
/// `/rpc` (`NotifyLog`). A line is queued only while the output stays within
/// [`FOLLOW_OUTPUT_LIMIT`] (a line longer than that alone goes out only when nothing else
/// waits, and only up to [`MAX_OUTPUT`]); the others are skipped. Returns whether any were
/// queued.
fn stream_log(
    rt: &Runtime,
    next: &mut u64,
    out: &mut Vec<u8>,
    notify: Option<(&str, Option<&str>)>,
) -> bool {
    let dev = rt.device();
    let dev = dev.borrow();
    if dev.log.next_seq() <= *next {
        return false;
    }
    let epoch = dev.board.clock().unix_time_ms();
    let uptime = dev.now_ms();
    let mut queued = false;
    let mut frame_bytes = Vec::new();
    for line in dev.log.since(*next) {
        if out.len() >= FOLLOW_OUTPUT_LIMIT {
            break; // the rest is skipped
        }
        let frame = match notify {
            Some((device_id, dst)) => {
                let params = ferrite_console::notify_log::params(
                    &dev,
                    line.seq,
                    line.level,
                    line.script,
                    line.ts_ms,
                    &line.text,
                );
                let mut f = json!({"src": device_id, "method": "NotifyLog", "params": params});
                if let Some(dst) = dst {
                    f["dst"] = json!(dst);
                }
                f
            }
            None => {
                let ts = ferrite_console::log_time::line_time_s(epoch, uptime, line.ts_ms);
                let level = match line.level {
                    Level::Error => 0,
                    Level::Warn => 1,
                    Level::Info | Level::Script => 2,
                };
                let data = if line.script == 0 {
                    format!("{}\n", line.text)
                } else {
                    format!("script:{}: {}\n", line.script, line.text)
                };
                json!({"ts": ts, "level": level, "data": data})
            }
        };
        frame_bytes.clear();
        websocket::encode_frame(
            &mut frame_bytes,
            opcode::TEXT,
            &serde_json::to_vec(&frame).unwrap_or_default(),
            None,
        );
        let fits = out.len() + frame_bytes.len() <= FOLLOW_OUTPUT_LIMIT
            || (out.is_empty() && frame_bytes.len() <= MAX_OUTPUT);
        if fits {
            out.extend_from_slice(&frame_bytes);
            queued = true;
        }
    }
    *next = dev.log.next_seq();
    queued
}

impl Conn {
    /// Queue the log lines this connection follows (a `/debug/log` stream, or a `/rpc`
    /// WebSocket after `Log.Follow`).
    fn stream_log(&mut self, rt: &Runtime, device_id: &str) -> bool {
        match &mut self.mode {
            Mode::Log { next, .. } => stream_log(rt, next, &mut self.out, None),
            Mode::Rpc {
                follow: Some(next),
                src,
                ..
            } => stream_log(rt, next, &mut self.out, Some((device_id, src.as_deref()))),
            _ => false,
        }
    }

    /// A new HTTP connection on an accepted (non-blocking) socket.
    fn new(id: u64, stream: TcpStream) -> Conn {
        Conn {
            id,
            stream,
            mode: Mode::Http {
                parser: RequestParser::new(RPC_REQUEST_LIMIT).with_path_limits(path_limit),
                waiting: false,
            },
            out: Vec::new(),
            closing: false,
            dead: false,
            eof: false,
            last_input: Instant::now(),
            request_started: None,
            stalled_since: None,
            ping_sent: None,
            body: None,
        }
    }

    /// No request of this connection is in progress (it may be closed to make room).
    fn is_idle(&self, sh: &Shared) -> bool {
        let busy = match &self.mode {
            Mode::Http { parser, waiting } => {
                *waiting || parser.buffered() > 0 || self.body.is_some()
            }
            Mode::Rpc { .. } | Mode::Log { .. } => false,
        };
        !busy && !sh.transactions.values().any(|t| t.conn == self.id)
    }

    /// The write-progress timeout and the WebSocket keep-alive, at `now`.
    fn check_timers(&mut self, now: Instant, t: &Timeouts) -> bool {
        if self.dead {
            return false;
        }
        if self
            .stalled_since
            .is_some_and(|s| now.saturating_duration_since(s) >= t.write)
        {
            // The client stopped reading: its slot goes to someone else.
            self.dead = true;
            return true;
        }
        if !matches!(self.mode, Mode::Rpc { .. } | Mode::Log { .. }) || self.closing {
            return false;
        }
        match self.ping_sent {
            Some(p) if now.saturating_duration_since(p) >= t.pong => {
                self.dead = true;
                true
            }
            Some(_) => false,
            None if now.saturating_duration_since(self.last_input) >= t.ws_idle => {
                websocket::encode_frame(&mut self.out, opcode::PING, b"", None);
                self.ping_sent = Some(now);
                self.flush();
                true
            }
            None => false,
        }
    }

    /// Whether [`Conn::read_input`] would read now.
    fn wants_input(&self) -> bool {
        !self.dead
            && !self.closing
            && !self.eof
            && self.body.is_none()
            && !matches!(self.mode, Mode::Http { waiting: true, .. })
    }

    /// Read what the socket has (bounded by what the parser may still buffer).
    fn read_input(&mut self) -> bool {
        if self.dead || self.closing || self.eof || self.body.is_some() {
            return false;
        }
        let room = match &self.mode {
            Mode::Http { parser, waiting } => {
                if *waiting {
                    return false;
                }
                (RPC_REQUEST_LIMIT + 4096).saturating_sub(parser.buffered())
            }
            Mode::Rpc { decoder, .. } | Mode::Log { decoder, .. } => {
                (websocket::DEFAULT_MESSAGE_LIMIT + 4096).saturating_sub(decoder.buffered())
            }
        };
        let mut did = false;
        let mut buf = [0u8; 8192];
        let mut left = room;
        while left > 0 {
            let n = buf.len().min(left);
            match self.stream.read(&mut buf[..n]) {
                Ok(0) => {
                    // The client is done sending: answer what it sent, then close.
                    self.eof = true;
                    return true;
                }
                Ok(k) => {
                    did = true;
                    self.last_input = Instant::now();
                    // Anything from the client (a pong or not) shows it is alive.
                    self.ping_sent = None;
                    left -= k;
                    match &mut self.mode {
                        Mode::Http { parser, .. } => parser.feed(&buf[..k]),
                        Mode::Rpc { decoder, .. } | Mode::Log { decoder, .. } => {
                            decoder.feed(&buf[..k])
                        }
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.dead = true;
                    return true;
                }
            }
        }
        did
    }

    /// Answer 408 and close when an HTTP request started arriving more than
    /// [`REQUEST_TIMEOUT`] ago and is still incomplete.
    fn check_request_deadline(&mut self) -> bool {
        let Mode::Http {
            parser,
            waiting: false,
        } = &self.mode
        else {
            self.request_started = None;
            return false;
        };
        if parser.buffered() == 0 || self.closing || self.dead {
            self.request_started = None;
            return false;
        }
        let started = *self.request_started.get_or_insert_with(Instant::now);
        if started.elapsed() < REQUEST_TIMEOUT {
            return false;
        }
        let body = json!({"code": 408, "message": "the request did not arrive in time"});
        self.respond(408, &[], &body, false);
        self.flush();
        true
    }

    /// Write what is queued. Drops the connection if the client stopped reading.
    fn flush(&mut self) -> bool {
        let mut did = false;
        let mut wrote = false;
        self.refill_body();
        while !self.out.is_empty() && !self.dead {
            match self.stream.write(&self.out) {
                Ok(0) => self.dead = true,
                Ok(n) => {
                    self.out.drain(..n);
                    did = true;
                    wrote = true;
                    self.refill_body();
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => self.dead = true,
            }
        }
        if self.out.is_empty() || wrote {
            self.stalled_since = None;
        }
        if !self.out.is_empty() {
            self.stalled_since.get_or_insert_with(Instant::now);
        }
        if self.out.len() > MAX_OUTPUT {
            self.dead = true;
        }
        if self.out.is_empty() && self.body.is_none() && self.closing && !self.dead {
            let _ = self.stream.shutdown(std::net::Shutdown::Both);
            self.dead = true;
            did = true;
        }
        did
    }

    /// Read the next piece of a static file being sent, while the output is short.
    fn refill_body(&mut self) {
        use std::io::Read as _;
        let Some((file, left)) = &mut self.body else {
            return;
        };
        if self.out.len() >= BODY_CHUNK {
            return;
        }
        let want = (BODY_CHUNK as u64).min(*left) as usize;
        let start = self.out.len();
        self.out.resize(start + want, 0);
        match file.read(&mut self.out[start..]) {
            Ok(n) if n > 0 => {
                self.out.truncate(start + n);
                *left -= n as u64;
            }
            // The file shrank or failed while being sent: the response cannot be completed.
            _ => {
                self.out.truncate(start);
                self.dead = true;
                self.body = None;
                return;
            }
        }
        if *left == 0 {
            self.body = None;
        }
    }

    /// Handle every complete request or message that is buffered.
    fn process(&mut self, sh: &mut Shared, rt: &mut Runtime) -> bool {
        let mut did = false;
        while !self.dead && !self.closing {
            match &mut self.mode {
                Mode::Http { parser, waiting } => {
                    if *waiting || self.body.is_some() {
                        break;
                    }
                    match parser.next_request() {
                        Ok(Some(req)) => {
                            did = true;
                            self.http_request(sh, rt, req);
                        }
                        Ok(None) => break,
                        Err(e) => {
                            did = true;
                            self.http_error(e);
                        }
                    }
                }
                Mode::Rpc { decoder, .. } | Mode::Log { decoder, .. } => {
                    match decoder.next_message() {
                        Ok(Some(m)) => {
                            did = true;
                            self.ws_message(sh, rt, m);
                        }
                        Ok(None) => break,
                        Err(e) => {
                            did = true;
                            websocket::encode_close(
                                &mut self.out,
                                e.close_code(),
                                &e.to_string(),
                                None,
                            );
                            self.closing = true;
                        }
                    }
                }
            }
        }
        did
    }

    fn http_error(&mut self, e: HttpError) {
        match e {
            // Shelly resets script-endpoint connections that send too much.
            HttpError::TooLarge { limit } if limit == SCRIPT_REQUEST_LIMIT => {
                self.out.clear();
                self.dead = true;
            }
            e => {
                let body = json!({"code": e.status(), "message": e.to_string()});
                self.respond(e.status(), &[], &body, false);
                self.closing = true;
            }
        }
    }

    /// Queue a 401 answer with the digest `challenge` (a `WWW-Authenticate` value).
    fn unauthorized(&mut self, challenge: &str, keep_alive: bool) {
        let body = json!({"code": 401, "message": "unauthorized"});
        self.respond(401, &[("WWW-Authenticate", challenge)], &body, keep_alive);
    }

    /// Queue an HTTP response with a JSON body.
    fn respond(&mut self, status: u16, headers: &[(&str, &str)], body: &Json, keep_alive: bool) {
        let mut h: Vec<(&str, &str)> = vec![
            ("Content-Type", "application/json"),
            ("Access-Control-Allow-Origin", "*"),
            ("Server", "Ferrite"),
        ];
        h.extend_from_slice(headers);
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        write_response(&mut self.out, status, &h, &bytes, keep_alive);
        if !keep_alive {
            self.closing = true;
        }
    }

    fn http_request(&mut self, sh: &mut Shared, rt: &mut Runtime, req: Request) {
        let keep_alive = req.keep_alive();
        let path = req.path().to_string();
        if req.method == "OPTIONS" {
            write_response(
                &mut self.out,
                204,
                &[
                    ("Access-Control-Allow-Origin", "*"),
                    ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                    ("Access-Control-Allow-Headers", "*"),
                ],
                b"",
                keep_alive,
            );
            self.closing |= !keep_alive;
            return;
        }
        if websocket::is_upgrade(&req) && (path == "/rpc" || path == "/debug/log") {
            if path == "/debug/log" {
                if let Err(challenge) = sh.check_http_auth(rt, &req) {
                    self.unauthorized(&challenge, false);
                    return;
                }
            }
            self.upgrade(rt, &req, &path);
            return;
        }
        if let Some(root) = &sh.ide_root {
            if path == "/ide" || path.starts_with(static_files::PREFIX) {
                let root = root.clone();
                self.serve_static(&root, &req, &path, keep_alive);
                return;
            }
        }
        match (req.method.as_str(), path.as_str()) {
            ("GET", "/shelly") => {
                let info = ferrite_runtime::rpc::device_info(&rt.device().borrow());
                self.respond(200, &[], &info, keep_alive);
            }
            ("POST", "/rpc") => {
                let frame = match rpc_frame::parse_request(&req.body) {
                    Ok(f) => f,
                    Err((id, src, e)) => {
                        let body =
                            response_frame(&id, &sh.device_id, src.as_deref(), &Err(e.clone()));
                        self.respond(frames::http_status(&e), &[], &body, keep_alive);
                        return;
                    }
                };
                // Credentials in the frame or in the header.
                let authed = match &frame.auth {
                    _ if is_open_method(&frame.method) => Ok(()),
                    Some(a) => sh.check_frame_auth(rt, a),
                    None => sh.check_http_auth(rt, &req).map_err(|_| false),
                };
                if let Err(stale) = authed {
                    let (body, header) = sh.rpc_unauthorized(&frame, stale);
                    self.respond(401, &[("WWW-Authenticate", &header)], &body, keep_alive);
                    return;
                }
                let dst = frame.src.clone();
                self.run(sh, rt, frame, Answer::Frame { keep_alive, dst });
            }
            ("GET" | "POST", p) if p.starts_with("/rpc/") => {
                let open = is_open_method(&p[5..]);
                if let (false, Err(challenge)) = (open, sh.check_http_auth(rt, &req)) {
                    self.unauthorized(&challenge, keep_alive);
                    return;
                }
                let method =
                    ferrite_protocols::http::percent_decode(&p[5..], false).unwrap_or_default();
                let params = if req.method == "POST" && !req.body.is_empty() {
                    match serde_json::from_slice::<Json>(&req.body) {
                        Ok(p @ (Json::Object(_) | Json::Null)) => Ok(p),
                        Ok(_) => Err(RpcError::invalid("params must be an object")),
                        Err(e) => Err(RpcError::new(
                            code::PARSE_ERROR,
                            format!("Invalid JSON: {e}"),
                        )),
                    }
                } else {
                    frames::query_params(req.query())
                };
                let params = match params {
                    Ok(p) => p,
                    Err(e) => {
                        self.respond(
                            frames::http_status(&e),
                            &[],
                            &frames::error_object(&e),
                            keep_alive,
                        );
                        return;
                    }
                };
                let frame = RequestFrame {
                    id: Json::Null,
                    src: None,
                    method,
                    params,
                    auth: None,
                };
                self.run(sh, rt, frame, Answer::Bare { keep_alive });
            }
            (_, p) if p.starts_with("/script/") => {
                if let Err(challenge) = sh.check_http_auth(rt, &req) {
                    self.unauthorized(&challenge, false);
                    return;
                }
                self.script_endpoint(sh, rt, req);
            }
            ("GET" | "POST", _) => {
                let body = json!({"code": 404, "message": format!("not found: {path}")});
                self.respond(404, &[], &body, keep_alive);
            }
            _ => {
                let body =
                    json!({"code": 405, "message": format!("method {} not allowed", req.method)});
                self.respond(405, &[("Allow", "GET, POST, OPTIONS")], &body, keep_alive);
            }
        }
    }

    /// `/ide/…` (`--ide DIR`): a static file, without authentication (the IDE's files are no
    /// secret; everything it does on the device goes through RPC, which needs it).
    fn serve_static(
        &mut self,
        root: &std::path::Path,
        req: &Request,
        path: &str,
        keep_alive: bool,
    ) {
        let text = |this: &mut Conn, status: u16, extra: &[(&str, &str)], msg: &str| {
            let mut h: Vec<(&str, &str)> = vec![
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Server", "Ferrite"),
            ];
            h.extend_from_slice(extra);
            write_response(&mut this.out, status, &h, msg.as_bytes(), keep_alive);
            this.closing |= !keep_alive;
        };
        let head = req.method == "HEAD";
        if req.method != "GET" && !head {
            text(self, 405, &[("Allow", "GET, HEAD")], "method not allowed\n");
            return;
        }
        if path == "/ide" {
            text(
                self,
                301,
                &[("Location", static_files::PREFIX)],
                "moved to /ide/\n",
            );
            return;
        }
        match static_files::open(root, path) {
            Ok((file, len, real)) => {
                let head_text = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {len}\r\n\
                     Cache-Control: no-cache\r\nServer: Ferrite\r\nConnection: {}\r\n\r\n",
                    static_files::content_type(&real),
                    if keep_alive { "keep-alive" } else { "close" }
                );
                self.out.extend_from_slice(head_text.as_bytes());
                if !head && len > 0 {
                    self.body = Some((file, len));
                }
                self.closing |= !keep_alive;
            }
            Err(static_files::StaticError::Redirect(to)) => {
                text(self, 301, &[("Location", &to)], "moved\n");
            }
            Err(e) => {
                let msg = match e {
                    static_files::StaticError::Forbidden => "forbidden\n",
                    _ => "not found\n",
                };
                text(self, e.status(), &[], msg);
            }
        }
    }

    /// `/script/<id>/<name>`: hand the request to the script's endpoint; the answer comes from
    /// [`take_http_responses`] (the runtime keeps Shelly's limits: 5 transactions, 10 s).
    fn script_endpoint(&mut self, sh: &mut Shared, rt: &mut Runtime, req: Request) {
        let path = req.path();
        let rest = &path["/script/".len()..];
        let target = rest
            .split_once('/')
            .and_then(|(id, name)| Some((id.parse::<u32>().ok()?, name)))
            .filter(|(_, name)| !name.is_empty() && !name.contains('/'));
        let Some((id, name)) = target else {
            self.respond_text(404, &[], b"Not Found");
            return;
        };
        let name = name.to_string();
        let request = EndpointRequest {
            method: req.method.clone(),
            query: req.query().unwrap_or("").to_string(),
            headers: req.headers.clone(),
            body: req.body,
        };
        match http_endpoint_request(rt, id, &name, request) {
            EndpointReply::NotFound => self.respond_text(404, &[], b"Not Found"),
            EndpointReply::Pending(token) => {
                if let Mode::Http { waiting, .. } = &mut self.mode {
                    *waiting = true;
                }
                sh.endpoints.insert(token, self.id);
            }
        }
    }

    /// Queue a response with a non-JSON body; the connection closes after it (as Shelly
    /// answers script endpoints).
    fn respond_text(&mut self, status: u16, headers: &[(String, String)], body: &[u8]) {
        let mut h: Vec<(&str, &str)> =
            vec![("Access-Control-Allow-Origin", "*"), ("Server", "Ferrite")];
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            h.push(("Content-Type", "text/plain"));
        }
        h.extend(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        write_response(&mut self.out, status, &h, body, false);
        if let Mode::Http { waiting, .. } = &mut self.mode {
            *waiting = false;
        }
        self.closing = true;
    }

    /// Switch to WebSocket after a valid handshake.
    fn upgrade(&mut self, rt: &Runtime, req: &Request, path: &str) {
        let Mode::Http { parser, .. } = &mut self.mode else {
            return;
        };
        let rest = parser.take_rest();
        match websocket::handshake_response(req, &mut self.out) {
            Ok(()) => {
                let mut decoder = Decoder::server(websocket::DEFAULT_MESSAGE_LIMIT);
                decoder.feed(&rest);
                self.mode = if path == "/debug/log" {
                    // Start with the recent lines the log still holds.
                    let dev = rt.device();
                    let first = dev.borrow().log.since(0).next().map_or(0, |l| l.seq);
                    Mode::Log {
                        decoder,
                        next: first,
                    }
                } else {
                    Mode::Rpc {
                        decoder,
                        src: None,
                        follow: None,
                    }
                };
            }
            Err(e) => {
                websocket::handshake_error_response(e, &mut self.out);
                self.closing = true;
            }
        }
    }

    fn ws_message(&mut self, sh: &mut Shared, rt: &mut Runtime, m: Message) {
        match m {
            Message::Ping(p) => websocket::encode_frame(&mut self.out, opcode::PONG, &p, None),
            Message::Pong(_) => {}
            Message::Close(code, _) => {
                websocket::encode_close(
                    &mut self.out,
                    code.unwrap_or(websocket::close_code::NORMAL),
                    "",
                    None,
                );
                self.closing = true;
            }
            Message::Binary(_) => {}
            Message::Text(text) => {
                if !matches!(self.mode, Mode::Rpc { .. }) {
                    return;
                }
                let frame = match rpc_frame::parse_request(text.as_bytes()) {
                    Ok(f) => f,
                    Err((id, src, e)) => {
                        // Answered even with id null (a parse error has no id).
                        self.ws_send(&response_frame(&id, &sh.device_id, src.as_deref(), &Err(e)));
                        return;
                    }
                };
                let authed = match &frame.auth {
                    _ if is_open_method(&frame.method) => Ok(()),
                    Some(a) => sh.check_frame_auth(rt, a),
                    None if sh.auth_required(rt) => Err(false),
                    None => Ok(()),
                };
                if let Err(stale) = authed {
                    let (f, _) = sh.rpc_unauthorized(&frame, stale);
                    self.ws_send(&f);
                    return;
                }
                // Only an authenticated request subscribes the connection to notifications.
                if let (Some(s), Mode::Rpc { src, .. }) = (&frame.src, &mut self.mode) {
                    *src = Some(s.clone());
                }
                let dst = frame.src.clone();
                if frame.method.eq_ignore_ascii_case("Log.Follow") {
                    let r = self.log_follow(rt, &frame.params);
                    self.answer(&sh.device_id, &frame.id, &Answer::Ws { dst }, &r);
                    return;
                }
                self.run(sh, rt, frame, Answer::Ws { dst });
            }
        }
    }

    /// `Log.Follow {enable}` on a `/rpc` WebSocket: from now on (or no more) the connection
    /// gets the device log as `NotifyLog`, telemetry as `NotifyTelemetry`, and the status and
    /// event notifications.
    fn log_follow(&mut self, rt: &Runtime, params: &Json) -> Result<Json, RpcError> {
        let enable = match params.get("enable") {
            None | Some(Json::Null) => true,
            Some(Json::Bool(b)) => *b,
            Some(_) => return Err(RpcError::invalid("enable must be a boolean")),
        };
        let Mode::Rpc { follow, .. } = &mut self.mode else {
            return Err(RpcError::new(code::UNAVAILABLE, "not a /rpc WebSocket"));
        };
        let seq = rt.device().borrow().log.next_seq();
        *follow = if enable { Some(seq) } else { None };
        Ok(json!({"enable": enable, "seq": seq}))
    }

    fn ws_send(&mut self, frame: &Json) {
        let bytes = serde_json::to_vec(frame).unwrap_or_default();
        websocket::encode_frame(&mut self.out, opcode::TEXT, &bytes, None);
    }

    /// Run an authenticated request: answer now, or register the transaction.
    fn run(&mut self, sh: &mut Shared, rt: &mut Runtime, frame: RequestFrame, answer: Answer) {
        if sh.transactions.len() >= MAX_TRANSACTIONS {
            // Answered as HTTP 503 (or the same error over WebSocket).
            let e = RpcError::new(
                code::UNAVAILABLE,
                "too many requests in progress (5), try again later",
            );
            self.answer(&sh.device_id, &frame.id, &answer, &Err(e));
            return;
        }
        let reply = if frame.method.eq_ignore_ascii_case("Shelly.SetAuth") {
            RpcReply::Done(set_auth(rt, &frame.params))
        } else {
            rt.rpc(&frame.method, frame.params.clone(), Origin::Transport)
        };
        match reply {
            RpcReply::Done(result) => self.answer(&sh.device_id, &frame.id, &answer, &result),
            RpcReply::Pending(token) => {
                if let Mode::Http { waiting, .. } = &mut self.mode {
                    *waiting = true;
                }
                sh.transactions.insert(
                    token,
                    Transaction {
                        conn: self.id,
                        id: frame.id,
                        answer,
                        started: Instant::now(),
                    },
                );
            }
        }
    }

    /// Queue the answer to a request.
    fn answer(
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

impl Shared {
    fn stored_ha1(rt: &Runtime) -> Option<String> {
        rt.device().borrow().components.sys.auth_ha1.clone()
    }

    fn auth_required(&self, rt: &Runtime) -> bool {
        Shared::stored_ha1(rt).is_some()
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// A fresh nonce (a number below 2^53, so JSON clients read it exactly; nothing is
    /// remembered, see [`Nonces`]).
    fn new_nonce(&self) -> u64 {
        self.nonces.issue(self.now_ms())
    }

    /// The refusal of a request frame without valid credentials: the response frame (error 401,
    /// its message the JSON challenge with a fresh nonce; `stale` if only the nonce was old)
    /// and the same nonce as a `WWW-Authenticate` header value.
    fn rpc_unauthorized(&self, frame: &RequestFrame, stale: bool) -> (Json, String) {
        let nonce = self.new_nonce();
        let e = RpcError::new(
            code::UNAUTHORIZED,
            digest::rpc_challenge(&self.device_id, nonce, stale),
        );
        let body = response_frame(&frame.id, &self.device_id, frame.src.as_deref(), &Err(e));
        (
            body,
            digest::www_authenticate(&self.device_id, &nonce.to_string()),
        )
    }

    /// Check an `Authorization` header when a password is set. `Err` holds the
    /// `WWW-Authenticate` challenge to send.
    fn check_http_auth(&mut self, rt: &Runtime, req: &Request) -> Result<(), String> {
        let Some(ha1) = Shared::stored_ha1(rt) else {
            return Ok(());
        };
        let now = self.now_ms();
        let ok = req
            .header("authorization")
            .and_then(|h| digest::parse_authorization(h).ok())
            // The digest covers `uri`: it must be this request's target, or a header captured
            // for one request would authorize any other (RFC 7616 §3.4.6).
            .filter(|c| c.uri.as_deref() == Some(req.target.as_str()))
            .is_some_and(|c| {
                // Each use of a nonce in a header needs a higher `nc`: no replays.
                let nonces = &mut self.nonces;
                digest::verify(&c, &ha1, &self.device_id, &req.method, |n| {
                    nonces.use_count(n, &c.nc, now)
                })
                .is_ok()
            });
        if ok {
            Ok(())
        } else {
            let nonce = self.new_nonce();
            Err(digest::www_authenticate(
                &self.device_id,
                &nonce.to_string(),
            ))
        }
    }

    /// Check a JSON-RPC frame's `auth` object when a password is set. `Err(stale)`: refused;
    /// `stale` if only the nonce was too old.
    fn check_frame_auth(&mut self, rt: &Runtime, auth: &Json) -> Result<(), bool> {
        let Some(ha1) = Shared::stored_ha1(rt) else {
            return Ok(());
        };
        let now = self.now_ms();
        let c = frames::frame_credentials(auth).ok_or(false)?;
        // As on Shelly, frames always carry `nc = 1`: the nonce's lifetime bounds replays.
        let nonces = &self.nonces;
        digest::verify(&c, &ha1, &self.device_id, "", |n| nonces.valid(n, now))
            .map_err(|e| e == digest::AuthError::StaleNonce)
    }
}

/// Methods that never need authentication (as on Shelly: clients learn the realm from it).
fn is_open_method(method: &str) -> bool {
    method.eq_ignore_ascii_case("Shelly.GetDeviceInfo")
}

/// `Shelly.SetAuth {user: "admin", realm: <device id>, ha1: <hex sha256> | null}`.
fn set_auth(rt: &mut Runtime, params: &Json) -> Result<Json, RpcError> {
    let dev = rt.device();
    let mut dev = dev.borrow_mut();
    match params.get("user").and_then(Json::as_str) {
        Some(digest::USER) => {}
        Some(_) => return Err(RpcError::invalid("user must be \"admin\"")),
        None => return Err(RpcError::invalid("user is required")),
    }
    match params.get("realm").and_then(Json::as_str) {
        Some(r) if r == dev.info.id => {}
        Some(_) => {
            return Err(RpcError::invalid(format!(
                "realm must be the device id {}",
                dev.info.id
            )))
        }
        None => return Err(RpcError::invalid("realm is required")),
    }
    let ha1 = match params.get("ha1") {
        None | Some(Json::Null) => None,
        Some(Json::String(h)) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Some(h.to_ascii_lowercase())
        }
        Some(_) => {
            return Err(RpcError::invalid(
                "ha1 must be 64 hexadecimal digits or null",
            ))
        }
    };
    dev.components.sys.auth_ha1 = ha1;
    ferrite_runtime::persist::save_component_config(&mut dev, "sys");
    Ok(Json::Null)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::small_buffer;
    use super::*;

    fn server() -> HttpServer {
        let opts = super::super::parse(&[]).unwrap();
        HttpServer::bind("127.0.0.1:0", &opts, [3; 32]).unwrap()
    }

    /// A server-side connection and its client.
    fn conn_pair() -> (Conn, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (stream, _) = l.accept().unwrap();
        stream.set_nonblocking(true).unwrap();
        small_buffer(&stream, libc::SO_SNDBUF);
        small_buffer(&client, libc::SO_RCVBUF);
        (Conn::new(1, stream), client)
    }

    fn accept_until(s: &mut HttpServer, next_id: u64) {
        for _ in 0..200 {
            s.accept();
            if s.next_conn >= next_id {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("connections were not accepted");
    }

    #[test]
    fn a_full_table_evicts_the_oldest_idle_connection() {
        let mut s = server();
        let addr = s.listener.local_addr().unwrap();
        let mut clients: Vec<TcpStream> = (0..MAX_CONNECTIONS)
            .map(|_| TcpStream::connect(addr).unwrap())
            .collect();
        accept_until(&mut s, MAX_CONNECTIONS as u64 + 1);
        assert_eq!(s.conns.len(), MAX_CONNECTIONS);
        // Connection 1 is the least recently active but has a request in progress.
        clients[0].write_all(b"GET /shelly HTTP/1.1\r\n").unwrap();
        for _ in 0..100 {
            s.conns[0].read_input();
            if matches!(&s.conns[0].mode, Mode::Http { parser, .. } if parser.buffered() > 0) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let base = Instant::now();
        for (i, c) in s.conns.iter_mut().enumerate() {
            c.last_input = base + Duration::from_millis(i as u64);
        }
        s.conns[0].last_input = base - Duration::from_secs(1);
        let _new = TcpStream::connect(addr).unwrap();
        accept_until(&mut s, MAX_CONNECTIONS as u64 + 2);
        let ids: Vec<u64> = s.conns.iter().map(|c| c.id).collect();
        assert_eq!(ids.len(), MAX_CONNECTIONS);
        assert!(ids.contains(&1), "the busy connection stays");
        assert!(!ids.contains(&2), "the oldest idle connection is evicted");
        assert!(
            ids.contains(&(MAX_CONNECTIONS as u64 + 1)),
            "the new one is in"
        );
        // The evicted client sees its connection end.
        let mut b = [0u8; 1];
        clients[1]
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        assert!(matches!(clients[1].read(&mut b), Ok(0) | Err(_)));
    }

    #[test]
    fn a_client_that_stops_reading_is_closed_after_the_write_timeout() {
        let (mut conn, mut client) = conn_pair();
        // Far more than the socket buffers hold, far less than MAX_OUTPUT.
        conn.out = vec![b'x'; 300 * 1024];
        conn.flush();
        assert!(!conn.out.is_empty() && !conn.dead);
        let t0 = Instant::now();
        conn.check_timers(t0 + Duration::from_secs(5), &TIMEOUTS);
        assert!(!conn.dead);
        // The client reads a little: the output shrank, the timer starts again.
        let before = conn.out.len();
        let mut b = [0u8; 4096];
        for _ in 0..32 {
            client.read_exact(&mut b).unwrap();
            conn.flush();
            if conn.out.len() < before {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(conn.out.len() < before);
        let t1 = Instant::now();
        conn.check_timers(t1 + Duration::from_secs(9), &TIMEOUTS);
        assert!(!conn.dead);
        conn.check_timers(t1 + Duration::from_secs(11), &TIMEOUTS);
        assert!(conn.dead, "no progress for 10 s closes the connection");
    }

    fn websocket_conn() -> (Conn, TcpStream) {
        let (mut conn, client) = conn_pair();
        conn.mode = Mode::Rpc {
            decoder: Decoder::server(websocket::DEFAULT_MESSAGE_LIMIT),
            src: None,
            follow: None,
        };
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        (conn, client)
    }

    #[test]
    fn an_idle_websocket_is_pinged_and_closed_without_pong() {
        let (mut conn, mut client) = websocket_conn();
        let t0 = conn.last_input;
        conn.check_timers(t0 + Duration::from_secs(59), &TIMEOUTS);
        assert!(conn.ping_sent.is_none());
        conn.check_timers(t0 + Duration::from_secs(61), &TIMEOUTS);
        let mut ping = [0u8; 2];
        client.read_exact(&mut ping).unwrap();
        assert_eq!(ping, [0x80 | opcode::PING, 0]);
        conn.check_timers(t0 + Duration::from_secs(90), &TIMEOUTS);
        assert!(!conn.dead);
        conn.check_timers(t0 + Duration::from_secs(92), &TIMEOUTS);
        assert!(conn.dead, "no pong within 30 s closes the connection");
    }

    fn runtime() -> Runtime {
        use ferrite_runtime::sim::{MemStorage, SimBoard, SimSystem, VirtualClock};
        let board = SimBoard::new(
            Box::new(VirtualClock::new(None)),
            Box::new(MemStorage::new(0)),
            Box::new(SimSystem::new(7, [1, 2, 3, 4, 5, 6])),
        );
        let mut rt = Runtime::new(Box::new(board), Default::default());
        rt.boot();
        rt
    }

    /// The `seq` of every `NotifyLog` (or the count of `/debug/log` lines) in `out`.
    fn queued_lines(out: &[u8]) -> Vec<u64> {
        let mut d = Decoder::client(1 << 24);
        d.feed(out);
        let mut seqs = Vec::new();
        while let Ok(Some(Message::Text(t))) = d.next_message() {
            let j: Json = serde_json::from_str(&t).unwrap();
            seqs.push(j["params"]["seq"].as_u64().unwrap_or(u64::MAX));
        }
        seqs
    }

    #[test]
    fn a_burst_of_long_log_lines_leaves_a_seq_gap_not_a_dropped_follower() {
        let rt = runtime();
        let first = rt.device().borrow().log.next_seq();
        let line = "x".repeat(8 * 1024);
        let burst = 200;
        for _ in 0..burst {
            rt.device().borrow_mut().log(Level::Script, 1, line.clone());
        }
        let last = rt.device().borrow().log.next_seq();
        for follow in [true, false] {
            let (mut conn, _client) = websocket_conn(); // the client reads nothing
            if !follow {
                conn.mode = Mode::Log {
                    decoder: Decoder::server(websocket::DEFAULT_MESSAGE_LIMIT),
                    next: first,
                };
            } else if let Mode::Rpc { follow, .. } = &mut conn.mode {
                *follow = Some(first);
            }
            assert!(conn.stream_log(&rt, "dev"));
            assert!(
                conn.out.len() <= FOLLOW_OUTPUT_LIMIT,
                "{} bytes queued",
                conn.out.len()
            );
            let seqs = queued_lines(&conn.out);
            assert!(
                !seqs.is_empty() && seqs.len() < burst,
                "{} of {burst} lines queued",
                seqs.len()
            );
            if follow {
                assert_eq!(seqs[0], first);
                assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
            }
            conn.flush();
            assert!(!conn.dead, "the connection stays");
            // The next lines come after the gap: the skipped ones are never sent.
            rt.device()
                .borrow_mut()
                .log(Level::Script, 1, "after".into());
            let before = conn.out.len();
            conn.out.clear(); // as if the client had read everything
            assert!(before > 0);
            assert!(conn.stream_log(&rt, "dev"));
            let seqs = queued_lines(&conn.out);
            assert_eq!(seqs.len(), 1);
            if follow {
                assert_eq!(seqs[0], last, "a gap in seq shows the skipped lines");
            }
        }
    }

    #[test]
    fn a_websocket_that_answers_the_ping_stays() {
        let (mut conn, mut client) = websocket_conn();
        let t0 = conn.last_input;
        conn.check_timers(t0 + Duration::from_secs(61), &TIMEOUTS);
        let mut ping = [0u8; 2];
        client.read_exact(&mut ping).unwrap();
        let mut pong = Vec::new();
        websocket::encode_frame(&mut pong, opcode::PONG, b"", Some([1, 2, 3, 4]));
        client.write_all(&pong).unwrap();
        for _ in 0..100 {
            conn.read_input();
            if conn.ping_sent.is_none() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        conn.check_timers(t0 + Duration::from_secs(92), &TIMEOUTS);
        assert!(!conn.dead);
    }
}
