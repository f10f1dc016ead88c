//! `ferrite bridge` with real processes and sockets on loopback: the virtual device's console
//! (`--device`) reached over a WebSocket, control messages, takeover by a second client, the
//! device dying under the bridge, and a path that is not a serial port.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ferrite_protocols::websocket::Message;
use serde_json::{json, Value as Json};

mod support;

use support::ws::WsClient;
use support::{Proc, TempDir, SOH, TIMEOUT};

/// A running bridge: its process, its port, the device child's pid (with `--device`), and its
/// standard error as collected so far.
struct Bridge {
    proc: Proc,
    port: u16,
    device_pid: Option<i32>,
    serial: String,
    err: Arc<Mutex<String>>,
}

fn start_bridge(args: &[&str]) -> Bridge {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrite"))
        .arg("bridge")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ferrite bridge");
    let stderr = child.stderr.take().unwrap();
    let proc = Proc(child);
    let err = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let e = err.clone();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stderr);
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            e.lock().unwrap().push_str(&line);
            let _ = tx.send(line.clone());
            line.clear();
        }
    });
    let mut device_pid = None;
    let t0 = Instant::now();
    loop {
        let line = rx
            .recv_timeout(TIMEOUT.saturating_sub(t0.elapsed()))
            .unwrap_or_else(|_| panic!("the bridge did not start:\n{}", err.lock().unwrap()));
        if let Some(pid) = line.trim().strip_prefix("bridge: device pid ") {
            device_pid = pid.parse().ok();
        }
        // `bridge: ws://127.0.0.1:PORT (serial PATH)`
        if let Some(rest) = line.trim().strip_prefix("bridge: ws://127.0.0.1:") {
            let (port, serial) = rest.split_once(" (serial ").expect("the serial path");
            return Bridge {
                proc,
                port: port.parse().unwrap(),
                device_pid,
                serial: serial.trim_end_matches(')').to_string(),
                err,
            };
        }
    }
}

/// Console bytes from binary messages until a frame line with `id` arrives; the frame.
fn read_frame(ws: &mut WsClient, id: u64, console: &mut Vec<u8>) -> Json {
    let t0 = Instant::now();
    loop {
        let text = String::from_utf8_lossy(console).into_owned();
        for line in text.split('\n') {
            // On a raw line a frame follows `\r` + erase-line when a prompt was shown.
            if let Some(f) = line.rfind(SOH).map(|i| &line[i + 1..]) {
                if let Ok(j) = serde_json::from_str::<Json>(f.trim_end_matches('\r')) {
                    if j["id"] == json!(id) {
                        return j;
                    }
                }
            }
        }
        assert!(t0.elapsed() < TIMEOUT, "no answer {id}; console:\n{text}");
        match ws.recv() {
            Some(Message::Binary(b)) => console.extend_from_slice(&b),
            Some(_) => {}
            None => panic!("the bridge closed the connection; console:\n{text}"),
        }
    }
}

fn read_console_until(ws: &mut WsClient, console: &mut Vec<u8>, want: &str) {
    let t0 = Instant::now();
    while !String::from_utf8_lossy(console).contains(want) {
        assert!(
            t0.elapsed() < TIMEOUT,
            "no {want:?} on the console:\n{}",
            String::from_utf8_lossy(console)
        );
        if let Some(Message::Binary(b)) = ws.recv() {
            console.extend_from_slice(&b);
        }
    }
}

