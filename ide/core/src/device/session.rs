//! [`DeviceSession`]: the IDE's client of one live device, sans-IO. The page's glue opens and
//! closes the transport and moves data when the session says so ([`Transmit`]), feeds what
//! arrives ([`DeviceSession::on_bytes`], [`DeviceSession::on_text`]), reports the transport's
//! open and close, calls [`DeviceSession::on_tick`] at [`DeviceSession::next_deadline`], and
//! shows the [`SessionEvent`]s.
//!
//! Three wires carry the same JSON-RPC (docs/PROTOCOL.md):
//! - [`Wire::Console`]: the serial console's byte stream (WebSerial, WebUSB, the serial bridge):
//!   frames `SOH json LF`; text lines for people around them. After opening, the session
//!   switches the console to rpc mode (`Console.SetMode`), so the device log arrives as
//!   `NotifyLog` frames; the user may switch to the human REPL ([`ConsoleMode::Human`]).
//! - [`Wire::WebSocket`]: one JSON text message per request, answer or notification; after
//!   the device answered, `Log.Follow` subscribes the connection to the log, status, events
//!   and telemetry.
//! - [`Wire::Http`]: one `POST /rpc` per request; its response body is an answer.
//!
//! On WebSocket and HTTP a device with a password answers 401 with a digest challenge; with a
//! password set the request is repeated once with credentials ([`super::auth`]) and every later
//! request carries them; without one (or when it was refused) the call fails with
//! [`CallError::AUTH`] and a [`SessionEvent::PasswordNeeded`] asks the user.
//!
//! Every call gets exactly one `Reply`: the answer, a timeout, or "connection lost" — a lost
//! device never leaves a call waiting. The session never reads a clock (time comes in as ms),
//! never draws OS randomness, and never buffers without a bound.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::{self, Challenge};
use super::console_stream::{self, ConsoleStream, StreamItem};
use super::link::{Link, LinkAction};
use super::rpc::{parse_incoming, request_text, Incoming, PendingCalls};
use super::telemetry;

pub use super::link::LinkState;
pub use super::rpc::{CallError, CallId};

/// How the session reaches the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Wire {
    /// A serial console byte stream (WebSerial, WebUSB, the serial bridge).
    Console,
    /// WebSocket `/rpc`: text messages.
    WebSocket,
    /// HTTP `POST /rpc`: one request per exchange.
    Http,
}

/// The session's settings.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    pub wire: Wire,
    /// Our name in requests (`src`), e.g. `ferrite-ide-1a2b`; the device answers with `dst`.
    pub src: String,
    /// How long a call may wait for its answer.
    pub call_timeout_ms: f64,
    /// How long opening the transport and the device's first answer may take.
    pub open_timeout_ms: f64,
    /// Reconnect after the connection drops.
    pub reconnect: bool,
}

impl SessionConfig {
    pub fn new(wire: Wire, src: impl Into<String>) -> Self {
        SessionConfig {
            wire,
            src: src.into(),
            call_timeout_ms: 10_000.0,
            open_timeout_ms: 5_000.0,
            reconnect: true,
        }
    }
}

/// What the glue must do with the transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transmit {
    /// Open the transport (the glue knows how and where); then call `on_open` (or
    /// `on_closed` if it fails).
    Open,
    /// Close it. No `on_closed` is needed for this close (one is ignored).
    Close,
    /// Console wire: write these bytes.
    Bytes(Vec<u8>),
    /// WebSocket wire: send this text message.
    Text(String),
    /// HTTP wire: POST this body to `/rpc`; give the response to
    /// [`DeviceSession::on_http_response`] with this same body, its status and its body (or
    /// feed the response body to `on_text`, which cannot tell which call an HTTP error without
    /// an id belongs to), or call `on_closed` when the request failed without a response.
    HttpPost(String),
}

