//! What an IDE uses on a live device: `Script.Eval` in the console realm (id 0), read-only
//! `FS.List` / `FS.Get`, `NotifyTelemetry` from `MQTT.publish` and `Cloud.store`, and
//! `Log.Follow` refused where the runtime has no channel to follow on.

use ferrite_runtime::board::Storage;
use ferrite_runtime::device::Notification;
use ferrite_runtime::json::{json, Json};
use ferrite_runtime::log::Level;
use ferrite_runtime::rpc::{Origin, RpcError, RpcReply, METHODS};
use ferrite_runtime::sim::{MemStorage, SimBoard, VirtualClock};
use ferrite_runtime::{Limits, Runtime, RuntimeConfig};

fn boot(storage: &MemStorage, limits: Limits) -> Runtime {
    let board = SimBoard::new(
        Box::new(VirtualClock::new(None)),
        Box::new(storage.clone()),
        Box::new(ferrite_runtime::sim::SimSystem::new(7, [1, 2, 3, 4, 5, 6])),
    );
    let mut rt = Runtime::new(
        Box::new(board),
        RuntimeConfig {
            limits,
            ..Default::default()
        },
    );
    rt.boot();
    rt
}

fn call(rt: &mut Runtime, method: &str, params: Json) -> Result<Json, RpcError> {
    match rt.rpc(method, params, Origin::Transport) {
        RpcReply::Done(r) => r,
        RpcReply::Pending(t) => {
            settle(rt);
            let done = rt.take_rpc_done();
            let (_, r) = done
                .into_iter()
                .find(|(token, _)| *token == t)
                .unwrap_or_else(|| panic!("{method}: no answer for token {t}"));
            r
        }
    }
}

fn settle(rt: &mut Runtime) {
    for _ in 0..10_000 {
        if !rt.poll().busy {
            return;
        }
    }
    panic!("the runtime never became idle");
}

fn log_lines(rt: &Runtime) -> Vec<(Level, u32, String)> {
    let dev = rt.device();
    let d = dev.borrow();
    d.log
        .since(0)
        .map(|l| (l.level, l.script, l.text.clone()))
        .collect()
}

fn run_script(rt: &mut Runtime, code: &str) -> u32 {
    let id = call(rt, "Script.Create", json!({"name": "s"})).unwrap()["id"]
        .as_u64()
        .unwrap() as u32;
    call(rt, "Script.PutCode", json!({"id": id, "code": code})).unwrap();
    call(rt, "Script.Start", json!({"id": id})).unwrap();
    settle(rt);
    id
}

#[test]
fn script_eval_id_0_runs_in_the_console_realm() {
    let storage = MemStorage::new(0);
    let mut rt = boot(&storage, Limits::default());
    // Globals persist between the REPL and Script.Eval id 0, both ways.
    rt.console_eval(b"var fromRepl = 40;");
    settle(&mut rt);
    let r = call(
        &mut rt,
        "Script.Eval",
        json!({"id": 0, "code": "var fromEval = fromRepl + 2; fromEval"}),
    );
    assert_eq!(r.unwrap(), json!({"result": "42"}));
    rt.console_eval(b"fromEval * 2");
    settle(&mut rt);
    assert!(log_lines(&rt)
        .iter()
        .any(|(lvl, s, t)| *lvl == Level::Info && *s == 0 && t == "84"));
    // Strings come back in the display form the REPL shows.
    let r = call(
        &mut rt,
        "Script.Eval",
        json!({"id": 0, "code": "'a' + 'b'"}),
    );
    assert_eq!(r.unwrap()["result"], "ab");
    // print output goes to the log as script 0; the answer is the value.
    let r = call(
        &mut rt,
        "Script.Eval",
        json!({"id": 0, "code": "print('printed by eval'); 7"}),
    );
    assert_eq!(r.unwrap()["result"], "7");
    assert!(log_lines(&rt)
        .iter()
        .any(|(lvl, s, t)| *lvl == Level::Script && *s == 0 && t == "printed by eval"));
    // A thrown error is the answer (-113, the error's text), and the realm lives on.
    let e = call(&mut rt, "Script.Eval", json!({"id": 0, "code": "nope()"})).unwrap_err();
    assert_eq!(e.code, -113);
    assert!(
        e.message.starts_with("console:1:1: ReferenceError"),
        "{}",
        e.message
    );
    let e = call(&mut rt, "Script.Eval", json!({"id": 0, "code": "1 +"})).unwrap_err();
    assert_eq!(e.code, -113);
    assert!(e.message.contains("SyntaxError"), "{}", e.message);
    let r = call(&mut rt, "Script.Eval", json!({"id": 0, "code": "fromRepl"}));
    assert_eq!(r.unwrap()["result"], "40");
    // Other ids still need a running script.
    let e = call(&mut rt, "Script.Eval", json!({"id": 9, "code": "1"})).unwrap_err();
    assert_eq!(e.code, -108);
}

