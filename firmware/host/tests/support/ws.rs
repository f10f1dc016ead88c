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
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        s.write_all(req.as_bytes()).unwrap();
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(s.read(&mut b).unwrap(), 1, "closed during the handshake");
            head.push(b[0]);
        }
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
        WsClient {
            s,
            dec: Decoder::client(1 << 22),
        }
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
