//! The server over HTTP, driven directly: requests in, response bytes out.

mod support;

use ferrite_protocols::digest;
use ferrite_protocols::http::Request;
use ferrite_rpc_server::{
    BodySource, Close, StaticFiles, MAX_TRANSACTIONS, SCRIPT_REQUEST_LIMIT, TRANSACTION_TIMEOUT_MS,
};
use ferrite_runtime::json::json;
use support::{parse_response, Harness};

#[test]
fn get_shelly_answers_device_info_and_keeps_the_connection() {
    let mut h = Harness::new();
    let c = h.connect();
    let r = h.http(c, "GET /shelly HTTP/1.1\r\nHost: dev\r\n\r\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let id = h.rt.device().borrow().info.id.clone();
    assert_eq!(r.json()["id"], json!(id));
    assert!(h.closed.is_empty(), "keep-alive: {:?}", h.closed);
    // A second request on the same connection.
    let r = h.http(c, "GET /rpc/Shelly.GetDeviceInfo HTTP/1.1\r\n\r\n");
    assert_eq!((r.status, r.json()["id"].clone()), (200, json!(id)));
}

#[test]
fn post_rpc_answers_the_frame_with_dst_and_connection_close_ends_gracefully() {
    let mut h = Harness::new();
    let c = h.connect();
    let frame =
        json!({"id": 7, "src": "me", "method": "Switch.Set", "params": {"id": 0, "on": true}});
    let r = h.post_rpc(c, &frame, "Connection: close\r\n");
    assert_eq!(r.status, 200);
    let f = r.json();
    assert_eq!((f["id"].clone(), f["dst"].clone()), (json!(7), json!("me")));
    assert_eq!(f["result"]["was_on"], json!(false));
    assert_eq!(h.closed_how(c), Some(Close::Graceful));
}

#[test]
fn the_close_comes_only_after_the_output_is_written() {
    let mut h = Harness::new();
    let c = h.connect();
    h.feed(c, b"GET /shelly HTTP/1.0\r\n\r\n");
    h.poll_server();
    assert!(!h.server.output(c).is_empty());
    assert_eq!(h.closed_how(c), None, "output still waits");
    let n = h.server.output(c).len();
    h.server.consume(c, n - 1, h.now);
    assert!(h.server.take_close().is_none());
    h.server.consume(c, 1, h.now);
    assert_eq!(h.server.take_close(), Some((c, Close::Graceful)));
    assert!(h.server.output(c).is_empty() && h.server.input_room(c) == 0);
}

#[test]
fn bad_requests_get_their_errors() {
    let mut h = Harness::new();
    let c = h.connect();
    let r = h.post_rpc(c, &json!([1, 2]), "");
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (400, json!(-32600))
    );
    let r = h.http(c, "GET /rpc/No.Such HTTP/1.1\r\n\r\n");
    assert_eq!((r.status, r.json()["code"].clone()), (404, json!(404)));
    let r = h.http(c, "GET /nothing HTTP/1.1\r\n\r\n");
    assert_eq!(r.status, 404);
    let r = h.http(c, "PUT /rpc HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(
        (r.status, r.header("allow")),
        (405, Some("GET, POST, OPTIONS"))
    );
    let r = h.http(c, "OPTIONS /rpc HTTP/1.1\r\n\r\n");
    assert_eq!(r.status, 204);
    // Nesting deeper than the Rust side parses (its parser recurses per level on a small
    // stack): a parse error, for a frame and for a method's parameters alike.
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    for head in ["POST /rpc", "POST /rpc/Shelly.GetStatus"] {
        let request = format!(
            "{head} HTTP/1.1\r\nContent-Length: {}\r\n\r\n{deep}",
            deep.len()
        );
        let r = h.http(c, &request);
        assert_eq!(r.status, 400, "{head}");
        let j = r.json();
        let error = if j["error"].is_null() {
            &j
        } else {
            &j["error"]
        };
        assert_eq!(error["code"], json!(-32700), "{head}: {j}");
        assert!(
            error["message"].as_str().unwrap().contains("nest deeper"),
            "{head}: {j}"
        );
    }
    // Garbage: 400 and the connection closes.
    let r = h.http(c, "\x16\x03\x01 hello\r\n\r\n");
    assert_eq!(r.status, 400);
    assert_eq!(h.closed_how(c), Some(Close::Graceful));
}

