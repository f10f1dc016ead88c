//! Golden scripts: each `tests/golden/<name>.js` runs as script 1 on a `SimBoard` with virtual
//! time; the device log must equal `<name>.out`. `UPDATE_GOLDEN=1` rewrites the `.out` files.
//!
//! Directives in the script's leading comments:
//! - `// run: <ms>` — virtual time to run (default 10000).
//! - `// at <ms>: <action>` — at that virtual time: `input <id> down|up`, `drive <pin> high|low|float`,
//!   `analog <pin> <raw>`, `rpc <Method> <json params>`, `mqtt <topic> <payload>`,
//!   `part <addr> <what> <value>`, `uart <port> <text>`, `ble <addr> <rssi> <hex adv> [<hex rsp>]`,
//!   `wifi in-range|out-of-range` (the simulated access points), `stop`, `start`.
//! - `// limits: <field>=<n>,…` — change limits (`turn_fuel`, `timers`, `script_heap` …).
//! - `// wifi` — the board has the simulator's Wi-Fi station (`sim::wifi`; without it, none).

use std::path::Path;

use ferrite_runtime::board::BoardEvent;
use ferrite_runtime::json::Json;
use ferrite_runtime::log::Level;
use ferrite_runtime::rpc::{Origin, RpcReply};
use ferrite_runtime::sim::mqtt_loopback::LoopbackMqtt;
use ferrite_runtime::sim::wifi::{SimWifi, SimWifiHandle};
use ferrite_runtime::sim::{MemStorage, SimBoard, SimHandle, SimSystem, VirtualClock};
use ferrite_runtime::{Limits, Runtime, RuntimeConfig};

struct Harness {
    rt: Runtime,
    clock: VirtualClock,
    sim: SimHandle,
    wifi: Option<SimWifiHandle>,
    out: String,
    log_seq: u64,
}

fn rpc(rt: &mut Runtime, method: &str, params: Json) -> Result<Json, String> {
    match rt.rpc(method, params, Origin::Transport) {
        RpcReply::Done(r) => r.map_err(|e| e.to_string()),
        RpcReply::Pending(t) => Err(format!("pending {t}")),
    }
}

impl Harness {
    fn new(limits: Limits, with_wifi: bool) -> Harness {
        let clock = VirtualClock::new(Some(1_700_000_000_000.0));
        // MQTT goldens: an in-memory broker that echoes the device's publishes.
        let mut net = LoopbackMqtt::new();
        let mut wifi = None;
        if with_wifi {
            let station = SimWifi::new();
            wifi = Some(station.handle());
            net = net.with_inner(Box::new(station));
        }
        let board = SimBoard::new(
            Box::new(clock.clone()),
            Box::new(MemStorage::new(1 << 20)),
            Box::new(SimSystem::new(42, [0xAA, 0xBB, 0xCC, 0x00, 0x11, 0x22])),
        )
        .with_standard_parts()
        .with_net(Box::new(net));
        let sim = board.handle();
        let mut rt = Runtime::new(
            Box::new(board),
            RuntimeConfig {
                limits,
                gc_stress: std::env::var("FERRITE_GC_STRESS").is_ok(),
                ..Default::default()
            },
        );
        rt.boot();
        Harness {
            rt,
            clock,
            sim,
            wifi,
            out: String::new(),
            log_seq: 0,
        }
    }

    fn collect_log(&mut self) {
        let dev = self.rt.device();
        let d = dev.borrow();
        for l in d.log.since(self.log_seq) {
            let mark = match l.level {
                Level::Error => "! ",
                Level::Warn => "? ",
                Level::Info => "= ",
                Level::Script => "",
            };
            self.out
                .push_str(&format!("[{:>6}] {mark}{}\n", l.ts_ms, l.text));
        }
        self.log_seq = d.log.next_seq();
    }

    /// Run the loop until virtual time `until`, jumping from deadline to deadline.
    fn run_until(&mut self, until: u64) {
        loop {
            let mut spins = 0;
            let p = loop {
                let p = self.rt.poll();
                self.collect_log();
                spins += 1;
                if !p.busy || spins > 100_000 {
                    break p;
                }
            };
            let now = self.rt.device().borrow().now_ms();
            let next = p.next_deadline_ms.unwrap_or(until).max(now + 1).min(until);
            if now >= until {
                break;
            }
            self.clock.set(next);
        }
    }

