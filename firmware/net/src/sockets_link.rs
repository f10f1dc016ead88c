//! [`SocketsLink`]: scripts' TCP and UDP sockets (TC53 `TCP`, `UDP` and `Listener`) over
//! smoltcp, behind the runtime's `Sockets` trait: what the host's `HostSockets` does over std
//! sockets, on a target without an operating system.
//!
//! The board hands the runtime a [`SharedSockets`]. Its calls act at once on what they can
//! decide alone: they check the arguments and the ports, allocate the new socket's buffers
//! (fallibly, so a full heap is the script's error and not a crash) and queue output in the
//! socket's bounded buffer. This link, driven each round by `Network::poll`, does the rest
//! on the stack: it adds the new sockets, looks names up and connects, moves queued output
//! into the sockets, reads what arrived, accepts connections, and turns all of it into
//! `Socket*` board events in the shared queue.
//!
//! The rules are the host's:
//! - `send` takes at most [`SEND_BUFFER`] bytes not yet in the socket and says how many it
//!   took; after a short take, `SocketWritable` follows once they are all in the socket.
//! - A connection the script closes sends what it queued, then closes (no event follows); one
//!   that cannot finish in [`CLOSE_TIMEOUT_MS`] is reset.
//! - A peer that closes or resets ends the connection with `SocketClosed`, after the data that
//!   came before (also when all of it came before the link first looked); so do a failed
//!   lookup or connect, a connect that takes longer than [`CONNECT_TIMEOUT_MS`], and losing
//!   the network.
//! - `send_to` takes IPv4 addresses only: a datagram is queued at once (at most 4, in
//!   [`MAX_DATAGRAM`] bytes) or refused. A UDP socket the script closes sends what it queued
//!   first.
//!
//! smoltcp has no accept queue: a `Listener`'s clients are taken by its listening sockets, one
//! each, and a client whose SYN finds none listening is reset. So a listener keeps a second,
//! spare listening socket while at least two of the scripts' sockets are free (two clients in
//! one round, such as a browser's parallel requests, are both taken). A spare does not count
//! against a script's calls: one that needs its place takes it, and the spare goes at the
//! start of the link's next round, before the new socket enters the stack. When a client
//! connects, its socket becomes the connection and another one listens. Handshakes that do not
//! finish in [`CONNECT_TIMEOUT_MS`] are dropped.
//!
//! Scripts hold at most [`SCRIPT_SOCKETS`] smoltcp sockets at once, counting listening,
//! handshaking and closing ones. Nothing is allocated for them at boot.
//!
//! Must never: block, read while [`MAX_EVENTS`] events wait for the runtime, take a port the
//! device's own services use, or borrow the shared table across a call into the runtime.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;
use core::net::Ipv4Addr;

use ferrite_runtime::board::{BoardError, BoardEvent, BoardResult, SocketId, Sockets};
use smoltcp::iface::SocketHandle;
use smoltcp::phy::Device;
use smoltcp::socket::dns::QueryHandle;
use smoltcp::socket::tcp::{self, State};
use smoltcp::socket::udp;
use smoltcp::wire::{IpAddress, IpEndpoint};

use crate::stack::StalledDatagrams;
use crate::{Lookup, NetStack};

/// smoltcp sockets scripts may hold at once (connections, listening sockets, handshakes, UDP).
pub const SCRIPT_SOCKETS: usize = 8;
/// Scripts' DNS lookups at once; more wait (the rest of the stack's slots are the device's).
pub const SCRIPT_LOOKUPS: usize = 2;
/// A TCP socket's receive window…
const TCP_RX: usize = 2048;
/// …and its unacknowledged output.
const TCP_TX: usize = 2048;
/// Bytes `send` takes that are not yet in the socket.
pub const SEND_BUFFER: usize = 2048;
/// Largest datagram (an Ethernet frame's payload without the IP and UDP headers).
pub const MAX_DATAGRAM: usize = 1472;
/// Datagrams a UDP socket holds each way…
const UDP_PACKETS: usize = 4;
/// …in this many bytes received…
const UDP_RX: usize = 2 * MAX_DATAGRAM;
/// …and this many sent (also the most `send_to` queues ahead of the socket).
const UDP_TX: usize = MAX_DATAGRAM;
/// Bytes read from a connection per `SocketData` event.
const READ_CHUNK: usize = 1024;
/// Events waiting for the runtime before reading pauses.
pub const MAX_EVENTS: usize = 16;
/// How long a lookup and connect, or an accepted handshake, may take.
pub const CONNECT_TIMEOUT_MS: u64 = 10_000;
/// How long a closed connection may take to send what was queued and its FIN before it is
/// reset.
pub const CLOSE_TIMEOUT_MS: u64 = 10_000;
/// UDP ports of the device's own services (DHCP client and server, mDNS).
const DEVICE_UDP_PORTS: &[u16] = &[67, 68, ferrite_protocols::mdns::PORT];

