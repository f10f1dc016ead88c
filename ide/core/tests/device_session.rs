//! `DeviceSession` and `Deploy` end to end against a real device runtime in the test process
//! (see `device_harness`): connecting, "Run on device" of a 10 KB script, Script.Eval, the log
//! and telemetry, passwords, a device dying mid-upload and the deploy converging when re-run.

mod device_harness;

use device_harness::{pump, Device};
use ferrite_ide_core::device::deploy::{Deploy, DeployOptions, DeployStep};
use ferrite_ide_core::device::session::{
    CallError, ConsoleMode, DeviceSession, LinkState, SessionConfig, SessionEvent, Wire,
};
use serde_json::{json, Value};

/// A script of about `size` bytes that prints a `name=value` line every 100 ms.
fn script(size: usize) -> String {
    let mut code = String::from(
        "let n = 0;\nTimer.set(100, true, function () { n++; print(\"temp=\" + (20 + n)); });\n",
    );
    let mut i = 0;
    while code.len() < size {
        code.push_str(&format!(
            "// padding line {i}: ünïcödé and \"quotes\" \\ ok\n"
        ));
        i += 1;
    }
    code
}

/// The code of script `id` as stored on the device.
fn device_code(d: &mut Device, id: u32) -> String {
    let mut out = String::new();
    loop {
        let r = d
            .dev
            .call(
                "Script.GetCode",
                json!({"id": id, "offset": out.len() as u64}),
            )
            .expect("Script.GetCode");
        let data = r["data"].as_str().unwrap().to_string();
        out.push_str(&data);
        if r["left"].as_u64().unwrap_or(0) == 0 || data.is_empty() {
            return out;
        }
    }
}

fn connect(wire: Wire, d: &mut Device) -> (DeviceSession, Vec<SessionEvent>) {
    let mut s = DeviceSession::new(SessionConfig::new(wire, "ferrite-ide-test"));
    s.connect(0.0);
    let ev = pump(&mut s, d, 0.0, 0, 50);
    (s, ev)
}

/// Run a deploy to its end, feeding it the replies; returns every event seen.
fn run_deploy(
    s: &mut DeviceSession,
    d: &mut Device,
    deploy: &mut Deploy,
    now: f64,
) -> Vec<SessionEvent> {
    deploy.start(s, now);
    let mut all = Vec::new();
    for _ in 0..500 {
        let ev = pump(s, d, now, 1, 1);
        let quiet = ev.is_empty();
        for e in &ev {
            if let SessionEvent::Reply { call, result } = e {
                deploy.on_reply(*call, result, s, now);
            }
        }
        all.extend(ev);
        if deploy.is_finished() {
            return all;
        }
        if quiet && s.pending_calls() == 0 {
            // Nothing moves: let the caller see the state.
            let more = pump(s, d, now, 1, 5);
            if more.is_empty() {
                return all;
            }
            for e in &more {
                if let SessionEvent::Reply { call, result } = e {
                    deploy.on_reply(*call, result, s, now);
                }
            }
            all.extend(more);
        }
    }
    all
}

/// Call and wait for the reply.
fn call(
    s: &mut DeviceSession,
    d: &mut Device,
    method: &str,
    params: Value,
    now: f64,
) -> Result<Value, CallError> {
    let id = s.call(method, params, now);
    for _ in 0..200 {
        for e in pump(s, d, now, 10, 1) {
            if let SessionEvent::Reply { call, result } = e {
                if call == id {
                    return result;
                }
            }
        }
    }
    panic!("no reply to {method}");
}

