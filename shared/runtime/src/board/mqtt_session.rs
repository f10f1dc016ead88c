//! [`MqttSession`]: the device's connection to its MQTT broker as a sans-IO state machine, the
//! same code on every target that has a TCP stack (the host's virtual device over std sockets,
//! the ESP32-C3 over smoltcp).
//!
//! It implements the runtime's [`Mqtt`] board trait over the protocol client of
//! `ferrite-protocols` ([`MqttClient`]) and decides everything about the connection: when to
//! (re)connect (at once after [`Mqtt::configure`], then with a back-off of 1 s doubling to 30 s,
//! reset by every CONNACK), subscribing every filter again after each CONNACK, turning the
//! protocol's events into [`BoardEvent`]s (`MqttConnected`, `MqttDisconnected` — once per lost
//! session —, `MqttMessage`), a bounded event queue with back-pressure (the driver reads no more
//! than [`MqttSession::read_room`], so what the runtime has not taken yet waits in the network
//! stack, nothing is dropped), refusing publishes while too much waits to be sent, and dropping
//! a broker that sends but does not read (more than twice [`MqttLimits::max_tx_bytes`] unsent).
//!
//! The driver owns the socket and the clock and does what the session asks:
//!
//! ```text
//! every round, with now = ms since boot:
//!   connect done      → if !session.connected(now) { close it }
//!   connect failed    → session.closed("why", now)
//!   while the socket has data and session.read_room() > 0:
//!       read at most read_room() bytes → session.feed(bytes, now)
//!   peer closed / I/O error → close the socket, session.closed("why", now)
//!   while let Some(action) = session.poll(now):      (also runs keepalive and timeouts)
//!       Connect { host, port } → start a TCP connect (resolve, connect; never block)
//!       Close { goodbye }      → write `goodbye` if the socket takes it at once, close the
//!                                socket (or abandon the connect in progress)
//!   write session.transmit() as far as the socket takes it → session.consume(n)
//!   while let Some(r) = session.take_report() { log r }   (the session does no I/O)
//!   hand session.take_event() to the runtime (its Board::poll_event)
//! then sleep until next_deadline(), data to read, room to write (transmit() not empty) or a
//! finished connect — at once while has_events().
//! ```
//!
//! After each [`Mqtt`] call (publish, subscribe, …) the driver writes [`MqttSession::transmit`]
//! and runs `poll` again (a reconfiguration asks for a `Close` and a `Connect`).
//!
//! What this module must never do: I/O, reading a clock, blocking, panicking on what the broker
//! sends, or growing without bound (events, bytes to send and log reports are all bounded).

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use ferrite_protocols::mqtt::{MqttClient, MqttEvent, MqttOptions, MqttState};

use super::{BoardError, BoardEvent, BoardResult, Mqtt, MqttStatus};
use crate::mqtt_topic::valid_filter;

/// The MQTT port when the server string names none.
pub const DEFAULT_PORT: u16 = 1883;
/// The wait before the first reconnect; it doubles with every failure up to
/// [`BACKOFF_MAX_MS`] and is reset by a CONNACK or a new configuration.
pub const BACKOFF_MIN_MS: u64 = 1_000;
/// The longest wait before a reconnect.
pub const BACKOFF_MAX_MS: u64 = 30_000;
/// Log reports kept for the driver (the oldest are dropped beyond that).
const MAX_REPORTS: usize = 8;
/// "Never" as a time: no connect until reconfigured.
const NEVER: u64 = u64::MAX;

/// The bounds of a session (what a target can afford).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MqttLimits {
    /// Bytes waiting to be written beyond which publishes are refused; more than twice this
    /// means the broker does not read, and the connection is dropped.
    pub max_tx_bytes: usize,
    /// Board events waiting for the runtime; when that many wait, nothing more is read.
    pub max_events: usize,
    /// Largest packet accepted from the broker (remaining length), in bytes.
    pub max_packet: usize,
    /// How long a TCP connect may take before the attempt counts as failed.
    pub connect_timeout_ms: u64,
}

impl Default for MqttLimits {
    /// The virtual device's bounds.
    fn default() -> Self {
        MqttLimits {
            max_tx_bytes: 256 * 1024,
            max_events: 256,
            max_packet: 64 * 1024,
            connect_timeout_ms: 30_000,
        }
    }
}

/// What the session asks the driver to do (from [`MqttSession::poll`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MqttAction {
    /// Open a TCP connection to `host:port`, then report [`MqttSession::connected`] or
    /// [`MqttSession::closed`].
    Connect { host: String, port: u16 },
    /// Drop the connection, or abandon the connect in progress. `goodbye` (the DISCONNECT
    /// packet after a reconfiguration; often empty) is written first if the socket takes it at
    /// once. Do not report [`MqttSession::closed`] for it: the session already knows.
    Close { goodbye: Vec<u8> },
}

