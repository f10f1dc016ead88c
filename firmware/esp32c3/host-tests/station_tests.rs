//! The Wi-Fi station's decisions (`src/board/station.rs`) over a scripted radio: each operation
//! holds the radio from its first poll as esp-radio's controller is held (a `RefCell`, so an
//! operation started beside another or beside the disconnect watch panics here as it would on
//! the chip), and ends when the test says so.

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;

use ferrite_runtime::board::{BoardEvent, Wifi, WifiNetwork, WifiSecurity};

use crate::station::*;

/// What the radio was asked and what it will answer.
#[derive(Default)]
struct Script {
    /// Operations started, in order: `configure <ssid>`, `connect`, `disconnect`, `scan`, with
    /// the time the station was polled at.
    log: Vec<(u64, String)>,
    now: u64,
    /// The pending connect ends with this once set.
    join: Option<Result<(), String>>,
    /// Every connect fails with this (at its first poll).
    join_fails: Option<String>,
    /// `configure` refuses with this.
    refuse: Option<String>,
    /// The pending scan ends with this once set.
    scan: Option<Result<Vec<WifiNetwork>, String>>,
    /// A disconnect ends at once unless this is set.
    disconnect_hangs: bool,
    /// The station is joined (what `is_connected` and the watch see).
    connected: bool,
    /// The watch ends with this reason once set.
    dropped: Option<String>,
}

#[derive(Clone, Default)]
struct ScriptedRadio {
    script: Rc<RefCell<Script>>,
    /// The controller: operations borrow it mutably, the watch shared.
    controller: Rc<RefCell<()>>,
}

impl ScriptedRadio {
    fn note(&self, what: &str) {
        let mut s = self.script.borrow_mut();
        let now = s.now;
        s.log.push((now, what.into()));
    }
}

// The scripted operations hold the radio across their waits, as esp-radio's do.
#[allow(clippy::await_holding_refcell_ref)]
impl Radio for ScriptedRadio {
    fn configure(&self, ssid: &str, _pass: &str) -> Result<(), ConfigureError> {
        let _radio = self
            .controller
            .try_borrow_mut()
            .map_err(|_| ConfigureError::Busy)?;
        if let Some(why) = self.script.borrow().refuse.clone() {
            return Err(ConfigureError::Refused(why));
        }
        self.note(&format!("configure {ssid}"));
        Ok(())
    }

    fn connect(&self) -> Op<Result<(), String>> {
        self.note("connect");
        let (script, controller) = (self.script.clone(), self.controller.clone());
        Box::pin(async move {
            let _radio = controller.borrow_mut();
            let result = poll_fn(|_| {
                let mut s = script.borrow_mut();
                match (s.join.take(), &s.join_fails) {
                    (Some(r), _) => Poll::Ready(r),
                    (None, Some(why)) => Poll::Ready(Err(why.clone())),
                    (None, None) => Poll::Pending,
                }
            })
            .await;
            script.borrow_mut().connected = result.is_ok();
            result
        })
    }

    fn disconnect(&self) -> Op<()> {
        self.note("disconnect");
        let (script, controller) = (self.script.clone(), self.controller.clone());
        Box::pin(async move {
            let _radio = controller.borrow_mut();
            poll_fn(|_| {
                if script.borrow().disconnect_hangs {
                    Poll::Pending
                } else {
                    Poll::Ready(())
                }
            })
            .await;
            script.borrow_mut().connected = false;
        })
    }

    fn scan(&self) -> Op<Result<Vec<WifiNetwork>, String>> {
        self.note("scan");
        let (script, controller) = (self.script.clone(), self.controller.clone());
        Box::pin(async move {
            let _radio = controller.borrow_mut();
            poll_fn(|_| match script.borrow_mut().scan.take() {
                Some(r) => Poll::Ready(r),
                None => Poll::Pending,
            })
            .await
        })
    }

