//! The session's connection handling and call bookkeeping against a scripted transport:
//! answer matching, timeouts, "connection lost", the open timeout, reconnect back-off, frame
//! size limits, notifications.

use ferrite_ide_core::device::link::{backoff_ms, Link, LinkAction};
use ferrite_ide_core::device::rpc::{parse_incoming, Incoming};
use ferrite_ide_core::device::session::{
    CallError, DeviceSession, LinkState, SessionConfig, SessionEvent, Transmit, Wire,
};
use serde_json::{json, Value};

fn drain_tx(s: &mut DeviceSession) -> Vec<Transmit> {
    std::iter::from_fn(|| s.poll_transmit()).collect()
}
fn drain_ev(s: &mut DeviceSession) -> Vec<SessionEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}
fn sent_requests(tx: &[Transmit]) -> Vec<Value> {
    tx.iter()
        .filter_map(|t| match t {
            Transmit::Text(s) | Transmit::HttpPost(s) => serde_json::from_str(s).ok(),
            _ => None,
        })
        .collect()
}

/// A WebSocket session connected at `t` (device info answered).
fn connected(wire: Wire) -> DeviceSession {
    let mut s = DeviceSession::new(SessionConfig::new(wire, "ide-test"));
    s.connect(0.0);
    assert_eq!(drain_tx(&mut s), [Transmit::Open]);
    s.on_open(10.0);
    let tx = drain_tx(&mut s);
    let req = &sent_requests(&tx)[0];
    assert_eq!(req["method"], "Shelly.GetDeviceInfo");
    assert_eq!(req["src"], "ide-test");
    s.on_text(
        &json!({"id": req["id"], "src": "dev", "result": {"id": "dev", "app": "Ferrite"}})
            .to_string(),
        20.0,
    );
    assert_eq!(s.state(), &LinkState::Connected);
    // WebSocket: the session subscribes to the log.
    let follow = sent_requests(&drain_tx(&mut s));
    if wire == Wire::WebSocket {
        assert_eq!(follow[0]["method"], "Log.Follow");
        assert_eq!(follow[0]["params"], json!({"enable": true}));
        s.on_text(
            &json!({"id": follow[0]["id"], "result": {}}).to_string(),
            20.0,
        );
    } else {
        assert!(follow.is_empty());
    }
    assert_eq!(s.pending_calls(), 0);
    drain_ev(&mut s);
    s
}

#[test]
fn backoff_doubles_to_eight_seconds() {
    let v: Vec<f64> = (1..=7).map(backoff_ms).collect();
    assert_eq!(v, [500.0, 1000.0, 2000.0, 4000.0, 8000.0, 8000.0, 8000.0]);
}

#[test]
fn answers_match_by_id_in_any_order_and_late_ones_are_ignored() {
    let mut s = connected(Wire::WebSocket);
    let a = s.call("A.One", json!({"x": 1}), 100.0);
    let b = s.call("B.Two", Value::Null, 100.0);
    let reqs = sent_requests(&drain_tx(&mut s));
    assert_eq!(reqs[0]["method"], "A.One");
    assert_eq!(reqs[0]["params"], json!({"x": 1}));
    assert!(reqs[1].get("params").is_none());
    s.on_text(
        &json!({"id": reqs[1]["id"], "result": 2}).to_string(),
        110.0,
    );
    s.on_text(
        &json!({"id": reqs[0]["id"], "error": {"code": -105, "message": "no"}}).to_string(),
        120.0,
    );
    // Again: ignored.
    s.on_text(
        &json!({"id": reqs[1]["id"], "result": 3}).to_string(),
        130.0,
    );
    assert_eq!(
        drain_ev(&mut s),
        [
            SessionEvent::Reply {
                call: b,
                result: Ok(json!(2))
            },
            SessionEvent::Reply {
                call: a,
                result: Err(CallError::new(-105, "no"))
            },
        ]
    );
    assert_eq!(s.pending_calls(), 0);
}

