//! One WebSocket connection of the bridge (server side, any path): the HTTP upgrade, then
//! messages in and out over a non-blocking socket, with bounded buffers.
//!
//! Must never block and never buffer without bound: input is read only while the decoder holds
//! less than a message limit, and output beyond [`MAX_OUTPUT`] closes the connection (a client
//! that stopped reading).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use ferrite_protocols::http::{write_response, RequestParser};
use ferrite_protocols::websocket::{self, opcode, Decoder, Message};

/// Largest upgrade request.
const REQUEST_LIMIT: usize = 8 * 1024;
/// Largest message from the client.
pub const MESSAGE_LIMIT: usize = websocket::DEFAULT_MESSAGE_LIMIT;
/// Unsent bytes beyond which the client is dropped.
pub const MAX_OUTPUT: usize = 4 * 1024 * 1024;
/// The upgrade must be complete within this time of the connection.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

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
    state: State,
    out: Vec<u8>,
    /// Close once `out` is written.
    closing: bool,
    /// Closed or failed: drop it.
    pub dead: bool,
    pub accepted: Instant,
}

impl WsConn {
    pub fn new(stream: TcpStream) -> WsConn {
        let _ = stream.set_nodelay(true);
        WsConn {
            stream,
            state: State::Handshake(RequestParser::new(REQUEST_LIMIT)),
            out: Vec::new(),
            closing: false,
            dead: false,
            accepted: Instant::now(),
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open(_)) && !self.closing && !self.dead
    }

    pub fn out_len(&self) -> usize {
        self.out.len()
    }

    /// Read and decode what the socket has (when `want` is false, only the handshake and
    /// control frames are served: the caller has no room for data now).
    pub fn read(&mut self, want: bool, incoming: &mut Vec<Incoming>) {
        if self.dead || self.closing {
            return;
        }
        let room = match &self.state {
            State::Handshake(p) => (REQUEST_LIMIT + 1024).saturating_sub(p.buffered()),
            State::Open(_) if !want => 0,
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

    fn decode(&mut self, incoming: &mut Vec<Incoming>) {
        loop {
            if self.dead || self.closing {
                return;
            }
            match &mut self.state {
                State::Handshake(p) => match p.next_request() {
                    Ok(Some(req)) => {
                        if !websocket::is_upgrade(&req) {
                            let body = b"this is a WebSocket serial bridge\n";
                            let h = [("Content-Type", "text/plain")];
                            write_response(&mut self.out, 426, &h, body, false);
                            self.closing = true;
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
                                self.closing = true;
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
                        self.closing = true;
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
                        self.closing = true;
                    }
                    Ok(None) => return,
                    Err(e) => {
                        websocket::encode_close(
                            &mut self.out,
                            e.close_code(),
                            &e.to_string(),
                            None,
                        );
                        self.closing = true;
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
        if matches!(self.state, State::Open(_)) && !self.closing {
            websocket::encode_close(&mut self.out, code, reason, None);
        }
        self.closing = true;
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
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => self.dead = true,
            }
        }
        if self.out.len() > MAX_OUTPUT {
            self.dead = true;
        }
        if self.out.is_empty() && self.closing && !self.dead {
            let _ = self.stream.shutdown(std::net::Shutdown::Both);
            self.dead = true;
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
        if want_input && !self.closing {
            events |= libc::POLLIN;
        }
        if !self.out.is_empty() {
            events |= libc::POLLOUT;
        }
        (events != 0).then(|| libc::pollfd {
            fd: self.stream.as_raw_fd(),
            events,
            revents: 0,
        })
    }
}