/// A device log line (`NotifyLog`).
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    /// Unix time in seconds (the device's clock).
    pub ts: f64,
    pub seq: u64,
    /// `error`, `warn`, `info` or `print`.
    pub level: String,
    /// 0: the console or the device; else the script id.
    pub script: u32,
    pub text: String,
}

/// What happened, for the UI.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionEvent {
    /// The connection state changed.
    State(LinkState),
    /// `Shelly.GetDeviceInfo`'s result, after each (re)connect.
    DeviceInfo(Value),
    /// The answer to a [`DeviceSession::call`] (exactly one per call).
    Reply {
        call: CallId,
        result: Result<Value, CallError>,
    },
    /// A device log line.
    Log(LogLine),
    /// Console wire: a line of text (human-mode output, the banner, an echo), or a note about
    /// something unreadable the device sent.
    Text(String),
    /// `NotifyStatus` params.
    Status(Value),
    /// `NotifyEvent` params.
    Event(Value),
    /// A number a script published: `NotifyTelemetry` or a `name=value` print line.
    Telemetry {
        ts: f64,
        script: u32,
        name: String,
        value: f64,
    },
    /// The device refused a call for want of a password: none was set (`wrong: false`) or it
    /// was refused (`wrong: true`).
    PasswordNeeded { realm: String, wrong: bool },
}

/// The serial console's mode (docs/PROTOCOL.md §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsoleMode {
    /// The REPL for people: text lines, a prompt, echo.
    Human,
    /// Frames only: the log arrives as `NotifyLog`.
    Rpc,
}

impl ConsoleMode {
    fn name(self) -> &'static str {
        match self {
            ConsoleMode::Human => "human",
            ConsoleMode::Rpc => "rpc",
        }
    }
}

/// Why a request was sent.
#[derive(Clone, Debug, PartialEq)]
enum Purpose {
    /// The user's call.
    User(CallId),
    /// `Console.SetMode`; `opening`: part of the handshake.
    SetMode { mode: ConsoleMode, opening: bool },
    /// The handshake's `Shelly.GetDeviceInfo`.
    DeviceInfo,
    /// `Log.Follow` after connecting (WebSocket).
    Follow,
}

#[derive(Clone, Debug)]
struct Request {
    purpose: Purpose,
    method: String,
    params: Value,
    /// The request carried `auth`.
    with_auth: bool,
    /// How many times it was sent again after a 401.
    retries: u8,
    /// How long a user's call may wait for its answer (each sending).
    timeout_ms: f64,
}

/// How many times one call is sent again after a 401 (a stale nonce, then a fresh one).
const MAX_AUTH_RETRIES: u8 = 2;
/// At most this many events wait to be polled; beyond, the oldest event other than a reply is
/// dropped (the state and the device info can be read at any time; replies are one per call
/// the UI made, so the UI bounds them).
const MAX_EVENTS: usize = 20_000;
/// Room the HTTP wire leaves for the request line and headers (the browser's included): the
/// device's 16 KiB limit counts the whole request.
const HTTP_HEAD_ROOM: usize = 2048;

/// The device client. See the module documentation.
pub struct DeviceSession {
    config: SessionConfig,
    link: Link,
    stream: ConsoleStream,
    calls: PendingCalls<Request>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<SessionEvent>,
    device_info: Option<Value>,
    /// The mode the console is in (as far as we know) and the mode the user wants.
    console_mode: ConsoleMode,
    wanted_mode: ConsoleMode,
    password: Option<String>,
    challenge: Option<Challenge>,
    /// `PasswordNeeded` was sent and no password was given since.
    password_asked: bool,
    /// `Log.Follow` was refused for want of a password (sent again with one).
    follow_refused: bool,
    next_call: u64,
    /// Events dropped because more than [`MAX_EVENTS`] waited.
    dropped_events: u64,
    cnonce_seed: u64,
    cnonce_counter: u64,
}

