//! The chip's MQTT connection end to end on the host: the runtime's `MqttSession` over a smoltcp
//! socket (`MqttLink`), talking to a broker played by the test on a listening socket in the same
//! interface, over smoltcp's loopback device.

mod support;

use ferrite_net::ON_LINK_ANSWER_MS;
use ferrite_runtime::board::mqtt_session::BACKOFF_MIN_MS;
use ferrite_runtime::board::{BoardEvent, Mqtt, Sockets};
use smoltcp::iface::SocketHandle;

use support::Device;

const BROKER_PORT: u16 = 1883;

struct Rig {
    dev: Device,
    broker: SocketHandle,
    /// Bytes the broker received and has not parsed yet.
    inbox: Vec<u8>,
    events: Vec<BoardEvent>,
}

impl Rig {
    fn new() -> Rig {
        let mut broker = None;
        let dev = Device::boot(|stack| {
            let h = stack.add_tcp(4096, 4096);
            stack.tcp(h).listen(BROKER_PORT).unwrap();
            broker = Some(h);
        });
        Rig {
            dev,
            broker: broker.unwrap(),
            inbox: Vec::new(),
            events: Vec::new(),
        }
    }

    fn round(&mut self) {
        self.round_on(true);
    }

    fn round_on(&mut self, associated: bool) {
        self.dev.round(10, associated);
        while let Some(e) = self.dev.mqtt.take_event() {
            self.events.push(e);
        }
        support::read_into(self.dev.net.stack().tcp(self.broker), &mut self.inbox);
    }

    /// Run until the broker received a whole packet; returns (type, body).
    fn broker_reads(&mut self) -> (u8, Vec<u8>) {
        for _ in 0..3_000 {
            if let Some((kind, body, used)) = parse_packet(&self.inbox) {
                self.inbox.drain(..used);
                return (kind, body);
            }
            self.round();
        }
        panic!("the broker got no packet; inbox {:?}", self.inbox);
    }

    fn broker_sends(&mut self, packet: &[u8]) {
        let socket = self.dev.net.stack().tcp(self.broker);
        assert_eq!(socket.send_slice(packet).unwrap(), packet.len());
    }

    fn wait_event(&mut self, want: impl Fn(&BoardEvent) -> bool) -> BoardEvent {
        for _ in 0..3_000 {
            if let Some(i) = self.events.iter().position(&want) {
                return self.events.remove(i);
            }
            self.round();
        }
        panic!("no such event; got {:?}", self.events);
    }
}

/// Whether a line of the device log holds `text`.
fn logged(rig: &Rig, text: &str) -> bool {
    let device = rig.dev.rt.device();
    let found = device.borrow().log.since(0).any(|l| l.text.contains(text));
    found
}

/// One MQTT packet from the front of `data`: (packet type, body after the fixed header, bytes).
fn parse_packet(data: &[u8]) -> Option<(u8, Vec<u8>, usize)> {
    let first = *data.first()?;
    let (mut len, mut shift, mut i) = (0usize, 0, 1);
    loop {
        let b = *data.get(i)?;
        len |= usize::from(b & 0x7F) << shift;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let body = data.get(i..i + len)?;
    Some((first >> 4, body.to_vec(), i + len))
}

fn publish_packet(topic: &str, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x30, (2 + topic.len() + payload.len()) as u8];
    p.extend_from_slice(&(topic.len() as u16).to_be_bytes());
    p.extend_from_slice(topic.as_bytes());
    p.extend_from_slice(payload);
    p
}

const CONNECT: u8 = 1;
const PUBLISH: u8 = 3;
const SUBSCRIBE: u8 = 8;
const DISCONNECT: u8 = 14;
const CONNACK: [u8; 4] = [0x20, 0x02, 0x00, 0x00];

