//! A sans-IO MQTT 3.1.1 client.
//!
//! [`MqttClient`] is the protocol state of one client session: the target opens a TCP
//! connection, calls [`MqttClient::connect`], and from then on moves bytes and time between the
//! socket and the client: received bytes go to [`MqttClient::feed`], bytes to send come from
//! [`MqttClient::poll_transmit`], what happened from [`MqttClient::poll_event`], and
//! [`MqttClient::handle_timeout`] is called at [`MqttClient::next_timeout`] (keepalive pings,
//! CONNACK and PINGRESP deadlines). When the socket closes the target calls
//! [`MqttClient::connection_lost`]; unacknowledged QoS 1 publishes stay queued (bounded) and are
//! sent again, with the DUP flag, after the next CONNACK.
//!
//! Supported: CONNECT (client id, user/password, keepalive, clean session), SUBSCRIBE and
//! UNSUBSCRIBE with packet ids, PUBLISH QoS 0 and 1 out, PUBLISH QoS 0, 1 and 2 in (PUBACK,
//! PUBREC/PUBCOMP answered), PINGREQ/PINGRESP, DISCONNECT. Not supported: outgoing QoS 2 (a QoS 2
//! publish is sent as QoS 1), the will message.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Packet types (upper nibble of the first byte).
mod kind {
    pub const CONNECT: u8 = 1;
    pub const CONNACK: u8 = 2;
    pub const PUBLISH: u8 = 3;
    pub const PUBACK: u8 = 4;
    pub const PUBREC: u8 = 5;
    pub const PUBREL: u8 = 6;
    pub const PUBCOMP: u8 = 7;
    pub const SUBSCRIBE: u8 = 8;
    pub const SUBACK: u8 = 9;
    pub const UNSUBSCRIBE: u8 = 10;
    pub const UNSUBACK: u8 = 11;
    pub const PINGREQ: u8 = 12;
    pub const PINGRESP: u8 = 13;
    pub const DISCONNECT: u8 = 14;
}

/// How a client session is set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MqttOptions {
    pub client_id: String,
    /// User name and password (the password is only sent with a user name, as 3.1.1 requires).
    pub user: Option<String>,
    pub pass: Option<String>,
    /// Keepalive in seconds (0: no pings).
    pub keepalive_s: u16,
    pub clean_session: bool,
    /// Largest packet accepted from the broker (remaining length), in bytes.
    pub max_packet: usize,
    /// Unacknowledged QoS 1 publishes kept for resending; beyond that `publish` fails.
    pub max_inflight: usize,
    /// How long to wait for CONNACK after CONNECT, and for PINGRESP after PINGREQ.
    pub response_timeout_ms: u64,
}

impl MqttOptions {
    pub fn new(client_id: &str) -> MqttOptions {
        MqttOptions {
            client_id: client_id.into(),
            user: None,
            pass: None,
            keepalive_s: 60,
            clean_session: true,
            max_packet: 64 * 1024,
            max_inflight: 16,
            response_timeout_ms: 10_000,
        }
    }
}

/// Why an operation of the client failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MqttError {
    /// The session is not connected (no CONNACK yet, or the connection was lost).
    NotConnected,
    /// A topic, filter, client id or credential is empty, too long or not allowed.
    Invalid(String),
    /// The bounded queue of unacknowledged QoS 1 publishes is full.
    QueueFull,
    /// The broker sent something that is not MQTT 3.1.1 or exceeds a limit; the session ended.
    Protocol(String),
}

impl core::fmt::Display for MqttError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MqttError::NotConnected => f.write_str("MQTT is not connected"),
            MqttError::Invalid(m) => write!(f, "invalid MQTT request: {m}"),
            MqttError::QueueFull => f.write_str("too many unacknowledged MQTT publishes"),
            MqttError::Protocol(m) => write!(f, "MQTT protocol error: {m}"),
        }
    }
}

