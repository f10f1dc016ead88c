//! The simulator session: running, printing, the board panel, speeds, errors, HTTP mocks, the
//! in-tab MQTT broker, snapshots and RPC answers.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use common::{files, Session};
use ferrite_ide_core::protocol::{
    BoardAction, FromWorker, HttpMock, Push, Speed, ToWorker, Traffic,
};
use ferrite_runtime::Limits;

#[test]
fn run_prints_and_sends_a_snapshot() {
    let mut s = Session::run("print('hello', 1 + 1);");
    s.advance(100.0);
    assert_eq!(s.printed(), ["hello 2"]);
    let snap = s.last_snapshot().expect("a snapshot after Run");
    assert_eq!(snap.scripts.len(), 1);
    assert_eq!(snap.scripts[0].file, "main.js");
    assert!(snap.scripts[0].running, "a Shelly script stays running");
    // The meter's budget is the realm's: its built-ins plus the script's allowance.
    let (used, budget) = (snap.scripts[0].heap_used, snap.scripts[0].heap_budget);
    let allowance = Limits::SHELLY.script_heap as u64;
    assert!(used > 0 && budget > allowance, "{used}/{budget}");
    assert!(budget - used <= allowance, "{used}/{budget}");
    assert!(s.errors().is_empty());
}

#[test]
fn every_file_is_a_script_and_only_start_runs() {
    let mut s = Session::run_project(
        files(&[("a.js", "print('a');"), ("b.js", "print('b');")]),
        "b.js",
        Vec::new(),
        Speed::Realtime,
    );
    s.advance(10.0);
    assert_eq!(s.printed(), ["b"]);
    let snap = s.last_snapshot().unwrap();
    let v: Vec<(u32, String, bool)> = snap
        .scripts
        .iter()
        .map(|x| (x.id, x.file.clone(), x.running))
        .collect();
    assert_eq!(
        v,
        [
            (1, "a.js".to_string(), false),
            (2, "b.js".to_string(), true)
        ]
    );
}

const BUTTON: &str = r#"
Shelly.addEventHandler(function (ev) {
  if (ev.component === "input:0" && ev.info.event.indexOf("push") >= 0) print("got", ev.info.event);
});
print("ready");
"#;

#[test]
fn button_pushes_reach_an_event_handler_at_every_speed() {
    for speed in [Speed::Realtime, Speed::X10, Speed::X100, Speed::Max] {
        let mut s =
            Session::run_project(files(&[("main.js", BUTTON)]), "main.js", Vec::new(), speed);
        for push in [Push::Single, Push::Double, Push::Triple, Push::Long] {
            s.send(ToWorker::Board {
                action: BoardAction::InputPush { id: 0, push },
            });
        }
        // Enough wall time for every push at ×1 (each takes under 2 s of virtual time).
        s.advance(10_000.0);
        assert_eq!(
            s.printed(),
            [
                "ready",
                "got single_push",
                "got double_push",
                "got triple_push",
                "got long_push"
            ],
            "{speed:?}"
        );
    }
}

#[test]
fn input_level_holds_the_button() {
    let mut s = Session::run(BUTTON);
    s.send(ToWorker::Board {
        action: BoardAction::InputLevel { id: 0, down: true },
    });
    s.advance(100.0);
    assert_eq!(s.last_snapshot().unwrap().inputs[0].state, Some(true));
    s.send(ToWorker::Board {
        action: BoardAction::InputLevel { id: 0, down: false },
    });
    s.advance(1000.0);
    assert_eq!(s.printed(), ["ready", "got single_push"]);
}

