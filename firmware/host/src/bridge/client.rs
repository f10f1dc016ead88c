//! One WebSocket connection of the bridge (server side, any path): the HTTP upgrade, then
//! messages in and out over a non-blocking socket, with bounded buffers.
//!
//! Must never block and never buffer without bound: input is read only while the decoder holds
//! less than a message limit; a client whose unsent output has not shrunk for [`STALL_LIMIT`]
//! (it stopped reading) or exceeds [`MAX_OUTPUT`] is dropped; a client silent for [`PING_AFTER`]
//! is pinged and dropped if nothing arrives within [`PONG_WAIT`] (a half-open connection).
//! Must never accept an upgrade the [`Access`] policy refuses (403).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ferrite_protocols::http::{write_response, RequestParser};
use ferrite_protocols::websocket::{self, opcode, Decoder, Message};

use super::access::Access;

/// Largest upgrade request.
const REQUEST_LIMIT: usize = 8 * 1024;
/// Largest message from the client.
pub const MESSAGE_LIMIT: usize = websocket::DEFAULT_MESSAGE_LIMIT;
/// Unsent bytes beyond which the client is dropped.
pub const MAX_OUTPUT: usize = 4 * 1024 * 1024;
/// The upgrade must be complete within this time of the connection.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Unsent output that has not shrunk for this long drops the client (it stopped reading).
pub const STALL_LIMIT: Duration = Duration::from_secs(10);
/// A client that sent nothing for this long gets a ping.
pub const PING_AFTER: Duration = Duration::from_secs(60);
/// After a ping, the client must send something (a pong) within this time.
pub const PONG_WAIT: Duration = Duration::from_secs(30);
/// A closing connection is given this long to read our close frame and close its side.
pub const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// What the client sent.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// The upgrade completed: the connection is a WebSocket now.
    Opened,
    Text(String),
    Binary(Vec<u8>),
}

enum State {
    Handshake(RequestParser),
    Open(Decoder),
}

pub struct WsConn {
    stream: TcpStream,
    access: Rc<Access>,
    state: State,
    out: Vec<u8>,
    /// Close once `out` is written; since when.
    closing: Option<Instant>,
    /// Our side is shut down (`out` written while closing): input is read and dropped until
    /// the client closes its side, so that it gets our close frame rather than a reset.
    write_shut: bool,
    /// Closed or failed: drop it.
    pub dead: bool,
    pub accepted: Instant,
    /// When the client last sent anything.
    last_input: Instant,
    /// A ping was sent at this time and nothing came since.
    ping_sent: Option<Instant>,
    /// Since when unsent output has not shrunk.
    stalled_since: Option<Instant>,
}

impl WsConn {
    pub fn new(stream: TcpStream, access: Rc<Access>) -> WsConn {
        let _ = stream.set_nodelay(true);
        let now = Instant::now();
        WsConn {
            stream,
            access,
            state: State::Handshake(RequestParser::new(REQUEST_LIMIT)),
            out: Vec::new(),
            closing: None,
            write_shut: false,
            dead: false,
            accepted: now,
            last_input: now,
            ping_sent: None,
            stalled_since: None,
        }
    }

    fn closing(&self) -> bool {
        self.closing.is_some()
    }

    fn start_closing(&mut self) {
        self.closing.get_or_insert_with(Instant::now);
    }

    /// `poll(2)` reported an error or a hang-up on the socket (always reported, even when
    /// neither reading nor writing was asked for): the connection is over.
    pub fn on_poll_error(&mut self) {
        self.dead = true;
    }

    /// Drop a client that stopped reading or went silent; ping a quiet one.
    pub fn check_timers(&mut self, now: Instant) {
        if self.dead {
            return;
        }
        if let Some(t) = self.closing {
            if now.saturating_duration_since(t) >= CLOSE_GRACE {
                self.dead = true;
            }
            return;
        }
        if !matches!(self.state, State::Open(_)) {
            return;
        }
        if self
            .stalled_since
            .is_some_and(|t| now.saturating_duration_since(t) >= STALL_LIMIT)
        {
            eprintln!("bridge: the client stopped reading; dropped");
            self.dead = true;
            return;
        }
        match self.ping_sent {
            Some(t) if now.saturating_duration_since(t) >= PONG_WAIT => {
                eprintln!("bridge: the client did not answer a ping; dropped");
                self.dead = true;
            }
            None if now.saturating_duration_since(self.last_input) >= PING_AFTER => {
                websocket::encode_frame(&mut self.out, opcode::PING, b"", None);
                self.ping_sent = Some(now);
            }
            _ => {}
        }
    }