/// Something that happened in the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MqttEvent {
    /// The broker accepted the CONNECT.
    Connected {
        session_present: bool,
    },
    /// The session ended (refused CONNACK, protocol error, timeout, connection lost).
    Disconnected {
        reason: String,
    },
    /// A PUBLISH from the broker.
    Message {
        topic: String,
        payload: Vec<u8>,
        qos: u8,
        retain: bool,
    },
    /// SUBACK: one return code per filter (0–2 granted QoS, 0x80 failure).
    SubAck {
        packet_id: u16,
        return_codes: Vec<u8>,
    },
    UnsubAck {
        packet_id: u16,
    },
    /// A QoS 1 publish was acknowledged.
    PubAck {
        packet_id: u16,
    },
}

/// Where the session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MqttState {
    Disconnected,
    /// CONNECT sent, waiting for CONNACK.
    Connecting,
    Connected,
}

/// An unacknowledged QoS 1 publish.
#[derive(Clone, Debug)]
struct Inflight {
    packet_id: u16,
    /// The whole PUBLISH packet (the DUP flag is set when it is sent again).
    packet: Vec<u8>,
}

/// The client side of one MQTT 3.1.1 session; see the module documentation.
#[derive(Debug)]
pub struct MqttClient {
    opts: MqttOptions,
    state: MqttState,
    rx: Vec<u8>,
    tx: VecDeque<Vec<u8>>,
    events: VecDeque<MqttEvent>,
    inflight: VecDeque<Inflight>,
    next_id: u16,
    /// The latest time fed in.
    now_ms: u64,
    /// When the last packet was queued for sending (keepalive).
    last_tx_ms: u64,
    /// When CONNECT or a PINGREQ was sent and its answer is awaited.
    waiting_since: Option<u64>,
}

/// Most events queued before new ones are dropped (the target polls them every round).
const MAX_EVENTS: usize = 256;

impl MqttClient {
    pub fn new(opts: MqttOptions) -> MqttClient {
        MqttClient {
            opts,
            state: MqttState::Disconnected,
            rx: Vec::new(),
            tx: VecDeque::new(),
            events: VecDeque::new(),
            inflight: VecDeque::new(),
            next_id: 1,
            now_ms: 0,
            last_tx_ms: 0,
            waiting_since: None,
        }
    }

    pub fn options(&self) -> &MqttOptions {
        &self.opts
    }

    pub fn state(&self) -> MqttState {
        self.state
    }

    pub fn is_connected(&self) -> bool {
        self.state == MqttState::Connected
    }

    /// QoS 1 publishes not yet acknowledged.
    pub fn inflight(&self) -> usize {
        self.inflight.len()
    }

    /// Start a session on a freshly opened transport: queues CONNECT.
    pub fn connect(&mut self, now_ms: u64) -> Result<(), MqttError> {
        let o = &self.opts;
        if o.client_id.len() > 65535 {
            return Err(MqttError::Invalid(
                "client id longer than 65535 bytes".into(),
            ));
        }
        let mut body = Vec::new();
        put_str(&mut body, "MQTT")?;
        body.push(4); // protocol level 3.1.1
        let mut flags = 0u8;
        if o.clean_session {
            flags |= 0x02;
        }
        let user = o.user.as_deref().filter(|u| !u.is_empty());
        if user.is_some() {
            flags |= 0x80;
            if o.pass.is_some() {
                flags |= 0x40;
            }
        }
        body.push(flags);
        body.extend_from_slice(&o.keepalive_s.to_be_bytes());
        put_str(&mut body, &o.client_id)?;
        if let Some(u) = user {
            put_str(&mut body, u)?;
            if let Some(p) = &o.pass {
                put_bytes(&mut body, p.as_bytes())?;
            }
        }
        self.now_ms = now_ms;
        self.rx.clear();
        self.tx.clear();
        self.state = MqttState::Connecting;
        self.waiting_since = Some(now_ms);
        self.queue(packet(kind::CONNECT << 4, &body));
        Ok(())
    }

