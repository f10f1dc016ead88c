//! Scanning for Wi-Fi networks: `Wifi.Scan` (RPC) and scripts' `Wifi.scan(cb)` share one scan
//! of the board's station, every caller is answered once, and a scan the board never ends is
//! given up.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use ferrite_runtime::board::{
    BoardError, BoardEvent, BoardResult, Wifi, WifiNetwork, WifiSecurity, WifiStatus,
};
use ferrite_runtime::components::wifi_scan::{MAX_RPC_WAITING, SCAN_LIMIT_MS};
use ferrite_runtime::json::{json, Json};
use ferrite_runtime::rpc::{code, Origin, RpcError, RpcReply};
use ferrite_runtime::sim::{MemStorage, NetBackend, SimBoard, SimSystem, VirtualClock};
use ferrite_runtime::{Runtime, RuntimeConfig};

/// What the board's station was asked, and the events the test hands back.
#[derive(Default)]
struct Radio {
    scans_started: u32,
    /// `start_scan` fails with this.
    refuse: Option<BoardError>,
    events: VecDeque<BoardEvent>,
}

#[derive(Clone, Default)]
struct TestWifi(Rc<RefCell<Radio>>);

impl Wifi for TestWifi {
    fn status(&self) -> WifiStatus {
        WifiStatus::default()
    }
    fn connect(&mut self, _ssid: &str, _password: &str) -> BoardResult<()> {
        Ok(())
    }
    fn disconnect(&mut self) {}
    fn start_scan(&mut self) -> BoardResult<()> {
        let mut radio = self.0.borrow_mut();
        if let Some(e) = radio.refuse.clone() {
            return Err(e);
        }
        radio.scans_started += 1;
        Ok(())
    }
}

impl NetBackend for TestWifi {
    fn wifi(&mut self) -> Option<&mut dyn Wifi> {
        Some(self)
    }
    fn poll_event(&mut self) -> Option<BoardEvent> {
        self.0.borrow_mut().events.pop_front()
    }
}

struct Rig {
    clock: VirtualClock,
    radio: TestWifi,
    rt: Runtime,
}

fn rig_with(net: Option<TestWifi>) -> Rig {
    let clock = VirtualClock::new(None);
    let radio = net.clone().unwrap_or_default();
    let mut board = SimBoard::new(
        Box::new(clock.clone()),
        Box::new(MemStorage::new(0)),
        Box::new(SimSystem::new(7, [2, 0, 0, 0, 0, 7])),
    );
    if let Some(net) = net {
        board = board.with_net(Box::new(net));
    }
    let mut rt = Runtime::new(Box::new(board), RuntimeConfig::default());
    rt.boot();
    Rig { clock, radio, rt }
}

fn rig() -> Rig {
    rig_with(Some(TestWifi::default()))
}

impl Rig {
    fn settle(&mut self) {
        for _ in 0..1000 {
            if !self.rt.poll().busy {
                return;
            }
        }
        panic!("the runtime never became idle");
    }

    fn scan_rpc(&mut self) -> RpcReply {
        self.rt.rpc("Wifi.Scan", json!({}), Origin::Transport)
    }

    fn pending_scan(&mut self) -> u32 {
        match self.scan_rpc() {
            RpcReply::Pending(token) => token,
            other => panic!("Wifi.Scan answered at once: {other:?}"),
        }
    }

    /// A script that prints what its `Wifi.scan` callback gets.
    fn start_scanning_script(&mut self) -> u32 {
        let code = "Wifi.scan(function (names, error) { \
                    print('scan:', JSON.stringify(names), error); });";
        let id = self.call("Script.Create", json!({"name": "scan"}))["id"]
            .as_u64()
            .unwrap() as u32;
        self.call("Script.PutCode", json!({"id": id, "code": code}));
        self.call("Script.Start", json!({"id": id}));
        self.settle();
        id
    }

    fn call(&mut self, method: &str, params: Json) -> Json {
        match self.rt.rpc(method, params, Origin::Transport) {
            RpcReply::Done(Ok(j)) => j,
            other => panic!("{method}: {other:?}"),
        }
    }

    fn scan_ends(&mut self, result: Result<Vec<WifiNetwork>, String>) {
        self.radio
            .0
            .borrow_mut()
            .events
            .push_back(BoardEvent::WifiScanDone { result });
        self.settle();
    }

    fn scans_started(&self) -> u32 {
        self.radio.0.borrow().scans_started
    }

    fn log_lines(&self, prefix: &str) -> Vec<String> {
        let dev = self.rt.device();
        let d = dev.borrow();
        d.log
            .since(0)
            .map(|l| l.text.clone())
            .filter(|t| t.starts_with(prefix))
            .collect()
    }
}

fn network(ssid: &str, last: u8, rssi: i32) -> WifiNetwork {
    WifiNetwork {
        ssid: ssid.into(),
        bssid: [0x24, 0x0a, 0xc4, 0, 0, last],
        channel: 11,
        rssi,
        security: WifiSecurity::Wpa2,
    }
}

fn answer_error(r: &Result<Json, RpcError>) -> &RpcError {
    r.as_ref().expect_err("an error")
}

