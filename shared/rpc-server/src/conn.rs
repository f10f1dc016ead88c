//! One connection's state: what it speaks now ([`Mode`]), its unsent output, and its timers
//! (write stall, WebSocket keep-alive, request deadline, HTTP idle).
//!
//! Kept small (the chip holds a few): a parser or decoder, the output, a few timestamps. Must
//! never read a clock: every timer works on the `now_ms` it is given.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use ferrite_protocols::http::RequestParser;
use ferrite_protocols::websocket::{self, opcode, Decoder};
use ferrite_runtime::json::json;

use crate::limits::{
    path_limit, Config, BODY_CHUNK, IDLE_TIMEOUT_MS, INPUT_SLACK, PONG_TIMEOUT_MS,
    REQUEST_TIMEOUT_MS, RPC_REQUEST_LIMIT, WRITE_TIMEOUT_MS, WS_IDLE_MS,
};
use crate::server::ConnId;
use crate::static_files::BodySource;

/// What a connection speaks now.
pub(crate) enum Mode {
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

pub(crate) struct Conn {
    pub(crate) id: ConnId,
    pub(crate) mode: Mode,
    /// Bytes for the driver to write.
    pub(crate) out: Vec<u8>,
    /// Close once `out` is written.
    pub(crate) closing: bool,
    /// Closed or failed: remove (the driver drops the socket at once).
    pub(crate) dead: bool,
    /// The client closed its side: nothing more will be read.
    pub(crate) eof: bool,
    /// When the client last sent something (idle HTTP connections are closed).
    pub(crate) last_input: u64,
    /// When the first byte of the HTTP request being received arrived.
    pub(crate) request_started: Option<u64>,
    /// Since when `out` has not shrunk (`None` while it is empty).
    pub(crate) stalled_since: Option<u64>,
    /// When a WebSocket ping went out that nothing has answered yet.
    pub(crate) ping_sent: Option<u64>,
    /// A static file being sent: the rest of its body. Later requests wait until it is sent.
    pub(crate) body: Option<Box<dyn BodySource>>,
}

impl Conn {
    /// A new HTTP connection.
    pub(crate) fn new(id: ConnId, now_ms: u64) -> Conn {
        Conn {
            id,
            mode: Mode::Http {
                parser: RequestParser::new(RPC_REQUEST_LIMIT).with_path_limits(path_limit),
                waiting: false,
            },
            out: Vec::new(),
            closing: false,
            dead: false,
            eof: false,
            last_input: now_ms,
            request_started: None,
            stalled_since: None,
            ping_sent: None,
            body: None,
        }
    }

    /// Whether this connection speaks WebSocket.
    pub(crate) fn is_websocket(&self) -> bool {
        matches!(self.mode, Mode::Rpc { .. } | Mode::Log { .. })
    }

    /// No request of this connection is being received, run or answered (apart from
    /// transactions, which the server checks).
    pub(crate) fn is_quiet(&self) -> bool {
        match &self.mode {
            // An answer still being written counts as work in progress: evicting it would cut
            // a slow reader's response short.
            Mode::Http { parser, waiting } => {
                !*waiting && parser.buffered() == 0 && self.body.is_none() && self.out.is_empty()
            }
            Mode::Rpc { .. } | Mode::Log { .. } => false,
        }
    }

    /// How many bytes the connection takes now (0: do not read).
    pub(crate) fn input_room(&self, config: &Config) -> usize {
        if self.dead || self.closing || self.eof || self.body.is_some() {
            return 0;
        }
        match &self.mode {
            Mode::Http { waiting: true, .. } => 0,
            Mode::Http { parser, .. } => {
                (RPC_REQUEST_LIMIT + INPUT_SLACK).saturating_sub(parser.buffered())
            }
            Mode::Rpc { decoder, .. } | Mode::Log { decoder, .. } => {
                (config.ws_message_limit + INPUT_SLACK).saturating_sub(decoder.buffered())
            }
        }
    }

    /// Bytes read from the client.
    pub(crate) fn feed(&mut self, data: &[u8], now_ms: u64) {
        if data.is_empty() || self.dead {
            return;
        }
        self.last_input = now_ms;
        // Anything from the client (a pong or not) shows it is alive.
        self.ping_sent = None;
        match &mut self.mode {
            Mode::Http { parser, .. } => parser.feed(data),
            Mode::Rpc { decoder, .. } | Mode::Log { decoder, .. } => decoder.feed(data),
        }
    }