#[test]
fn a_busy_script_stops_at_the_cpu_budget_and_steps_keep_their_budget() {
    let mut s = Session::run("let n = 0;\nwhile (true) { n++; }\n");
    // A wall clock that moves 1 ms per reading: the step must look at it between polls.
    let calls = Rc::new(Cell::new(0u64));
    let c = calls.clone();
    let wall = move || {
        c.set(c.get() + 1);
        c.get() as f64
    };
    let budget = 5.0;
    let mut steps = 0u64;
    let error = loop {
        let before = calls.get();
        let step = s.sim.step(&wall, budget);
        steps += 1;
        // Readings: the start, one per poll, the end. One poll runs at most one slice.
        let readings = calls.get() - before;
        assert!(
            readings <= budget as u64 + 3,
            "a step read the clock {readings} times"
        );
        if let Some(e) = step.out.iter().find_map(|m| match m {
            FromWorker::ScriptError { error } => Some(error.clone()),
            _ => None,
        }) {
            assert!(step
                .out
                .iter()
                .any(|m| matches!(m, FromWorker::Idle { .. })));
            break e;
        }
        assert_eq!(step.wake_in_ms, Some(0.0), "more work is ready");
        assert!(steps < 100_000, "the CPU budget never ended the script");
    };
    assert_eq!(error.kind, "cpu_budget_exceeded");
    let loc = error.location.expect("located");
    assert_eq!((loc.file.as_str(), loc.line), ("main.js", 2));
    // The turn's fuel is spent in slices of `slice_fuel`, at most one per poll, and each step
    // polls at most `budget` times.
    let slices = Limits::SHELLY.turn_fuel / Limits::SHELLY.slice_fuel;
    assert!(
        steps >= slices / budget as u64,
        "{steps} steps ran {slices} slices"
    );
    let snap = s.sim_snapshot();
    assert_eq!(snap.scripts[0].errors, ["cpu_budget_exceeded"]);
}

trait SnapshotOf {
    fn sim_snapshot(&mut self) -> ferrite_ide_core::protocol::Snapshot;
}
impl SnapshotOf for Session {
    fn sim_snapshot(&mut self) -> ferrite_ide_core::protocol::Snapshot {
        self.advance(100.0);
        self.last_snapshot().unwrap()
    }
}

#[test]
fn uncaught_errors_point_into_the_file() {
    let mut s = Session::run_project(
        files(&[
            ("lib.js", "print('not started');"),
            (
                "main.js",
                "let a = 1;\nTimer.set(500, false, function () {\n  a.b.c = 2;\n});\n",
            ),
        ]),
        "main.js",
        Vec::new(),
        Speed::Realtime,
    );
    s.advance(1000.0);
    let e = &s.errors()[0];
    assert_eq!(
        (e.script, e.name.as_str(), e.kind.as_str()),
        (2, "TypeError", "type_error")
    );
    let loc = e.location.clone().unwrap();
    assert_eq!((loc.file.as_str(), loc.line), ("main.js", 3));
    assert_eq!(s.idles().len(), 1);
}

#[test]
fn a_syntax_error_is_a_script_error() {
    let mut s = Session::run("let x = ;\n");
    s.advance(10.0);
    let e = &s.errors()[0];
    assert_eq!(e.kind, "syntax_error");
    assert_eq!(e.location.as_ref().unwrap().line, 1);
    assert_eq!(s.idles().len(), 1);
}

#[test]
fn a_script_larger_than_the_device_takes_does_not_start() {
    let big = format!("print('never');\n{}", "// padding\n".repeat(3000));
    let mut s = Session::run(&big);
    s.advance(100.0);
    assert!(s.printed().is_empty());
    assert_eq!(s.idles(), ["main.js could not be loaded onto the device"]);
    assert!(s
        .logs()
        .iter()
        .any(|l| l.level == "error" && l.text.contains("script too large")));
}

#[test]
fn every_stop_is_answered_with_idle_even_when_nothing_runs() {
    let mut s = Session::run("print('done');");
    s.advance(200.0);
    assert_eq!(s.printed(), ["done"]);
    let before = s.idles().len();
    // The script ended long ago: Stop still gets its answer (the page waits for it).
    s.send(ToWorker::Stop);
    s.advance(100.0);
    let idles = s.idles();
    assert_eq!(idles.len(), before + 1, "{idles:?}");
    // A second Stop too.
    s.send(ToWorker::Stop);
    s.advance(100.0);
    assert_eq!(s.idles().len(), before + 2);
}

