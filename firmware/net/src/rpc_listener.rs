//! [`RpcListener`]: the device's HTTP/WebSocket JSON-RPC on port 80: the shared sans-IO [`Server`] of
//! `ferrite-rpc-server` (the same one the virtual device serves) driven over smoltcp sockets.
//!
//! smoltcp has no accept queue: each of [`SLOTS`] TCP sockets listens on port 80 by itself, and
//! one that a client connected to becomes a server connection; when it is closed it listens
//! again. The server serves one client fewer than there are sockets ([`CLIENTS`]): the spare
//! socket takes a new client while all are served, and the server then closes the least
//! recently active idle connection to make room for it (or refuses it when every client has a
//! request in progress), as on the host. Sockets only listen while the device has an address;
//! when the link drops every connection fails and is forgotten.
//!
//! Must never: block, read more than the server has room for, or keep a connection the server
//! closed.

use alloc::vec::Vec;

use ferrite_rpc_server::{Close, Config, ConnId, Server};
use ferrite_runtime::device::Notification;
use ferrite_runtime::json::Json;
use ferrite_runtime::rpc::RpcError;
use ferrite_runtime::Runtime;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State;

use smoltcp::phy::Device;

use crate::NetStack;

/// The RPC port (Shelly devices serve RPC on 80).
pub const PORT: u16 = 80;
/// Listening sockets.
pub const SLOTS: usize = 5;
/// Clients served at once: one socket stays free for the next client, so that a full device
/// closes an idle connection for it rather than leaving it unanswered.
pub const CLIENTS: usize = SLOTS - 1;
/// smoltcp's per-socket buffers: a receive window of this many bytes…
const RX_BUFFER: usize = 2048;
/// …and this much unacknowledged output in flight (the server holds the rest).
const TX_BUFFER: usize = 4096;

/// The server's limits on the chip: [`CLIENTS`] connections, 16 KiB of unsent output per
/// connection (a `Shelly.GetStatus` or a script's code chunk fits), log lines skipped for a
/// follower beyond 8 KiB, 16 KiB WebSocket messages (`Script.PutCode` chunks are 4 KiB).
pub const CHIP_LIMITS: Config = Config {
    max_connections: CLIENTS,
    max_output: 16 * 1024,
    follow_output_limit: 8 * 1024,
    ws_message_limit: 16 * 1024,
};

struct Slot {
    socket: SocketHandle,
    /// The server connection on this socket.
    conn: Option<ConnId>,
    /// The client sent its FIN (told to the server once).
    peer_closed: bool,
    /// Since when the socket, with no server connection, has been neither listening nor
    /// closed (a handshake, or the end of a connection the server is done with).
    unattended_since: Option<u64>,
}

/// How long a socket may stay in a handshake or in the closing states with no server
/// connection before it is aborted and listens again: a peer that vanished mid-handshake or
/// mid-close must not hold one of the few sockets for good (smoltcp has no timeout of its own
/// for those states).
pub const UNATTENDED_TIMEOUT_MS: u64 = 10_000;

/// The RPC server and its sockets.
pub struct RpcListener {
    server: Server,
    slots: Vec<Slot>,
}

impl RpcListener {
    /// Make the sockets (once, at boot). `nonce_key`: random, for the digest nonces.
    pub fn new<D: Device>(stack: &mut NetStack<D>, nonce_key: [u8; 32]) -> RpcListener {
        let slots = (0..SLOTS)
            .map(|_| Slot {
                socket: stack.add_tcp(RX_BUFFER, TX_BUFFER),
                conn: None,
                peer_closed: false,
                unattended_since: None,
            })
            .collect();
        RpcListener {
            server: Server::new(CHIP_LIMITS, nonce_key),
            slots,
        }
    }

    /// After the runtime booted.
    pub fn on_boot(&mut self, rt: &mut Runtime, now_ms: u64) {
        self.server.on_boot(rt, now_ms);
    }

