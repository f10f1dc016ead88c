//! `esp32-mock-bootloader` (PyPI), an emulation of Espressif's ROM loader validated by the real
//! esptool, started on a PTY for one test (`run --pty --chip …`; it prints the PTY path on its
//! first line and keeps its flash in memory for as long as it runs). Included by the flashing
//! tests with `#[path = "support/flash_mock.rs"] mod flash_mock;` next to `mod support;`.
//!
//! Without the mock installed the tests are skipped with a message, unless
//! FERRITE_REQUIRE_PEERS is set (scripts/test.sh), where they fail.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::{find_tool, skip_without_peer, Proc};

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
