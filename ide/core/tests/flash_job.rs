//! The browser's flash engine (`flash::service` / `flash::job`, feature `flash`) against
//! `esp32-mock-bootloader` (PyPI), an emulation of Espressif's ROM loader validated by the real
//! esptool, over a PTY — driven exactly as the flash worker drives it: every message goes
//! through its JSON form, `tx` bytes are written to the port, what the port reads comes back as
//! `rx`, and the job is polled again at its deadline.
//!
//! Without the mock installed the tests are skipped with a message, unless
//! FERRITE_REQUIRE_PEERS is set (scripts/test.sh), where they fail.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use ferrite_flasher::flasher::{Config, Done, Output, Task};
use ferrite_flasher::Flasher;
use ferrite_ide_core::flash::protocol::{DoneMsg, FromFlashWorker, ProgressMsg, ToFlashWorker};
use ferrite_ide_core::flash::service::FlashService;

const MOCK: &str = "esp32-mock-bootloader";
/// A whole job against the mock must end within this.
const JOB_TIMEOUT: Duration = Duration::from_secs(120);

/// A child process killed (and reaped) when the test ends, however it ends.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_tool(name: &str) -> Option<PathBuf> {
    let dirs = std::env::var("PATH").unwrap_or_default();
    std::env::split_paths(&dirs)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn skip_without_peer(reason: &str) {
    if std::env::var_os("FERRITE_REQUIRE_PEERS").is_some() {
        panic!("a required test peer is missing: {reason}");
    }
    eprintln!("SKIPPED: {reason}");
}

/// The mock's PTY, raw, with a reader thread: what the mock sends arrives on `rx`.
struct Port {
    _mock: Proc,
    file: File,
    rx: Receiver<Vec<u8>>,
    epoch: Instant,
}

impl Port {
    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }
}

fn make_raw(file: &File) {
    let fd = file.as_raw_fd();
    // SAFETY: `fd` is an open terminal for the duration of the calls; `t` is a plain struct
    // tcgetattr fills in before cfmakeraw/tcsetattr read it.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(fd, &mut t), 0, "tcgetattr on the PTY");
        libc::cfmakeraw(&mut t);
        assert_eq!(
            libc::tcsetattr(fd, libc::TCSANOW, &t),
            0,
            "tcsetattr on the PTY"
        );
    }
}

/// Start a mock of `chip` and open its PTY; `None` (skipped) without the mock.
fn mock(chip: &str) -> Option<Port> {
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
    let (line_tx, line_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = line_tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let pty = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = line_rx
            .recv_timeout(left)
            .expect("the mock printed no PTY path within 30 s");
        if line.starts_with("/dev/") {
            break line.trim().to_string();
        }
    };
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(&pty)
        .unwrap_or_else(|e| panic!("open the mock's PTY {pty}: {e}"));
    make_raw(&file);
    let mut reader = file.try_clone().expect("clone the PTY handle");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    Some(Port {
        _mock: proc,
        file,
        rx,
        epoch: Instant::now(),
    })
}

