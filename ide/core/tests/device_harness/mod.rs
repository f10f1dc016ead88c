//! A real device in the test process for the device-session tests: the device runtime (the
//! same `Runtime` the firmware runs, on the simulator's `SimBoard` with a virtual clock)
//! answering JSON-RPC, behind a stand-in of the device's transport layer:
//! - WebSocket: one request per text message, answers with `dst`, `Log.Follow` subscriptions,
//!   digest authentication checked with the device's verifier
//!   (`ferrite_protocols::digest::verify` and stateless `Nonces`, as the HTTP server does);
//! - Console: the device's own console framing parser (`ferrite_protocols::frame::Splitter`),
//!   `Console.SetMode`, frames out as `SOH json LF`, human mode as text lines.
//!
//! [`pump`] moves data between a `DeviceSession` and the device until both are quiet.

#![allow(dead_code)]

use std::collections::VecDeque;

use ferrite_ide_core::device::session::{DeviceSession, SessionEvent, Transmit, Wire};
use ferrite_ide_core::simulator::{SimDevice, DEFAULT_EPOCH_MS};
use ferrite_protocols::digest::{self, Nonces};
use ferrite_protocols::frame::{self, Splitter, TextMode};
use ferrite_runtime::log::Level;
use ferrite_runtime::rpc::{response_frame, Origin, RpcError, RpcReply};
use serde_json::{json, Value};

pub struct Device {
    pub dev: SimDevice,
    pub wire: Wire,
    pub id: String,
    /// The transport is open.
    pub open: bool,
    /// `ha1` of the password, when one is set.
    pub ha1: Option<String>,
    nonces: Nonces,
    /// WebSocket: the connection follows the log; Console: rpc mode.
    follow: bool,
    splitter: Splitter,
    /// Answers waiting for the runtime: (token, request id, src).
    pending: Vec<(u32, Value, Option<String>)>,
    log_seq: u64,
    /// What goes to the session.
    pub out_text: VecDeque<String>,
    pub out_bytes: Vec<u8>,
    /// Every request the device received (method names), for assertions.
    pub methods: Vec<String>,
    /// Close the transport after this many more requests (a device dying mid-operation).
    pub die_after: Option<usize>,
}

impl Device {
    pub fn new(wire: Wire) -> Device {
        let dev = SimDevice::boot(Vec::new(), DEFAULT_EPOCH_MS);
        let id = dev.rt.device().borrow().info.id.clone();
        let log_seq = dev.rt.device().borrow().log.next_seq();
        Device {
            dev,
            wire,
            id,
            open: false,
            ha1: None,
            nonces: Nonces::new([9; 32], 30 * 60 * 1000, 128),
            follow: false,
            splitter: Splitter::new(TextMode::Lines),
            pending: Vec::new(),
            log_seq,
            out_text: VecDeque::new(),
            out_bytes: Vec::new(),
            methods: Vec::new(),
            die_after: None,
        }
    }

    pub fn set_password(&mut self, password: &str) {
        self.ha1 = Some(digest::ha1(digest::USER, &self.id, password));
    }

    fn now_ms(&self) -> u64 {
        self.dev.now_ms()
    }

    pub fn connect(&mut self) {
        self.open = true;
        self.follow = false;
        self.splitter = Splitter::new(TextMode::Lines);
        self.pending.clear();
    }

    pub fn close(&mut self) {
        self.open = false;
        self.follow = false;
        self.pending.clear();
    }

    fn send(&mut self, msg: Value) {
        match self.wire {
            Wire::Console => {
                let text = msg.to_string();
                self.out_bytes.extend(frame::encode(text.as_bytes()));
            }
            Wire::WebSocket | Wire::Http => self.out_text.push_back(msg.to_string()),
        }
    }

    fn answer(&mut self, id: &Value, src: Option<&str>, result: &Result<Value, RpcError>) {
        let mut msg = response_frame(id, &self.id, result);
        if let Some(s) = src {
            msg["dst"] = json!(s);
        }
        self.send(msg);
    }

    /// A WebSocket text message / HTTP body from the session.
    pub fn receive_text(&mut self, text: &str) {
        self.request(text.as_bytes());
    }

    /// Console bytes from the session.
    pub fn receive_bytes(&mut self, bytes: &[u8]) {
        self.splitter.feed(bytes);
        while let Some(ev) = self.splitter.next_event() {
            match ev {
                frame::Event::Frame(body) => self.request(&body),
                frame::Event::Line(line) => {
                    let code = line;
                    self.dev.rt.console_eval(code.as_bytes());
                }
                frame::Event::Interrupt => {
                    self.dev.rt.console_interrupt();
                }
                frame::Event::Oversized { .. } => self.answer(
                    &Value::Null,
                    None,
                    &Err(RpcError::new(-107, "frame too large")),
                ),
                frame::Event::Key(_) => {}
            }
        }
    }

