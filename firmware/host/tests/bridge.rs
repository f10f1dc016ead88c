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

#[test]
fn browser_pages_need_a_loopback_or_allowed_origin() {
    let dir = TempDir::new("bridge-origin");
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let bridge = start_bridge(&[
        "--allow-origin",
        "http://ide.example:8080",
        file.to_str().unwrap(),
    ]);
    let refused = |headers: &[(&str, &str)]| match WsClient::connect_with(bridge.port, "/", headers)
    {
        Ok(_) => panic!("{headers:?} was let in"),
        Err(head) => head,
    };
    // Any web page could open ws://127.0.0.1:8765: a foreign origin is refused.
    let head = refused(&[("Origin", "http://evil.example")]);
    assert!(head.starts_with("HTTP/1.1 403 "), "{head}");
    assert!(head.contains("--allow-origin"), "{head}");
    refused(&[("Origin", "null")]);
    // DNS rebinding: a page of a foreign name that resolves to 127.0.0.1.
    let head = refused(&[
        ("Host", "rebind.example:8765"),
        ("Origin", "http://rebind.example:8765"),
    ]);
    assert!(head.starts_with("HTTP/1.1 403 "), "{head}");
    let head = refused(&[("Host", "rebind.example:8765")]);
    assert!(head.starts_with("HTTP/1.1 403 "), "{head}");
    // Loopback pages (the IDE's dev server), an allowed origin and tools without Origin.
    for headers in [
        &[("Origin", "http://127.0.0.1:8000")][..],
        &[("Origin", "http://localhost:8080")],
        &[("Origin", "http://ide.example:8080")],
        &[
            ("Origin", "http://ide.example:8080"),
            ("Host", "ide.example:8765"),
        ],
        &[],
    ] {
        let mut ws = WsClient::connect_with(bridge.port, "/", headers)
            .unwrap_or_else(|head| panic!("{headers:?} was refused: {head}"));
        ws.recv_json_until("the lost event", |j| j["event"] == "lost");
    }
    wait_for_log(&bridge, "refused a connection: origin http://evil.example");
}

/// A pseudo-terminal the test owns: the bridge opens its slave `path`; the test holds the
/// master (raw mode, non-blocking).
struct TestPty {
    master: std::os::fd::OwnedFd,
    path: String,
}

fn open_test_pty() -> TestPty {
    use std::os::fd::FromRawFd;
    // SAFETY: plain libc calls on an fd this function owns; every result is checked.
    unsafe {
        let m =
            libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC);
        assert!(m >= 0, "posix_openpt");
        let master = std::os::fd::OwnedFd::from_raw_fd(m);
        assert_eq!(libc::grantpt(m), 0);
        assert_eq!(libc::unlockpt(m), 0);
        let mut name = [0 as libc::c_char; 256];
        assert_eq!(libc::ptsname_r(m, name.as_mut_ptr(), name.len()), 0);
        let path = std::ffi::CStr::from_ptr(name.as_ptr())
            .to_string_lossy()
            .into_owned();
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(m, &mut t), 0);
        libc::cfmakeraw(&mut t);
        assert_eq!(libc::tcsetattr(m, libc::TCSANOW, &t), 0);
        TestPty { master, path }
    }
}

/// Wait until the bridge's standard error contains `want`.
fn wait_for_log(bridge: &Bridge, want: &str) {
    wait_for_log_within(bridge, want, TIMEOUT);
}

/// The bridge's stall limit (client.rs `STALL_LIMIT`).
fn client_stall_limit() -> std::time::Duration {
    std::time::Duration::from_secs(10)
}

