//! Scripts' TCP and UDP sockets on the chip, end to end on the host: `SharedSockets` (the
//! runtime's `Sockets`) and `SocketsLink` over smoltcp, with the peers played by the test on
//! sockets in the same interface, over smoltcp's loopback device. The last tests run TC53
//! scripts on a runtime whose board hands out these sockets, as the chip's does.

mod support;

use core::net::Ipv4Addr;

use ferrite_net::{CLOSE_TIMEOUT_MS, MAX_DATAGRAM, ON_LINK_ANSWER_MS, SCRIPT_SOCKETS, SEND_BUFFER};
use ferrite_runtime::board::{BoardEvent, HttpClient, SocketId, Sockets, StaticIpv4};
use ferrite_runtime::json::json;
use ferrite_runtime::rpc::{Origin, RpcReply};
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State;
use smoltcp::wire::{IpAddress, IpEndpoint};

use support::Device;

/// Where the played server listens.
const PORT: u16 = 7000;
/// Nothing listens here.
const CLOSED_PORT: u16 = 7001;
/// Where the played UDP peer is bound.
const UDP_PEER_PORT: u16 = 7200;
/// Rounds of 10 ms before a test gives up waiting (60 s of virtual time).
const ROUNDS: usize = 6_000;

struct Rig {
    dev: Device,
    /// The played server's listening sockets (one connection each).
    servers: Vec<SocketHandle>,
    /// The played UDP peer.
    udp_peer: SocketHandle,
    /// Socket events not yet looked at (without scripts: with, the runtime takes them).
    events: Vec<BoardEvent>,
    scripts: bool,
}

impl Rig {
    fn new() -> Rig {
        Rig::boot(false)
    }

    /// With `scripts`, the runtime's board hands the sockets to scripts (which then take the
    /// events); without, the test drives `SharedSockets` itself.
    fn boot(scripts: bool) -> Rig {
        let mut servers = Vec::new();
        let mut udp_peer = None;
        let add = |stack: &mut ferrite_net::NetStack<_>| {
            for _ in 0..2 {
                let h = stack.add_tcp(4096, 4096);
                stack.tcp(h).listen(PORT).unwrap();
                servers.push(h);
            }
            let u = stack.add_udp(4, 1500);
            stack.udp(u).close();
            stack.udp(u).bind(UDP_PEER_PORT).unwrap();
            udp_peer = Some(u);
        };
        let dev = if scripts {
            Device::boot_for_scripts(add)
        } else {
            Device::boot(add)
        };
        Rig {
            dev,
            servers,
            udp_peer: udp_peer.unwrap(),
            events: Vec::new(),
            scripts,
        }
    }

    fn round(&mut self) {
        self.round_on(true);
    }

    fn round_on(&mut self, associated: bool) {
        self.dev.round(10, associated);
        while let Some(e) = (!self.scripts)
            .then(|| self.dev.sockets.take_event())
            .flatten()
        {
            self.events.push(e);
        }
    }

    /// Run until an event `want` accepts arrives; take it.
    fn wait(&mut self, what: &str, want: impl Fn(&BoardEvent) -> bool) -> BoardEvent {
        for _ in 0..ROUNDS {
            if let Some(i) = self.events.iter().position(&want) {
                return self.events.remove(i);
            }
            self.round();
        }
        panic!("no {what}; events {:?}", self.events);
    }

    fn wait_connected(&mut self, socket: SocketId) {
        self.wait("SocketConnected", |e| {
            *e == BoardEvent::SocketConnected { socket }
        });
    }

    fn wait_closed(&mut self, socket: SocketId) -> Option<String> {
        match self.wait(
            "SocketClosed",
            |e| matches!(e, BoardEvent::SocketClosed { socket: s, .. } if *s == socket),
        ) {
            BoardEvent::SocketClosed { error, .. } => error,
            _ => unreachable!(),
        }
    }

    /// The data of `socket`'s `SocketData` events until `len` bytes came.
    fn read(&mut self, socket: SocketId, len: usize) -> Vec<u8> {
        let mut got = Vec::new();
        while got.len() < len {
            match self.wait(
                "SocketData",
                |e| matches!(e, BoardEvent::SocketData { socket: s, .. } if *s == socket),
            ) {
                BoardEvent::SocketData { data, from, .. } => {
                    assert_eq!(from, None);
                    got.extend(data);
                }
                _ => unreachable!(),
            }
        }
        got
    }

    /// The played server's socket that has a connection.
    fn server(&mut self) -> SocketHandle {
        for _ in 0..ROUNDS {
            for h in self.servers.clone() {
                if self.dev.net.stack().tcp(h).state() == State::Established {
                    return h;
                }
            }
            self.round();
        }
        panic!("nobody connected to the played server");
    }

    /// What server socket `h` received until `len` bytes came.
    fn server_reads(&mut self, h: SocketHandle, len: usize) -> Vec<u8> {
        let mut got = Vec::new();
        for _ in 0..ROUNDS {
            support::read_into(self.dev.net.stack().tcp(h), &mut got);
            if got.len() >= len {
                return got;
            }
            self.round();
        }
        panic!("the server got {} of {len} bytes", got.len());
    }

