//! The virtual device's MQTT client: the sans-IO [`MqttClient`] of `ferrite-protocols` over a
//! non-blocking std `TcpStream`.
//!
//! [`HostMqtt::configure`] (re)connects to `host[:port]` (port 1883 unless given). The TCP
//! connect runs on a short-lived worker thread with a timeout, so the device loop never blocks;
//! everything else is non-blocking I/O done in [`HostMqtt::poll_event`], which the network
//! backend calls every round. When the broker goes away the client reconnects with a backoff
//! (1 s doubling to 30 s) and subscribes every filter again after the CONNACK.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

use ferrite_protocols::mqtt::{MqttClient, MqttEvent, MqttOptions};
use ferrite_runtime::board::{BoardError, BoardEvent, BoardResult, Mqtt, MqttStatus};

use super::worker::{connect_in_background, pollfd, WakeHandle};

/// The default MQTT port.
pub const DEFAULT_PORT: u16 = 1883;
/// How long a TCP connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// First and longest wait before reconnecting.
const BACKOFF_MIN_MS: u64 = 1_000;
const BACKOFF_MAX_MS: u64 = 30_000;
/// Bytes waiting to be written before publishes are refused.
const MAX_TX_BYTES: usize = 256 * 1024;
/// Bytes read per poll (the rest waits for the next round).
const MAX_RX_PER_POLL: usize = 64 * 1024;
/// "Never" as a time: no reconnect until reconfigured.
const NEVER: u64 = u64::MAX;
/// Board events waiting for the runtime; when that many wait, the socket is not read (the
/// broker's data waits in the kernel, nothing is dropped).
const MAX_EVENTS: usize = 256;

/// Split `host[:port]` (an IPv6 address in brackets if it has a port).
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
    user: String,
    pass: String,
}

/// Where the TCP connection is.
enum Link {
    /// Not connected; the next attempt at `at_ms` (if enabled).
    Idle { at_ms: u64 },
    /// The worker thread is connecting.
    Connecting(Receiver<Result<TcpStream, String>>),
    Open {
        stream: TcpStream,
        /// Bytes the socket did not take yet.
        tx: Vec<u8>,
    },
}

/// The host's MQTT client connection; see the module documentation.
pub struct HostMqtt {
    config: Config,
    client: MqttClient,
    link: Link,
    backoff_ms: u64,
    /// The filters subscribed (resubscribed after every reconnect), in order.
    filters: Vec<String>,
    /// Whether `MqttConnected` was reported (and `MqttDisconnected` is owed on loss).
    reported_up: bool,
    events: VecDeque<BoardEvent>,
    /// Why the last connection attempt or session ended (for logs and tests).
    pub last_error: Option<String>,
    /// The latest time seen.
    now_ms: u64,
    /// Wakes the device loop when the connect worker finished.
    wake: WakeHandle,
    /// The last reason printed for the person running the device.
    reported_error: Option<String>,
}

impl Default for HostMqtt {
    fn default() -> Self {
        HostMqtt::new()
    }
}

impl HostMqtt {
    pub fn new() -> HostMqtt {
        HostMqtt {
            config: Config::default(),
            client: MqttClient::new(MqttOptions::new("")),
            link: Link::Idle { at_ms: 0 },
            backoff_ms: BACKOFF_MIN_MS,
            filters: Vec::new(),
            reported_up: false,
            events: VecDeque::new(),
            last_error: None,
            now_ms: 0,
            reported_error: None,
            wake: WakeHandle::none(),
        }
    }

    /// Wake the device loop through `wake` when a connect finishes.
    pub fn set_waker(&mut self, wake: WakeHandle) {
        self.wake = wake;
    }

    /// Add the broker connection's descriptor to the loop's poll set. Returns `false` when
    /// the loop must come back soon regardless (events wait for the runtime).
    pub fn wait_fds(&self, fds: &mut Vec<libc::pollfd>) -> bool {
        use std::os::fd::AsRawFd;
        if !self.events.is_empty() {
            return false;
        }
        if let Link::Open { stream, tx } = &self.link {
            let mut ev = libc::POLLIN;
            if !tx.is_empty() {
                ev |= libc::POLLOUT;
            }
            fds.push(pollfd(stream.as_raw_fd(), ev));
        }
        // Connecting: the worker wakes the loop; idle: the reconnect deadline does.
        true
    }