/// A socket made by the runtime's call, not yet in the stack (boxed in [`Place::Made`], so its
/// size is no one else's).
#[allow(clippy::large_enum_variant)]
enum Made {
    Tcp(tcp::Socket<'static>),
    Udp(udp::Socket<'static>),
}

/// Where a script's smoltcp socket is.
enum Place {
    Made(Box<Made>),
    InStack(SocketHandle),
    /// A listener whose listening socket became a connection, waiting for room for a new one.
    None,
}

/// Where an outgoing connection is.
enum Stage {
    /// Made by `tcp_connect`: look `host` up next round.
    Start {
        host: String,
        port: u16,
    },
    Resolving {
        query: QueryHandle,
        host: String,
        port: u16,
    },
    Connecting {
        host: String,
        port: u16,
    },
    Open,
    /// Given up before it was open (its lookup cancelled, its socket reset).
    Gone,
}

struct Conn {
    stage: Stage,
    /// Taken by `send`, not yet in the socket.
    out: Vec<u8>,
    /// `send` took less than offered: report `SocketWritable` once `out` is empty.
    owe_writable: bool,
    /// When the connect must be done (set at the link's first round).
    deadline: Option<u64>,
    /// Closed (by the script, or by the peer after `SocketClosed`): no more events; the socket
    /// sends `out` and its FIN and goes.
    closing: Option<Closing>,
}

impl Conn {
    fn new(stage: Stage) -> Conn {
        Conn {
            stage,
            out: Vec::new(),
            owe_writable: false,
            deadline: None,
            closing: None,
        }
    }
}

enum Closing {
    /// By the script since the link's last round.
    Requested,
    /// Reset at this time if the close is not done by then.
    Until(u64),
}

struct Listener {
    port: u16,
    /// A second listening socket (the first is the entry's place), in the stack.
    spare: Option<SocketHandle>,
    /// Connections in their handshake, with their deadlines.
    handshakes: Vec<(SocketHandle, u64)>,
    closing: bool,
}

struct Udp {
    port: u16,
    /// Datagrams `send_to` took, not yet in the socket, and their bytes.
    out: VecDeque<(IpEndpoint, Vec<u8>)>,
    out_bytes: usize,
    /// Closed by the script: no more events; it goes once its datagrams are sent.
    closing: Option<Closing>,
    /// Datagrams in the socket that cannot go out are dropped after a while.
    stalled: StalledDatagrams,
}

enum Kind {
    Conn(Conn),
    Listener(Listener),
    Udp(Udp),
}

struct Entry {
    id: SocketId,
    place: Place,
    kind: Kind,
}

/// What the runtime's calls and the link share.
struct Table {
    next_id: SocketId,
    /// At most [`SCRIPT_SOCKETS`] (a list: smaller code than a map, as fast for so few).
    entries: Vec<Entry>,
    events: VecDeque<BoardEvent>,
    /// The device had a network at the link's last round.
    up: bool,
    /// The UDP ports of the device's own sockets (SNTP's, mDNS's), noted at the link's first
    /// round, before any script's socket is in the stack.
    device_udp_ports: Vec<u16>,
}

impl Table {
    /// smoltcp sockets held for scripts (or about to be).
    fn held(&self) -> usize {
        self.entries
            .iter()
            .map(|e| {
                let listener_extras = match &e.kind {
                    Kind::Listener(l) => l.handshakes.len() + usize::from(l.spare.is_some()),
                    _ => 0,
                };
                usize::from(!matches!(e.place, Place::None)) + listener_extras
            })
            .sum()
    }

    /// Scripts' connections looking their host up.
    fn lookups(&self) -> usize {
        self.entries
            .iter()
            .filter(
                |e| matches!(&e.kind, Kind::Conn(c) if matches!(c.stage, Stage::Resolving { .. })),
            )
            .count()
    }

    /// Listeners' spare listening sockets.
    fn spares(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(&e.kind, Kind::Listener(l) if l.spare.is_some()))
            .count()
    }

    /// Room for a script's new socket: spares give way (see the module documentation).
    fn check_room(&self) -> BoardResult<()> {
        if self.held() - self.spares() >= SCRIPT_SOCKETS {
            return Err(BoardError::Failed(format!(
                "too many sockets: scripts may hold at most {SCRIPT_SOCKETS} at once"
            )));
        }
        Ok(())
    }

    fn add(&mut self, place: Place, kind: Kind) -> SocketId {
        let id = loop {
            let id = self.next_id;
            self.next_id = self.next_id.wrapping_add(1).max(1);
            if self.get(id).is_none() {
                break id;
            }
        };
        self.entries.push(Entry { id, place, kind });
        id
    }

    fn get(&mut self, id: SocketId) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.id == id)
    }

    fn take(&mut self, id: SocketId) -> Option<Entry> {
        let i = self.entries.iter().position(|e| e.id == id)?;
        Some(self.entries.remove(i))
    }
}