#[test]
fn calls_time_out_once() {
    let mut s = connected(Wire::WebSocket);
    let a = s.call("Slow.Thing", Value::Null, 1000.0);
    let req = sent_requests(&drain_tx(&mut s)).remove(0);
    assert_eq!(s.next_deadline(), Some(11_000.0));
    s.on_tick(10_999.0);
    assert!(drain_ev(&mut s).is_empty());
    s.on_tick(11_000.0);
    let ev = drain_ev(&mut s);
    assert_eq!(
        ev,
        [SessionEvent::Reply {
            call: a,
            result: Err(CallError::new(CallError::TIMEOUT, "no answer in 10 s"))
        }]
    );
    // The late answer changes nothing.
    s.on_text(&json!({"id": req["id"], "result": 1}).to_string(), 11_500.0);
    assert!(drain_ev(&mut s).is_empty());
    assert_eq!(s.next_deadline(), None);
    assert_eq!(s.state(), &LinkState::Connected);
}

#[test]
fn a_call_given_a_longer_time_waits_that_long() {
    let mut s = connected(Wire::WebSocket);
    let scan = s.call_with_timeout("Wifi.Scan", Value::Null, 1000.0, 60_000.0);
    let quick = s.call("Shelly.GetStatus", Value::Null, 1000.0);
    drain_tx(&mut s);
    s.on_tick(11_000.0);
    assert_eq!(
        drain_ev(&mut s),
        [SessionEvent::Reply {
            call: quick,
            result: Err(CallError::new(CallError::TIMEOUT, "no answer in 10 s"))
        }]
    );
    assert_eq!(s.next_deadline(), Some(61_000.0));
    s.on_tick(61_000.0);
    assert_eq!(
        drain_ev(&mut s),
        [SessionEvent::Reply {
            call: scan,
            result: Err(CallError::new(CallError::TIMEOUT, "no answer in 60 s"))
        }]
    );
}

#[test]
fn losing_the_connection_fails_every_call_and_reconnects_with_backoff() {
    let mut s = connected(Wire::WebSocket);
    let a = s.call("A", Value::Null, 100.0);
    let b = s.call("B", Value::Null, 100.0);
    drain_tx(&mut s);
    s.on_closed("socket closed (1006)", 200.0);
    let ev = drain_ev(&mut s);
    let lost = CallError::new(CallError::LOST, "connection lost: socket closed (1006)");
    assert_eq!(
        ev,
        [
            SessionEvent::Reply {
                call: a,
                result: Err(lost.clone())
            },
            SessionEvent::Reply {
                call: b,
                result: Err(lost)
            },
            SessionEvent::State(LinkState::Reconnecting {
                attempt: 1,
                at_ms: 700.0,
                reason: "socket closed (1006)".into()
            }),
        ]
    );
    assert_eq!(
        s.state().label(200.0),
        "Reconnecting in 1 s (attempt 1): socket closed (1006)"
    );
    // Attempts fail to open: 0.5, 1, 2, 4, 8, 8 s apart.
    let mut now = 200.0;
    for (attempt, wait) in [
        (1, 500.0),
        (2, 1000.0),
        (3, 2000.0),
        (4, 4000.0),
        (5, 8000.0),
        (6, 8000.0),
    ] {
        let LinkState::Reconnecting {
            at_ms, attempt: a, ..
        } = s.state().clone()
        else {
            panic!("{:?}", s.state());
        };
        assert_eq!((a, at_ms), (attempt, now + wait));
        now = at_ms;
        s.on_tick(now);
        assert_eq!(drain_tx(&mut s), [Transmit::Open]);
        assert_eq!(s.state(), &LinkState::Connecting { attempt });
        s.on_closed("refused", now);
    }
    // A late close for a transport we already gave up is ignored.
    let before = s.state().clone();
    s.on_closed("late", now + 1.0);
    assert_eq!(s.state(), &before);
    // Success resets the back-off.
    let LinkState::Reconnecting { at_ms, .. } = s.state().clone() else {
        panic!()
    };
    s.on_tick(at_ms);
    drain_tx(&mut s);
    s.on_open(at_ms);
    let req = sent_requests(&drain_tx(&mut s)).remove(0);
    s.on_text(
        &json!({"id": req["id"], "result": {"id": "dev"}}).to_string(),
        at_ms,
    );
    assert_eq!(s.state(), &LinkState::Connected);
    s.on_closed("again", at_ms + 1.0);
    assert!(matches!(
        s.state(),
        LinkState::Reconnecting { attempt: 1, .. }
    ));
}

