//! The virtual device's persistence, with the real binary and `kill -9`: scripts, KVS and
//! config survive; `Script.PutCode` appends are atomic and durable once acknowledged; a script
//! that crashed the device is disabled at boot; `Shelly.Reboot` boots again.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

const SOH: char = '\u{1}';
const TIMEOUT: Duration = Duration::from_secs(20);

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let p = std::env::temp_dir().join(format!(
            "ferrite-persist-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn collect(mut r: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let b = buf.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        loop {
            match r.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => b.lock().unwrap().extend_from_slice(&chunk[..n]),
            }
        }
    });
    buf
}

/// `ferrite device` with the console on pipes.
struct Device {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
}

impl Device {
    fn start(data: &Path) -> Device {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferrite"))
            .arg("device")
            .arg("--data")
            .arg(data)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ferrite device");
        let out = collect(child.stdout.take().unwrap());
        let err = collect(child.stderr.take().unwrap());
        let d = Device {
            stdin: child.stdin.take(),
            child,
            out,
            err,
        };
        d.wait_text("heap free");
        d
    }

    /// `kill -9`.
    fn kill(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.output()
    }

    fn send(&mut self, bytes: &[u8]) {
        let s = self.stdin.as_mut().expect("stdin open");
        s.write_all(bytes).unwrap();
        s.flush().unwrap();
    }