/// Scripts' sockets as the board hands them to the runtime (`Board::sockets`); the same table
/// the [`SocketsLink`] drives.
#[derive(Clone)]
pub struct SharedSockets(Rc<RefCell<Table>>);

impl Default for SharedSockets {
    fn default() -> Self {
        SharedSockets::new()
    }
}

impl SharedSockets {
    pub fn new() -> SharedSockets {
        SharedSockets(Rc::new(RefCell::new(Table {
            next_id: 1,
            entries: Vec::new(),
            events: VecDeque::new(),
            up: false,
            device_udp_ports: Vec::new(),
        })))
    }

    /// The next socket event for the runtime (the board's `poll_event`).
    pub fn take_event(&self) -> Option<BoardEvent> {
        self.0.borrow_mut().events.pop_front()
    }

    /// smoltcp sockets held for scripts now (tests check that closed ones go).
    pub fn held(&self) -> usize {
        self.0.borrow().held()
    }
}

/// `n` zero bytes, or an error instead of running out of memory.
fn zeroed(n: usize) -> BoardResult<Vec<u8>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| BoardError::Failed(format!("out of memory for a socket's {n}-byte buffer")))?;
    v.resize(n, 0);
    Ok(v)
}

fn new_tcp() -> BoardResult<tcp::Socket<'static>> {
    let rx = tcp::SocketBuffer::new(zeroed(TCP_RX)?);
    let tx = tcp::SocketBuffer::new(zeroed(TCP_TX)?);
    Ok(tcp::Socket::new(rx, tx))
}

fn new_udp() -> BoardResult<udp::Socket<'static>> {
    let meta = || {
        let mut m = Vec::new();
        m.try_reserve_exact(UDP_PACKETS)
            .map_err(|_| BoardError::Failed(String::from("out of memory for a UDP socket")))?;
        m.resize(UDP_PACKETS, udp::PacketMetadata::EMPTY);
        Ok::<_, BoardError>(m)
    };
    let rx = udp::PacketBuffer::new(meta()?, zeroed(UDP_RX)?);
    let tx = udp::PacketBuffer::new(meta()?, zeroed(UDP_TX)?);
    Ok(udp::Socket::new(rx, tx))
}

impl Sockets for SharedSockets {
    fn tcp_connect(&mut self, host: &str, port: u16) -> BoardResult<SocketId> {
        if host.is_empty() || port == 0 {
            return Err(BoardError::InvalidArgument(format!(
                "address {host}:{port}"
            )));
        }
        let mut t = self.0.borrow_mut();
        t.check_room()?;
        let socket = new_tcp()?;
        let conn = Conn::new(Stage::Start {
            host: String::from(host),
            port,
        });
        Ok(t.add(Place::Made(Box::new(Made::Tcp(socket))), Kind::Conn(conn)))
    }

    fn tcp_listen(&mut self, port: u16) -> BoardResult<SocketId> {
        if port == 0 {
            return Err(BoardError::InvalidArgument(String::from(
                "listen: a port (1..65535) is needed",
            )));
        }
        if port == crate::PORT {
            return Err(BoardError::InvalidArgument(format!(
                "listen: port {port} is the device's RPC server"
            )));
        }
        let mut t = self.0.borrow_mut();
        let taken = t
            .entries
            .iter()
            .any(|e| matches!(&e.kind, Kind::Listener(l) if l.port == port && !l.closing));
        if taken {
            return Err(BoardError::InvalidArgument(format!(
                "listen: port {port} is already in use"
            )));
        }
        t.check_room()?;
        let mut socket = new_tcp()?;
        socket
            .listen(port)
            .map_err(|e| BoardError::Failed(format!("listen: {e}")))?;
        let listener = Listener {
            port,
            spare: None,
            handshakes: Vec::new(),
            closing: false,
        };
        Ok(t.add(
            Place::Made(Box::new(Made::Tcp(socket))),
            Kind::Listener(listener),
        ))
    }

