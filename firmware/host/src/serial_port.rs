//! A serial port for `ferrite bridge` and `ferrite flash`: a tty (a board's USB serial) or a
//! pseudo-terminal (the virtual device's `--pty` console), opened non-blocking and locked (one
//! user per port), with the baud rate and the DTR/RTS modem
//! lines settable. A tty is put in raw mode; a PTY is used as its creator set it up (the
//! virtual device makes its PTY raw itself).
//!
//! Must never block: the fd is non-blocking and the bridge polls it. Must never take over a
//! terminal someone uses: a PTY that is the controlling terminal of a session (a terminal
//! window's shell — PTY numbers are reused, so a lost device's path may be a new terminal tab
//! now) is refused, and its modes are never touched. DTR/RTS on a PTY are refused with a
//! reason (a PTY has no modem lines); a baud rate on a PTY is accepted (it only records the
//! number, as a PTY has no line speed).

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// The baud rate when none is given.
pub const DEFAULT_BAUD: u32 = 115_200;

/// Unix98 PTY slaves have these major device numbers (Linux `UNIX98_PTY_SLAVE_MAJOR` and the
/// ones after it).
const PTY_SLAVE_MAJORS: std::ops::RangeInclusive<u32> = 136..=143;

pub struct SerialPort {
    fd: OwnedFd,
    path: String,
    is_pty: bool,
    baud: u32,
}

/// The termios speed constant for `baud`, if the kernel has one.
fn speed(baud: u32) -> Option<libc::speed_t> {
    Some(match baud {
        300 => libc::B300,
        1200 => libc::B1200,
        2400 => libc::B2400,
        4800 => libc::B4800,
        9600 => libc::B9600,
        19_200 => libc::B19200,
        38_400 => libc::B38400,
        57_600 => libc::B57600,
        115_200 => libc::B115200,
        230_400 => libc::B230400,
        460_800 => libc::B460800,
        500_000 => libc::B500000,
        576_000 => libc::B576000,
        921_600 => libc::B921600,
        1_000_000 => libc::B1000000,
        1_500_000 => libc::B1500000,
        2_000_000 => libc::B2000000,
        3_000_000 => libc::B3000000,
        _ => return None,
    })
}

fn os_err(what: &str) -> io::Error {
    let e = io::Error::last_os_error();
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

fn unsupported(baud: u32) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("unsupported baud rate {baud}"),
    )
}