#[test]
fn connects_subscribes_receives_publishes_and_reconnects() {
    let mut rig = Rig::new();
    rig.dev.mqtt.configure(true, "127.0.0.1", "dev-1", "", "");
    let (kind, body) = rig.broker_reads();
    assert_eq!(kind, CONNECT);
    assert!(body.windows(5).any(|w| w == b"dev-1"), "{body:?}");
    rig.broker_sends(&CONNACK);
    rig.wait_event(|e| *e == BoardEvent::MqttConnected);
    assert!(rig.dev.mqtt.status().connected);

    rig.dev.mqtt.subscribe("cmd/#").unwrap();
    let (kind, body) = rig.broker_reads();
    assert_eq!(kind, SUBSCRIBE);
    assert!(body.windows(5).any(|w| w == b"cmd/#"));
    rig.broker_sends(&[0x90, 0x03, body[0], body[1], 0x00]);

    rig.broker_sends(&publish_packet("cmd/led", b"on"));
    let e = rig.wait_event(|e| matches!(e, BoardEvent::MqttMessage { .. }));
    assert_eq!(
        e,
        BoardEvent::MqttMessage {
            topic: "cmd/led".into(),
            payload: b"on".to_vec()
        }
    );

    assert!(rig
        .dev
        .mqtt
        .publish("dev/state", b"{\"on\":true}", 0, false));
    let (kind, body) = rig.broker_reads();
    assert_eq!(kind, PUBLISH);
    assert_eq!(&body[2..11], b"dev/state");
    assert_eq!(&body[11..], b"{\"on\":true}");

    // The broker goes away: the runtime hears it once, the link comes back by itself (after
    // the 1 s back-off) and subscribes again.
    rig.dev.net.stack().tcp(rig.broker).close();
    rig.wait_event(|e| *e == BoardEvent::MqttDisconnected);
    for _ in 0..50 {
        rig.round();
    }
    let socket = rig.dev.net.stack().tcp(rig.broker);
    socket.abort();
    socket.listen(BROKER_PORT).unwrap();
    rig.inbox.clear();
    let (kind, _) = rig.broker_reads();
    assert_eq!(kind, CONNECT);
    rig.broker_sends(&CONNACK);
    rig.wait_event(|e| *e == BoardEvent::MqttConnected);
    let (kind, body) = rig.broker_reads();
    assert_eq!(kind, SUBSCRIBE);
    assert!(body.windows(5).any(|w| w == b"cmd/#"));
    assert!(
        !rig.events.contains(&BoardEvent::MqttDisconnected),
        "{:?}",
        rig.events
    );
}

#[test]
fn an_unreachable_broker_is_retried_with_a_reason() {
    let mut rig = Rig::new();
    // Nothing listens on 1884: the connect is reset, the session reports why and retries.
    rig.dev
        .mqtt
        .configure(true, "127.0.0.1:1884", "dev-1", "", "");
    for _ in 0..200 {
        rig.round();
    }
    assert!(!rig.dev.mqtt.status().connected);
    assert!(logged(&rig, "MQTT 127.0.0.1:1884"));
    assert!(rig.events.is_empty(), "{:?}", rig.events);
}

/// Losing the network ends the session at once (no frames move, so the connection would look
/// open for as long as the loss lasts); it connects again when the network is back.
#[test]
fn losing_the_network_ends_the_session_and_it_comes_back() {
    let mut rig = Rig::new();
    rig.dev.mqtt.configure(true, "127.0.0.1", "dev-1", "", "");
    assert_eq!(rig.broker_reads().0, CONNECT);
    rig.broker_sends(&CONNACK);
    rig.wait_event(|e| *e == BoardEvent::MqttConnected);
    rig.round_on(false);
    assert_eq!(rig.events, [BoardEvent::MqttDisconnected]);
    assert!(!rig.dev.mqtt.status().connected);
    rig.events.clear();
    // Still down: retries fail without a word to the runtime.
    for _ in 0..300 {
        rig.round_on(false);
    }
    assert!(rig.events.is_empty(), "{:?}", rig.events);
    // Back: the device forgot its end without a word (no frame could go); a real broker
    // drops its half-open end at its keepalive or when the client id connects again. Here the
    // played broker listens again, and a new connection comes.
    let socket = rig.dev.net.stack().tcp(rig.broker);
    socket.abort();
    socket.listen(BROKER_PORT).unwrap();
    rig.inbox.clear();
    assert_eq!(rig.broker_reads().0, CONNECT);
    rig.broker_sends(&CONNACK);
    rig.wait_event(|e| *e == BoardEvent::MqttConnected);
    assert!(logged(&rig, "the network connection was lost"));
}