fn wait_for_log_within(bridge: &Bridge, want: &str, limit: std::time::Duration) {
    let t0 = Instant::now();
    loop {
        let err = bridge.err.lock().unwrap().clone();
        if err.contains(want) {
            return;
        }
        assert!(t0.elapsed() < limit, "no {want:?} from the bridge:\n{err}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_terminal_in_use_is_never_bridged() {
    // A session (as a terminal window's shell) whose controlling terminal is the PTY.
    let pty = open_test_pty();
    let path = std::ffi::CString::new(pty.path.clone()).unwrap();
    let mut cmd = Command::new("sleep");
    cmd.arg("60").stdin(Stdio::null()).stdout(Stdio::null());
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid, open and ioctl are async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let fd = libc::open(path.as_ptr(), libc::O_RDWR);
            if fd < 0 || libc::ioctl(fd, libc::TIOCSCTTY, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let _session = Proc(cmd.spawn().expect("start a session on the PTY"));
    let bridge = start_bridge(&[&pty.path]);
    let mut ws = WsClient::connect(bridge.port, "/");
    let lost = ws.recv_json_until("the lost event", |j| j["event"] == "lost");
    assert!(
        lost["reason"]
            .as_str()
            .unwrap()
            .contains("controlling terminal"),
        "{lost}"
    );
}

#[test]
fn a_client_reset_while_the_port_is_behind_is_noticed() {
    use std::io::Write;
    let pty = open_test_pty(); // nobody reads the master: the port takes little
    let bridge = start_bridge(&[&pty.path]);
    let mut ws = WsClient::connect(bridge.port, "/");
    ws.recv_json_until("the open event", |j| j["event"] == "open");
    // Far more than the port takes: the bridge stops reading the client.
    let mut frame = Vec::new();
    ferrite_protocols::websocket::encode_frame(
        &mut frame,
        ferrite_protocols::websocket::opcode::BINARY,
        &[b'x'; 32 * 1024],
        Some([1, 2, 3, 4]),
    );
    ws.s.set_write_timeout(Some(std::time::Duration::from_millis(500)))
        .unwrap();
    let mut sent = 0usize;
    // Until the socket is full (a write times out): the bridge stopped reading.
    while let Ok(n) = ws.s.write(&frame) {
        sent += n;
        assert!(sent < 64 << 20, "the bridge kept reading");
    }
    assert!(sent > 256 * 1024, "{sent}");
    // A reset (close with unread data and linger 0), as when a tab is killed.
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    use std::os::fd::AsRawFd;
    // SAFETY: a valid socket and a pointer to a linger struct of the given length.
    let r = unsafe {
        libc::setsockopt(
            ws.s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(r, 0);
    drop(ws);
    wait_for_log(&bridge, "bridge: the client is gone");
    // The bridge serves the next client.
    let mut next = WsClient::connect(bridge.port, "/");
    next.recv_json_until("the open event", |j| j["event"] == "open");
    drop(pty);
}

#[test]
fn a_client_that_stops_reading_is_dropped() {
    let pty = open_test_pty();
    let bridge = start_bridge(&[&pty.path]);
    // Nothing is read after the open event.
    let mut ws = WsClient::connect_small_buffer(bridge.port, "/", 4096);
    ws.recv_json_until("the open event", |j| j["event"] == "open");
    // Writes to the master until stopped (also when the test fails: the guard stops it).
    struct Stop(Arc<std::sync::atomic::AtomicBool>);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let stop = Stop(Arc::new(std::sync::atomic::AtomicBool::new(false)));
    let writer = {
        let master = pty.master.try_clone().expect("dup the master");
        let stop = stop.0.clone();
        std::thread::spawn(move || {
            use std::os::fd::AsRawFd;
            let fd = master.as_raw_fd();
            let chunk = [b'y'; 16 * 1024];
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                // SAFETY: `chunk` is valid for its length; `master` is owned by this thread.
                let n = unsafe { libc::write(fd, chunk.as_ptr().cast(), chunk.len()) };
                if n < 0 {
                    let mut p = libc::pollfd {
                        fd,
                        events: libc::POLLOUT,
                        revents: 0,
                    };
                    // SAFETY: one valid pollfd.
                    unsafe { libc::poll(&mut p, 1, 100) };
                }
            }
        })
    };
    let t0 = Instant::now();
    // 10 s without progress (plus the time to fill the socket buffers).
    wait_for_log_within(&bridge, "the client stopped reading; dropped", TIMEOUT * 2);
    assert!(t0.elapsed() >= client_stall_limit(), "{:?}", t0.elapsed());
    drop(stop);
    writer.join().unwrap();
    // The connection ends (after what the socket holds) and a new client is served.
    let mut next = WsClient::connect(bridge.port, "/");
    next.recv_json_until("the open event", |j| j["event"] == "open");
    drop(ws);
    drop(pty);
}