    /// Lookups go to a server nobody answers for (each runs until the connect deadline).
    fn use_a_silent_dns_server(&mut self) {
        self.dev
            .net
            .stack()
            .set_dns_servers(&[Ipv4Addr::new(127, 0, 0, 2)]);
    }

    /// A client socket of the test's, connecting to the device's `port`.
    fn client_connects(&mut self, port: u16) -> SocketHandle {
        let stack = self.dev.net.stack();
        let client = stack.add_tcp(1024, 1024);
        stack
            .tcp_connect(client, Ipv4Addr::new(127, 0, 0, 1), port)
            .unwrap();
        client
    }

    /// Run until listener `l` accepted a connection: its socket and peer.
    fn wait_accepted(&mut self, l: SocketId) -> (SocketId, String) {
        match self.wait(
            "SocketAccepted",
            |e| matches!(e, BoardEvent::SocketAccepted { listener, .. } if *listener == l),
        ) {
            BoardEvent::SocketAccepted { socket, peer, .. } => (socket, peer),
            _ => unreachable!(),
        }
    }

    /// A listener on `port`, in the stack with its spare listening socket.
    fn listen_with_a_spare(&mut self, port: u16) -> SocketId {
        let l = self.dev.sockets.tcp_listen(port).unwrap();
        self.round();
        assert_eq!(
            self.dev.sockets.held(),
            2,
            "a listening socket and its spare"
        );
        l
    }

    /// A hundred rounds, after which scripts hold no socket any more.
    fn settles_with_no_socket_held(&mut self) {
        for _ in 0..100 {
            self.round();
        }
        assert_eq!(self.dev.sockets.held(), 0);
    }

    fn server_sends(&mut self, h: SocketHandle, data: &[u8]) {
        let sent = self.dev.net.stack().tcp(h).send_slice(data).unwrap();
        assert_eq!(sent, data.len());
    }
}

#[test]
fn connects_exchanges_and_closes_gracefully() {
    let mut rig = Rig::new();
    let s = &mut rig.dev.sockets;
    let c = s.tcp_connect("127.0.0.1", PORT).unwrap();
    // Taken before the connection is up, sent when it is.
    assert_eq!(s.send(c, b"hello").unwrap(), 5);
    rig.wait_connected(c);
    let h = rig.server();
    assert_eq!(rig.server_reads(h, 5), b"hello");

    rig.server_sends(h, b"world");
    assert_eq!(rig.read(c, 5), b"world");

    // Larger than one event's chunk: arrives whole and in order.
    let big: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    rig.server_sends(h, &big);
    assert_eq!(rig.read(c, big.len()), big);

    // Closed by the script: what it queued goes first, then the FIN; no event follows.
    assert_eq!(rig.dev.sockets.send(c, b"bye").unwrap(), 3);
    rig.dev.sockets.close(c);
    assert!(rig.dev.sockets.send(c, b"x").is_err(), "closed");
    assert_eq!(rig.server_reads(h, 3), b"bye");
    for _ in 0..ROUNDS {
        if !rig.dev.net.stack().tcp(h).may_recv() {
            break;
        }
        rig.round();
    }
    assert_eq!(rig.dev.net.stack().tcp(h).state(), State::CloseWait);
    rig.dev.net.stack().tcp(h).close();
    for _ in 0..100 {
        rig.round();
    }
    assert_eq!(
        rig.dev.sockets.held(),
        0,
        "the socket and its buffers are gone"
    );
    assert!(rig.events.is_empty(), "{:?}", rig.events);
}

#[test]
fn a_peer_that_closes_or_resets_ends_the_connection() {
    let mut rig = Rig::new();
    let c = rig.dev.sockets.tcp_connect("127.0.0.1", PORT).unwrap();
    rig.wait_connected(c);
    let h = rig.server();
    rig.server_sends(h, b"last words");
    rig.dev.net.stack().tcp(h).close();
    // The data first, then the end.
    assert_eq!(rig.read(c, 10), b"last words");
    assert_eq!(rig.wait_closed(c), None);
    rig.settles_with_no_socket_held();
    // The device closed its side too: the server's connection is over.
    assert!(matches!(
        rig.dev.net.stack().tcp(h).state(),
        State::Closed | State::TimeWait
    ));

    let d = rig.dev.sockets.tcp_connect("127.0.0.1", PORT).unwrap();
    rig.wait_connected(d);
    let h = rig.server();
    rig.dev.net.stack().tcp(h).abort();
    let error = rig.wait_closed(d).expect("a reset is an error");
    assert!(error.contains("reset"), "{error}");
}