impl DeviceSession {
    pub fn new(config: SessionConfig) -> Self {
        let link = Link::new(config.open_timeout_ms, config.reconnect);
        DeviceSession {
            cnonce_seed: auth::seed(&config.src, 0.0),
            config,
            link,
            stream: ConsoleStream::new(),
            calls: PendingCalls::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            device_info: None,
            console_mode: ConsoleMode::Human,
            wanted_mode: ConsoleMode::Rpc,
            password: None,
            challenge: None,
            password_asked: false,
            follow_refused: false,
            next_call: 1,
            dropped_events: 0,
            cnonce_counter: 0,
        }
    }

    // ----- the user's side -----

    /// Connect: the glue gets [`Transmit::Open`]; the state is `Connecting`.
    pub fn connect(&mut self, now_ms: f64) {
        if self.link.is_active() {
            self.transmits.push_back(Transmit::Close);
            self.fail_pending("reconnecting");
        }
        self.cnonce_seed = auth::seed(&self.config.src, now_ms);
        self.link.connect(now_ms);
        self.begin_attempt();
    }

    /// Close the connection for good (no reconnect): waiting calls fail with
    /// [`CallError::LOST`]; the state is `Disconnected`.
    pub fn disconnect(&mut self) {
        let was_active = self.link.is_active();
        if was_active {
            if self.config.wire == Wire::Console && self.console_mode == ConsoleMode::Rpc {
                // Give the console back to people: a request without id gets no answer.
                let text =
                    json!({"method": "Console.SetMode", "params": {"mode": "human"}}).to_string();
                if let Ok(frame) = console_stream::encode_frame(&text) {
                    self.transmits.push_back(Transmit::Bytes(frame));
                }
            }
            self.transmits.push_back(Transmit::Close);
        }
        self.fail_pending("disconnected");
        self.console_mode = ConsoleMode::Human;
        if *self.link.state() != LinkState::Disconnected {
            self.link.disconnect();
            self.emit_state();
        }
    }

    /// Call `method` with `params` (`Value::Null`: none). The answer comes as a
    /// [`SessionEvent::Reply`] with the returned id — at once with [`CallError::LOST`] when
    /// not connected, or [`CallError::TOO_LARGE`] when the request exceeds the device's frame
    /// limit.
    pub fn call(&mut self, method: &str, params: Value, now_ms: f64) -> CallId {
        let timeout_ms = self.config.call_timeout_ms;
        self.call_with_timeout(method, params, now_ms, timeout_ms)
    }

    /// [`DeviceSession::call`] for a method that takes longer than most (`Wifi.Scan`): its
    /// answer is waited for `timeout_ms`.
    pub fn call_with_timeout(
        &mut self,
        method: &str,
        params: Value,
        now_ms: f64,
        timeout_ms: f64,
    ) -> CallId {
        let call = CallId(self.next_call);
        self.next_call += 1;
        if !self.link.state().is_connected() {
            self.push_event(SessionEvent::Reply {
                call,
                result: Err(CallError::new(CallError::LOST, "not connected")),
            });
            return call;
        }
        let deadline = now_ms + timeout_ms;
        let req = Request {
            purpose: Purpose::User(call),
            method: method.into(),
            params,
            with_auth: false,
            retries: 0,
            timeout_ms,
        };
        if let Err(e) = self.send(req, deadline) {
            self.push_event(SessionEvent::Reply {
                call,
                result: Err(e),
            });
        }
        call
    }

    /// Set (or clear) the device password. With a password, a subscription the device refused
    /// for want of one is asked for again.
    pub fn set_password(&mut self, password: Option<String>, now_ms: f64) {
        self.password = password.filter(|p| !p.is_empty());
        self.password_asked = false;
        if self.password.is_some()
            && self.follow_refused
            && self.link.state().is_connected()
            && self.config.wire == Wire::WebSocket
        {
            self.follow_refused = false;
            self.send_follow(now_ms);
        }
    }