    /// When [`WsConn::check_timers`] has something to do next.
    pub fn next_timer(&self) -> Option<Instant> {
        if self.dead {
            return None;
        }
        if let Some(t) = self.closing {
            return Some(t + CLOSE_GRACE);
        }
        if !matches!(self.state, State::Open(_)) {
            return None;
        }
        let ping = match self.ping_sent {
            Some(t) => t + PONG_WAIT,
            None => self.last_input + PING_AFTER,
        };
        Some(match self.stalled_since {
            Some(t) => ping.min(t + STALL_LIMIT),
            None => ping,
        })
    }

    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open(_)) && !self.closing() && !self.dead
    }

    pub fn out_len(&self) -> usize {
        self.out.len()
    }

    /// Read and decode what the socket has (when `want` is false, only the handshake and
    /// control frames are served: the caller has no room for data now).
    pub fn read(&mut self, want: bool, incoming: &mut Vec<Incoming>) {
        if self.dead {
            return;
        }
        if self.write_shut {
            self.drain_input();
            return;
        }
        if self.closing() {
            return;
        }
        let room = match &self.state {
            State::Handshake(p) => (REQUEST_LIMIT + 1024).saturating_sub(p.buffered()),
            State::Open(_) if !want => {
                // Not listening now (the port is behind): silence is ours, not the client's.
                self.last_input = Instant::now();
                self.ping_sent = None;
                0
            }
            State::Open(d) => (MESSAGE_LIMIT + 4096).saturating_sub(d.buffered()),
        };
        let mut buf = [0u8; 8192];
        let mut left = room;
        while left > 0 {
            let n = buf.len().min(left);
            match self.stream.read(&mut buf[..n]) {
                Ok(0) => {
                    self.dead = true;
                    return;
                }
                Ok(k) => {
                    left -= k;
                    self.last_input = Instant::now();
                    self.ping_sent = None;
                    match &mut self.state {
                        State::Handshake(p) => p.feed(&buf[..k]),
                        State::Open(d) => d.feed(&buf[..k]),
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.dead = true;
                    return;
                }
            }
        }
        self.decode(incoming);
    }

    /// After our close: read and drop what the client still sends, until it closes.
    fn drain_input(&mut self) {
        let mut buf = [0u8; 8192];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    self.dead = true;
                    return;
                }
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.dead = true;
                    return;
                }
            }
        }
    }

    fn decode(&mut self, incoming: &mut Vec<Incoming>) {
        loop {
            if self.dead || self.closing() {
                return;
            }
            match &mut self.state {
                State::Handshake(p) => match p.next_request() {
                    Ok(Some(req)) => {
                        if !websocket::is_upgrade(&req) {
                            let body = b"this is a WebSocket serial bridge\n";
                            let h = [("Content-Type", "text/plain")];
                            write_response(&mut self.out, 426, &h, body, false);
                            self.start_closing();
                            return;
                        }
                        if let Err(why) = self.access.check(&req) {
                            eprintln!("bridge: refused a connection: {why}");
                            let h = [("Content-Type", "text/plain")];
                            let body = format!("{why}\n");
                            write_response(&mut self.out, 403, &h, body.as_bytes(), false);
                            self.start_closing();
                            return;
                        }
                        let rest = p.take_rest();
                        match websocket::handshake_response(&req, &mut self.out) {
                            Ok(()) => {
                                let mut d = Decoder::server(MESSAGE_LIMIT);
                                d.feed(&rest);
                                self.state = State::Open(d);
                                incoming.push(Incoming::Opened);
                            }
                            Err(e) => {
                                websocket::handshake_error_response(e, &mut self.out);
                                self.start_closing();
                                return;
                            }
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        let h = [("Content-Type", "text/plain")];
                        write_response(
                            &mut self.out,
                            e.status(),
                            &h,
                            e.to_string().as_bytes(),
                            false,
                        );
                        self.start_closing();
                        return;
                    }
                },
                State::Open(d) => match d.next_message() {
                    Ok(Some(Message::Text(t))) => incoming.push(Incoming::Text(t)),
                    Ok(Some(Message::Binary(b))) => incoming.push(Incoming::Binary(b)),
                    Ok(Some(Message::Ping(p))) => {
                        websocket::encode_frame(&mut self.out, opcode::PONG, &p, None)
                    }
                    Ok(Some(Message::Pong(_))) => {}
                    Ok(Some(Message::Close(code, _))) => {
                        let code = code.unwrap_or(websocket::close_code::NORMAL);
                        websocket::encode_close(&mut self.out, code, "", None);
                        self.start_closing();
                    }
                    Ok(None) => return,
                    Err(e) => {
                        websocket::encode_close(
                            &mut self.out,
                            e.close_code(),
                            &e.to_string(),
                            None,
                        );
                        self.start_closing();
                    }
                },
            }
        }
    }

    pub fn send_text(&mut self, text: &str) {
        if self.is_open() {
            websocket::encode_frame(&mut self.out, opcode::TEXT, text.as_bytes(), None);
        }
    }

    pub fn send_binary(&mut self, data: &[u8]) {
        if self.is_open() {
            websocket::encode_frame(&mut self.out, opcode::BINARY, data, None);
        }
    }

    /// Queue a close frame; the connection ends once it is written.
    pub fn close(&mut self, code: u16, reason: &str) {
        if matches!(self.state, State::Open(_)) && !self.closing() {
            websocket::encode_close(&mut self.out, code, reason, None);
        }
        self.start_closing();
    }

    /// Write what is queued; close when done closing. Returns whether it wrote anything.
    pub fn flush(&mut self) -> bool {
        let mut did = false;
        while !self.out.is_empty() && !self.dead {
            match self.stream.write(&self.out) {
                Ok(0) => self.dead = true,
                Ok(n) => {
                    self.out.drain(..n);
                    did = true;
                    self.stalled_since = None;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => self.dead = true,
            }
        }
        if self.out.is_empty() {
            self.stalled_since = None;
        } else {
            self.stalled_since.get_or_insert_with(Instant::now);
        }
        if self.out.len() > MAX_OUTPUT {
            self.dead = true;
        }
        if self.out.is_empty() && self.closing() && !self.dead && !self.write_shut {
            // Our side only: the client reads the close frame, then closes its side (or the
            // grace time ends it).
            let _ = self.stream.shutdown(std::net::Shutdown::Write);
            self.write_shut = true;
            self.drain_input();
        }
        did
    }

    /// Write what is queued, waiting up to `limit` (before the bridge exits).
    pub fn flush_blocking(&mut self, limit: Duration) {
        let t0 = Instant::now();
        while !self.out.is_empty() && !self.dead && t0.elapsed() < limit {
            self.flush();
            if !self.out.is_empty() {
                let mut p = libc::pollfd {
                    fd: self.stream.as_raw_fd(),
                    events: libc::POLLOUT,
                    revents: 0,
                };
                // SAFETY: one valid pollfd.
                unsafe { libc::poll(&mut p, 1, 100) };
            }
        }
    }

    /// The pollfd for this connection: readable when `want_input`, writable when output waits.
    pub fn pollfd(&self, want_input: bool) -> Option<libc::pollfd> {
        if self.dead {
            return None;
        }
        let mut events = 0;
        if (want_input && !self.closing()) || self.write_shut {
            events |= libc::POLLIN;
        }
        if !self.out.is_empty() {
            events |= libc::POLLOUT;
        }
        // Even with no events asked for, poll reports errors and hang-ups.
        Some(libc::pollfd {
            fd: self.stream.as_raw_fd(),
            events,
            revents: 0,
        })
    }
}
