//! Scripts' TCP and UDP sockets on the host: non-blocking std sockets behind the board's
//! [`Sockets`] trait, with results as [`BoardEvent`]s from [`HostSockets::poll_event`].
//!
//! TCP connects run on a short-lived worker thread with a timeout (std has no non-blocking
//! connect), so the device loop never blocks. Every buffer is bounded: a socket's send buffer
//! takes at most [`MAX_SEND_BUFFER`] bytes (`send` returns how many it took, and
//! `SocketWritable` follows once a full buffer drained), reads happen only while fewer than
//! [`MAX_EVENTS`] events wait, and a device holds at most [`MAX_SOCKETS`] sockets.
//!
//! Host names are resolved on the worker thread for TCP. UDP `send_to` takes IP addresses and
//! `localhost` only: a DNS lookup would block the device loop, and a datagram is sent at once
//! or not at all; other names are refused with an error saying so.
//!
//! Every socket's descriptor goes into the device loop's poll set ([`HostSockets::wait_fds`]);
//! a connect worker wakes the loop when it is done.

use std::collections::{BTreeMap, VecDeque};
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

use ferrite_runtime::board::{BoardError, BoardEvent, BoardResult, SocketId, Sockets};

use super::worker::{connect_in_background, pollfd, WakeHandle};

/// Sockets open at once.
pub const MAX_SOCKETS: usize = 32;
/// Bytes queued for sending on one TCP socket.
pub const MAX_SEND_BUFFER: usize = 64 * 1024;
/// Events waiting for the runtime before reading pauses.
pub const MAX_EVENTS: usize = 64;
/// Bytes read from one socket per read (one `SocketData` event at most this big).
const READ_CHUNK: usize = 4096;
/// How long a TCP connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

enum Sock {
    Connecting {
        rx: Receiver<Result<TcpStream, String>>,
        /// Bytes `send` took before the connection was up.
        out: Vec<u8>,
        owe_writable: bool,
    },
    Tcp {
        stream: TcpStream,
        out: Vec<u8>,
        /// `send` took less than offered: report `SocketWritable` once `out` drained.
        owe_writable: bool,
    },
    Listener(TcpListener),
    Udp(UdpSocket),
}

/// The host's sockets; see the module documentation.
pub struct HostSockets {
    socks: BTreeMap<SocketId, Sock>,
    next_id: SocketId,
    events: VecDeque<BoardEvent>,
    /// Where UDP datagrams are received (the largest a datagram can be).
    udp_buf: Vec<u8>,
    /// Wakes the device loop when a connect worker is done.
    wake: WakeHandle,
}

impl Default for HostSockets {
    fn default() -> Self {
        HostSockets::new()
    }
}

fn io_err(what: &str, e: std::io::Error) -> BoardError {
    match e.kind() {
        ErrorKind::AddrInUse | ErrorKind::PermissionDenied | ErrorKind::AddrNotAvailable => {
            BoardError::InvalidArgument(format!("{what}: {e}"))
        }
        _ => BoardError::Failed(format!("{what}: {e}")),
    }
}

impl HostSockets {
    pub fn new() -> HostSockets {
        HostSockets {
            socks: BTreeMap::new(),
            next_id: 1,
            events: VecDeque::new(),
            udp_buf: vec![0; 65536],
            wake: WakeHandle::none(),
        }
    }

    /// Wake the device loop through `wake` when a connect finishes.
    pub fn set_waker(&mut self, wake: WakeHandle) {
        self.wake = wake;
    }

    /// Add every socket's descriptor to the loop's poll set. Returns `false` when the loop must
    /// come back soon regardless (events wait for the runtime).
    pub fn wait_fds(&self, fds: &mut Vec<libc::pollfd>) -> bool {
        use std::os::fd::AsRawFd;
        if !self.events.is_empty() {
            return false;
        }
        for s in self.socks.values() {
            let fd = match s {
                // The worker wakes the loop.
                Sock::Connecting { .. } => continue,
                Sock::Tcp { stream, out, .. } => {
                    let ev = if out.is_empty() {
                        libc::POLLIN
                    } else {
                        libc::POLLIN | libc::POLLOUT
                    };
                    fds.push(pollfd(stream.as_raw_fd(), ev));
                    continue;
                }
                Sock::Listener(l) => l.as_raw_fd(),
                Sock::Udp(u) => u.as_raw_fd(),
            };
            fds.push(pollfd(fd, libc::POLLIN));
        }
        true
    }

    /// How many sockets are open.
    #[cfg(test)]
    pub fn open_count(&self) -> usize {
        self.socks.len()
    }