    /// The console's mode (Console wire; `Human` on other wires).
    pub fn console_mode(&self) -> ConsoleMode {
        self.console_mode
    }

    /// Console wire: switch the console between the human REPL and rpc mode (also used on
    /// every reconnect). Other wires: nothing.
    pub fn set_console_mode(&mut self, mode: ConsoleMode, now_ms: f64) {
        if self.config.wire != Wire::Console {
            return;
        }
        self.wanted_mode = mode;
        if self.link.state().is_connected() {
            let req = Request {
                purpose: Purpose::SetMode {
                    mode,
                    opening: false,
                },
                method: "Console.SetMode".into(),
                params: json!({"mode": mode.name()}),
                with_auth: false,
                retries: 0,
                timeout_ms: self.config.call_timeout_ms,
            };
            if let Err(e) = self.send(req, now_ms + self.config.call_timeout_ms) {
                self.push_event(SessionEvent::Text(format!("Console.SetMode: {e}")));
            }
        }
    }

    /// Console wire: send text as typed (a line for the human REPL ends with `"\r"`). SOH and
    /// Ctrl-C are removed from it. Other wires, or not connected: nothing.
    pub fn send_console_text(&mut self, text: &str) {
        if self.config.wire == Wire::Console && self.link.is_active() {
            let bytes = console_stream::encode_text(text);
            if !bytes.is_empty() {
                self.transmits.push_back(Transmit::Bytes(bytes));
            }
        }
    }

    /// Console wire: Ctrl-C (interrupts what the console runs). Other wires: nothing.
    pub fn interrupt(&mut self) {
        if self.config.wire == Wire::Console && self.link.is_active() {
            self.transmits
                .push_back(Transmit::Bytes(alloc::vec![console_stream::CTRL_C]));
        }
    }

    // ----- what the glue reports -----

    /// The transport is open: the handshake starts (Console wire: `Console.SetMode rpc`;
    /// then `Shelly.GetDeviceInfo`).
    pub fn on_open(&mut self, now_ms: f64) {
        if !matches!(self.link.state(), LinkState::Connecting { .. }) {
            return;
        }
        self.link.opened(now_ms);
        self.stream.reset();
        let deadline = self.link.next_deadline().unwrap_or(now_ms);
        if self.config.wire == Wire::Console && self.wanted_mode == ConsoleMode::Rpc {
            let req = Request {
                purpose: Purpose::SetMode {
                    mode: ConsoleMode::Rpc,
                    opening: true,
                },
                method: "Console.SetMode".into(),
                params: json!({"mode": "rpc"}),
                with_auth: false,
                retries: 0,
                timeout_ms: self.config.call_timeout_ms,
            };
            if let Err(e) = self.send(req, deadline) {
                self.fail_link(&format!("Console.SetMode: {e}"), now_ms);
                return;
            }
        }
        let req = Request {
            purpose: Purpose::DeviceInfo,
            method: "Shelly.GetDeviceInfo".into(),
            params: Value::Null,
            with_auth: false,
            retries: 0,
            timeout_ms: self.config.call_timeout_ms,
        };
        if let Err(e) = self.send(req, deadline) {
            self.fail_link(&format!("Shelly.GetDeviceInfo: {e}"), now_ms);
        }
    }

    /// Console wire: bytes read from the device.
    pub fn on_bytes(&mut self, bytes: &[u8], now_ms: f64) {
        if self.config.wire != Wire::Console || !self.link.is_active() {
            return;
        }
        self.stream.push(bytes);
        while let Some(item) = self.stream.next_item() {
            match item {
                StreamItem::Text(line) => self.push_event(SessionEvent::Text(line)),
                StreamItem::Frame(text) => self.on_message(&text, now_ms),
                StreamItem::OversizeFrame { len } => self.push_event(SessionEvent::Text(format!(
                    "(a frame of {len} bytes from the device was too large and was dropped)"
                ))),
            }
            if !self.link.is_active() {
                break;
            }
        }
    }