    /// The earliest time something is due (reconnect, keepalive), for the loop's sleep.
    pub fn next_deadline(&self) -> Option<u64> {
        match &self.link {
            Link::Idle { at_ms } if self.config.enabled && *at_ms != NEVER => Some(*at_ms),
            Link::Idle { .. } => None,
            // The connect worker wakes the loop; this is only a safety net.
            Link::Connecting(_) => Some(self.now_ms + 1_000),
            Link::Open { .. } => self.client.next_timeout(),
        }
    }

    /// Drive the connection (connect, read, write, keepalive, reconnect) and return the next
    /// event for the runtime, if any. Never blocks.
    pub fn poll_event(&mut self, now_ms: u64) -> Option<BoardEvent> {
        self.now_ms = self.now_ms.max(now_ms);
        self.drive();
        self.events.pop_front()
    }

    fn push(&mut self, ev: BoardEvent) {
        self.events.push_back(ev);
    }

    /// The runtime has not taken the events it has: read nothing more for now.
    fn events_full(&self) -> bool {
        self.events.len() >= MAX_EVENTS
    }

    fn drive(&mut self) {
        let now = self.now_ms;
        match &mut self.link {
            Link::Idle { at_ms } => {
                if self.config.enabled && now >= *at_ms {
                    self.start_connect();
                }
            }
            Link::Connecting(rx) => match rx.try_recv() {
                Ok(Ok(stream)) => self.opened(stream),
                Ok(Err(e)) => self.lost(e),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => self.lost("connect worker vanished".into()),
            },
            Link::Open { .. } => {
                self.read();
                self.client.handle_timeout(now);
                self.handle_client_events();
                self.flush();
            }
        }
    }

    fn start_connect(&mut self) {
        let (host, port) = match split_server(&self.config.server) {
            Ok(hp) => hp,
            Err(e) => {
                self.report(&e);
                self.last_error = Some(e);
                // A bad server stays bad until reconfigured.
                self.link = Link::Idle { at_ms: NEVER };
                return;
            }
        };
        match connect_in_background(
            "mqtt-connect",
            &host,
            port,
            CONNECT_TIMEOUT,
            self.wake.clone(),
        ) {
            Ok(rx) => self.link = Link::Connecting(rx),
            Err(e) => self.lost(e),
        }
    }

    fn opened(&mut self, stream: TcpStream) {
        if let Err(e) = stream.set_nonblocking(true) {
            self.lost(format!("set_nonblocking: {e}"));
            return;
        }
        let _ = stream.set_nodelay(true);
        // The same client (and its unacknowledged QoS 1 publishes) until reconfigured.
        if let Err(e) = self.client.connect(self.now_ms) {
            self.lost(format!("{e}"));
            return;
        }
        self.link = Link::Open {
            stream,
            tx: Vec::new(),
        };
        self.flush();
    }

    /// Read what the broker sent, while the runtime has room for more events (the rest waits
    /// in the socket for a later round).
    fn read(&mut self) {
        let mut buf = [0u8; 4096];
        let mut total = 0;
        let mut end: Option<String> = None;
        // Events the client still holds go first.
        self.handle_client_events();
        while total < MAX_RX_PER_POLL && !self.events_full() {
            let Link::Open { stream, .. } = &mut self.link else {
                return;
            };
            // Every event takes at least 2 bytes of input: reading no more than twice the room
            // left means neither queue (the client's nor this one) can overflow.
            let room = MAX_EVENTS.saturating_sub(self.events.len());
            let want = buf.len().min(2 * room);
            match stream.read(&mut buf[..want]) {
                Ok(0) => {
                    end = Some("the broker closed the connection".into());
                    break;
                }
                Ok(n) => {
                    total += n;
                    if let Err(e) = self.client.feed(&buf[..n], self.now_ms) {
                        end = Some(format!("{e}"));
                        break;
                    }
                    self.handle_client_events();
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    end = Some(format!("read: {e}"));
                    break;
                }
            }
        }
        if let Some(reason) = end {
            self.client.connection_lost(&reason);
            self.handle_client_events();
        }
    }

    /// Write what the client produced; the socket takes what it can.
    fn flush(&mut self) {
        let Link::Open { stream, tx } = &mut self.link else {
            return;
        };
        while let Some(p) = self.client.poll_transmit() {
            tx.extend_from_slice(&p);
        }
        let mut failed = None;
        if tx.len() > 2 * MAX_TX_BYTES {
            // A broker that sends (e.g. QoS 1 messages to acknowledge) but does not read.
            failed = Some(format!(
                "the broker does not read: {} bytes unsent",
                tx.len()
            ));
            tx.clear();
        }
        while !tx.is_empty() && failed.is_none() {
            match stream.write(tx) {
                Ok(0) => {
                    failed = Some("write: connection closed".to_string());
                    break;
                }
                Ok(n) => {
                    tx.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    failed = Some(format!("write: {e}"));
                    break;
                }
            }
        }
        if let Some(reason) = failed {
            self.client.connection_lost(&reason);
            self.handle_client_events();
        }
    }

