//! The server over WebSocket, driven directly: `/rpc` frames, notifications, `Log.Follow`,
//! `/debug/log`, the keep-alive.

mod support;

use ferrite_protocols::websocket::{self, opcode, Message};
use ferrite_rpc_server::{Close, Config, PONG_TIMEOUT_MS, WS_IDLE_MS};
use ferrite_runtime::device::{Notification, NOTIFY_TELEMETRY};
use ferrite_runtime::json::json;
use ferrite_runtime::log::Level;
use support::{json_messages, messages, Harness};

fn status_note() -> Notification {
    Notification {
        method: "NotifyStatus",
        params: json!({"ts": 1.0, "switch:0": {"output": true}}),
    }
}

fn telemetry_note() -> Notification {
    Notification {
        method: NOTIFY_TELEMETRY,
        params: json!({"ts": 1.0, "script": 1, "source": "cloud", "name": "t", "value": 21}),
    }
}

#[test]
fn frames_are_answered_and_requests_without_id_are_not() {
    let mut h = Harness::new();
    let ws = h.websocket("/rpc");
    h.ws_send(
        ws,
        &json!({"id": 5, "src": "cli", "method": "Switch.GetStatus", "params": {"id": 0}}),
    );
    let answers = json_messages(&h.take(ws));
    assert_eq!(answers.len(), 1);
    assert_eq!(
        (answers[0]["id"].clone(), answers[0]["dst"].clone()),
        (json!(5), json!("cli"))
    );
    assert_eq!(answers[0]["result"]["id"], json!(0));
    h.ws_send(
        ws,
        &json!({"method": "Switch.Set", "params": {"id": 0, "on": true}}),
    );
    // (The switch's NotifyStatus comes: this client sent a src.)
    let got = json_messages(&h.take(ws));
    assert!(
        got.iter().all(|f| f.get("id").is_none()),
        "a request without id gets no answer: {got:?}"
    );
    assert_eq!(got[0]["method"], json!("NotifyStatus"));
    // Not JSON: answered with id null.
    h.feed(ws, &support::client_text("{nope"));
    h.settle();
    let a = json_messages(&h.take(ws));
    assert_eq!(
        (a[0]["id"].clone(), a[0]["error"]["code"].clone()),
        (json!(null), json!(-32700))
    );
}

#[test]
fn notifications_go_only_to_clients_that_sent_a_src_and_telemetry_only_to_followers() {
    let mut h = Harness::new();
    let with_src = h.websocket("/rpc");
    let without = h.websocket("/rpc");
    let follower = h.websocket("/rpc");
    h.ws_send(
        with_src,
        &json!({"id": 1, "src": "shelly-app", "method": "Shelly.GetStatus"}),
    );
    h.ws_send(without, &json!({"id": 1, "method": "Shelly.GetStatus"}));
    h.ws_send(follower, &json!({"id": 1, "method": "Log.Follow"}));
    for c in [with_src, without, follower] {
        h.take(c);
    }
    h.notify(&[status_note(), telemetry_note()]);
    let got = json_messages(&h.take(with_src));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["method"], json!("NotifyStatus"));
    assert_eq!(got[0]["dst"], json!("shelly-app"));
    assert!(h.take(without).is_empty(), "no src: no notifications");
    let got = json_messages(&h.take(follower));
    let methods: Vec<_> = got.iter().map(|f| f["method"].clone()).collect();
    assert_eq!(methods, [json!("NotifyStatus"), json!(NOTIFY_TELEMETRY)]);
    assert!(
        got[0].get("dst").is_none(),
        "a follower without src gets no dst"
    );
}

#[test]
fn an_unauthenticated_frame_does_not_subscribe_the_connection() {
    let mut h = Harness::new();
    let c = h.connect();
    let realm = h.rt.device().borrow().info.id.clone();
    let ha1 = ferrite_protocols::digest::ha1("admin", &realm, "pw");
    h.post_rpc(
        c,
        &json!({"id": 1, "method": "Shelly.SetAuth",
        "params": {"user": "admin", "realm": realm, "ha1": ha1}}),
        "",
    );
    let ws = h.websocket("/rpc");
    h.ws_send(
        ws,
        &json!({"id": 2, "src": "x", "method": "Switch.GetStatus", "params": {"id": 0}}),
    );
    let a = json_messages(&h.take(ws));
    assert_eq!(a[0]["error"]["code"], json!(401));
    h.notify(&[status_note()]);
    assert!(h.take(ws).is_empty());
    // `/debug/log` needs HTTP credentials on the upgrade.
    let d = h.connect();
    h.feed(d, &support::upgrade_request("/debug/log"));
    h.poll_server();
    let (r, _) = support::parse_response(&h.take(d)).unwrap();
    assert_eq!(r.status, 401);
}