#[test]
fn refused_and_unanswered_connects_fail_with_a_reason() {
    let mut rig = Rig::new();
    let c = rig
        .dev
        .sockets
        .tcp_connect("127.0.0.1", CLOSED_PORT)
        .unwrap();
    let error = rig.wait_closed(c).unwrap();
    assert!(error.contains("refused"), "{error}");

    // Nobody on the local network has this address: no answer at all (not even to the ARP
    // requests), given up after 3 s, not the connect's 10 s, since until then its requests
    // come first for the interface's one a second.
    let start = rig.dev.now();
    let c = rig.dev.sockets.tcp_connect("127.0.0.2", PORT).unwrap();
    let error = rig.wait_closed(c).unwrap();
    assert_eq!(
        error,
        "cannot connect to 127.0.0.2:7000: no answer on the local network in 3 s (is it on?)"
    );
    let took = rig.dev.now() - start;
    assert!(
        (ON_LINK_ANSWER_MS..ON_LINK_ANSWER_MS + 100).contains(&took),
        "{took} ms"
    );

    // Two at once: the second's 3 s count from when the first is given up (until then the
    // first's lookups may take the interface's one ARP request a second).
    let start = rig.dev.now();
    let first = rig.dev.sockets.tcp_connect("127.0.0.2", PORT).unwrap();
    let second = rig.dev.sockets.tcp_connect("127.0.0.3", PORT).unwrap();
    let error = rig.wait_closed(first).unwrap();
    assert!(error.contains("no answer on the local network"), "{error}");
    let first_took = rig.dev.now() - start;
    let error = rig.wait_closed(second).unwrap();
    assert!(error.contains("127.0.0.3:7000: no answer"), "{error}");
    let second_took = rig.dev.now() - start;
    assert!(first_took < ON_LINK_ANSWER_MS + 100, "{first_took} ms");
    assert!(
        (first_took + ON_LINK_ANSWER_MS..first_took + ON_LINK_ANSWER_MS + 100)
            .contains(&second_took),
        "{first_took} ms, then {second_took} ms"
    );

    assert!(rig.dev.sockets.tcp_connect("", PORT).is_err());
    assert!(rig.dev.sockets.tcp_connect("127.0.0.1", 0).is_err());
    for _ in 0..10 {
        rig.round();
    }
    assert_eq!(rig.dev.sockets.held(), 0);
}

#[test]
fn lookups_wait_for_a_free_dns_slot() {
    // A server nobody answers for: every lookup runs until the connect deadline. The stack
    // has room for three at once; the others wait for a slot instead of failing.
    let mut rig = Rig::new();
    rig.use_a_silent_dns_server();
    for _ in 0..10 {
        rig.round();
    }
    // The SNTP client's, of the default server.
    let device_own = rig.dev.net.stack().lookups_pending();
    let ids: Vec<SocketId> = (0..5)
        .map(|i| {
            rig.dev
                .sockets
                .tcp_connect(&format!("host{i}.test"), PORT)
                .unwrap()
        })
        .collect();
    for _ in 0..10 {
        rig.round();
    }
    // Scripts take two of the six slots; the other four stay for the device's own lookups,
    // which start at once.
    assert_eq!(rig.dev.net.stack().lookups_pending(), device_own + 2);
    let http = rig
        .dev
        .http
        .start(ferrite_runtime::board::HttpRequest {
            method: "GET".into(),
            url: "http://web.test/".into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout_ms: 1_000,
        })
        .unwrap();
    for _ in 0..10 {
        rig.round();
    }
    assert_eq!(rig.dev.net.stack().lookups_pending(), device_own + 3);
    for id in ids {
        let error = rig.wait_closed(id).unwrap();
        assert!(error.contains("longer than"), "{id}: {error}");
    }
    let Some(BoardEvent::HttpDone { id, result }) = rig.dev.http.take_event() else {
        panic!("the HTTP request did not end");
    };
    assert_eq!(
        (id, result.unwrap_err()),
        (http, "timeout after 1000 ms".into())
    );
    // The given-up lookups are cancelled once (a second cancel of a freed slot would panic in
    // smoltcp), and the sockets go.
    rig.settles_with_no_socket_held();
    assert!(rig.dev.net.stack().lookups_pending() <= device_own);
}

#[test]
fn closing_or_losing_the_network_during_a_lookup() {
    let mut rig = Rig::new();
    rig.use_a_silent_dns_server();
    // Closed by the script while its name is being looked up: no event, the lookup cancelled.
    let a = rig.dev.sockets.tcp_connect("a.test", PORT).unwrap();
    rig.round();
    rig.dev.sockets.close(a);
    // The network goes while another lookup runs: the connect fails with a reason.
    let b = rig.dev.sockets.tcp_connect("b.test", PORT).unwrap();
    rig.round();
    rig.round_on(false);
    let error = rig.wait_closed(b).unwrap();
    assert!(error.contains("no network"), "{error}");
    rig.settles_with_no_socket_held();
    assert!(rig.events.is_empty(), "{:?}", rig.events);
    // The DNS slots are free again: three lookups start at once and all run to the deadline.
    let ids: Vec<SocketId> = (0..3)
        .map(|i| {
            rig.dev
                .sockets
                .tcp_connect(&format!("c{i}.test"), PORT)
                .unwrap()
        })
        .collect();
    for id in ids {
        let error = rig.wait_closed(id).unwrap();
        assert!(error.contains("longer than"), "{error}");
    }
}