#[test]
fn interrupting_the_console_answers_its_pending_evals() {
    let storage = MemStorage::new(0);
    let mut rt = boot(
        &storage,
        Limits {
            turn_fuel: u64::MAX,
            ..Limits::default()
        },
    );
    let RpcReply::Pending(running) = rt.rpc(
        "Script.Eval",
        json!({"id": 0, "code": "while (true) {}"}),
        Origin::Transport,
    ) else {
        panic!("Script.Eval answers later");
    };
    let RpcReply::Pending(queued) = rt.rpc(
        "Script.Eval",
        json!({"id": 0, "code": "1"}),
        Origin::Transport,
    ) else {
        panic!("Script.Eval answers later");
    };
    for _ in 0..5 {
        assert!(rt.poll().busy);
    }
    assert!(rt.take_rpc_done().is_empty());
    assert!(rt.console_interrupt());
    settle(&mut rt);
    let done = rt.take_rpc_done();
    let mut tokens: Vec<u32> = done.iter().map(|(t, _)| *t).collect();
    tokens.sort();
    let mut want = vec![running, queued];
    want.sort();
    assert_eq!(tokens, want);
    for (_, r) in &done {
        let e = r.as_ref().unwrap_err();
        assert_eq!(e.code, -113);
        assert!(e.message.contains("interrupted"), "{}", e.message);
    }
    let r = call(&mut rt, "Script.Eval", json!({"id": 0, "code": "'alive'"}));
    assert_eq!(r.unwrap()["result"], "alive");
}

#[test]
fn fs_list_and_get_read_the_storage() {
    let mut storage = MemStorage::new(0);
    let mut rt = boot(&storage, Limits::default());
    let id = run_script(&mut rt, "print('hi');");
    let mut big = Vec::new();
    for i in 0..3000 {
        big.extend_from_slice(format!("{i:05}é").as_bytes());
    }
    storage.write("data/big.txt", &big).unwrap();
    storage.write("data/small", b"xyz").unwrap();

    let all = call(&mut rt, "FS.List", json!({})).unwrap();
    let names: Vec<&str> = all["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&format!("scripts/{id}.js").as_str()),
        "{all}"
    );
    assert!(names.contains(&"data/small"), "{all}");
    let data = call(&mut rt, "FS.List", json!({"prefix": "data/"})).unwrap();
    assert_eq!(
        data,
        json!({"files": [{"name": "data/big.txt", "size": big.len()},
                         {"name": "data/small", "size": 3}],
               "total": 2, "offset": 0})
    );

    let code = call(
        &mut rt,
        "FS.Get",
        json!({"name": format!("scripts/{id}.js")}),
    )
    .unwrap();
    assert_eq!(
        code,
        json!({"data": "print('hi');", "offset": 0, "left": 0, "size": 12})
    );
    // Chunks: the default is 4096 bytes, at most 8192, cut on a character boundary.
    let first = call(&mut rt, "FS.Get", json!({"name": "data/big.txt"})).unwrap();
    let chunk = first["data"].as_str().unwrap();
    assert!(chunk.len() <= 4096 && chunk.len() > 4090, "{}", chunk.len());
    assert!(!chunk.contains('\u{FFFD}'));
    assert_eq!(first["left"], big.len() - chunk.len());
    let mut text = String::new();
    let mut offset = 0usize;
    loop {
        let r = call(
            &mut rt,
            "FS.Get",
            json!({"name": "data/big.txt", "offset": offset, "len": 100_000}),
        )
        .unwrap();
        let d = r["data"].as_str().unwrap();
        assert!(d.len() <= 8192);
        text.push_str(d);
        offset += d.len();
        if r["left"] == 0 {
            break;
        }
    }
    assert_eq!(text.as_bytes(), &big[..]);

    // Missing → -105; outside the storage → -103; name required.
    let e = call(&mut rt, "FS.Get", json!({"name": "nope"})).unwrap_err();
    assert_eq!(e.code, -105);
    for bad in ["../secret", "/etc/passwd", "scripts/../../x", "a\\b"] {
        let e = call(&mut rt, "FS.Get", json!({"name": bad})).unwrap_err();
        assert_eq!(e.code, -103, "{bad}");
    }
    let e = call(&mut rt, "FS.List", json!({"prefix": "../"})).unwrap_err();
    assert_eq!(e.code, -103);
    let e = call(&mut rt, "FS.Get", json!({})).unwrap_err();
    assert_eq!(e.code, -103);
    let e = call(&mut rt, "FS.Get", json!({"name": "data/small", "len": -1})).unwrap_err();
    assert_eq!(e.code, -103);
    // Read-only: nothing changed.
    assert_eq!(
        call(&mut rt, "FS.List", json!({"prefix": "data/"})).unwrap()["total"],
        2
    );
}

