//! A harness that drives the sans-IO server the way a driver does, with a fake clock and a
//! simulated runtime: feed bytes, run rounds, take the output, see what was closed.
#![allow(dead_code)]

use ferrite_protocols::websocket::{self, opcode, Decoder, Message};
use ferrite_rpc_server::{Close, Config, ConnId, Server};
use ferrite_runtime::device::Notification;
use ferrite_runtime::json::Json;
use ferrite_runtime::sim::{MemStorage, SimBoard, SimSystem, VirtualClock};
use ferrite_runtime::Runtime;

pub struct Harness {
    pub server: Server,
    pub rt: Runtime,
    pub now: u64,
    /// What the server closed so far.
    pub closed: Vec<(ConnId, Close)>,
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Json {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

pub fn runtime() -> Runtime {
    boot(SimBoard::new(
        Box::new(VirtualClock::new(None)),
        Box::new(MemStorage::new(0)),
        Box::new(SimSystem::new(7, [1, 2, 3, 4, 5, 6])),
    ))
}

/// [`runtime`] on a board with the simulator's Wi-Fi station (a scan ends when the runtime
/// next polls the board).
pub fn runtime_with_wifi() -> Runtime {
    boot(
        SimBoard::new(
            Box::new(VirtualClock::new(None)),
            Box::new(MemStorage::new(0)),
            Box::new(SimSystem::new(7, [1, 2, 3, 4, 5, 6])),
        )
        .with_net(Box::new(ferrite_runtime::sim::wifi::SimWifi::new())),
    )
}

fn boot(board: SimBoard) -> Runtime {
    let mut rt = Runtime::new(Box::new(board), Default::default());
    rt.boot();
    rt
}

/// Split one HTTP response off the front of `bytes`.
pub fn parse_response(bytes: &[u8]) -> Option<(Response, usize)> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let mut r = Response {
        status,
        head,
        body: Vec::new(),
    };
    let len: usize = r.header("content-length").map_or(0, |v| v.parse().unwrap());
    if bytes.len() < end + len {
        return None;
    }
    r.body = bytes[end..end + len].to_vec();
    Some((r, end + len))
}

/// A WebSocket upgrade request for `path`.
pub fn upgrade_request(path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: dev\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .into_bytes()
}

/// A masked client text frame.
pub fn client_text(text: &str) -> Vec<u8> {
    let mut f = Vec::new();
    websocket::encode_frame(&mut f, opcode::TEXT, text.as_bytes(), Some([1, 2, 3, 4]));
    f
}

/// The messages in server output `out`.
pub fn messages(out: &[u8]) -> Vec<Message> {
    let mut d = Decoder::client(1 << 24);
    d.feed(out);
    let mut m = Vec::new();
    while let Ok(Some(msg)) = d.next_message() {
        m.push(msg);
    }
    m
}

/// The text messages in server output `out`, as JSON.
pub fn json_messages(out: &[u8]) -> Vec<Json> {
    messages(out)
        .into_iter()
        .filter_map(|m| match m {
            Message::Text(t) => Some(serde_json::from_str(&t).unwrap()),
            _ => None,
        })
        .collect()
}

impl Harness {
    pub fn new() -> Harness {
        Harness::with_config(Config::HOST)
    }

    pub fn with_config(config: Config) -> Harness {
        Harness::with(config, runtime())
    }

    pub fn with(config: Config, rt: Runtime) -> Harness {
        let mut h = Harness {
            server: Server::new(config, [9; 32]),
            rt,
            now: 0,
            closed: Vec::new(),
        };
        h.server.on_boot(&mut h.rt, 0);
        h
    }

    pub fn connect(&mut self) -> ConnId {
        let id = self.server.accept(self.now).expect("accepted");
        self.collect_closed();
        id
    }

    fn collect_closed(&mut self) {
        while let Some(c) = self.server.take_close() {
            self.closed.push(c);
        }
    }

    /// How connection `id` was closed, if it was.
    pub fn closed_how(&self, id: ConnId) -> Option<Close> {
        self.closed.iter().find(|(c, _)| *c == id).map(|(_, h)| *h)
    }

    /// Feed `bytes` (as much as the server takes) without running a round.
    pub fn feed(&mut self, id: ConnId, bytes: &[u8]) {
        let room = self.server.input_room(id);
        assert!(room >= bytes.len(), "room {room} for {} bytes", bytes.len());
        self.server.feed(id, bytes, self.now);
    }

    /// One round of the driver's loop without writing: poll the runtime and the server, deliver.
    pub fn round(&mut self) -> bool {
        let mut busy = self.rt.poll().busy;
        busy |= self.server.poll(&mut self.rt, self.now);
        let done = self.rt.take_rpc_done();
        let notes = self.rt.take_notifications();
        busy |= !done.is_empty() || !notes.is_empty();
        self.server.deliver(&mut self.rt, &done, &notes, self.now);
        self.collect_closed();
        busy
    }

    /// Rounds until nothing happens (at most 1000).
    pub fn settle(&mut self) {
        for _ in 0..1000 {
            if !self.round() {
                return;
            }
        }
        panic!("the server and runtime never settled");
    }

    /// Poll only the server (the runtime does not run: pending answers stay pending).
    pub fn poll_server(&mut self) -> bool {
        let did = self.server.poll(&mut self.rt, self.now);
        self.collect_closed();
        did
    }

    /// Deliver notifications as the runtime would.
    pub fn notify(&mut self, notes: &[Notification]) {
        self.server.deliver(&mut self.rt, &[], notes, self.now);
        self.collect_closed();
    }

    /// Everything connection `id` has to write, consumed (as if written whole).
    pub fn take(&mut self, id: ConnId) -> Vec<u8> {
        let mut all = Vec::new();
        loop {
            let out = self.server.output(id).to_vec();
            if out.is_empty() {
                break;
            }
            self.server.consume(id, out.len(), self.now);
            all.extend_from_slice(&out);
        }
        self.collect_closed();
        all
    }

    /// Send an HTTP request and read the one response it gets after the runtime settled.
    pub fn http(&mut self, id: ConnId, request: &str) -> Response {
        self.feed(id, request.as_bytes());
        self.settle();
        let out = self.take(id);
        let (r, used) = parse_response(&out)
            .unwrap_or_else(|| panic!("no response in {:?}", String::from_utf8_lossy(&out)));
        assert_eq!(used, out.len(), "one response");
        r
    }

    /// `POST /rpc` with `frame`.
    pub fn post_rpc(&mut self, id: ConnId, frame: &Json, extra_headers: &str) -> Response {
        let body = frame.to_string();
        let req = format!(
            "POST /rpc HTTP/1.1\r\nHost: dev\r\n{extra_headers}Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.http(id, &req)
    }

    /// A new connection upgraded to a WebSocket on `path` (the 101 answer consumed).
    pub fn websocket(&mut self, path: &str) -> ConnId {
        let id = self.connect();
        self.feed(id, &upgrade_request(path));
        self.poll_server();
        let out = self.take(id);
        assert!(
            out.starts_with(b"HTTP/1.1 101 "),
            "{:?}",
            String::from_utf8_lossy(&out)
        );
        id
    }

    /// Send a request frame on WebSocket `id` and settle.
    pub fn ws_send(&mut self, id: ConnId, frame: &Json) {
        self.feed(id, &client_text(&frame.to_string()));
        self.settle();
    }
}