    fn udp_bind(&mut self, port: u16) -> BoardResult<SocketId> {
        let mut t = self.0.borrow_mut();
        let mut taken = DEVICE_UDP_PORTS.contains(&port) || t.device_udp_ports.contains(&port);
        for e in t.entries.iter_mut() {
            match &mut e.kind {
                Kind::Udp(u) if port != 0 && u.port == port => match &mut u.closing {
                    // A socket the script closed gives its port up now (what it still had
                    // queued goes with it), as a closed socket does on the host.
                    Some(closing) => *closing = Closing::Until(0),
                    None => taken = true,
                },
                _ => {}
            }
        }
        if taken {
            return Err(BoardError::InvalidArgument(format!(
                "udp bind: port {port} is already in use"
            )));
        }
        t.check_room()?;
        let mut socket = new_udp()?;
        if port != 0 {
            socket
                .bind(port)
                .map_err(|e| BoardError::Failed(format!("udp bind: {e}")))?;
        }
        let udp = Udp {
            port,
            out: VecDeque::new(),
            out_bytes: 0,
            closing: None,
            stalled: StalledDatagrams::default(),
        };
        Ok(t.add(Place::Made(Box::new(Made::Udp(socket))), Kind::Udp(udp)))
    }

    fn send(&mut self, socket: SocketId, data: &[u8]) -> BoardResult<usize> {
        let mut t = self.0.borrow_mut();
        let conn = match t.get(socket).map(|e| &mut e.kind) {
            Some(Kind::Conn(c)) if c.closing.is_none() => c,
            Some(Kind::Conn(_)) | None => {
                return Err(BoardError::InvalidArgument(format!("no socket {socket}")))
            }
            Some(_) => {
                return Err(BoardError::InvalidArgument(format!(
                    "socket {socket} is not a TCP connection"
                )))
            }
        };
        let n = data.len().min(SEND_BUFFER.saturating_sub(conn.out.len()));
        conn.out.extend_from_slice(&data[..n]);
        if n < data.len() {
            conn.owe_writable = true;
        }
        Ok(n)
    }

    fn send_to(&mut self, socket: SocketId, host: &str, port: u16, data: &[u8]) -> BoardResult<()> {
        let mut t = self.0.borrow_mut();
        let up = t.up;
        let Some(Kind::Udp(u)) = t.get(socket).map(|e| &mut e.kind) else {
            return Err(BoardError::InvalidArgument(format!(
                "socket {socket} is not a UDP socket"
            )));
        };
        let Ok(ip) = host.parse::<Ipv4Addr>() else {
            return Err(BoardError::InvalidArgument(format!(
                "UDP send_to needs an IPv4 address, not {host:?} (datagrams are not held back \
                 for a DNS lookup)"
            )));
        };
        if port == 0 {
            return Err(BoardError::InvalidArgument(String::from(
                "UDP send_to: port 0",
            )));
        }
        if data.is_empty() {
            // smoltcp counts a socket's queue in bytes: an empty datagram waiting for a
            // neighbour that does not answer would never be seen as stuck (see
            // `StalledDatagrams`), and would hold up every other socket's ARP requests.
            return Err(BoardError::InvalidArgument(String::from(
                "UDP send_to: an empty datagram (not sent on this device)",
            )));
        }
        if data.len() > MAX_DATAGRAM {
            return Err(BoardError::InvalidArgument(format!(
                "UDP send_to: a datagram of {} bytes (at most {MAX_DATAGRAM})",
                data.len()
            )));
        }
        if !up {
            return Err(BoardError::Failed(String::from(
                "no network (Wi-Fi is not connected)",
            )));
        }
        let full = u.out.len() >= UDP_PACKETS || u.out_bytes + data.len() > UDP_TX;
        if u.closing.is_some() || full {
            return Err(BoardError::Failed(String::from("UDP send buffer full")));
        }
        u.out_bytes += data.len();
        u.out
            .push_back((IpEndpoint::new(IpAddress::Ipv4(ip), port), data.to_vec()));
        Ok(())
    }

