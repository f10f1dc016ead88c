//! The serial port for flashing: `serial_port::SerialPort` (a tty or a PTY, non-blocking), made raw —
//! also a PTY, which the bridge leaves as its creator set it up, because the loader protocol is
//! binary and a PTY's line discipline would echo it and translate CR/LF — plus blocking
//! helpers: write everything, wait for input until a deadline, drain before a baud change.
//!
//! Must never: take over a terminal in use (`SerialPort::open` refuses a session's
//! controlling terminal, and that check runs before anything is changed).

use std::io;
use std::time::Duration;

pub use crate::serial_port::SerialPort;

/// The rate every ROM loader starts at.
pub const ROM_BAUD: u32 = 115_200;

pub struct Port {
    inner: SerialPort,
    /// DTR/RTS can be driven (a real tty; a PTY has no modem lines).
    pub has_lines: bool,
}

impl Port {
    pub fn open(path: &str) -> io::Result<Port> {
        let mut inner = SerialPort::open(path, ROM_BAUD)?;
        inner.make_raw()?;
        // SAFETY: drops what the line held before we took it, on a valid fd.
        unsafe { libc::tcflush(inner.raw_fd(), libc::TCIOFLUSH) };
        let has_lines = inner.set_dtr(false).is_ok() && inner.set_rts(false).is_ok();
        Ok(Port { inner, has_lines })
    }

    pub fn set_baud(&mut self, baud: u32) -> Result<(), String> {
        // SAFETY: waits until what was written went out, on a valid fd.
        unsafe { libc::tcdrain(self.inner.raw_fd()) };
        self.inner.set_baud(baud)
    }

    pub fn set_dtr(&mut self, on: bool) -> Result<(), String> {
        self.inner.set_dtr(on)
    }

    pub fn set_rts(&mut self, on: bool) -> Result<(), String> {
        self.inner.set_rts(on)
    }

    /// Write all of `data`, waiting while the port is full (at most `timeout` in all).
    pub fn write_all(&mut self, mut data: &[u8], timeout: Duration) -> io::Result<()> {
        let deadline = std::time::Instant::now() + timeout;
        while !data.is_empty() {
            let n = self.inner.write(data)?;
            data = &data[n..];
            if n == 0 {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the port takes no more data",
                    ));
                }
                self.wait(libc::POLLOUT, left)?;
            }
        }
        Ok(())
    }

    /// Wait up to `timeout` for input; read what is there (empty: none in time).
    pub fn read_some(&mut self, timeout: Duration, buf: &mut [u8]) -> io::Result<usize> {
        if self.wait(libc::POLLIN, timeout)? {
            self.inner.read(buf)
        } else {
            Ok(0)
        }
    }

    fn wait(&mut self, events: libc::c_short, timeout: Duration) -> io::Result<bool> {
        let mut pfd = libc::pollfd {
            fd: self.inner.raw_fd(),
            events,
            revents: 0,
        };
        let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                return Ok(false);
            }
            return Err(e);
        }
        Ok(r > 0)
    }
}
