//! [`MqttLink`]: the runtime's [`MqttSession`] (the same session the virtual device runs over std
//! sockets) driven over one smoltcp TCP socket, with the broker's name looked up by DNS.
//!
//! The session is shared with the board ([`SharedMqtt`] is what `Board::mqtt` hands the
//! runtime): the board's calls (configure, publish, subscribe) and the events it takes go through
//! the same `Rc<RefCell<…>>` this link drives each round. Single-threaded, and never borrowed
//! across a call into the other, so the `RefCell` is never contended.
//!
//! Must never: block, read more than the session has room for, or keep a socket the session
//! closed.

use alloc::rc::Rc;
use core::cell::RefCell;

use ferrite_runtime::board::{
    BoardEvent, BoardResult, Mqtt, MqttAction, MqttLimits, MqttReport, MqttSession, MqttStatus,
};
use smoltcp::iface::SocketHandle;
use smoltcp::phy::Device;
use smoltcp::socket::dns::QueryHandle;
use smoltcp::socket::tcp::State;

use crate::{Lookup, NetStack};

/// The socket's buffers: what the broker sends waits here while the session has no room…
const RX_BUFFER: usize = 2048;
/// …and what the session sends, until acknowledged.
const TX_BUFFER: usize = 2048;

/// How long a connection the session closed may take to finish closing.
const CLOSE_GRACE_MS: u64 = 5_000;

/// The session's bounds on the chip: 8 KiB of unsent packets, 32 events waiting for the
/// runtime, 8 KiB packets from the broker, 15 s for a connect (DNS included).
pub const CHIP_MQTT_LIMITS: MqttLimits = MqttLimits {
    max_tx_bytes: 8 * 1024,
    max_events: 32,
    max_packet: 8 * 1024,
    connect_timeout_ms: 15_000,
};

/// The session as the board hands it to the runtime.
#[derive(Clone)]
pub struct SharedMqtt(Rc<RefCell<MqttSession>>);

impl SharedMqtt {
    pub fn new(limits: MqttLimits) -> SharedMqtt {
        SharedMqtt(Rc::new(RefCell::new(MqttSession::with_limits(limits))))
    }

    /// The next event for the runtime (the board's `poll_event`).
    pub fn take_event(&self) -> Option<BoardEvent> {
        self.0.borrow_mut().take_event()
    }
}

impl Mqtt for SharedMqtt {
    fn status(&self) -> MqttStatus {
        self.0.borrow().status()
    }
    fn publish(&mut self, topic: &str, payload: &[u8], qos: u8, retain: bool) -> bool {
        self.0.borrow_mut().publish(topic, payload, qos, retain)
    }
    fn subscribe(&mut self, filter: &str) -> BoardResult<()> {
        self.0.borrow_mut().subscribe(filter)
    }
    fn unsubscribe(&mut self, filter: &str) {
        self.0.borrow_mut().unsubscribe(filter)
    }
    fn configure(&mut self, enabled: bool, server: &str, client_id: &str, user: &str, pass: &str) {
        self.0
            .borrow_mut()
            .configure(enabled, server, client_id, user, pass)
    }
}

/// Where the socket is.
enum Link {
    Idle,
    /// Looking up the broker's name.
    Resolving {
        query: QueryHandle,
        port: u16,
    },
    /// TCP handshake in progress.
    Connecting,
    Open,
}

/// The session's TCP connection.
pub struct MqttLink {
    session: SharedMqtt,
    socket: SocketHandle,
    link: Link,
    /// When the session closed an open connection gracefully (its goodbye and FIN on the way).
    closed_at: Option<u64>,
}

impl MqttLink {
    /// Make the link's socket (once, at start).
    pub fn new<D: Device>(stack: &mut NetStack<D>, session: SharedMqtt) -> MqttLink {
        MqttLink {
            session,
            socket: stack.add_tcp(RX_BUFFER, TX_BUFFER),
            link: Link::Idle,
            closed_at: None,
        }
    }

    /// Drive the connection one round; the session's log reports go to `log`.
    pub fn poll<D: Device>(
        &mut self,
        stack: &mut NetStack<D>,
        now_ms: u64,
        log: &mut dyn FnMut(MqttReport),
    ) {
        let shared = self.session.0.clone();
        let mut session = shared.borrow_mut();
        if !stack.is_up() && !matches!(self.link, Link::Idle) {
            // No frames move while the link is down: a connection would look open for as long
            // as that lasts, and a lookup would wait for nothing. The session retries, and its
            // connects fail until the network is back.
            self.abandon(stack);
            session.closed("the network connection was lost", now_ms);
        }
        self.advance(stack, &mut session, now_ms);
        while let Some(action) = session.poll(now_ms) {
            match action {
                MqttAction::Connect { host, port } => {
                    if self.closed_at.is_some() {
                        // A reconfiguration closes and connects in one round: the goodbye and
                        // the FIN go out before the socket is reset for the new connection.
                        stack.transmit(now_ms);
                    }
                    self.abandon(stack);
                    match stack.resolve(&host) {
                        Ok(Lookup::Done(ip)) => self.connect(stack, &mut session, ip, port, now_ms),
                        Ok(Lookup::Pending(query)) => self.link = Link::Resolving { query, port },
                        Err(e) => session.closed(&e, now_ms),
                    }
                }
                MqttAction::Close { goodbye } => {
                    let socket = stack.tcp(self.socket);
                    if matches!(self.link, Link::Open) && socket.can_send() {
                        // Only what fits at once; the socket then closes after sending it.
                        let _ = socket.send_slice(&goodbye);
                    }
                    if matches!(self.link, Link::Open) {
                        stack.tcp(self.socket).close();
                        self.link = Link::Idle;
                        self.closed_at = Some(now_ms);
                    } else {
                        self.abandon(stack);
                    }
                }
            }
        }
        if matches!(self.link, Link::Open) {
            let socket = stack.tcp(self.socket);
            let out = session.transmit();
            if !out.is_empty() && socket.can_send() {
                let n = socket.send_slice(out).unwrap_or(0);
                session.consume(n);
            }
        }
        while let Some(report) = session.take_report() {
            log(report);
        }
    }