    /// WebSocket wire: a text message; HTTP wire: a response body.
    pub fn on_text(&mut self, text: &str, now_ms: f64) {
        if self.config.wire == Wire::Console || !self.link.is_active() {
            return;
        }
        self.on_message(text, now_ms);
    }

    /// The transport closed for a reason another attempt would not change — the serial bridge
    /// closes a client with code 4000 ("taken over by another client") when another one
    /// connects: reconnecting would take the device back, and the two would fight forever.
    /// Waiting calls fail with [`CallError::LOST`]; the state is `Lost` (no reconnect) until
    /// the user connects again. Ignored when no connection was under way.
    pub fn on_closed_for_good(&mut self, reason: &str, _now_ms: f64) {
        if !self.link.is_active() && !matches!(self.link.state(), LinkState::Reconnecting { .. }) {
            return;
        }
        self.fail_pending(reason);
        self.console_mode = ConsoleMode::Human;
        if self.link.closed_for_good(reason) {
            self.emit_state();
        }
    }

    /// HTTP wire: the response to the [`Transmit::HttpPost`] of `request` (the same body):
    /// its HTTP `status` and `body`. An answer with an id is handled as by `on_text`; any
    /// other response (an HTTP error such as 413 with a bare `{"code", "message"}`, or not
    /// JSON) fails the call that sent `request` at once with the error's code (or the status)
    /// instead of leaving it to time out.
    pub fn on_http_response(&mut self, request: &str, status: u16, body: &str, now_ms: f64) {
        if self.config.wire != Wire::Http || !self.link.is_active() {
            return;
        }
        if let Ok(Incoming::Response { id: Some(_), .. }) = parse_incoming(body) {
            self.on_message(body, now_ms);
            return;
        }
        let Some(id) = serde_json::from_str::<Value>(request)
            .ok()
            .and_then(|r| r.get("id").and_then(Value::as_u64))
        else {
            return;
        };
        let Some(p) = self.calls.take(id) else {
            return; // already answered or timed out
        };
        let parsed: Option<Value> = serde_json::from_str(body).ok();
        let code = parsed
            .as_ref()
            .and_then(|v| v.get("code"))
            .and_then(Value::as_i64)
            .unwrap_or(i64::from(status));
        let mut message = parsed
            .as_ref()
            .and_then(|v| v.get("message"))
            .and_then(Value::as_str)
            .map(String::from)
            .unwrap_or_else(|| body.chars().take(200).collect());
        if message.is_empty() {
            message = format!("HTTP {status}");
        }
        let result = Err(CallError::new(code, format!("HTTP {status}: {message}")));
        self.on_answer(p.data, result, now_ms);
    }

    /// The transport closed or failed (`reason` for people). Waiting calls fail with
    /// [`CallError::LOST`]; then reconnecting (or lost, when reconnecting is off). Ignored
    /// when no connection was under way (after `disconnect`, or a close the session asked
    /// for).
    pub fn on_closed(&mut self, reason: &str, now_ms: f64) {
        if !self.link.is_active() {
            return;
        }
        self.fail_pending(reason);
        self.console_mode = ConsoleMode::Human;
        if self.link.closed(reason, now_ms) {
            self.emit_state();
        }
    }