/// Something for the person running the device, which the driver logs (the session does no
/// I/O). `Display` gives the line, e.g. `MQTT connected to host:1883`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MqttReport {
    /// The broker accepted the session.
    Connected { server: String },
    /// The connection could not be made or ended; reported once per distinct reason (not at
    /// every retry).
    Down { server: String, reason: String },
}

impl fmt::Display for MqttReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MqttReport::Connected { server } => write!(f, "MQTT connected to {server}"),
            MqttReport::Down { server, reason } => write!(f, "MQTT {server}: {reason}"),
        }
    }
}

/// Split `host[:port]` (an IPv6 address in brackets if it has a port); the port is
/// [`DEFAULT_PORT`] unless given.
pub fn split_server(server: &str) -> Result<(String, u16), String> {
    let s = server.trim();
    if s.is_empty() {
        return Err("no MQTT server configured".into());
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (host, tail) = rest
            .split_once(']')
            .ok_or_else(|| format!("MQTT server {s:?}: missing `]`"))?;
        let port = match tail.strip_prefix(':') {
            Some(p) => p
                .parse()
                .map_err(|_| format!("MQTT server {s:?}: bad port"))?,
            None if tail.is_empty() => DEFAULT_PORT,
            None => return Err(format!("MQTT server {s:?}: unexpected {tail:?}")),
        };
        return Ok((host.into(), port));
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => {
            let port = port
                .parse()
                .map_err(|_| format!("MQTT server {s:?}: bad port {port:?}"))?;
            Ok((host.into(), port))
        }
        _ => Ok((s.into(), DEFAULT_PORT)),
    }
}

/// The configuration given by the device.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Config {
    enabled: bool,
    server: String,
    client_id: String,
}

/// Where the TCP connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    /// No connection; the next attempt at `at_ms` (if enabled).
    Idle { at_ms: u64 },
    /// The driver is connecting (asked at `since_ms`).
    Connecting { since_ms: u64 },
    /// The driver has an open connection (the MQTT session on it may still await CONNACK).
    Open,
}

/// The device's MQTT connection; see the module documentation.
pub struct MqttSession {
    limits: MqttLimits,
    config: Config,
    client: MqttClient,
    link: Link,
    backoff_ms: u64,
    /// The filters subscribed (subscribed again after every CONNACK), in order.
    filters: Vec<String>,
    /// Whether `MqttConnected` was reported (and `MqttDisconnected` is owed on loss).
    reported_up: bool,
    events: VecDeque<BoardEvent>,
    /// Bytes for the open connection the driver has not written yet.
    tx: Vec<u8>,
    /// A `Close` the driver has not been asked for yet, with its goodbye bytes.
    close: Option<Vec<u8>>,
    /// Why the last connection attempt or session ended.
    last_error: Option<String>,
    /// The latest time seen.
    now_ms: u64,
    reports: VecDeque<MqttReport>,
    /// The last reason reported (so a retry that fails the same way is not reported again).
    reported_error: Option<String>,
}

impl Default for MqttSession {
    fn default() -> Self {
        MqttSession::new()
    }
}

impl MqttSession {
    /// A disabled session with the virtual device's bounds ([`MqttLimits::default`]).
    pub fn new() -> MqttSession {
        MqttSession::with_limits(MqttLimits::default())
    }

    /// A disabled session with the given bounds (at least one event); [`Mqtt::configure`]
    /// enables it.
    pub fn with_limits(limits: MqttLimits) -> MqttSession {
        MqttSession {
            limits: MqttLimits {
                max_events: limits.max_events.max(1),
                ..limits
            },
            config: Config::default(),
            client: MqttClient::new(MqttOptions::new("")),
            link: Link::Idle { at_ms: 0 },
            backoff_ms: BACKOFF_MIN_MS,
            filters: Vec::new(),
            reported_up: false,
            events: VecDeque::new(),
            tx: Vec::new(),
            close: None,
            last_error: None,
            now_ms: 0,
            reports: VecDeque::new(),
            reported_error: None,
        }
    }

    pub fn limits(&self) -> MqttLimits {
        self.limits
    }

    /// Time passed: the next thing the driver must do, if any (call again until `None`). Also
    /// runs the protocol's timers (keepalive, CONNACK and PINGRESP deadlines) and the connect
    /// timeout.
    pub fn poll(&mut self, now_ms: u64) -> Option<MqttAction> {
        self.advance(now_ms);
        match self.link {
            Link::Open => {
                self.client.handle_timeout(self.now_ms);
                self.pump();
            }
            Link::Connecting { since_ms }
                if self.now_ms >= since_ms.saturating_add(self.limits.connect_timeout_ms) =>
            {
                let reason = format!("no connection within {} ms", self.limits.connect_timeout_ms);
                self.lost(reason, true);
            }
            _ => {}
        }
        if let Some(goodbye) = self.close.take() {
            return Some(MqttAction::Close { goodbye });
        }
        match self.link {
            Link::Idle { at_ms }
                if self.config.enabled && at_ms != NEVER && self.now_ms >= at_ms =>
            {
                self.start_connect()
            }
            _ => None,
        }
    }