#[test]
fn run_is_answered_first_with_started() {
    let mut s = Session::run("print('x');");
    let out = s.send(ToWorker::Run {
        run: 7,
        files: vec![ferrite_ide_core::project::ProjectFile {
            name: "main.js".into(),
            code: "print('y');".into(),
        }],
        start: "main.js".into(),
        http_mocks: Vec::new(),
        speed: Speed::Realtime,
        epoch_ms: 0.0,
    });
    assert!(
        matches!(out.first(), Some(FromWorker::Started { run: 7 })),
        "{out:?}"
    );
}

#[test]
fn stop_stops_every_script_and_keeps_the_device() {
    let mut s = Session::run("Timer.set(100, true, function () { print('tick'); });");
    s.advance(350.0);
    assert_eq!(s.printed(), ["tick", "tick", "tick"]);
    s.send(ToWorker::Stop);
    s.advance(1000.0);
    assert_eq!(s.printed().len(), 3);
    assert_eq!(s.idles(), ["stopped"]);
    let snap = s.last_snapshot().unwrap();
    assert!(!snap.scripts[0].running);
    // Still inspectable.
    let out = s.send(ToWorker::Rpc {
        seq: 7,
        method: "Switch.GetStatus".into(),
        params: serde_json::json!({"id": 0}),
    });
    assert!(out.iter().any(|m| matches!(
        m,
        FromWorker::RpcResult {
            seq: 7,
            result: Some(_),
            ..
        }
    )));
}

const TICKS: &str =
    "let n = 0; Timer.set(1000, true, function () { n++; if (n % 600 === 0) print('n', n); });";

#[test]
fn paused_does_not_advance() {
    let mut s = Session::run_project(
        files(&[("main.js", TICKS)]),
        "main.js",
        Vec::new(),
        Speed::Paused,
    );
    s.wall.set(s.wall.get() + 10_000.0);
    let step = s.step();
    assert_eq!(step.wake_in_ms, None);
    assert_eq!(s.now(), 0);
}

#[test]
fn time_goes_on_while_a_script_only_waits_for_events() {
    let mut s = Session::run("Shelly.addEventHandler(function (e) { print(e.info.event); });");
    s.advance(100.0);
    // Nothing is scheduled, yet the worker must come back to move the clock (uptime runs on).
    let step = s.step();
    let wake = step
        .wake_in_ms
        .expect("a running script keeps the clock moving");
    assert!(wake <= ferrite_ide_core::simulator::SNAPSHOT_INTERVAL_MS);
    s.advance(1000.0);
    assert!(
        s.now() >= 1000,
        "virtual time {} after 1.1 s of wall time",
        s.now()
    );
}

#[test]
fn realtime_follows_the_wall_and_speeds_scale_it() {
    let mut s = Session::run(TICKS);
    s.advance(2500.0);
    assert_eq!(s.now(), 2500);
    // Measured over the last window: one simulated second per wall second.
    let rate = s.last_snapshot().unwrap().sim_rate;
    assert!((rate - 1.0).abs() < 0.05, "sim_rate {rate}");
    let step = s.step();
    // Next tick at 3000 virtual = 500 wall ms away at ×1, but a running script's clock is
    // moved at the snapshot rate in between.
    assert_eq!(
        step.wake_in_ms,
        Some(ferrite_ide_core::simulator::SNAPSHOT_INTERVAL_MS)
    );
    s.send(ToWorker::SetSpeed { speed: Speed::X10 });
    s.advance(100.0);
    assert_eq!(s.now(), 3500);
    assert_eq!(s.step().wake_in_ms, Some(50.0));
    s.send(ToWorker::SetSpeed {
        speed: Speed::Paused,
    });
    s.advance(5000.0);
    assert_eq!(s.now(), 3500);
    s.send(ToWorker::SetSpeed { speed: Speed::X100 });
    s.advance(100.0);
    assert_eq!(s.now(), 13_500);
}