    /// Check the timers: calls past their deadline fail with [`CallError::TIMEOUT`]; an
    /// attempt that took too long is given up; a reconnect that is due opens the transport.
    pub fn on_tick(&mut self, now_ms: f64) {
        for (_, p) in self.calls.take_expired(now_ms) {
            match p.data.purpose {
                Purpose::User(call) => self.push_event(SessionEvent::Reply {
                    call,
                    result: Err(CallError::timeout(p.data.timeout_ms)),
                }),
                Purpose::SetMode { opening: false, .. } => {
                    self.push_event(SessionEvent::Text(format!(
                        "Console.SetMode: {}",
                        CallError::timeout(self.config.call_timeout_ms)
                    )))
                }
                Purpose::Follow => self.push_event(SessionEvent::Text(format!(
                    "(no live log: Log.Follow: {})",
                    CallError::timeout(self.config.call_timeout_ms)
                ))),
                // The handshake's own timeout is the link's (below).
                Purpose::SetMode { opening: true, .. } | Purpose::DeviceInfo => {}
            }
        }
        match self.link.tick(now_ms) {
            Some(LinkAction::Open) => self.begin_attempt(),
            Some(LinkAction::GiveUp { reason }) => {
                self.transmits.push_back(Transmit::Close);
                self.fail_pending(&reason);
                self.console_mode = ConsoleMode::Human;
                self.emit_state();
            }
            None => {}
        }
    }

