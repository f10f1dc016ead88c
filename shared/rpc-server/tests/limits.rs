//! The server's resource limits, driven directly: connection slots and eviction, the
//! write-stall timeout, the output limit, a reboot of the runtime.

mod support;

use ferrite_rpc_server::{Close, Config, WRITE_TIMEOUT_MS};
use ferrite_runtime::json::json;
use support::{json_messages, parse_response, Harness};

fn small() -> Config {
    Config {
        max_connections: 3,
        max_output: 64 * 1024,
        follow_output_limit: 16 * 1024,
        ws_message_limit: 4096,
    }
}

#[test]
fn a_full_table_evicts_the_least_recently_active_idle_connection() {
    let mut h = Harness::with_config(small());
    let a = h.connect();
    h.now = 1;
    let b = h.connect();
    h.now = 2;
    let c = h.connect();
    // `a` is the oldest but has a request in progress; `b` is the oldest idle one.
    h.now = 3;
    h.feed(a, b"GET /shelly HTTP/1.1\r\n");
    h.now = 4;
    let d = h.connect();
    assert_eq!(h.closed, [(b, Close::Graceful)]);
    let open: Vec<_> = h.server.connections().collect();
    assert_eq!(open, [a, c, d]);
    // Everyone busy: the new one is refused.
    for id in [c, d] {
        h.feed(id, b"GET /sh");
    }
    assert_eq!(h.server.accept(5), None);
    assert_eq!(h.server.connections().count(), 3);
}

#[test]
fn a_connection_whose_answer_is_still_being_written_is_not_evicted() {
    let mut h = Harness::with_config(small());
    // `a` is the least recently active; its answer is complete but not yet taken by its slow
    // client.
    let a = h.connect();
    h.feed(a, b"GET /shelly HTTP/1.1\r\n\r\n");
    h.poll_server();
    assert!(!h.server.output(a).is_empty());
    h.now = 1;
    let b = h.connect();
    h.now = 2;
    let c = h.connect();
    h.now = 4;
    let _d = h.connect();
    // `b`, the oldest connection with nothing to do, made room; `a` keeps its answer.
    assert_eq!(h.closed, [(b, Close::Graceful)]);
    assert!(h.server.connections().any(|id| id == a));
    assert!(h.server.connections().any(|id| id == c));
}

#[test]
fn a_client_that_stops_reading_is_closed_after_the_write_timeout() {
    let mut h = Harness::new();
    let c = h.connect();
    // Many answers, nobody reads.
    for _ in 0..50 {
        h.feed(c, b"GET /shelly HTTP/1.1\r\n\r\n");
        h.poll_server();
    }
    assert!(!h.server.output(c).is_empty());
    assert_eq!(h.server.next_deadline_ms(), Some(WRITE_TIMEOUT_MS));
    h.now = 5_000;
    h.poll_server();
    // The client reads a little: the timer starts again.
    h.server.consume(c, 100, h.now);
    h.now = 5_000 + WRITE_TIMEOUT_MS - 1;
    h.poll_server();
    assert_eq!(h.closed_how(c), None);
    h.now += 1;
    h.poll_server();
    assert_eq!(h.closed_how(c), Some(Close::Abort));
}

#[test]
fn a_connection_over_the_output_limit_is_closed() {
    let mut h = Harness::with_config(small());
    let ws = h.websocket("/rpc");
    h.ws_send(
        ws,
        &json!({"id": 1, "src": "x", "method": "Shelly.GetStatus"}),
    );
    let note = ferrite_runtime::device::Notification {
        method: "NotifyStatus",
        params: json!({"blob": "z".repeat(1000)}),
    };
    let notes = vec![note; 100];
    h.notify(&notes);
    assert!(h.server.output(ws).len() > small().max_output);
    h.poll_server();
    assert_eq!(h.closed_how(ws), Some(Close::Abort));
}

#[test]
fn a_reboot_answers_the_transactions_in_flight() {
    let mut h = Harness::new();
    let c = h.connect();
    let f = json!({"id": 9, "method": "Script.Eval", "params": {"id": 0, "code": "1"}}).to_string();
    h.feed(
        c,
        format!(
            "POST /rpc HTTP/1.1\r\nContent-Length: {}\r\n\r\n{f}",
            f.len()
        )
        .as_bytes(),
    );
    h.poll_server();
    assert!(h.server.output(c).is_empty());
    h.rt = support::runtime();
    h.server.on_boot(&mut h.rt, h.now);
    let (r, _) = parse_response(&h.take(c)).unwrap();
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["error"]["message"], json!("the device restarted"));
    // A WebSocket too.
    let ws = h.websocket("/rpc");
    h.feed(ws, &support::client_text(&f));
    h.poll_server();
    h.server.on_boot(&mut h.rt, h.now);
    assert_eq!(json_messages(&h.take(ws))[0]["error"]["code"], json!(-114));
}