    fn watch_disconnect(&self) -> Op<Option<String>> {
        let (script, controller) = (self.script.clone(), self.controller.clone());
        Box::pin(async move {
            let _radio = controller.borrow();
            if !script.borrow().connected {
                return None;
            }
            poll_fn(|_| match script.borrow_mut().dropped.take() {
                Some(why) => Poll::Ready(Some(why)),
                None => Poll::Pending,
            })
            .await
        })
    }

    fn is_connected(&self) -> Option<bool> {
        let _radio = self.controller.try_borrow().ok()?;
        Some(self.script.borrow().connected)
    }

    fn rssi(&self) -> i32 {
        -55
    }
}

struct Rig {
    station: Station<ScriptedRadio>,
    radio: ScriptedRadio,
    link: SharedLink,
    now: u64,
}

impl Rig {
    fn new() -> Rig {
        let radio = ScriptedRadio::default();
        let link = SharedLink::default();
        Rig {
            station: Station::new(radio.clone(), link.clone()),
            radio,
            link,
            now: 0,
        }
    }

    /// Poll every 100 ms until `ms` later.
    fn run(&mut self, ms: u64) {
        let end = self.now + ms;
        while self.now < end {
            self.now = (self.now + 100).min(end);
            self.radio.script.borrow_mut().now = self.now;
            self.station.poll(self.now);
        }
    }

    fn script(&self) -> std::cell::RefMut<'_, Script> {
        self.radio.script.borrow_mut()
    }

    /// The operations the radio was asked for, without their times.
    fn asked(&self) -> Vec<String> {
        self.radio
            .script
            .borrow()
            .log
            .iter()
            .map(|(_, what)| what.clone())
            .collect()
    }

    /// When each `what` started.
    fn times_of(&self, what: &str) -> Vec<u64> {
        let s = self.radio.script.borrow();
        s.log
            .iter()
            .filter(|(_, w)| w == what)
            .map(|(t, _)| *t)
            .collect()
    }

    fn state(&self) -> &'static str {
        self.station.status().state()
    }

    fn error(&self) -> Option<String> {
        self.station.status().error
    }

    /// Join "home" and get an address.
    fn joined(&mut self) {
        self.station.connect("home", "secret12").unwrap();
        self.run(100);
        self.script().join = Some(Ok(()));
        self.run(100);
        self.link.borrow_mut().ip = Some([192, 168, 1, 20]);
        assert_eq!(self.state(), "got ip");
    }
}

fn network(ssid: &str) -> WifiNetwork {
    WifiNetwork {
        ssid: ssid.into(),
        bssid: [2, 0, 0, 0, 0, 1],
        channel: 6,
        rssi: -50,
        security: WifiSecurity::Wpa2,
    }
}

#[test]
fn the_wanted_network_is_joined_and_the_status_says_how_far() {
    let mut r = Rig::new();
    assert_eq!(r.state(), "disconnected");
    r.station.connect("home", "secret12").unwrap();
    assert_eq!(r.state(), "connecting");
    r.run(100);
    assert_eq!(r.asked(), ["disconnect", "configure home", "connect"]);
    r.script().join = Some(Ok(()));
    r.run(1_000);
    assert_eq!(r.state(), "connected", "joined, no address yet");
    assert_eq!(r.station.status().ssid.as_deref(), Some("home"));
    assert_eq!(r.station.status().rssi, -55);
    r.link.borrow_mut().ip = Some([192, 168, 1, 20]);
    let status = r.station.status();
    assert_eq!(status.state(), "got ip");
    assert_eq!(status.ip.as_deref(), Some("192.168.1.20"));
    // The same network again changes nothing.
    r.station.connect("home", "secret12").unwrap();
    r.run(1_000);
    assert_eq!(r.asked().len(), 3);
}

#[test]
fn credentials_no_network_could_take_are_refused() {
    let mut r = Rig::new();
    assert!(r.station.connect("", "secret12").is_err());
    assert!(r.station.connect(&"x".repeat(33), "").is_err());
    assert!(r.station.connect("home", "short").is_err());
    assert!(
        r.station.connect("home", &"ab".repeat(32)).is_ok(),
        "64 hex digits"
    );
    assert!(r.station.connect("cafe", "").is_ok(), "open");
}