    /// Close a socket: a connection sends what it queued first; no event follows.
    fn close(&mut self, socket: SocketId) {
        let mut t = self.0.borrow_mut();
        let Some(e) = t.get(socket) else {
            return;
        };
        // Never in the stack and nothing to send: nothing to tell anyone.
        let sends = matches!(&e.kind, Kind::Udp(u) if !u.out.is_empty());
        if matches!(e.place, Place::Made(_)) && !sends {
            t.take(socket);
            return;
        }
        match &mut e.kind {
            Kind::Conn(c) => {
                c.closing.get_or_insert(Closing::Requested);
            }
            Kind::Listener(l) => l.closing = true,
            Kind::Udp(u) => {
                u.closing.get_or_insert(Closing::Requested);
            }
        }
    }
}

/// Drives the shared table's sockets on the stack; see the module documentation.
pub struct SocketsLink {
    shared: SharedSockets,
    /// The first round is over (the device's UDP ports are noted).
    started: bool,
}

impl SocketsLink {
    pub fn new(shared: SharedSockets) -> SocketsLink {
        SocketsLink {
            shared,
            started: false,
        }
    }

    /// One round: new sockets into the stack, lookups, connects, output, input, accepts,
    /// deadlines; what happened becomes events in the shared table.
    pub fn poll<D: Device>(&mut self, stack: &mut NetStack<D>, now_ms: u64) {
        let shared = self.shared.0.clone();
        let mut t = shared.borrow_mut();
        let up = stack.is_up();
        t.up = up;
        if !self.started {
            // Only the device's own sockets are in the stack yet (scripts' are added below).
            self.started = true;
            t.device_udp_ports = stack.udp_ports();
        }
        // Spares that scripts' new sockets need the places of go before those enter the stack.
        let mut excess = t.held().saturating_sub(SCRIPT_SOCKETS);
        for entry in t.entries.iter_mut() {
            if excess == 0 {
                break;
            }
            if let Kind::Listener(l) = &mut entry.kind {
                if let Some(h) = l.spare.take() {
                    stack.remove(h);
                    excess -= 1;
                }
            }
        }
        // Each entry once: out of the table at the front while it is driven (so the table's
        // events and count stay at hand), back in at the end.
        for _ in 0..t.entries.len() {
            let mut entry = t.entries.remove(0);
            let id = entry.id;
            let mut accepted = Vec::new();
            let keep = match &mut entry.kind {
                Kind::Conn(c) => drive_conn(stack, &mut t, id, &mut entry.place, c, now_ms, up),
                Kind::Listener(l) => {
                    drive_listener(stack, &t, &mut entry.place, l, now_ms, &mut accepted)
                }
                Kind::Udp(u) => drive_udp(stack, &mut t, id, &mut entry.place, u, now_ms, up),
            };
            if keep {
                t.entries.push(entry);
            } else if let Place::InStack(h) = entry.place {
                stack.remove(h);
            }
            for (h, peer) in accepted {
                let socket = t.add(Place::InStack(h), Kind::Conn(Conn::new(Stage::Open)));
                t.events.push_back(BoardEvent::SocketAccepted {
                    listener: id,
                    socket,
                    peer,
                });
            }
        }
    }
}

/// The handle of a socket, adding it to the stack first if the runtime just made it.
fn in_stack<D: Device>(stack: &mut NetStack<D>, place: &mut Place) -> Option<SocketHandle> {
    if matches!(place, Place::Made(_)) {
        if let Place::Made(made) = core::mem::replace(place, Place::None) {
            *place = Place::InStack(match *made {
                Made::Tcp(s) => stack.add(s),
                Made::Udp(s) => stack.add(s),
            });
        }
    }
    match place {
        Place::InStack(h) => Some(*h),
        _ => None,
    }
}

