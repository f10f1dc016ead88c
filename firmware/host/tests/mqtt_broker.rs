//! The virtual device against a real MQTT broker (mosquitto): a script's subscription receives
//! what `mosquitto_pub` sends, what the script publishes reaches `mosquitto_sub`, and when the
//! broker is killed and started again the device reconnects and subscribes again.
//!
//! The device is set up through its data directory (the `mqtt` config and an enabled script are
//! there before it boots), so the test needs no console or HTTP transport. It is skipped, with
//! the reason printed, when mosquitto is not installed (`scripts/test.sh` installs it).

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

mod support;

use support::{find_tool, free_port, Proc};

fn start_broker(mosquitto: &Path, port: u16, log: &Path) -> Proc {
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let child = Command::new(mosquitto)
        .args(["-p", &port.to_string(), "-v"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start mosquitto");
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "mosquitto did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Proc(child)
}

/// `mosquitto_sub -v` on `filter`: its output lines (`topic payload`) arrive on the receiver.
fn start_sub(tool: &Path, port: u16, filter: &str) -> (Proc, Receiver<String>) {
    let mut child = Command::new(tool)
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-v",
            "-t",
            filter,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mosquitto_sub");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (Proc(child), rx)
}

fn publish(tool: &Path, port: u16, topic: &str, message: &str) {
    let st = Command::new(tool)
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            topic,
            "-m",
            message,
        ])
        .status()
        .expect("run mosquitto_pub");
    assert!(st.success(), "mosquitto_pub failed");
}

/// Wait for a line equal to `want`; returns the lines seen before it. Panics (with what was
/// seen and the logs) after `secs` seconds.
fn expect_line(rx: &Receiver<String>, want: &str, secs: u64, logs: &[&Path]) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line == want => return seen,
            Ok(line) => seen.push(line),
            Err(_) => {
                let mut msg = format!("did not see {want:?} within {secs} s; saw {seen:?}");
                for l in logs {
                    msg.push_str(&format!(
                        "\n--- {}\n{}",
                        l.display(),
                        fs::read_to_string(l).unwrap_or_default()
                    ));
                }
                panic!("{msg}");
            }
        }
    }
}

const SCRIPT: &str = r#"
let ups = 0;
let downs = 0;
MQTT.subscribe("ferrite/test/in", function (topic, message, ud) {
  MQTT.publish("ferrite/test/out", ud + message + " on " + topic, 1);
}, "echo:");
MQTT.setConnectHandler(function () {
  ups++;
  // Subscribed while connected (the filter above was subscribed before the connection).
  MQTT.subscribe("ferrite/test/late", function (topic, message) {
    MQTT.publish("ferrite/test/out", "late:" + message);
  });
  MQTT.publish("ferrite/test/up", "connected " + ups + " after " + downs + " disconnects", 0, true);
});
MQTT.setDisconnectHandler(function () {
  downs++;
});
"#;

#[test]
fn device_script_talks_to_mosquitto_and_survives_a_broker_restart() {
    let tools = (
        find_tool("mosquitto"),
        find_tool("mosquitto_pub"),
        find_tool("mosquitto_sub"),
    );
    let (Some(mosquitto), Some(pub_tool), Some(sub_tool)) = tools else {
        support::skip_without_peer(
            "mosquitto, mosquitto_pub or mosquitto_sub not found \
             (apt-get install -y mosquitto mosquitto-clients; scripts/test.sh does)",
        );
        return;
    };
    let dir = std::env::temp_dir().join(format!("ferrite-mqtt-broker-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let data = dir.join("data");
    fs::create_dir_all(data.join("scripts")).unwrap();
    fs::create_dir_all(data.join("config")).unwrap();
    let broker_log = dir.join("mosquitto.log");
    let device_log = dir.join("device.log");
    let logs = [broker_log.as_path(), device_log.as_path()];

    let port = free_port();
    let mut broker = start_broker(&mosquitto, port, &broker_log);
    fs::write(
        data.join("config/mqtt.json"),
        format!(
            r#"{{"enable": true, "server": "127.0.0.1:{port}", "client_id": "ferrite-test",
                "rpc_ntf": false, "status_ntf": false}}"#
        ),
    )
    .unwrap();
    fs::write(
        data.join("scripts/1.json"),
        r#"{"id": 1, "name": "mqtt", "enable": true}"#,
    )
    .unwrap();
    fs::write(data.join("scripts/1.js"), SCRIPT).unwrap();

    let (_sub, lines) = start_sub(&sub_tool, port, "ferrite/test/#");
    let out = fs::File::create(&device_log).unwrap();
    // The console reads stdin: it stays open (piped) for as long as the device runs.
    let _device = Proc(
        Command::new(env!("CARGO_BIN_EXE_ferrite"))
            .args(["device", "--data"])
            .arg(&data)
            .stdin(Stdio::piped())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("start ferrite device"),
    );

    // Connect: the script's connect handler publishes (retained).
    expect_line(
        &lines,
        "ferrite/test/up connected 1 after 0 disconnects",
        15,
        &logs,
    );
    // Subscribe: a message from mosquitto_pub reaches the script's callback, whose publish
    // reaches mosquitto_sub.
    publish(&pub_tool, port, "ferrite/test/in", "hello");
    expect_line(
        &lines,
        "ferrite/test/out echo:hello on ferrite/test/in",
        10,
        &logs,
    );

    publish(&pub_tool, port, "ferrite/test/late", "x");
    expect_line(&lines, "ferrite/test/out late:x", 10, &logs);

    // The broker goes away and comes back (without retained messages: no persistence).
    let _ = broker.0.kill();
    let _ = broker.0.wait();
    std::thread::sleep(Duration::from_millis(300));
    broker = start_broker(&mosquitto, port, &broker_log);
    let (_sub2, lines2) = start_sub(&sub_tool, port, "ferrite/test/#");
    // Reconnect (backoff 1 s, 2 s, …) with the disconnect seen by the script.
    expect_line(
        &lines2,
        "ferrite/test/up connected 2 after 1 disconnects",
        20,
        &logs,
    );
    // Resubscribed after the reconnect.
    publish(&pub_tool, port, "ferrite/test/in", "again");
    expect_line(
        &lines2,
        "ferrite/test/out echo:again on ferrite/test/in",
        10,
        &logs,
    );
    publish(&pub_tool, port, "ferrite/test/late", "y");
    expect_line(&lines2, "ferrite/test/out late:y", 10, &logs);
    drop(broker);
    let _ = fs::remove_dir_all(&dir);
}