#[test]
fn open_timeout_gives_up_and_no_reconnect_means_lost() {
    let mut cfg = SessionConfig::new(Wire::WebSocket, "ide");
    cfg.reconnect = false;
    let mut s = DeviceSession::new(cfg);
    s.connect(0.0);
    assert_eq!(s.state().label(0.0), "Connecting…");
    drain_tx(&mut s);
    s.on_open(100.0);
    drain_tx(&mut s);
    // The device never answers GetDeviceInfo.
    assert_eq!(s.next_deadline(), Some(5100.0));
    s.on_tick(5100.0);
    assert_eq!(drain_tx(&mut s), [Transmit::Close]);
    assert_eq!(
        s.state(),
        &LinkState::Lost {
            reason: "the device did not answer in 5 s".into()
        }
    );
    assert_eq!(
        s.state().label(5100.0),
        "Connection lost: the device did not answer in 5 s"
    );
    // No timers left, nothing reopens.
    assert_eq!(s.next_deadline(), None);
    s.on_tick(100_000.0);
    assert!(drain_tx(&mut s).is_empty());
}

#[test]
fn disconnect_is_final_and_calls_when_not_connected_fail_at_once() {
    let mut s = connected(Wire::WebSocket);
    let a = s.call("A", Value::Null, 0.0);
    drain_tx(&mut s);
    s.disconnect();
    assert_eq!(drain_tx(&mut s), [Transmit::Close]);
    let ev = drain_ev(&mut s);
    assert!(
        matches!(&ev[0], SessionEvent::Reply { call, result: Err(e) } if *call == a && e.is_lost())
    );
    assert_eq!(ev[1], SessionEvent::State(LinkState::Disconnected));
    s.on_closed("closed by us", 1.0);
    s.on_tick(100_000.0);
    assert_eq!(s.state(), &LinkState::Disconnected);
    assert!(drain_tx(&mut s).is_empty());
    let b = s.call("B", Value::Null, 2.0);
    assert_eq!(
        drain_ev(&mut s),
        [SessionEvent::Reply {
            call: b,
            result: Err(CallError::new(CallError::LOST, "not connected"))
        }]
    );
}