    /// End the session politely: queues DISCONNECT (send it before closing the transport).
    pub fn disconnect(&mut self) {
        if self.state == MqttState::Disconnected {
            return;
        }
        self.tx.clear();
        self.queue(packet(kind::DISCONNECT << 4, &[]));
        self.end("disconnected by the client".into());
    }

    /// The transport closed or failed: the session is over (unacknowledged QoS 1 publishes are
    /// kept for the next one).
    pub fn connection_lost(&mut self, reason: &str) {
        self.tx.clear();
        if self.state != MqttState::Disconnected {
            self.end(reason.into());
        }
    }

    /// Subscribe to `filter` with maximum QoS `qos` (0 or 1); returns the packet id.
    pub fn subscribe(&mut self, filter: &str, qos: u8) -> Result<u16, MqttError> {
        self.subscribe_many(&[(filter, qos)])
    }

    /// Subscribe to several filters in one SUBSCRIBE.
    pub fn subscribe_many(&mut self, filters: &[(&str, u8)]) -> Result<u16, MqttError> {
        if !self.is_connected() {
            return Err(MqttError::NotConnected);
        }
        if filters.is_empty() {
            return Err(MqttError::Invalid("no topic filter".into()));
        }
        let id = self.new_packet_id();
        let mut body = Vec::from(id.to_be_bytes());
        for (f, qos) in filters {
            if f.is_empty() {
                return Err(MqttError::Invalid("empty topic filter".into()));
            }
            put_str(&mut body, f)?;
            body.push((*qos).min(1));
        }
        self.queue(packet(kind::SUBSCRIBE << 4 | 0x02, &body));
        Ok(id)
    }

    /// Unsubscribe from `filter`; returns the packet id.
    pub fn unsubscribe(&mut self, filter: &str) -> Result<u16, MqttError> {
        if !self.is_connected() {
            return Err(MqttError::NotConnected);
        }
        if filter.is_empty() {
            return Err(MqttError::Invalid("empty topic filter".into()));
        }
        let id = self.new_packet_id();
        let mut body = Vec::from(id.to_be_bytes());
        put_str(&mut body, filter)?;
        self.queue(packet(kind::UNSUBSCRIBE << 4 | 0x02, &body));
        Ok(id)
    }

    /// Publish `payload` on `topic`. QoS 0 returns `None`; QoS 1 (and 2, sent as 1) returns the
    /// packet id whose [`MqttEvent::PubAck`] will follow.
    pub fn publish(
        &mut self,
        topic: &str,
        payload: &[u8],
        qos: u8,
        retain: bool,
    ) -> Result<Option<u16>, MqttError> {
        if !self.is_connected() {
            return Err(MqttError::NotConnected);
        }
        if topic.is_empty() || topic.contains(['+', '#', '\0']) {
            return Err(MqttError::Invalid(format!(
                "topic {topic:?} is empty or has wildcards"
            )));
        }
        let qos = qos.min(1);
        if qos == 1 && self.inflight.len() >= self.opts.max_inflight {
            return Err(MqttError::QueueFull);
        }
        let mut body = Vec::with_capacity(topic.len() + payload.len() + 4);
        put_str(&mut body, topic)?;
        let id = if qos == 1 {
            let id = self.new_packet_id();
            body.extend_from_slice(&id.to_be_bytes());
            Some(id)
        } else {
            None
        };
        body.extend_from_slice(payload);
        if body.len() > MAX_REMAINING {
            return Err(MqttError::Invalid("payload too large".into()));
        }
        let header = kind::PUBLISH << 4 | qos << 1 | u8::from(retain);
        let p = packet(header, &body);
        if let Some(id) = id {
            self.inflight.push_back(Inflight {
                packet_id: id,
                packet: p.clone(),
            });
        }
        self.queue(p);
        Ok(id)
    }

