//! Worker threads of the network backend and how they wake the device loop.
//!
//! Blocking work (resolving a name and connecting, a whole HTTP request) runs on short-lived
//! threads; results come back through channels. So that the loop can sleep in `poll(2)` while
//! a worker runs, a worker calls [`WakeHandle::wake`] after sending its result: that writes a
//! byte to a self-pipe (a Unix socket pair) whose read end ([`Waker::fd`]) is in the loop's
//! poll set.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::time::Duration;

/// The read end of the self-pipe, owned by the network backend.
pub struct Waker {
    read: UnixStream,
    write: Arc<UnixStream>,
}

/// What a worker thread holds to wake the loop; `none()` wakes nobody (tests that poll).
#[derive(Clone, Default)]
pub struct WakeHandle(Option<Arc<UnixStream>>);

impl WakeHandle {
    pub fn none() -> WakeHandle {
        WakeHandle(None)
    }

    /// Make the loop's `poll(2)` return. Never blocks (a full pipe already wakes it).
    pub fn wake(&self) {
        if let Some(w) = &self.0 {
            let _ = (&**w).write(&[1]);
        }
    }
}

impl Waker {
    pub fn new() -> std::io::Result<Waker> {
        let (read, write) = UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        Ok(Waker {
            read,
            write: Arc::new(write),
        })
    }

    pub fn handle(&self) -> WakeHandle {
        WakeHandle(Some(self.write.clone()))
    }

    /// The descriptor to poll for reading.
    pub fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// Empty the pipe (after a wake-up, before looking at the channels).
    pub fn drain(&self) {
        let mut buf = [0u8; 64];
        while matches!((&self.read).read(&mut buf), Ok(n) if n > 0) {}
    }
}

/// Resolve `host` and connect to `port` on a worker thread named `name` (std has no
/// non-blocking connect), trying each address with `timeout`. The result arrives on the
/// returned channel (errors as text, e.g. `example.com:80: connection refused`), then `wake`
/// is called. `Err` if the thread could not be started.
pub fn connect_in_background(
    name: &str,
    host: &str,
    port: u16,
    timeout: Duration,
    wake: WakeHandle,
) -> Result<Receiver<Result<TcpStream, String>>, String> {
    let (tx, rx) = mpsc::channel();
    let host = host.to_string();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let r = (|| {
                let addrs = (host.as_str(), port)
                    .to_socket_addrs()
                    .map_err(|e| format!("{host}:{port}: {e}"))?;
                let mut last = format!("{host}:{port}: no address");
                for a in addrs {
                    match TcpStream::connect_timeout(&a, timeout) {
                        Ok(s) => return Ok(s),
                        Err(e) => last = format!("{a}: {e}"),
                    }
                }
                Err(last)
            })();
            // The receiver is gone if the requester gave up meanwhile.
            let _ = tx.send(r);
            wake.wake();
        })
        .map_err(|e| format!("cannot start the connect thread: {e}"))?;
    Ok(rx)
}

/// A `pollfd` for `fd` with `events`.
pub fn pollfd(fd: RawFd, events: i16) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_wakes_the_poll() {
        let w = Waker::new().unwrap();
        let mut fds = [pollfd(w.fd(), libc::POLLIN)];
        // SAFETY: a valid array of one pollfd.
        let idle = unsafe { libc::poll(fds.as_mut_ptr(), 1, 0) };
        assert_eq!(idle, 0);
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let rx = connect_in_background("t", "127.0.0.1", port, Duration::from_secs(5), w.handle())
            .unwrap();
        // SAFETY: as above; waits up to 5 s for the worker's wake-up.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 1, 5000) };
        assert_eq!(n, 1, "woken");
        assert!(
            rx.try_recv().unwrap().is_ok(),
            "the result is there once woken"
        );
        w.drain();
        // SAFETY: as above.
        assert_eq!(unsafe { libc::poll(fds.as_mut_ptr(), 1, 0) }, 0, "drained");
    }
}