#[test]
fn max_speed_runs_an_hour_of_timers() {
    let mut s = Session::run_project(
        files(&[("main.js", TICKS)]),
        "main.js",
        Vec::new(),
        Speed::Max,
    );
    // A wall clock that moves 0.01 ms per reading: steps of 20 ms budget end by the clock.
    let w = Rc::new(Cell::new(0.0f64));
    let wc = w.clone();
    let wall = move || {
        wc.set(wc.get() + 0.01);
        wc.get()
    };
    let mut steps = 0;
    while s.now() < 3_600_000 {
        let st = s.sim.step(&wall, 20.0);
        s.out.extend(st.out);
        assert_eq!(st.wake_in_ms, Some(0.0));
        steps += 1;
        assert!(steps < 100_000);
    }
    let printed = s.printed();
    assert_eq!(
        printed[..6],
        ["n 600", "n 1200", "n 1800", "n 2400", "n 3000", "n 3600"]
    );
}

#[test]
fn http_requests_are_answered_by_the_longest_mock() {
    let code = r#"
function get(url) {
  Shelly.call("HTTP.GET", {url: url}, function (res, code, msg) {
    if (code === 0) print(url, res.code, res.body); else print(url, "failed", code);
  });
}
get("http://api.test/weather/now");
get("http://api.test/other");
get("http://nowhere.test/");
"#;
    let mocks = vec![
        HttpMock {
            url: "http://api.test/".into(),
            status: 404,
            content_type: String::new(),
            body: "no".into(),
        },
        HttpMock {
            url: "http://api.test/weather".into(),
            status: 200,
            content_type: "application/json".into(),
            body: "{\"t\":21}".into(),
        },
    ];
    let mut s = Session::run_project(
        files(&[("main.js", code)]),
        "main.js",
        mocks,
        Speed::Realtime,
    );
    s.advance(100.0);
    let p = s.printed();
    assert!(
        p.contains(&"http://api.test/weather/now 200 {\"t\":21}".to_string()),
        "{p:?}"
    );
    assert!(
        p.contains(&"http://api.test/other 404 no".to_string()),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|l| l.starts_with("http://nowhere.test/ failed")),
        "{p:?}"
    );
    let statuses: Vec<(String, u16)> = s
        .traffic()
        .into_iter()
        .filter_map(|t| match t {
            Traffic::Http { url, status, .. } => Some((url, status)),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("http://api.test/weather/now".to_string(), 200),
            ("http://api.test/other".to_string(), 404),
            ("http://nowhere.test/".to_string(), 0)
        ]
    );
    // Replaced mocks answer the next requests.
    s.send(ToWorker::SetHttpMocks {
        mocks: vec![HttpMock {
            url: "http://nowhere.test/".into(),
            status: 201,
            content_type: String::new(),
            body: "made".into(),
        }],
    });
    s.send(ToWorker::Eval { code: "1".into() });
    let _ = s.send(ToWorker::Rpc {
        seq: 1,
        method: "HTTP.GET".into(),
        params: serde_json::json!({"url": "http://nowhere.test/x"}),
    });
    s.advance(100.0);
    assert!(s.out.iter().any(
        |m| matches!(m, FromWorker::RpcResult { seq: 1, result: Some(r), .. } if r["code"] == 201)
    ));
}

#[test]
fn mqtt_goes_both_ways_through_the_in_tab_broker() {
    let code = r#"
MQTT.subscribe("cmd/#", function (topic, message) {
  print("got", topic, message);
  MQTT.publish("state/echo", message, 0, false);
});
print("connected", MQTT.isConnected());
MQTT.publish("state/boot", "up", 0, true);
"#;
    let mut s = Session::run(code);
    s.advance(100.0);
    s.send(ToWorker::MqttPublish {
        topic: "cmd/light".into(),
        payload: "on".into(),
        retain: false,
    });
    s.advance(100.0);
    assert_eq!(s.printed(), ["connected true", "got cmd/light on"]);
    let t: Vec<(bool, String, String, bool)> = s
        .traffic()
        .into_iter()
        .filter_map(|t| match t {
            Traffic::Mqtt {
                from_device,
                topic,
                payload,
                retain,
                ..
            } => Some((from_device, topic, payload, retain)),
            _ => None,
        })
        .collect();
    assert_eq!(
        t,
        [
            (true, "state/boot".into(), "up".into(), true),
            (false, "cmd/light".into(), "on".into(), false),
            (true, "state/echo".into(), "on".into(), false),
        ]
    );
}