    fn add(&mut self, s: Sock) -> BoardResult<SocketId> {
        if self.socks.len() >= MAX_SOCKETS {
            return Err(BoardError::Failed(format!(
                "too many sockets: at most {MAX_SOCKETS} may be open"
            )));
        }
        let id = loop {
            let id = self.next_id;
            self.next_id = self.next_id.wrapping_add(1).max(1);
            if !self.socks.contains_key(&id) {
                break id;
            }
        };
        self.socks.insert(id, s);
        Ok(id)
    }

    /// Serve every socket (connects finished, accepts, reads, writes) and return the next event.
    pub fn poll_event(&mut self) -> Option<BoardEvent> {
        if self.events.is_empty() {
            self.drive();
        }
        self.events.pop_front()
    }

    fn drive(&mut self) {
        let ids: Vec<SocketId> = self.socks.keys().copied().collect();
        for id in ids {
            if self.events.len() >= MAX_EVENTS {
                break;
            }
            self.drive_one(id);
        }
    }

    fn drive_one(&mut self, id: SocketId) {
        let Some(sock) = self.socks.get_mut(&id) else {
            return;
        };
        let mut closed: Option<Option<String>> = None;
        let mut accepted = None;
        match sock {
            Sock::Connecting {
                rx,
                out,
                owe_writable,
            } => match rx.try_recv() {
                Ok(Ok(stream)) => {
                    if let Err(e) = stream.set_nonblocking(true) {
                        closed = Some(Some(format!("set_nonblocking: {e}")));
                    } else {
                        let _ = stream.set_nodelay(true);
                        *sock = Sock::Tcp {
                            stream,
                            out: std::mem::take(out),
                            owe_writable: *owe_writable,
                        };
                        self.events
                            .push_back(BoardEvent::SocketConnected { socket: id });
                    }
                }
                Ok(Err(e)) => closed = Some(Some(e)),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    closed = Some(Some("connect worker vanished".into()))
                }
            },
            Sock::Tcp {
                stream,
                out,
                owe_writable,
            } => {
                // Write first, then read.
                while !out.is_empty() {
                    match stream.write(out) {
                        Ok(0) => {
                            closed = Some(Some("connection closed while writing".into()));
                            break;
                        }
                        Ok(n) => {
                            out.drain(..n);
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(e) => {
                            closed = Some(Some(format!("write: {e}")));
                            break;
                        }
                    }
                }
                if closed.is_none() && out.is_empty() && *owe_writable {
                    *owe_writable = false;
                    self.events
                        .push_back(BoardEvent::SocketWritable { socket: id });
                }
                if closed.is_none() {
                    let mut buf = vec![0u8; READ_CHUNK];
                    match stream.read(&mut buf) {
                        Ok(0) => closed = Some(None),
                        Ok(n) => {
                            buf.truncate(n);
                            self.events.push_back(BoardEvent::SocketData {
                                socket: id,
                                data: buf,
                                from: None,
                            });
                        }
                        Err(e)
                            if e.kind() == ErrorKind::WouldBlock
                                || e.kind() == ErrorKind::Interrupted => {}
                        Err(e) => closed = Some(Some(format!("read: {e}"))),
                    }
                }
            }
            Sock::Listener(l) => match l.accept() {
                Ok(conn) => accepted = Some(conn),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => closed = Some(Some(format!("accept: {e}"))),
            },
            Sock::Udp(u) => {
                let buf = &mut self.udp_buf;
                match u.recv_from(buf) {
                    Ok((n, from)) => {
                        self.events.push_back(BoardEvent::SocketData {
                            socket: id,
                            data: buf[..n].to_vec(),
                            from: Some((from.ip().to_string(), from.port())),
                        });
                    }
                    Err(e)
                        if e.kind() == ErrorKind::WouldBlock
                            || e.kind() == ErrorKind::Interrupted => {}
                    // ICMP errors of earlier sends (port unreachable) do not close a UDP socket.
                    Err(e) if e.kind() == ErrorKind::ConnectionRefused => {}
                    Err(e) => closed = Some(Some(format!("recv: {e}"))),
                }
            }
        }
        if let Some((stream, peer)) = accepted {
            self.accepted(id, stream, peer);
        }
        if let Some(error) = closed {
            self.socks.remove(&id);
            self.events
                .push_back(BoardEvent::SocketClosed { socket: id, error });
        }
    }
}

impl HostSockets {
    /// A connection listener `id` accepted: a new socket, or dropped beyond the socket limit.
    fn accepted(&mut self, listener: SocketId, stream: TcpStream, peer: SocketAddr) {
        if stream.set_nonblocking(true).is_err() {
            return;
        }
        let _ = stream.set_nodelay(true);
        let s = Sock::Tcp {
            stream,
            out: Vec::new(),
            owe_writable: false,
        };
        if let Ok(socket) = self.add(s) {
            self.events.push_back(BoardEvent::SocketAccepted {
                listener,
                socket,
                peer: peer.to_string(),
            });
        }
    }
}