    /// The connection asked for by [`MqttAction::Connect`] is open: the session starts (CONNECT
    /// goes to [`MqttSession::transmit`]). `false`: the session does not want this connection
    /// (no connect was asked for, or the session could not start); the driver closes it.
    pub fn connected(&mut self, now_ms: u64) -> bool {
        self.advance(now_ms);
        if !matches!(self.link, Link::Connecting { .. }) {
            return false;
        }
        self.tx.clear();
        // The same client (and its unacknowledged QoS 1 publishes) until reconfigured.
        if let Err(e) = self.client.connect(self.now_ms) {
            self.lost(e.to_string(), false);
            return false;
        }
        self.link = Link::Open;
        self.pump();
        true
    }

    /// The link ended on the driver's side: the connect failed, or the open connection was
    /// closed by the broker or failed (`reason` says how, e.g. `read: connection reset`). A
    /// reconnect is scheduled. Ignored when the session has no link.
    pub fn closed(&mut self, reason: &str, now_ms: u64) {
        self.advance(now_ms);
        if !matches!(self.link, Link::Idle { .. }) {
            self.lost(reason.into(), false);
        }
    }

    /// Bytes read from the connection (at most [`MqttSession::read_room`] of them; more are
    /// accepted, but then the event queue may exceed its bound). A protocol error ends the
    /// link: the next [`MqttSession::poll`] asks to close it.
    pub fn feed(&mut self, data: &[u8], now_ms: u64) {
        self.advance(now_ms);
        if self.link != Link::Open {
            return;
        }
        // An error ends the client's session; its `Disconnected` event says why.
        let _ = self.client.feed(data, self.now_ms);
        self.pump();
    }

    /// How many bytes the driver may read now: none without an open connection or while the
    /// runtime has not taken the events waiting. Every event takes at least 2 bytes of input,
    /// so reading no more than twice the room left cannot overflow the queue.
    pub fn read_room(&self) -> usize {
        if self.link != Link::Open {
            return 0;
        }
        2 * self.limits.max_events.saturating_sub(self.events.len())
    }

    /// The bytes to write to the open connection (empty when there are none).
    pub fn transmit(&self) -> &[u8] {
        &self.tx
    }

