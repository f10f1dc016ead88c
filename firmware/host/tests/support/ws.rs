//! A minimal WebSocket client over a blocking `TcpStream` (frames from
//! `ferrite_protocols::websocket`), for tests of the device's `/rpc` and the bridge.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use ferrite_protocols::websocket::{self, opcode, Decoder, Message};
use serde_json::Value as Json;

pub struct WsClient {
    pub s: TcpStream,
    dec: Decoder,
}

impl WsClient {
    /// Connect to `127.0.0.1:port` and upgrade `path`.
    pub fn connect(port: u16, path: &str) -> WsClient {
        Self::connect_with(port, path, &[]).unwrap_or_else(|head| panic!("{head}"))
    }

    /// Connect with extra request headers (e.g. `("Origin", "http://x")`); `Err`: the
    /// response head (and what followed it) when the upgrade was refused.
    pub fn connect_with(
        port: u16,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<WsClient, String> {
        Self::handshake(
            TcpStream::connect(("127.0.0.1", port)).expect("connect"),
            port,
            path,
            headers,
        )
    }

    /// Connect with a receive buffer of `bytes` (set before connecting, so the kernel does
    /// not grow it): a client that stops reading is seen as such soon.
    pub fn connect_small_buffer(port: u16, path: &str, bytes: i32) -> WsClient {
        use std::os::fd::FromRawFd;
        // SAFETY: plain socket calls on an fd this function owns; every result is checked.
        let s = unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
            assert!(fd >= 0, "socket");
            let s = TcpStream::from_raw_fd(fd);
            let r = libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                &bytes as *const i32 as *const libc::c_void,
                std::mem::size_of::<i32>() as libc::socklen_t,
            );
            assert_eq!(r, 0, "SO_RCVBUF");
            let addr = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: port.to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from(std::net::Ipv4Addr::LOCALHOST).to_be(),
                },
                sin_zero: [0; 8],
            };
            let r = libc::connect(
                fd,
                &addr as *const libc::sockaddr_in as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            );
            assert_eq!(r, 0, "connect: {}", std::io::Error::last_os_error());
            s
        };
        Self::handshake(s, port, path, &[]).unwrap_or_else(|head| panic!("{head}"))
    }

    fn handshake(
        mut s: TcpStream,
        port: u16,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<WsClient, String> {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut req = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n"
        );
        // A `Host` given replaces the default one.
        for (k, v) in headers {
            if k.eq_ignore_ascii_case("Host") {
                req = req.replace(&format!("Host: 127.0.0.1:{port}\r\n"), "");
            }
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).unwrap();
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(s.read(&mut b).unwrap(), 1, "closed during the handshake");
            head.push(b[0]);
        }
        let mut head = String::from_utf8(head).unwrap();
        if !head.starts_with("HTTP/1.1 101 ") {
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest);
            head.push_str(&String::from_utf8_lossy(&rest));
            return Err(head);
        }
        Ok(WsClient {
            s,
            dec: Decoder::client(1 << 22),
        })
    }

    fn send(&mut self, op: u8, payload: &[u8]) {
        let mut out = Vec::new();
        websocket::encode_frame(&mut out, op, payload, Some([3, 1, 4, 1]));
        self.s.write_all(&out).unwrap();
    }

    pub fn send_text(&mut self, text: &str) {
        self.send(opcode::TEXT, text.as_bytes());
    }

    pub fn send_json(&mut self, j: &Json) {
        self.send_text(&j.to_string());
    }

    pub fn send_binary(&mut self, data: &[u8]) {
        self.send(opcode::BINARY, data);
    }

    /// The next message (pings are answered); `None` if the connection ended.
    pub fn recv(&mut self) -> Option<Message> {
        loop {
            match self.dec.next_message().expect("a valid WebSocket stream") {
                Some(Message::Ping(p)) => self.send(opcode::PONG, &p),
                Some(m) => return Some(m),
                None => {}
            }
            let mut chunk = [0u8; 16384];
            match self.s.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.dec.feed(&chunk[..n]),
                Err(e) => panic!("no WebSocket message in time: {e}"),
            }
        }
    }

    /// Text messages as JSON until one satisfies `pred` (binary messages are skipped).
    pub fn recv_json_until(&mut self, what: &str, pred: impl Fn(&Json) -> bool) -> Json {
        let t0 = Instant::now();
        while t0.elapsed() < super::TIMEOUT {
            match self.recv() {
                Some(Message::Text(t)) => {
                    let j: Json = serde_json::from_str(&t).expect("text message is JSON");
                    if pred(&j) {
                        return j;
                    }
                }
                Some(_) => {}
                None => panic!("the connection ended while waiting for {what}"),
            }
        }
        panic!("timed out waiting for {what}");
    }
}
