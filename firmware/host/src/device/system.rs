//! The host as a chip: real time, random numbers from the kernel, a MAC address that stays the
//! same for a data directory, a crash marker in a file, and reboot requests.

use std::cell::Cell;
use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::rc::Rc;
use std::time::Instant;

use ferrite_runtime::board::{Clock, System};

/// Monotonic milliseconds since the device (re)booted, and the host's wall clock.
pub struct HostClock(Instant);

impl HostClock {
    pub fn new() -> HostClock {
        HostClock(Instant::now())
    }

    /// The instant of boot (time 0 of `now_ms`).
    pub fn epoch(&self) -> Instant {
        self.0
    }
}

impl Clock for HostClock {
    fn now_ms(&self) -> u64 {
        self.0.elapsed().as_millis() as u64
    }
    fn unix_time_ms(&self) -> Option<f64> {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs_f64() * 1000.0)
    }
}

/// The file that holds the crash marker (survives `kill -9`, as RTC RAM survives a reset).
pub const CRASH_MARKER_FILE: &str = "crash-marker";
/// The file that holds the MAC address (12 hex digits), written on first boot.
pub const MAC_FILE: &str = "mac";
/// The marker is written padded to this many bytes with one `pwrite`, so a kill between two
/// writes can never leave a mix of an old and a new marker.
const MARKER_SLOT: usize = 32;

pub struct HostSystem {
    urandom: Option<File>,
    /// Fallback when `/dev/urandom` cannot be read: a xorshift generator seeded from the time.
    fallback: u64,
    marker_file: File,
    marker: Vec<u8>,
    mac: [u8; 6],
    reboot: Rc<Cell<bool>>,
}

/// 32 bytes from the system's random source (secrets such as the digest nonce key).
pub fn random_key() -> Result<[u8; 32], String> {
    use std::io::Read;
    let mut key = [0u8; 32];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut key))
        .map_err(|e| format!("cannot read /dev/urandom: {e}"))?;
    Ok(key)
}

/// A MAC address for a data directory: a hash of its absolute path, as a locally administered
/// unicast address (so it can never collide with a real vendor's).
fn mac_for(dir: &Path) -> [u8; 6] {
    let abs = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    // FNV-1a, 64 bits.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in abs.to_string_lossy().bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let b = h.to_be_bytes();
    [(b[0] & 0xfc) | 0x02, b[1], b[2], b[3], b[4], b[5]]
}

fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let t: String = text.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    if t.len() != 12 {
        return None;
    }
    let mut mac = [0u8; 6];
    for (i, m) in mac.iter_mut().enumerate() {
        *m = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(mac)
}

impl HostSystem {
    /// Open the system state of data directory `dir` (which must exist): read or create the MAC
    /// and the crash marker file.
    pub fn open(dir: &Path) -> Result<HostSystem, String> {
        let mac_path = dir.join(MAC_FILE);
        let mac = match fs::read_to_string(&mac_path) {
            Ok(t) => parse_mac(&t).ok_or_else(|| {
                format!("{}: not a MAC address (12 hex digits)", mac_path.display())
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mac = mac_for(dir);
                let text: String = mac.iter().map(|b| format!("{b:02X}")).collect();
                fs::write(&mac_path, format!("{text}\n"))
                    .map_err(|e| format!("cannot write {}: {e}", mac_path.display()))?;
                mac
            }
            Err(e) => return Err(format!("cannot read {}: {e}", mac_path.display())),
        };
        let marker_path = dir.join(CRASH_MARKER_FILE);
        let mut marker_file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&marker_path)
            .map_err(|e| format!("cannot open {}: {e}", marker_path.display()))?;
        let mut marker = Vec::new();
        marker_file
            .read_to_end(&mut marker)
            .map_err(|e| format!("cannot read {}: {e}", marker_path.display()))?;
        while matches!(marker.last(), Some(b' ' | b'\n' | b'\r' | b'\0')) {
            marker.pop();
        }
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            ^ (std::process::id() as u64) << 32;
        Ok(HostSystem {
            urandom: File::open("/dev/urandom").ok(),
            fallback: seed | 1,
            marker_file,
            marker,
            mac,
            reboot: Rc::new(Cell::new(false)),
        })
    }

    /// The flag `request_reboot` sets; the main loop watches it.
    pub fn reboot_flag(&self) -> Rc<Cell<bool>> {
        self.reboot.clone()
    }
}