#[test]
fn websocket_session_runs_a_10_kb_script_and_evals() {
    let mut d = Device::new(Wire::WebSocket);
    let (mut s, ev) = connect(Wire::WebSocket, &mut d);
    assert_eq!(s.state(), &LinkState::Connected);
    assert!(ev.contains(&SessionEvent::State(LinkState::Connecting { attempt: 0 })));
    let info = ev
        .iter()
        .find_map(|e| match e {
            SessionEvent::DeviceInfo(v) => Some(v.clone()),
            _ => None,
        })
        .expect("device info");
    assert_eq!(info["id"], json!(d.id));
    assert_eq!(s.device_info(), Some(&info));
    assert!(d.methods.contains(&"Log.Follow".to_string()));

    let code = script(10 * 1024);
    let mut deploy = Deploy::new("telemetry", &code, DeployOptions::default());
    assert!(deploy.chunk_count() >= 3, "10 KB in 4 KB chunks");
    let events = run_deploy(&mut s, &mut d, &mut deploy, 10.0);
    let p = deploy.progress();
    let DeployStep::Done { id } = p.step else {
        panic!("deploy did not finish: {p:?}");
    };
    assert_eq!((p.sent, p.total), (code.len(), code.len()));
    assert_eq!(device_code(&mut d, id), code);
    assert!(d.dev.rt.is_running(id));
    let puts = d.methods.iter().filter(|m| *m == "Script.PutCode").count();
    assert_eq!(puts, deploy.chunk_count());
    assert!(!events
        .iter()
        .any(|e| matches!(e, SessionEvent::PasswordNeeded { .. })));

    // The script prints `temp=N`: log lines and telemetry.
    let ev = pump(&mut s, &mut d, 20.0, 350, 3);
    let printed: Vec<&str> = ev
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Log(l) if l.level == "print" && l.script == id => Some(l.text.as_str()),
            _ => None,
        })
        .collect();
    assert!(printed.contains(&"temp=21"), "{ev:?}");
    let temps: Vec<f64> = ev
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Telemetry {
                name,
                value,
                script,
                ..
            } if name == "temp" && *script == id => Some(*value),
            _ => None,
        })
        .collect();
    assert!(temps.starts_with(&[21.0, 22.0]), "{temps:?}");

    // Eval in the running script.
    let r = call(
        &mut s,
        &mut d,
        "Script.Eval",
        json!({"id": id, "code": "n > 0 ? 'ticking' : 'idle'"}),
        30.0,
    )
    .expect("Script.Eval");
    assert!(r.to_string().contains("ticking"), "{r}");

    // Running it again converges: the same script is stopped, replaced and started.
    let code2 = script(3000).replace("temp=", "hum=");
    let mut again = Deploy::new("telemetry", &code2, DeployOptions::default());
    run_deploy(&mut s, &mut d, &mut again, 40.0);
    assert_eq!(again.progress().step, DeployStep::Done { id });
    assert_eq!(device_code(&mut d, id), code2);
    assert!(d.methods.contains(&"Script.Stop".to_string()));
    assert!(d.dev.rt.is_running(id));
}

#[test]
fn console_session_switches_modes_and_deploys() {
    let mut d = Device::new(Wire::Console);
    let (mut s, _) = connect(Wire::Console, &mut d);
    assert_eq!(s.state(), &LinkState::Connected);
    assert_eq!(s.console_mode(), ConsoleMode::Rpc);
    assert_eq!(d.methods[..2], ["Console.SetMode", "Shelly.GetDeviceInfo"]);

    let code = script(10 * 1024);
    let mut deploy = Deploy::new("main", &code, DeployOptions::default());
    run_deploy(&mut s, &mut d, &mut deploy, 0.0);
    let DeployStep::Done { id } = deploy.progress().step else {
        panic!("{:?}", deploy.progress());
    };
    assert_eq!(device_code(&mut d, id), code);

    // rpc mode: the log comes as NotifyLog frames.
    let ev = pump(&mut s, &mut d, 0.0, 250, 3);
    assert!(ev
        .iter()
        .any(|e| matches!(e, SessionEvent::Log(l) if l.text == "temp=21")));
    assert!(!ev.iter().any(|e| matches!(e, SessionEvent::Text(_))));

    // Human mode: text lines.
    s.set_console_mode(ConsoleMode::Human, 0.0);
    pump(&mut s, &mut d, 0.0, 0, 5);
    assert_eq!(s.console_mode(), ConsoleMode::Human);
    let ev = pump(&mut s, &mut d, 0.0, 250, 3);
    let texts: Vec<&str> = ev
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with(&format!("[script:{id}] temp="))),
        "{texts:?}"
    );
    // A typed line goes to the console's REPL.
    s.send_console_text("print('typed ' + (40 + 2))\r");
    let ev = pump(&mut s, &mut d, 0.0, 5, 3);
    assert!(
        ev.iter()
            .any(|e| matches!(e, SessionEvent::Text(t) if t == "typed 42")),
        "{ev:?}"
    );
    // Frames still work in human mode.
    let r = call(&mut s, &mut d, "Script.List", Value::Null, 0.0).expect("Script.List");
    assert_eq!(r["scripts"][0]["name"], "main");

    // Disconnecting gives the console back to people.
    s.disconnect();
    pump(&mut s, &mut d, 0.0, 0, 3);
    assert_eq!(s.state(), &LinkState::Disconnected);
}