    fn output(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let o = self.output();
            if pred(&o) {
                return o;
            }
            if t0.elapsed() > TIMEOUT {
                panic!(
                    "timed out waiting for {what}\n--- stdout:\n{o}\n--- stderr:\n{}",
                    String::from_utf8_lossy(&self.err.lock().unwrap())
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn wait_text(&self, text: &str) -> String {
        self.wait(text, |o| o.contains(text))
    }

    fn rpc(&mut self, id: u64, method: &str, params: Json) -> Json {
        let req = json!({"id": id, "method": method, "params": params});
        self.send(format!("{SOH}{req}\n").as_bytes());
        let what = format!("answer {id} to {method}");
        let o = self.wait(&what, |o| frames(o).iter().any(|f| f["id"] == json!(id)));
        let f = frames(&o)
            .into_iter()
            .find(|f| f["id"] == json!(id))
            .unwrap();
        assert!(f.get("error").is_none(), "{method}: {f}");
        f["result"].clone()
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn frames(out: &str) -> Vec<Json> {
    out.split('\n')
        .filter_map(|l| l.strip_prefix(SOH))
        .filter_map(|f| serde_json::from_str(f.trim_end_matches('\r')).ok())
        .collect()
}

/// The whole code of script `id` (`Script.GetCode` in chunks).
fn get_code(d: &mut Device, first_id: u64, id: u64) -> String {
    let mut code = String::new();
    let mut rid = first_id;
    loop {
        let r = d.rpc(
            rid,
            "Script.GetCode",
            json!({"id": id, "offset": code.len()}),
        );
        rid += 1;
        code.push_str(r["data"].as_str().unwrap());
        if r["left"] == 0 {
            return code;
        }
    }
}

#[test]
fn script_kvs_and_config_survive_kill_9() {
    let data = TempDir::new("survive");
    let mut d = Device::start(&data.0);
    let sid = d.rpc(1, "Script.Create", json!({"name": "boot"}))["id"]
        .as_u64()
        .unwrap();
    let code = "print('booted ' + (40 + 2));";
    d.rpc(2, "Script.PutCode", json!({"id": sid, "code": code}));
    d.rpc(
        3,
        "Script.SetConfig",
        json!({"id": sid, "config": {"enable": true}}),
    );
    d.rpc(4, "KVS.Set", json!({"key": "colour", "value": "green"}));
    d.rpc(
        5,
        "Sys.SetConfig",
        json!({"config": {"device": {"name": "bench-1"}}}),
    );
    let mac = d.rpc(6, "Shelly.GetDeviceInfo", json!({}))["mac"].clone();
    // Not started in this run: the boot after the kill must start it.
    assert!(!d.output().contains("booted 42"));
    d.kill();

    let mut d = Device::start(&data.0);
    d.wait_text(&format!("[script:{sid}] booted 42"));
    assert_eq!(
        d.rpc(1, "Script.GetStatus", json!({"id": sid}))["running"],
        true
    );
    assert_eq!(get_code(&mut d, 2, sid), code);
    assert_eq!(
        d.rpc(10, "KVS.Get", json!({"key": "colour"}))["value"],
        "green"
    );
    assert_eq!(
        d.rpc(11, "Sys.GetConfig", json!({}))["device"]["name"],
        "bench-1"
    );
    // The MAC (the device id) is the same across boots of one data directory.
    assert_eq!(d.rpc(12, "Shelly.GetDeviceInfo", json!({}))["mac"], mac);
}

#[test]
fn kill_9_during_put_code_appends_keeps_exactly_acknowledged_chunks() {
    let data = TempDir::new("append");
    let mut d = Device::start(&data.0);
    let sid = d.rpc(1, "Script.Create", json!({}))["id"].as_u64().unwrap();
    const N: usize = 600;
    let chunk = |i: usize| format!("/*{i:04}*/\n");
    // All requests at once (ids 1000..): the device works through them while we kill it.
    let mut batch = String::new();
    for i in 0..N {
        let req = json!({"id": 1000 + i, "method": "Script.PutCode",
                         "params": {"id": sid, "code": chunk(i), "append": true}});
        batch.push_str(&format!("{SOH}{req}\n"));
    }
    d.send(batch.as_bytes());
    // Kill once a good number of appends were acknowledged, in the middle of the rest.
    d.wait("40 acknowledged appends", |o| {
        frames(o)
            .iter()
            .filter(|f| f["id"].as_u64().is_some_and(|i| i >= 1000))
            .count()
            >= 40
    });
    let out = d.kill();
    let acked: Vec<u64> = frames(&out)
        .iter()
        .filter(|f| f["result"]["len"].is_u64())
        .filter_map(|f| f["id"].as_u64().filter(|i| *i >= 1000))
        .collect();
    // Acknowledged in order, without gaps.
    for (k, id) in acked.iter().enumerate() {
        assert_eq!(*id, 1000 + k as u64);
    }
    assert!(acked.len() < N, "the kill came too late to test anything");

    let mut d = Device::start(&data.0);
    let code = get_code(&mut d, 1, sid);
    let k = code.len() / chunk(0).len();
    eprintln!("acknowledged {}, survived {k} of {N}", acked.len());
    let expected: String = (0..k).map(chunk).collect();
    assert_eq!(
        code, expected,
        "the code is a whole number of chunks, in order"
    );
    assert!(
        k >= acked.len(),
        "{} appends were acknowledged but only {k} survived",
        acked.len()
    );
}

#[test]
fn a_script_that_crashed_the_device_is_disabled_at_boot() {
    let data = TempDir::new("crash");
    let mut d = Device::start(&data.0);
    let sid = d.rpc(1, "Script.Create", json!({"name": "hog"}))["id"]
        .as_u64()
        .unwrap();
    d.rpc(
        2,
        "Script.PutCode",
        json!({"id": sid, "code": "print('hog ran');"}),
    );
    d.rpc(
        3,
        "Script.SetConfig",
        json!({"id": sid, "config": {"enable": true}}),
    );
    d.kill();
    // As if the device died while the script ran.
    std::fs::write(data.0.join("crash-marker"), format!("run:{sid}")).unwrap();

    let mut d = Device::start(&data.0);
    d.wait_text(&format!(
        "script:{sid} crashed the device; it was disabled at boot"
    ));
    let st = d.rpc(1, "Script.GetStatus", json!({"id": sid}));
    assert_eq!(st["running"], false, "{st}");
    assert_eq!(st["errors"], json!(["crashed"]), "{st}");
    assert_eq!(
        d.rpc(2, "Script.GetConfig", json!({"id": sid}))["enable"],
        false
    );
    assert!(!d.output().contains("hog ran"));
    d.kill();

    // The marker was cleared at that boot: the next boot is normal (the script stays off).
    let marker = std::fs::read_to_string(data.0.join("crash-marker")).unwrap();
    assert!(!marker.trim().starts_with("run:1"), "{marker:?}");
    let mut d = Device::start(&data.0);
    assert_eq!(
        d.rpc(1, "Script.GetStatus", json!({"id": sid}))["errors"],
        json!(["crashed"])
    );
    assert!(!d.output().contains("crashed the device; it was disabled"));
}

#[test]
fn reboot_restarts_the_runtime() {
    let data = TempDir::new("reboot");
    let mut d = Device::start(&data.0);
    let sid = d.rpc(1, "Script.Create", json!({}))["id"].as_u64().unwrap();
    d.rpc(
        2,
        "Script.PutCode",
        json!({"id": sid, "code": "print('up');"}),
    );
    d.rpc(
        3,
        "Script.SetConfig",
        json!({"id": sid, "config": {"enable": true}}),
    );
    d.send(b"var kept = 'console ' + 'state'; kept\n");
    d.wait_text("console state");
    d.rpc(4, "Shelly.Reboot", json!({}));
    // A second banner, and the enabled script starts.
    d.wait("a second boot", |o| o.matches("heap free").count() == 2);
    d.wait_text(&format!("[script:{sid}] up"));
    // The console realm is fresh.
    d.send(b"typeof kept === 'undefined' ? 'fresh ' + 'realm' : 'old realm'\n");
    d.wait_text("fresh realm");
    assert_eq!(
        d.rpc(5, "Script.GetStatus", json!({"id": sid}))["running"],
        true
    );
}