#[test]
fn a_peer_that_answers_and_closes_before_the_link_looks() {
    // The stack runs twice per round (frames in at the start, out at the end); between two
    // rounds of the link a fast server can accept, send its banner and close. The script still
    // gets connected, the banner, then the end.
    let mut rig = Rig::new();
    let c = rig.dev.sockets.tcp_connect("127.0.0.1", PORT).unwrap();
    rig.round();
    let now = rig.dev.now();
    let mut server = None;
    for _ in 0..20 {
        rig.dev.net.stack().transmit(now);
        server = rig
            .servers
            .clone()
            .into_iter()
            .find(|h| rig.dev.net.stack().tcp(*h).state() == State::Established);
        if server.is_some() {
            break;
        }
    }
    let h = server.expect("the handshake completes on the stack alone");
    rig.server_sends(h, b"220 busy");
    rig.dev.net.stack().tcp(h).close();
    for _ in 0..5 {
        rig.dev.net.stack().transmit(now);
    }
    rig.round();
    assert_eq!(
        rig.events.first(),
        Some(&BoardEvent::SocketConnected { socket: c }),
        "{:?}",
        rig.events
    );
    assert_eq!(rig.read(c, 8), b"220 busy");
    assert_eq!(rig.wait_closed(c), None);

    // A client that connects, sends its request and closes its side at once is accepted too.
    let l = rig.dev.sockets.tcp_listen(7100).unwrap();
    rig.round();
    let client = rig.client_connects(7100);
    let now = rig.dev.now();
    for _ in 0..20 {
        rig.dev.net.stack().transmit(now);
        if rig.dev.net.stack().tcp(client).state() == State::Established {
            break;
        }
    }
    rig.server_sends(client, b"GET");
    rig.dev.net.stack().tcp(client).close();
    for _ in 0..5 {
        rig.dev.net.stack().transmit(now);
    }
    let (socket, _) = rig.wait_accepted(l);
    assert_eq!(rig.read(socket, 3), b"GET");
    assert_eq!(rig.wait_closed(socket), None);
}

#[test]
fn writes_are_bounded_and_writable_follows_a_short_one() {
    let mut rig = Rig::new();
    let c = rig.dev.sockets.tcp_connect("127.0.0.1", PORT).unwrap();
    rig.wait_connected(c);
    let h = rig.server();
    // The server does not read: the socket's buffers and then `send`'s fill up.
    let chunk = vec![7u8; 1000];
    let mut total = 0;
    let mut short = None;
    for _ in 0..100 {
        let n = rig.dev.sockets.send(c, &chunk).unwrap();
        total += n;
        if n < chunk.len() {
            short = Some(n);
            break;
        }
        rig.round();
    }
    assert!(short.is_some(), "send never came up short ({total} taken)");
    assert!(total >= SEND_BUFFER, "{total}");
    assert!(!rig
        .events
        .contains(&BoardEvent::SocketWritable { socket: c }));
    // Once the server reads, everything arrives, and the socket says it can take more.
    assert_eq!(rig.server_reads(h, total).len(), total);
    rig.wait("SocketWritable", |e| {
        *e == BoardEvent::SocketWritable { socket: c }
    });
}

#[test]
fn a_listener_accepts_connection_after_connection() {
    let mut rig = Rig::new();
    let s = &mut rig.dev.sockets;
    let port = 7100;
    let l = s.tcp_listen(port).unwrap();
    let e = s.tcp_listen(port).unwrap_err().to_string();
    assert!(e.contains("in use"), "{e}");
    let e = s.tcp_listen(80).unwrap_err().to_string();
    assert!(e.contains("RPC"), "{e}");

    let mut accepted = Vec::new();
    for i in 0..3u8 {
        let client = rig.client_connects(port);
        let (socket, peer) = rig.wait_accepted(l);
        assert!(peer.starts_with("127.0.0.1:"), "{peer}");
        assert_eq!(rig.dev.sockets.send(socket, &[b'a' + i]).unwrap(), 1);
        assert_eq!(rig.server_reads(client, 1), [b'a' + i]);
        rig.server_sends(client, &[b'A' + i]);
        assert_eq!(rig.read(socket, 1), [b'A' + i]);
        accepted.push(socket);
    }
    // Closing the listener leaves its connections open.
    rig.dev.sockets.close(l);
    rig.round();
    assert_eq!(rig.dev.sockets.send(accepted[0], b"still").unwrap(), 5);
    for c in accepted {
        rig.dev.sockets.close(c);
    }
    for _ in 0..(CLOSE_TIMEOUT_MS / 10 + 10) {
        rig.round();
    }
    assert_eq!(rig.dev.sockets.held(), 0);
    // The port is free again.
    rig.dev.sockets.tcp_listen(port).unwrap();
}

