//! The virtual device's MQTT client: the std driver of the runtime's sans-IO [`MqttSession`]
//! over a non-blocking std `TcpStream`.
//!
//! The session decides everything (when to connect and reconnect with back-off, subscribing
//! again after CONNACK, the board events and their bound, the limits on what waits to be sent);
//! this driver only carries it out: the TCP connect runs on a short-lived worker thread with a
//! timeout (`worker.rs`), so the device loop never blocks; reading (no more than the session's
//! `read_room`), writing and the session's timers happen in [`HostMqtt::poll_event`], which the
//! network backend calls every round, and after every [`Mqtt`] call. The session's reports go
//! to stderr (`ferrite device: MQTT connected to …`, and why it is down, once per reason).

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

use ferrite_runtime::board::{
    BoardEvent, BoardResult, Mqtt, MqttAction, MqttLimits, MqttSession, MqttStatus,
};

use super::worker::{connect_in_background, pollfd, WakeHandle};

/// How long a TCP connect may take (per address).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes read per poll (the rest waits for the next round).
const MAX_RX_PER_POLL: usize = 64 * 1024;

/// The driver's side of the connection.
enum Link {
    None,
    /// The worker thread is connecting.
    Connecting(Receiver<Result<TcpStream, String>>),
    Open(TcpStream),
}

/// The host's MQTT client connection; see the module documentation.
pub struct HostMqtt {
    session: MqttSession,
    link: Link,
    /// The latest time seen.
    now_ms: u64,
    /// Wakes the device loop when the connect worker finished.
    wake: WakeHandle,
}

impl Default for HostMqtt {
    fn default() -> Self {
        HostMqtt::new()
    }
}

impl HostMqtt {
    pub fn new() -> HostMqtt {
        HostMqtt::with_limits(MqttLimits::default())
    }

