//! [`HttpLink`]: scripts' HTTP client (`HTTP.GET`, `HTTP.Request`, `Shelly.call("HTTP.GET")`,
//! Smart.js `Http`) over a fixed pool of [`HTTP_SOCKETS`] smoltcp TCP sockets, with the same
//! sans-IO request writer and response parser the virtual device uses
//! (`ferrite_protocols::http_client`). Plain `http://` only.
//!
//! The board hands the runtime a [`SharedHttp`] (the runtime's `HttpClient`): `start` checks the
//! URL and the request's head and queues it; this link, driven each round by `Network::poll`,
//! looks the host up by DNS, connects, writes the request as the socket takes it and feeds the
//! answer to the parser. More requests than sockets wait in a queue of
//! [`HttpLimits::max_waiting`]; beyond that `start` refuses with a "busy" error. Each request has
//! a deadline (its `timeout_ms`, or [`HttpLimits::default_timeout_ms`] when 0) counted from the
//! link's first round after `start`, waiting included.
//!
//! Every started request ends in exactly one `BoardEvent::HttpDone`: the response, or why not
//! (bad request head, DNS, refused, reset, malformed or too large answer, timeout, the link
//! going down).
//!
//! Must never: block, make sockets after start, keep more than the limits allow, or borrow the
//! shared queue across a call into the board.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::net::Ipv4Addr;

use ferrite_protocols::http_client::{request_bytes, Response, ResponseParser, Url};
use ferrite_runtime::board::{
    BoardError, BoardEvent, BoardResult, HttpClient, HttpRequest, HttpResponse,
};
use smoltcp::iface::SocketHandle;
use smoltcp::phy::Device;
use smoltcp::socket::dns::QueryHandle;
use smoltcp::socket::tcp::State;

use crate::{Lookup, NetStack};

/// Requests on the wire at once: one TCP socket each, made at start.
pub const HTTP_SOCKETS: usize = 2;
/// How long a reset socket waits for its reset to go out before it takes the next request.
const RESET_GRACE_MS: u64 = 1_000;
/// Each socket's receive buffer: the answer waits here until the next round reads it…
const RX_BUFFER: usize = 2048;
/// …and its send buffer, for the request.
const TX_BUFFER: usize = 1024;

/// The client's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// Longest response head (status line and headers).
    pub max_head: usize,
    /// Largest response body.
    pub max_body: usize,
    /// A request's deadline when its `timeout_ms` is 0.
    pub default_timeout_ms: u32,
    /// Requests waiting for a socket; more are refused as busy.
    pub max_waiting: usize,
}

/// The chip's bounds: 4 KiB heads, 16 KiB bodies, 10 s without a timeout of its own, two
/// requests waiting behind the two on the wire.
pub const CHIP_HTTP_LIMITS: HttpLimits = HttpLimits {
    max_head: 4 * 1024,
    max_body: 16 * 1024,
    default_timeout_ms: 10_000,
    max_waiting: 2,
};

/// A request started and not yet on a socket.
struct Waiting {
    id: u32,
    url: Url,
    /// The whole request: head and body.
    bytes: Vec<u8>,
    timeout_ms: u32,
    /// Set at the link's first round after `start`.
    deadline: Option<u64>,
}

/// What the board and the link share: requests to start, answers to deliver.
struct Queue {
    limits: HttpLimits,
    next_id: u32,
    waiting: VecDeque<Waiting>,
    /// Requests on a socket (the link keeps this up to date).
    running: usize,
    events: VecDeque<BoardEvent>,
}

/// The client as the board hands it to the runtime (`Board::http`); the same queue the
/// [`HttpLink`] drives.
#[derive(Clone)]
pub struct SharedHttp(Rc<RefCell<Queue>>);

impl SharedHttp {
    pub fn new(limits: HttpLimits) -> SharedHttp {
        SharedHttp(Rc::new(RefCell::new(Queue {
            limits,
            next_id: 1,
            waiting: VecDeque::new(),
            running: 0,
            events: VecDeque::new(),
        })))
    }

    /// The next finished request for the runtime (the board's `poll_event`).
    pub fn take_event(&self) -> Option<BoardEvent> {
        self.0.borrow_mut().events.pop_front()
    }
}

impl HttpClient for SharedHttp {
    fn start(&mut self, request: HttpRequest) -> BoardResult<u32> {
        let mut q = self.0.borrow_mut();
        let capacity = HTTP_SOCKETS + q.limits.max_waiting;
        if q.running + q.waiting.len() >= capacity {
            return Err(BoardError::Failed(format!(
                "HTTP client busy: {capacity} requests in progress (at most {HTTP_SOCKETS} at \
                 once, {} waiting)",
                q.limits.max_waiting
            )));
        }
        let url = Url::parse(&request.url).map_err(BoardError::InvalidArgument)?;
        let id = q.next_id;
        q.next_id = q.next_id.wrapping_add(1).max(1);
        let timeout_ms = match request.timeout_ms {
            0 => q.limits.default_timeout_ms,
            ms => ms,
        };
        match request_bytes(&request.method, &url, &request.headers, &request.body) {
            Ok(bytes) => q.waiting.push_back(Waiting {
                id,
                url,
                bytes,
                timeout_ms,
                deadline: None,
            }),
            // As on the host: the id is the script's, the error its answer.
            Err(e) => q
                .events
                .push_back(BoardEvent::HttpDone { id, result: Err(e) }),
        }
        Ok(id)
    }
}