/// Clients whose SYNs arrive in the same round are all taken while the listener has its spare
/// listening socket (smoltcp resets a SYN that finds no socket listening).
#[test]
fn a_listener_takes_two_clients_that_connect_at_once() {
    let mut rig = Rig::new();
    let port = 7100;
    let l = rig.listen_with_a_spare(port);
    let clients = [rig.client_connects(port), rig.client_connects(port)];
    let mut accepted = vec![rig.wait_accepted(l).0, rig.wait_accepted(l).0];
    for (i, client) in clients.into_iter().enumerate() {
        assert_eq!(rig.dev.net.stack().tcp(client).state(), State::Established);
        rig.server_sends(client, &[b'a' + i as u8]);
    }
    // Each client reached its own connection.
    let mut got = Vec::new();
    for &socket in &accepted {
        got.extend(rig.read(socket, 1));
    }
    got.sort();
    assert_eq!(got, b"ab");
    // Both sockets listen again for the next pair.
    assert_eq!(rig.dev.sockets.held(), 4);
    let third = rig.client_connects(port);
    let fourth = rig.client_connects(port);
    accepted.push(rig.wait_accepted(l).0);
    accepted.push(rig.wait_accepted(l).0);
    for client in [third, fourth] {
        assert_eq!(rig.dev.net.stack().tcp(client).state(), State::Established);
    }
    rig.dev.sockets.close(l);
    for c in accepted {
        rig.dev.sockets.close(c);
    }
    for _ in 0..(CLOSE_TIMEOUT_MS / 10 + 10) {
        rig.round();
    }
    assert_eq!(rig.dev.sockets.held(), 0);
}

/// The spare listening socket gives way to a script's sockets: a script may open as many as
/// without it, in one turn too, and the spare goes at the next round, before they enter the
/// stack; the listener keeps taking clients with one.
#[test]
fn a_listeners_spare_gives_way_to_other_sockets() {
    let mut rig = Rig::new();
    let port = 7100;
    let l = rig.listen_with_a_spare(port);
    // In one turn: every socket but the listener's own.
    let mut fillers: Vec<SocketId> = (1..SCRIPT_SOCKETS)
        .map(|_| rig.dev.sockets.udp_bind(0).unwrap())
        .collect();
    let e = rig.dev.sockets.udp_bind(0).unwrap_err().to_string();
    assert!(e.contains("too many sockets"), "{e}");
    rig.round();
    assert_eq!(rig.dev.sockets.held(), SCRIPT_SOCKETS, "the spare went");
    rig.client_connects(port);
    let (c, _) = rig.wait_accepted(l);
    // A freed socket brings a listening socket back, but no spare while only one is free.
    rig.dev.sockets.close(fillers.pop().unwrap());
    for _ in 0..3 {
        rig.round();
    }
    assert_eq!(rig.dev.sockets.held(), SCRIPT_SOCKETS);
    rig.client_connects(port);
    let (c2, _) = rig.wait_accepted(l);
    rig.dev.sockets.close(c);
    rig.dev.sockets.close(c2);
    rig.dev.sockets.close(fillers.pop().unwrap());
    for _ in 0..(CLOSE_TIMEOUT_MS / 10 + 10) {
        rig.round();
    }
    assert_eq!(
        rig.dev.sockets.held(),
        SCRIPT_SOCKETS - 1,
        "with three free the spare listens again, leaving one"
    );
}

/// Broadcasts both ways: a script's socket sends to the limited broadcast address and to its
/// subnet's, and receives a datagram a peer broadcast to its port.
#[test]
fn udp_broadcasts_both_ways() {
    let mut rig = Rig::new();
    let u = rig.dev.sockets.udp_bind(7310).unwrap();
    rig.round();
    for to in ["255.255.255.255", "127.255.255.255"] {
        rig.dev
            .sockets
            .send_to(u, to, UDP_PEER_PORT, to.as_bytes())
            .unwrap();
        let mut got = None;
        for _ in 0..ROUNDS {
            let peer = rig.dev.net.stack().udp(rig.udp_peer);
            if let Ok((data, _)) = peer.recv() {
                got = Some(data.to_vec());
                break;
            }
            rig.round();
        }
        assert_eq!(got.as_deref(), Some(to.as_bytes()), "sent to {to}");
    }
    let peer = rig.dev.net.stack().udp(rig.udp_peer);
    let all = IpEndpoint::new(IpAddress::Ipv4(Ipv4Addr::BROADCAST), 7310);
    peer.send_slice(b"to all", all).unwrap();
    match rig.wait("SocketData", |e| matches!(e, BoardEvent::SocketData { .. })) {
        BoardEvent::SocketData { socket, data, .. } => {
            assert_eq!(socket, u);
            assert_eq!(data, b"to all");
        }
        _ => unreachable!(),
    }
}