/// A broker that went away (on the subnet, its address no longer resolves) is retried, and
/// between the tries the link leaves the interface's ARP requests (at most one a second for
/// all sockets) to others: a connect it gave up sends no reset, which smoltcp would retry with
/// an ARP request every second.
#[test]
fn a_broker_that_went_away_leaves_arp_to_other_sockets() {
    let mut rig = Rig::new();
    let started = rig.dev.now();
    rig.dev.mqtt.configure(true, "127.0.0.9", "dev-1", "", "");
    while !logged(&rig, "MQTT 127.0.0.9") {
        assert!(rig.dev.now() < 60_000, "the connect was never given up");
        rig.round();
    }
    // Given up after 3 s, not at the connect's own limit.
    assert!(logged(
        &rig,
        "no answer from the broker on the local network in 3 s (is it on?)"
    ));
    let took = rig.dev.now() - started;
    assert!(
        (ON_LINK_ANSWER_MS..ON_LINK_ANSWER_MS + 200).contains(&took),
        "given up after {took} ms"
    );
    // Just after the second try failed (no answer on the local network in 3 s), in its
    // back-off of twice the first.
    let second_failure = rig.dev.now() + BACKOFF_MIN_MS + ON_LINK_ANSWER_MS;
    while rig.dev.now() < second_failure + 50 {
        rig.round();
    }
    let c = rig
        .dev
        .sockets
        .tcp_connect("127.0.0.1", BROKER_PORT)
        .unwrap();
    let connected = rig
        .dev
        .connects_by(c, second_failure + 2 * BACKOFF_MIN_MS - 50);
    assert!(
        connected,
        "the script's connection got no ARP answer in the back-off"
    );
}

/// A session closed while the broker went silent: the goodbye and the FIN cannot go, and
/// smoltcp would retry them every second, for good (each time with an ARP request, where the
/// broker's address no longer resolves, that holds up every other socket's). After a few
/// seconds the link forgets the connection: once frames move again nothing more is sent.
#[test]
fn a_goodbye_the_broker_never_gets_is_given_up() {
    let mut rig = Rig::new();
    rig.dev.mqtt.configure(true, "127.0.0.1", "dev-1", "", "");
    assert_eq!(rig.broker_reads().0, CONNECT);
    rig.broker_sends(&CONNACK);
    rig.wait_event(|e| *e == BoardEvent::MqttConnected);
    rig.dev.cut.set(true);
    rig.dev.mqtt.configure(false, "127.0.0.1", "dev-1", "", "");
    for _ in 0..600 {
        rig.round();
    }
    rig.dev.cut.set(false);
    for _ in 0..3_000 {
        rig.round();
    }
    let broker = rig.dev.net.stack().tcp(rig.broker);
    assert_eq!(
        broker.state(),
        smoltcp::socket::tcp::State::Established,
        "the broker got a FIN the device should have given up"
    );
}

/// A new configuration while connected: the old broker gets the goodbye (DISCONNECT), before
/// the socket is reset for the new connection in the same round.
#[test]
fn a_new_configuration_says_goodbye_to_the_old_broker() {
    let mut rig = Rig::new();
    rig.dev.mqtt.configure(true, "127.0.0.1", "dev-1", "", "");
    assert_eq!(rig.broker_reads().0, CONNECT);
    rig.broker_sends(&CONNACK);
    rig.wait_event(|e| *e == BoardEvent::MqttConnected);
    rig.dev.mqtt.configure(true, "127.0.0.1", "dev-2", "", "");
    assert_eq!(rig.broker_reads().0, DISCONNECT);
}
