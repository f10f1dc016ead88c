//! The console's line: standard input and output, or a pseudo-terminal that behaves like the
//! USB serial port of a board (raw mode: no echo, no line editing, no newline translation by
//! the kernel — the device does all of that itself).
//!
//! Reads never block (the fd is polled first); writes to the PTY never block either (bytes
//! wait in a bounded queue until the other end reads them).

use std::collections::VecDeque;
use std::ffi::CStr;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the SIGINT handler (Ctrl-C at a terminal in cooked mode sends a signal, not a byte).
static SIGINT_SEEN: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_sig: libc::c_int) {
    SIGINT_SEEN.store(true, Ordering::SeqCst);
}

/// Make Ctrl-C at the terminal interrupt the console instead of killing the device.
pub fn catch_sigint() {
    let handler: extern "C" fn(libc::c_int) = on_sigint;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
    }
}

/// Whether SIGINT arrived since the last call.
pub fn take_sigint() -> bool {
    SIGINT_SEEN.swap(false, Ordering::SeqCst)
}

/// Bytes waiting for a PTY reader; beyond this, new output is dropped (a UART with nobody
/// listening loses bytes too).
const MAX_QUEUED: usize = 256 * 1024;

/// What a read found.
#[derive(Debug, PartialEq, Eq)]
pub enum Input {
    /// `n` bytes were read into the buffer.
    Data(usize),
    /// Nothing to read now.
    Nothing,
    /// The input ended (standard input closed).
    End,
}

pub enum ConsoleIo {
    Stdio,
    Pty {
        master: OwnedFd,
        /// Kept open so that the master never sees a hang-up while no terminal program is
        /// attached (and the path stays valid).
        _slave: OwnedFd,
        path: String,
        queue: VecDeque<u8>,
    },
}

fn os_err(what: &str) -> io::Error {
    let e = io::Error::last_os_error();
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// Whether `fd` has something to read (or a hang-up / error to report) right now.
fn readable(fd: RawFd) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, timeout 0.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    n > 0 && p.revents != 0
}

impl ConsoleIo {
    pub fn stdio() -> ConsoleIo {
        ConsoleIo::Stdio
    }

    /// Create a pseudo-terminal in raw mode; its slave path is what a terminal program or an
    /// IDE opens.
    pub fn pty() -> io::Result<ConsoleIo> {
        // SAFETY: plain libc calls on fds this function owns; every result is checked.
        unsafe {
            let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
            if m < 0 {
                return Err(os_err("posix_openpt"));
            }
            let master = OwnedFd::from_raw_fd(m);
            if libc::grantpt(m) != 0 {
                return Err(os_err("grantpt"));
            }
            if libc::unlockpt(m) != 0 {
                return Err(os_err("unlockpt"));
            }
            let mut name = [0 as libc::c_char; 256];
            if libc::ptsname_r(m, name.as_mut_ptr(), name.len()) != 0 {
                return Err(os_err("ptsname_r"));
            }
            let path = CStr::from_ptr(name.as_ptr()).to_string_lossy().into_owned();
            let s = libc::open(
                name.as_ptr(),
                libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
            );
            if s < 0 {
                return Err(os_err(&format!("open {path}")));
            }
            let slave = OwnedFd::from_raw_fd(s);
            // Raw mode on the slave, as a serial line: bytes pass untouched both ways.
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(s, &mut t) != 0 {
                return Err(os_err("tcgetattr"));
            }
            libc::cfmakeraw(&mut t);
            libc::cfsetispeed(&mut t, libc::B115200);
            libc::cfsetospeed(&mut t, libc::B115200);
            if libc::tcsetattr(s, libc::TCSANOW, &t) != 0 {
                return Err(os_err("tcsetattr"));
            }
            let flags = libc::fcntl(m, libc::F_GETFL);
            if flags < 0 || libc::fcntl(m, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
                return Err(os_err("fcntl O_NONBLOCK"));
            }
            Ok(ConsoleIo::Pty {
                master,
                _slave: slave,
                path,
                queue: VecDeque::new(),
            })
        }
    }

    /// Whether input comes from a terminal in cooked mode, which echoes lines itself (so
    /// the cursor is at the start of a line after each Enter).
    pub fn terminal_echoes(&self) -> bool {
        match self {
            // SAFETY: isatty only inspects the fd.
            ConsoleIo::Stdio => unsafe { libc::isatty(libc::STDIN_FILENO) == 1 },
            ConsoleIo::Pty { .. } => false,
        }
    }

    pub fn is_pty(&self) -> bool {
        matches!(self, ConsoleIo::Pty { .. })
    }

    /// The slave path of a PTY.
    pub fn pty_path(&self) -> Option<&str> {
        match self {
            ConsoleIo::Pty { path, .. } => Some(path),
            ConsoleIo::Stdio => None,
        }
    }

    fn input_fd(&self) -> RawFd {
        match self {
            ConsoleIo::Stdio => libc::STDIN_FILENO,
            ConsoleIo::Pty { master, .. } => master.as_raw_fd(),
        }
    }

    /// Read what is available without blocking.
    pub fn read(&mut self, buf: &mut [u8]) -> Input {
        let fd = self.input_fd();
        if !readable(fd) {
            return Input::Nothing;
        }
        // SAFETY: `buf` is valid for `buf.len()` bytes.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        match n {
            n if n > 0 => Input::Data(n as usize),
            0 => Input::End,
            _ => {
                let e = io::Error::last_os_error();
                match e.kind() {
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Input::Nothing,
                    // A PTY master reports EIO while no slave is open; ours always is, but
                    // treat it as a quiet line rather than an end.
                    _ if self.is_pty() => Input::Nothing,
                    _ => Input::End,
                }
            }
        }
    }

    /// Write bytes (standard output: now, blocking; PTY: queued, see [`ConsoleIo::flush`]).
    pub fn write(&mut self, data: &[u8]) {
        match self {
            ConsoleIo::Stdio => {
                let mut out = io::stdout().lock();
                // Nobody to tell if standard output is gone.
                let _ = out.write_all(data);
                let _ = out.flush();
            }
            ConsoleIo::Pty { queue, .. } => {
                if queue.len() + data.len() <= MAX_QUEUED {
                    queue.extend(data.iter().copied());
                }
                self.flush();
            }
        }
    }

    /// Write as much of the PTY queue as the other end takes now. Returns whether bytes went.
    pub fn flush(&mut self) -> bool {
        let ConsoleIo::Pty { master, queue, .. } = self else {
            return false;
        };
        let mut wrote = false;
        while !queue.is_empty() {
            let (a, _) = queue.as_slices();
            // SAFETY: `a` is valid for `a.len()` bytes; the fd is non-blocking.
            let n = unsafe { libc::write(master.as_raw_fd(), a.as_ptr().cast(), a.len()) };
            if n <= 0 {
                break;
            }
            queue.drain(..n as usize);
            wrote = true;
        }
        wrote
    }

    /// The fds (and events) the main loop waits on for this line.
    pub fn wait_fds(&self, reading: bool, fds: &mut Vec<libc::pollfd>) {
        if reading {
            fds.push(libc::pollfd {
                fd: self.input_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
        }
        if let ConsoleIo::Pty { master, queue, .. } = self {
            if !queue.is_empty() {
                fds.push(libc::pollfd {
                    fd: master.as_raw_fd(),
                    events: libc::POLLOUT,
                    revents: 0,
                });
            }
        }
    }
}