#[test]
fn too_large_requests_fail_at_once() {
    for wire in [Wire::Console, Wire::WebSocket, Wire::Http] {
        let mut s = DeviceSession::new(SessionConfig::new(wire, "ide"));
        s.connect(0.0);
        drain_tx(&mut s);
        s.on_open(0.0);
        let tx = drain_tx(&mut s);
        // Answer the handshake on whichever wire.
        let bodies: Vec<String> = tx
            .iter()
            .map(|t| match t {
                Transmit::Bytes(b) => String::from_utf8_lossy(&b[1..b.len() - 1]).into_owned(),
                Transmit::Text(t) | Transmit::HttpPost(t) => t.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        for body in bodies {
            let req: Value = serde_json::from_str(&body).unwrap();
            let answer =
                json!({"id": req["id"], "result": {"id": "dev", "mode": "rpc"}}).to_string();
            match wire {
                Wire::Console => s.on_bytes(format!("\x01{answer}\n").as_bytes(), 0.0),
                _ => s.on_text(&answer, 0.0),
            }
        }
        assert_eq!(s.state(), &LinkState::Connected, "{wire:?}");
        drain_tx(&mut s);
        drain_ev(&mut s);
        let big = "x".repeat(17_000);
        let c = s.call("Script.PutCode", json!({"id": 1, "code": big}), 0.0);
        assert!(drain_tx(&mut s).is_empty(), "{wire:?}");
        match drain_ev(&mut s).as_slice() {
            [SessionEvent::Reply {
                call,
                result: Err(e),
            }] => {
                assert_eq!((*call, e.code), (c, -107));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn notifications_become_events() {
    let mut s = connected(Wire::WebSocket);
    let msgs = [
        json!({"src": "dev", "method": "NotifyLog", "params": {"ts": 1700000000.5, "uptime_ms": 5, "seq": 7, "level": "print", "script": 2, "text": "temp=21.5 hum=40, x=1e3 bad=NaN y = 3"}}),
        json!({"src": "dev", "method": "NotifyLog", "params": {"ts": 1.0, "seq": 8, "level": "info", "script": 0, "text": "a=1"}}),
        json!({"src": "dev", "method": "NotifyStatus", "params": {"ts": 1.0, "switch:0": {"output": true}}}),
        json!({"src": "dev", "method": "NotifyEvent", "params": {"ts": 1.0, "events": []}}),
        json!({"src": "dev", "method": "NotifyTelemetry", "params": {"ts": 2.0, "script": 3, "source": "mqtt", "name": "t/x", "value": "12.5"}}),
        json!({"src": "dev", "method": "NotifyTelemetry", "params": {"ts": 2.0, "script": 3, "source": "cloud", "name": "text", "value": "hello"}}),
    ];
    for m in &msgs {
        s.on_text(&m.to_string(), 0.0);
    }
    s.on_text("garbage", 0.0);
    let ev = drain_ev(&mut s);
    let tele = |name: &str, value: f64, script: u32, ts: f64| SessionEvent::Telemetry {
        ts,
        script,
        name: name.into(),
        value,
    };
    assert!(
        matches!(&ev[0], SessionEvent::Log(l) if l.seq == 7 && l.script == 2 && l.level == "print")
    );
    assert_eq!(ev[1], tele("temp", 21.5, 2, 1700000000.5));
    assert_eq!(ev[2], tele("hum", 40.0, 2, 1700000000.5));
    assert_eq!(ev[3], tele("x", 1000.0, 2, 1700000000.5));
    // An info line is not telemetry.
    assert!(matches!(&ev[4], SessionEvent::Log(l) if l.text == "a=1"));
    assert_eq!(ev[5], SessionEvent::Status(msgs[2]["params"].clone()));
    assert_eq!(ev[6], SessionEvent::Event(msgs[3]["params"].clone()));
    assert_eq!(ev[7], tele("t/x", 12.5, 3, 2.0));
    assert!(matches!(&ev[8], SessionEvent::Text(t) if t.contains("unreadable")));
    assert_eq!(ev.len(), 9, "{ev:?}");
}

#[test]
fn stale_nonce_is_retried_without_asking() {
    let mut s = connected(Wire::Http);
    s.set_password(Some("pw".into()), 0.0);
    let c = s.call("Script.List", Value::Null, 0.0);
    let r1 = sent_requests(&drain_tx(&mut s)).remove(0);
    assert!(r1.get("auth").is_none());
    let challenge = ferrite_protocols::digest::rpc_challenge("dev", 11, false);
    s.on_text(
        &json!({"id": r1["id"], "error": {"code": 401, "message": challenge}}).to_string(),
        1.0,
    );
    let r2 = sent_requests(&drain_tx(&mut s)).remove(0);
    assert_eq!(r2["auth"]["nonce"], 11);
    assert_eq!(r2["method"], "Script.List");
    let stale = ferrite_protocols::digest::rpc_challenge("dev", 12, true);
    s.on_text(
        &json!({"id": r2["id"], "error": {"code": 401, "message": stale}}).to_string(),
        2.0,
    );
    let r3 = sent_requests(&drain_tx(&mut s)).remove(0);
    assert_eq!(r3["auth"]["nonce"], 12);
    assert_ne!(r3["auth"]["cnonce"], r2["auth"]["cnonce"]);
    s.on_text(
        &json!({"id": r3["id"], "result": {"scripts": []}}).to_string(),
        3.0,
    );
    assert_eq!(
        drain_ev(&mut s),
        [SessionEvent::Reply {
            call: c,
            result: Ok(json!({"scripts": []}))
        }]
    );
}

#[test]
fn link_alone() {
    let mut l = Link::new(1000.0, true);
    assert_eq!(l.tick(0.0), None);
    l.connect(0.0);
    assert_eq!(l.next_deadline(), Some(1000.0));
    l.opened(500.0);
    assert_eq!(l.next_deadline(), Some(1500.0));
    assert!(matches!(l.tick(1500.0), Some(LinkAction::GiveUp { .. })));
    assert_eq!(l.tick(2000.0), Some(LinkAction::Open));
    assert_eq!(l.state(), &LinkState::Connecting { attempt: 1 });
    assert!(matches!(
        parse_incoming("{\"method\":\"NotifyLog\",\"params\":{}}"),
        Ok(Incoming::Notification { .. })
    ));
    assert!(parse_incoming("[1]").is_err());
}

#[test]
fn a_takeover_close_is_final_and_never_reconnects() {
    // The serial bridge closes a client with 4000 when another takes over: the glue reports it
    // with on_closed_for_good, and the session must not take the device back.
    let mut s = DeviceSession::new(SessionConfig::new(Wire::Console, "ide"));
    s.connect(0.0);
    assert_eq!(drain_tx(&mut s), [Transmit::Open]);
    s.on_open(1.0);
    // Console.SetMode rpc, then Shelly.GetDeviceInfo: answered as frames.
    for t in drain_tx(&mut s) {
        let Transmit::Bytes(b) = t else {
            panic!("{t:?}")
        };
        let req: Value = serde_json::from_slice(&b[1..b.len() - 1]).unwrap();
        let answer = json!({"id": req["id"], "result": {"id": "dev", "mode": "rpc"}});
        s.on_bytes(format!("\x01{answer}\n").as_bytes(), 2.0);
    }
    assert_eq!(s.state(), &LinkState::Connected);
    drain_ev(&mut s);
    let c = s.call("Script.List", Value::Null, 100.0);
    drain_tx(&mut s);
    s.on_closed_for_good("taken over by another client", 200.0);
    let ev = drain_ev(&mut s);
    assert!(
        ev.contains(&SessionEvent::Reply {
            call: c,
            result: Err(CallError::lost("taken over by another client")),
        }),
        "{ev:?}"
    );
    let lost = LinkState::Lost {
        reason: "taken over by another client".into(),
    };
    assert!(ev.contains(&SessionEvent::State(lost.clone())), "{ev:?}");
    assert_eq!(s.state(), &lost);
    assert_eq!(s.pending_calls(), 0);
    assert_eq!(s.next_deadline(), None, "no reconnect timer");
    // However long we wait, nothing is opened again.
    s.on_tick(60_000.0);
    assert!(drain_tx(&mut s).is_empty());
    assert_eq!(s.state(), &lost);
    // A late close after that changes nothing; the user's connect starts over.
    s.on_closed("closed", 60_001.0);
    assert_eq!(s.state(), &lost);
    s.connect(70_000.0);
    assert_eq!(drain_tx(&mut s), [Transmit::Open]);
    assert_eq!(s.state(), &LinkState::Connecting { attempt: 0 });
}

#[test]
fn an_ordinary_close_still_reconnects() {
    let mut s = connected(Wire::WebSocket);
    s.on_closed("network down", 100.0);
    assert!(matches!(s.state(), LinkState::Reconnecting { .. }));
    // on_closed_for_good while waiting to reconnect: lost, no attempt.
    s.on_closed_for_good("taken over by another client", 200.0);
    assert!(matches!(s.state(), LinkState::Lost { .. }));
    s.on_tick(100_000.0);
    assert!(drain_tx(&mut s).is_empty());
}

#[test]
fn an_http_error_without_an_id_fails_its_call_at_once() {
    let mut s = connected(Wire::Http);
    let a = s.call("KVS.Set", json!({"key": "k", "value": "v"}), 100.0);
    let b = s.call("Sys.GetStatus", Value::Null, 100.0);
    let tx = drain_tx(&mut s);
    let bodies: Vec<String> = tx
        .iter()
        .map(|t| match t {
            Transmit::HttpPost(b) => b.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    // The device's HTTP-level 413: a bare error object, no id.
    s.on_http_response(
        &bodies[0],
        413,
        r#"{"code":413,"message":"request too large (at most 16384 bytes)"}"#,
        150.0,
    );
    // The other call's ordinary answer through the same entry point.
    let b_id: Value = serde_json::from_str::<Value>(&bodies[1]).unwrap()["id"].clone();
    s.on_http_response(
        &bodies[1],
        200,
        &json!({"id": b_id, "result": {"ok": 1}}).to_string(),
        160.0,
    );
    let ev = drain_ev(&mut s);
    match ev.as_slice() {
        [SessionEvent::Reply {
            call: c1,
            result: Err(e),
        }, SessionEvent::Reply {
            call: c2,
            result: Ok(v),
        }] => {
            assert_eq!((*c1, e.code), (a, 413));
            assert!(e.message.contains("too large"), "{e:?}");
            assert_eq!((*c2, v), (b, &json!({"ok": 1})));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.pending_calls(), 0, "nothing is left to time out");
    // A proxy's HTML error page: the status is the code.
    let c = s.call("Sys.GetStatus", Value::Null, 200.0);
    let body = match drain_tx(&mut s).pop() {
        Some(Transmit::HttpPost(b)) => b,
        other => panic!("{other:?}"),
    };
    s.on_http_response(&body, 502, "<html>bad gateway</html>", 210.0);
    match drain_ev(&mut s).as_slice() {
        [SessionEvent::Reply {
            call,
            result: Err(e),
        }] => assert_eq!((*call, e.code), (c, 502)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn http_requests_leave_room_for_the_headers() {
    let mut s = connected(Wire::Http);
    // Fits a WebSocket frame (16 KiB) but not an HTTP request with its headers.
    let code = "x".repeat(15_000);
    let c = s.call("Script.PutCode", json!({"id": 1, "code": code}), 0.0);
    assert!(drain_tx(&mut s).is_empty());
    match drain_ev(&mut s).as_slice() {
        [SessionEvent::Reply {
            call,
            result: Err(e),
        }] => assert_eq!((*call, e.code), (c, -107)),
        other => panic!("{other:?}"),
    }
    let mut ws = connected(Wire::WebSocket);
    ws.call(
        "Script.PutCode",
        json!({"id": 1, "code": "x".repeat(15_000)}),
        0.0,
    );
    assert_eq!(drain_tx(&mut ws).len(), 1, "the WebSocket wire sends it");
}

#[test]
fn the_event_queue_is_bounded_for_status_and_events_too() {
    let mut s = connected(Wire::WebSocket);
    let c = s.call("Sys.GetStatus", Value::Null, 0.0);
    let req = sent_requests(&drain_tx(&mut s)).remove(0);
    s.on_text(&json!({"id": req["id"], "result": 1}).to_string(), 1.0);
    for i in 0..25_000 {
        s.on_text(
            &json!({"method": "NotifyStatus", "params": {"switch:0": {"output": i % 2 == 0}, "n": i}})
                .to_string(),
            2.0,
        );
    }
    let ev = drain_ev(&mut s);
    assert!(ev.len() <= 20_000, "{}", ev.len());
    assert!(s.dropped_events() >= 5_001, "{}", s.dropped_events());
    // The reply stays; the newest status is there.
    assert!(ev
        .iter()
        .any(|e| matches!(e, SessionEvent::Reply { call, .. } if *call == c)));
    assert!(matches!(ev.last(), Some(SessionEvent::Status(p)) if p["n"] == 24_999));
}

#[test]
fn a_failing_log_follow_is_reported() {
    let mut s = DeviceSession::new(SessionConfig::new(Wire::WebSocket, "ide"));
    s.connect(0.0);
    drain_tx(&mut s);
    s.on_open(1.0);
    let req = sent_requests(&drain_tx(&mut s)).remove(0);
    s.on_text(
        &json!({"id": req["id"], "result": {"id": "dev"}}).to_string(),
        2.0,
    );
    let follow = sent_requests(&drain_tx(&mut s)).remove(0);
    assert_eq!(follow["method"], "Log.Follow");
    s.on_text(
        &json!({"id": follow["id"], "error": {"code": -114, "message": "no channel"}}).to_string(),
        3.0,
    );
    let ev = drain_ev(&mut s);
    assert!(
        ev.iter().any(
            |e| matches!(e, SessionEvent::Text(t) if t.contains("Log.Follow") && t.contains("no channel"))
        ),
        "{ev:?}"
    );
}