    fn action(&mut self, a: &str) {
        let words: Vec<&str> = a.splitn(3, ' ').collect();
        match words[0] {
            "input" => {
                let id = words[1].parse().unwrap();
                self.sim.inject(BoardEvent::InputLevel {
                    id,
                    level: words[2] == "down",
                });
            }
            "drive" => {
                let pin = words[1].parse().unwrap();
                let level = match words[2] {
                    "high" => Some(true),
                    "low" => Some(false),
                    _ => None,
                };
                self.sim.drive(pin, level).unwrap();
            }
            "analog" => {
                self.sim
                    .set_analog(words[1].parse().unwrap(), words[2].parse().unwrap())
                    .unwrap();
            }
            "rpc" => {
                let params: Json = serde_json::from_str(words.get(2).unwrap_or(&"{}")).unwrap();
                let r = rpc(&mut self.rt, words[1], params);
                let line = match r {
                    Ok(j) => format!("rpc {} -> {}\n", words[1], j),
                    Err(e) => format!("rpc {} -> error {}\n", words[1], e),
                };
                self.out.push_str(&line);
            }
            "mqtt" => self.sim.inject(BoardEvent::MqttMessage {
                topic: words[1].into(),
                payload: words.get(2).unwrap_or(&"").as_bytes().to_vec(),
            }),
            "part" => {
                let rest: Vec<&str> = words[2].split(' ').collect();
                let addr = u8::from_str_radix(words[1].trim_start_matches("0x"), 16).unwrap();
                assert!(self
                    .sim
                    .set_part(0, addr, rest[0], rest[1].parse().unwrap()));
            }
            "uart" => {
                let port = words[1].parse().unwrap();
                self.sim
                    .uart_feed(port, words.get(2).unwrap_or(&"").as_bytes());
            }
            "ble" => {
                // `ble <addr> <rssi> <hex adv data> [<hex scan response>]`
                let rest: Vec<&str> = words[2].split(' ').collect();
                let hex = |s: &str| -> Vec<u8> {
                    (0..s.len() / 2)
                        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
                        .collect()
                };
                self.sim.inject(BoardEvent::BleAdvertisement {
                    addr: words[1].into(),
                    addr_type: 1,
                    rssi: rest[0].parse().unwrap(),
                    adv_data: hex(rest[1]),
                    scan_rsp: rest.get(2).map_or(Vec::new(), |s| hex(s)),
                });
            }
            "wifi" => {
                let wifi = self
                    .wifi
                    .as_ref()
                    .expect("`// wifi` gives the board its station");
                wifi.0.borrow_mut().set_in_range(words[1] == "in-range");
            }
            "stop" => {
                let r = rpc(&mut self.rt, "Script.Stop", serde_json::json!({"id": 1}));
                self.out.push_str(&format!("stop -> {r:?}\n"));
            }
            "start" => {
                let r = rpc(&mut self.rt, "Script.Start", serde_json::json!({"id": 1}));
                self.out.push_str(&format!("start -> {r:?}\n"));
            }
            other => panic!("unknown action {other}"),
        }
    }
}

fn apply_limits(limits: &mut Limits, spec: &str) {
    for kv in spec.split(',') {
        let (k, v) = kv.trim().split_once('=').expect("limit=value");
        let n: u64 = v.trim().parse().expect("number");
        match k.trim() {
            "turn_fuel" => limits.turn_fuel = n,
            "slice_fuel" => limits.slice_fuel = n,
            "timers" => limits.timers = n as usize,
            "script_heap" => limits.script_heap = n as usize,
            "script_bytes" => limits.script_bytes = n as usize,
            "job_queue" => limits.job_queue = n as usize,
            other => panic!("unknown limit {other}"),
        }
    }
}

fn run_golden(path: &Path) -> String {
    let source = std::fs::read_to_string(path).unwrap();
    let mut run_ms = 10_000u64;
    let mut actions: Vec<(u64, String)> = Vec::new();
    let mut limits = Limits::default();
    let mut with_wifi = false;
    for line in source.lines() {
        let Some(c) = line.strip_prefix("// ") else {
            break;
        };
        if let Some(v) = c.strip_prefix("run: ") {
            run_ms = v.trim().parse().unwrap();
        } else if let Some(v) = c.strip_prefix("limits: ") {
            apply_limits(&mut limits, v);
        } else if c.trim() == "wifi" {
            with_wifi = true;
        } else if let Some(v) = c.strip_prefix("at ") {
            let (t, a) = v.split_once(": ").expect("// at <ms>: <action>");
            actions.push((t.trim().parse().unwrap(), a.trim().into()));
        }
    }
    actions.sort_by_key(|a| a.0);
    let mut h = Harness::new(limits, with_wifi);
    let id = rpc(
        &mut h.rt,
        "Script.Create",
        serde_json::json!({"name": "golden"}),
    )
    .unwrap();
    assert_eq!(id["id"], 1);
    let r = rpc(
        &mut h.rt,
        "Script.PutCode",
        serde_json::json!({"id": 1, "code": source}),
    );
    if let Err(e) = r {
        h.out.push_str(&format!("PutCode -> {e}\n"));
    }
    h.action("start");
    for (t, a) in actions {
        h.run_until(t);
        h.action(&a);
    }
    h.run_until(run_ms);
    let st = rpc(&mut h.rt, "Script.GetStatus", serde_json::json!({"id": 1})).unwrap();
    h.out.push_str(&format!(
        "status: running={} errors={}\n",
        st["running"],
        st.get("errors").cloned().unwrap_or(Json::Null)
    ));
    h.out
}

#[test]
fn golden_scripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var("UPDATE_GOLDEN").is_ok();
    let filter = std::env::var("GOLDEN").ok();
    let mut failures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "js"))
        .collect();
    entries.sort();
    assert!(!entries.is_empty());
    for path in entries {
        if let Some(f) = &filter {
            if !path.to_string_lossy().contains(f.as_str()) {
                continue;
            }
        }
        let got = run_golden(&path);
        let out = path.with_extension("out");
        if update {
            std::fs::write(&out, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&out).unwrap_or_default();
        if got != want {
            failures.push(format!(
                "{}:\n--- want\n{want}--- got\n{got}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