#[test]
fn a_request_over_16_kib_gets_413_and_a_script_endpoint_over_3072_bytes_is_reset() {
    let mut h = Harness::new();
    let c = h.connect();
    let big = "x".repeat(30_000);
    let req = format!(
        "POST /rpc HTTP/1.1\r\nContent-Length: {}\r\n\r\n{big}",
        big.len()
    );
    h.feed(c, &req.as_bytes()[..h.server.input_room(c)]);
    h.poll_server();
    let (r, _) = parse_response(&h.take(c)).unwrap();
    assert_eq!(r.status, 413);

    let c = h.connect();
    let body = "y".repeat(SCRIPT_REQUEST_LIMIT);
    let req = format!(
        "POST /script/1/x HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    h.feed(c, req.as_bytes());
    h.poll_server();
    assert_eq!(h.closed_how(c), Some(Close::Abort), "reset, as Shelly does");
    assert!(h.server.output(c).is_empty());
}

/// `Script.Eval` in the console realm answers only once the runtime ran it: a transaction.
fn eval_frame(id: u64) -> String {
    let f = json!({"id": id, "method": "Script.Eval", "params": {"id": 0, "code": "6*7"}});
    let body = f.to_string();
    format!(
        "POST /rpc HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn a_pending_answer_comes_from_deliver() {
    let mut h = Harness::new();
    let c = h.connect();
    h.feed(c, eval_frame(1).as_bytes());
    h.poll_server();
    assert!(h.server.output(c).is_empty(), "waits for the runtime");
    assert_eq!(h.server.input_room(c), 0, "later requests wait");
    h.settle();
    let (r, _) = parse_response(&h.take(c)).unwrap();
    assert_eq!(
        (r.status, r.json()["result"]["result"].clone()),
        (200, json!("42"))
    );
}

#[test]
fn a_transaction_not_answered_in_10_s_gets_504() {
    let mut h = Harness::new();
    let c = h.connect();
    h.now = 1_000;
    h.feed(c, eval_frame(3).as_bytes());
    h.poll_server(); // the runtime never runs: the answer never comes
    assert_eq!(
        h.server.next_deadline_ms(),
        Some(1_000 + TRANSACTION_TIMEOUT_MS)
    );
    h.now = 1_000 + TRANSACTION_TIMEOUT_MS - 1;
    h.poll_server();
    assert!(h.server.output(c).is_empty());
    h.now += 1;
    h.poll_server();
    let (r, _) = parse_response(&h.take(c)).unwrap();
    assert_eq!(r.status, 504);
    let f = r.json();
    assert_eq!(
        (f["id"].clone(), f["error"]["code"].clone()),
        (json!(3), json!(-104))
    );
    // The late answer finds no transaction and is dropped.
    h.settle();
    assert!(h.take(c).is_empty());
}

/// `Wifi.Scan` is waited for as long as the runtime gives the scan (its answer comes later than
/// most: a station busy joining scans after the join), not the usual 10 s.
#[test]
fn a_wifi_scan_is_waited_for_as_long_as_the_runtime_gives_it() {
    let mut h = Harness::with(
        ferrite_rpc_server::Config::HOST,
        support::runtime_with_wifi(),
    );
    let scan = |id: u64| {
        let body = json!({"id": id, "method": "Wifi.Scan"}).to_string();
        format!(
            "POST /rpc HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let c = h.connect();
    h.now = 1_000;
    h.feed(c, scan(4).as_bytes());
    h.poll_server(); // the runtime does not run: the scan does not end
    let limit = ferrite_runtime::rpc::answer_limit_ms("Wifi.Scan").unwrap();
    assert!(limit > TRANSACTION_TIMEOUT_MS);
    assert_eq!(h.server.next_deadline_ms(), Some(1_000 + limit));
    h.now = 1_000 + limit - 1;
    h.poll_server();
    assert!(h.server.output(c).is_empty(), "still waited for");
    h.now += 1;
    h.poll_server();
    let (r, _) = parse_response(&h.take(c)).unwrap();
    assert_eq!(r.status, 504);
    let seconds = limit / 1000;
    assert_eq!(
        r.json()["error"]["message"],
        format!("the request was not answered in {seconds} seconds")
    );
    // With the runtime running, the scan ends and is answered.
    let c = h.connect();
    h.feed(c, scan(5).as_bytes());
    h.settle();
    let (r, _) = parse_response(&h.take(c)).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["result"]["results"][0]["ssid"], "ferrite-sim");
}

#[test]
fn a_sixth_transaction_gets_503() {
    let mut h = Harness::new();
    let conns: Vec<_> = (0..=MAX_TRANSACTIONS).map(|_| h.connect()).collect();
    for (i, c) in conns.iter().enumerate() {
        h.feed(*c, eval_frame(i as u64).as_bytes());
        h.poll_server();
    }
    for c in &conns[..MAX_TRANSACTIONS] {
        assert!(h.server.output(*c).is_empty());
    }
    let (r, _) = parse_response(&h.take(conns[MAX_TRANSACTIONS])).unwrap();
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (503, json!(-114))
    );
    h.settle();
    for c in &conns[..MAX_TRANSACTIONS] {
        assert_eq!(parse_response(&h.take(*c)).unwrap().0.status, 200);
    }
}

#[test]
fn an_incomplete_request_gets_408_after_10_s() {
    let mut h = Harness::new();
    let c = h.connect();
    h.feed(c, b"POST /rpc HTTP/1.1\r\nContent-Length: 10\r\n\r\n{");
    h.poll_server();
    h.now = 9_999;
    h.poll_server();
    assert!(h.server.output(c).is_empty());
    h.now = 10_000;
    h.poll_server();
    let (r, _) = parse_response(&h.take(c)).unwrap();
    assert_eq!(r.status, 408);
    assert_eq!(h.closed_how(c), Some(Close::Graceful));
}

#[test]
fn an_idle_http_connection_closes_after_60_s() {
    let mut h = Harness::new();
    let c = h.connect();
    h.http(c, "GET /shelly HTTP/1.1\r\n\r\n");
    h.now = 59_999;
    h.poll_server();
    assert_eq!(h.closed_how(c), None);
    assert_eq!(h.server.next_deadline_ms(), Some(60_000));
    h.now = 60_000;
    h.poll_server();
    assert_eq!(h.closed_how(c), Some(Close::Abort));
}

#[test]
fn a_peer_that_closed_its_side_gets_its_answer_then_the_close() {
    let mut h = Harness::new();
    let c = h.connect();
    h.feed(c, b"GET /shelly HTTP/1.1\r\n\r\n");
    h.server.peer_closed(c);
    h.poll_server();
    assert_eq!(h.closed_how(c), None);
    let (r, _) = parse_response(&h.take(c)).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(h.closed_how(c), Some(Close::Graceful));
}

#[test]
fn with_a_password_requests_need_digest_credentials() {
    let mut h = Harness::new();
    let c = h.connect();
    let realm = h.rt.device().borrow().info.id.clone();
    let ha1 = digest::ha1("admin", &realm, "secret");
    let set = json!({"id": 1, "method": "Shelly.SetAuth",
        "params": {"user": "admin", "realm": realm, "ha1": ha1}});
    assert_eq!(h.post_rpc(c, &set, "").status, 200);
    // Refused without credentials, with a challenge in both carriers.
    let r = h.post_rpc(
        c,
        &json!({"id": 2, "method": "Switch.GetStatus", "params": {"id": 0}}),
        "",
    );
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").unwrap().starts_with("Digest "));
    let challenge: serde_json::Value =
        serde_json::from_str(r.json()["error"]["message"].as_str().unwrap()).unwrap();
    let nonce = challenge["nonce"].as_u64().unwrap().to_string();
    // Open without them.
    assert_eq!(h.http(c, "GET /shelly HTTP/1.1\r\n\r\n").status, 200);
    let info = h.post_rpc(c, &json!({"id": 3, "method": "Shelly.GetDeviceInfo"}), "");
    assert_eq!(info.status, 200);
    assert_eq!(
        h.http(c, "GET /rpc/Sys.GetStatus HTTP/1.1\r\n\r\n").status,
        401
    );
    // A frame with valid `auth`.
    let response = digest::expected_response(&ha1, &nonce, "1", "77", &digest::rpc_ha2());
    let authed = json!({"id": 4, "method": "Switch.GetStatus", "params": {"id": 0},
        "auth": {"realm": realm, "username": "admin", "nonce": nonce, "cnonce": "77",
                 "response": response, "algorithm": "SHA-256"}});
    let r = h.post_rpc(c, &authed, "");
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["result"]["id"], json!(0));
    // A wrong response is refused.
    let mut wrong = authed.clone();
    wrong["auth"]["response"] = json!("00");
    assert_eq!(h.post_rpc(c, &wrong, "").status, 401);
}

/// Files whose only file is `/files/big`: `len` bytes counting 0, 1, 2, …, streamed in reads
/// of at most 1000 bytes.
struct CountingFiles {
    len: u64,
}

struct CountingBody {
    next: u64,
    end: u64,
}

impl StaticFiles for CountingFiles {
    fn claims(&self, path: &str) -> bool {
        path.starts_with("/files/")
    }

    fn serve(
        &mut self,
        req: &Request,
        keep_alive: bool,
        out: &mut Vec<u8>,
    ) -> Option<Box<dyn BodySource>> {
        assert!(keep_alive);
        if req.path() != "/files/big" {
            out.extend_from_slice(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            return None;
        }
        out.extend_from_slice(
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", self.len).as_bytes(),
        );
        Some(Box::new(CountingBody {
            next: 0,
            end: self.len,
        }))
    }
}

impl BodySource for CountingBody {
    fn remaining(&self) -> u64 {
        self.end - self.next
    }

    fn read(&mut self, buf: &mut [u8]) -> Option<usize> {
        let n = buf.len().min(1000).min(self.remaining() as usize);
        for b in &mut buf[..n] {
            *b = self.next as u8;
            self.next += 1;
        }
        Some(n)
    }
}

#[test]
fn static_files_are_streamed_while_the_output_is_short() {
    let mut h = Harness::new();
    h.server = ferrite_rpc_server::Server::new(ferrite_rpc_server::Config::HOST, [1; 32])
        .with_static_files(Box::new(CountingFiles { len: 300_000 }));
    let c = h.connect();
    h.feed(c, b"GET /files/big HTTP/1.1\r\n\r\n");
    h.poll_server();
    // Not all at once: a piece at a time.
    assert!(
        h.server.output(c).len() < 100_000,
        "{}",
        h.server.output(c).len()
    );
    assert_eq!(
        h.server.input_room(c),
        0,
        "later requests wait for the body"
    );
    let out = h.take(c);
    let (r, used) = parse_response(&out).unwrap();
    assert_eq!((r.status, used, r.body.len()), (200, out.len(), 300_000));
    assert!(r.body.iter().enumerate().all(|(i, b)| *b == i as u8));
    // The connection goes on.
    let r = h.http(c, "GET /files/nope HTTP/1.1\r\n\r\n");
    assert_eq!(r.status, 404);
    // Other paths are the server's.
    assert_eq!(h.http(c, "GET /shelly HTTP/1.1\r\n\r\n").status, 200);
}

#[test]
fn unknown_connection_ids_are_ignored() {
    let mut h = Harness::new();
    let c = h.connect();
    h.server.connection_failed(c);
    assert_eq!(h.server.take_close(), Some((c, Close::Abort)));
    h.server.feed(c, b"GET / HTTP/1.1\r\n\r\n", 0);
    h.server.peer_closed(c);
    h.server.consume(c, 100, 0);
    h.server.connection_failed(c);
    assert!(h.server.output(c).is_empty());
    assert_eq!(h.server.input_room(c), 0);
    assert!(h.server.take_close().is_none());
    assert_eq!(h.server.connections().count(), 0);
}