#[test]
fn a_failed_join_says_why_and_is_retried_with_a_growing_back_off() {
    let mut r = Rig::new();
    r.script().join_fails = Some("wrong password? (FourWayHandshakeTimeout)".into());
    r.station.connect("home", "secret12").unwrap();
    r.run(200_000);
    assert_eq!(
        r.error().as_deref(),
        Some("cannot join \"home\": wrong password? (FourWayHandshakeTimeout)")
    );
    assert_eq!(r.state(), "connecting");
    let starts = r.times_of("connect");
    let gaps: Vec<u64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    // Each failure comes at the connect's first poll, 100 ms on; the retry waits the back-off.
    let waits: Vec<u64> = gaps.iter().map(|g| g - 100).collect();
    assert_eq!(waits[..5], [1_000, 2_000, 4_000, 8_000, 16_000]);
    assert!(waits[5..].iter().all(|w| *w == MAX_BACKOFF_MS), "{waits:?}");
}

#[test]
fn the_back_off_starts_again_only_after_a_link_that_lasted() {
    let mut r = Rig::new();
    r.station.connect("home", "secret12").unwrap();
    // Two failures: the back-off is at 4 s.
    for _ in 0..2 {
        r.run(100);
        r.script().join = Some(Err("NoAccessPointFound".into()));
        r.run(5_000);
    }
    r.script().join = Some(Ok(()));
    r.run(100);
    assert_eq!(r.state(), "connected");
    // Dropped after 5 s: the next try waits the grown back-off.
    r.run(5_000);
    r.script().connected = false;
    r.script().dropped = Some("the access point ended the link (AssociationLeave)".into());
    r.run(100);
    let dropped_at = r.now;
    r.run(10_000);
    let retry = *r.times_of("connect").last().unwrap();
    assert_eq!(retry - dropped_at, 4_000);
    // Joined for 30 s: the next drop is retried after 1 s.
    r.script().join = Some(Ok(()));
    r.run(STABLE_LINK_MS + 1_000);
    r.script().connected = false;
    r.script().dropped = Some("the access point went silent (BeaconTimeout)".into());
    r.run(100);
    let dropped_at = r.now;
    r.run(3_000);
    let retry = *r.times_of("connect").last().unwrap();
    assert_eq!(retry - dropped_at, FIRST_BACKOFF_MS);
}

#[test]
fn a_lost_link_says_why_and_a_drop_the_check_finds_says_so() {
    let mut r = Rig::new();
    r.joined();
    r.script().connected = false;
    r.script().dropped = Some("the access point went silent (BeaconTimeout)".into());
    r.run(100);
    assert_eq!(r.state(), "connecting");
    assert_eq!(
        r.error().as_deref(),
        Some("lost \"home\": the access point went silent (BeaconTimeout)")
    );
    assert_eq!(r.link.borrow().ip, None, "the address goes with the link");
    // Joined again; this time the driver's event is missed (it came while a scan held the
    // radio): the watch made after the scan ends at once without a reason, and the link is
    // checked in that same round.
    r.script().join = Some(Ok(()));
    r.run(2_000);
    assert_eq!(r.state(), "connected");
    r.station.start_scan().unwrap();
    r.run(100);
    r.script().connected = false;
    r.script().scan = Some(Ok(Vec::new()));
    r.run(100);
    assert_eq!(r.state(), "connecting", "found in the round the scan ended");
    assert_eq!(
        r.error().as_deref(),
        Some("lost \"home\": the access point dropped the link")
    );
}

