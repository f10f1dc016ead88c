//! `esp32-mock-bootloader` (PyPI), an emulation of Espressif's ROM loader validated by the real
//! esptool, started on a PTY for one test (`run --pty --chip …`; it prints the PTY path on its
//! first line and keeps its flash in memory for as long as it runs). Included by the flashing
//! tests with `#[path = "support/flash_mock.rs"] mod flash_mock;` next to `mod support;`.
//!
//! Also the `ferrite` runner the flashing tests share.
//!
//! Without the mock installed the tests are skipped with a message, unless
//! FERRITE_REQUIRE_PEERS is set (scripts/test.sh), where they fail.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::{find_tool, skip_without_peer, Proc};

/// Run `ferrite ARGS` to its end.
pub fn ferrite(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferrite"))
        .args(args)
        .output()
        .expect("run ferrite")
}

/// Its stdout and stderr as text.
pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Run `ferrite ARGS` and require success; returns (stdout, stderr).
pub fn ok(args: &[&str]) -> (String, String) {
    let o = ferrite(args);
    let (out, err) = text(&o);
    assert!(
        o.status.success(),
        "ferrite {args:?} failed\nstdout:\n{out}\nstderr:\n{err}"
    );
    (out, err)
}

pub const MOCK: &str = "esp32-mock-bootloader";

/// A running mock and the PTY it serves (the mock is killed when this is dropped).
pub struct Mock {
    _proc: Proc,
    pub pty: String,
}

/// Start a mock of `chip` (`esp32c3`, `esp32`, …); `None` (skipped) when it is not installed.
pub fn mock(chip: &str) -> Option<Mock> {
    let Some(tool) = find_tool(MOCK) else {
        skip_without_peer(&format!(
            "{MOCK} is not installed (pip install {MOCK}; scripts/common.sh ensure_test_peers)"
        ));
        return None;
    };
    let mut child = Command::new(tool)
        .args(["run", "--pty", "--chip", chip])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the mock bootloader");
    let stdout = child.stdout.take().expect("mock stdout");
    let proc = Proc(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .expect("the mock printed no PTY path within 30 s");
        if line.starts_with("/dev/") {
            return Some(Mock {
                _proc: proc,
                pty: line.trim().to_string(),
            });
        }
    }
}