    /// When `on_tick` should be called next (`None`: no timer runs).
    pub fn next_deadline(&self) -> Option<f64> {
        match (self.calls.next_deadline(), self.link.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next thing to do with the transport.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next thing that happened.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    pub fn state(&self) -> &LinkState {
        self.link.state()
    }

    pub fn wire(&self) -> Wire {
        self.config.wire
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The last `Shelly.GetDeviceInfo` result.
    pub fn device_info(&self) -> Option<&Value> {
        self.device_info.as_ref()
    }

    /// Console wire: the unfinished line of text (the REPL's prompt, an echo), as shown.
    pub fn console_partial_line(&self) -> String {
        self.stream.partial_line()
    }

    /// How many calls wait for an answer.
    pub fn pending_calls(&self) -> usize {
        self.calls.len()
    }

    // ----- inside -----

    fn begin_attempt(&mut self) {
        self.stream.reset();
        self.transmits.push_back(Transmit::Open);
        self.emit_state();
    }

    fn emit_state(&mut self) {
        let s = self.link.state().clone();
        self.push_event(SessionEvent::State(s));
    }

    fn push_event(&mut self, e: SessionEvent) {
        if self.events.len() >= MAX_EVENTS {
            // Drop the oldest event that is not a reply (every call gets its reply).
            if let Some(i) = self
                .events
                .iter()
                .position(|e| !matches!(e, SessionEvent::Reply { .. }))
            {
                self.events.remove(i);
                self.dropped_events += 1;
            }
        }
        self.events.push_back(e);
    }

    /// How many events were dropped because the UI did not poll them in time.
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    /// The `auth` object for the next request, when the device challenged us and we have a
    /// password.
    fn next_auth(&mut self) -> Option<Value> {
        if self.config.wire == Wire::Console {
            return None;
        }
        let (Some(pw), Some(ch)) = (&self.password, &self.challenge) else {
            return None;
        };
        let ha1 = auth::ha1(&ch.realm, pw);
        self.cnonce_counter += 1;
        let cnonce = auth::cnonce(self.cnonce_seed, self.cnonce_counter);
        Some(auth::frame_auth(&ha1, ch, &cnonce))
    }

    /// Send a request; it waits for its answer until `deadline_ms`.
    fn send(&mut self, mut req: Request, deadline_ms: f64) -> Result<(), CallError> {
        let id = self.calls.next_request_id();
        let auth = self.next_auth();
        req.with_auth = auth.is_some();
        let text = request_text(
            id,
            &self.config.src,
            &req.method,
            &req.params,
            auth.as_ref(),
        );
        let limit = match self.config.wire {
            Wire::Http => console_stream::MAX_FRAME - HTTP_HEAD_ROOM,
            _ => console_stream::MAX_FRAME,
        };
        let transmit = match self.config.wire {
            Wire::Console => Transmit::Bytes(console_stream::encode_frame(&text).map_err(|e| {
                CallError::new(CallError::TOO_LARGE, format!("{} request: {e}", req.method))
            })?),
            Wire::WebSocket | Wire::Http if text.len() > limit => {
                return Err(CallError::new(
                    CallError::TOO_LARGE,
                    format!(
                        "{} request: {} bytes, at most {limit} bytes",
                        req.method,
                        text.len(),
                    ),
                ))
            }
            Wire::WebSocket => Transmit::Text(text),
            Wire::Http => Transmit::HttpPost(text),
        };
        self.transmits.push_back(transmit);
        self.calls.insert(id, deadline_ms, req);
        Ok(())
    }

    fn send_follow(&mut self, now_ms: f64) {
        let req = Request {
            purpose: Purpose::Follow,
            method: "Log.Follow".into(),
            params: json!({"enable": true}),
            with_auth: false,
            retries: 0,
            timeout_ms: self.config.call_timeout_ms,
        };
        // Too large cannot happen for this small request.
        let _ = self.send(req, now_ms + self.config.call_timeout_ms);
    }

    /// Every waiting call fails: user calls with LOST, the rest are dropped.
    fn fail_pending(&mut self, reason: &str) {
        for (_, p) in self.calls.take_all() {
            if let Purpose::User(call) = p.data.purpose {
                self.push_event(SessionEvent::Reply {
                    call,
                    result: Err(CallError::lost(reason)),
                });
            }
        }
    }

    /// Give up the connection ourselves: close the transport, then as `on_closed`.
    fn fail_link(&mut self, reason: &str, now_ms: f64) {
        if !self.link.is_active() {
            return;
        }
        self.transmits.push_back(Transmit::Close);
        self.on_closed(reason, now_ms);
    }

    fn on_message(&mut self, text: &str, now_ms: f64) {
        match parse_incoming(text) {
            Err(e) => {
                let mut shown: String = text.chars().take(200).collect();
                if shown.len() < text.len() {
                    shown.push('…');
                }
                self.push_event(SessionEvent::Text(format!(
                    "(unreadable message from the device: {e}: {shown})"
                )));
            }
            Ok(Incoming::Notification { method, params }) => {
                self.on_notification(&method, params, now_ms)
            }
            Ok(Incoming::Response { id: None, result }) => {
                // An answer to a frame the device could not read (or not ours).
                if let Err(e) = result {
                    self.push_event(SessionEvent::Text(format!("(device error: {e})")));
                }
            }
            Ok(Incoming::Response {
                id: Some(id),
                result,
            }) => {
                // Late answers (after a timeout or for another client) are ignored.
                if let Some(p) = self.calls.take(id) {
                    self.on_answer(p.data, result, now_ms);
                }
            }
        }
    }

    fn on_answer(&mut self, req: Request, result: Result<Value, CallError>, now_ms: f64) {
        if let Err(e) = &result {
            if e.code == CallError::AUTH && self.config.wire != Wire::Console {
                if let Some(ch) = Challenge::parse(&e.message) {
                    self.on_unauthorized(req, ch, now_ms);
                    return;
                }
            }
        }
        self.complete(req.purpose, result, now_ms);
    }

    /// A 401 with a challenge: send the request again with credentials, or fail it and ask
    /// for a password.
    fn on_unauthorized(&mut self, req: Request, ch: Challenge, now_ms: f64) {
        let refused = req.with_auth && !ch.stale;
        let realm = ch.realm.clone();
        self.challenge = Some(ch);
        if self.password.is_some() && !refused && req.retries < MAX_AUTH_RETRIES {
            let retry = Request {
                retries: req.retries + 1,
                ..req
            };
            let deadline = match retry.purpose {
                Purpose::User(_) | Purpose::Follow | Purpose::SetMode { opening: false, .. } => {
                    now_ms + retry.timeout_ms
                }
                Purpose::SetMode { opening: true, .. } | Purpose::DeviceInfo => {
                    self.link.next_deadline().unwrap_or(now_ms)
                }
            };
            let purpose = retry.purpose.clone();
            if let Err(e) = self.send(retry, deadline) {
                self.complete(purpose, Err(e), now_ms);
            }
            return;
        }
        let wrong = refused && self.password.is_some();
        if matches!(req.purpose, Purpose::Follow) {
            self.follow_refused = true;
        }
        let message = if wrong {
            "wrong password"
        } else {
            "the device needs a password"
        };
        self.complete(
            req.purpose,
            Err(CallError::new(CallError::AUTH, message)),
            now_ms,
        );
        if !self.password_asked || wrong {
            self.password_asked = true;
            self.push_event(SessionEvent::PasswordNeeded { realm, wrong });
        }
    }

    fn complete(&mut self, purpose: Purpose, result: Result<Value, CallError>, now_ms: f64) {
        match purpose {
            Purpose::User(call) => self.push_event(SessionEvent::Reply { call, result }),
            Purpose::DeviceInfo => match result {
                Ok(info) => {
                    self.device_info = Some(info.clone());
                    self.link.established();
                    self.emit_state();
                    self.push_event(SessionEvent::DeviceInfo(info));
                    if self.config.wire == Wire::WebSocket {
                        self.send_follow(now_ms);
                    }
                }
                Err(e) => self.fail_link(&format!("Shelly.GetDeviceInfo failed: {e}"), now_ms),
            },
            Purpose::SetMode { mode, opening } => match result {
                Ok(_) => self.console_mode = mode,
                Err(e) if !opening => {
                    self.push_event(SessionEvent::Text(format!("Console.SetMode: {e}")))
                }
                // A console without modes still answers frames: carry on in human mode.
                Err(_) => {}
            },
            Purpose::Follow => match result {
                Ok(_) => self.follow_refused = false,
                // A 401 asked for a password already (PasswordNeeded).
                Err(e) if e.code == CallError::AUTH => {}
                Err(e) => self.push_event(SessionEvent::Text(format!(
                    "(no live log: Log.Follow: {e})"
                ))),
            },
        }
    }

    fn on_notification(&mut self, method: &str, params: Value, now_ms: f64) {
        match method {
            "NotifyLog" => {
                let line = LogLine {
                    ts: params.get("ts").and_then(Value::as_f64).unwrap_or(0.0),
                    seq: params.get("seq").and_then(Value::as_u64).unwrap_or(0),
                    level: params
                        .get("level")
                        .and_then(Value::as_str)
                        .unwrap_or("info")
                        .into(),
                    script: script_id(&params),
                    text: params
                        .get("text")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .into(),
                };
                let pairs = if line.level == "print" {
                    telemetry::parse_print_line(&line.text)
                } else {
                    Vec::new()
                };
                let (ts, script) = (line.ts, line.script);
                self.push_event(SessionEvent::Log(line));
                for (name, value) in pairs {
                    self.push_event(SessionEvent::Telemetry {
                        ts,
                        script,
                        name,
                        value,
                    });
                }
            }
            "NotifyTelemetry" => {
                let name = params.get("name").and_then(Value::as_str);
                let value = params.get("value").and_then(telemetry::numeric_value);
                if let (Some(name), Some(value)) = (name, value) {
                    if !name.is_empty() {
                        let ts = params
                            .get("ts")
                            .and_then(Value::as_f64)
                            .unwrap_or(now_ms / 1000.0);
                        self.push_event(SessionEvent::Telemetry {
                            ts,
                            script: script_id(&params),
                            name: name.into(),
                            value,
                        });
                    }
                }
            }
            "NotifyStatus" | "NotifyFullStatus" => self.push_event(SessionEvent::Status(params)),
            "NotifyEvent" => self.push_event(SessionEvent::Event(params)),
            _ => {}
        }
    }
}

fn script_id(params: &Value) -> u32 {
    params
        .get("script")
        .and_then(Value::as_u64)
        .and_then(|s| u32::try_from(s).ok())
        .unwrap_or(0)
}