    /// Move the client's events to the queue for the runtime; those beyond [`MAX_EVENTS`] stay
    /// in the client until the runtime took some.
    fn handle_client_events(&mut self) {
        while !self.events_full() {
            let Some(ev) = self.client.poll_event() else {
                break;
            };
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
                    eprintln!("ferrite device: MQTT connected to {}", self.config.server);
                    self.push(BoardEvent::MqttConnected);
                }
                MqttEvent::Disconnected { reason } => self.lost(reason),
                MqttEvent::Message { topic, payload, .. } => {
                    self.push(BoardEvent::MqttMessage { topic, payload })
                }
                MqttEvent::SubAck { return_codes, .. } => {
                    if return_codes.contains(&0x80) {
                        self.last_error = Some("the broker refused a subscription".into());
                    }
                }
                MqttEvent::UnsubAck { .. } | MqttEvent::PubAck { .. } => {}
            }
        }
    }

    /// The connection ended or could not be made: report it and schedule a reconnect.
    fn lost(&mut self, reason: String) {
        if let Link::Open { stream, .. } = &self.link {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        self.client.connection_lost(&reason);
        // Drain the client's own Disconnected event (already being handled here).
        while let Some(ev) = self.client.poll_event() {
            if let MqttEvent::Message { topic, payload, .. } = ev {
                self.push(BoardEvent::MqttMessage { topic, payload });
            }
        }
        self.report(&reason);
        self.last_error = Some(reason);
        self.link = Link::Idle {
            at_ms: self.now_ms + self.backoff_ms,
        };
        self.backoff_ms = (self.backoff_ms * 2).min(BACKOFF_MAX_MS);
        if self.reported_up {
            self.reported_up = false;
            self.push(BoardEvent::MqttDisconnected);
        }
    }

    /// Tell the person running the device why MQTT is down (once per distinct reason, not at
    /// every retry).
    fn report(&mut self, reason: &str) {
        if self.reported_error.as_deref() != Some(reason) {
            eprintln!("ferrite device: MQTT {}: {reason}", self.config.server);
            self.reported_error = Some(reason.into());
        }
    }

    /// Close the connection without reconnecting (DISCONNECT is sent if possible).
    fn shutdown(&mut self) {
        if let Link::Open { .. } = self.link {
            self.client.disconnect();
            self.flush();
        }
        if let Link::Open { stream, .. } = &self.link {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        while self.client.poll_event().is_some() {}
        self.link = Link::Idle { at_ms: 0 };
        if self.reported_up {
            self.reported_up = false;
            self.push(BoardEvent::MqttDisconnected);
        }
    }
}

impl Mqtt for HostMqtt {
    fn status(&self) -> MqttStatus {
        MqttStatus {
            enabled: self.config.enabled,
            connected: self.client.is_connected() && matches!(self.link, Link::Open { .. }),
            server: self.config.server.clone(),
            client_id: self.config.client_id.clone(),
        }
    }

    /// QoS 2 is sent as QoS 1. False when disconnected or when too much waits to be sent.
    fn publish(&mut self, topic: &str, payload: &[u8], qos: u8, retain: bool) -> bool {
        let Link::Open { tx, .. } = &self.link else {
            return false;
        };
        if tx.len() > MAX_TX_BYTES {
            return false;
        }
        let ok = self.client.publish(topic, payload, qos, retain).is_ok();
        self.flush();
        ok
    }

    fn subscribe(&mut self, filter: &str) -> BoardResult<()> {
        if !ferrite_runtime::mqtt_topic::valid_filter(filter) {
            return Err(BoardError::InvalidArgument(format!(
                "topic filter {filter:?}"
            )));
        }
        if self.filters.iter().any(|f| f == filter) {
            return Ok(());
        }
        self.filters.push(filter.into());
        if self.client.is_connected() {
            // Sent now; otherwise it goes with the resubscription after CONNACK.
            let _ = self.client.subscribe(filter, 1);
            self.flush();
        }
        Ok(())
    }

    fn unsubscribe(&mut self, filter: &str) {
        let before = self.filters.len();
        self.filters.retain(|f| f != filter);
        if self.filters.len() != before && self.client.is_connected() {
            let _ = self.client.unsubscribe(filter);
            self.flush();
        }
    }

    fn configure(&mut self, enabled: bool, server: &str, client_id: &str, user: &str, pass: &str) {
        self.shutdown();
        self.config = Config {
            enabled: enabled && !server.trim().is_empty(),
            server: server.into(),
            client_id: client_id.into(),
            user: user.into(),
            pass: pass.into(),
        };
        let mut o = MqttOptions::new(client_id);
        o.user = Some(user.to_string()).filter(|u| !u.is_empty());
        o.pass = Some(pass.to_string()).filter(|_| !user.is_empty());
        self.client = MqttClient::new(o);
        self.backoff_ms = BACKOFF_MIN_MS;
        self.last_error = None;
        self.reported_error = None;
        self.link = Link::Idle { at_ms: 0 };
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::small_buffer;
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn servers() {
        assert_eq!(split_server("h").unwrap(), ("h".into(), 1883));
        assert_eq!(split_server("h:1884").unwrap(), ("h".into(), 1884));
        assert_eq!(split_server("[::1]:9").unwrap(), ("::1".into(), 9));
        assert_eq!(split_server("::1").unwrap(), ("::1".into(), 1883));
        assert!(split_server("h:x").is_err());
        assert!(split_server("").is_err());
    }

    #[test]
    fn a_bad_server_waits_for_a_new_config() {
        let mut m = HostMqtt::new();
        m.configure(true, "host:port", "t", "", "");
        assert_eq!(m.poll_event(0), None);
        assert!(m.last_error.as_deref().unwrap().contains("bad port"));
        assert!(m.status().enabled && !m.status().connected);
        assert_eq!(m.next_deadline(), None);
        m.configure(false, "", "t", "", "");
        assert!(!m.status().enabled);
        assert_eq!(m.last_error, None);
    }

    #[test]
    fn refused_connection_backs_off() {
        // A port nobody listens on: bind, take the port, close.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut m = HostMqtt::new();
        m.configure(true, &format!("127.0.0.1:{port}"), "t", "", "");
        let start = std::time::Instant::now();
        let mut now = 0;
        while m.last_error.is_none() && start.elapsed() < Duration::from_secs(5) {
            assert_eq!(m.poll_event(now), None);
            std::thread::sleep(Duration::from_millis(5));
            now += 5;
        }
        assert!(m.last_error.is_some());
        assert!(!m.status().connected);
        // The next attempt waits a second, the one after two.
        assert!(matches!(m.link, Link::Idle { at_ms } if at_ms >= now && at_ms <= now + 1_000));
        assert_eq!(m.backoff_ms, 2_000);
        assert!(!m.publish("a", b"b", 0, false));
    }

    /// One packet from a blocking stream: (first byte, body); `None` once it closed.
    fn read_packet(s: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
        let mut b = [0u8; 1];
        s.read_exact(&mut b).ok()?;
        let header = b[0];
        let (mut len, mut mult) = (0usize, 1usize);
        loop {
            s.read_exact(&mut b).ok()?;
            len += usize::from(b[0] & 0x7f) * mult;
            mult *= 128;
            if b[0] & 0x80 == 0 {
                break;
            }
        }
        let mut body = vec![0u8; len];
        s.read_exact(&mut body).ok()?;
        Some((header, body))
    }

    /// Poll `m` (real time) until `done` says so; returns the events seen.
    fn poll_until(
        m: &mut HostMqtt,
        epoch: std::time::Instant,
        done: impl Fn(&[BoardEvent]) -> bool,
    ) -> Vec<BoardEvent> {
        let mut seen = Vec::new();
        while !done(&seen) {
            assert!(epoch.elapsed() < Duration::from_secs(10), "stuck: {seen:?}");
            match m.poll_event(epoch.elapsed().as_millis() as u64) {
                Some(e) => seen.push(e),
                None => std::thread::sleep(Duration::from_millis(2)),
            }
        }
        seen
    }

    #[test]
    fn reconnect_resubscribes_and_resends_unacknowledged_qos1() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::channel::<(u8, Vec<u8>)>();
        // The broker: answer CONNECT and SUBSCRIBE, never PUBACK, drop the first connection
        // after the first PUBLISH; in the second, publish to the subscription once renewed.
        std::thread::spawn(move || {
            for round in 0..2 {
                let (mut s, _) = listener.accept().unwrap();
                while let Some((h, body)) = read_packet(&mut s) {
                    let _ = tx.send((h, body.clone()));
                    match h >> 4 {
                        1 => {
                            let _ = s.write_all(&[0x20, 2, 0, 0]);
                        }
                        8 => {
                            let _ = s.write_all(&[0x90, 3, body[0], body[1], 1]);
                            if round == 1 {
                                // Deliver a message to the renewed subscription.
                                let _ = s.write_all(&[0x30, 5, 0, 1, b'a', b'h', b'i']);
                            }
                        }
                        3 if round == 0 => break,
                        _ => {}
                    }
                }
            }
        });
        let epoch = std::time::Instant::now();
        let mut m = HostMqtt::new();
        m.configure(true, &format!("127.0.0.1:{port}"), "dev", "u", "p");
        m.subscribe("a").unwrap();
        poll_until(&mut m, epoch, |s| s.contains(&BoardEvent::MqttConnected));
        assert!(m.status().connected);
        assert!(m.publish("t", b"q1", 1, false));
        poll_until(&mut m, epoch, |s| s.contains(&BoardEvent::MqttDisconnected));
        assert!(!m.publish("t", b"lost", 0, false), "disconnected");
        poll_until(&mut m, epoch, |s| {
            s.contains(&BoardEvent::MqttMessage {
                topic: "a".into(),
                payload: b"hi".to_vec(),
            })
        });
        let packets: Vec<(u8, Vec<u8>)> = rx.try_iter().collect();
        let kinds: Vec<u8> = packets.iter().map(|(h, _)| *h).collect();
        // CONNECT, SUBSCRIBE, PUBLISH QoS 1; then CONNECT, the same PUBLISH with DUP, SUBSCRIBE
        // (resubscription after CONNACK; the resend was queued first).
        assert_eq!(
            kinds,
            vec![0x10, 0x82, 0x32, 0x10, 0x3A, 0x82],
            "{packets:?}"
        );
        assert_eq!(
            packets[2].1, packets[4].1,
            "the same publish, same packet id"
        );
        assert_eq!(&packets[5].1[2..], &[0, 1, b'a', 1]);
        // Credentials in CONNECT: user and password flags.
        assert_eq!(packets[0].1[7], 0xC2);
    }

    #[test]
    fn a_flood_of_messages_is_delivered_whole() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        const N: usize = 3 * MAX_EVENTS;
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let _ = read_packet(&mut s);
            let mut all = vec![0x20, 2, 0, 0];
            for i in 0..N {
                let p = (i as u16).to_be_bytes();
                all.extend_from_slice(&[0x30, 5, 0, 1, b'a', p[0], p[1]]);
            }
            s.write_all(&all).unwrap();
            while read_packet(&mut s).is_some() {}
        });
        let epoch = std::time::Instant::now();
        let mut m = HostMqtt::new();
        m.configure(true, &format!("127.0.0.1:{port}"), "dev", "", "");
        poll_until(&mut m, epoch, |s| s.contains(&BoardEvent::MqttConnected));
        // Everything is in the socket before the runtime takes the first message.
        std::thread::sleep(Duration::from_millis(200));
        let mut seen = Vec::new();
        while seen.len() < N && epoch.elapsed() < Duration::from_secs(10) {
            match m.poll_event(epoch.elapsed().as_millis() as u64) {
                Some(e) => seen.push(e),
                None => std::thread::sleep(Duration::from_millis(2)),
            }
        }
        assert_eq!(seen.len(), N, "messages were lost");
        for (i, e) in seen.iter().enumerate() {
            let p = (i as u16).to_be_bytes();
            let want = BoardEvent::MqttMessage {
                topic: "a".into(),
                payload: p.to_vec(),
            };
            assert_eq!(e, &want, "message {i}");
        }
    }

    #[test]
    fn a_broker_that_does_not_read_is_dropped() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            small_buffer(&s, libc::SO_RCVBUF);
            let _ = read_packet(&mut s);
            s.write_all(&[0x20, 2, 0, 0]).unwrap();
            // Never read again; keep the connection until the test ends.
            let _ = done_rx.recv();
        });
        let epoch = std::time::Instant::now();
        let mut m = HostMqtt::new();
        m.configure(true, &format!("127.0.0.1:{port}"), "dev", "", "");
        poll_until(&mut m, epoch, |s| s.contains(&BoardEvent::MqttConnected));
        let Link::Open { stream, tx } = &mut m.link else {
            panic!("not open");
        };
        small_buffer(stream, libc::SO_SNDBUF);
        // What a flood of QoS 1 messages leaves to acknowledge, beyond twice the bound.
        tx.resize(2 * MAX_TX_BYTES + 4, 0x40);
        poll_until(&mut m, epoch, |s| s.contains(&BoardEvent::MqttDisconnected));
        assert!(!m.status().connected);
        let _ = done_tx.send(());
    }
}