/// Follow a connection one round; `false` once it is gone (its socket is then removed).
fn drive_conn<D: Device>(
    stack: &mut NetStack<D>,
    t: &mut Table,
    id: SocketId,
    place: &mut Place,
    c: &mut Conn,
    now_ms: u64,
    up: bool,
) -> bool {
    let Some(h) = in_stack(stack, place) else {
        return false;
    };
    if c.closing.is_some() {
        return drive_closing(stack, h, c, now_ms, up);
    }
    let failure = if !up {
        Some(match c.stage {
            Stage::Open => String::from("the network connection was lost"),
            _ => String::from("no network (Wi-Fi is not connected)"),
        })
    } else if matches!(c.stage, Stage::Open) {
        None
    } else {
        let deadline = *c
            .deadline
            .get_or_insert(now_ms.saturating_add(CONNECT_TIMEOUT_MS));
        match advance_connect(stack, h, c, t.lookups()) {
            Err(e) => Some(e),
            Ok(()) if matches!(c.stage, Stage::Open) => {
                t.events
                    .push_back(BoardEvent::SocketConnected { socket: id });
                None
            }
            Ok(()) if now_ms >= deadline => Some(format!(
                "connecting took longer than {CONNECT_TIMEOUT_MS} ms"
            )),
            Ok(()) => None,
        }
    };
    if let Some(error) = failure {
        give_up(stack, h, c);
        t.events.push_back(BoardEvent::SocketClosed {
            socket: id,
            error: Some(error),
        });
        // Kept for a round so the reset goes out, then removed.
        c.closing = Some(Closing::Until(now_ms));
        return true;
    }
    if !matches!(c.stage, Stage::Open) {
        return true;
    }
    exchange(stack, t, id, h, c, now_ms)
}

/// Look up (when fewer than [`SCRIPT_LOOKUPS`] of scripts' lookups run: `lookups`), connect,
/// notice the handshake's end; `Err` when the connection cannot be made.
fn advance_connect<D: Device>(
    stack: &mut NetStack<D>,
    h: SocketHandle,
    c: &mut Conn,
    lookups: usize,
) -> Result<(), String> {
    let stage = core::mem::replace(&mut c.stage, Stage::Open);
    c.stage = match stage {
        Stage::Start { host, port }
            if lookups >= SCRIPT_LOOKUPS && host.parse::<Ipv4Addr>().is_err() =>
        {
            Stage::Start { host, port }
        }
        Stage::Start { host, port } => match stack.resolve_when_free(&host) {
            Ok(None) => Stage::Start { host, port },
            Ok(Some(Lookup::Done(ip))) => connect(stack, h, host, port, ip)?,
            Ok(Some(Lookup::Pending(query))) => Stage::Resolving { query, host, port },
            Err(e) => return Err(format!("cannot resolve {host}: {e}")),
        },
        Stage::Resolving { query, host, port } => match stack.lookup_result(query) {
            Ok(None) => Stage::Resolving { query, host, port },
            Ok(Some(ip)) => connect(stack, h, host, port, ip)?,
            Err(e) => return Err(format!("cannot resolve {host}: {e}")),
        },
        Stage::Connecting { host, port } => match stack.tcp(h).state() {
            State::SynSent if stack.connect_unanswered(h) => {
                return Err(crate::stack::no_answer_on_link(&host, port))
            }
            State::SynSent | State::SynReceived => Stage::Connecting { host, port },
            // A fast peer's data and FIN may both have come before this round looked: open,
            // and `exchange` delivers the data, then the end.
            State::Established | State::CloseWait => Stage::Open,
            _ => {
                return Err(format!(
                    "cannot connect to {host}:{port}: the connection was refused"
                ))
            }
        },
        stage @ (Stage::Open | Stage::Gone) => stage,
    };
    Ok(())
}

/// Give a connection that is not open up: cancel its lookup (once: the handle goes with the
/// stage) and reset its socket.
fn give_up<D: Device>(stack: &mut NetStack<D>, h: SocketHandle, c: &mut Conn) {
    if let Stage::Resolving { query, .. } = core::mem::replace(&mut c.stage, Stage::Gone) {
        stack.cancel_lookup(query);
    }
    stack.tcp(h).abort();
}

fn connect<D: Device>(
    stack: &mut NetStack<D>,
    h: SocketHandle,
    host: String,
    port: u16,
    ip: Ipv4Addr,
) -> Result<Stage, String> {
    stack
        .tcp_connect(h, ip, port)
        .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
    Ok(Stage::Connecting { host, port })
}

/// An open connection: output in, input out as events, the peer's close noticed.
fn exchange<D: Device>(
    stack: &mut NetStack<D>,
    t: &mut Table,
    id: SocketId,
    h: SocketHandle,
    c: &mut Conn,
    now_ms: u64,
) -> bool {
    let socket = stack.tcp(h);
    push_output(socket, c);
    if c.out.is_empty() && c.owe_writable {
        c.owe_writable = false;
        t.events
            .push_back(BoardEvent::SocketWritable { socket: id });
    }
    while t.events.len() < MAX_EVENTS && socket.can_recv() {
        match socket.recv(|d| {
            let n = d.len().min(READ_CHUNK);
            (n, d[..n].to_vec())
        }) {
            Ok(data) => t.events.push_back(BoardEvent::SocketData {
                socket: id,
                data,
                from: None,
            }),
            Err(_) => break,
        }
    }
    if socket.may_recv() || socket.can_recv() {
        return true;
    }
    // The peer closed its side (all read), or reset the connection.
    let error = (socket.state() == State::Closed).then(|| String::from("the connection was reset"));
    t.events
        .push_back(BoardEvent::SocketClosed { socket: id, error });
    c.closing = Some(Closing::Until(now_ms.saturating_add(CLOSE_TIMEOUT_MS)));
    true
}