#[test]
fn a_join_that_gets_no_answer_is_aborted_and_tried_again() {
    let mut r = Rig::new();
    r.station.connect("home", "secret12").unwrap();
    r.run(Kind::Connect.limit_ms() + 200);
    assert_eq!(
        r.error().as_deref(),
        Some("cannot join \"home\": no answer from the access point in 30 s")
    );
    assert_eq!(
        r.asked(),
        ["disconnect", "configure home", "connect", "disconnect"]
    );
    r.run(2_000);
    assert_eq!(r.times_of("connect").len(), 2, "{:?}", r.asked());
    // A connect whose event was lost while the station did join keeps the link.
    r.script().connected = true;
    r.run(Kind::Connect.limit_ms() + 200);
    assert_eq!(r.state(), "connected");
    assert_eq!(r.times_of("disconnect").len(), 2);
}

#[test]
fn a_scan_waits_for_the_join_in_flight_and_the_next_join_waits_for_the_scan() {
    let mut r = Rig::new();
    r.station.connect("home", "secret12").unwrap();
    r.run(100);
    r.station.start_scan().unwrap();
    r.run(5_000);
    assert!(r.times_of("scan").is_empty(), "never during a join");
    r.script().join = Some(Err("no such network in range (NoAccessPointFound)".into()));
    r.run(100);
    let failed_at = r.now;
    r.run(100);
    assert_eq!(r.times_of("scan"), [failed_at], "at once, before the retry");
    // The retry was due after 1 s: it waits for the scan.
    r.run(3_000);
    assert_eq!(r.times_of("connect").len(), 1);
    assert_eq!(r.station.take_event(), None);
    r.script().scan = Some(Ok(vec![network("home")]));
    r.run(100);
    assert_eq!(
        r.station.take_event(),
        Some(BoardEvent::WifiScanDone {
            result: Ok(vec![network("home")])
        })
    );
    assert_eq!(r.station.take_event(), None, "once");
    r.run(100);
    assert_eq!(r.times_of("connect").len(), 2, "{:?}", r.asked());
}

#[test]
fn a_scan_while_joined_answers_every_start_made_meanwhile_once() {
    let mut r = Rig::new();
    r.joined();
    r.station.start_scan().unwrap();
    r.run(100);
    r.station.start_scan().unwrap();
    r.run(1_000);
    r.script().scan = Some(Ok(vec![network("home"), network("cafe")]));
    r.run(100);
    assert!(matches!(
        r.station.take_event(),
        Some(BoardEvent::WifiScanDone { result: Ok(n) }) if n.len() == 2
    ));
    r.run(2_000);
    assert_eq!(
        r.times_of("scan").len(),
        1,
        "the second start joined the first"
    );
    assert_eq!(r.station.take_event(), None);
    assert_eq!(r.state(), "got ip", "the link stays");
}

#[test]
fn a_new_network_during_a_scan_waits_for_its_end() {
    let mut r = Rig::new();
    r.station.start_scan().unwrap();
    r.run(100);
    assert_eq!(r.asked(), ["scan"]);
    r.station.connect("office", "secret12").unwrap();
    r.run(3_000);
    assert_eq!(r.asked(), ["scan"], "the scan runs to its end first");
    r.script().scan = Some(Ok(Vec::new()));
    r.run(200);
    assert_eq!(
        r.asked(),
        ["scan", "disconnect", "configure office", "connect"]
    );
    assert!(r.station.take_event().is_some());
}

#[test]
fn after_a_scan_that_timed_out_nothing_starts_for_a_second() {
    let mut r = Rig::new();
    r.station.start_scan().unwrap();
    r.run(100);
    r.station.connect("office", "secret12").unwrap();
    r.run(Kind::Scan.limit_ms());
    let Some(BoardEvent::WifiScanDone { result: Err(why) }) = r.station.take_event() else {
        panic!("the scan's end");
    };
    assert_eq!(why, "the radio did not finish the scan in 15 s");
    let timed_out_at = r.now;
    r.run(2_000);
    let disconnect = r.times_of("disconnect")[0];
    assert_eq!(disconnect, timed_out_at, "the change waited for the scan");
    let connect = r.times_of("connect")[0];
    assert_eq!(connect, timed_out_at + AFTER_TIMEOUT_MS);
}