    /// A client whose session has the given bounds.
    pub fn with_limits(limits: MqttLimits) -> HostMqtt {
        HostMqtt {
            session: MqttSession::with_limits(limits),
            link: Link::None,
            now_ms: 0,
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
        if self.session.has_events() {
            return false;
        }
        if let Link::Open(stream) = &self.link {
            let mut ev = libc::POLLIN;
            if !self.session.transmit().is_empty() {
                ev |= libc::POLLOUT;
            }
            fds.push(pollfd(stream.as_raw_fd(), ev));
        }
        // Connecting: the worker wakes the loop; idle: the reconnect deadline does.
        true
    }

    /// The earliest time something is due (reconnect, keepalive), for the loop's sleep.
    pub fn next_deadline(&self) -> Option<u64> {
        let due = self.session.next_deadline();
        match self.link {
            // The connect worker wakes the loop; this is only a safety net.
            Link::Connecting(_) => {
                let net = self.now_ms + 1_000;
                Some(due.map_or(net, |d| d.min(net)))
            }
            _ => due,
        }
    }

    /// Drive the connection (connect, read, write, keepalive, reconnect) and return the next
    /// event for the runtime, if any. Never blocks.
    pub fn poll_event(&mut self, now_ms: u64) -> Option<BoardEvent> {
        self.now_ms = self.now_ms.max(now_ms);
        self.drive();
        let ev = self.session.take_event();
        self.print_reports();
        ev
    }

    fn drive(&mut self) {
        let now = self.now_ms;
        if let Link::Connecting(rx) = &self.link {
            match rx.try_recv() {
                Ok(Ok(stream)) => self.opened(stream),
                Ok(Err(e)) => self.ended(&e),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => self.ended("connect worker vanished"),
            }
        }
        if let Link::Open(_) = self.link {
            self.read();
        }
        self.session_ran(now);
    }

    /// After the session ran (time passed, an `Mqtt` call): carry out what it asks, write what
    /// it has to send, log its reports.
    fn session_ran(&mut self, now: u64) {
        while let Some(action) = self.session.poll(now) {
            match action {
                MqttAction::Connect { host, port } => self.start_connect(&host, port),
                MqttAction::Close { goodbye } => self.close(&goodbye),
            }
        }
        self.flush();
        self.print_reports();
    }

    fn start_connect(&mut self, host: &str, port: u16) {
        match connect_in_background(
            "mqtt-connect",
            host,
            port,
            CONNECT_TIMEOUT,
            self.wake.clone(),
        ) {
            Ok(rx) => self.link = Link::Connecting(rx),
            Err(e) => self.ended(&e),
        }
    }

    fn opened(&mut self, stream: TcpStream) {
        if let Err(e) = stream.set_nonblocking(true) {
            self.ended(&format!("set_nonblocking: {e}"));
            return;
        }
        let _ = stream.set_nodelay(true);
        if self.session.connected(self.now_ms) {
            self.link = Link::Open(stream);
        } else {
            let _ = stream.shutdown(Shutdown::Both);
            self.link = Link::None;
        }
    }

    /// The connection (or the connect) ended on this side: tell the session why.
    fn ended(&mut self, reason: &str) {
        if let Link::Open(stream) = &self.link {
            let _ = stream.shutdown(Shutdown::Both);
        }
        self.link = Link::None;
        self.session.closed(reason, self.now_ms);
    }

    /// The session dropped the link: write `goodbye` if the socket takes it now, close.
    fn close(&mut self, goodbye: &[u8]) {
        if let Link::Open(stream) = &mut self.link {
            let mut rest = goodbye;
            while !rest.is_empty() {
                match stream.write(rest) {
                    Ok(0) => break,
                    Ok(n) => rest = &rest[n..],
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = stream.shutdown(Shutdown::Both);
        }
        // A connect in progress is abandoned: its worker's result goes nowhere.
        self.link = Link::None;
    }

    /// Read what the broker sent, while the session has room (the rest waits in the socket for
    /// a later round).
    fn read(&mut self) {
        let mut buf = [0u8; 4096];
        let mut total = 0;
        let mut end: Option<String> = None;
        while total < MAX_RX_PER_POLL {
            let want = buf.len().min(self.session.read_room());
            let Link::Open(stream) = &mut self.link else {
                return;
            };
            if want == 0 {
                break;
            }
            match stream.read(&mut buf[..want]) {
                Ok(0) => {
                    end = Some("the broker closed the connection".into());
                    break;
                }
                Ok(n) => {
                    total += n;
                    self.session.feed(&buf[..n], self.now_ms);
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
            self.ended(&reason);
        }
    }

    /// Write what the session has to send; the socket takes what it can.
    fn flush(&mut self) {
        let Link::Open(stream) = &mut self.link else {
            return;
        };
        let mut failed = None;
        while !self.session.transmit().is_empty() {
            match stream.write(self.session.transmit()) {
                Ok(0) => {
                    failed = Some("write: connection closed".to_string());
                    break;
                }
                Ok(n) => self.session.consume(n),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    failed = Some(format!("write: {e}"));
                    break;
                }
            }
        }
        if let Some(reason) = failed {
            self.ended(&reason);
        }
    }

    /// Tell the person running the device what the session reported.
    fn print_reports(&mut self) {
        while let Some(r) = self.session.take_report() {
            eprintln!("ferrite device: {r}");
        }
    }
}

impl Mqtt for HostMqtt {
    fn status(&self) -> MqttStatus {
        self.session.status()
    }

    /// QoS 2 is sent as QoS 1. False when disconnected or when too much waits to be sent.
    fn publish(&mut self, topic: &str, payload: &[u8], qos: u8, retain: bool) -> bool {
        let ok = self.session.publish(topic, payload, qos, retain);
        self.session_ran(self.now_ms);
        ok
    }

    fn subscribe(&mut self, filter: &str) -> BoardResult<()> {
        let r = self.session.subscribe(filter);
        self.session_ran(self.now_ms);
        r
    }

    fn unsubscribe(&mut self, filter: &str) {
        self.session.unsubscribe(filter);
        self.session_ran(self.now_ms);
    }

    /// Closes the current connection at once (DISCONNECT sent if the socket takes it) and
    /// connects with the new configuration.
    fn configure(&mut self, enabled: bool, server: &str, client_id: &str, user: &str, pass: &str) {
        self.session
            .configure(enabled, server, client_id, user, pass);
        self.session_ran(self.now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::small_buffer;
    use super::*;
    use ferrite_runtime::board::mqtt_session::split_server;
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
        assert!(m.session.last_error().unwrap().contains("bad port"));
        assert!(m.status().enabled && !m.status().connected);
        assert_eq!(m.next_deadline(), None);
        m.configure(false, "", "t", "", "");
        assert!(!m.status().enabled);
        assert_eq!(m.session.last_error(), None);
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
        while m.session.last_error().is_none() && start.elapsed() < Duration::from_secs(5) {
            assert_eq!(m.poll_event(now), None);
            std::thread::sleep(Duration::from_millis(5));
            now += 5;
        }
        assert!(m.session.last_error().is_some());
        assert!(!m.status().connected);
        // The next attempt waits a second, the one after two.
        assert!(matches!(m.next_deadline(), Some(at_ms) if at_ms >= now && at_ms <= now + 1_000));
        assert_eq!(m.session.backoff_ms(), 2_000);
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
        let n = 3 * MqttLimits::default().max_events;
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let _ = read_packet(&mut s);
            let mut all = vec![0x20, 2, 0, 0];
            for i in 0..n {
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
        while seen.len() < n && epoch.elapsed() < Duration::from_secs(10) {
            match m.poll_event(epoch.elapsed().as_millis() as u64) {
                Some(e) => seen.push(e),
                None => std::thread::sleep(Duration::from_millis(2)),
            }
        }
        assert_eq!(seen.len(), n, "messages were lost");
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
        // The broker: send QoS 1 messages, which the device acknowledges, but never read.
        const N: u32 = 40_000;
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            small_buffer(&s, libc::SO_RCVBUF);
            let _ = read_packet(&mut s);
            let mut all = vec![0x20, 2, 0, 0];
            for i in 0..N {
                let id = ((i % 65_535) as u16 + 1).to_be_bytes();
                all.extend_from_slice(&[0x32, 5, 0, 1, b'a', id[0], id[1]]);
            }
            // Fails once the device dropped the connection.
            let _ = s.write_all(&all);
            // Keep the connection until the test ends.
            let _ = done_rx.recv();
        });
        let epoch = std::time::Instant::now();
        // Small bounds: a few KiB of acknowledgements the broker does not take are enough.
        let mut m = HostMqtt::with_limits(MqttLimits {
            max_tx_bytes: 2048,
            ..MqttLimits::default()
        });
        m.configure(true, &format!("127.0.0.1:{port}"), "dev", "", "");
        poll_until(&mut m, epoch, |s| s.contains(&BoardEvent::MqttConnected));
        let Link::Open(stream) = &m.link else {
            panic!("not open");
        };
        small_buffer(stream, libc::SO_SNDBUF);
        let seen = poll_until(&mut m, epoch, |s| s.contains(&BoardEvent::MqttDisconnected));
        assert!(
            seen.len() < N as usize,
            "dropped before all {N} messages: {}",
            seen.len()
        );
        assert!(!m.status().connected);
        assert!(
            m.session.last_error().unwrap().contains("does not read"),
            "{:?}",
            m.session.last_error()
        );
        let _ = done_tx.send(());
    }
}
