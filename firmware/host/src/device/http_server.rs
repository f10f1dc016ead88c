//! The virtual device's HTTP/WebSocket RPC server, compatible with Shelly Gen2 devices:
//!
//! - `POST /rpc` with a JSON-RPC frame → the response frame;
//! - `GET|POST /rpc/<Method>` with params from the query (values as JSON when they parse) or the
//!   body → the bare result, errors as HTTP 4xx/5xx with the error object;
//! - `GET /shelly` → device info (never needs authentication);
//! - WebSocket on `/rpc`: request frames in, response frames out, and every notification
//!   (`NotifyStatus`, `NotifyEvent`) to clients that sent a request with a `src`; after
//!   `Log.Follow` also the device log (`NotifyLog`) and `NotifyTelemetry` (never to clients
//!   that did not ask: Shelly clients see what a Shelly sends);
//! - `GET|HEAD /ide/…` with `--ide DIR`: the IDE's static files (no authentication);
//! - WebSocket on `/debug/log`: the device log as `{ts, level, data}` frames;
//! - `/script/<id>/<name>`: scripts' `HTTPServer.registerEndpoint` endpoints (answers close
//!   the connection, as on Shelly).
//!
//! Everything the server decides is the sans-IO [`ferrite_rpc_server::Server`], shared with the
//! ESP32-C3 firmware; this module is its std driver: a non-blocking `TcpListener`, non-blocking
//! `TcpStream`s read and written from [`Transport::poll`], the time as milliseconds since the
//! server started, and the static files of `--ide DIR` (`static_files.rs`). It must decide
//! nothing about the protocol itself. Limits as on Shelly: 5 transactions in flight (503), 10 s
//! per transaction (504), request size 16 KiB for `/rpc`, 3072 bytes for script endpoints
//! (connection reset), 64 KiB WebSocket messages. Connection slots are protected: 32 at most
//! (when full, the least recently active idle one is closed for a new one), a connection whose
//! output has not shrunk for 10 s is closed, a silent WebSocket is pinged after 60 s and closed
//! without an answer 30 s later. With a password set (`Shelly.SetAuth`), requests need digest
//! authentication except `GET /shelly`, `OPTIONS`, `Shelly.GetDeviceInfo` and the `/rpc`
//! WebSocket upgrade (its frames carry their own `auth`); see docs/PROTOCOL.md §4.4.

mod static_files;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Instant;

use ferrite_rpc_server::{Close, Config, ConnId, Server};
use ferrite_runtime::device::Notification;
use ferrite_runtime::json::Json;
use ferrite_runtime::rpc::RpcError;
use ferrite_runtime::Runtime;

use super::{DeviceOptions, Transport};

/// Bytes read from a socket at a time.
const READ_CHUNK: usize = 8192;

pub struct HttpServer {
    listener: TcpListener,
    server: Server,
    /// The sockets of the server's connections.
    streams: Vec<(ConnId, TcpStream)>,
    /// Time zero of the milliseconds the server gets.
    started: Instant,
}

