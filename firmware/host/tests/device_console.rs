//! The virtual device's serial console, with the real binary: the REPL over stdin/stdout,
//! framed JSON-RPC on the same line, the modes, and the `--pty` console.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

mod support;

use support::{collect, ConsoleDevice, TempDir, SOH, TIMEOUT};

/// Text lines (not frames) of `out`.
fn text_lines(out: &str) -> Vec<&str> {
    out.split('\n').filter(|l| !l.starts_with(SOH)).collect()
}

#[test]
fn repl_round_trip_over_stdin() {
    let data = TempDir::new("repl");
    // A turn budget large enough that only Ctrl-C can end the endless loop.
    let mut d = ConsoleDevice::start(&data.0, &["--limit", "turn_fuel=1000000000000"]);
    let o = d.wait_text("heap free");
    let banner = o.lines().next().unwrap();
    let rest = banner
        .strip_prefix(&format!("Ferrite {} — ferrite-", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("banner: {banner}"));
    let (mac, free) = rest.split_once(" — heap free ").unwrap();
    assert_eq!(mac.len(), 12);
    assert!(free.parse::<usize>().unwrap() > 0);

    d.send(b"1+2\n");
    let o = d.wait("the result 3", |o| {
        text_lines(o)
            .iter()
            .any(|l| l.ends_with("> 3") || *l == "3")
    });
    // The prompt shows the console's heap.
    assert!(o.contains("] > "), "{o}");

    // A timer prints later, after its handle was shown.
    d.send(b"Timer.set(200, false, function () { print('later ' + (6 * 7)); })\n");
    d.wait_text("later 42");

    // An error says where it happened.
    d.send(b"let a = 1;\nnope(a)\n");
    let o = d.wait_text("ReferenceError");
    assert!(
        o.contains("console:1:1: ReferenceError: nope is not defined"),
        "{o}"
    );

    // Multi-line entry: continues while brackets are open.
    d.send(b"function twice(x) {\n");
    d.wait_text("... ");
    d.send(b"  return x * 2;\n}\ntwice(21)\n");
    d.wait_text("\n42\n");

    // Ctrl-C interrupts an endless loop; the console works afterwards.
    d.send(b"while (true) {}\n");
    std::thread::sleep(Duration::from_millis(300));
    d.send(b"\x03");
    d.wait_text("interrupted");
    d.send(b"'still ' + 'alive'\n");
    d.wait_text("still alive");

    // End of input exits (after the pending entry ran).
    d.send(b"print('bye')\n");
    d.close_stdin();
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = d.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t0.elapsed() < TIMEOUT,
            "the device did not exit at end of input"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(50));
    assert!(d.output().contains("bye"), "{}", d.output());
}

#[test]
fn an_unclosed_bracket_cannot_grow_the_entry_without_bound() {
    let data = TempDir::new("entry");
    let mut d = ConsoleDevice::start(&data.0, &[]);
    d.wait_text("heap free");
    d.send(b"[\n");
    let line = format!("{}\n", "1,".repeat(500));
    for _ in 0..70 {
        d.send(line.as_bytes());
    }
    d.wait_text("entry too long");
    // The console works afterwards (the dropped entry does not continue).
    d.send(b"6*7\n");
    d.wait("the result 42", |o| {
        text_lines(o)
            .iter()
            .any(|l| l.ends_with("> 42") || *l == "42")
    });
}