#[test]
fn udp_datagrams_both_ways() {
    let mut rig = Rig::new();
    let u = rig.dev.sockets.udp_bind(0).unwrap();
    rig.round();
    rig.dev
        .sockets
        .send_to(u, "127.0.0.1", UDP_PEER_PORT, b"ping")
        .unwrap();
    let mut from = None;
    for _ in 0..ROUNDS {
        let peer = rig.dev.net.stack().udp(rig.udp_peer);
        if let Ok((data, meta)) = peer.recv() {
            assert_eq!(data, b"ping");
            from = Some(meta.endpoint);
            break;
        }
        rig.round();
    }
    let from = from.expect("the peer got the datagram");
    assert!(from.port >= 49152, "an ephemeral port: {from}");
    let reply = IpEndpoint::new(IpAddress::Ipv4(Ipv4Addr::new(127, 0, 0, 1)), from.port);
    let peer = rig.dev.net.stack().udp(rig.udp_peer);
    peer.send_slice(b"pong", reply).unwrap();
    match rig.wait("SocketData", |e| matches!(e, BoardEvent::SocketData { .. })) {
        BoardEvent::SocketData { socket, data, from } => {
            assert_eq!(socket, u);
            assert_eq!(data, b"pong");
            assert_eq!(from, Some((String::from("127.0.0.1"), UDP_PEER_PORT)));
        }
        _ => unreachable!(),
    }

    let s = &mut rig.dev.sockets;
    let e = s.send_to(u, "peer.test", 9, b"x").unwrap_err().to_string();
    assert!(e.contains("IPv4 address"), "{e}");
    let e = s
        .send_to(u, "127.0.0.1", 9, &[0; MAX_DATAGRAM + 1])
        .unwrap_err()
        .to_string();
    assert!(e.contains("at most"), "{e}");
    assert!(s.send(u, b"x").is_err(), "send on UDP");
    let e = s.udp_bind(5353).unwrap_err().to_string();
    assert!(e.contains("in use"), "mDNS's port: {e}");
    let bound = s.udp_bind(7300).unwrap();
    assert!(s.udp_bind(7300).is_err());
    s.close(bound);
    // The device's SNTP client has a port of its own, refused at once too.
    let sntp = (49152..=65535)
        .find(|p| *p != from.port && rig.dev.net.stack().udp_port_in_use(*p))
        .expect("the SNTP client's port");
    let e = rig.dev.sockets.udp_bind(sntp).unwrap_err().to_string();
    assert!(e.contains("in use"), "SNTP's port {sntp}: {e}");

    // Datagrams queued and the socket closed at once: they still go, then the socket does.
    let s = &mut rig.dev.sockets;
    let quick = s.udp_bind(0).unwrap();
    s.send_to(quick, "127.0.0.1", UDP_PEER_PORT, b"one")
        .unwrap();
    s.send_to(quick, "127.0.0.1", UDP_PEER_PORT, b"two")
        .unwrap();
    s.close(quick);
    let mut got = Vec::new();
    for _ in 0..100 {
        let peer = rig.dev.net.stack().udp(rig.udp_peer);
        while let Ok((data, _)) = peer.recv() {
            got.push(data.to_vec());
        }
        rig.round();
    }
    assert_eq!(got, [b"one".to_vec(), b"two".to_vec()]);
    assert_eq!(rig.dev.sockets.held(), 1, "only the first socket is left");

    // A socket closed with datagrams still queued gives its port up at once to a new one.
    let s = &mut rig.dev.sockets;
    let old = s.udp_bind(7301).unwrap();
    s.send_to(old, "127.0.0.1", UDP_PEER_PORT, b"late").unwrap();
    s.close(old);
    let new = s.udp_bind(7301).unwrap();
    rig.round();
    rig.round();
    let peer = rig.dev.net.stack().udp(rig.udp_peer);
    peer.send_slice(
        b"to 7301",
        IpEndpoint::new(IpAddress::Ipv4(Ipv4Addr::new(127, 0, 0, 1)), 7301),
    )
    .unwrap();
    match rig.wait("SocketData", |e| matches!(e, BoardEvent::SocketData { .. })) {
        BoardEvent::SocketData { socket, data, .. } => {
            assert_eq!((socket, data.as_slice()), (new, &b"to 7301"[..]));
        }
        _ => unreachable!(),
    }
    rig.dev.sockets.close(new);

    // Empty datagrams are refused on the chip: smoltcp counts a queue in bytes, so one stuck
    // waiting for a neighbour would never be seen as stuck (and was queued without bound
    // once).
    let e = rig
        .dev
        .sockets
        .send_to(u, "127.0.0.1", UDP_PEER_PORT, &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("empty datagram"), "{e}");
}

/// A datagram to a host that went away (on the subnet, its address no longer resolves) is
/// dropped after a while: smoltcp would retry it, with an ARP request every second, for good,
/// and the interface sends at most one a second for all sockets, so no other socket could
/// look a neighbour up. Here a connection's lookup goes through once it is dropped.
#[test]
fn a_datagram_to_a_host_that_went_away_does_not_hold_up_other_sockets() {
    let mut rig = Rig::new();
    let u = rig.dev.sockets.udp_bind(7300).unwrap();
    rig.round();
    rig.dev
        .sockets
        .send_to(u, "127.0.0.9", 9, b"to nobody")
        .unwrap();
    for _ in 0..20 {
        rig.round();
    }
    let c = rig.dev.sockets.tcp_connect("127.0.0.1", PORT).unwrap();
    rig.wait_connected(c);
    // The socket still works.
    let peer = rig.udp_peer;
    rig.dev
        .sockets
        .send_to(u, "127.0.0.1", UDP_PEER_PORT, b"hello")
        .unwrap();
    let mut got = None;
    for _ in 0..100 {
        rig.round();
        if let Ok((data, _)) = rig.dev.net.stack().udp(peer).recv() {
            got = Some(data.to_vec());
            break;
        }
    }
    assert_eq!(got.as_deref(), Some(&b"hello"[..]));
}