    /// The write-stall timeout and the WebSocket keep-alive, at `now_ms`.
    pub(crate) fn check_timers(&mut self, now_ms: u64) -> bool {
        if self.dead {
            return false;
        }
        if self
            .stalled_since
            .is_some_and(|s| now_ms.saturating_sub(s) >= WRITE_TIMEOUT_MS)
        {
            // The client stopped reading: its slot goes to someone else.
            self.dead = true;
            return true;
        }
        if !self.is_websocket() || self.closing {
            return false;
        }
        match self.ping_sent {
            Some(p) if now_ms.saturating_sub(p) >= PONG_TIMEOUT_MS => {
                self.dead = true;
                true
            }
            Some(_) => false,
            None if now_ms.saturating_sub(self.last_input) >= WS_IDLE_MS => {
                websocket::encode_frame(&mut self.out, opcode::PING, b"", None);
                self.ping_sent = Some(now_ms);
                true
            }
            None => false,
        }
    }

    /// Answer 408 and close when an HTTP request started arriving more than
    /// [`REQUEST_TIMEOUT_MS`] ago and is still incomplete.
    pub(crate) fn check_request_deadline(&mut self, now_ms: u64) -> bool {
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
        let started = *self.request_started.get_or_insert(now_ms);
        if now_ms.saturating_sub(started) < REQUEST_TIMEOUT_MS {
            return false;
        }
        let body = json!({"code": 408, "message": "the request did not arrive in time"});
        self.respond(408, &[], &body, false);
        true
    }

    /// Close an HTTP connection with nothing in progress and no input for
    /// [`IDLE_TIMEOUT_MS`].
    pub(crate) fn check_idle(&mut self, now_ms: u64) -> bool {
        let idle_http =
            matches!(self.mode, Mode::Http { waiting: false, .. }) && self.out.is_empty();
        if idle_http && !self.dead && now_ms.saturating_sub(self.last_input) >= IDLE_TIMEOUT_MS {
            self.dead = true;
            return true;
        }
        false
    }

    /// The earliest time one of this connection's timers fires.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        if self.dead {
            return None;
        }
        let mut at: Option<u64> = None;
        let mut add = |t: u64| at = Some(at.map_or(t, |a| a.min(t)));
        if let Some(s) = self.stalled_since {
            add(s.saturating_add(WRITE_TIMEOUT_MS));
        }
        match &self.mode {
            Mode::Http { parser, waiting } => {
                if !*waiting && self.out.is_empty() {
                    add(self.last_input.saturating_add(IDLE_TIMEOUT_MS));
                }
                if !*waiting && parser.buffered() > 0 && !self.closing {
                    let started = self.request_started.unwrap_or(self.last_input);
                    add(started.saturating_add(REQUEST_TIMEOUT_MS));
                }
            }
            Mode::Rpc { .. } | Mode::Log { .. } if !self.closing => match self.ping_sent {
                Some(p) => add(p.saturating_add(PONG_TIMEOUT_MS)),
                None => add(self.last_input.saturating_add(WS_IDLE_MS)),
            },
            _ => {}
        }
        at
    }

    /// The driver wrote `n` bytes of the output.
    pub(crate) fn consume(&mut self, n: usize, now_ms: u64) {
        let n = n.min(self.out.len());
        if n == 0 {
            return;
        }
        self.out.drain(..n);
        // Progress: the stall timer starts again.
        self.stalled_since = None;
        self.settle(now_ms);
    }

    /// After output was queued or written: read the next piece of a static body, start or stop
    /// the stall timer.
    pub(crate) fn settle(&mut self, now_ms: u64) {
        self.refill_body();
        if self.out.is_empty() {
            self.stalled_since = None;
        } else {
            self.stalled_since.get_or_insert(now_ms);
        }
    }

    /// Whether everything is sent and the connection is to close now.
    pub(crate) fn finished(&self) -> bool {
        self.closing && !self.dead && self.out.is_empty() && self.body.is_none()
    }

    /// Read the next piece of a static file being sent, while the output is short.
    fn refill_body(&mut self) {
        let Some(body) = &mut self.body else {
            return;
        };
        if self.out.len() >= BODY_CHUNK || self.dead {
            return;
        }
        let want = (BODY_CHUNK as u64).min(body.remaining()) as usize;
        if want > 0 {
            let start = self.out.len();
            self.out.resize(start + want, 0);
            match body.read(&mut self.out[start..]) {
                Some(n) if n > 0 && n <= want => self.out.truncate(start + n),
                // The body failed while being sent: the response cannot be completed.
                _ => {
                    self.out.truncate(start);
                    self.dead = true;
                    self.body = None;
                    return;
                }
            }
        }
        if body.remaining() == 0 {
            self.body = None;
        }
    }
}