fn push_output(socket: &mut tcp::Socket<'static>, c: &mut Conn) {
    if !c.out.is_empty() && socket.can_send() {
        if let Ok(n) = socket.send_slice(&c.out) {
            c.out.drain(..n);
        }
    }
}

/// A closed connection: send what is queued, then the FIN; gone once the exchange is over.
/// Reset when it is not open, at its deadline, or without a network.
fn drive_closing<D: Device>(
    stack: &mut NetStack<D>,
    h: SocketHandle,
    c: &mut Conn,
    now_ms: u64,
    up: bool,
) -> bool {
    let until = match c.closing {
        Some(Closing::Until(until)) => until,
        // The script's close: its time starts now.
        _ => {
            let until = now_ms.saturating_add(CLOSE_TIMEOUT_MS);
            c.closing = Some(Closing::Until(until));
            until
        }
    };
    if !matches!(c.stage, Stage::Open | Stage::Gone) {
        give_up(stack, h, c);
    }
    let socket = stack.tcp(h);
    let done = match socket.state() {
        // Gone once its reset went out (the stack ran since the abort), or never connected.
        State::Closed => !up || socket.remote_endpoint().is_none() || now_ms >= until,
        State::TimeWait => true,
        _ => false,
    };
    if done {
        return false;
    }
    if matches!(c.stage, Stage::Gone) || !up || now_ms >= until {
        socket.abort();
        // Without a network nothing goes out: gone at once.
        return up;
    }
    push_output(socket, c);
    while socket.can_recv() {
        // Nobody reads any more; keep the window open so the close can finish.
        if socket.recv(|d| (d.len(), ())).is_err() {
            break;
        }
    }
    if c.out.is_empty() {
        socket.close();
    }
    true
}

/// Follow a listener one round: its listening sockets, handshakes, accepted connections.
/// Connections established this round go to `accepted` with their peers.
fn drive_listener<D: Device>(
    stack: &mut NetStack<D>,
    t: &Table,
    place: &mut Place,
    l: &mut Listener,
    now_ms: u64,
    accepted: &mut Vec<(SocketHandle, String)>,
) -> bool {
    let listening = in_stack(stack, place);
    if l.closing {
        for (h, _) in l.handshakes.drain(..) {
            stack.tcp(h).abort();
            stack.remove(h);
        }
        if let Some(h) = l.spare.take() {
            stack.remove(h);
        }
        return false;
    }
    if let Some(h) = listening {
        if took_a_client(stack, h, l, now_ms) {
            *place = Place::None;
        }
    }
    if let Some(h) = l.spare {
        if took_a_client(stack, h, l, now_ms) {
            l.spare = None;
        }
    }
    let mut i = 0;
    while i < l.handshakes.len() {
        let (h, deadline) = l.handshakes[i];
        let socket = stack.tcp(h);
        match socket.state() {
            // A client that sent its request and closed its side before this round looked is
            // accepted too: the data, then the end, reach the script.
            State::Established | State::CloseWait => {
                let peer = socket
                    .remote_endpoint()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                l.handshakes.remove(i);
                accepted.push((h, peer));
            }
            State::SynReceived if now_ms < deadline => i += 1,
            _ => {
                socket.abort();
                stack.remove(h);
                l.handshakes.remove(i);
            }
        }
    }
    // Sockets held with this one's listening sockets (its entry is out of the table).
    let others = t.held() + l.handshakes.len() + accepted.len();
    if matches!(place, Place::None) {
        if let Some(h) = l.spare.take() {
            *place = Place::InStack(h);
        } else if others < SCRIPT_SOCKETS {
            // A new listening socket, if the heap has room (else next round).
            if let Some(h) = new_listening(stack, l.port) {
                *place = Place::InStack(h);
            }
        }
    }
    // A spare while one socket stays free besides it and this listening socket (it gives way
    // when scripts need more: `SocketsLink::poll`).
    if l.spare.is_none() && matches!(place, Place::InStack(_)) && others + 3 <= SCRIPT_SOCKETS {
        l.spare = new_listening(stack, l.port);
    }
    true
}