#[test]
fn snapshot_shows_pins_switch_parts_virtuals_and_scripts() {
    let code = r#"
GPIO.setmode(5, 2, 0);
GPIO.write(5, 1);
GPIO.setmode(4, 1, 1);
Shelly.call("Switch.Set", {id: 0, on: true});
Shelly.call("Virtual.Add", {type: "number", id: 200, config: {name: "Setpoint", min: 5, max: 30, default_value: 20}});
Shelly.call("Virtual.Add", {type: "enum", config: {name: "Mode", options: ["eco", "comfort"]}});
"#;
    let mut s = Session::run(code);
    s.send(ToWorker::Board {
        action: BoardAction::Load {
            id: 0,
            watts: 100.0,
        },
    });
    s.send(ToWorker::Board {
        action: BoardAction::Part {
            addr: 0x44,
            what: "temperature".into(),
            value: 30.5,
        },
    });
    s.send(ToWorker::Board {
        action: BoardAction::Analog { pin: 2, raw: 1234 },
    });
    s.advance(3_600_000.0 / 1000.0);
    let snap = s.last_snapshot().unwrap();
    let pins: Vec<(u32, &str, &str, bool)> = snap
        .pins
        .iter()
        .map(|p| (p.pin, p.mode.as_str(), p.pull.as_str(), p.level))
        .collect();
    assert_eq!(
        pins,
        [(4, "input", "up", true), (5, "output", "none", true)]
    );
    let sw = &snap.switches[0];
    assert!(sw.output);
    assert_eq!((sw.apower, sw.load_w), (100.0, 100.0));
    assert!((sw.current - 100.0 / 230.0).abs() < 1e-9);
    assert!(sw.energy_wh > 0.0);
    assert_eq!(snap.inputs[0].input_type, "button");
    let sht = snap.parts.iter().find(|p| p.addr == 0x44).unwrap();
    assert_eq!(sht.knobs[0].what, "temperature");
    assert_eq!(sht.knobs[0].value, 30.5);
    assert_eq!((sht.knobs[0].min, sht.knobs[0].max), (-40.0, 125.0));
    assert!(snap.parts.iter().any(|p| p.addr == 0x50));
    assert!(snap.parts.iter().any(|p| p.addr == 0x20));
    let v: Vec<(&str, &str, Option<f64>)> = snap
        .virtuals
        .iter()
        .map(|v| (v.key.as_str(), v.name.as_str(), v.max))
        .collect();
    assert_eq!(
        v,
        [
            ("enum:200", "Mode", None),
            ("number:200", "Setpoint", Some(30.0))
        ]
    );
    assert_eq!(snap.virtuals[0].options, ["eco", "comfort"]);
    assert_eq!(snap.virtuals[1].value, serde_json::json!(20));
    assert_eq!(snap.speed, Speed::Realtime);
    assert_eq!(snap.now_ms, s.now());
}

#[test]
fn an_analog_read_shows_the_pin() {
    let mut s = Session::run(
        "let a = new (require('embedded:io/analog'))({pin: 3}); print('raw', a.read());",
    );
    s.send(ToWorker::Board {
        action: BoardAction::Analog { pin: 3, raw: 777 },
    });
    s.advance(100.0);
    let snap = s.last_snapshot().unwrap();
    let p = snap
        .pins
        .iter()
        .find(|p| p.pin == 3)
        .unwrap_or_else(|| panic!("pin 3 not in {:?}", s.logs()));
    assert!(p.analog_used);
    assert_eq!(p.analog_max, 4095);
}