/// One round of the worker's loop: post everything the service says (through JSON, as the
/// worker does; `tx` written to the port), then wait for port input until the deadline.
/// Returns the messages of this round.
fn round(svc: &mut FlashService, port: &mut Port) -> Vec<FromFlashWorker> {
    let mut msgs = Vec::new();
    while let Some(m) = svc.poll(port.now()) {
        let json = m.msg.to_json();
        let back = FromFlashWorker::from_json(&json)
            .unwrap_or_else(|e| panic!("the worker's message {json} does not parse back: {e}"));
        assert_eq!(back, m.msg, "{json}");
        match (&back, &m.bytes) {
            (FromFlashWorker::Tx, Some(bytes)) => {
                port.file.write_all(bytes).expect("write to the PTY");
            }
            (FromFlashWorker::Tx, None) => panic!("a tx message without bytes"),
            (_, Some(_)) => panic!("bytes beside {json}"),
            _ => {}
        }
        msgs.push(back);
    }
    let wait = match svc.deadline() {
        Some(d) => Duration::from_millis(d.saturating_sub(port.now())),
        None => Duration::from_millis(200),
    };
    if let Ok(bytes) = port.rx.recv_timeout(wait) {
        svc.handle_json(r#"{"type":"rx"}"#, Some(bytes), port.now());
    }
    msgs
}

fn ended(m: &FromFlashWorker) -> bool {
    matches!(m, FromFlashWorker::Done(_) | FromFlashWorker::Failed { .. })
}

/// Run rounds until the job ends; all its messages.
fn run_to_end(svc: &mut FlashService, port: &mut Port, log: &mut Vec<FromFlashWorker>) {
    let start = Instant::now();
    while !log.iter().any(ended) {
        assert!(
            start.elapsed() < JOB_TIMEOUT,
            "the job did not end within {JOB_TIMEOUT:?}; messages: {log:#?}"
        );
        log.extend(round(svc, port));
    }
}

fn start_flash(svc: &mut FlashService, port: &Port, request: &str, file: &[u8]) {
    let msg = ToFlashWorker::from_json(request).expect("a valid flash request");
    svc.handle(msg, Some(file.to_vec()), port.now());
}

/// Flash `file` and return every message of the job.
fn flash(
    port: &mut Port,
    svc: &mut FlashService,
    request: &str,
    file: &[u8],
) -> Vec<FromFlashWorker> {
    start_flash(svc, port, request, file);
    let mut log = Vec::new();
    run_to_end(svc, port, &mut log);
    log
}

fn done(log: &[FromFlashWorker]) -> DoneMsg {
    match log.iter().find(|m| ended(m)) {
        Some(FromFlashWorker::Done(d)) => d.clone(),
        other => panic!("the job did not succeed: {other:?}\nmessages: {log:#?}"),
    }
}

fn progress(log: &[FromFlashWorker]) -> Vec<ProgressMsg> {
    log.iter()
        .filter_map(|m| match m {
            FromFlashWorker::Progress(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

/// A valid ESP32-C3 app image (chip id 5 in the extended header) of about `len` bytes: one
/// segment of pseudo-random (incompressible) bytes, the checksum, no appended hash.
fn c3_app_image(len: usize, seed: u32) -> Vec<u8> {
    c3_like_image(len, seed, 5)
}

fn c3_like_image(len: usize, seed: u32, chip_id: u16) -> Vec<u8> {
    let data_len = (len - 24 - 8 - 16) & !3;
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    let data: Vec<u8> = (0..data_len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let mut img = vec![0xE9, 1, 0x02, 0x20];
    img.extend_from_slice(&0x4200_0020u32.to_le_bytes()); // entry
    img.push(0xEE); // WP pin: none
    img.extend_from_slice(&[0, 0, 0]); // drive settings
    img.extend_from_slice(&chip_id.to_le_bytes());
    img.push(0); // min chip revision (old field)
    img.extend_from_slice(&[0, 0, 0xFF, 0xFF]); // min/max revision (full)
    img.extend_from_slice(&[0; 4]); // reserved
    img.push(0); // no SHA-256 appended
    assert_eq!(img.len(), 24);
    img.extend_from_slice(&0x3C00_0020u32.to_le_bytes()); // load address (DROM)
    img.extend_from_slice(&(data_len as u32).to_le_bytes());
    img.extend_from_slice(&data);
    let checksum = data.iter().fold(0xEFu8, |c, b| c ^ b);
    while img.len() % 16 != 15 {
        img.push(0);
    }
    img.push(checksum);
    img
}

const REQUEST: &str = r#"{"type":"flash","file_name":"app.bin","baud":115200,
    "target_baud":460800,"after":"hard-reset","resets":true}"#;

/// Read `len` bytes of flash at `offset` with a flasher of our own, as `ferrite read-flash` does.
fn read_back(port: &mut Port, offset: u32, len: u32) -> Vec<u8> {
    let mut f = Flasher::new(Config {
        resets: false,
        ..Config::default()
    });
    let mut run = |f: &mut Flasher, task: Task| -> Done {
        f.start(task, port.now()).expect("start a read-back task");
        let start = Instant::now();
        loop {
            assert!(start.elapsed() < JOB_TIMEOUT, "read-back timed out");
            while let Some(o) = f.poll(port.now()) {
                match o {
                    Output::Send(b) => port.file.write_all(&b).expect("write to the PTY"),
                    Output::Done(d) => return d,
                    Output::Failed(e) => panic!("read-back failed: {e}"),
                    _ => {}
                }
            }
            let wait = f.deadline().map_or(200, |d| d.saturating_sub(port.now()));
            if let Ok(b) = port.rx.recv_timeout(Duration::from_millis(wait)) {
                f.feed(&b, port.now());
            }
        }
    };
    run(&mut f, Task::Connect);
    match run(&mut f, Task::Read { offset, len }) {
        Done::Read(data) => data,
        other => panic!("read-back answered {other:?}"),
    }
}

#[test]
fn flashes_a_c3_app_image_verified_then_skips_it_unchanged() {
    let Some(mut port) = mock("esp32c3") else {
        return;
    };
    // 1 MiB: long enough (about half a second at the PTY's speed) that the rate is measured.
    let image = c3_app_image(1024 * 1024, 1);
    let blocks = image.len().div_ceil(4096) as u32;
    let mut svc = FlashService::new();

    let log = flash(&mut port, &mut svc, REQUEST, &image);
    let d = done(&log);
    assert!(d.verified && d.reset, "{d:?}");
    assert_eq!((d.written, d.unchanged), (blocks, 0), "{d:?}");
    assert_eq!(d.bytes_written, image.len().next_multiple_of(4) as u64);
    assert!(d.bytes_sent > 0 && d.ms > 0, "{d:?}");
    let chip = log
        .iter()
        .find_map(|m| match m {
            FromFlashWorker::Chip(c) => Some(c.clone()),
            _ => None,
        })
        .expect("a chip message");
    assert_eq!(chip.chip, "ESP32-C3");
    assert!(chip.stub, "{chip:?}");

    // Progress: the total is the image's bytes, the writing reaches it, a rate and a time left
    // were measured while writing, the stages came in order.
    let p = progress(&log);
    let writes: Vec<&ProgressMsg> = p.iter().filter(|p| p.stage == "write").collect();
    assert!(writes.len() >= 2, "write progress: {writes:#?}");
    let last = writes.last().unwrap();
    assert_eq!((last.done, last.total), (d.bytes_written, d.bytes_written));
    assert_eq!((last.segment.as_deref(), last.segments), (Some("app"), 1));
    assert!(writes.windows(2).all(|w| w[0].done <= w[1].done));
    assert!(
        writes.iter().any(|p| p.rate > 0 && p.eta_ms.is_some()),
        "no rate/ETA while writing: {writes:#?}"
    );
    let stages: Vec<&str> = p.iter().map(|p| p.stage.as_str()).collect();
    let first = |s: &str| {
        stages
            .iter()
            .position(|x| *x == s)
            .unwrap_or_else(|| panic!("no {s} stage in {stages:?}"))
    };
    assert!(first("connect") < first("compare"));
    assert!(first("compare") < first("write"));
    assert!(first("write") < first("verify"));
    assert!(first("verify") < first("reset"));

    // The baud change, then the hard reset: RTS pulsed and the port back at 115200, last.
    let bauds: Vec<u32> = log
        .iter()
        .filter_map(|m| match m {
            FromFlashWorker::Baud { baud } => Some(*baud),
            _ => None,
        })
        .collect();
    assert_eq!(bauds.first(), Some(&460_800), "{bauds:?}");
    assert_eq!(bauds.last(), Some(&115_200), "{bauds:?}");
    let after_verify = log
        .iter()
        .rposition(|m| matches!(m, FromFlashWorker::Progress(p) if p.stage == "verify"))
        .unwrap();
    let lines: Vec<(Option<bool>, Option<bool>)> = log[after_verify..]
        .iter()
        .filter_map(|m| match m {
            FromFlashWorker::Lines { dtr, rts } => Some((*dtr, *rts)),
            _ => None,
        })
        .collect();
    assert_eq!(lines, [(None, Some(true)), (None, Some(false))]);

    // The flash holds the image.
    let back = read_back(&mut port, 0x10000, image.len() as u32);
    assert!(back == image, "the flash differs from the image");

    // Again: every block is unchanged, nothing is written, the total falls to 0.
    let log = flash(&mut port, &mut svc, REQUEST, &image);
    let d = done(&log);
    assert_eq!(
        (d.written, d.unchanged, d.bytes_written),
        (0, blocks, 0),
        "{d:?}"
    );
    assert!(d.verified);
    let last = progress(&log)
        .into_iter()
        .rfind(|p| p.segments == 1)
        .expect("progress with the plan");
    assert_eq!((last.done, last.total), (0, 0), "{last:?}");
}

#[test]
fn a_cancelled_flash_ends_cancelled_and_the_next_one_completes() {
    let Some(mut port) = mock("esp32c3") else {
        return;
    };
    let image = c3_app_image(600 * 1024, 2);
    let blocks = image.len().div_ceil(4096) as u32;
    let mut svc = FlashService::new();
    start_flash(&mut svc, &port, REQUEST, &image);
    let mut log = Vec::new();
    let start = Instant::now();
    // Take messages one at a time until some but not all of the image was written, and stop
    // while the job still holds messages not taken (a `tx` was just taken, its progress waits):
    // the cancel must drop them.
    'writing: loop {
        assert!(start.elapsed() < JOB_TIMEOUT, "no write progress: {log:#?}");
        assert!(!log.iter().any(ended), "ended before cancelling: {log:#?}");
        while let Some(m) = svc.poll(port.now()) {
            if let (FromFlashWorker::Tx, Some(bytes)) = (&m.msg, &m.bytes) {
                port.file.write_all(bytes).expect("write to the PTY");
            }
            log.push(m.msg);
            let writing = log.iter().any(
                |m| matches!(m, FromFlashWorker::Progress(p) if p.stage == "write" && p.done > 0),
            );
            if writing && svc.deadline() == Some(0) {
                break 'writing;
            }
        }
        let wait = svc.deadline().map_or(200, |d| d.saturating_sub(port.now()));
        if let Ok(bytes) = port.rx.recv_timeout(Duration::from_millis(wait)) {
            svc.handle_json(r#"{"type":"rx"}"#, Some(bytes), port.now());
        }
    }
    assert_eq!(svc.deadline(), Some(0), "messages wait in the job");
    svc.handle_json(r#"{"type":"cancel"}"#, None, port.now());
    let mut after = Vec::new();
    run_to_end(&mut svc, &mut port, &mut after);
    // Exactly: the lines released (the job reset the chip into the loader with them), the port
    // back to the rate the job started at, the end. No tx, no progress of the dropped queue.
    assert_eq!(
        after,
        vec![
            FromFlashWorker::Lines {
                dtr: Some(false),
                rts: Some(false)
            },
            FromFlashWorker::Baud { baud: 115_200 },
            FromFlashWorker::Failed {
                error: "cancelled".into(),
                cancelled: true
            }
        ]
    );
    // Nothing more comes from the ended job.
    assert!(round(&mut svc, &mut port).is_empty());

    // The next job connects afresh, writes what the cut write left different, verifies.
    let log = flash(&mut port, &mut svc, REQUEST, &image);
    let d = done(&log);
    assert!(d.verified, "{d:?}");
    assert_eq!(d.written + d.unchanged, blocks, "{d:?}");
    assert!(
        d.written > 0,
        "the cut write cannot have left everything in place: {d:?}"
    );
    let back = read_back(&mut port, 0x10000, image.len() as u32);
    assert!(back == image, "the flash differs from the image");
}

#[test]
fn an_image_for_another_chip_fails_saying_which() {
    let Some(mut port) = mock("esp32c3") else {
        return;
    };
    let esp32_image = c3_like_image(64 * 1024, 3, 0); // chip id 0: the ESP32
    let mut svc = FlashService::new();
    let log = flash(&mut port, &mut svc, REQUEST, &esp32_image);
    match log.last() {
        Some(FromFlashWorker::Failed { error, cancelled }) => {
            assert!(!cancelled);
            assert!(
                error.contains("app.bin")
                    && error.contains("ESP32-C3")
                    && error.contains("wrong chip"),
                "{error}"
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(!log.iter().any(|m| matches!(m, FromFlashWorker::Done(_))));
}

#[test]
fn erase_all_erases_first_so_everything_is_written_again() {
    let Some(mut port) = mock("esp32c3") else {
        return;
    };
    let image = c3_app_image(64 * 1024, 5);
    let blocks = image.len().div_ceil(4096) as u32;
    let mut svc = FlashService::new();
    done(&flash(&mut port, &mut svc, REQUEST, &image));
    let erase = REQUEST.replace(r#""resets":true"#, r#""resets":true,"erase_all":true"#);
    let log = flash(&mut port, &mut svc, &erase, &image);
    let d = done(&log);
    assert_eq!((d.written, d.unchanged), (blocks, 0), "{d:?}");
    let stages: Vec<String> = progress(&log).into_iter().map(|p| p.stage).collect();
    let erase_at = stages
        .iter()
        .position(|s| s == "erase")
        .expect("an erase stage");
    let compare_at = stages.iter().position(|s| s == "compare").unwrap();
    assert!(erase_at < compare_at, "{stages:?}");
}

/// Nothing answers (no chip, or not in download mode): the job gives up on its own deadlines
/// and says what to do.
#[test]
fn no_answer_ends_with_the_manual_download_mode_hint() {
    let mut svc = FlashService::new();
    let image = c3_app_image(8 * 1024, 6);
    svc.handle_json(
        r#"{"type":"flash","file_name":"app.bin","resets":false}"#,
        Some(image),
        0,
    );
    let mut now = 0;
    let mut sent = 0;
    let error = loop {
        let mut ended = None;
        while let Some(m) = svc.poll(now) {
            match m.msg {
                FromFlashWorker::Tx => sent += 1,
                FromFlashWorker::Lines { .. } => panic!("lines moved on a port without them"),
                FromFlashWorker::Failed { error, .. } => ended = Some(error),
                FromFlashWorker::Done(d) => panic!("done without a chip: {d:?}"),
                _ => {}
            }
        }
        if let Some(e) = ended {
            break e;
        }
        let next = svc
            .deadline()
            .expect("a deadline while waiting for an answer");
        assert!(next > now, "the deadline does not advance");
        now = next;
        assert!(now < 600_000, "still trying after 10 minutes");
    };
    assert!(sent > 1, "SYNC was sent {sent} times");
    assert!(
        error.starts_with("connecting to the loader:") && error.contains("hold BOOT"),
        "{error}"
    );
    assert_eq!(svc.deadline(), None);
}

#[test]
fn bad_requests_fail_at_once_without_touching_the_port() {
    let mut svc = FlashService::new();
    let cases = [
        (r#"{"type":"flash","params":{"mode":"fast"}}"#, "flash mode"),
        (
            r#"{"type":"flash","params":{"size":3000000}}"#,
            "power of two",
        ),
        (r#"{"type":"flash","file_name":"x.bin"}"#, "x.bin is empty"),
        (r#"{"type":"flash","baud":0}"#, "baud 0 is not a baud rate"),
        (
            r#"{"type":"flash","target_baud":0}"#,
            "target_baud 0 is not a baud rate",
        ),
        (
            r#"{"type":"flash","baud":115200,"target_baud":10000000}"#,
            "from 9600 to 5000000",
        ),
        (r#"{"type":"flash","baud":300}"#, "baud 300"),
    ];
    for (request, expected) in cases {
        svc.handle_json(request, Some(Vec::new()), 0);
        let mut out = Vec::new();
        while let Some(m) = svc.poll(0) {
            out.push(m);
        }
        assert_eq!(out.len(), 1, "{out:?}");
        match &out[0].msg {
            FromFlashWorker::Failed { error, .. } => assert!(error.contains(expected), "{error}"),
            other => panic!("{request}: {other:?}"),
        }
        assert_eq!(svc.deadline(), None);
    }
    // A message the worker cannot read is a note, not a crash.
    svc.handle_json("{\"type\":\"reboot\"}", None, 0);
    assert!(matches!(
        svc.poll(0).map(|m| m.msg),
        Some(FromFlashWorker::Note { .. })
    ));
}

#[test]
fn identify_tells_the_kind_and_chip() {
    let mut svc = FlashService::new();
    let image = c3_app_image(8 * 1024, 4);
    svc.handle_json(
        r#"{"type":"identify","file_name":"a.bin"}"#,
        Some(image.clone()),
        0,
    );
    let m = svc.poll(0).expect("an answer").msg;
    assert_eq!(
        m,
        FromFlashWorker::Identified {
            file_name: "a.bin".into(),
            kind: "app".into(),
            chip: Some("ESP32-C3".into()),
            size: image.len() as u64,
        }
    );
    svc.handle_json(
        r#"{"type":"identify","file_name":"r.bin"}"#,
        Some(vec![1, 2, 3]),
        0,
    );
    assert!(matches!(
        svc.poll(0).map(|m| m.msg),
        Some(FromFlashWorker::Identified { kind, chip: None, size: 3, .. }) if kind == "raw"
    ));
}

/// Cancelled while the reset into the loader holds EN low (a `lines` with RTS set went out and
/// the job waits): the cancel releases both lines, so the chip is not left in reset.
#[test]
fn a_cancel_during_the_reset_releases_the_lines() {
    let mut svc = FlashService::new();
    svc.handle_json(REQUEST, Some(c3_app_image(8 * 1024, 7)), 0);
    let mut seen = Vec::new();
    while let Some(m) = svc.poll(0) {
        seen.push(m.msg);
    }
    assert!(
        seen.iter().any(|m| matches!(
            m,
            FromFlashWorker::Lines {
                rts: Some(true),
                ..
            }
        )),
        "{seen:?}"
    );
    assert!(
        svc.deadline().is_some_and(|d| d > 0),
        "waiting out the reset"
    );
    svc.handle_json(r#"{"type":"cancel"}"#, None, 10);
    let mut after = Vec::new();
    while let Some(m) = svc.poll(10) {
        after.push(m.msg);
    }
    assert_eq!(
        after,
        vec![
            FromFlashWorker::Lines {
                dtr: Some(false),
                rts: Some(false)
            },
            FromFlashWorker::Failed {
                error: "cancelled".into(),
                cancelled: true
            }
        ]
    );

    // Without modem lines (`resets: false`) there is nothing to release.
    let mut svc = FlashService::new();
    svc.handle_json(
        r#"{"type":"flash","file_name":"a.bin","resets":false}"#,
        Some(c3_app_image(8 * 1024, 7)),
        0,
    );
    while svc.poll(0).is_some() {}
    svc.handle_json(r#"{"type":"cancel"}"#, None, 10);
    let after: Vec<_> = std::iter::from_fn(|| svc.poll(10).map(|m| m.msg)).collect();
    assert!(
        !after
            .iter()
            .any(|m| matches!(m, FromFlashWorker::Lines { .. })),
        "{after:?}"
    );
}

/// A port without modem lines cannot reset the chip: `done.reset` is false (the page must not
/// assume a booted firmware), a note says to press RESET, and the port is set to 115200 for the
/// firmware that runs once the person did.
#[test]
fn without_modem_lines_done_says_the_chip_was_not_reset() {
    let Some(mut port) = mock("esp32c3") else {
        return;
    };
    let image = c3_app_image(16 * 1024, 8);
    let mut svc = FlashService::new();
    let request = REQUEST.replace(r#""resets":true"#, r#""resets":false"#);
    let log = flash(&mut port, &mut svc, &request, &image);
    let d = done(&log);
    assert!(!d.reset, "{d:?}");
    assert!(
        !log.iter()
            .any(|m| matches!(m, FromFlashWorker::Lines { .. })),
        "{log:#?}"
    );
    assert!(
        log.iter().any(
            |m| matches!(m, FromFlashWorker::Note { text } if text.contains("press the board's RESET"))
        ),
        "{log:#?}"
    );
    let last_baud = log.iter().rev().find_map(|m| match m {
        FromFlashWorker::Baud { baud } => Some(*baud),
        _ => None,
    });
    assert_eq!(last_baud, Some(115_200), "{log:#?}");

    // With lines the same flash says it reset the chip.
    let log = flash(&mut port, &mut svc, REQUEST, &image);
    assert!(done(&log).reset);
}