/// A socket that sends a datagram every round, for longer than a stalled datagram may wait,
/// loses none: each round's goes out, so its queue is never stalled.
#[test]
fn a_steady_stream_of_datagrams_is_not_taken_for_a_stalled_one() {
    let mut rig = Rig::new();
    let u = rig.dev.sockets.udp_bind(7301).unwrap();
    rig.round();
    let peer = rig.udp_peer;
    let mut received = 0;
    let rounds = 500;
    for i in 0..rounds {
        let datagram = vec![i as u8; MAX_DATAGRAM];
        rig.dev
            .sockets
            .send_to(u, "127.0.0.1", UDP_PEER_PORT, &datagram)
            .unwrap();
        rig.round();
        while let Ok((data, _)) = rig.dev.net.stack().udp(peer).recv() {
            assert_eq!(data.len(), MAX_DATAGRAM);
            received += 1;
        }
    }
    for _ in 0..10 {
        rig.round();
        while rig.dev.net.stack().udp(peer).recv().is_ok() {
            received += 1;
        }
    }
    assert_eq!(received, rounds, "datagrams lost");
}

#[test]
fn scripts_hold_a_bounded_number_of_sockets_and_free_them() {
    let mut rig = Rig::new();
    let s = &mut rig.dev.sockets;
    let ids: Vec<SocketId> = (0..SCRIPT_SOCKETS)
        .map(|_| s.udp_bind(0).unwrap())
        .collect();
    let e = s.udp_bind(0).unwrap_err().to_string();
    assert!(e.contains("too many sockets"), "{e}");
    assert!(s.tcp_connect("127.0.0.1", PORT).is_err());
    rig.round();
    for id in ids {
        rig.dev.sockets.close(id);
    }
    rig.round();
    assert_eq!(rig.dev.sockets.held(), 0);
    rig.dev.sockets.udp_bind(0).unwrap();
}

/// A new address (a DHCP lease for another one, a static one set while up) ends the old
/// address's connections: nothing answers it any more. New ones work from the new address.
#[test]
fn a_new_address_ends_the_old_addresss_connections() {
    let mut rig = Rig::new();
    let c = rig.dev.sockets.tcp_connect("127.0.0.1", PORT).unwrap();
    rig.wait_connected(c);
    rig.dev.net.stack().apply_ipv4(Some(StaticIpv4 {
        ip: [127, 0, 0, 2],
        prefix_len: 8,
        gateway: None,
        nameserver: None,
    }));
    let error = rig.wait_closed(c).expect("an error");
    assert!(error.contains("reset"), "{error}");
    // Nothing was sent from the old address: the played server's end was forgotten too.
    for h in rig.servers.clone() {
        let server = rig.dev.net.stack().tcp(h);
        assert!(server.remote_endpoint().is_none(), "{}", server.state());
    }
    // And the new connection goes through at once: no reset from the old address holds up
    // the interface's ARP requests (one a second for all sockets).
    let d = rig.dev.sockets.tcp_connect("127.0.0.2", PORT).unwrap();
    let started = rig.dev.now();
    rig.wait_connected(d);
    let took = rig.dev.now() - started;
    assert!(took < 1_500, "connected after {took} ms");
}

#[test]
fn losing_the_network_ends_connections() {
    let mut rig = Rig::new();
    let c = rig.dev.sockets.tcp_connect("127.0.0.1", PORT).unwrap();
    rig.wait_connected(c);
    let u = rig.dev.sockets.udp_bind(0).unwrap();
    rig.round_on(false);
    let error = rig.wait_closed(c).unwrap();
    assert!(error.contains("lost"), "{error}");
    let e = rig
        .dev
        .sockets
        .send_to(u, "127.0.0.1", UDP_PEER_PORT, b"x")
        .unwrap_err()
        .to_string();
    assert!(e.contains("no network"), "{e}");
    let d = rig.dev.sockets.tcp_connect("127.0.0.1", PORT).unwrap();
    rig.round_on(false);
    let error = rig.wait_closed(d).unwrap();
    assert!(error.contains("no network"), "{error}");
}

fn ok(r: RpcReply) {
    match r {
        RpcReply::Done(Ok(_)) => {}
        RpcReply::Done(Err(e)) => panic!("rpc failed: {e}"),
        RpcReply::Pending(_) => panic!("rpc pending"),
    }
}

/// Run `code` as script 1 on the rig's runtime.
fn start_script(rig: &mut Rig, code: &str) {
    let rt = &mut rig.dev.rt;
    ok(rt.rpc("Script.Create", json!({"name": "t"}), Origin::Transport));
    ok(rt.rpc(
        "Script.PutCode",
        json!({"id": 1, "code": code}),
        Origin::Transport,
    ));
    ok(rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport));
}

/// Run until the device log has a line containing `text`; all the lines so far.
fn wait_log(rig: &mut Rig, text: &str) -> Vec<String> {
    for _ in 0..ROUNDS {
        let lines: Vec<String> = {
            let device = rig.dev.rt.device();
            let d = device.borrow();
            d.log.since(0).map(|l| l.text.clone()).collect()
        };
        if lines.iter().any(|l| l.contains(text)) {
            return lines;
        }
        rig.round();
    }
    let device = rig.dev.rt.device();
    let d = device.borrow();
    let lines: Vec<String> = d.log.since(0).map(|l| l.text.clone()).collect();
    panic!("no log line with {text:?}: {lines:#?}");
}