#[test]
fn framed_rpc_on_the_same_line() {
    let data = TempDir::new("rpc");
    let mut d = ConsoleDevice::start(&data.0, &[]);
    d.wait_text("heap free");

    let info = d.request(1, "Shelly.GetDeviceInfo", json!({}));
    assert_eq!(info["dst"], "test");
    let id = info["result"]["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("ferrite-"), "{info}");
    assert_eq!(info["src"], json!(id));
    assert_eq!(info["result"]["model"], "FerriteVirtual");

    // A person's half-typed line survives a frame in the middle of it.
    d.send(b"20 +");
    let r = d.request(2, "Shelly.ListMethods", json!({}));
    assert!(r["result"]["methods"].as_array().unwrap().len() > 10);
    d.send(b" 22\n");
    d.wait("the result 42", |o| {
        text_lines(o).iter().any(|l| l.ends_with("42"))
    });

    // Create, upload, start: the script's output shows up as a log line.
    let r = d.request(3, "Script.Create", json!({"name": "hello"}));
    let sid = r["result"]["id"].as_u64().unwrap();
    let code = "print('hello from ' + Shelly.getCurrentScriptId());\n\
                Timer.set(100, true, function () { print('tick'); });";
    let r = d.request(4, "Script.PutCode", json!({"id": sid, "code": code}));
    assert_eq!(r["result"]["len"], json!(code.len()));
    let r = d.request(5, "Script.Start", json!({"id": sid}));
    assert_eq!(r["result"]["was_running"], false, "{r}");
    d.wait_text(&format!("[script:{sid}] hello from {sid}"));

    // Errors: not JSON, not a request, unknown method, too large.
    d.send(b"\x01{not json\n");
    let e = d.wait_frame("parse error", |f| f["error"]["code"] == -32700);
    assert_eq!(e["id"], Json::Null);
    let e = d.request(6, "No.Such", json!({}));
    assert_eq!(e["error"]["code"], 404);
    d.send(b"\x01{\"id\":7}\n");
    let e = d.wait_frame("invalid request", |f| f["id"] == 7);
    assert_eq!(e["error"]["code"], -32600);
    // Params that are not an object: the same code as over HTTP and WebSocket.
    d.send(b"\x01{\"id\":19,\"src\":\"t\",\"method\":\"Shelly.GetStatus\",\"params\":[1]}\n");
    let e = d.wait_frame("invalid params", |f| f["id"] == 19);
    assert_eq!(
        (e["error"]["code"].as_i64(), e["dst"].as_str()),
        (Some(-103), Some("t")),
        "{e}"
    );
    let mut big =
        String::from("\u{1}{\"id\":8,\"method\":\"Script.PutCode\",\"params\":{\"code\":\"");
    big.push_str(&"x".repeat(20_000));
    big.push_str("\"}}\n");
    d.send(big.as_bytes());
    let e = d.wait_frame("oversized", |f| f["error"]["code"] == -107);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("16384"),
        "{e}"
    );
    // The line still works after all that.
    let r = d.request(9, "Script.GetStatus", json!({"id": sid}));
    assert_eq!(r["result"]["running"], true);

    // RPC mode: no prompt; log lines and status changes come as frames.
    let r = d.request(10, "Console.SetMode", json!({"mode": "rpc"}));
    assert_eq!(r["result"], json!({"mode": "rpc", "prev": "human"}));
    let mark = d.output().len();
    d.wait_frame("NotifyLog tick", |f| {
        f["method"] == "NotifyLog" && f["params"]["text"] == "tick" && f["params"]["script"] == sid
    });
    d.send(b"print('typed in rpc mode')\n");
    d.wait_frame("NotifyLog of typed code", |f| {
        f["params"]["text"] == "typed in rpc mode" && f["params"]["level"] == "print"
    });
    d.request(11, "Script.Stop", json!({"id": sid}));
    d.wait_frame("NotifyStatus", |f| {
        f["method"] == "NotifyStatus" && f["params"][format!("script:{sid}")]["running"] == false
    });
    let r = d.request(12, "Console.GetMode", json!({}));
    assert_eq!(r["result"]["mode"], "rpc");
    let since = d.output()[mark..].to_string();
    for l in since.split('\n') {
        assert!(
            l.is_empty() || l.starts_with(SOH),
            "a non-frame line in rpc mode: {l:?}\n{since}"
        );
    }

    // Back to human: the prompt returns.
    let r = d.request(13, "Console.SetMode", json!({"mode": "human"}));
    assert_eq!(r["result"]["prev"], "rpc");
    d.wait("the prompt", |o| {
        o.split_once("\"id\":13,")
            .is_some_and(|(_, after)| after.contains("] > "))
    });
    let r = d.request(14, "Console.SetMode", json!({"mode": "robot"}));
    assert_eq!(r["error"]["code"], -103);
}

#[test]
fn pty_console() {
    let data = TempDir::new("pty");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrite"))
        .arg("device")
        .arg("--data")
        .arg(&data.0)
        .arg("--pty")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ferrite device --pty");
    let err = collect(child.stderr.take().unwrap());
    let t0 = Instant::now();
    let path = loop {
        let e = String::from_utf8_lossy(&err.lock().unwrap()).into_owned();
        if let Some(p) = e.lines().find_map(|l| l.strip_prefix("console: ")) {
            break p.to_string();
        }
        assert!(t0.elapsed() < TIMEOUT, "no PTY path printed: {e}");
        std::thread::sleep(Duration::from_millis(10));
    };
    struct Kill(Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _guard = Kill(child);
    use std::os::unix::fs::OpenOptionsExt;
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(&path)
        .unwrap_or_else(|e| panic!("open {path}: {e}"));
    let out = collect(tty.try_clone().unwrap());
    let wait = |what: &str| {
        let t0 = Instant::now();
        loop {
            let o = String::from_utf8_lossy(&out.lock().unwrap()).into_owned();
            if o.contains(what) {
                return o;
            }
            assert!(
                t0.elapsed() < TIMEOUT,
                "timed out waiting for {what:?} on the PTY:\n{o:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    // The banner was written before we opened the line; it waits there like on a UART.
    wait("heap free");
    wait("] > ");
    // Raw line: the device echoes, edits (Backspace) and ends lines with CR LF.
    tty.write_all(b"1+x\x7f2\r").unwrap();
    let o = wait("\r\n3\r\n");
    assert!(o.contains("1+x\x08 \x082\r\n"), "{o:?}");
    // History: Up brings the last line back.
    tty.write_all(b"\x1b[A\r").unwrap();
    let o = wait("1+2\r\n3\r\n[");
    assert_eq!(o.matches("\r\n3\r\n").count(), 2, "{o:?}");
    // Frames work on the PTY as well.
    tty.write_all(b"\x01{\"id\":1,\"method\":\"Shelly.GetDeviceInfo\"}\n")
        .unwrap();
    let o = wait("\"model\":\"FerriteVirtual\"");
    assert!(
        o.contains("\n\x01{") || o.contains("\x1b[K\x01{"),
        "frame at line start: {o:?}"
    );
    // Ctrl-D does not end a serial console.
    tty.write_all(b"\x04").unwrap();
    tty.write_all(b"'pty ' + 'ok'\r").unwrap();
    wait("pty ok");
}