/// A process (pid, session) whose controlling terminal `fd` is, if any: a terminal in use.
///
/// `TIOCGSID` cannot tell (Linux answers it only for the caller's own controlling terminal),
/// so the processes' `/proc/PID/stat` `tty_nr` fields are compared with the device number.
/// Processes of other users may be hidden (`hidepid`), but their terminals are not ours to
/// open anyway. The virtual device opens its PTY with `O_NOCTTY`, so no process has it.
fn terminal_user(fd: RawFd) -> Option<(u32, u32)> {
    // SAFETY: `st` is plain data filled by fstat on a valid fd.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return None;
    }
    let (major, minor) = (libc::major(st.st_rdev), libc::minor(st.st_rdev));
    // The kernel's encoding of tty_nr (new_encode_dev).
    let tty_nr =
        u64::from(minor & 0xff) | (u64::from(major) << 8) | (u64::from(minor & !0xff) << 12);
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid pgrp session tty_nr …`; comm may contain anything but `)`
        // ends it at the last one.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let (Some(session), Some(tty)) = (fields.get(3), fields.get(4)) else {
            continue;
        };
        if tty.parse::<u64>().ok() == Some(tty_nr) && tty_nr != 0 {
            return Some((pid, session.parse().unwrap_or(0)));
        }
    }
    None
}

/// Whether `fd` is a pseudo-terminal slave.
fn fd_is_pty(fd: RawFd, path: &str) -> bool {
    // SAFETY: `st` is plain data filled by fstat on a valid fd.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } == 0 {
        let major = libc::major(st.st_rdev);
        if PTY_SLAVE_MAJORS.contains(&major) {
            return true;
        }
    }
    path.starts_with("/dev/pts/")
}

/// Put the terminal `fd` in raw mode (8N1, receiver on, modem control lines ignored, reads
/// return what is there), at `speed` if given.
fn set_raw(fd: RawFd, speed: Option<libc::speed_t>) -> io::Result<()> {
    // SAFETY: termios is plain data, filled by tcgetattr on a valid terminal fd.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) != 0 {
            return Err(os_err("tcgetattr"));
        }
        libc::cfmakeraw(&mut t);
        t.c_cflag |= libc::CLOCAL | libc::CREAD;
        t.c_cc[libc::VMIN] = 1;
        t.c_cc[libc::VTIME] = 0;
        if let Some(sp) = speed {
            if libc::cfsetispeed(&mut t, sp) != 0 || libc::cfsetospeed(&mut t, sp) != 0 {
                return Err(os_err("cfsetspeed"));
            }
        }
        if libc::tcsetattr(fd, libc::TCSANOW, &t) != 0 {
            return Err(os_err("tcsetattr"));
        }
    }
    Ok(())
}

impl SerialPort {
    /// Open `path` non-blocking, raw, at `baud`.
    pub fn open(path: &str, baud: u32) -> io::Result<SerialPort> {
        let c = CString::new(path)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "the path contains NUL"))?;
        // SAFETY: a valid C string; the fd is owned right away.
        let fd = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(os_err(&format!("cannot open {path}")));
        }
        // SAFETY: `fd` was just opened and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        if unsafe { libc::isatty(fd.as_raw_fd()) } != 1 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{path} is not a terminal (a serial port or a PTY)"),
            ));
        }
        // One bridge per port: two readers of one line would each get part of its bytes. The
        // lock goes with the fd (released when the port closes or the bridge dies).
        // SAFETY: a valid, owned fd.
        if unsafe { libc::flock(fd.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("{path} is in use by another bridge (or another program that locked it)"),
            ));
        }
        let is_pty = fd_is_pty(fd.as_raw_fd(), path);
        if is_pty {
            if let Some((pid, sid)) = terminal_user(fd.as_raw_fd()) {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!(
                        "{path} is the controlling terminal of process {pid} (session {sid}): a \
                         terminal in use, not a device console; not bridged"
                    ),
                ));
            }
        }
        let mut port = SerialPort {
            fd,
            path: path.to_string(),
            is_pty,
            baud,
        };
        if is_pty {
            // A PTY's speed means nothing, but its line discipline does: cooked mode would echo
            // the bytes back to the other end and translate CR/LF. Raw, as pyserial (esptool)
            // makes every port it opens.
            speed(baud).ok_or_else(|| unsupported(baud))?;
            set_raw(port.fd.as_raw_fd(), None)?;
        } else {
            port.configure(baud)?;
        }
        Ok(port)
    }

    pub fn baud(&self) -> u32 {
        self.baud
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Raw mode (no echo, no line discipline, 8N1, receiver on, modem control lines ignored)
    /// at `baud`, for a tty.
    fn configure(&mut self, baud: u32) -> io::Result<()> {
        let sp = speed(baud).ok_or_else(|| unsupported(baud))?;
        set_raw(self.fd.as_raw_fd(), Some(sp))?;
        self.baud = baud;
        Ok(())
    }

    /// Raw mode without touching the speed (again: [`SerialPort::open`] already made the port
    /// raw; a program may have changed it since).
    pub fn make_raw(&mut self) -> io::Result<()> {
        set_raw(self.fd.as_raw_fd(), None)
    }

    /// Change the baud rate (a PTY only records it).
    pub fn set_baud(&mut self, baud: u32) -> Result<(), String> {
        if self.is_pty {
            speed(baud).ok_or_else(|| unsupported(baud).to_string())?;
            self.baud = baud;
            return Ok(());
        }
        self.configure(baud).map_err(|e| e.to_string())
    }

    /// Raise (`true`) or drop a modem control line (`TIOCM_DTR`, `TIOCM_RTS`).
    fn set_line(&mut self, bit: libc::c_int, on: bool, name: &str) -> Result<(), String> {
        if self.is_pty {
            return Err(format!(
                "{name} cannot be set on {}: a pseudo-terminal has no modem control lines",
                self.path
            ));
        }
        let req = if on { libc::TIOCMBIS } else { libc::TIOCMBIC };
        // SAFETY: TIOCMBIS/TIOCMBIC take a pointer to an int bit mask.
        let r = unsafe { libc::ioctl(self.fd.as_raw_fd(), req, &bit) };
        if r != 0 {
            return Err(format!("{name}: {}", io::Error::last_os_error()));
        }
        Ok(())
    }

    pub fn set_dtr(&mut self, on: bool) -> Result<(), String> {
        self.set_line(libc::TIOCM_DTR, on, "DTR")
    }

    pub fn set_rts(&mut self, on: bool) -> Result<(), String> {
        self.set_line(libc::TIOCM_RTS, on, "RTS")
    }

    /// Read what is there. `Ok(0)`: nothing now; `Err`: the port is gone (EOF, EIO, hang-up).
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: `buf` is valid for `buf.len()` bytes.
        let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            return Ok(n as usize);
        }
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "end of file on the port",
            ));
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(0),
            _ => Err(e),
        }
    }

    /// Write what the port takes now; `Ok(n)` may be less than `data.len()` (even 0).
    pub fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // SAFETY: `data` is valid for `data.len()` bytes.
        let n = unsafe { libc::write(self.fd.as_raw_fd(), data.as_ptr().cast(), data.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(0),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds() {
        assert!(speed(115_200).is_some());
        assert!(speed(9600).is_some());
        assert!(speed(12_345).is_none());
    }

    #[test]
    fn a_port_has_one_bridge() {
        // SAFETY: plain libc calls on fds this test owns.
        let master = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY) };
        assert!(master >= 0);
        let mut name = [0 as libc::c_char; 64];
        let path = unsafe {
            assert_eq!(libc::grantpt(master), 0);
            assert_eq!(libc::unlockpt(master), 0);
            assert_eq!(libc::ptsname_r(master, name.as_mut_ptr(), name.len()), 0);
            std::ffi::CStr::from_ptr(name.as_ptr())
                .to_string_lossy()
                .into_owned()
        };
        let first = SerialPort::open(&path, 115_200).expect("the first bridge opens the PTY");
        let second = SerialPort::open(&path, 115_200)
            .err()
            .expect("a second bridge is refused");
        assert!(
            second.to_string().contains("in use by another bridge"),
            "{second}"
        );
        drop(first);
        SerialPort::open(&path, 115_200).expect("free again once the first one closed it");
        unsafe { libc::close(master) };
    }

    #[test]
    fn a_regular_file_is_not_a_port() {
        let e = SerialPort::open("/proc/self/status", DEFAULT_BAUD)
            .err()
            .expect("not a terminal");
        assert!(e.to_string().contains("not a terminal"), "{e}");
        assert!(SerialPort::open("/nonexistent/tty", DEFAULT_BAUD).is_err());
    }
}
