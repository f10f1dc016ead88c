//! The virtual device's persistence, with the real binary and `kill -9`: scripts, KVS and
//! config survive; `Script.PutCode` appends are atomic and durable once acknowledged; a script
//! that crashed the device is disabled at boot; `Shelly.Reboot` boots again.

use std::path::Path;

use serde_json::{json, Value as Json};

mod support;

use support::{frames, ConsoleDevice, TempDir, SOH};

type Device = ConsoleDevice;

/// A device on `data`, booted (its first log line printed).
fn start(data: &Path) -> Device {
    let d = ConsoleDevice::start(data, &[]);
    d.wait_text("heap free");
    d
}

/// A request that must succeed: its result.
fn rpc(d: &mut Device, id: u64, method: &str, params: Json) -> Json {
    let f = d.request(id, method, params);
    assert!(f.get("error").is_none(), "{method}: {f}");
    f["result"].clone()
}

/// The whole code of script `id` (`Script.GetCode` in chunks).
fn get_code(d: &mut Device, first_id: u64, id: u64) -> String {
    let mut code = String::new();
    let mut rid = first_id;
    loop {
        let r = rpc(
            d,
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
    let mut d = start(&data.0);
    let sid = rpc(&mut d, 1, "Script.Create", json!({"name": "boot"}))["id"]
        .as_u64()
        .unwrap();
    let code = "print('booted ' + (40 + 2));";
    rpc(
        &mut d,
        2,
        "Script.PutCode",
        json!({"id": sid, "code": code}),
    );
    rpc(
        &mut d,
        3,
        "Script.SetConfig",
        json!({"id": sid, "config": {"enable": true}}),
    );
    rpc(
        &mut d,
        4,
        "KVS.Set",
        json!({"key": "colour", "value": "green"}),
    );
    rpc(
        &mut d,
        5,
        "Sys.SetConfig",
        json!({"config": {"device": {"name": "bench-1"}}}),
    );
    let mac = rpc(&mut d, 6, "Shelly.GetDeviceInfo", json!({}))["mac"].clone();
    // Not started in this run: the boot after the kill must start it.
    assert!(!d.output().contains("booted 42"));
    d.kill();

    let mut d = start(&data.0);
    d.wait_text(&format!("[script:{sid}] booted 42"));
    assert_eq!(
        rpc(&mut d, 1, "Script.GetStatus", json!({"id": sid}))["running"],
        true
    );
    assert_eq!(get_code(&mut d, 2, sid), code);
    assert_eq!(
        rpc(&mut d, 10, "KVS.Get", json!({"key": "colour"}))["value"],
        "green"
    );
    assert_eq!(
        rpc(&mut d, 11, "Sys.GetConfig", json!({}))["device"]["name"],
        "bench-1"
    );
    // The MAC (the device id) is the same across boots of one data directory.
    assert_eq!(
        rpc(&mut d, 12, "Shelly.GetDeviceInfo", json!({}))["mac"],
        mac
    );
}

#[test]
fn kill_9_during_put_code_appends_keeps_exactly_acknowledged_chunks() {
    let data = TempDir::new("append");
    let mut d = start(&data.0);
    let sid = rpc(&mut d, 1, "Script.Create", json!({}))["id"]
        .as_u64()
        .unwrap();
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

    let mut d = start(&data.0);
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
    let mut d = start(&data.0);
    let sid = rpc(&mut d, 1, "Script.Create", json!({"name": "hog"}))["id"]
        .as_u64()
        .unwrap();
    rpc(
        &mut d,
        2,
        "Script.PutCode",
        json!({"id": sid, "code": "print('hog ran');"}),
    );
    rpc(
        &mut d,
        3,
        "Script.SetConfig",
        json!({"id": sid, "config": {"enable": true}}),
    );
    d.kill();
    // As if the device died while the script ran.
    std::fs::write(data.0.join("crash-marker"), format!("run:{sid}")).unwrap();

    let mut d = start(&data.0);
    d.wait_text(&format!(
        "script:{sid} crashed the device; it was disabled at boot"
    ));
    let st = rpc(&mut d, 1, "Script.GetStatus", json!({"id": sid}));
    assert_eq!(st["running"], false, "{st}");
    assert_eq!(st["errors"], json!(["crashed"]), "{st}");
    assert_eq!(
        rpc(&mut d, 2, "Script.GetConfig", json!({"id": sid}))["enable"],
        false
    );
    assert!(!d.output().contains("hog ran"));
    d.kill();

    // The marker was cleared at that boot: the next boot is normal (the script stays off).
    let marker = std::fs::read_to_string(data.0.join("crash-marker")).unwrap();
    assert!(!marker.trim().starts_with("run:1"), "{marker:?}");
    let mut d = start(&data.0);
    assert_eq!(
        rpc(&mut d, 1, "Script.GetStatus", json!({"id": sid}))["errors"],
        json!(["crashed"])
    );
    assert!(!d.output().contains("crashed the device; it was disabled"));
}

#[test]
fn reboot_restarts_the_runtime() {
    let data = TempDir::new("reboot");
    let mut d = start(&data.0);
    let sid = rpc(&mut d, 1, "Script.Create", json!({}))["id"]
        .as_u64()
        .unwrap();
    rpc(
        &mut d,
        2,
        "Script.PutCode",
        json!({"id": sid, "code": "print('up');"}),
    );
    rpc(
        &mut d,
        3,
        "Script.SetConfig",
        json!({"id": sid, "config": {"enable": true}}),
    );
    d.send(b"var kept = 'console ' + 'state'; kept\n");
    d.wait_text("console state");
    rpc(&mut d, 4, "Shelly.Reboot", json!({}));
    // A second banner, and the enabled script starts.
    d.wait("a second boot", |o| o.matches("heap free").count() == 2);
    d.wait_text(&format!("[script:{sid}] up"));
    // The console realm is fresh.
    d.send(b"typeof kept === 'undefined' ? 'fresh ' + 'realm' : 'old realm'\n");
    d.wait_text("fresh realm");
    assert_eq!(
        rpc(&mut d, 5, "Script.GetStatus", json!({"id": sid}))["running"],
        true
    );
}

#[test]
fn a_second_device_on_the_same_directory_refuses_to_start() {
    let data = TempDir::new("lock");
    let mut first = start(&data.0);
    let mut second = ConsoleDevice::start(&data.0, &[]);
    let t0 = std::time::Instant::now();
    let status = loop {
        if let Some(s) = second.child.try_wait().unwrap() {
            break s;
        }
        assert!(t0.elapsed() < support::TIMEOUT, "the second device runs");
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(2));
    // The stderr reader thread may still be copying.
    let t0 = std::time::Instant::now();
    while !second.errors().contains("in use by another ferrite device") {
        assert!(t0.elapsed() < support::TIMEOUT, "{}", second.errors());
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // The first one still works.
    let r = rpc(&mut first, 1, "Shelly.GetDeviceInfo", json!({}));
    assert!(r["id"].is_string(), "{r}");
}