    /// The socket took the first `n` bytes of [`MqttSession::transmit`].
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.tx.len());
        self.tx.drain(..n);
    }

    /// When the driver must call [`MqttSession::poll`] next (ms since boot), if at all.
    pub fn next_deadline(&self) -> Option<u64> {
        if self.close.is_some() {
            return Some(self.now_ms);
        }
        match self.link {
            Link::Idle { at_ms } if self.config.enabled && at_ms != NEVER => Some(at_ms),
            Link::Idle { .. } => None,
            Link::Connecting { since_ms } => {
                Some(since_ms.saturating_add(self.limits.connect_timeout_ms))
            }
            Link::Open => self.client.next_timeout(),
        }
    }

    /// The next event for the runtime (the driver's `Board::poll_event`).
    pub fn take_event(&mut self) -> Option<BoardEvent> {
        let ev = self.events.pop_front();
        if ev.is_some() {
            // Room again for what the protocol client holds.
            self.pump();
        }
        ev
    }

    /// Do events wait for the runtime? (Then the driver comes back soon instead of sleeping.)
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// The next line for the log of the person running the device.
    pub fn take_report(&mut self) -> Option<MqttReport> {
        self.reports.pop_front()
    }

    /// Why the last connection attempt or session ended (`None` once connected again or
    /// reconfigured), or a subscription the broker refused.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// How long the session will wait before reconnecting after the next failure.
    pub fn backoff_ms(&self) -> u64 {
        self.backoff_ms
    }

    // ----- internals -----

    fn advance(&mut self, now_ms: u64) {
        self.now_ms = self.now_ms.max(now_ms);
    }

    fn start_connect(&mut self) -> Option<MqttAction> {
        match split_server(&self.config.server) {
            Ok((host, port)) => {
                self.link = Link::Connecting {
                    since_ms: self.now_ms,
                };
                Some(MqttAction::Connect { host, port })
            }
            Err(e) => {
                self.report_down(&e);
                self.last_error = Some(e);
                // A bad server stays bad until reconfigured.
                self.link = Link::Idle { at_ms: NEVER };
                None
            }
        }
    }

    /// Move the protocol client's events to the queue for the runtime (those beyond the bound
    /// stay in the client until the runtime took some; all of them once the client's session
    /// ended), then its packets to [`MqttSession::transmit`].
    fn pump(&mut self) {
        loop {
            if self.link != Link::Open {
                return;
            }
            let ended = self.client.state() == MqttState::Disconnected;
            if !ended && self.events.len() >= self.limits.max_events {
                break;
            }
            match self.client.poll_event() {
                Some(ev) => self.handle(ev),
                None if ended => {
                    self.lost("the MQTT session ended".into(), true);
                    return;
                }
                None => break,
            }
        }
        while let Some(p) = self.client.poll_transmit() {
            self.tx.extend_from_slice(&p);
        }
        if self.tx.len() > 2 * self.limits.max_tx_bytes {
            // A broker that sends (e.g. QoS 1 messages to acknowledge) but does not read.
            let reason = format!("the broker does not read: {} bytes unsent", self.tx.len());
            self.lost(reason, true);
        }
    }

    fn handle(&mut self, ev: MqttEvent) {
        match ev {
            MqttEvent::Connected { .. } => {
                self.backoff_ms = BACKOFF_MIN_MS;
                self.last_error = None;
                if !self.filters.is_empty() {
                    let fs: Vec<(&str, u8)> =
                        self.filters.iter().map(|f| (f.as_str(), 1)).collect();
                    // Connected just now, and every filter was valid when it was added.
                    let _ = self.client.subscribe_many(&fs);
                }
                self.reported_up = true;
                self.reported_error = None;
                self.push_report(MqttReport::Connected {
                    server: self.config.server.clone(),
                });
                self.events.push_back(BoardEvent::MqttConnected);
            }
            MqttEvent::Disconnected { reason } => self.lost(reason, true),
            MqttEvent::Message { topic, payload, .. } => {
                self.events
                    .push_back(BoardEvent::MqttMessage { topic, payload });
            }
            MqttEvent::SubAck { return_codes, .. } => {
                if return_codes.contains(&0x80) {
                    self.last_error = Some("the broker refused a subscription".into());
                }
            }
            MqttEvent::UnsubAck { .. } | MqttEvent::PubAck { .. } => {}
        }
    }

    /// The link ended or could not be made: report it and schedule a reconnect.
    /// `tell_driver`: the session ended it, so the driver must be asked to close.
    fn lost(&mut self, reason: String, tell_driver: bool) {
        if tell_driver && !matches!(self.link, Link::Idle { .. }) && self.close.is_none() {
            self.close = Some(Vec::new());
        }
        self.tx.clear();
        self.client.connection_lost(&reason);
        // Messages that arrived before the end still go to the runtime; the client's own
        // `Disconnected` is the one being handled here.
        while let Some(ev) = self.client.poll_event() {
            if let MqttEvent::Message { topic, payload, .. } = ev {
                self.events
                    .push_back(BoardEvent::MqttMessage { topic, payload });
            }
        }
        self.report_down(&reason);
        self.last_error = Some(reason);
        self.link = Link::Idle {
            at_ms: self.now_ms.saturating_add(self.backoff_ms),
        };
        self.backoff_ms = (self.backoff_ms * 2).min(BACKOFF_MAX_MS);
        if self.reported_up {
            self.reported_up = false;
            self.events.push_back(BoardEvent::MqttDisconnected);
        }
    }

    fn report_down(&mut self, reason: &str) {
        if self.reported_error.as_deref() != Some(reason) {
            self.push_report(MqttReport::Down {
                server: self.config.server.clone(),
                reason: reason.into(),
            });
            self.reported_error = Some(reason.into());
        }
    }

    fn push_report(&mut self, r: MqttReport) {
        if self.reports.len() >= MAX_REPORTS {
            self.reports.pop_front();
        }
        self.reports.push_back(r);
    }

    /// End the link without reconnecting (DISCONNECT goes with the `Close` if connected).
    fn shutdown(&mut self) {
        match self.link {
            Link::Open => {
                self.client.disconnect();
                while let Some(p) = self.client.poll_transmit() {
                    self.tx.extend_from_slice(&p);
                }
                self.close = Some(core::mem::take(&mut self.tx));
            }
            Link::Connecting { .. } => {
                self.close.get_or_insert_with(Vec::new);
            }
            Link::Idle { .. } => {}
        }
        self.tx.clear();
        while self.client.poll_event().is_some() {}
        self.link = Link::Idle { at_ms: 0 };
        if self.reported_up {
            self.reported_up = false;
            self.events.push_back(BoardEvent::MqttDisconnected);
        }
    }
}

impl Mqtt for MqttSession {
    fn status(&self) -> MqttStatus {
        MqttStatus {
            enabled: self.config.enabled,
            connected: self.link == Link::Open && self.client.is_connected(),
            server: self.config.server.clone(),
            client_id: self.config.client_id.clone(),
        }
    }

    /// QoS 2 is sent as QoS 1. False when disconnected or when too much waits to be sent.
    fn publish(&mut self, topic: &str, payload: &[u8], qos: u8, retain: bool) -> bool {
        if self.link != Link::Open || self.tx.len() > self.limits.max_tx_bytes {
            return false;
        }
        let ok = self.client.publish(topic, payload, qos, retain).is_ok();
        self.pump();
        ok
    }

