//! The socket classes and Smart.js `Http` against a scripted network backend (the golden
//! harness has no network): events in, what the scripts sent and closed out.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use crate::board::{
    BoardEvent, BoardResult, HttpClient, HttpRequest, HttpResponse, SocketId, Sockets,
};
use crate::json::json;
use crate::rpc::Origin;
use crate::sim::NetBackend;
use crate::testing::{bare_board, log_lines, ok, run, start_script};
use crate::RuntimeConfig;

/// What the scripts did on the network.
#[derive(Default)]
struct Net {
    events: VecDeque<BoardEvent>,
    sent: Vec<(SocketId, Vec<u8>)>,
    sent_to: Vec<(SocketId, String, u16, Vec<u8>)>,
    closed: Vec<SocketId>,
    connects: Vec<(String, u16)>,
    requests: Vec<HttpRequest>,
}

#[derive(Clone, Default)]
struct Mock(Rc<RefCell<Net>>);

impl Sockets for Mock {
    fn tcp_connect(&mut self, host: &str, port: u16) -> BoardResult<SocketId> {
        self.0.borrow_mut().connects.push((host.into(), port));
        Ok(1)
    }
    fn tcp_listen(&mut self, _port: u16) -> BoardResult<SocketId> {
        Ok(3)
    }
    fn udp_bind(&mut self, _port: u16) -> BoardResult<SocketId> {
        Ok(2)
    }
    fn send(&mut self, socket: SocketId, data: &[u8]) -> BoardResult<usize> {
        self.0.borrow_mut().sent.push((socket, data.to_vec()));
        Ok(data.len())
    }
    fn send_to(&mut self, socket: SocketId, host: &str, port: u16, data: &[u8]) -> BoardResult<()> {
        self.0
            .borrow_mut()
            .sent_to
            .push((socket, host.into(), port, data.to_vec()));
        Ok(())
    }
    fn close(&mut self, socket: SocketId) {
        self.0.borrow_mut().closed.push(socket);
    }
}

impl HttpClient for Mock {
    fn start(&mut self, request: HttpRequest) -> BoardResult<u32> {
        let mut n = self.0.borrow_mut();
        n.requests.push(request);
        Ok(n.requests.len() as u32)
    }
}

struct Backend {
    mock: Mock,
}

impl NetBackend for Backend {
    fn sockets(&mut self) -> Option<&mut dyn Sockets> {
        Some(&mut self.mock)
    }
    fn http(&mut self) -> Option<&mut dyn HttpClient> {
        Some(&mut self.mock)
    }
    fn poll_event(&mut self) -> Option<BoardEvent> {
        self.mock.0.borrow_mut().events.pop_front()
    }
}

const SCRIPT: &str = r#"
const t = new TCP({address: "10.0.0.1", port: 8080,
  onWritable(n) { print("writable", n); this.write(Uint8Array.of(104, 105)); },
  onReadable(n) { print("tcp readable", n, String.fromCharCode.apply(null, Array.from(new Uint8Array(this.read())))); },
  onError(e) { print("tcp error", e, this === t); }});
const u = new UDP({port: 5000, onReadable(n) {
  const p = this.read();
  print("udp", n, p.byteLength, p.address, p.port);
  this.write(p.address, p.port, p);
}, onError(e) { print("udp error", e); }});
const l = new Listener({port: 81, onReadable(n) {
  const c = new TCP({from: this.read(), onReadable() { const d = this.read(); this.write(d); this.close(); }});
  print("accepted", n, c instanceof TCP, this.read());
}});
Http.get("http://x/", function (d, e) { print("get", d, e); });
Http.post("http://x/p", {a: 1}, function (d, e) { print("post", d, e); });
"#;