#[test]
fn log_follow_streams_new_log_lines_as_notify_log() {
    let mut h = Harness::new();
    let ws = h.websocket("/rpc");
    h.rt.device()
        .borrow_mut()
        .log(Level::Script, 1, "before".into());
    h.ws_send(
        ws,
        &json!({"id": 1, "src": "ide", "method": "Log.Follow", "params": {"enable": true}}),
    );
    let a = json_messages(&h.take(ws));
    let seq = a[0]["result"]["seq"].as_u64().unwrap();
    assert_eq!(a[0]["result"]["enable"], json!(true));
    h.rt.device()
        .borrow_mut()
        .log(Level::Script, 1, "hello".into());
    h.poll_server();
    let lines = json_messages(&h.take(ws));
    assert_eq!(lines.len(), 1, "{lines:?}");
    let p = &lines[0]["params"];
    assert_eq!(lines[0]["method"], json!("NotifyLog"));
    assert_eq!(lines[0]["dst"], json!("ide"));
    assert_eq!(
        (p["seq"].as_u64(), p["text"].clone(), p["script"].clone()),
        (Some(seq), json!("hello"), json!(1))
    );
    // Off again: no more lines.
    h.ws_send(
        ws,
        &json!({"id": 2, "method": "Log.Follow", "params": {"enable": false}}),
    );
    h.take(ws);
    h.rt.device()
        .borrow_mut()
        .log(Level::Script, 1, "unseen".into());
    h.poll_server();
    assert!(h.take(ws).is_empty());
    h.ws_send(
        ws,
        &json!({"id": 3, "method": "Log.Follow", "params": {"enable": 1}}),
    );
    assert_eq!(json_messages(&h.take(ws))[0]["error"]["code"], json!(-103));
}

#[test]
fn debug_log_streams_the_recent_and_new_lines() {
    let mut h = Harness::new();
    h.rt.device().borrow_mut().log(Level::Warn, 0, "old".into());
    let c = h.connect();
    h.feed(c, &support::upgrade_request("/debug/log"));
    h.poll_server();
    let out = h.take(c);
    let end = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let lines = json_messages(&out[end..]);
    let last = lines.last().unwrap();
    assert_eq!(
        (last["level"].clone(), last["data"].clone()),
        (json!(1), json!("old\n"))
    );
    h.rt.device()
        .borrow_mut()
        .log(Level::Script, 3, "new".into());
    h.poll_server();
    let lines = json_messages(&h.take(c));
    assert_eq!(lines[0]["data"], json!("script:3: new\n"));
}

/// The `seq` of every `NotifyLog` in `out`.
fn seqs(out: &[u8]) -> Vec<u64> {
    json_messages(out)
        .iter()
        .map(|j| j["params"]["seq"].as_u64().unwrap())
        .collect()
}

#[test]
fn a_burst_of_long_log_lines_leaves_a_seq_gap_not_a_dropped_follower() {
    let mut h = Harness::new();
    let ws = h.websocket("/rpc");
    h.ws_send(ws, &json!({"id": 1, "method": "Log.Follow"}));
    h.take(ws);
    let first = h.rt.device().borrow().log.next_seq();
    let burst = 200;
    for _ in 0..burst {
        h.rt.device()
            .borrow_mut()
            .log(Level::Script, 1, "x".repeat(8 * 1024));
    }
    let last = h.rt.device().borrow().log.next_seq();
    h.poll_server(); // the client reads nothing
    let queued = h.server.output(ws).len();
    assert!(
        queued <= Config::HOST.follow_output_limit,
        "{queued} bytes queued"
    );
    let got = seqs(h.server.output(ws));
    assert!(
        !got.is_empty() && got.len() < burst,
        "{} of {burst} lines",
        got.len()
    );
    assert_eq!(got[0], first);
    assert!(got.windows(2).all(|w| w[1] == w[0] + 1));
    h.take(ws);
    assert!(h.closed.is_empty(), "the follower stays");
    h.rt.device()
        .borrow_mut()
        .log(Level::Script, 1, "after".into());
    h.poll_server();
    assert_eq!(
        seqs(&h.take(ws)),
        [last],
        "a gap in seq shows the skipped lines"
    );
}

#[test]
fn an_idle_websocket_is_pinged_and_closed_without_pong() {
    let mut h = Harness::new();
    let ws = h.websocket("/rpc");
    h.now = WS_IDLE_MS - 1;
    h.poll_server();
    assert!(h.take(ws).is_empty());
    assert_eq!(h.server.next_deadline_ms(), Some(WS_IDLE_MS));
    h.now = WS_IDLE_MS;
    h.poll_server();
    assert!(matches!(messages(&h.take(ws))[..], [Message::Ping(_)]));
    h.now += PONG_TIMEOUT_MS - 1;
    h.poll_server();
    assert_eq!(h.closed_how(ws), None);
    h.now += 1;
    h.poll_server();
    assert_eq!(h.closed_how(ws), Some(Close::Abort));
}

#[test]
fn a_websocket_that_answers_the_ping_stays() {
    let mut h = Harness::new();
    let ws = h.websocket("/rpc");
    h.now = WS_IDLE_MS;
    h.poll_server();
    h.take(ws);
    h.now += 1_000;
    let mut pong = Vec::new();
    websocket::encode_frame(&mut pong, opcode::PONG, b"", Some([1, 2, 3, 4]));
    h.feed(ws, &pong);
    h.now = WS_IDLE_MS + PONG_TIMEOUT_MS + 1;
    h.poll_server();
    assert_eq!(h.closed_how(ws), None);
    // A client's close is answered and the connection ends.
    let mut close = Vec::new();
    websocket::encode_close(&mut close, 1000, "", Some([5, 6, 7, 8]));
    h.feed(ws, &close);
    h.poll_server();
    assert!(matches!(
        messages(&h.take(ws))[..],
        [Message::Close(Some(1000), _)]
    ));
    assert_eq!(h.closed_how(ws), Some(Close::Graceful));
}