    /// Accept, read, run requests. Returns whether there is more to do at once.
    pub fn poll<D: Device>(
        &mut self,
        stack: &mut NetStack<D>,
        rt: &mut Runtime,
        now_ms: u64,
    ) -> bool {
        let up = stack.is_up();
        for slot in self.slots.iter_mut() {
            let socket = stack.tcp(slot.socket);
            if !up {
                if socket.state() != State::Closed {
                    socket.abort();
                }
                if let Some(id) = slot.conn.take() {
                    self.server.connection_failed(id);
                }
                continue;
            }
            if slot.conn.is_none() {
                match socket.state() {
                    State::Closed => {
                        slot.unattended_since = None;
                        // Only fails for port 0 or an open socket.
                        let _ = socket.listen(PORT);
                    }
                    State::Listen => slot.unattended_since = None,
                    // A new connection — also one whose FIN arrived with its first data
                    // (smoltcp handles every queued frame in one poll): the server reads what
                    // came and answers what it can.
                    State::Established | State::CloseWait => {
                        slot.unattended_since = None;
                        match self.server.accept(now_ms) {
                            Some(id) => {
                                slot.conn = Some(id);
                                slot.peer_closed = false;
                            }
                            None => socket.abort(),
                        }
                    }
                    // A connection the device closed first waits out TIME-WAIT (10 s in
                    // smoltcp): with a handful of sockets that would refuse clients after a
                    // few quick requests. Its FIN was answered; drop it and listen again.
                    State::TimeWait => {
                        slot.unattended_since = None;
                        socket.abort();
                    }
                    // A handshake, or closing a finished connection: bounded in time.
                    _ => {
                        let since = *slot.unattended_since.get_or_insert(now_ms);
                        if now_ms.saturating_sub(since) >= UNATTENDED_TIMEOUT_MS {
                            slot.unattended_since = None;
                            socket.abort();
                        }
                    }
                }
            }
            let Some(id) = slot.conn else { continue };
            loop {
                let room = self.server.input_room(id);
                if room == 0 || !socket.can_recv() {
                    break;
                }
                let server = &mut self.server;
                let read = socket.recv(|data| {
                    let n = data.len().min(room);
                    server.feed(id, &data[..n], now_ms);
                    (n, n)
                });
                if !matches!(read, Ok(n) if n > 0) {
                    break;
                }
            }
            match socket.state() {
                // The client will send nothing more (its FIN arrived) and everything it sent
                // before was read; answers may still go out.
                State::CloseWait | State::LastAck if !slot.peer_closed && !socket.can_recv() => {
                    slot.peer_closed = true;
                    self.server.peer_closed(id);
                }
                // Reset by the client or timed out.
                State::Closed | State::TimeWait => {
                    slot.conn = None;
                    self.server.connection_failed(id);
                }
                _ => {}
            }
        }
        let busy = self.server.poll(rt, now_ms);
        self.close_finished(stack);
        busy
    }

    /// Answers and notifications for the server's clients (the same `done` and `notes` every
    /// transport of the loop gets).
    pub fn deliver(
        &mut self,
        rt: &mut Runtime,
        done: &[(u32, Result<Json, RpcError>)],
        notes: &[Notification],
        now_ms: u64,
    ) {
        self.server.deliver(rt, done, notes, now_ms);
    }

    /// Move the server's output into the sockets, then close what the server is done with.
    pub fn flush<D: Device>(&mut self, stack: &mut NetStack<D>, now_ms: u64) {
        for slot in &self.slots {
            let Some(id) = slot.conn else { continue };
            let out = self.server.output(id);
            if out.is_empty() {
                continue;
            }
            let socket = stack.tcp(slot.socket);
            if !socket.can_send() {
                continue;
            }
            let n = socket.send_slice(out).unwrap_or(0);
            self.server.consume(id, n, now_ms);
        }
        self.close_finished(stack);
    }

    /// Whether output is still on its way: held by the server, or in a socket and not yet
    /// acknowledged by the client.
    pub fn pending<D: Device>(&self, stack: &mut NetStack<D>) -> bool {
        self.slots.iter().any(|s| {
            let socket = stack.tcp(s.socket);
            // An aborted socket keeps its buffer until it listens again: nothing goes out.
            s.conn.is_some_and(|id| !self.server.output(id).is_empty())
                || (socket.is_active() && socket.send_queue() > 0)
        })
    }

    fn close_finished<D: Device>(&mut self, stack: &mut NetStack<D>) {
        while let Some((id, how)) = self.server.take_close() {
            let Some(slot) = self.slots.iter_mut().find(|s| s.conn == Some(id)) else {
                continue;
            };
            slot.conn = None;
            let socket = stack.tcp(slot.socket);
            match how {
                // smoltcp sends what it holds, then the FIN; the socket listens again once
                // it is closed.
                Close::Graceful => socket.close(),
                Close::Abort => socket.abort(),
            }
        }
    }
}
