//! The runtime's embedding API: console evaluation, `Script.Eval` answered later, isolation of
//! scripts (heap, errors), reboot with persisted scripts, and the crash marker.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ferrite_runtime::board::System;
use ferrite_runtime::json::{json, Json};
use ferrite_runtime::log::Level;
use ferrite_runtime::rpc::{Origin, RpcReply};
use ferrite_runtime::sim::{MemStorage, SimBoard, VirtualClock};
use ferrite_runtime::{Limits, Runtime, RuntimeConfig};

/// A system whose crash marker survives "reboots" (new runtimes over the same storage), that
/// counts the watchdog's feeds and keeps every marker written.
#[derive(Clone, Default)]
struct SharedSystem {
    marker: Rc<RefCell<Vec<u8>>>,
    feeds: Rc<Cell<u32>>,
    markers_written: Rc<RefCell<Vec<String>>>,
    /// What `ram_min_free` and `stack_min_free` report (a chip's low-water marks).
    low_water: Option<(u64, u64)>,
}

impl System for SharedSystem {
    fn random(&mut self, buf: &mut [u8]) {
        buf.fill(4);
    }
    fn crash_marker(&mut self) -> Option<Vec<u8>> {
        Some(self.marker.borrow().clone()).filter(|m| !m.is_empty())
    }
    fn set_crash_marker(&mut self, marker: &[u8]) {
        *self.marker.borrow_mut() = marker.to_vec();
        self.markers_written
            .borrow_mut()
            .push(String::from_utf8_lossy(marker).into_owned());
    }
    fn feed_watchdog(&mut self) {
        self.feeds.set(self.feeds.get() + 1);
    }
    fn mac(&self) -> [u8; 6] {
        [1, 2, 3, 4, 5, 6]
    }
    fn ram_min_free(&self) -> Option<u64> {
        self.low_water.map(|(ram, _)| ram)
    }
    fn stack_min_free(&self) -> Option<u64> {
        self.low_water.map(|(_, stack)| stack)
    }
}

struct Rig {
    clock: VirtualClock,
    storage: MemStorage,
    system: SharedSystem,
}

impl Rig {
    fn new() -> Rig {
        Rig {
            clock: VirtualClock::new(None),
            storage: MemStorage::new(0),
            system: SharedSystem::default(),
        }
    }