    /// Bytes received from the transport. A protocol error ends the session (the target then
    /// closes the transport) and is returned.
    pub fn feed(&mut self, data: &[u8], now_ms: u64) -> Result<(), MqttError> {
        self.now_ms = self.now_ms.max(now_ms);
        if self.state == MqttState::Disconnected {
            return Ok(());
        }
        self.rx.extend_from_slice(data);
        loop {
            let (header, len, hdr_len) = match parse_fixed_header(&self.rx) {
                Ok(Some(h)) => h,
                Ok(None) => break,
                Err(e) => return Err(self.fail(e)),
            };
            if len > self.opts.max_packet {
                return Err(self.fail(format!(
                    "packet of {len} bytes exceeds the limit of {}",
                    self.opts.max_packet
                )));
            }
            if self.rx.len() < hdr_len + len {
                break;
            }
            let body: Vec<u8> = self.rx[hdr_len..hdr_len + len].to_vec();
            self.rx.drain(..hdr_len + len);
            if let Err(e) = self.handle_packet(header, &body) {
                return Err(self.fail(e));
            }
            if self.state == MqttState::Disconnected {
                break;
            }
        }
        Ok(())
    }

    /// The next packet to write to the transport.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.tx.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<MqttEvent> {
        self.events.pop_front()
    }

    /// Time passed: send a PINGREQ when the keepalive interval passed without sending, end the
    /// session when CONNACK or PINGRESP is overdue.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        self.now_ms = self.now_ms.max(now_ms);
        let now = self.now_ms;
        match self.state {
            MqttState::Disconnected => {}
            MqttState::Connecting => {
                if let Some(t) = self.waiting_since {
                    if now >= t + self.opts.response_timeout_ms {
                        self.end("no CONNACK from the broker".into());
                    }
                }
            }
            MqttState::Connected => {
                if let Some(t) = self.waiting_since {
                    if now >= t + self.opts.response_timeout_ms {
                        self.end("no PINGRESP from the broker (keepalive timeout)".into());
                        return;
                    }
                }
                let ka = u64::from(self.opts.keepalive_s) * 1000;
                if ka > 0 && self.waiting_since.is_none() && now >= self.last_tx_ms + ka {
                    self.queue(packet(kind::PINGREQ << 4, &[]));
                    self.waiting_since = Some(now);
                }
            }
        }
    }

    /// When [`MqttClient::handle_timeout`] must be called next, if at all.
    pub fn next_timeout(&self) -> Option<u64> {
        match self.state {
            MqttState::Disconnected => None,
            MqttState::Connecting => self
                .waiting_since
                .map(|t| t + self.opts.response_timeout_ms),
            MqttState::Connected => {
                let resp = self
                    .waiting_since
                    .map(|t| t + self.opts.response_timeout_ms);
                let ka = u64::from(self.opts.keepalive_s) * 1000;
                let ping = (ka > 0 && self.waiting_since.is_none()).then(|| self.last_tx_ms + ka);
                match (resp, ping) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
        }
    }

    // ----- internals -----

    fn queue(&mut self, p: Vec<u8>) {
        self.last_tx_ms = self.now_ms;
        self.tx.push_back(p);
    }

    fn event(&mut self, e: MqttEvent) {
        // Disconnected always gets through; others are dropped when the target stopped polling.
        if self.events.len() < MAX_EVENTS || matches!(e, MqttEvent::Disconnected { .. }) {
            self.events.push_back(e);
        }
    }

    fn end(&mut self, reason: String) {
        self.state = MqttState::Disconnected;
        self.waiting_since = None;
        self.rx.clear();
        self.event(MqttEvent::Disconnected { reason });
    }

    fn fail(&mut self, reason: String) -> MqttError {
        self.tx.clear();
        self.end(reason.clone());
        MqttError::Protocol(reason)
    }

    fn new_packet_id(&mut self) -> u16 {
        loop {
            let id = self.next_id;
            self.next_id = self.next_id.wrapping_add(1).max(1);
            if !self.inflight.iter().any(|i| i.packet_id == id) {
                return id;
            }
        }
    }

    fn handle_packet(&mut self, header: u8, body: &[u8]) -> Result<(), String> {
        let t = header >> 4;
        if self.state == MqttState::Connecting && t != kind::CONNACK {
            return Err(format!("packet type {t} before CONNACK"));
        }
        match t {
            kind::CONNACK => {
                if self.state != MqttState::Connecting || body.len() != 2 {
                    return Err("unexpected CONNACK".into());
                }
                if body[1] != 0 {
                    let why = match body[1] {
                        1 => "unacceptable protocol version",
                        2 => "client identifier rejected",
                        3 => "server unavailable",
                        4 => "bad user name or password",
                        5 => "not authorized",
                        _ => "unknown return code",
                    };
                    self.tx.clear();
                    self.end(format!("connection refused: {why} ({})", body[1]));
                    return Ok(());
                }
                self.state = MqttState::Connected;
                self.waiting_since = None;
                self.event(MqttEvent::Connected {
                    session_present: body[0] & 1 == 1,
                });
                // Unacknowledged QoS 1 publishes go again, with DUP set.
                let again: Vec<Vec<u8>> = self
                    .inflight
                    .iter()
                    .map(|i| {
                        let mut p = i.packet.clone();
                        p[0] |= 0x08;
                        p
                    })
                    .collect();
                for p in again {
                    self.queue(p);
                }
            }
            kind::PUBLISH => {
                let qos = (header >> 1) & 3;
                let retain = header & 1 == 1;
                if qos == 3 {
                    return Err("PUBLISH with QoS 3".into());
                }
                let (topic, rest) = take_str(body).ok_or("PUBLISH too short")?;
                let topic = String::from_utf8(topic.to_vec())
                    .map_err(|_| String::from("PUBLISH topic is not UTF-8"))?;
                let (id, payload) = if qos > 0 {
                    if rest.len() < 2 {
                        return Err("PUBLISH without packet id".into());
                    }
                    (Some(u16::from_be_bytes([rest[0], rest[1]])), &rest[2..])
                } else {
                    (None, rest)
                };
                match (qos, id) {
                    (1, Some(id)) => self.queue(packet(kind::PUBACK << 4, &id.to_be_bytes())),
                    (2, Some(id)) => self.queue(packet(kind::PUBREC << 4, &id.to_be_bytes())),
                    _ => {}
                }
                self.event(MqttEvent::Message {
                    topic,
                    payload: payload.to_vec(),
                    qos,
                    retain,
                });
            }
            kind::PUBACK => {
                let id = packet_id(body)?;
                if let Some(i) = self.inflight.iter().position(|i| i.packet_id == id) {
                    self.inflight.remove(i);
                }
                self.event(MqttEvent::PubAck { packet_id: id });
            }
            kind::PUBREL => {
                let id = packet_id(body)?;
                self.queue(packet(kind::PUBCOMP << 4, &id.to_be_bytes()));
            }
            kind::PUBREC | kind::PUBCOMP => {
                // Only answers to outgoing QoS 2, which this client never sends.
                return Err(format!("unexpected packet type {t}"));
            }
            kind::SUBACK => {
                if body.len() < 3 {
                    return Err("SUBACK too short".into());
                }
                self.event(MqttEvent::SubAck {
                    packet_id: u16::from_be_bytes([body[0], body[1]]),
                    return_codes: body[2..].to_vec(),
                });
            }
            kind::UNSUBACK => {
                let id = packet_id(body)?;
                self.event(MqttEvent::UnsubAck { packet_id: id });
            }
            kind::PINGRESP => self.waiting_since = None,
            other => return Err(format!("unexpected packet type {other} from the broker")),
        }
        Ok(())
    }
}