    fn subscribe(&mut self, filter: &str) -> BoardResult<()> {
        if !valid_filter(filter) {
            return Err(BoardError::InvalidArgument(format!(
                "topic filter {filter:?}"
            )));
        }
        if self.filters.iter().any(|f| f == filter) {
            return Ok(());
        }
        self.filters.push(filter.into());
        if self.client.is_connected() {
            // Sent now; otherwise it goes with the subscriptions after CONNACK.
            let _ = self.client.subscribe(filter, 1);
            self.pump();
        }
        Ok(())
    }

    fn unsubscribe(&mut self, filter: &str) {
        let before = self.filters.len();
        self.filters.retain(|f| f != filter);
        if self.filters.len() != before && self.client.is_connected() {
            let _ = self.client.unsubscribe(filter);
            self.pump();
        }
    }

    /// Drop the current link (asking the driver to close it) and connect with the new
    /// configuration at the next [`MqttSession::poll`], if enabled with a server.
    fn configure(&mut self, enabled: bool, server: &str, client_id: &str, user: &str, pass: &str) {
        self.shutdown();
        self.config = Config {
            enabled: enabled && !server.trim().is_empty(),
            server: server.into(),
            client_id: client_id.into(),
        };
        let mut o = MqttOptions::new(client_id);
        o.user = Some(user.to_string()).filter(|u| !u.is_empty());
        o.pass = Some(pass.to_string()).filter(|_| !user.is_empty());
        o.max_packet = self.limits.max_packet;
        self.client = MqttClient::new(o);
        self.backoff_ms = BACKOFF_MIN_MS;
        self.last_error = None;
        self.reported_error = None;
        self.link = Link::Idle { at_ms: 0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const CONNACK: [u8; 4] = [0x20, 2, 0, 0];
    const DISCONNECT: [u8; 2] = [0xE0, 0];

    /// A PUBLISH from the broker (QoS 0 without `id`, QoS 1 with it).
    fn publish(topic: &str, payload: &[u8], id: Option<u16>) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&(topic.len() as u16).to_be_bytes());
        body.extend_from_slice(topic.as_bytes());
        if let Some(id) = id {
            body.extend_from_slice(&id.to_be_bytes());
        }
        body.extend_from_slice(payload);
        assert!(body.len() < 128, "one length byte");
        let header = if id.is_some() { 0x32 } else { 0x30 };
        let mut p = vec![header, body.len() as u8];
        p.extend_from_slice(&body);
        p
    }