impl HttpServer {
    /// Listen on `addr` (`host:port`; port 0 picks one). Prints
    /// `http: listening on http://<addr>` to stderr. `nonce_key`: the secret digest nonces are
    /// made with (random, from the system).
    pub fn bind(
        addr: &str,
        opts: &DeviceOptions,
        nonce_key: [u8; 32],
    ) -> Result<HttpServer, String> {
        let ide_root = match &opts.ide {
            None => None,
            Some(dir) => {
                let root = dir
                    .canonicalize()
                    .map_err(|e| format!("--ide {}: {e}", dir.display()))?;
                if !root.is_dir() {
                    return Err(format!("--ide {}: not a directory", dir.display()));
                }
                Some(root)
            }
        };
        let listener =
            TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("{addr}: {e}"))?;
        let local = listener.local_addr().map_err(|e| format!("{addr}: {e}"))?;
        eprintln!("http: listening on http://{local}");
        let mut server = Server::new(Config::HOST, nonce_key);
        if let Some(root) = ide_root {
            eprintln!("http: the IDE at http://{local}/ide/");
            server = server.with_static_files(Box::new(static_files::IdeFiles::new(root)));
        }
        Ok(HttpServer {
            listener,
            server,
            streams: Vec::new(),
            started: Instant::now(),
        })
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Accept every waiting connection (the server refuses one when all slots are busy).
    fn accept(&mut self, now_ms: u64) -> bool {
        let mut did = false;
        loop {
            match self.listener.accept() {
                Ok((stream, _peer)) => {
                    did = true;
                    if stream.set_nonblocking(true).is_err() {
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    match self.server.accept(now_ms) {
                        Some(id) => self.streams.push((id, stream)),
                        None => drop(stream),
                    }
                    // An evicted connection's socket goes before the next accept.
                    self.close_finished();
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        did
    }

    /// Read what the sockets have, as much as the server takes.
    fn read_input(&mut self, now_ms: u64) -> bool {
        let mut did = false;
        let mut buf = [0u8; READ_CHUNK];
        for (id, stream) in self.streams.iter_mut() {
            loop {
                let room = self.server.input_room(*id).min(buf.len());
                if room == 0 {
                    break;
                }
                match stream.read(&mut buf[..room]) {
                    Ok(0) => {
                        // The client is done sending: what it sent is answered, then closed.
                        self.server.peer_closed(*id);
                        did = true;
                        break;
                    }
                    Ok(k) => {
                        did = true;
                        self.server.feed(*id, &buf[..k], now_ms);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(_) => {
                        self.server.connection_failed(*id);
                        did = true;
                        break;
                    }
                }
            }
        }
        did
    }

    /// Write what the server has for each socket, as much as the sockets take.
    fn write_output(&mut self, now_ms: u64) -> bool {
        let mut did = false;
        for (id, stream) in self.streams.iter_mut() {
            loop {
                let out = self.server.output(*id);
                if out.is_empty() {
                    break;
                }
                match stream.write(out) {
                    Ok(0) => {
                        self.server.connection_failed(*id);
                        break;
                    }
                    Ok(n) => {
                        did = true;
                        self.server.consume(*id, n, now_ms);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(_) => {
                        self.server.connection_failed(*id);
                        break;
                    }
                }
            }
        }
        did
    }

    /// Close the sockets of the connections the server is done with.
    fn close_finished(&mut self) -> bool {
        let mut did = false;
        while let Some((id, how)) = self.server.take_close() {
            did = true;
            let Some(i) = self.streams.iter().position(|(s, _)| *s == id) else {
                continue;
            };
            let (_, stream) = self.streams.remove(i);
            if how == Close::Graceful {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
        did
    }

    /// One round at `now_ms`: accept, read, handle, write, close.
    fn round(&mut self, rt: &mut Runtime, now_ms: u64) -> bool {
        let mut did = self.accept(now_ms);
        did |= self.read_input(now_ms);
        did |= self.server.poll(rt, now_ms);
        did |= self.write_output(now_ms);
        did | self.close_finished()
    }
}

impl Transport for HttpServer {
    fn poll(&mut self, rt: &mut Runtime) -> bool {
        let now = self.now_ms();
        self.round(rt, now)
    }

    fn on_boot(&mut self, rt: &mut Runtime) {
        let now = self.now_ms();
        self.server.on_boot(rt, now);
        self.write_output(now);
        self.close_finished();
    }

    fn wait_fds(&self, fds: &mut Vec<libc::pollfd>) -> bool {
        use std::os::fd::AsRawFd;
        fds.push(libc::pollfd {
            fd: self.listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        });
        for (id, stream) in &self.streams {
            let mut events = 0;
            if self.server.input_room(*id) > 0 {
                events |= libc::POLLIN;
            }
            if !self.server.output(*id).is_empty() {
                events |= libc::POLLOUT;
            }
            // A connection waiting for an answer is not watched (a hangup would wake the
            // loop over and over); the answer or the timeout wakes it.
            if events != 0 {
                fds.push(libc::pollfd {
                    fd: stream.as_raw_fd(),
                    events,
                    revents: 0,
                });
            }
        }
        // The server's timers (at least seconds) need no wake-up of their own: the loop wakes
        // at least every second.
        true
    }

    fn deliver(
        &mut self,
        rt: &mut Runtime,
        done: &[(u32, Result<Json, RpcError>)],
        notifications: &[Notification],
    ) {
        let now = self.now_ms();
        self.server.deliver(rt, done, notifications, now);
        self.write_output(now);
        self.close_finished();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> HttpServer {
        let opts = super::super::parse(&[]).unwrap();
        HttpServer::bind("127.0.0.1:0", &opts, [3; 32]).unwrap()
    }

    fn runtime() -> Runtime {
        use ferrite_runtime::sim::{MemStorage, SimBoard, SimSystem, VirtualClock};
        let board = SimBoard::new(
            Box::new(VirtualClock::new(None)),
            Box::new(MemStorage::new(0)),
            Box::new(SimSystem::new(7, [1, 2, 3, 4, 5, 6])),
        );
        let mut rt = Runtime::new(Box::new(board), Default::default());
        rt.boot();
        rt
    }

    /// Run rounds at `now_ms` until `cond` holds (5 s at most).
    fn rounds_until(
        s: &mut HttpServer,
        rt: &mut Runtime,
        now_ms: u64,
        what: &str,
        cond: impl Fn(&HttpServer) -> bool,
    ) {
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        while !cond(s) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            s.round(rt, now_ms);
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    /// The client's socket sees the end of the connection (end of stream or a reset).
    fn sees_close(client: &mut TcpStream) -> bool {
        client
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut b = [0u8; 1];
        matches!(client.read(&mut b), Ok(0) | Err(_))
    }

    #[test]
    fn a_full_table_evicts_the_oldest_idle_connection_and_closes_its_socket() {
        let mut s = server();
        let mut rt = runtime();
        let addr = s.listener.local_addr().unwrap();
        let max = Config::HOST.max_connections;
        // One connection per millisecond: the first is the least recently active.
        let mut clients = Vec::new();
        for i in 0..max {
            clients.push(TcpStream::connect(addr).unwrap());
            rounds_until(&mut s, &mut rt, i as u64, "the accept", |s| {
                s.streams.len() == i + 1
            });
        }
        // Connection 1 has a request in progress: it keeps its slot.
        let fresh = s.server.input_room(s.streams[0].0);
        clients[0].write_all(b"GET /shelly HTTP/1.1\r\n").unwrap();
        rounds_until(&mut s, &mut rt, max as u64, "the partial request", |s| {
            s.server.input_room(s.streams[0].0) < fresh
        });
        let _new = TcpStream::connect(addr).unwrap();
        rounds_until(&mut s, &mut rt, max as u64 + 1, "the eviction", |s| {
            s.streams.iter().any(|(id, _)| id.get() == max as u64 + 1)
        });
        let ids: Vec<u64> = s.streams.iter().map(|(id, _)| id.get()).collect();
        assert_eq!(ids.len(), max);
        assert!(ids.contains(&1), "the busy connection stays");
        assert!(!ids.contains(&2), "the oldest idle connection is evicted");
        assert!(sees_close(&mut clients[1]), "its socket is closed");
    }

    #[test]
    fn a_connection_that_trickles_its_request_gets_408_and_its_socket_closes() {
        let mut s = server();
        let mut rt = runtime();
        let mut client = TcpStream::connect(s.listener.local_addr().unwrap()).unwrap();
        rounds_until(&mut s, &mut rt, 0, "the accept", |s| s.streams.len() == 1);
        let id = s.streams[0].0;
        let fresh = s.server.input_room(id);
        client.write_all(b"POST /rpc HTTP/1.1\r\n").unwrap();
        rounds_until(&mut s, &mut rt, 1_000, "the partial request", |s| {
            s.server.input_room(id) < fresh
        });
        s.round(&mut rt, 5_000);
        assert_eq!(s.streams.len(), 1, "still within the request timeout");
        rounds_until(&mut s, &mut rt, 11_500, "the close", |s| {
            s.streams.is_empty()
        });
        client
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut answer = String::new();
        client.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    }
}