    fn request(&mut self, body: &[u8]) {
        let Ok(req) = serde_json::from_slice::<Value>(body) else {
            self.answer(
                &Value::Null,
                None,
                &Err(RpcError::new(-32700, "parse error")),
            );
            return;
        };
        let id = req.get("id").cloned().unwrap_or(Value::Null);
        let src = req.get("src").and_then(Value::as_str).map(String::from);
        let method = req
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let params = req.get("params").cloned().unwrap_or(Value::Null);
        self.methods.push(method.clone());
        if let Some(n) = self.die_after.as_mut() {
            if *n == 0 {
                self.close();
                return;
            }
            *n -= 1;
        }
        // Authentication (not on the console, not for the open method).
        if self.wire != Wire::Console && !method.eq_ignore_ascii_case("Shelly.GetDeviceInfo") {
            if let Some(ha1) = self.ha1.clone() {
                let verdict = match req.get("auth") {
                    None => Err(false),
                    Some(a) => match frame_credentials(a) {
                        None => Err(false),
                        Some(c) => {
                            let now = self.now_ms();
                            let nonces = &self.nonces;
                            digest::verify(&c, &ha1, &self.id, "", |n| nonces.valid(n, now))
                                .map_err(|e| e == digest::AuthError::StaleNonce)
                        }
                    },
                };
                if let Err(stale) = verdict {
                    let nonce = self.nonces.issue(self.now_ms());
                    let e = RpcError::new(401, digest::rpc_challenge(&self.id, nonce, stale));
                    self.answer(&id, src.as_deref(), &Err(e));
                    return;
                }
            }
        }
        let result = match method.as_str() {
            "Console.SetMode" if self.wire == Wire::Console => {
                let prev = if self.follow { "rpc" } else { "human" };
                match params.get("mode").and_then(Value::as_str) {
                    Some("rpc") => {
                        self.follow = true;
                        Ok(json!({"mode": "rpc", "prev": prev}))
                    }
                    Some("human") => {
                        self.follow = false;
                        Ok(json!({"mode": "human", "prev": prev}))
                    }
                    _ => Err(RpcError::invalid("mode must be rpc or human")),
                }
            }
            "Log.Follow" if self.wire == Wire::WebSocket => {
                self.follow = params
                    .get("enable")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                Ok(json!({"enable": self.follow}))
            }
            _ => match self.dev.rt.rpc(&method, params, Origin::Transport) {
                RpcReply::Done(r) => r,
                RpcReply::Pending(token) => {
                    self.pending.push((token, id, src));
                    return;
                }
            },
        };
        if id.is_null() {
            return;
        }
        self.answer(&id, src.as_deref(), &result);
    }

    /// Run the device for `ms` of virtual time (in steps), then send what it produced.
    pub fn run(&mut self, ms: u64) {
        let mut left = ms;
        loop {
            for _ in 0..64 {
                let p = self.dev.rt.poll();
                if !p.busy {
                    break;
                }
            }
            if left == 0 {
                break;
            }
            let step = left.min(10);
            self.dev.clock.advance(step);
            left -= step;
        }
        self.flush();
    }

    fn flush(&mut self) {
        for (token, r) in self.dev.rt.take_rpc_done() {
            if let Some(i) = self.pending.iter().position(|p| p.0 == token) {
                let (_, id, src) = self.pending.remove(i);
                if self.open {
                    self.answer(&id, src.as_deref(), &r);
                }
            }
        }
        let notes = self.dev.rt.take_notifications();
        let lines: Vec<_> = {
            let d = self.dev.rt.device();
            let d = d.borrow();
            let v: Vec<_> = d.log.since(self.log_seq).cloned().collect();
            v
        };
        if let Some(l) = lines.last() {
            self.log_seq = l.seq + 1;
        }
        if !self.open {
            return;
        }
        for l in lines {
            let level = match l.level {
                Level::Error => "error",
                Level::Warn => "warn",
                Level::Info => "info",
                Level::Script => "print",
            };
            if self.follow {
                let ts = (DEFAULT_EPOCH_MS + l.ts_ms as f64) / 1000.0;
                self.send(json!({"src": self.id, "method": "NotifyLog", "params": {
                    "ts": ts, "uptime_ms": l.ts_ms, "seq": l.seq, "level": level,
                    "script": l.script, "text": l.text}}));
            } else if self.wire == Wire::Console {
                let text = if l.script > 0 {
                    format!("[script:{}] {}\r\n", l.script, l.text)
                } else {
                    format!("{}\r\n", l.text)
                };
                self.out_bytes.extend(text.as_bytes());
            }
        }
        if self.follow {
            for n in notes {
                self.send(json!({"src": self.id, "method": n.method, "params": n.params}));
            }
        }
    }
}

/// Credentials from a frame's `auth` object, read by the device's own code (the RPC server's).
pub use ferrite_rpc_server::frame_credentials;

/// Move data between the session and the device at time `now` until both are quiet (at most
/// `rounds` rounds); the device runs `device_ms` of virtual time per round. Returns the
/// session's events.
pub fn pump(
    s: &mut DeviceSession,
    d: &mut Device,
    now: f64,
    device_ms: u64,
    rounds: usize,
) -> Vec<SessionEvent> {
    let mut events = Vec::new();
    for _ in 0..rounds {
        let mut moved = false;
        while let Some(t) = s.poll_transmit() {
            moved = true;
            match t {
                Transmit::Open => {
                    d.connect();
                    s.on_open(now);
                }
                Transmit::Close => d.close(),
                Transmit::Text(text) | Transmit::HttpPost(text) => {
                    if d.open {
                        d.receive_text(&text);
                        if !d.open {
                            s.on_closed("the device went away", now);
                        }
                    }
                }
                Transmit::Bytes(b) => {
                    if d.open {
                        d.receive_bytes(&b);
                        if !d.open {
                            s.on_closed("the device went away", now);
                        }
                    }
                }
            }
        }
        d.run(device_ms);
        while let Some(text) = d.out_text.pop_front() {
            moved = true;
            s.on_text(&text, now);
        }
        if !d.out_bytes.is_empty() {
            moved = true;
            let b = std::mem::take(&mut d.out_bytes);
            // In small pieces, as a serial port delivers them.
            for piece in b.chunks(7) {
                s.on_bytes(piece, now);
            }
        }
        while let Some(e) = s.poll_event() {
            moved = true;
            events.push(e);
        }
        if !moved {
            break;
        }
    }
    events
}