fn telemetry(notes: &[Notification]) -> Vec<Json> {
    notes
        .iter()
        .filter(|n| n.method == "NotifyTelemetry")
        .map(|n| {
            assert!(n.followers_only());
            n.params.clone()
        })
        .collect()
}

#[test]
fn mqtt_publish_and_cloud_store_raise_telemetry() {
    let storage = MemStorage::new(0);
    let mut rt = boot(&storage, Limits::default());
    rt.take_notifications();
    let long = "x".repeat(300);
    let id = run_script(
        &mut rt,
        &format!(
            "MQTT.publish('home/temp', '21.5'); MQTT.publish('home/state', 'on');\n\
             MQTT.publish('home/long', '{long}'); Cloud.store('humidity', 40);\n\
             Cloud.store('config', {{a: 1}});"
        ),
    );
    let notes = rt.take_notifications();
    let t = telemetry(&notes);
    assert_eq!(t.len(), 5, "{t:?}");
    let strip_ts = |mut j: Json| {
        assert!(j["ts"].is_number(), "{j}");
        j.as_object_mut().unwrap().remove("ts");
        j
    };
    assert_eq!(
        strip_ts(t[0].clone()),
        json!({"script": id, "source": "mqtt", "name": "home/temp", "value": 21.5})
    );
    assert_eq!(t[1]["value"], "on");
    assert_eq!(t[2]["value"].as_str().unwrap().len(), 256);
    assert_eq!(
        strip_ts(t[3].clone()),
        json!({"script": id, "source": "cloud", "name": "humidity", "value": 40})
    );
    assert_eq!(t[4]["value"], json!({"a": 1}));
    // Only telemetry: the Shelly notifications carry none of it.
    assert!(notes
        .iter()
        .filter(|n| n.method != "NotifyTelemetry")
        .all(|n| !n.followers_only() && !n.params.to_string().contains("home/temp")));
}

#[test]
fn telemetry_is_bounded_when_nobody_takes_it() {
    let storage = MemStorage::new(0);
    let mut rt = boot(&storage, Limits::default());
    rt.take_notifications();
    run_script(
        &mut rt,
        "for (let i = 0; i < 3000; i++) MQTT.publish('n', '' + i);",
    );
    let notes = rt.take_notifications();
    let t = telemetry(&notes);
    assert!(
        !t.is_empty() && t.len() <= ferrite_runtime::device::OUTBOX_LIMIT,
        "{}",
        t.len()
    );
    // The oldest were dropped and counted: the newest stay.
    assert_eq!(t.last().unwrap()["value"], json!(2999));
    assert!(rt.notifications_dropped() >= 3000 - t.len() as u64);
}

#[test]
fn status_and_events_are_bounded_when_nobody_takes_them() {
    let storage = MemStorage::new(0);
    let mut rt = boot(&storage, Limits::default());
    rt.take_notifications();
    let before = rt.notifications_dropped();
    // Every toggle is a NotifyStatus (and an event): far more than the outbox holds.
    for _ in 0..3000 {
        call(&mut rt, "Switch.Toggle", json!({"id": 0})).unwrap();
        settle(&mut rt);
    }
    let notes = rt.take_notifications();
    assert!(
        notes.len() <= ferrite_runtime::device::OUTBOX_LIMIT,
        "{}",
        notes.len()
    );
    assert!(notes.iter().any(|n| n.method == "NotifyStatus"));
    assert!(rt.notifications_dropped() > before);
}

#[test]
fn a_large_cloud_value_is_cut_in_telemetry() {
    let storage = MemStorage::new(0);
    let mut rt = boot(&storage, Limits::default());
    rt.take_notifications();
    run_script(
        &mut rt,
        "Cloud.store('big', {s: 'x'.repeat(2000)}); Cloud.store('n', 5);",
    );
    let t = telemetry(&rt.take_notifications());
    assert_eq!(t.len(), 2, "{t:?}");
    let v = t[0]["value"].as_str().expect("cut to text");
    assert_eq!(v.len(), ferrite_runtime::device::TELEMETRY_TEXT_LIMIT);
    assert!(v.starts_with("{\"s\":\"xxx"), "{v}");
    assert_eq!(t[1]["value"], json!(5));
}

#[test]
fn log_follow_needs_a_channel_and_new_methods_are_listed() {
    let storage = MemStorage::new(0);
    let mut rt = boot(&storage, Limits::default());
    let e = call(&mut rt, "Log.Follow", json!({"enable": true})).unwrap_err();
    assert_eq!(e.code, -114);
    let listed = call(&mut rt, "Shelly.ListMethods", json!({})).unwrap();
    for m in ["FS.List", "FS.Get", "Log.Follow", "Script.Eval"] {
        assert!(METHODS.contains(&m));
        assert!(listed["methods"].as_array().unwrap().iter().any(|x| x == m));
    }
    // Method names are case-insensitive, as the others.
    assert!(call(&mut rt, "fs.list", json!({})).is_ok());
}