#[test]
fn bridge_to_the_virtual_device_console() {
    let data = TempDir::new("bridge");
    let mut bridge = start_bridge(&["--device", "--data", data.path().to_str().unwrap()]);
    assert!(bridge.serial.starts_with("/dev/pts/"), "{}", bridge.serial);
    let mut ws = WsClient::connect(bridge.port, "/");
    let open = ws.recv_json_until("the open event", |j| j["event"] == "open");
    assert_eq!(
        open,
        json!({"event": "open", "port": bridge.serial, "baud": 115200})
    );

    // A frame through the serial line, its answer back.
    let mut console = Vec::new();
    let req = json!({"id": 1, "src": "test", "method": "Shelly.GetDeviceInfo"});
    ws.send_binary(format!("{SOH}{req}\n").as_bytes());
    let answer = read_frame(&mut ws, 1, &mut console);
    assert!(
        answer["result"]["id"]
            .as_str()
            .is_some_and(|s| s.starts_with("ferrite-")),
        "{answer}"
    );
    assert_eq!(answer["dst"], "test");
    // The human REPL: typed text, Enter as CR.
    ws.send_binary(b"6*7\r");
    read_console_until(&mut ws, &mut console, "42");

    // Control: a PTY has no modem lines; its baud rate is accepted.
    ws.send_json(&json!({"dtr": true, "rts": false}));
    let set = ws.recv_json_until("the set answer", |j| j["event"] == "set");
    assert_eq!(set["ok"], false, "{set}");
    assert!(
        set["error"].as_str().unwrap().contains("pseudo-terminal"),
        "{set}"
    );
    ws.send_json(&json!({"baud": 9600}));
    let set = ws.recv_json_until("the set answer", |j| j["event"] == "set");
    assert_eq!(set, json!({"event": "set", "ok": true}));
    ws.send_json(&json!({"parity": "even"}));
    let set = ws.recv_json_until("the set answer", |j| j["event"] == "set");
    assert_eq!(set["ok"], false);
    ws.send_text("not json");
    let set = ws.recv_json_until("the set answer", |j| j["event"] == "set");
    assert_eq!(set["ok"], false);

    // A second client takes over: the first is closed with 4000.
    let mut second = WsClient::connect(bridge.port, "/other/path");
    let open = second.recv_json_until("the open event", |j| j["event"] == "open");
    assert_eq!(open["baud"], 9600, "the baud rate set before stays");
    let t0 = Instant::now();
    loop {
        assert!(
            t0.elapsed() < TIMEOUT,
            "no close frame for the first client"
        );
        match ws.recv() {
            Some(Message::Close(code, reason)) => {
                assert_eq!(code, Some(4000));
                assert_eq!(reason, "taken over by another client");
                break;
            }
            Some(_) => {}
            None => panic!("closed without a close frame"),
        }
    }
    // The new client works.
    let mut console = Vec::new();
    let req = json!({"id": 2, "method": "Sys.GetStatus"});
    second.send_binary(format!("{SOH}{req}\n").as_bytes());
    let answer = read_frame(&mut second, 2, &mut console);
    assert!(answer["result"].is_object(), "{answer}");

    // The device dies: the client hears `lost`, and the bridge exits with an error.
    let pid = bridge
        .device_pid
        .expect("the bridge printed the device pid");
    // SAFETY: kill(2) on the pid of the bridge's child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    let lost = second.recv_json_until("the lost event", |j| j["event"] == "lost");
    assert!(
        lost["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{lost}"
    );
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = bridge.proc.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            t0.elapsed() < TIMEOUT,
            "the bridge did not exit after its device died:\n{}",
            bridge.err.lock().unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(!status.success(), "{status}");
    assert!(
        bridge
            .err
            .lock()
            .unwrap()
            .contains("the device process exited"),
        "{}",
        bridge.err.lock().unwrap()
    );
}

#[test]
fn a_path_that_is_not_a_serial_port_is_reported_and_retried() {
    let dir = TempDir::new("bridge-file");
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let bridge = start_bridge(&[file.to_str().unwrap()]);
    let mut ws = WsClient::connect(bridge.port, "/");
    let lost = ws.recv_json_until("the lost event", |j| j["event"] == "lost");
    assert!(
        lost["reason"].as_str().unwrap().contains("not a terminal"),
        "{lost}"
    );
    ws.send_json(&json!({"baud": 9600}));
    let set = ws.recv_json_until("the set answer", |j| j["event"] == "set");
    assert_eq!(set["ok"], false);
    assert!(set["error"].as_str().unwrap().contains("not open"), "{set}");
    // A plain HTTP request is not a WebSocket.
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", bridge.port)).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    assert!(resp.starts_with("HTTP/1.1 426 "), "{resp}");
}

#[test]
fn bridge_usage_errors() {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrite"))
        .args(["bridge"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--device"));
}