#[test]
fn password_is_asked_then_used() {
    let mut d = Device::new(Wire::WebSocket);
    d.set_password("s3cret");
    let (mut s, ev) = connect(Wire::WebSocket, &mut d);
    // Device info is open, Log.Follow is not.
    assert_eq!(s.state(), &LinkState::Connected);
    let realm = d.id.clone();
    assert!(
        ev.contains(&SessionEvent::PasswordNeeded {
            realm: realm.clone(),
            wrong: false
        }),
        "{ev:?}"
    );
    let r = call(&mut s, &mut d, "Script.List", Value::Null, 1.0);
    assert_eq!(r.unwrap_err().code, CallError::AUTH);

    // A wrong password is refused and reported as wrong.
    s.set_password(Some("nope".into()), 2.0);
    let id = s.call("Script.List", Value::Null, 2.0);
    let ev = pump(&mut s, &mut d, 2.0, 0, 20);
    assert!(ev.contains(&SessionEvent::PasswordNeeded {
        realm: realm.clone(),
        wrong: true
    }));
    assert!(ev.iter().any(
        |e| matches!(e, SessionEvent::Reply { call, result: Err(e) } if *call == id && e.code == 401)
    ));

    // The right one: Log.Follow is sent again and succeeds, calls pass.
    let follows = d.methods.iter().filter(|m| *m == "Log.Follow").count();
    s.set_password(Some("s3cret".into()), 3.0);
    pump(&mut s, &mut d, 3.0, 0, 20);
    assert!(d.methods.iter().filter(|m| *m == "Log.Follow").count() > follows);
    let r = call(&mut s, &mut d, "Script.List", Value::Null, 3.0).expect("authorized");
    assert!(r["scripts"].is_array());
    // Later calls carry `auth` at once (no new 401 round trip).
    let before = d.methods.len();
    call(&mut s, &mut d, "Sys.GetStatus", Value::Null, 4.0).expect("authorized");
    assert_eq!(d.methods.len(), before + 1);
    // And a deploy works through auth.
    let mut deploy = Deploy::new("locked", "print('hi');", DeployOptions::default());
    run_deploy(&mut s, &mut d, &mut deploy, 5.0);
    assert!(matches!(deploy.progress().step, DeployStep::Done { .. }));
}

#[test]
fn device_dying_mid_upload_fails_the_deploy_and_a_rerun_converges() {
    let mut d = Device::new(Wire::WebSocket);
    let (mut s, _) = connect(Wire::WebSocket, &mut d);
    let code = script(12 * 1024);
    let mut deploy = Deploy::new("big", &code, DeployOptions::default());
    // List, Create, PutCode #1, then the device goes away at PutCode #2.
    d.die_after = Some(3);
    let ev = run_deploy(&mut s, &mut d, &mut deploy, 100.0);
    let p = deploy.progress();
    match &p.step {
        DeployStep::Failed { step, message } => {
            assert!(step.starts_with("upload (chunk 2 of"), "{step}");
            assert!(message.contains("connection lost"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(p.sent > 0 && p.sent < p.total);
    // The session is reconnecting, with back-off.
    let LinkState::Reconnecting { attempt, at_ms, .. } = s.state().clone() else {
        panic!("{:?}", s.state());
    };
    assert_eq!((attempt, at_ms), (1, 600.0));
    assert!(ev
        .iter()
        .any(|e| matches!(e, SessionEvent::State(LinkState::Reconnecting { .. }))));
    // Calls fail at once while not connected.
    let c = s.call("Script.List", Value::Null, 200.0);
    assert_eq!(
        s.poll_event(),
        Some(SessionEvent::Reply {
            call: c,
            result: Err(CallError::new(CallError::LOST, "not connected"))
        })
    );

    // The device is back; the reconnect is due.
    d.die_after = None;
    assert_eq!(s.next_deadline(), Some(600.0));
    s.on_tick(599.0);
    assert!(s.poll_transmit().is_none());
    s.on_tick(600.0);
    let ev = pump(&mut s, &mut d, 600.0, 0, 50);
    assert_eq!(s.state(), &LinkState::Connected, "{ev:?}");
    assert!(ev.iter().any(|e| matches!(e, SessionEvent::DeviceInfo(_))));

    // The same deploy, run again, starts over.
    run_deploy(&mut s, &mut d, &mut deploy, 700.0);
    let DeployStep::Done { id } = deploy.progress().step else {
        panic!("{:?}", deploy.progress());
    };
    assert_eq!(device_code(&mut d, id), code);
    // One script of that name: the rerun found the half-uploaded one.
    let list = d.dev.call("Script.List", Value::Null).unwrap();
    let named: Vec<_> = list["scripts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "big")
        .collect();
    assert_eq!(named.len(), 1);
}
