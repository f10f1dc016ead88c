//! The SNTP client against a real NTP server: chrony's `chronyd` (Debian), started on loopback
//! with its own configuration (a local reference clock at stratum 10, its own port, never
//! touching the system clock). The client's request goes out over a real UDP socket and the
//! reply must give the wall clock within a second of the machine's.
//!
//! Skipped with a message when `chronyd` is missing, except where peers are required
//! (`FERRITE_REQUIRE_PEERS=1`, as `scripts/test.sh` sets), where that fails.

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferrite_protocols::sntp::{SntpClient, SntpError};

/// The port chronyd serves NTP on here.
const PORT: u16 = 11_123;

/// A `chronyd` serving NTP on 127.0.0.1:[`PORT`]; stopped when dropped.
struct Chrony {
    child: Child,
    dir: PathBuf,
}

impl Drop for Chrony {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_chrony() -> Result<Chrony, String> {
    let exe = ["/usr/sbin/chronyd", "/usr/bin/chronyd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .ok_or("chronyd is not installed (Debian package chrony)")?;
    let dir = std::env::temp_dir().join(format!("ferrite-chrony-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let conf = dir.join("chrony.conf");
    std::fs::write(
        &conf,
        format!(
            "port {PORT}\nbindaddress 127.0.0.1\ncmdport 0\nlocal stratum 10\nallow 127.0.0.1\n\
             pidfile {}\n",
            dir.join("chronyd.pid").display()
        ),
    )
    .map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    // -x: never adjust the system clock; -d: stay in the foreground.
    cmd.arg("-x").arg("-d").arg("-f").arg(&conf);
    // As root chronyd would drop to its own user, which cannot read this directory; as another
    // user it must be told not to insist on root.
    if is_root() {
        cmd.args(["-u", "root"]);
    } else {
        cmd.arg("-U");
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting chronyd: {e}"))?;
    Ok(Chrony { child, dir })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

/// Wait until chronyd answers a plain client packet (it takes a moment to start).
fn wait_until_serving(socket: &UdpSocket) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut probe = [0u8; 48];
    probe[0] = 0x23;
    let mut buf = [0u8; 512];
    while Instant::now() < deadline {
        socket.send_to(&probe, ("127.0.0.1", PORT)).unwrap();
        if socket.recv_from(&mut buf).is_ok() {
            return;
        }
    }
    panic!("chronyd did not answer on 127.0.0.1:{PORT} in 20 s");
}

fn unix_now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as f64
}

#[test]
fn the_client_takes_the_time_from_chrony() {
    let _chrony = match start_chrony() {
        Ok(c) => c,
        Err(e) if std::env::var_os("FERRITE_REQUIRE_PEERS").is_none_or(|v| v != "1") => {
            eprintln!("skipped: {e}");
            return;
        }
        Err(e) => panic!("chronyd is needed for the SNTP test (FERRITE_REQUIRE_PEERS=1): {e}"),
    };
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    wait_until_serving(&socket);

    // The device's boot clock: milliseconds since this test's start.
    let boot = Instant::now();
    let now_ms = || boot.elapsed().as_millis() as u64;
    let mut client = SntpClient::new("127.0.0.1", 0x5EED);
    let req = client.poll(now_ms()).expect("a first request at once");
    assert_eq!(req.server, "127.0.0.1");
    socket.send_to(&req.packet, ("127.0.0.1", PORT)).unwrap();
    let mut buf = [0u8; 512];
    let n = loop {
        let (n, from) = socket
            .recv_from(&mut buf)
            .expect("chronyd's reply to the client");
        assert_eq!(from.port(), PORT);
        match client.on_reply(&buf[..n], now_ms()) {
            Ok(()) => break n,
            // A late answer to one of the probes: not the client's.
            Err(SntpError::NotOurRequest) => continue,
            Err(e) => panic!("chronyd's reply was refused: {e}"),
        }
    };
    let wall = client.unix_time_ms(now_ms()).unwrap();
    let diff = (wall - unix_now_ms()).abs();
    assert!(diff < 1_000.0, "the client's clock is {diff} ms off");
    // The same reply again does not count.
    assert_eq!(
        client.on_reply(&buf[..n], now_ms()),
        Err(SntpError::NotWaiting)
    );
}