/// Whether listening socket `h` took a client (it is then one of `l`'s handshakes); one that
/// left listening any other way listens again.
fn took_a_client<D: Device>(
    stack: &mut NetStack<D>,
    h: SocketHandle,
    l: &mut Listener,
    now_ms: u64,
) -> bool {
    let socket = stack.tcp(h);
    match socket.state() {
        State::Listen => false,
        State::SynReceived | State::Established | State::CloseWait => {
            l.handshakes
                .push((h, now_ms.saturating_add(CONNECT_TIMEOUT_MS)));
            true
        }
        _ => {
            socket.abort();
            // Cannot fail: the port is valid and the socket closed.
            let _ = socket.listen(l.port);
            false
        }
    }
}

/// A new socket listening on `port`, in the stack; `None` if the heap has no room for it.
fn new_listening<D: Device>(stack: &mut NetStack<D>, port: u16) -> Option<SocketHandle> {
    let mut socket = new_tcp().ok()?;
    socket.listen(port).ok()?;
    Some(stack.add(socket))
}

/// Follow a UDP socket one round: queued datagrams out, received ones as events.
fn drive_udp<D: Device>(
    stack: &mut NetStack<D>,
    t: &mut Table,
    id: SocketId,
    place: &mut Place,
    u: &mut Udp,
    now_ms: u64,
    up: bool,
) -> bool {
    if let Place::Made(made) = place {
        let Made::Udp(socket) = &mut **made else {
            return false;
        };
        if u.port == 0 {
            // The stack's few UDP sockets leave a free port among any few tried (nor one a
            // script's socket not yet in the stack asked for).
            for _ in 0..SCRIPT_SOCKETS + 8 {
                let port = stack.next_local_port();
                let asked = t
                    .entries
                    .iter()
                    .any(|e| matches!(&e.kind, Kind::Udp(o) if o.port == port));
                if !asked && !stack.udp_port_in_use(port) {
                    // Cannot fail: the port is not 0 and the socket is not bound.
                    let _ = socket.bind(port);
                    u.port = port;
                    break;
                }
            }
        }
        let error = match u.port {
            0 => Some(String::from("udp bind: no free local port")),
            p if stack.udp_port_in_use(p) => Some(format!("udp bind: port {p} is already in use")),
            _ => None,
        };
        if let Some(error) = error {
            // Not for a socket the script closed already: no event follows a close.
            if u.closing.is_none() {
                t.events.push_back(BoardEvent::SocketClosed {
                    socket: id,
                    error: Some(error),
                });
            }
            return false;
        }
    }
    let Some(h) = in_stack(stack, place) else {
        return false;
    };
    let socket = stack.udp(h);
    if !up {
        // Datagrams to nowhere.
        u.out.clear();
        u.out_bytes = 0;
    }
    u.stalled.before_send(socket, now_ms);
    while let Some((to, data)) = u.out.front() {
        match socket.send_slice(data, *to) {
            Err(udp::SendError::BufferFull) => break,
            // Sent, or never sendable (no route): either way it leaves the queue.
            Ok(()) | Err(_) => {
                u.out_bytes -= data.len();
                u.out.pop_front();
            }
        }
    }
    if let Some(closing) = &mut u.closing {
        // Gone once its datagrams left (smoltcp's buffer too: one may wait for the peer's
        // address), without a network, or at its deadline.
        let until = match *closing {
            Closing::Until(until) => until,
            Closing::Requested => now_ms.saturating_add(CLOSE_TIMEOUT_MS),
        };
        *closing = Closing::Until(until);
        // Nobody reads a closed socket's datagrams: they go, so stuck ones can go too.
        while socket.recv().is_ok() {}
        u.stalled.after_round(socket, now_ms);
        let sending = !u.out.is_empty() || socket.send_queue() > 0;
        return sending && up && now_ms < until;
    }
    while t.events.len() < MAX_EVENTS && socket.can_recv() {
        match socket.recv() {
            Ok((data, meta)) => t.events.push_back(BoardEvent::SocketData {
                socket: id,
                data: data.to_vec(),
                from: Some((meta.endpoint.addr.to_string(), meta.endpoint.port)),
            }),
            Err(_) => break,
        }
    }
    u.stalled.after_round(socket, now_ms);
    true
}
