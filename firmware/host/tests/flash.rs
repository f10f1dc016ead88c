//! `ferrite flash`, `chip-info`, `read-flash`, `erase` against `esp32-mock-bootloader` (PyPI), an
//! emulation of Espressif's ROM loader validated by the real esptool, over a PTY. Each test
//! starts its own mock (`run --pty --chip …`), which prints the PTY path on its first line; the
//! mock keeps its flash in memory for as long as it runs.
//!
//! Without the mock installed the tests are skipped with a message, unless
//! FERRITE_REQUIRE_PEERS is set (scripts/test.sh), where they fail.

#[path = "support/flash_mock.rs"]
mod flash_mock;
mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flash_mock::{ferrite, mock, ok, text};
use support::TempDir;

/// The `N written` count of the write summary.
fn written(stdout: &str) -> u32 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("flashed "))
        .unwrap_or_else(|| panic!("no write summary in:\n{stdout}"));
    let before = line.split(" written").next().unwrap();
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

/// An image with compressible and incompressible parts.
fn image(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|i| {
            if (i / 4096) % 3 == 0 {
                (i % 251) as u8
            } else {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            }
        })
        .collect()
}

fn write_file(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

fn blocks(len: usize) -> u32 {
    len.div_ceil(4096) as u32
}

/// Every chip the flasher knows, detected as the mock (whose answers come from esptool's chip
/// definitions) presents it: by security-info chip id (C2, C3, C6, H2, S3) or by magic value
/// (ESP8266, ESP32, S2).
#[test]
fn chip_info_for_every_chip() {
    for (chip, name, mac) in [
        ("esp32c3", "ESP32-C3", Some("24:0a:c4:1f:67:7d")),
        ("esp32", "ESP32", Some("24:0a:c4:e2:95:26")),
        ("esp8266", "ESP8266", Some("24:0a:c4:ce:2b:c1")),
        ("esp32s2", "ESP32-S2", None),
        ("esp32s3", "ESP32-S3", None),
        ("esp32c2", "ESP32-C2", None),
        ("esp32c6", "ESP32-C6", None),
        ("esp32h2", "ESP32-H2", None),
    ] {
        let Some(m) = mock(chip) else { return };
        let (out, err) = ok(&["chip-info", &m.pty]);
        assert!(
            out.contains(&format!("chip: {name}\n")),
            "{chip}: {out}\n{err}"
        );
        if let Some(mac) = mac {
            assert!(out.contains(&format!("mac: {mac}")), "{chip}: {out}");
        }
        if chip == "esp8266" {
            // espflash ships no ESP8266 stub: the ROM loader it is.
            assert!(out.contains("loader: rom"), "{out}");
            assert!(err.contains("no flasher stub for the ESP8266"), "{err}");
        } else {
            assert!(out.contains("loader: stub"), "{chip}: {out}");
            // The mock's flash answers RDID with 0x164020: 4 MiB.
            assert!(
                out.contains("flash: 4096 KiB (JEDEC id 0x164020)"),
                "{chip}: {out}"
            );
        }
    }
}

#[test]
fn a_wrong_chip_is_refused() {
    let Some(m) = mock("esp32c3") else { return };
    let o = ferrite(&["chip-info", &m.pty, "--chip", "esp32s3", "--no-stub"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("wrong chip: expected ESP32-S3, found ESP32-C3"),
        "{err}"
    );
}

#[test]
fn flash_with_stub_compressed_baud_change_read_back_and_reflash_skips() {
    let Some(m) = mock("esp32c3") else { return };
    let dir = TempDir::new("flash-stub");
    let img = image(300_000, 1);
    let path = write_file(dir.path(), "app.bin", &img);
    let path = path.to_str().unwrap();

    let (out, err) = ok(&[
        "flash", &m.pty, path, "--offset", "0x10000", "--baud", "460800",
    ]);
    assert!(err.contains("flasher stub running"), "{err}");
    assert!(err.contains("changed to 460800 baud"), "{err}");
    assert_eq!(written(&out), blocks(img.len()), "{out}");
    assert!(out.contains("verified (MD5)"), "{out}");
    // Compressed: fewer bytes on the wire than the image (a third of it is a ramp).
    let sent: u64 = out
        .split(" bytes sent")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("bytes sent");
    assert!(
        sent < img.len() as u64,
        "{sent} bytes sent for {} bytes",
        img.len()
    );

    let back = dir.path().join("back.bin");
    ok(&[
        "read-flash",
        &m.pty,
        "0x10000",
        &img.len().to_string(),
        back.to_str().unwrap(),
    ]);
    assert!(std::fs::read(&back).unwrap() == img, "read back differs");

    // The same image again: nothing written.
    let (out, _) = ok(&["flash", &m.pty, path, "--offset", "0x10000"]);
    assert_eq!(written(&out), 0, "{out}");

    // Two blocks changed: exactly those are written.
    let mut img2 = img.clone();
    img2[5] ^= 1;
    img2[200_000] ^= 1;
    let path2 = write_file(dir.path(), "app2.bin", &img2);
    let (out, _) = ok(&[
        "flash",
        &m.pty,
        path2.to_str().unwrap(),
        "--offset",
        "0x10000",
    ]);
    assert_eq!(written(&out), 2, "{out}");
    ok(&[
        "read-flash",
        &m.pty,
        "0x10000",
        &img2.len().to_string(),
        back.to_str().unwrap(),
    ]);
    assert!(
        std::fs::read(&back).unwrap() == img2,
        "read back differs after the partial write"
    );

    // Erasing a region with the stub, then the next flash writes that block again.
    ok(&["erase", &m.pty, "0x10000", "0x1000"]);
    let (out, _) = ok(&[
        "flash",
        &m.pty,
        path2.to_str().unwrap(),
        "--offset",
        "0x10000",
    ]);
    assert_eq!(written(&out), 1, "{out}");
}

#[test]
fn flash_without_stub_plain_and_compressed() {
    let Some(m) = mock("esp32") else { return };
    let dir = TempDir::new("flash-rom");
    let img = image(40_000, 2);
    let path = write_file(dir.path(), "app.bin", &img);
    let path = path.to_str().unwrap();

    let (out, err) = ok(&[
        "flash",
        &m.pty,
        path,
        "--no-stub",
        "--offset",
        "0x1000",
        "--baud",
        "921600",
    ]);
    assert!(err.contains("ROM loader"), "{err}");
    assert!(err.contains("changed to 921600 baud"), "{err}");
    assert_eq!(written(&out), blocks(img.len()), "{out}");

    let back = dir.path().join("back.bin");
    ok(&[
        "read-flash",
        &m.pty,
        "0x1000",
        &img.len().to_string(),
        back.to_str().unwrap(),
        "--no-stub",
    ]);
    assert!(
        std::fs::read(&back).unwrap() == img,
        "read back (ROM, 64-byte reads) differs"
    );

    let mut img2 = img.clone();
    img2[10_000] ^= 0xFF;
    let path2 = write_file(dir.path(), "app2.bin", &img2);
    let (out, _) = ok(&[
        "flash",
        &m.pty,
        path2.to_str().unwrap(),
        "--no-stub",
        "--no-compress",
        "--offset",
        "0x1000",
    ]);
    assert_eq!(written(&out), 1, "{out}");
    ok(&[
        "read-flash",
        &m.pty,
        "0x1000",
        &img2.len().to_string(),
        back.to_str().unwrap(),
        "--no-stub",
    ]);
    assert!(
        std::fs::read(&back).unwrap() == img2,
        "read back after the plain write differs"
    );

    // The ROM cannot erase.
    let o = ferrite(&["erase", &m.pty, "--no-stub"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).1.contains("needs the flasher stub"),
        "{}",
        text(&o).1
    );
}

#[test]
fn errors_are_clear() {
    let Some(m) = mock("esp32c3") else { return };
    let dir = TempDir::new("flash-errors");
    let path = write_file(dir.path(), "big.bin", &vec![0u8; 0x2000]);
    let o = ferrite(&[
        "flash",
        &m.pty,
        path.to_str().unwrap(),
        "--offset",
        "0x3ff000",
        "--no-stub",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("image too large"), "{}", text(&o).1);
    let o = ferrite(&["flash", &m.pty, "/nonexistent.bin"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).1.contains("cannot read /nonexistent.bin"),
        "{}",
        text(&o).1
    );
    let o = ferrite(&["chip-info", "/proc/self/status"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("not a terminal"), "{}", text(&o).1);
    let o = ferrite(&["flash", &m.pty]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn an_interrupted_flash_is_completed_by_the_next_run() {
    let Some(m) = mock("esp32c3") else { return };
    let dir = TempDir::new("flash-interrupt");
    let img = image(2 << 20, 3);
    let path = write_file(dir.path(), "big.bin", &img);
    let path = path.to_str().unwrap();

    // Kill the first run once it has started writing.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrite"))
        .args(["flash", &m.pty, path, "--offset", "0", "--no-compress"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        seen.push_str(&line);
        seen.push('\n');
        if line.starts_with("write: ") {
            child.kill().unwrap();
            break;
        }
    }
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the first run finished before it was interrupted:\n{seen}"
    );

    let (out, err) = ok(&["flash", &m.pty, path, "--offset", "0", "--no-compress"]);
    let n = written(&out);
    assert!(n > 0 && n <= blocks(img.len()), "{out}\n{err}");
    let back = dir.path().join("back.bin");
    ok(&[
        "read-flash",
        &m.pty,
        "0",
        &img.len().to_string(),
        back.to_str().unwrap(),
    ]);
    assert!(
        std::fs::read(&back).unwrap() == img,
        "read back after the interrupted flash differs"
    );
    let (out, _) = ok(&["flash", &m.pty, path, "--offset", "0"]);
    assert_eq!(written(&out), 0, "{out}");
}

/// A PTY pair whose other end nobody answers: the master stays open (so the slave does not
/// hang up) and unread.
struct SilentPty {
    master: std::os::fd::OwnedFd,
    path: String,
}

fn silent_pty() -> SilentPty {
    use std::os::fd::FromRawFd;
    // SAFETY: plain libc calls on a fd owned right away; ptsname's buffer is copied at once.
    unsafe {
        let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(fd >= 0, "posix_openpt");
        let master = std::os::fd::OwnedFd::from_raw_fd(fd);
        assert_eq!(libc::grantpt(fd), 0);
        assert_eq!(libc::unlockpt(fd), 0);
        let name = libc::ptsname(fd);
        assert!(!name.is_null());
        let path = std::ffi::CStr::from_ptr(name)
            .to_string_lossy()
            .into_owned();
        SilentPty { master, path }
    }
}

#[test]
fn silence_is_reported_as_no_answer_with_the_manual_reset_hint() {
    let pty = silent_pty();
    let started = Instant::now();
    let o = ferrite(&["chip-info", &pty.path]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("no answer from the bootloader"), "{err}");
    assert!(err.contains("hold BOOT"), "{err}");
    // 35 SYNCs of 100 ms each, not more.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    drop(pty.master);
}