/// Where a request on a socket is.
enum Stage {
    /// Looking up the host's name.
    Resolving(QueryHandle),
    /// TCP handshake in progress.
    Connecting,
    /// Writing the request, reading the answer.
    Exchanging,
}

/// A request on a socket.
struct Job {
    id: u32,
    url: Url,
    /// The request, `sent` bytes of it already in the socket (freed once all are).
    bytes: Vec<u8>,
    sent: usize,
    timeout_ms: u32,
    deadline: u64,
    stage: Stage,
    parser: ResponseParser,
}

/// One of the pool's sockets and its request, if any.
struct Slot {
    socket: SocketHandle,
    job: Option<Job>,
    /// When the socket was last reset (see [`is_free`]).
    released_at: u64,
}

/// The pool of sockets that runs the shared queue's requests.
pub struct HttpLink {
    shared: SharedHttp,
    slots: Vec<Slot>,
}

impl HttpLink {
    /// Make the pool's sockets (once, at start).
    pub fn new<D: Device>(stack: &mut NetStack<D>, shared: SharedHttp) -> HttpLink {
        let slots = (0..HTTP_SOCKETS)
            .map(|_| Slot {
                socket: stack.add_tcp(RX_BUFFER, TX_BUFFER),
                job: None,
                released_at: 0,
            })
            .collect();
        HttpLink { shared, slots }
    }

    /// Drive the requests one round: lookups, connects, writes, reads, deadlines, new requests
    /// onto free sockets. Finished ones become `HttpDone` events in the shared queue.
    pub fn poll<D: Device>(&mut self, stack: &mut NetStack<D>, now_ms: u64) {
        let shared = self.shared.0.clone();
        let mut q = shared.borrow_mut();
        for w in q.waiting.iter_mut() {
            w.deadline
                .get_or_insert(now_ms.saturating_add(u64::from(w.timeout_ms)));
        }
        let up = stack.is_up();
        let max_head = q.limits.max_head;
        let max_body = q.limits.max_body;
        for slot in &mut self.slots {
            let Some(job) = slot.job.as_mut() else {
                continue;
            };
            let outcome = if up {
                advance(stack, slot.socket, job)
                    .or_else(|| (now_ms >= job.deadline).then(|| Err(timeout(job.timeout_ms))))
            } else {
                Some(Err(String::from("the network connection was lost")))
            };
            if let Some(result) = outcome {
                let id = job.id;
                release(stack, slot, now_ms);
                q.events.push_back(done(id, result));
            }
        }
        // Requests whose time ran out while waiting, or that cannot start without a network.
        let mut i = 0;
        while i < q.waiting.len() {
            let w = &q.waiting[i];
            let failure = if !up {
                Some(String::from("no network (Wi-Fi is not connected)"))
            } else if w.deadline.is_some_and(|d| now_ms >= d) {
                Some(timeout(w.timeout_ms))
            } else {
                None
            };
            match failure {
                Some(e) => {
                    let id = w.id;
                    q.waiting.remove(i);
                    q.events.push_back(done(id, Err(e)));
                }
                None => i += 1,
            }
        }
        for slot in &mut self.slots {
            // Each round, also for idle sockets: a reset that cannot go out is given up.
            if slot.job.is_some() || !is_free(stack, slot, now_ms) {
                continue;
            }
            let Some(w) = q.waiting.pop_front() else {
                continue;
            };
            let id = w.id;
            if let Err(e) = begin(stack, slot, w, now_ms, max_head, max_body) {
                q.events.push_back(done(id, Err(e)));
            }
        }
        q.running = self.slots.iter().filter(|s| s.job.is_some()).count();
    }
}

/// Put a waiting request on the free `slot`: look its host up, or connect at once.
fn begin<D: Device>(
    stack: &mut NetStack<D>,
    slot: &mut Slot,
    w: Waiting,
    now_ms: u64,
    max_head: usize,
    max_body: usize,
) -> Result<(), String> {
    let stage = match stack.resolve(&w.url.host) {
        Ok(Lookup::Done(ip)) => {
            connect(stack, slot.socket, &w.url, ip)?;
            Stage::Connecting
        }
        Ok(Lookup::Pending(query)) => Stage::Resolving(query),
        Err(e) => return Err(format!("cannot resolve {}: {e}", w.url.host)),
    };
    slot.job = Some(Job {
        id: w.id,
        url: w.url,
        bytes: w.bytes,
        sent: 0,
        timeout_ms: w.timeout_ms,
        deadline: w
            .deadline
            .unwrap_or(now_ms.saturating_add(u64::from(w.timeout_ms))),
        stage,
        parser: ResponseParser::new(max_head, max_body),
    });
    Ok(())
}