/// Largest remaining length MQTT can encode.
const MAX_REMAINING: usize = 268_435_455;

/// A packet: fixed header byte, remaining length, body.
fn packet(header: u8, body: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(body.len() + 5);
    p.push(header);
    let mut len = body.len();
    loop {
        let mut b = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            b |= 0x80;
        }
        p.push(b);
        if len == 0 {
            break;
        }
    }
    p.extend_from_slice(body);
    p
}

/// `(header byte, remaining length, header size)` if the fixed header is complete.
fn parse_fixed_header(buf: &[u8]) -> Result<Option<(u8, usize, usize)>, String> {
    let Some(&header) = buf.first() else {
        return Ok(None);
    };
    let mut len = 0usize;
    let mut mult = 1usize;
    for i in 1..=4 {
        let Some(&b) = buf.get(i) else {
            return Ok(None);
        };
        len += usize::from(b & 0x7f) * mult;
        if b & 0x80 == 0 {
            return Ok(Some((header, len, i + 1)));
        }
        mult *= 128;
    }
    Err("malformed remaining length".into())
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) -> Result<(), MqttError> {
    let n = u16::try_from(b.len())
        .map_err(|_| MqttError::Invalid("string longer than 65535 bytes".into()))?;
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(b);
    Ok(())
}