#[test]
fn disabling_leaves_the_network_and_forgets_why_it_was_not_joined() {
    let mut r = Rig::new();
    r.station.connect("home", "secret12").unwrap();
    r.run(100);
    r.script().join = Some(Err("wrong password? (AuthenticationFailed)".into()));
    r.run(100);
    assert!(r.error().is_some());
    r.station.disconnect();
    r.run(60_000);
    assert_eq!(r.state(), "disconnected");
    assert_eq!(r.error(), None);
    assert_eq!(r.times_of("connect").len(), 1, "no retry once disabled");
}

#[test]
fn a_scan_asked_for_during_a_disconnect_comes_before_the_join_that_follows() {
    let mut r = Rig::new();
    r.joined();
    r.script().disconnect_hangs = true;
    r.station.connect("office", "secret12").unwrap();
    r.run(100);
    r.station.start_scan().unwrap();
    r.run(1_000);
    r.script().disconnect_hangs = false;
    r.run(100);
    let asked = r.asked();
    assert_eq!(
        asked[asked.len() - 2..],
        ["disconnect", "scan"],
        "the join due at once waits for the scan someone waits for"
    );
    r.script().scan = Some(Ok(Vec::new()));
    r.run(200);
    let asked = r.asked();
    assert_eq!(asked[asked.len() - 2..], ["configure office", "connect"]);
}

#[test]
fn a_new_network_during_a_join_abandons_it() {
    let mut r = Rig::new();
    r.station.connect("home", "secret12").unwrap();
    r.run(100);
    let changed_at = r.now;
    r.station.connect("office", "secret12").unwrap();
    r.run(2_100);
    assert_eq!(
        r.asked(),
        [
            "disconnect",
            "configure home",
            "connect",
            "disconnect",
            "configure office",
            "connect"
        ]
    );
    // The abandoned attempt's late event must not be taken for the next one's.
    assert_eq!(r.times_of("connect")[1], changed_at + AFTER_TIMEOUT_MS);
}

#[test]
fn a_change_during_a_disconnect_that_hangs_joins_a_second_after_it_times_out() {
    let mut r = Rig::new();
    r.joined();
    r.script().disconnect_hangs = true;
    let started = r.now;
    r.station.connect("office", "secret12").unwrap();
    r.run(100);
    // Changed again while the disconnect runs: it is not started twice.
    r.station.connect("cafe", "").unwrap();
    r.run(Kind::Disconnect.limit_ms() + 2_000);
    assert_eq!(
        r.times_of("disconnect").len(),
        2,
        "the first join's, then one"
    );
    let timed_out_at = started + Kind::Disconnect.limit_ms();
    assert_eq!(
        r.times_of("configure cafe"),
        [timed_out_at + AFTER_TIMEOUT_MS]
    );
    assert!(r.times_of("configure office").is_empty());
}

#[test]
fn a_configuration_the_radio_refuses_is_retried_with_the_back_off() {
    let mut r = Rig::new();
    r.script().refuse = Some("ESP_ERR_WIFI_SSID".into());
    r.station.connect("home", "secret12").unwrap();
    r.run(4_000);
    assert_eq!(
        r.error().as_deref(),
        Some("configuring the station for \"home\": ESP_ERR_WIFI_SSID")
    );
    assert!(r.times_of("connect").is_empty());
    r.script().refuse = None;
    r.run(4_000);
    assert_eq!(r.times_of("connect").len(), 1);
}

#[test]
fn a_failed_scan_is_its_one_event_and_the_link_stays() {
    let mut r = Rig::new();
    r.joined();
    r.station.start_scan().unwrap();
    r.run(100);
    r.script().scan = Some(Err("the radio could not scan: NotStarted".into()));
    r.run(100);
    assert_eq!(
        r.station.take_event(),
        Some(BoardEvent::WifiScanDone {
            result: Err("the radio could not scan: NotStarted".into())
        })
    );
    assert_eq!(r.station.take_event(), None);
    assert_eq!(r.state(), "got ip");
    assert_eq!(
        r.error(),
        None,
        "a scan's failure is not why the station is not joined"
    );
}