#[test]
fn rpc_answers_now_or_later() {
    let mut s = Session::run("let x = 41;");
    let out = s.send(ToWorker::Rpc {
        seq: 3,
        method: "Shelly.GetDeviceInfo".into(),
        params: serde_json::Value::Null,
    });
    assert!(out.iter().any(
        |m| matches!(m, FromWorker::RpcResult { seq: 3, result: Some(r), .. } if r["gen"] == 2)
    ));
    let out = s.send(ToWorker::Rpc {
        seq: 4,
        method: "Script.Eval".into(),
        params: serde_json::json!({"id": 1, "code": "x + 1"}),
    });
    assert!(
        !out.iter()
            .any(|m| matches!(m, FromWorker::RpcResult { seq: 4, .. })),
        "pending"
    );
    s.advance(10.0);
    assert!(s.out.iter().any(|m| matches!(m, FromWorker::RpcResult { seq: 4, result: Some(r), .. } if r["result"] == "42")));
    let out = s.send(ToWorker::Rpc {
        seq: 5,
        method: "No.Such".into(),
        params: serde_json::Value::Null,
    });
    assert!(out.iter().any(|m| matches!(
        m,
        FromWorker::RpcResult {
            seq: 5,
            error: Some(_),
            ..
        }
    )));
}

#[test]
fn eval_runs_in_the_console() {
    let mut s = Session::run("");
    s.send(ToWorker::Eval {
        code: "6 * 7".into(),
    });
    s.advance(10.0);
    assert!(s.logs().iter().any(|l| l.level == "info" && l.text == "42"));
}

#[test]
fn snapshots_are_rate_limited_and_only_sent_on_change() {
    let mut s = Session::run_project(
        files(&[("main.js", "Timer.set(10, true, function () {});")]),
        "main.js",
        Vec::new(),
        Speed::Realtime,
    );
    s.advance(1000.0);
    let n = s
        .out
        .iter()
        .filter(|m| matches!(m, FromWorker::State { .. }))
        .count();
    // ~15 a second (the first one after Run comes at once).
    assert!((10..=17).contains(&n), "{n} snapshots in a second");
    s.send(ToWorker::SetSpeed {
        speed: Speed::Paused,
    });
    let before = s.out.len();
    s.advance(1000.0);
    let n = s.out[before..]
        .iter()
        .filter(|m| matches!(m, FromWorker::State { .. }))
        .count();
    assert!(n <= 1, "{n} snapshots while paused");
}

#[test]
fn the_device_holds_at_most_its_script_limit() {
    let names: Vec<String> = (1..=11).map(|i| format!("f{i}.js")).collect();
    let list: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "print('x');")).collect();
    let mut s = Session::run_project(files(&list), "f11.js", Vec::new(), Speed::Realtime);
    s.advance(10.0);
    assert_eq!(s.idles(), ["f11.js could not be loaded onto the device"]);
    assert!(s
        .logs()
        .iter()
        .any(|l| l.text.starts_with("f11.js: not loaded")));
    assert_eq!(
        s.last_snapshot().unwrap().scripts.len(),
        Limits::SHELLY.scripts
    );
}

#[test]
fn a_run_message_without_epoch_parses() {
    let m = ToWorker::from_json(
        r#"{"type":"run","files":[{"name":"main.js","code":""}],"start":"main.js"}"#,
    )
    .unwrap();
    assert!(matches!(m, ToWorker::Run { epoch_ms, speed: Speed::Realtime, .. } if epoch_ms == 0.0));
}

#[test]
fn date_follows_the_epoch_and_virtual_time() {
    let mut s = Session::run("Timer.set(1500, false, function () { print(Date.now()); });");
    s.send(ToWorker::Run {
        run: 1,
        files: files(&[(
            "main.js",
            "Timer.set(1500, false, function () { print(Date.now()); });",
        )]),
        start: "main.js".into(),
        http_mocks: Vec::new(),
        speed: Speed::Realtime,
        epoch_ms: 1_800_000_000_000.0,
    });
    s.advance(2000.0);
    assert_eq!(s.printed(), ["1800000001500"]);
}