    /// The packets in `bytes`: (first byte, body).
    fn packets(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            let (mut len, mut mult, mut i) = (0usize, 1usize, 1usize);
            loop {
                let b = bytes[i];
                len += usize::from(b & 0x7f) * mult;
                mult *= 128;
                i += 1;
                if b & 0x80 == 0 {
                    break;
                }
            }
            out.push((bytes[0], bytes[i..i + len].to_vec()));
            bytes = &bytes[i + len..];
        }
        out
    }

    /// Everything the session has to send, as the socket took it all.
    fn sent(s: &mut MqttSession) -> Vec<(u8, Vec<u8>)> {
        let bytes = s.transmit().to_vec();
        s.consume(bytes.len());
        packets(&bytes)
    }

    /// The topic filters of a SUBSCRIBE body.
    fn filters(body: &[u8]) -> Vec<String> {
        let mut rest = &body[2..];
        let mut out = Vec::new();
        while !rest.is_empty() {
            let n = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            out.push(String::from_utf8(rest[2..2 + n].to_vec()).unwrap());
            rest = &rest[3 + n..];
        }
        out
    }

    fn events(s: &mut MqttSession) -> Vec<BoardEvent> {
        core::iter::from_fn(|| s.take_event()).collect()
    }

    fn reports(s: &mut MqttSession) -> Vec<String> {
        core::iter::from_fn(|| s.take_report())
            .map(|r| r.to_string())
            .collect()
    }

    fn enabled(server: &str) -> MqttSession {
        let mut s = MqttSession::new();
        s.configure(true, server, "dev", "", "");
        s
    }

    /// Connect at `now`: the session asks, the connection opens, CONNECT goes out.
    fn open(s: &mut MqttSession, now: u64) {
        assert!(
            matches!(s.poll(now), Some(MqttAction::Connect { .. })),
            "a connect is due at {now}"
        );
        assert!(s.connected(now));
        let out = sent(s);
        assert_eq!(out[0].0, 0x10, "CONNECT first: {out:?}");
    }

    /// Connect and have the broker accept.
    fn up(s: &mut MqttSession, now: u64) {
        open(s, now);
        s.feed(&CONNACK, now);
        assert!(s.status().connected);
    }

    #[test]
    fn servers() {
        assert_eq!(split_server("h").unwrap(), ("h".into(), 1883));
        assert_eq!(split_server(" h:1884 ").unwrap(), ("h".into(), 1884));
        assert_eq!(split_server("[::1]:9").unwrap(), ("::1".into(), 9));
        assert_eq!(split_server("[::1]").unwrap(), ("::1".into(), 1883));
        assert_eq!(split_server("::1").unwrap(), ("::1".into(), 1883));
        assert!(split_server("h:x").unwrap_err().contains("bad port"));
        assert!(split_server("[::1").unwrap_err().contains("missing `]`"));
        assert!(split_server("[::1]x").unwrap_err().contains("unexpected"));
        assert!(split_server("h:70000").is_err());
        assert!(split_server(" ").is_err());
    }

    #[test]
    fn connect_then_connack_reports_connected() {
        let mut s = MqttSession::new();
        assert_eq!(s.poll(0), None, "disabled: no connect");
        s.configure(true, "broker:1884", "dev", "user", "pw");
        assert_eq!(
            s.poll(10),
            Some(MqttAction::Connect {
                host: "broker".into(),
                port: 1884
            })
        );
        assert_eq!(s.poll(10), None, "one connect at a time");
        assert_eq!(s.read_room(), 0, "nothing to read before the connection");
        assert!(s.connected(20));
        let out = sent(&mut s);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, 0x10);
        // User and password flags, keepalive 60 s.
        assert_eq!(&out[0].1[7..10], &[0xC2, 0, 60]);
        assert!(!s.status().connected, "no CONNACK yet");
        assert_eq!(s.take_event(), None);
        s.feed(&CONNACK, 30);
        assert_eq!(events(&mut s), vec![BoardEvent::MqttConnected]);
        assert_eq!(reports(&mut s), vec!["MQTT connected to broker:1884"]);
        let st = s.status();
        assert!(st.enabled && st.connected);
        assert_eq!(
            (st.server.as_str(), st.client_id.as_str()),
            ("broker:1884", "dev")
        );
        // Keepalive: a PINGREQ is due 60 s after the last packet sent.
        assert_eq!(s.next_deadline(), Some(20 + 60_000));
        assert_eq!(s.poll(20 + 60_000), None);
        assert_eq!(sent(&mut s), vec![(0xC0, vec![])]);
        // A message is delivered.
        s.feed(&publish("a/b", b"hi", None), 60_100);
        assert_eq!(
            s.take_event(),
            Some(BoardEvent::MqttMessage {
                topic: "a/b".into(),
                payload: b"hi".to_vec()
            })
        );
    }

    #[test]
    fn subscriptions_are_sent_again_after_a_reconnect() {
        let mut s = enabled("b");
        s.subscribe("a").unwrap();
        s.subscribe("b/#").unwrap();
        s.subscribe("a").unwrap();
        assert!(s.subscribe("a/#/b").is_err(), "an invalid filter");
        assert!(s.transmit().is_empty(), "not connected: nothing sent");
        up(&mut s, 0);
        let out = sent(&mut s);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].0, 0x82);
        assert_eq!(filters(&out[0].1), vec!["a", "b/#"]);
        // Connected: a new subscription goes at once, an unsubscription too.
        s.subscribe("c").unwrap();
        s.unsubscribe("a");
        s.unsubscribe("never");
        let out = sent(&mut s);
        assert_eq!(
            out.iter().map(|p| p.0).collect::<Vec<_>>(),
            vec![0x82, 0xA2]
        );
        assert_eq!(filters(&out[0].1), vec!["c"]);
        s.closed("read: connection reset", 100);
        assert!(s.transmit().is_empty());
        assert_eq!(s.poll(1_099), None, "back-off");
        open(&mut s, 1_100);
        s.feed(&CONNACK, 1_100);
        let out = sent(&mut s);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(filters(&out[0].1), vec!["b/#", "c"]);
    }

    #[test]
    fn backoff_doubles_up_to_30_s_and_a_connack_resets_it() {
        let mut s = enabled("b");
        let mut now = 0;
        let mut waits = Vec::new();
        for _ in 0..7 {
            assert!(matches!(s.poll(now), Some(MqttAction::Connect { .. })));
            s.closed("connection refused", now);
            let at = s.next_deadline().unwrap();
            assert_eq!(s.poll(at - 1), None, "not before the back-off");
            waits.push(at - now);
            now = at;
        }
        assert_eq!(
            waits,
            vec![1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]
        );
        // The same reason is reported once, not at every retry.
        assert_eq!(reports(&mut s), vec!["MQTT b: connection refused"]);
        assert_eq!(s.last_error(), Some("connection refused"));
        up(&mut s, now);
        assert_eq!(s.last_error(), None);
        s.closed("the broker closed the connection", now + 5);
        assert_eq!(s.next_deadline(), Some(now + 5 + 1_000), "reset by CONNACK");
        assert_eq!(s.backoff_ms(), 2_000);
        // A new configuration resets it too.
        s.configure(true, "b", "dev", "", "");
        assert!(matches!(s.poll(now + 6), Some(MqttAction::Connect { .. })));
        s.closed("connection refused", now + 6);
        assert_eq!(s.next_deadline(), Some(now + 6 + 1_000));
    }

    #[test]
    fn a_lost_link_reports_disconnected_once() {
        let mut s = enabled("b");
        // A connect that fails before CONNACK: no MqttConnected, so no MqttDisconnected.
        open(&mut s, 0);
        s.closed("read: connection reset", 5);
        assert_eq!(events(&mut s), vec![]);
        up(&mut s, 1_005);
        assert_eq!(events(&mut s), vec![BoardEvent::MqttConnected]);
        s.feed(&publish("t", b"last", None), 1_010);
        s.closed("the broker closed the connection", 1_020);
        s.closed("again", 1_021);
        assert_eq!(s.poll(1_022), None, "the driver closed it: no Close");
        assert_eq!(
            events(&mut s),
            vec![
                BoardEvent::MqttMessage {
                    topic: "t".into(),
                    payload: b"last".to_vec()
                },
                BoardEvent::MqttDisconnected
            ]
        );
        assert!(!s.status().connected);
        assert!(!s.publish("t", b"x", 0, false), "disconnected");
        assert_eq!(
            s.last_error(),
            Some("the broker closed the connection"),
            "a call without a link is ignored"
        );
    }

    #[test]
    fn the_session_ends_a_link_the_broker_breaks() {
        // A CONNACK that never comes.
        let mut s = enabled("b");
        open(&mut s, 0);
        assert_eq!(s.next_deadline(), Some(10_000));
        assert_eq!(s.poll(9_999), None);
        assert_eq!(s.poll(10_000), Some(MqttAction::Close { goodbye: vec![] }));
        assert_eq!(s.last_error(), Some("no CONNACK from the broker"));
        // A refused CONNACK.
        open(&mut s, 11_000);
        s.feed(&[0x20, 2, 0, 5], 11_001);
        assert_eq!(s.poll(11_001), Some(MqttAction::Close { goodbye: vec![] }));
        assert!(s.last_error().unwrap().contains("not authorized"));
        // Garbage after a CONNACK: connected, then disconnected.
        open(&mut s, 13_001);
        let mut bytes = CONNACK.to_vec();
        bytes.extend_from_slice(&[0xF0, 0]);
        s.feed(&bytes, 13_002);
        assert_eq!(s.read_room(), 0, "the link is over");
        assert_eq!(s.poll(13_002), Some(MqttAction::Close { goodbye: vec![] }));
        assert_eq!(
            events(&mut s),
            vec![BoardEvent::MqttConnected, BoardEvent::MqttDisconnected]
        );
        // A connect that takes too long.
        assert!(matches!(s.poll(14_002), Some(MqttAction::Connect { .. })));
        assert_eq!(s.next_deadline(), Some(14_002 + 30_000));
        assert_eq!(
            s.poll(14_002 + 30_000),
            Some(MqttAction::Close { goodbye: vec![] })
        );
        assert!(!s.connected(14_002 + 30_001), "that connect is abandoned");
        assert!(s.last_error().unwrap().contains("no connection within"));
    }

    #[test]
    fn the_event_queue_is_bounded_and_reading_waits_for_the_runtime() {
        let mut s = MqttSession::with_limits(MqttLimits {
            max_events: 4,
            ..MqttLimits::default()
        });
        s.configure(true, "b", "dev", "", "");
        up(&mut s, 0);
        // What the broker sent, waiting in the network stack.
        let mut input = Vec::new();
        for i in 0..20u8 {
            input.extend_from_slice(&publish("t", &[i], None));
        }
        let mut read = 0;
        // The runtime takes nothing: reading stops when the queue is full.
        assert_eq!(s.read_room(), 2 * 3, "MqttConnected waits");
        while s.read_room() > 0 && read < input.len() {
            let n = s.read_room().min(input.len() - read);
            s.feed(&input[read..read + n], 1);
            read += n;
        }
        assert!(read < input.len() / 2, "read {read} of {}", input.len());
        // The runtime takes the events as the driver reads: all of them, in order.
        let mut got = events(&mut s);
        assert!(got.len() <= 4 + 1, "{got:?}");
        while read < input.len() || s.has_events() {
            let n = s.read_room().min(input.len() - read);
            s.feed(&input[read..read + n], 2);
            read += n;
            got.extend(s.take_event());
        }
        let want: Vec<BoardEvent> = core::iter::once(BoardEvent::MqttConnected)
            .chain((0..20u8).map(|i| BoardEvent::MqttMessage {
                topic: "t".into(),
                payload: vec![i],
            }))
            .collect();
        assert_eq!(got, want);
        // A driver that reads more than the room: nothing is lost either (the protocol client
        // keeps what the queue has no room for).
        s.feed(&input, 3);
        assert_eq!(s.read_room(), 0);
        assert_eq!(events(&mut s), want[1..].to_vec());
    }

    #[test]
    fn disabling_closes_and_does_not_reconnect_until_enabled() {
        let mut s = enabled("b");
        up(&mut s, 0);
        assert_eq!(events(&mut s), vec![BoardEvent::MqttConnected]);
        s.configure(false, "b", "dev", "", "");
        assert_eq!(
            s.poll(1),
            Some(MqttAction::Close {
                goodbye: DISCONNECT.to_vec()
            })
        );
        assert_eq!(events(&mut s), vec![BoardEvent::MqttDisconnected]);
        assert_eq!(s.poll(1_000_000), None);
        assert_eq!(s.next_deadline(), None);
        assert!(!s.status().enabled && !s.status().connected);
        assert!(!s.connected(1_000_000), "no connect was asked for");
        // Enabled with no server: still nothing to do.
        s.configure(true, " ", "dev", "", "");
        assert!(!s.status().enabled);
        assert_eq!(s.poll(2_000_000), None);
        s.configure(true, "c:1", "dev", "", "");
        assert_eq!(
            s.poll(2_000_001),
            Some(MqttAction::Connect {
                host: "c".into(),
                port: 1
            })
        );
    }

    #[test]
    fn reconfiguring_closes_the_link_and_connects_anew() {
        let mut s = enabled("b");
        up(&mut s, 0);
        assert!(s.publish("t", b"unsent", 0, false));
        // The socket took nothing of the publish: it goes with the goodbye, before DISCONNECT.
        s.configure(true, "c", "dev2", "", "");
        let Some(MqttAction::Close { goodbye }) = s.poll(5) else {
            panic!("a Close first");
        };
        let kinds: Vec<u8> = packets(&goodbye).iter().map(|p| p.0).collect();
        assert_eq!(kinds, vec![0x30, 0xE0]);
        assert_eq!(
            s.poll(5),
            Some(MqttAction::Connect {
                host: "c".into(),
                port: 1883
            })
        );
        // Reconfigured while connecting: the attempt is abandoned.
        s.configure(true, "d", "dev3", "", "");
        assert_eq!(s.poll(6), Some(MqttAction::Close { goodbye: vec![] }));
        assert_eq!(
            s.poll(6),
            Some(MqttAction::Connect {
                host: "d".into(),
                port: 1883
            })
        );
        assert!(s.connected(7));
        assert_eq!(s.status().client_id, "dev3");
    }

    #[test]
    fn a_bad_server_is_refused_until_reconfigured() {
        let mut s = enabled("host:port");
        assert_eq!(s.poll(0), None);
        assert!(s.last_error().unwrap().contains("bad port"));
        assert_eq!(
            reports(&mut s),
            vec!["MQTT host:port: MQTT server \"host:port\": bad port \"port\""]
        );
        assert_eq!(s.next_deadline(), None);
        assert_eq!(s.poll(u64::MAX - 1), None, "not retried");
        assert!(s.status().enabled && !s.status().connected);
        s.configure(true, "host:1", "dev", "", "");
        assert_eq!(s.last_error(), None);
        assert!(matches!(
            s.poll(u64::MAX - 1),
            Some(MqttAction::Connect { .. })
        ));
    }

    #[test]
    fn publishes_wait_within_a_bound_and_a_broker_that_does_not_read_is_dropped() {
        let mut s = MqttSession::with_limits(MqttLimits {
            max_tx_bytes: 64,
            ..MqttLimits::default()
        });
        s.configure(true, "b", "dev", "", "");
        up(&mut s, 0);
        assert_eq!(events(&mut s), vec![BoardEvent::MqttConnected]);
        // Nothing is written from here on.
        assert!(s.publish("t", &[0; 70], 0, false));
        assert!(
            !s.publish("t", b"more", 0, false),
            "more than 64 bytes wait"
        );
        assert!(s.status().connected);
        s.consume(s.transmit().len());
        assert!(s.publish("t", b"more", 0, false));
        s.consume(s.transmit().len());
        // QoS 1 messages from a broker that never takes their PUBACKs.
        let mut id = 1;
        while s.poll(1).is_none() {
            assert!(id < 100, "never dropped");
            assert!(s.transmit().len() <= 2 * 64);
            s.feed(&publish("t", b"m", Some(id)), 1);
            id += 1;
            assert!(s.take_event().is_some());
        }
        assert_eq!(
            id - 1,
            33,
            "dropped at the 33rd PUBACK: more than 128 bytes wait"
        );
        assert!(s.last_error().unwrap().contains("the broker does not read"));
        assert!(s.transmit().is_empty());
        assert_eq!(events(&mut s), vec![BoardEvent::MqttDisconnected]);
    }

    #[test]
    fn reports_are_bounded() {
        let mut s = enabled("b");
        let mut now = 0;
        for i in 0..20 {
            assert!(matches!(s.poll(now), Some(MqttAction::Connect { .. })));
            s.closed(&format!("failure {i}"), now);
            now = s.next_deadline().unwrap();
        }
        let r = reports(&mut s);
        assert_eq!(r.len(), MAX_REPORTS);
        assert_eq!(r.last().unwrap(), "MQTT b: failure 19");
    }
}