fn put_str(out: &mut Vec<u8>, s: &str) -> Result<(), MqttError> {
    put_bytes(out, s.as_bytes())
}

/// A length-prefixed string and what follows it.
fn take_str(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let n = usize::from(u16::from_be_bytes([*b.first()?, *b.get(1)?]));
    let rest = b.get(2..)?;
    if rest.len() < n {
        return None;
    }
    Some(rest.split_at(n))
}

fn packet_id(body: &[u8]) -> Result<u16, String> {
    if body.len() != 2 {
        return Err("packet id missing".into());
    }
    Ok(u16::from_be_bytes([body[0], body[1]]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn connected() -> MqttClient {
        let mut c = MqttClient::new(MqttOptions::new("dev1"));
        c.connect(0).unwrap();
        c.poll_transmit().unwrap();
        c.feed(&[0x20, 2, 0, 0], 10).unwrap();
        assert_eq!(
            c.poll_event(),
            Some(MqttEvent::Connected {
                session_present: false
            })
        );
        c
    }

    #[test]
    fn connect_packet() {
        let mut o = MqttOptions::new("ab");
        o.user = Some("u".into());
        o.pass = Some("pw".into());
        o.keepalive_s = 30;
        let mut c = MqttClient::new(o);
        c.connect(0).unwrap();
        let p = c.poll_transmit().unwrap();
        assert_eq!(
            p,
            vec![
                0x10, 21, 0, 4, b'M', b'Q', b'T', b'T', 4, 0xC2, 0, 30, 0, 2, b'a', b'b', 0, 1,
                b'u', 0, 2, b'p', b'w'
            ]
        );
        assert_eq!(c.state(), MqttState::Connecting);
        assert_eq!(c.next_timeout(), Some(10_000));
    }

    #[test]
    fn refused_connack() {
        let mut c = MqttClient::new(MqttOptions::new("x"));
        c.connect(0).unwrap();
        c.feed(&[0x20, 2, 0, 5], 1).unwrap();
        assert!(matches!(
            c.poll_event(),
            Some(MqttEvent::Disconnected { reason }) if reason.contains("not authorized")
        ));
        assert_eq!(c.state(), MqttState::Disconnected);
    }

    #[test]
    fn connack_timeout() {
        let mut c = MqttClient::new(MqttOptions::new("x"));
        c.connect(0).unwrap();
        c.handle_timeout(9_999);
        assert_eq!(c.state(), MqttState::Connecting);
        c.handle_timeout(10_000);
        assert!(matches!(
            c.poll_event(),
            Some(MqttEvent::Disconnected { .. })
        ));
    }

    #[test]
    fn subscribe_and_suback() {
        let mut c = connected();
        let id = c.subscribe("a/+", 1).unwrap();
        assert_eq!(id, 1);
        assert_eq!(
            c.poll_transmit().unwrap(),
            vec![0x82, 8, 0, 1, 0, 3, b'a', b'/', b'+', 1]
        );
        c.feed(&[0x90, 3, 0, 1, 1], 20).unwrap();
        assert_eq!(
            c.poll_event(),
            Some(MqttEvent::SubAck {
                packet_id: 1,
                return_codes: vec![1]
            })
        );
        let id = c.unsubscribe("a/+").unwrap();
        assert_eq!(
            c.poll_transmit().unwrap(),
            vec![0xA2, 7, 0, 2, 0, 3, b'a', b'/', b'+']
        );
        c.feed(&[0xB0, 2, 0, 2], 30).unwrap();
        assert_eq!(c.poll_event(), Some(MqttEvent::UnsubAck { packet_id: id }));
    }

    #[test]
    fn publish_qos0_and_qos1() {
        let mut c = connected();
        assert_eq!(c.publish("t", b"hi", 0, true).unwrap(), None);
        assert_eq!(
            c.poll_transmit().unwrap(),
            vec![0x31, 5, 0, 1, b't', b'h', b'i']
        );
        let id = c.publish("t", b"x", 1, false).unwrap().unwrap();
        assert_eq!(
            c.poll_transmit().unwrap(),
            vec![0x32, 6, 0, 1, b't', 0, id as u8, b'x']
        );
        assert_eq!(c.inflight(), 1);
        c.feed(&[0x40, 2, 0, id as u8], 50).unwrap();
        assert_eq!(c.poll_event(), Some(MqttEvent::PubAck { packet_id: id }));
        assert_eq!(c.inflight(), 0);
        assert!(c.publish("a/#", b"", 0, false).is_err());
    }

    #[test]
    fn qos1_resent_after_reconnect_and_bounded() {
        let mut o = MqttOptions::new("x");
        o.max_inflight = 2;
        let mut c = MqttClient::new(o);
        c.connect(0).unwrap();
        c.feed(&[0x20, 2, 0, 0], 1).unwrap();
        while c.poll_transmit().is_some() {}
        let a = c.publish("t", b"1", 1, false).unwrap().unwrap();
        c.publish("t", b"2", 1, false).unwrap();
        assert_eq!(c.publish("t", b"3", 1, false), Err(MqttError::QueueFull));
        c.connection_lost("reset");
        assert!(matches!(c.poll_event(), Some(MqttEvent::Connected { .. })));
        assert!(matches!(
            c.poll_event(),
            Some(MqttEvent::Disconnected { reason }) if reason == "reset"
        ));
        assert_eq!(c.publish("t", b"4", 0, false), Err(MqttError::NotConnected));
        assert!(c.poll_transmit().is_none());
        c.connect(100).unwrap();
        assert_eq!(c.poll_transmit().unwrap()[0], 0x10);
        assert!(c.poll_transmit().is_none(), "nothing before CONNACK");
        c.feed(&[0x20, 2, 0, 0], 101).unwrap();
        let p1 = c.poll_transmit().unwrap();
        assert_eq!(p1, vec![0x3A, 6, 0, 1, b't', 0, a as u8, b'1']);
        assert_eq!(c.poll_transmit().unwrap()[0], 0x3A);
        c.feed(&[0x40, 2, 0, a as u8], 102).unwrap();
        assert_eq!(c.inflight(), 1);
    }

    #[test]
    fn incoming_publish_qos0_qos1_qos2() {
        let mut c = connected();
        // QoS 0, retained, split across two feeds.
        c.feed(&[0x31, 6, 0, 3, b'a', b'/'], 20).unwrap();
        assert!(c.poll_event().is_none());
        c.feed(b"b!", 21).unwrap();
        assert_eq!(
            c.poll_event(),
            Some(MqttEvent::Message {
                topic: "a/b".into(),
                payload: b"!".to_vec(),
                qos: 0,
                retain: true
            })
        );
        // QoS 1 → PUBACK.
        c.feed(&[0x32, 6, 0, 1, b't', 0, 7, b'p'], 22).unwrap();
        assert_eq!(c.poll_transmit().unwrap(), vec![0x40, 2, 0, 7]);
        assert!(matches!(
            c.poll_event(),
            Some(MqttEvent::Message { qos: 1, .. })
        ));
        // QoS 2 → PUBREC, PUBREL → PUBCOMP.
        c.feed(&[0x34, 5, 0, 1, b't', 0, 9], 23).unwrap();
        assert_eq!(c.poll_transmit().unwrap(), vec![0x50, 2, 0, 9]);
        c.feed(&[0x62, 2, 0, 9], 24).unwrap();
        assert_eq!(c.poll_transmit().unwrap(), vec![0x70, 2, 0, 9]);
    }

    #[test]
    fn oversized_and_malformed_packets_end_the_session() {
        let mut c = connected();
        // Remaining length 100000 > 64 KiB: rejected from the header alone.
        let r = c.feed(&[0x30, 0xA0, 0x8D, 0x06], 20);
        assert!(matches!(r, Err(MqttError::Protocol(m)) if m.contains("exceeds")));
        assert_eq!(c.state(), MqttState::Disconnected);

        let mut c = connected();
        assert!(c.feed(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF], 20).is_err());
        let mut c = connected();
        assert!(c.feed(&[0x30, 1, 0], 20).is_err());
        let mut c = connected();
        assert!(
            c.feed(&[0x30, 4, 0, 2, 0xFF, 0xFE], 20).is_err(),
            "non-UTF-8 topic"
        );
        let mut c = MqttClient::new(MqttOptions::new("x"));
        c.connect(0).unwrap();
        assert!(c.feed(&[0xD0, 0], 1).is_err(), "PINGRESP before CONNACK");
    }

    #[test]
    fn keepalive_pings() {
        let mut o = MqttOptions::new("x");
        o.keepalive_s = 5;
        o.response_timeout_ms = 2_000;
        let mut c = MqttClient::new(o);
        c.connect(0).unwrap();
        c.feed(&[0x20, 2, 0, 0], 100).unwrap();
        while c.poll_transmit().is_some() {}
        assert_eq!(c.next_timeout(), Some(5_000));
        c.handle_timeout(4_999);
        assert!(c.poll_transmit().is_none());
        c.handle_timeout(5_000);
        assert_eq!(c.poll_transmit().unwrap(), vec![0xC0, 0]);
        assert_eq!(c.next_timeout(), Some(7_000));
        c.feed(&[0xD0, 0], 5_100).unwrap();
        assert_eq!(c.next_timeout(), Some(10_000));
        c.handle_timeout(10_000);
        assert_eq!(c.poll_transmit().unwrap(), vec![0xC0, 0]);
        // No PINGRESP: the session ends.
        c.handle_timeout(12_000);
        assert_eq!(c.state(), MqttState::Disconnected);
        let mut last = None;
        while let Some(e) = c.poll_event() {
            last = Some(e);
        }
        assert!(
            matches!(last, Some(MqttEvent::Disconnected { reason }) if reason.contains("PINGRESP"))
        );
    }

    #[test]
    fn long_remaining_length_encoding() {
        let body = vec![0u8; 200];
        let p = packet(0x30, &body);
        assert_eq!(&p[..3], &[0x30, 0xC8, 0x01]);
        assert_eq!(parse_fixed_header(&p).unwrap(), Some((0x30, 200, 3)));
    }
}
