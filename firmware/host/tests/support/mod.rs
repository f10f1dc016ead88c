//! What the device tests share: temporary data directories, `ferrite device` processes (the
//! console on pipes, or the HTTP server on a free port read from its stderr), their output
//! collected on threads, and child processes killed however a test ends.
#![allow(dead_code)]

pub mod ws;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

/// The byte that starts a console frame.
pub const SOH: char = '\u{1}';
/// How long a test waits for the device.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// A fresh directory under the system's temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let p = std::env::temp_dir().join(format!(
            "ferrite-test-{tag}-{}-{n}-{nanos}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed (and reaped) when the test ends, however it ends.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Collects what a reader produces, on a thread.
pub fn collect(mut r: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
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

/// Text of collected bytes.
pub fn text(buf: &Arc<Mutex<Vec<u8>>>) -> String {
    String::from_utf8_lossy(&buf.lock().unwrap()).into_owned()
}

/// The frames among the lines of console output, parsed. A complete frame line that is not
/// JSON fails the test; an unterminated last line (a device killed mid-write) is skipped
/// unless it parses.
pub fn frames(out: &str) -> Vec<Json> {
    let mut lines: Vec<&str> = out.split('\n').collect();
    let last = lines.pop().unwrap_or("");
    let mut v: Vec<Json> = lines
        .iter()
        .filter_map(|l| l.strip_prefix(SOH))
        .map(|f| serde_json::from_str(f.trim_end_matches('\r')).expect("frame is JSON"))
        .collect();
    if let Some(f) = last.strip_prefix(SOH) {
        v.extend(serde_json::from_str(f).ok());
    }
    v
}

/// A free TCP port on the loopback interface (free when asked).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A program on the `PATH` (or in the usual sbin directories).
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let dirs = std::env::var("PATH").unwrap_or_default();
    std::env::split_paths(&dirs)
        .chain(["/usr/sbin", "/usr/local/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// `ferrite device --data <data> <extra…>` with the console on pipes.
pub struct ConsoleDevice {
    pub child: Child,
    stdin: Option<ChildStdin>,
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
}

impl ConsoleDevice {
    pub fn start(data: &Path, extra: &[&str]) -> ConsoleDevice {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferrite"))
            .arg("device")
            .arg("--data")
            .arg(data)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ferrite device");
        let out = collect(child.stdout.take().unwrap());
        let err = collect(child.stderr.take().unwrap());
        ConsoleDevice {
            stdin: child.stdin.take(),
            child,
            out,
            err,
        }
    }

    /// `kill -9`; returns the output.
    pub fn kill(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.output()
    }

    pub fn send(&mut self, bytes: &[u8]) {
        let s = self.stdin.as_mut().expect("stdin open");
        s.write_all(bytes).unwrap();
        s.flush().unwrap();
    }

    /// Close the console's input.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    pub fn output(&self) -> String {
        text(&self.out)
    }

    pub fn errors(&self) -> String {
        text(&self.err)
    }

    /// Wait until the output satisfies `pred`; returns the whole output.
    pub fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let o = self.output();
            if pred(&o) {
                return o;
            }
            if t0.elapsed() > TIMEOUT {
                panic!(
                    "timed out waiting for {what}\n--- stdout:\n{o}\n--- stderr:\n{}",
                    self.errors()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn wait_text(&self, text: &str) -> String {
        self.wait(text, |o| o.contains(text))
    }

    /// Send a framed request (`src: "test"`) and wait for its answer frame.
    pub fn request(&mut self, id: u64, method: &str, params: Json) -> Json {
        let req = json!({"id": id, "src": "test", "method": method, "params": params});
        self.send(format!("{SOH}{req}\n").as_bytes());
        self.wait_frame(&format!("answer {id} to {method}"), |f| {
            f["id"] == json!(id)
        })
    }

    pub fn wait_frame(&self, what: &str, pred: impl Fn(&Json) -> bool) -> Json {
        let o = self.wait(what, |o| frames(o).iter().any(&pred));
        frames(&o).into_iter().find(|f| pred(f)).unwrap()
    }
}

impl Drop for ConsoleDevice {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ferrite device --http 127.0.0.1:0` on a data directory; killed on drop, and the directory
/// removed (unless taken by [`HttpDevice::restart`]).
pub struct HttpDevice {
    child: Child,
    _stdin: ChildStdin,
    pub port: u16,
    /// The data directory.
    pub dir: PathBuf,
}

impl Drop for HttpDevice {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl HttpDevice {
    /// A device on a fresh data directory.
    pub fn start() -> HttpDevice {
        HttpDevice::start_with(&[])
    }

    /// A device on a fresh data directory, with more options (e.g. `--ide DIR`).
    pub fn start_with(extra: &[&str]) -> HttpDevice {
        let mut dir = TempDir::new("http");
        // The device owns the directory from now on.
        let path = std::mem::take(&mut dir.0);
        HttpDevice::start_in_with(path, extra)
    }

    /// Kill the device (as `kill -9` would) and start it again on the same data directory.
    pub fn restart(mut self) -> HttpDevice {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = std::mem::take(&mut self.dir);
        drop(self); // its directory field is now empty: nothing is removed
        HttpDevice::start_in(dir)
    }

    fn start_in(dir: PathBuf) -> HttpDevice {
        HttpDevice::start_in_with(dir, &[])
    }

    fn start_in_with(dir: PathBuf, extra: &[&str]) -> HttpDevice {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferrite"))
            .args(["device", "--data"])
            .arg(&dir)
            .args(["--http", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ferrite device");
        let stdin = child.stdin.take().unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut port = None;
        let mut seen = String::new();
        for _ in 0..50 {
            let mut line = String::new();
            if err.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            seen.push_str(&line);
            if let Some(rest) = line
                .trim()
                .strip_prefix("http: listening on http://127.0.0.1:")
            {
                port = rest.parse().ok();
                break;
            }
        }
        let Some(port) = port else {
            let _ = child.kill();
            panic!("the device did not say where it listens; stderr:\n{seen}");
        };
        // Keep draining stderr so the device never blocks on it.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while err.read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
        });
        HttpDevice {
            child,
            _stdin: stdin,
            port,
            dir,
        }
    }
}

/// A test that needs a real peer (mosquitto, aioshelly) which is missing: skipped with a printed
/// reason — unless `FERRITE_REQUIRE_PEERS` is set (as `scripts/test.sh` does), where it fails, so
/// that CI never passes a peer test it did not run.
pub fn skip_without_peer(reason: &str) {
    if std::env::var_os("FERRITE_REQUIRE_PEERS").is_some() {
        panic!("a required test peer is missing: {reason}");
    }
    eprintln!("SKIPPED: {reason}");
}