fn connect<D: Device>(
    stack: &mut NetStack<D>,
    socket: SocketHandle,
    url: &Url,
    ip: Ipv4Addr,
) -> Result<(), String> {
    stack
        .tcp_connect(socket, ip, url.port)
        .map_err(|e| format!("cannot connect to {}:{}: {e}", url.host, url.port))
}

/// Follow a request one round; `Some` once it is over.
fn advance<D: Device>(
    stack: &mut NetStack<D>,
    socket: SocketHandle,
    job: &mut Job,
) -> Option<Result<Response, String>> {
    match job.stage {
        Stage::Resolving(query) => {
            let found = stack.lookup_result(query);
            if !matches!(found, Ok(None)) {
                // The lookup is over, found or not: its handle is gone, never to be cancelled.
                job.stage = Stage::Connecting;
            }
            return match found {
                Ok(None) => None,
                Ok(Some(ip)) => connect(stack, socket, &job.url, ip).err().map(Err),
                Err(e) => Some(Err(format!("cannot resolve {}: {e}", job.url.host))),
            };
        }
        Stage::Connecting => match stack.tcp(socket).state() {
            State::SynSent if stack.connect_unanswered(socket) => {
                return Some(Err(crate::stack::no_answer_on_link(
                    &job.url.host,
                    job.url.port,
                )))
            }
            State::SynSent | State::SynReceived => return None,
            State::Established => job.stage = Stage::Exchanging,
            _ => {
                return Some(Err(format!(
                    "cannot connect to {}:{}: the connection was refused",
                    job.url.host, job.url.port
                )))
            }
        },
        Stage::Exchanging => {}
    }
    exchange(stack, socket, job)
}

/// Write what is left of the request, feed what arrived to the parser, notice the end of the
/// connection.
fn exchange<D: Device>(
    stack: &mut NetStack<D>,
    socket: SocketHandle,
    job: &mut Job,
) -> Option<Result<Response, String>> {
    let socket = stack.tcp(socket);
    if job.sent < job.bytes.len() && socket.can_send() {
        match socket.send_slice(&job.bytes[job.sent..]) {
            Ok(n) => job.sent += n,
            Err(e) => return Some(Err(format!("sending the request failed: {e:?}"))),
        }
        if job.sent == job.bytes.len() {
            job.bytes = Vec::new();
            job.sent = 0;
        }
    }
    while socket.can_recv() {
        let parser = &mut job.parser;
        match socket.recv(|data| (data.len(), parser.feed(data, false))) {
            Ok(Ok(None)) => {}
            Ok(Ok(Some(response))) => return Some(Ok(response)),
            Ok(Err(e)) => return Some(Err(e)),
            Err(e) => return Some(Err(format!("receiving the response failed: {e:?}"))),
        }
    }
    if socket.may_recv() {
        return None;
    }
    if socket.state() == State::Closed {
        return Some(Err(String::from(
            "the connection was reset before the response was complete",
        )));
    }
    // The server closed its side: the answer ends here.
    Some(job.parser.feed(&[], true).and_then(|r| {
        r.ok_or_else(|| String::from("the connection closed before the response was complete"))
    }))
}

/// Whether a socket without a request can take one: closed, and its reset sent (connecting again
/// before the next round would drop the reset, and leave the last server with a connection
/// that never ends).
fn is_free<D: Device>(stack: &mut NetStack<D>, slot: &Slot, now_ms: u64) -> bool {
    let socket = stack.tcp(slot.socket);
    if socket.state() != State::Closed {
        socket.abort();
        return false;
    }
    if socket.remote_endpoint().is_none() {
        return true;
    }
    // smoltcp forgets the peer once the reset is out; one that cannot go out (a host that went
    // away, whose address no longer resolves) it retries for good, with an ARP request each
    // time, which hold up other sockets' (the interface sends one a second). So after
    // [`RESET_GRACE_MS`] the socket forgets its peer without it.
    if now_ms >= slot.released_at.saturating_add(RESET_GRACE_MS) {
        crate::stack::forget(socket);
        return true;
    }
    false
}

/// Free the slot: cancel its lookup or reset its connection (the answer is complete, or given
/// up; a reset, not a close, so no TIME-WAIT: the socket takes the next request a round later,
/// once the reset is sent).
fn release<D: Device>(stack: &mut NetStack<D>, slot: &mut Slot, now_ms: u64) {
    slot.released_at = now_ms;
    if let Some(job) = slot.job.take() {
        match job.stage {
            Stage::Resolving(query) => stack.cancel_lookup(query),
            // A SYN nobody answered: no reset, which would wait for the same address lookup.
            Stage::Connecting if stack.tcp(slot.socket).state() == State::SynSent => {
                crate::stack::forget(stack.tcp(slot.socket))
            }
            Stage::Connecting | Stage::Exchanging => stack.tcp(slot.socket).abort(),
        }
    }
}

fn timeout(ms: u32) -> String {
    format!("timeout after {ms} ms")
}

fn done(id: u32, result: Result<Response, String>) -> BoardEvent {
    BoardEvent::HttpDone {
        id,
        result: result.map(|r| HttpResponse {
            code: r.code,
            message: r.message,
            headers: r.headers,
            body: r.body,
        }),
    }
}