/// The address of `host:port` for UDP `send_to`: an IP literal or `localhost`. Other names
/// are refused: resolving them would block the device loop (see the module documentation).
fn resolve(host: &str, port: u16) -> BoardResult<SocketAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    Err(BoardError::InvalidArgument(format!(
        "UDP send_to needs an IP address or localhost, not {host:?} (a DNS lookup would block \
         the device)"
    )))
}

impl Sockets for HostSockets {
    fn tcp_connect(&mut self, host: &str, port: u16) -> BoardResult<SocketId> {
        if host.is_empty() || port == 0 {
            return Err(BoardError::InvalidArgument(format!(
                "address {host}:{port}"
            )));
        }
        if self.socks.len() >= MAX_SOCKETS {
            return Err(BoardError::Failed(format!(
                "too many sockets: at most {MAX_SOCKETS} may be open"
            )));
        }
        let rx = connect_in_background(
            "socket-connect",
            host,
            port,
            CONNECT_TIMEOUT,
            self.wake.clone(),
        )
        .map_err(BoardError::Failed)?;
        let id = self.add(Sock::Connecting {
            rx,
            out: Vec::new(),
            owe_writable: false,
        })?;
        Ok(id)
    }

    fn tcp_listen(&mut self, port: u16) -> BoardResult<SocketId> {
        let l = TcpListener::bind(("0.0.0.0", port)).map_err(|e| io_err("listen", e))?;
        l.set_nonblocking(true).map_err(|e| io_err("listen", e))?;
        self.add(Sock::Listener(l))
    }

    fn udp_bind(&mut self, port: u16) -> BoardResult<SocketId> {
        let u = UdpSocket::bind(("0.0.0.0", port)).map_err(|e| io_err("udp bind", e))?;
        u.set_nonblocking(true).map_err(|e| io_err("udp bind", e))?;
        // Scripts may broadcast (255.255.255.255, a subnet's broadcast address), as on the chip,
        // whose stack sends those without asking.
        u.set_broadcast(true).map_err(|e| io_err("udp bind", e))?;
        self.add(Sock::Udp(u))
    }

    fn send(&mut self, socket: SocketId, data: &[u8]) -> BoardResult<usize> {
        let (out, owe) = match self.socks.get_mut(&socket) {
            Some(Sock::Connecting {
                out, owe_writable, ..
            })
            | Some(Sock::Tcp {
                out, owe_writable, ..
            }) => (out, owe_writable),
            Some(_) => {
                return Err(BoardError::InvalidArgument(format!(
                    "socket {socket} is not a TCP connection"
                )))
            }
            None => return Err(BoardError::InvalidArgument(format!("no socket {socket}"))),
        };
        let n = data
            .len()
            .min(MAX_SEND_BUFFER - out.len().min(MAX_SEND_BUFFER));
        out.extend_from_slice(&data[..n]);
        if n < data.len() {
            *owe = true;
        }
        // Write at once what the socket takes (the rest goes in `poll_event`).
        if let Some(Sock::Tcp { stream, out, .. }) = self.socks.get_mut(&socket) {
            while !out.is_empty() {
                match stream.write(out) {
                    Ok(0) => break,
                    Ok(k) => {
                        out.drain(..k);
                    }
                    // Errors are reported as SocketClosed by poll_event.
                    Err(_) => break,
                }
            }
        }
        Ok(n)
    }