    /// Follow the socket: a finished lookup or handshake, data in, the end of the connection.
    fn advance<D: Device>(
        &mut self,
        stack: &mut NetStack<D>,
        session: &mut MqttSession,
        now_ms: u64,
    ) {
        match self.link {
            Link::Idle => {
                // A graceful close the broker does not see through (it went away: the FIN is
                // retried every second, for good, with an ARP request that holds up every
                // other socket's) is given up after a while, without a reset.
                if let Some(at) = self.closed_at {
                    let socket = stack.tcp(self.socket);
                    if socket.state() == State::Closed {
                        self.closed_at = None;
                    } else if now_ms >= at.saturating_add(CLOSE_GRACE_MS) {
                        crate::stack::forget(socket);
                        self.closed_at = None;
                    }
                }
            }
            Link::Resolving { query, port } => match stack.lookup_result(query) {
                Ok(None) => {}
                Ok(Some(ip)) => self.connect(stack, session, ip, port, now_ms),
                Err(e) => {
                    self.link = Link::Idle;
                    session.closed(&e, now_ms);
                }
            },
            Link::Connecting => match stack.tcp(self.socket).state() {
                State::Established => {
                    self.link = Link::Open;
                    if !session.connected(now_ms) {
                        stack.tcp(self.socket).abort();
                        self.link = Link::Idle;
                    }
                }
                // A broker on the local network that is not there: given up without a reset,
                // which would wait for the same answer (`stack::forget`).
                State::SynSent if stack.connect_unanswered(self.socket) => {
                    crate::stack::forget(stack.tcp(self.socket));
                    self.link = Link::Idle;
                    session.closed(
                        "no answer from the broker on the local network in 3 s (is it on?)",
                        now_ms,
                    );
                }
                State::SynSent | State::SynReceived => {}
                _ => {
                    self.link = Link::Idle;
                    session.closed("the broker refused the connection", now_ms);
                }
            },
            Link::Open => {
                let socket = stack.tcp(self.socket);
                loop {
                    let room = session.read_room();
                    if room == 0 || !socket.can_recv() {
                        break;
                    }
                    let read = socket.recv(|data| {
                        let n = data.len().min(room);
                        session.feed(&data[..n], now_ms);
                        (n, n)
                    });
                    if !matches!(read, Ok(n) if n > 0) {
                        break;
                    }
                }
                if !socket.may_recv() && !socket.can_recv() {
                    let why = match socket.state() {
                        State::Closed => "the connection was reset",
                        _ => "the broker closed the connection",
                    };
                    socket.abort();
                    self.link = Link::Idle;
                    session.closed(why, now_ms);
                }
            }
        }
    }

    fn connect<D: Device>(
        &mut self,
        stack: &mut NetStack<D>,
        session: &mut MqttSession,
        ip: core::net::Ipv4Addr,
        port: u16,
        now_ms: u64,
    ) {
        match stack.tcp_connect(self.socket, ip, port) {
            Ok(()) => self.link = Link::Connecting,
            Err(e) => {
                self.link = Link::Idle;
                session.closed(&e, now_ms);
            }
        }
    }

    /// Drop whatever connection or lookup is in progress. A connect is given up without a
    /// reset (a broker that never answered may not resolve, and smoltcp would retry the reset
    /// for good: `stack::forget`), as is a connection once the network is down.
    fn abandon<D: Device>(&mut self, stack: &mut NetStack<D>) {
        match self.link {
            Link::Resolving { query, .. } => stack.cancel_lookup(query),
            Link::Connecting => crate::stack::forget(stack.tcp(self.socket)),
            Link::Open if !stack.is_up() => crate::stack::forget(stack.tcp(self.socket)),
            Link::Open => stack.tcp(self.socket).abort(),
            Link::Idle => {
                let socket = stack.tcp(self.socket);
                // A socket still closing from an earlier session is reset, so it can connect.
                if socket.state() != State::Closed {
                    socket.abort();
                }
            }
        }
        self.link = Link::Idle;
        self.closed_at = None;
    }
}