impl System for HostSystem {
    fn random(&mut self, buf: &mut [u8]) {
        if let Some(f) = &mut self.urandom {
            if f.read_exact(buf).is_ok() {
                return;
            }
        }
        for b in buf {
            self.fallback ^= self.fallback >> 12;
            self.fallback ^= self.fallback << 25;
            self.fallback ^= self.fallback >> 27;
            *b = (self.fallback.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8;
        }
    }

    fn crash_marker(&mut self) -> Option<Vec<u8>> {
        (!self.marker.is_empty()).then(|| self.marker.clone())
    }

    fn set_crash_marker(&mut self, marker: &[u8]) {
        if marker == self.marker.as_slice() {
            return;
        }
        self.marker = marker.to_vec();
        // One write of a fixed-size slot: the file holds the old or the new marker.
        let mut slot = marker.to_vec();
        if slot.len() < MARKER_SLOT {
            slot.resize(MARKER_SLOT, b' ');
            slot[MARKER_SLOT - 1] = b'\n';
        }
        // A failed write loses crash detection for one boot, nothing else: nowhere to report.
        let _ = self.marker_file.write_all_at(&slot, 0);
        // A longer marker written before must not leave its tail behind the new one.
        if self
            .marker_file
            .metadata()
            .is_ok_and(|m| m.len() > slot.len() as u64)
        {
            let _ = self.marker_file.set_len(slot.len() as u64);
        }
    }

    fn request_reboot(&mut self) {
        self.reboot.set(true);
    }

    /// The host's memory available to new allocations (`MemAvailable` of /proc/meminfo).
    fn ram_free(&self) -> Option<u64> {
        meminfo("MemAvailable:")
    }

    /// The host's memory (`MemTotal` of /proc/meminfo).
    fn ram_size(&self) -> Option<u64> {
        meminfo("MemTotal:")
    }

    fn mac(&self) -> [u8; 6] {
        self.mac
    }
}

/// A `/proc/meminfo` field in bytes (`None` off Linux or if unreadable).
fn meminfo(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ram_figures_come_from_meminfo() {
        let size = meminfo("MemTotal:").expect("Linux has /proc/meminfo");
        let free = meminfo("MemAvailable:").expect("MemAvailable");
        assert!(size > 0 && free <= size, "{free} of {size}");
        assert_eq!(meminfo("NoSuchField:"), None);
    }

    fn temp(tag: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!(
            "ferrite-system-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        fs::create_dir_all(&p).unwrap();
        p
    }

    #[test]
    fn mac_is_stable_and_local() {
        let d = temp("mac");
        let a = HostSystem::open(&d).unwrap().mac();
        let b = HostSystem::open(&d).unwrap().mac();
        assert_eq!(a, b);
        assert_eq!(a[0] & 0x03, 0x02, "locally administered unicast");
        assert!(fs::read_to_string(d.join(MAC_FILE)).unwrap().trim().len() == 12);
        fs::write(d.join(MAC_FILE), "0a:0b:0c:0d:0e:0f\n").unwrap();
        assert_eq!(
            HostSystem::open(&d).unwrap().mac(),
            [10, 11, 12, 13, 14, 15]
        );
        fs::write(d.join(MAC_FILE), "nonsense").unwrap();
        assert!(HostSystem::open(&d).is_err());
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn crash_marker_persists() {
        let d = temp("marker");
        let mut s = HostSystem::open(&d).unwrap();
        assert_eq!(s.crash_marker(), None);
        s.set_crash_marker(b"run:12");
        s.set_crash_marker(b"idle");
        s.set_crash_marker(b"run:3");
        drop(s);
        let mut s = HostSystem::open(&d).unwrap();
        assert_eq!(s.crash_marker().as_deref(), Some(&b"run:3"[..]));
        // A marker longer than the slot, then a short one: no tail of the long one is left.
        s.set_crash_marker(&[b'x'; 40]);
        s.set_crash_marker(b"run:4");
        assert_eq!(
            HostSystem::open(&d).unwrap().crash_marker().as_deref(),
            Some(&b"run:4"[..])
        );
        s.set_crash_marker(b"run:3");
        // Written by hand (as a test does before boot).
        fs::write(d.join(CRASH_MARKER_FILE), "run:7").unwrap();
        let mut s2 = HostSystem::open(&d).unwrap();
        assert_eq!(s2.crash_marker().as_deref(), Some(&b"run:7"[..]));
        s.request_reboot();
        assert!(s.reboot_flag().get());
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn random_bytes_differ() {
        let d = temp("rand");
        let mut s = HostSystem::open(&d).unwrap();
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        s.random(&mut a);
        s.random(&mut b);
        assert_ne!(a, b);
        let _ = fs::remove_dir_all(&d);
    }
}