#[test]
fn a_tc53_script_talks_tcp_through_the_chips_sockets() {
    let mut rig = Rig::boot(true);
    start_script(
        &mut rig,
        r#"
const text = (b) => String.fromCharCode.apply(null, Array.from(new Uint8Array(b)));
const t = new TCP({address: "127.0.0.1", port: 7000,
  onWritable(n) { print("writable", n); this.write(Uint8Array.of(104, 105)); },
  onReadable(n) { print("tcp got", text(this.read())); this.close(); print("closed"); },
  onError(e) { print("tcp error", e); }});
"#,
    );
    wait_log(&mut rig, "writable 1460");
    let h = rig.server();
    assert_eq!(rig.server_reads(h, 2), b"hi");
    rig.server_sends(h, b"ho");
    let lines = wait_log(&mut rig, "closed");
    assert!(lines.iter().any(|l| l.contains("tcp got ho")), "{lines:#?}");
    let writable = lines.iter().filter(|l| l.contains("writable")).count();
    assert_eq!(writable, 1, "once, when connected: {lines:#?}");
    // The script's close reaches the server as a FIN (not a reset).
    for _ in 0..ROUNDS {
        if !rig.dev.net.stack().tcp(h).may_recv() {
            break;
        }
        rig.round();
    }
    assert_eq!(rig.dev.net.stack().tcp(h).state(), State::CloseWait);
}

#[test]
fn a_tc53_script_serves_tcp_and_echoes_udp() {
    let mut rig = Rig::boot(true);
    start_script(
        &mut rig,
        r#"
const l = new Listener({port: 7100, onReadable(n) {
  const c = new TCP({from: this.read(), onReadable() { const d = this.read(); this.write(d); this.close(); }});
  print("accepted");
}});
const u = new UDP({port: 7300, onReadable(n) {
  const p = this.read();
  print("udp from", p.address, p.port, p.byteLength);
  this.write(p.address, p.port, p);
}});
print("ready");
"#,
    );
    wait_log(&mut rig, "ready");
    let client = rig.client_connects(7100);
    wait_log(&mut rig, "accepted");
    rig.server_sends(client, b"echo me");
    assert_eq!(rig.server_reads(client, 7), b"echo me");

    let device = IpEndpoint::new(IpAddress::Ipv4(Ipv4Addr::new(127, 0, 0, 1)), 7300);
    let peer = rig.dev.net.stack().udp(rig.udp_peer);
    peer.send_slice(b"marco", device).unwrap();
    wait_log(&mut rig, &format!("udp from 127.0.0.1 {UDP_PEER_PORT} 5"));
    for _ in 0..ROUNDS {
        let peer = rig.dev.net.stack().udp(rig.udp_peer);
        if let Ok((data, meta)) = peer.recv() {
            assert_eq!(data, b"marco");
            assert_eq!(meta.endpoint.port, 7300);
            return;
        }
        rig.round();
    }
    panic!("no echo");
}

#[test]
fn a_listener_at_the_socket_limit_listens_again_once_there_is_room() {
    let mut rig = Rig::new();
    let port = 7100;
    let l = rig.dev.sockets.tcp_listen(port).unwrap();
    let fillers: Vec<SocketId> = (1..SCRIPT_SOCKETS)
        .map(|_| rig.dev.sockets.udp_bind(0).unwrap())
        .collect();
    rig.round();
    // The first client takes the listening socket; with every socket in use no new one listens.
    rig.client_connects(port);
    rig.wait_accepted(l);
    assert_eq!(rig.dev.sockets.held(), SCRIPT_SOCKETS);
    let refused = rig.client_connects(port);
    for _ in 0..50 {
        rig.round();
    }
    assert_eq!(
        rig.dev.net.stack().tcp(refused).state(),
        State::Closed,
        "nobody listens: the client is reset"
    );
    // A socket freed: the listener listens again and the next client is accepted.
    rig.dev.sockets.close(fillers[0]);
    rig.round();
    rig.round();
    rig.client_connects(port);
    rig.wait_accepted(l);
}

#[test]
fn a_close_that_cannot_finish_is_a_reset_at_its_deadline() {
    let mut rig = Rig::new();
    let c = rig.dev.sockets.tcp_connect("127.0.0.1", PORT).unwrap();
    rig.wait_connected(c);
    let h = rig.server();
    // The server never reads: its window fills and the queued output can never all go.
    let chunk = vec![1u8; 1000];
    for _ in 0..50 {
        if rig.dev.sockets.send(c, &chunk).unwrap() < chunk.len() {
            break;
        }
        rig.round();
    }
    rig.dev.sockets.close(c);
    let start = rig.dev.now();
    for _ in 0..ROUNDS {
        if rig.dev.net.stack().tcp(h).state() == State::Closed {
            break;
        }
        rig.round();
    }
    let took = rig.dev.now() - start;
    assert_eq!(rig.dev.net.stack().tcp(h).state(), State::Closed, "reset");
    assert!(
        (CLOSE_TIMEOUT_MS..CLOSE_TIMEOUT_MS + 100).contains(&took),
        "{took} ms"
    );
    rig.round();
    assert_eq!(rig.dev.sockets.held(), 0);
    assert!(rig.events.is_empty(), "{:?}", rig.events);
}