#[test]
fn one_scan_answers_every_call_and_script_that_asked_while_it_ran() {
    let mut r = rig();
    let first = r.pending_scan();
    let second = r.pending_scan();
    r.start_scanning_script();
    assert_eq!(r.scans_started(), 1, "callers share the scan in flight");
    assert!(
        r.rt.take_rpc_done().is_empty(),
        "nothing answered before the scan ends"
    );

    r.scan_ends(Ok(vec![
        network("garden", 1, -82),
        network("home", 2, -48),
        network("", 3, -50),
        network("garden", 4, -70),
    ]));
    let answers = r.rt.take_rpc_done();
    let tokens: Vec<u32> = answers.iter().map(|(t, _)| *t).collect();
    assert_eq!(tokens, [first, second]);
    let results = &answers[0].1.as_ref().unwrap()["results"];
    assert_eq!(results.as_array().unwrap().len(), 4, "{results}");
    assert_eq!(
        results[0],
        json!({"ssid": "home", "bssid": "24:0a:c4:00:00:02", "auth": 3, "channel": 11, "rssi": -48})
    );
    assert_eq!(
        results[1]["ssid"],
        Json::Null,
        "a hidden network: {results}"
    );
    assert_eq!(answers[0].1, answers[1].1);
    assert_eq!(
        r.log_lines("scan:"),
        [r#"scan: ["home","garden"] undefined"#],
        "the script gets each name once, strongest first"
    );

    // The next call starts a new scan.
    r.pending_scan();
    assert_eq!(r.scans_started(), 2);
}

#[test]
fn a_scan_the_board_never_ends_is_given_up() {
    let mut r = rig();
    let token = r.pending_scan();
    r.start_scanning_script();
    r.clock.advance(SCAN_LIMIT_MS - 1);
    r.settle();
    assert!(r.rt.take_rpc_done().is_empty(), "still within the limit");
    r.clock.advance(1);
    r.settle();
    let answers = r.rt.take_rpc_done();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].0, token);
    let e = answer_error(&answers[0].1);
    assert_eq!(e.code, code::DEADLINE_EXCEEDED, "{e}");
    assert!(e.message.contains("did not end within 60 s"), "{e}");
    assert_eq!(
        r.log_lines("scan:"),
        ["scan: undefined the scan did not end within 60 s"]
    );
    // The board's late answer finds nobody waiting; a new call starts a new scan.
    r.scan_ends(Ok(vec![network("late", 1, -60)]));
    assert!(r.rt.take_rpc_done().is_empty());
    assert_eq!(r.log_lines("scan:").len(), 1);
    r.pending_scan();
    assert_eq!(r.scans_started(), 2);
}

#[test]
fn a_failed_scan_is_an_error_for_every_caller() {
    let mut r = rig();
    r.pending_scan();
    r.start_scanning_script();
    r.scan_ends(Err("the radio could not scan: NotStarted".into()));
    let answers = r.rt.take_rpc_done();
    let e = answer_error(&answers[0].1);
    assert_eq!(e.code, code::UNAVAILABLE);
    assert_eq!(e.message, "Wifi.Scan: the radio could not scan: NotStarted");
    assert_eq!(
        r.log_lines("scan:"),
        ["scan: undefined the radio could not scan: NotStarted"]
    );
}

#[test]
fn a_board_that_cannot_scan_says_so_at_once() {
    let mut r = rig();
    r.radio.0.borrow_mut().refuse = Some(BoardError::Unsupported("Wi-Fi scanning"));
    let RpcReply::Done(answer) = r.scan_rpc() else {
        panic!("a refused scan is answered at once");
    };
    let e = answer_error(&answer);
    assert_eq!(e.code, code::UNAVAILABLE);
    assert!(e.message.starts_with("Wifi.Scan: "), "{e}");
    assert!(e.message.contains("Wi-Fi scanning"), "{e}");
    // The script's callback still runs, with the reason.
    r.start_scanning_script();
    let lines = r.log_lines("scan:");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("scan: undefined "), "{lines:?}");
    assert!(lines[0].contains("Wi-Fi scanning"), "{lines:?}");

    let mut no_wifi = rig_with(None);
    let RpcReply::Done(answer) = no_wifi.scan_rpc() else {
        panic!("no Wi-Fi is answered at once");
    };
    assert_eq!(
        answer_error(&answer).message,
        "Wifi.Scan: this board has no Wi-Fi"
    );
}

#[test]
fn callers_waiting_for_one_scan_are_bounded() {
    let mut r = rig();
    for _ in 0..MAX_RPC_WAITING {
        r.pending_scan();
    }
    let RpcReply::Done(answer) = r.scan_rpc() else {
        panic!("one call too many is refused at once");
    };
    assert_eq!(answer_error(&answer).code, code::RESOURCE_EXHAUSTED);
    r.scan_ends(Ok(Vec::new()));
    assert_eq!(r.rt.take_rpc_done().len(), MAX_RPC_WAITING);
    // Room again.
    r.pending_scan();
}

#[test]
fn a_script_stopped_while_it_waits_is_not_called() {
    let mut r = rig();
    let id = r.start_scanning_script();
    r.call("Script.Stop", json!({"id": id}));
    r.settle();
    r.scan_ends(Ok(vec![network("home", 1, -50)]));
    assert!(r.log_lines("scan:").is_empty());
    // Started again, it scans again.
    r.call("Script.Start", json!({"id": id}));
    r.settle();
    assert_eq!(r.scans_started(), 2);
    r.scan_ends(Ok(vec![network("home", 1, -50)]));
    assert_eq!(r.log_lines("scan:"), [r#"scan: ["home"] undefined"#]);
}