    fn boot(&self, limits: Limits) -> Runtime {
        let board = SimBoard::new(
            Box::new(self.clock.clone()),
            Box::new(self.storage.clone()),
            Box::new(self.system.clone()),
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
}

fn call(rt: &mut Runtime, method: &str, params: Json) -> Json {
    match rt.rpc(method, params, Origin::Transport) {
        RpcReply::Done(Ok(j)) => j,
        other => panic!("{method}: {other:?}"),
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

fn log_text(rt: &Runtime) -> String {
    let dev = rt.device();
    let d = dev.borrow();
    d.log
        .since(0)
        .map(|l| {
            format!(
                "{}{}\n",
                if l.level == Level::Error { "! " } else { "" },
                l.text
            )
        })
        .collect()
}

fn add_script(rt: &mut Runtime, name: &str, code: &str) -> u32 {
    let id = call(rt, "Script.Create", json!({"name": name}))["id"]
        .as_u64()
        .unwrap() as u32;
    call(rt, "Script.PutCode", json!({"id": id, "code": code}));
    id
}

#[test]
fn console_evaluates_and_reports_errors() {
    let rig = Rig::new();
    let mut rt = rig.boot(Limits::default());
    rt.console_eval(b"let a = 40; a + 2");
    rt.console_eval(b"undefinedName");
    rt.console_eval(b"a");
    settle(&mut rt);
    let log = log_text(&rt);
    assert!(log.contains("42\n"), "{log}");
    assert!(log.contains("! console:1:1: ReferenceError"), "{log}");
    assert!(
        log.ends_with("40\n"),
        "the console realm survives errors: {log}"
    );
}

#[test]
fn console_interrupt_stops_a_loop() {
    let rig = Rig::new();
    let mut rt = rig.boot(Limits {
        turn_fuel: u64::MAX,
        ..Limits::default()
    });
    rt.console_eval(b"while (true) {}");
    for _ in 0..10 {
        assert!(rt.poll().busy);
    }
    assert!(rt.console_interrupt());
    settle(&mut rt);
    rt.console_eval(b"'alive'");
    settle(&mut rt);
    assert!(log_text(&rt).ends_with("alive\n"));
}

#[test]
fn script_eval_is_answered_later() {
    let rig = Rig::new();
    let mut rt = rig.boot(Limits::default());
    let id = add_script(&mut rt, "s", "let counter = 7;");
    call(&mut rt, "Script.Start", json!({"id": id}));
    settle(&mut rt);
    let RpcReply::Pending(token) = rt.rpc(
        "Script.Eval",
        json!({"id": id, "code": "counter * 6"}),
        Origin::Transport,
    ) else {
        panic!("Script.Eval answers later");
    };
    settle(&mut rt);
    let done = rt.take_rpc_done();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].0, token);
    assert_eq!(done[0].1.as_ref().unwrap()["result"], "42");
    // An eval error is the answer, not the end of the script.
    let RpcReply::Pending(_) = rt.rpc(
        "Script.Eval",
        json!({"id": id, "code": "nope()"}),
        Origin::Transport,
    ) else {
        panic!()
    };
    settle(&mut rt);
    let done = rt.take_rpc_done();
    assert!(done[0]
        .1
        .as_ref()
        .unwrap_err()
        .message
        .contains("ReferenceError"));
    assert!(rt.is_running(id));
}

#[test]
fn one_script_running_out_of_memory_leaves_the_other_alone() {
    let rig = Rig::new();
    let mut rt = rig.boot(Limits::default());
    let hog = add_script(
        &mut rt,
        "hog",
        "let a = []; while (true) a.push('x'.repeat(1000) + a.length);",
    );
    let calm = add_script(
        &mut rt,
        "calm",
        "let n = 0; Timer.set(100, true, function () { n++; });",
    );
    call(&mut rt, "Script.Start", json!({"id": hog}));
    call(&mut rt, "Script.Start", json!({"id": calm}));
    for _ in 0..50 {
        settle(&mut rt);
        rig.clock.advance(100);
    }
    let st = call(&mut rt, "Script.GetStatus", json!({"id": hog}));
    assert_eq!(st["running"], false);
    assert_eq!(st["errors"], json!(["out_of_memory"]));
    assert!(rt.is_running(calm));
    let RpcReply::Pending(_) = rt.rpc(
        "Script.Eval",
        json!({"id": calm, "code": "n"}),
        Origin::Transport,
    ) else {
        panic!()
    };
    settle(&mut rt);
    let n: u32 = rt.take_rpc_done()[0].1.as_ref().unwrap()["result"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(n >= 45, "the calm script kept ticking: {n}");
}

#[test]
fn enabled_scripts_start_at_boot_and_a_crashing_one_is_disabled() {
    let rig = Rig::new();
    {
        let mut rt = rig.boot(Limits::default());
        let a = add_script(&mut rt, "a", "print('a booted');");
        let b = add_script(&mut rt, "b", "print('b booted');");
        for id in [a, b] {
            call(
                &mut rt,
                "Script.SetConfig",
                json!({"id": id, "config": {"enable": true}}),
            );
        }
    }
    // A "reboot" with the same storage: both start. Booting (the console's realm, then each
    // script's, compiled) feeds the watchdog before each, before the loop's first round.
    let fed = rig.system.feeds.get();
    let mut rt = rig.boot(Limits::default());
    assert!(
        rig.system.feeds.get() - fed >= 3,
        "fed {}",
        rig.system.feeds.get() - fed
    );
    settle(&mut rt);
    let log = log_text(&rt);
    assert!(
        log.contains("a booted") && log.contains("b booted"),
        "{log}"
    );
    drop(rt);
    // The device "crashed" while script 2 ran: it is disabled at the next boot.
    rig.system.clone().set_crash_marker(b"run:2");
    let mut rt = rig.boot(Limits::default());
    settle(&mut rt);
    let log = log_text(&rt);
    assert!(
        log.contains("a booted") && !log.contains("b booted"),
        "{log}"
    );
    let st = call(&mut rt, "Script.GetStatus", json!({"id": 2}));
    assert_eq!(st["errors"], json!(["crashed"]));
    assert_eq!(
        call(&mut rt, "Script.GetConfig", json!({"id": 2}))["enable"],
        false
    );
}

/// Compiling a script is marked as the script running: a crash in the compiler (the stack, on a
/// chip) disables the script at the next boot instead of crashing every boot.
#[test]
fn compiling_a_script_is_marked_as_the_script() {
    let rig = Rig::new();
    let mut rt = rig.boot(Limits::default());
    let id = add_script(&mut rt, "broken", "let = ;");
    rig.system.markers_written.borrow_mut().clear();
    let r = rt.rpc("Script.Start", json!({"id": id}), Origin::Transport);
    assert!(matches!(r, RpcReply::Done(Err(_))), "{r:?}");
    // The syntax error: no slice ran, yet the compile was marked, and the marker is idle again.
    assert_eq!(
        *rig.system.markers_written.borrow(),
        [format!("run:{id}"), String::from("idle")]
    );
}

#[test]
fn full_job_queues_drop_and_count_instead_of_growing() {
    let rig = Rig::new();
    let mut rt = rig.boot(Limits {
        job_queue: 4,
        ..Limits::default()
    });
    let id = add_script(&mut rt, "h", "Shelly.addEventHandler(function () {});");
    call(&mut rt, "Script.Start", json!({"id": id}));
    settle(&mut rt);
    for _ in 0..20 {
        call(
            &mut rt,
            "Input.Trigger",
            json!({"id": 0, "event_type": "single_push"}),
        );
    }
    settle(&mut rt);
    assert!(rt.is_running(id));
    let st = call(&mut rt, "Script.GetStatus", json!({"id": id}));
    assert!(st["dropped_events"].as_u64().unwrap() > 0, "{st}");
}

#[test]
fn script_size_limit_is_a_clear_error() {
    let rig = Rig::new();
    let mut rt = rig.boot(Limits {
        script_bytes: 100,
        ..Limits::default()
    });
    let id = call(&mut rt, "Script.Create", json!({"name": "big"}))["id"].clone();
    call(
        &mut rt,
        "Script.PutCode",
        json!({"id": id, "code": "x".repeat(60)}),
    );
    let r = rt.rpc(
        "Script.PutCode",
        json!({"id": id, "code": "y".repeat(60), "append": true}),
        Origin::Transport,
    );
    let RpcReply::Done(Err(e)) = r else {
        panic!("{r:?}")
    };
    assert!(e.message.contains("script too large"), "{e}");
    // The acknowledged part is intact.
    let code = call(&mut rt, "Script.GetCode", json!({"id": id}));
    assert_eq!(code["data"], "x".repeat(60));
}

/// A Wi-Fi that records what the runtime asks of it, with the status the test sets.
#[derive(Clone, Default)]
struct RecordingWifi(
    Rc<RefCell<Vec<String>>>,
    Rc<RefCell<ferrite_runtime::board::WifiStatus>>,
);

impl ferrite_runtime::board::Wifi for RecordingWifi {
    fn status(&self) -> ferrite_runtime::board::WifiStatus {
        self.1.borrow().clone()
    }
    fn connect(&mut self, ssid: &str, password: &str) -> ferrite_runtime::board::BoardResult<()> {
        if password == "short" {
            return Err(ferrite_runtime::board::BoardError::InvalidArgument(
                "password too short".into(),
            ));
        }
        self.0
            .borrow_mut()
            .push(format!("connect {ssid} {password}"));
        Ok(())
    }
    fn disconnect(&mut self) {
        self.0.borrow_mut().push("disconnect".into());
    }
    fn set_ipv4(&mut self, config: Option<ferrite_runtime::board::StaticIpv4>) {
        if let Some(c) = config {
            let [a, b, cc, d] = c.ip;
            self.0.borrow_mut().push(format!(
                "static {a}.{b}.{cc}.{d}/{} gw {:?} dns {:?}",
                c.prefix_len, c.gateway, c.nameserver
            ));
        }
    }
}

struct WifiOnly(RecordingWifi);

/// A runtime on the rig's board (its storage kept across boots) with `wifi` as its Wi-Fi.
fn boot_with_wifi(rig: &Rig, wifi: &RecordingWifi) -> Runtime {
    let board = SimBoard::new(
        Box::new(rig.clock.clone()),
        Box::new(rig.storage.clone()),
        Box::new(rig.system.clone()),
    )
    .with_net(Box::new(WifiOnly(wifi.clone())));
    let mut rt = Runtime::new(Box::new(board), RuntimeConfig::default());
    rt.boot();
    rt
}

impl ferrite_runtime::sim::NetBackend for WifiOnly {
    fn wifi(&mut self) -> Option<&mut dyn ferrite_runtime::board::Wifi> {
        Some(&mut self.0)
    }
}

#[test]
fn wifi_config_is_applied_remembered_and_joined_again_at_boot() {
    let rig = Rig::new();
    let wifi = RecordingWifi::default();
    let boot = |rig: &Rig| boot_with_wifi(rig, &wifi);
    let mut rt = boot(&rig);
    // Nothing configured: nothing joined.
    assert!(wifi.0.borrow().is_empty());
    call(
        &mut rt,
        "Wifi.SetConfig",
        json!({"config": {"sta": {"ssid": "home", "pass": "secret12", "enable": true}}}),
    );
    assert_eq!(*wifi.0.borrow(), ["connect home secret12"]);
    // A password the board refuses is an invalid argument, and the old configuration stays
    // (in memory too, not only in storage).
    match rt.rpc(
        "Wifi.SetConfig",
        json!({"config": {"sta": {"ssid": "work", "pass": "short"}}}),
        Origin::Transport,
    ) {
        RpcReply::Done(Err(e)) => {
            assert!(e.message.contains("password too short"), "{e:?}");
            assert_eq!(
                e.code,
                ferrite_runtime::rpc::code::INVALID_ARGUMENT,
                "{e:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    let cfg = call(&mut rt, "Wifi.GetConfig", json!({}));
    assert_eq!(cfg["sta"]["ssid"], "home", "{cfg}");
    drop(rt);
    wifi.0.borrow_mut().clear();
    // The saved configuration is joined again at boot.
    let mut rt = boot(&rig);
    assert_eq!(*wifi.0.borrow(), ["connect home secret12"]);
    // Disabling the station leaves the network, and a boot after that joins nothing.
    call(
        &mut rt,
        "Wifi.SetConfig",
        json!({"config": {"sta": {"enable": false}}}),
    );
    assert_eq!(*wifi.0.borrow(), ["connect home secret12", "disconnect"]);
    drop(rt);
    wifi.0.borrow_mut().clear();
    let _rt = boot(&rig);
    assert!(wifi.0.borrow().is_empty());
}

/// `Wifi.GetStatus` says how far a join got, in Shelly's words, and why one failed (Ferrite's
/// `error`); scripts' `Wifi.status()` uses the same words.
/// Joined to "home" with an address.
fn joined_home() -> ferrite_runtime::board::WifiStatus {
    ferrite_runtime::board::WifiStatus {
        connected: true,
        associated: true,
        ssid: Some("home".into()),
        ip: Some("192.168.1.20".into()),
        rssi: -60,
        ..Default::default()
    }
}

#[test]
fn wifi_status_says_how_far_the_join_got_and_why_it_failed() {
    use ferrite_runtime::board::WifiStatus;
    let rig = Rig::new();
    let wifi = RecordingWifi::default();
    let mut rt = boot_with_wifi(&rig, &wifi);
    let status = |rt: &mut Runtime| call(rt, "Wifi.GetStatus", json!({}));
    let s = status(&mut rt);
    assert_eq!(s["status"], "disconnected", "{s}");
    assert!(s.get("error").is_none(), "{s}");
    let why = "cannot join \"home\": wrong password? (FourWayHandshakeTimeout)";
    *wifi.1.borrow_mut() = WifiStatus {
        joining: true,
        error: Some(why.into()),
        ..WifiStatus::default()
    };
    let s = status(&mut rt);
    assert_eq!(s["status"], "connecting", "{s}");
    assert_eq!(s["error"], why, "{s}");
    *wifi.1.borrow_mut() = WifiStatus {
        associated: true,
        ssid: Some("home".into()),
        rssi: -60,
        ..WifiStatus::default()
    };
    let s = status(&mut rt);
    assert_eq!(s["status"], "connected", "associated, no address yet: {s}");
    assert_eq!(s["ssid"], "home", "{s}");
    *wifi.1.borrow_mut() = joined_home();
    let s = status(&mut rt);
    assert_eq!(s["status"], "got ip", "{s}");
    assert_eq!(s["sta_ip"], "192.168.1.20", "{s}");
    assert_eq!(eval(&mut rt, 0, "Wifi.status()"), "got ip");
}

/// `Script.Eval` of `code` in `id`, its result once the runtime has settled.
fn eval(rt: &mut Runtime, id: u32, code: &str) -> Json {
    let RpcReply::Pending(token) = rt.rpc(
        "Script.Eval",
        json!({"id": id, "code": code}),
        Origin::Transport,
    ) else {
        panic!("Script.Eval was not taken");
    };
    settle(rt);
    let answers = rt.take_rpc_done();
    assert_eq!(answers[0].0, token);
    answers[0].1.as_ref().unwrap()["result"].clone()
}

#[test]
fn a_static_address_is_validated_applied_and_remembered() {
    let rig = Rig::new();
    let wifi = RecordingWifi::default();
    let boot = |rig: &Rig| boot_with_wifi(rig, &wifi);
    let mut rt = boot(&rig);
    call(
        &mut rt,
        "Wifi.SetConfig",
        json!({"config": {"sta": {
            "ssid": "home", "pass": "secret12", "enable": true, "ipv4mode": "static",
            "ip": "192.168.1.20", "netmask": "255.255.255.0", "gw": "192.168.1.1",
            "nameserver": "1.1.1.1"
        }}}),
    );
    let static_line = "static 192.168.1.20/24 gw Some([192, 168, 1, 1]) dns Some([1, 1, 1, 1])";
    assert_eq!(*wifi.0.borrow(), [static_line, "connect home secret12"]);
    let sta = call(&mut rt, "Wifi.GetConfig", json!({}))["sta"].clone();
    assert_eq!(sta["ipv4mode"], "static", "{sta}");
    assert_eq!(sta["ip"], "192.168.1.20", "{sta}");
    assert_eq!(sta["netmask"], "255.255.255.0", "{sta}");
    assert_eq!(sta["gw"], "192.168.1.1", "{sta}");
    assert_eq!(sta["nameserver"], "1.1.1.1", "{sta}");
    // Bad addresses are invalid arguments and change nothing.
    for (sta, words) in [
        (json!({"netmask": "255.0.255.0"}), "not a netmask"),
        (json!({"ip": "300.1.1.1"}), "sta.ip must be an IPv4 address"),
        (json!({"gw": "1.2.3"}), "sta.gw must be an IPv4 address"),
        (json!({"ip": null}), "needs sta.ip and sta.netmask"),
        (json!({"ipv4mode": "auto"}), "sta.ipv4mode must be"),
    ] {
        match rt.rpc(
            "Wifi.SetConfig",
            json!({"config": {"sta": sta}}),
            Origin::Transport,
        ) {
            RpcReply::Done(Err(e)) => {
                assert!(e.message.contains(words), "{e:?}");
                assert_eq!(e.code, ferrite_runtime::rpc::code::INVALID_ARGUMENT);
            }
            other => panic!("{sta}: {other:?}"),
        }
    }
    assert_eq!(call(&mut rt, "Wifi.GetConfig", json!({}))["sta"], sta);
    drop(rt);
    // Remembered: joined again with the same address at boot.
    wifi.0.borrow_mut().clear();
    let mut rt = boot(&rig);
    assert_eq!(*wifi.0.borrow(), [static_line, "connect home secret12"]);
    // Back to DHCP: the address is kept in the config but not used.
    wifi.0.borrow_mut().clear();
    call(
        &mut rt,
        "Wifi.SetConfig",
        json!({"config": {"sta": {"ipv4mode": "dhcp"}}}),
    );
    assert_eq!(*wifi.0.borrow(), ["connect home secret12"]);
    let sta = call(&mut rt, "Wifi.GetConfig", json!({}))["sta"].clone();
    assert_eq!(
        (sta["ipv4mode"].as_str(), sta["ip"].as_str()),
        (Some("dhcp"), Some("192.168.1.20"))
    );
}

/// `Sys.GetStatus` reports the least heap and stack free since boot where the board knows them
/// (a chip), and leaves them out where it does not (the simulator, the virtual device).
#[test]
fn sys_status_reports_the_boards_low_water_marks() {
    let rig = Rig::new();
    let mut rt = rig.boot(Limits::default());
    let status = call(&mut rt, "Sys.GetStatus", json!({}));
    assert!(status.get("ram_min_free").is_none(), "{status}");
    assert!(status.get("stack_min_free").is_none(), "{status}");

    let mut rig = Rig::new();
    rig.system.low_water = Some((150_000, 20_480));
    let mut rt = rig.boot(Limits::default());
    let status = call(&mut rt, "Sys.GetStatus", json!({}));
    assert_eq!(status["ram_min_free"], 150_000);
    assert_eq!(status["stack_min_free"], 20_480);
}

#[test]
fn the_stations_changes_reach_transports_status_handlers_and_wifi_changed() {
    use ferrite_runtime::board::WifiStatus;
    use ferrite_runtime::components::wifi_watch::CHECK_EVERY_MS;
    let rig = Rig::new();
    let wifi = RecordingWifi::default();
    let mut rt = boot_with_wifi(&rig, &wifi);
    let id = add_script(
        &mut rt,
        "w",
        "Wifi.changed(function (code) { print('changed', code); });\n\
         Shelly.addStatusHandler(function (s) {\n\
           if (s.component === 'wifi') print('status', s.delta.status, s.delta.sta_ip);\n\
         });",
    );
    call(&mut rt, "Script.Start", json!({"id": id}));
    settle(&mut rt);
    rt.take_notifications();
    let step = |rt: &mut Runtime, status: WifiStatus| {
        *wifi.1.borrow_mut() = status;
        rig.clock.advance(CHECK_EVERY_MS);
        settle(rt);
    };
    let joined = joined_home();
    step(
        &mut rt,
        WifiStatus {
            joining: true,
            ..WifiStatus::default()
        },
    );
    step(&mut rt, joined.clone());
    // The signal alone is no change.
    step(
        &mut rt,
        WifiStatus {
            rssi: -71,
            ..joined.clone()
        },
    );
    step(
        &mut rt,
        WifiStatus {
            joining: true,
            error: Some("lost \"home\": the access point went silent (BeaconTimeout)".into()),
            ..WifiStatus::default()
        },
    );
    let lines: Vec<String> = log_text(&rt)
        .lines()
        .filter(|l| l.starts_with("changed") || l.starts_with("status"))
        .map(String::from)
        .collect();
    assert_eq!(
        lines,
        [
            "status connecting null",
            "changed 0",
            "changed 3",
            "status got ip 192.168.1.20",
            "changed 1",
            "status connecting null",
        ]
    );
    let notified: Vec<Json> = rt
        .take_notifications()
        .into_iter()
        .filter(|n| n.method == "NotifyStatus")
        .filter_map(|n| n.params.get("wifi").cloned())
        .collect();
    assert_eq!(notified.len(), 3, "{notified:?}");
    assert_eq!(notified[1]["sta_ip"], "192.168.1.20");
    assert_eq!(
        notified[2]["error"],
        "lost \"home\": the access point went silent (BeaconTimeout)"
    );
    // A new callback replaces the old one; a non-function removes it. Only the station's
    // mode is run.
    let code = "Wifi.changed(function (c) { print('again', c); });\n\
                Wifi.changed(function (c) { print('new', c); });\n\
                Wifi.mode(1) && !Wifi.mode(2)";
    assert_eq!(eval(&mut rt, id, code), "true");
    rt.take_notifications();
    step(&mut rt, joined.clone());
    let wifi_changes: Vec<Json> = rt
        .take_notifications()
        .into_iter()
        .filter_map(|n| n.params.get("wifi").cloned())
        .collect();
    assert_eq!(
        wifi_changes[0]["error"],
        Json::Null,
        "the reason is said to be gone: {wifi_changes:?}"
    );
    assert!(wifi_changes[0].get("error").is_some());
    let tail: Vec<String> = log_text(&rt)
        .lines()
        .filter(|l| l.starts_with("changed") || l.starts_with("new") || l.starts_with("again"))
        .skip(3)
        .map(String::from)
        .collect();
    assert_eq!(tail, ["new 0", "new 3"]);
}