    fn send_to(&mut self, socket: SocketId, host: &str, port: u16, data: &[u8]) -> BoardResult<()> {
        let Some(Sock::Udp(u)) = self.socks.get_mut(&socket) else {
            return Err(BoardError::InvalidArgument(format!(
                "socket {socket} is not a UDP socket"
            )));
        };
        let addr = resolve(host, port)?;
        match u.send_to(data, addr) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                Err(BoardError::Failed("UDP send buffer full".into()))
            }
            Err(e) => Err(io_err("send_to", e)),
        }
    }

    /// Close a socket (unsent TCP data is written first if the socket takes it at once). No
    /// `SocketClosed` follows for a socket closed this way.
    fn close(&mut self, socket: SocketId) {
        if let Some(Sock::Tcp {
            mut stream, out, ..
        }) = self.socks.remove(&socket)
        {
            let _ = stream.write(&out);
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn wait_event(s: &mut HostSockets) -> BoardEvent {
        let start = Instant::now();
        loop {
            if let Some(e) = s.poll_event() {
                return e;
            }
            assert!(start.elapsed() < Duration::from_secs(5), "no event");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn udp_send_to_refuses_names_that_need_a_lookup() {
        let mut s = HostSockets::new();
        let u = s.udp_bind(0).unwrap();
        let started = Instant::now();
        let e = s
            .send_to(u, "no-such-host.invalid", 9, b"x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("IP address or localhost"), "{e}");
        assert!(started.elapsed() < Duration::from_millis(100), "no lookup");
        s.send_to(u, "localhost", 9, b"x").unwrap();
        s.send_to(u, "127.0.0.1", 9, b"x").unwrap();
    }

    #[test]
    fn tcp_listen_connect_echo_close() {
        let mut s = HostSockets::new();
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let l = s.tcp_listen(port).unwrap();
        let c = s.tcp_connect("127.0.0.1", port).unwrap();
        // Taken before the connection is up, sent when it is.
        assert_eq!(s.send(c, b"hello").unwrap(), 5);
        let mut accepted = None;
        let mut connected = false;
        while accepted.is_none() || !connected {
            match wait_event(&mut s) {
                BoardEvent::SocketConnected { socket } => {
                    assert_eq!(socket, c);
                    connected = true;
                }
                BoardEvent::SocketAccepted {
                    listener, socket, ..
                } => {
                    assert_eq!(listener, l);
                    accepted = Some(socket);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        let a = accepted.unwrap();
        match wait_event(&mut s) {
            BoardEvent::SocketData { socket, data, from } => {
                assert_eq!((socket, data.as_slice(), from), (a, &b"hello"[..], None));
            }
            other => panic!("unexpected {other:?}"),
        }
        s.close(c);
        assert_eq!(
            wait_event(&mut s),
            BoardEvent::SocketClosed {
                socket: a,
                error: None
            }
        );
        assert!(s.send(c, b"x").is_err());
    }

    #[test]
    fn udp_broadcasts_reach_sockets_on_the_port() {
        let mut s = HostSockets::new();
        let u = s.udp_bind(0).unwrap();
        let receiver = s.udp_bind(0).unwrap();
        let port = match &s.socks[&receiver] {
            Sock::Udp(r) => r.local_addr().unwrap().port(),
            _ => unreachable!(),
        };
        // The loopback network's broadcast address: delivered on this machine alone.
        s.send_to(u, "127.255.255.255", port, b"to all").unwrap();
        match wait_event(&mut s) {
            BoardEvent::SocketData { socket, data, .. } => {
                assert_eq!(socket, receiver);
                assert_eq!(data, b"to all");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn udp_round_trip_and_bounded_send_buffer() {
        let mut s = HostSockets::new();
        let u1 = s.udp_bind(0).unwrap();
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = peer.local_addr().unwrap().port();
        s.send_to(u1, "127.0.0.1", port, b"ping").unwrap();
        let mut buf = [0u8; 16];
        peer.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let (n, from) = peer.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"ping");
        peer.send_to(b"pong", from).unwrap();
        match wait_event(&mut s) {
            BoardEvent::SocketData { data, from, .. } => {
                assert_eq!(data, b"pong");
                assert_eq!(from, Some(("127.0.0.1".into(), port)));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(s.send(u1, b"x").is_err(), "send on UDP");

        // A peer that never reads: the send buffer fills up and says so.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let c = s.tcp_connect("127.0.0.1", port).unwrap();
        assert_eq!(
            wait_event(&mut s),
            BoardEvent::SocketConnected { socket: c }
        );
        let (_held, _) = l.accept().unwrap();
        let chunk = vec![0u8; 16 * 1024];
        let mut total = 0;
        let mut short = false;
        for _ in 0..2000 {
            let n = s.send(c, &chunk).unwrap();
            total += n;
            if n < chunk.len() {
                short = true;
                break;
            }
        }
        assert!(short, "the send buffer never filled ({total} bytes taken)");
        // The peer reads everything: once the buffer drained, the socket says it is writable.
        let mut held = _held;
        let reader = std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            let mut got = 0;
            while got < total {
                match held.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got += n,
                }
            }
            got
        });
        assert_eq!(wait_event(&mut s), BoardEvent::SocketWritable { socket: c });
        assert_eq!(reader.join().unwrap(), total);
    }

    #[test]
    fn connect_refused_reports_closed() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut s = HostSockets::new();
        let c = s.tcp_connect("127.0.0.1", port).unwrap();
        match wait_event(&mut s) {
            BoardEvent::SocketClosed { socket, error } => {
                assert_eq!(socket, c);
                assert!(error.is_some());
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(s.open_count(), 0);
    }
}