#[test]
fn sockets_and_http_over_a_scripted_network() {
    let mock = Mock::default();
    let board = bare_board().with_net(Box::new(Backend { mock: mock.clone() }));
    let config = RuntimeConfig {
        gc_stress: true,
        ..Default::default()
    };
    let mut rt = start_script(board, config, SCRIPT);
    {
        let mut n = mock.0.borrow_mut();
        assert_eq!(n.connects, alloc::vec![(String::from("10.0.0.1"), 8080)]);
        assert_eq!(n.requests.len(), 2);
        assert_eq!(n.requests[1].method, "POST");
        assert_eq!(n.requests[1].body, br#"{"a":1}"#.to_vec());
        let resp = |code: u16, body: &[u8]| HttpResponse {
            code,
            message: if code == 200 { "OK" } else { "Not Found" }.into(),
            headers: Vec::new(),
            body: body.to_vec(),
        };
        // In stages: the script's callbacks run between them, as they would in time.
        n.events.extend([
            BoardEvent::SocketConnected { socket: 1 },
            BoardEvent::SocketData {
                socket: 1,
                data: b"hello".to_vec(),
                from: None,
            },
        ]);
        drop(n);
        run(&mut rt);
        let mut n = mock.0.borrow_mut();
        n.events.extend([
            BoardEvent::SocketData {
                socket: 2,
                data: b"ping".to_vec(),
                from: Some(("10.0.0.9".into(), 7000)),
            },
            BoardEvent::SocketAccepted {
                listener: 3,
                socket: 9,
                peer: "10.0.0.7:5555".into(),
            },
        ]);
        drop(n);
        run(&mut rt);
        let mut n = mock.0.borrow_mut();
        n.events.extend([
            BoardEvent::SocketData {
                socket: 9,
                data: b"echo me".to_vec(),
                from: None,
            },
            BoardEvent::SocketClosed {
                socket: 1,
                error: None,
            },
            BoardEvent::SocketClosed {
                socket: 2,
                error: Some("udp bind: port 5000 is already in use".into()),
            },
            BoardEvent::HttpDone {
                id: 1,
                result: Ok(resp(200, b"body")),
            },
            BoardEvent::HttpDone {
                id: 2,
                result: Ok(resp(404, b"missing")),
            },
        ]);
    }
    run(&mut rt);
    let log = log_lines(&rt);
    for want in [
        "writable 1460",
        "tcp readable 5 hello",
        "udp 1 4 10.0.0.9 7000",
        "accepted 1 true undefined",
        "tcp error disconnected true",
        "udp error udp bind: port 5000 is already in use",
        "get body undefined",
        "post missing HTTP 404 Not Found",
    ] {
        assert!(log.iter().any(|l| l == want), "{want:?} not in {log:#?}");
    }
    {
        let n = mock.0.borrow();
        assert!(n.sent.contains(&(1, b"hi".to_vec())), "{:?}", n.sent);
        assert!(n.sent.contains(&(9, b"echo me".to_vec())), "{:?}", n.sent);
        assert_eq!(
            n.sent_to,
            alloc::vec![(2, String::from("10.0.0.9"), 7000, b"ping".to_vec())]
        );
        assert_eq!(
            n.closed,
            alloc::vec![9],
            "the adopted connection closed itself"
        );
    }
    // Stopping the script closes what it still holds.
    ok(rt.rpc("Script.Stop", json!({"id": 1}), Origin::Transport));
    let mut closed = mock.0.borrow().closed.clone();
    closed.sort();
    assert_eq!(closed, alloc::vec![2, 3, 9]);
}

/// Every described member exists in a script's realm (instance-only members excepted).
#[test]
fn described_members_exist() {
    let mut entries = crate::api::smartjs::describe();
    entries.extend(super::describe());
    let mut paths = alloc::collections::BTreeSet::new();
    let mut checks = String::new();
    for e in &entries {
        assert!(paths.insert(e.path), "{} is described twice", e.path);
        assert!(!e.signature.is_empty() && !e.doc.is_empty(), "{}", e.path);
        let instance_only = ["SmartFile.", "TC53I2C."]
            .iter()
            .any(|p| e.path.starts_with(p))
            || e.path.starts_with("MCP23017Pins.");
        if instance_only {
            continue;
        }
        let (parent, name) = match e.path.rsplit_once('.') {
            Some((p, n)) => (String::from(p), n),
            None => (String::from("globalThis"), e.path),
        };
        checks.push_str(&alloc::format!(
            "if (!(\"{name}\" in {parent})) print(\"missing {}\");\n",
            e.path
        ));
    }
    checks.push_str("print(\"checked\");\n");
    let rt = start_script(bare_board(), RuntimeConfig::default(), &checks);
    let log = log_lines(&rt);
    assert_eq!(log, alloc::vec![String::from("checked")], "{checks}");
}

/// The typings generated from the description declare only globals that exist and give every
/// IO class its members.
#[test]
fn typings_of_the_io_classes() {
    let ts = crate::api::description::typescript();
    for want in [
        "interface Digital {",
        "interface TC53I2C {",
        "interface SmartFile {",
        "declare const I2C: ",
        "declare const require: ",
    ] {
        assert!(ts.contains(want), "{want:?} missing");
    }
    for unwanted in [
        "declare const TC53I2C",
        "declare const SmartFile",
        "declare const IO",
    ] {
        assert!(!ts.contains(unwanted), "{unwanted:?} declared");
    }
    let digital = &ts[ts.find("interface Digital {").unwrap_or(0)..];
    let digital = &digital[..digital.find("\n}").unwrap_or(digital.len())];
    for m in [
        "close: () => void",
        "format: \"number\"",
        "read: () => 0 | 1",
    ] {
        assert!(digital.contains(m), "{m:?} not in {digital}");
    }
}

/// Review: `Http.get` over the per-script limit throws before the board starts a request (the
/// board cannot cancel one, so a request started and then refused would be orphaned).
#[test]
fn review_http_over_the_limit_starts_no_request() {
    let mock = Mock::default();
    let code = r#"
let refused = 0;
for (let i = 0; i < 20; i++) {
  try { Http.get("http://x/" + i, function () {}); } catch (e) { refused++; }
}
print("refused", refused);
"#;
    let board = bare_board().with_net(Box::new(Backend { mock: mock.clone() }));
    let rt = start_script(board, RuntimeConfig::default(), code);
    let limit = rt.limits().rpc_calls;
    let log = log_lines(&rt);
    let want = alloc::format!("refused {}", 20 - limit);
    assert!(log.contains(&want), "{want:?} not in {log:#?}");
    assert_eq!(mock.0.borrow().requests.len(), limit);
}

/// Review: connections a listening script does not take (`read()`) are capped; the extra ones
/// a peer opens are closed instead of piling up.
#[test]
fn review_listener_backlog_is_bounded() {
    let mock = Mock::default();
    let code = r#"
const l = new Listener({port: 81, onReadable(n) { last = n; }});
let last = 0;
Timer.set(10, true, function () {});
"#;
    let board = bare_board().with_net(Box::new(Backend { mock: mock.clone() }));
    let mut rt = start_script(board, RuntimeConfig::default(), code);
    let extra = 3;
    let n = super::net::MAX_PENDING + extra;
    mock.0
        .borrow_mut()
        .events
        .extend((0..n as u32).map(|i| BoardEvent::SocketAccepted {
            listener: 3,
            socket: 100 + i,
            peer: "10.0.0.7:5555".into(),
        }));
    run(&mut rt);
    let mut closed = mock.0.borrow().closed.clone();
    closed.sort();
    let want: Vec<u32> = (super::net::MAX_PENDING as u32..n as u32)
        .map(|i| 100 + i)
        .collect();
    assert_eq!(closed, want);
}

/// Review: a connection accepted for a listener that is gone by the time the event is routed
/// (no script owns it) is closed, not left open for good.
#[test]
fn a_connection_for_a_listener_that_is_gone_is_closed() {
    let mock = Mock::default();
    let board = bare_board().with_net(Box::new(Backend { mock: mock.clone() }));
    let mut rt = start_script(board, RuntimeConfig::default(), "let x = 1;");
    mock.0
        .borrow_mut()
        .events
        .push_back(BoardEvent::SocketAccepted {
            listener: 3,
            socket: 42,
            peer: "10.0.0.7:5555".into(),
        });
    run(&mut rt);
    assert_eq!(mock.0.borrow().closed, alloc::vec![42]);
}

/// Closing a `Digital` that listened for edges switches the pin's board interrupt off (when no
/// other instance or script listens on it).
#[test]
fn closing_a_digital_with_edges_releases_the_interrupt() {
    let board = crate::testing::bare_board();
    let sim = board.handle();
    let rt = crate::testing::start_script(
        board,
        crate::RuntimeConfig::default(),
        r#"
const a = new Digital({pin: 4, mode: Digital.Input, edge: Digital.Rising, onReadable() {}});
const b = new Digital({pin: 6, mode: Digital.Input, edge: Digital.Rising, onReadable() {}});
a.close();
"#,
    );
    assert!(rt.is_running(1));
    assert_eq!(sim.pin(4).unwrap().interrupt, crate::board::Edge::None);
    assert_eq!(sim.pin(6).unwrap().interrupt, crate::board::Edge::Any);
}
