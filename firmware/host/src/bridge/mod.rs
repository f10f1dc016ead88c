//! `ferrite bridge`: a serial port (a board's tty, a PTY) or the virtual device's console
//! (`--device`) as a WebSocket, so that a browser without WebSerial — and tests — can reach a
//! console. The message protocol is in docs/PROTOCOL.md §5:
//!
//! - binary messages both ways are the raw serial bytes;
//! - text messages from the client are control requests (`{"baud": N}`, `{"dtr": b, "rts": b}`),
//!   answered with `{"event": "set", "ok", "error"?}`;
//! - the bridge sends `{"event": "open", "port", "baud"}` when the port is open (and to each new
//!   client) and `{"event": "lost", "reason"}` when it goes away, then retries every 500 ms
//!   (a serial path; with `--device` the bridge never reopens the PTY, it waits for the
//!   device's exit and exits too).
//!
//! Only clients the [`access::Access`] policy allows (no `Origin`, or a loopback or
//! `--allow-origin` one; a sane `Host`) get in: any web page could open a WebSocket to
//! loopback otherwise. One client at a time: a new one takes over and the previous one is
//! closed with code 4000. One thread, non-blocking fds and `poll(2)`: nothing spins while idle
//! (errors and hang-ups `poll` reports end the connection or the port; a failing `accept`
//! pauses the listener), and every buffer is bounded (the port is not read while the client is
//! behind, and a client that stops reading for 10 s is dropped; the client is not read while
//! the port is behind).

mod access;
mod client;
mod control;
mod device_child;
mod options;

use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::{Duration, Instant};

use access::Access;
pub use options::parse;
use options::{BridgeOptions, Target};

use crate::serial_port::SerialPort;
use client::{Incoming, WsConn};
use device_child::DeviceChild;

/// How often a lost port is tried again.
const RETRY: Duration = Duration::from_millis(500);
/// Connections still in their HTTP upgrade at once (more are refused).
const MAX_PENDING: usize = 8;
/// Bytes for the port not written yet; beyond it the client is not read.
const TO_PORT_LIMIT: usize = 256 * 1024;
/// Client output beyond which the port is not read (the client is behind).
const CLIENT_BACKLOG: usize = 256 * 1024;
/// The close code a client gets when another one takes over.
pub const TAKEOVER_CODE: u16 = 4000;
/// How long the listener rests after `accept` failed (e.g. out of fds), instead of spinning.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);
/// Without a pidfd, how often a `--device` child is looked at.
const CHILD_CHECK: Duration = Duration::from_millis(250);
const POLL_TROUBLE: libc::c_short = libc::POLLERR | libc::POLLHUP | libc::POLLNVAL;

struct Bridge {
    listener: TcpListener,
    access: Rc<Access>,
    /// `accept` failed: the listener is left alone until then.
    accept_paused_until: Option<Instant>,
    path: String,
    baud: u32,
    port: Option<SerialPort>,
    /// Why the port is not open (sent to a client that connects meanwhile).
    lost_reason: String,
    retry_at: Option<Instant>,
    client: Option<WsConn>,
    /// Connections in their upgrade.
    pending: Vec<WsConn>,
    /// Clients that were taken over, writing their close frame.
    closing: Vec<WsConn>,
    to_port: Vec<u8>,
    device: Option<DeviceChild>,
}

/// Run the bridge until it is killed (or, with `--device`, the device exits). Returns the exit
/// status.
pub fn run(opts: BridgeOptions) -> i32 {
    let device = match &opts.target {
        Target::Device(device_opts) => match DeviceChild::start(device_opts) {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!("ferrite bridge: {e}");
                return 1;
            }
        },
        Target::Path(_) => None,
    };
    let path = match (&opts.target, &device) {
        (Target::Path(p), _) => p.clone(),
        (Target::Device(_), Some(d)) => d.pty.clone(),
        (Target::Device(_), None) => return 1,
    };
    let listener = match TcpListener::bind(&opts.listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("ferrite bridge: cannot listen on {}: {e}", opts.listen);
            return 2;
        }
    };
    let local = match listener
        .set_nonblocking(true)
        .and_then(|_| listener.local_addr())
    {
        Ok(a) => a,
        Err(e) => {
            eprintln!("ferrite bridge: {}: {e}", opts.listen);
            return 2;
        }
    };
    if let Some(d) = &device {
        eprintln!("bridge: device pid {}", d.pid());
    }
    eprintln!("bridge: ws://{local} (serial {path})");
    let mut b = Bridge {
        listener,
        access: Rc::new(Access::new(&opts.listen, &opts.allow_origins)),
        accept_paused_until: None,
        path,
        baud: opts.baud,
        port: None,
        lost_reason: "not opened yet".into(),
        retry_at: None,
        client: None,
        pending: Vec::new(),
        closing: Vec::new(),
        to_port: Vec::new(),
        device,
    };
    b.try_open();
    loop {
        if let Some(status) = b.step() {
            return status;
        }
    }
}

impl Bridge {
    fn try_open(&mut self) {
        match SerialPort::open(&self.path, self.baud) {
            Ok(p) => {
                eprintln!("bridge: opened {} at {} baud", self.path, p.baud());
                let ev = control::open_event(&self.path, p.baud());
                self.port = Some(p);
                self.retry_at = None;
                if let Some(c) = &mut self.client {
                    c.send_text(&ev);
                }
            }
            Err(e) => {
                if self.retry_at.is_none() {
                    eprintln!("bridge: {e}; trying again every 0.5 s");
                }
                self.lost_reason = e.to_string();
                self.retry_at = Some(Instant::now() + RETRY);
            }
        }
    }

    /// The port went away: tell the client, try again later (a serial path; the PTY of a
    /// `--device` child is never reopened: the child is exiting).
    fn lose(&mut self, reason: String) {
        eprintln!("bridge: lost {}: {reason}", self.path);
        self.port = None;
        self.to_port.clear();
        if let Some(c) = &mut self.client {
            c.send_text(&control::lost_event(&reason));
        }
        self.lost_reason = reason;
        self.retry_at = self.device.is_none().then(|| Instant::now() + RETRY);
    }

    /// One round: accept, read, write, then wait in `poll(2)`. `Some(status)`: exit.
    fn step(&mut self) -> Option<i32> {
        // The device's exit is looked at every round, whatever the port and the client do.
        if let Some(status) = self.device.as_mut().and_then(|d| d.exited()) {
            let reason = format!("the device process exited ({status})");
            eprintln!("bridge: {reason}");
            if let Some(c) = &mut self.client {
                c.send_text(&control::lost_event(&reason));
                c.close(1001, "the device exited");
                c.flush_blocking(Duration::from_secs(1));
            }
            return Some(1);
        }
        self.accept();
        self.serve_pending();
        self.serve_client();
        self.serve_port();
        let now = Instant::now();
        if let Some(c) = &mut self.client {
            c.flush();
            c.check_timers(now);
            if c.dead {
                eprintln!("bridge: the client is gone");
                self.client = None;
            }
        }
        for c in self.closing.iter_mut() {
            c.flush();
            c.check_timers(now);
        }
        self.closing.retain(|c| !c.dead);
        if self.port.is_none() && self.retry_at.is_some_and(|t| Instant::now() >= t) {
            self.try_open();
        }
        self.wait();
        None
    }

    fn accept(&mut self) {
        if let Some(t) = self.accept_paused_until {
            if Instant::now() < t {
                return;
            }
            self.accept_paused_until = None;
        }
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if self.pending.len() >= MAX_PENDING || stream.set_nonblocking(true).is_err() {
                        continue; // dropped: closed
                    }
                    self.pending.push(WsConn::new(stream, self.access.clone()));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    // EMFILE, ENFILE, ENOBUFS…: the connection stays queued and the listener
                    // readable; rest instead of spinning.
                    eprintln!("bridge: accept: {e}; pausing");
                    self.accept_paused_until = Some(Instant::now() + ACCEPT_PAUSE);
                    break;
                }
            }
        }
    }

    /// Upgrades in progress; a finished one takes over from the current client.
    fn serve_pending(&mut self) {
        let mut i = 0;
        while i < self.pending.len() {
            let mut inc = Vec::new();
            self.pending[i].read(true, &mut inc);
            self.pending[i].flush();
            let opened = inc.first() == Some(&Incoming::Opened);
            if opened {
                let mut c = self.pending.remove(i);
                self.take_over();
                let ev = match &self.port {
                    Some(p) => control::open_event(&self.path, p.baud()),
                    None => control::lost_event(&self.lost_reason),
                };
                c.send_text(&ev);
                self.client = Some(c);
                // Messages that came with the upgrade.
                for m in inc.into_iter().skip(1) {
                    self.on_message(m);
                }
                continue;
            }
            let p = &self.pending[i];
            if p.dead || p.accepted.elapsed() >= client::HANDSHAKE_TIMEOUT {
                self.pending.remove(i);
                continue;
            }
            i += 1;
        }
    }

    /// Close the current client (code 4000): a new one takes its place.
    fn take_over(&mut self) {
        if let Some(mut old) = self.client.take() {
            eprintln!("bridge: a new client takes over");
            old.close(TAKEOVER_CODE, "taken over by another client");
            old.flush();
            if !old.dead {
                self.closing.push(old);
            }
        }
    }

    fn serve_client(&mut self) {
        let Some(c) = &mut self.client else {
            return;
        };
        let mut inc = Vec::new();
        c.read(self.to_port.len() < TO_PORT_LIMIT, &mut inc);
        for m in inc {
            self.on_message(m);
        }
    }

    fn on_message(&mut self, m: Incoming) {
        match m {
            Incoming::Opened => {}
            Incoming::Binary(bytes) => {
                // Bytes for a port that is not open are lost, as on a disconnected cable.
                if self.port.is_some() {
                    self.to_port.extend_from_slice(&bytes);
                }
            }
            Incoming::Text(text) => {
                let r = control::parse(&text).and_then(|c| self.apply(&c));
                if let Some(cl) = &mut self.client {
                    cl.send_text(&control::set_event(&r));
                }
            }
        }
    }

    /// Apply a control request to the port (all of it that can be; the first error is the
    /// answer).
    fn apply(&mut self, c: &control::Control) -> Result<(), String> {
        let Some(port) = &mut self.port else {
            return Err(format!("the port is not open: {}", self.lost_reason));
        };
        let mut first_err: Option<String> = None;
        if let Some(baud) = c.baud {
            match port.set_baud(baud) {
                Ok(()) => self.baud = baud,
                Err(e) => first_err = first_err.or(Some(e)),
            }
        }
        if let Some(on) = c.dtr {
            if let Err(e) = port.set_dtr(on) {
                first_err = first_err.or(Some(e));
            }
        }
        if let Some(on) = c.rts {
            if let Err(e) = port.set_rts(on) {
                first_err = first_err.or(Some(e));
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    fn client_has_room(&self) -> bool {
        self.client
            .as_ref()
            .is_none_or(|c| c.out_len() < CLIENT_BACKLOG)
    }

    /// Write what waits for the port; read what it has (to the client, or dropped when there
    /// is none — a serial line nobody listens to).
    fn serve_port(&mut self) {
        let room = self.client_has_room();
        let Some(port) = &mut self.port else {
            return;
        };
        let mut lost: Option<String> = None;
        while !self.to_port.is_empty() {
            match port.write(&self.to_port) {
                Ok(0) => break,
                Ok(n) => {
                    self.to_port.drain(..n);
                }
                Err(e) => {
                    lost = Some(format!("write error: {e}"));
                    break;
                }
            }
        }
        if lost.is_none() && room {
            let mut buf = [0u8; 16 * 1024];
            // A bounded amount per round.
            for _ in 0..8 {
                match port.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if let Some(c) = &mut self.client {
                            c.send_binary(&buf[..n]);
                        }
                    }
                    Err(e) => {
                        lost = Some(format!("read error: {e}"));
                        break;
                    }
                }
            }
        }
        if let Some(reason) = lost {
            self.lose(reason);
        }
    }

    /// Wait in `poll(2)` for a socket, the port, the device's exit or a timer; then act on
    /// the errors and hang-ups it reports (they are reported whether asked for or not, so
    /// leaving them unhandled would spin).
    fn wait(&mut self) {
        /// Whose each pollfd is.
        enum Owner {
            Listener,
            Pending(usize),
            Closing(usize),
            Client,
            Port,
            Device,
        }
        let mut fds: Vec<libc::pollfd> = Vec::new();
        let mut owners: Vec<Owner> = Vec::new();
        let mut timeout: Option<Duration> = None;
        let mut at = |t: Instant| {
            let d = t.saturating_duration_since(Instant::now());
            timeout = Some(timeout.map_or(d, |x: Duration| x.min(d)));
        };
        let mut add = |fd: libc::pollfd, owner: Owner| {
            fds.push(fd);
            owners.push(owner);
        };
        match self.accept_paused_until {
            Some(t) => at(t),
            None => add(
                libc::pollfd {
                    fd: self.listener.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                Owner::Listener,
            ),
        }
        for (k, p) in self.pending.iter().enumerate() {
            if let Some(fd) = p.pollfd(true) {
                add(fd, Owner::Pending(k));
            }
            at(p.accepted + client::HANDSHAKE_TIMEOUT);
        }
        for (k, c) in self.closing.iter().enumerate() {
            if let Some(fd) = c.pollfd(false) {
                add(fd, Owner::Closing(k));
            }
            if let Some(t) = c.next_timer() {
                at(t);
            }
        }
        if let Some(c) = &self.client {
            if let Some(fd) = c.pollfd(self.to_port.len() < TO_PORT_LIMIT) {
                add(fd, Owner::Client);
            }
            if let Some(t) = c.next_timer() {
                at(t);
            }
        }
        match &self.port {
            Some(p) => {
                let mut events = 0;
                if self.client_has_room() {
                    events |= libc::POLLIN;
                }
                if !self.to_port.is_empty() {
                    events |= libc::POLLOUT;
                }
                // Even with no events asked for: a hang-up is reported.
                add(
                    libc::pollfd {
                        fd: p.raw_fd(),
                        events,
                        revents: 0,
                    },
                    Owner::Port,
                );
            }
            None => {
                if let Some(t) = self.retry_at {
                    at(t);
                }
            }
        }
        if let Some(d) = &self.device {
            match d.exit_fd() {
                Some(fd) => add(
                    libc::pollfd {
                        fd,
                        events: libc::POLLIN,
                        revents: 0,
                    },
                    Owner::Device,
                ),
                None => at(Instant::now() + CHILD_CHECK),
            }
        }
        // Rounded up: waking before the time would spin.
        let ms = timeout.map_or(-1, |d| {
            d.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
        });
        // SAFETY: `fds` is a valid array of `fds.len()` pollfd structs.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if n <= 0 {
            return;
        }
        for (fd, owner) in fds.iter().zip(&owners) {
            let r = fd.revents;
            if r & POLL_TROUBLE == 0 {
                continue;
            }
            // Asked to read and readable: the next round's read finds the error or the end
            // (after what is left to read), with its reason.
            let read_tells = fd.events & libc::POLLIN != 0 && r & libc::POLLIN != 0;
            match owner {
                Owner::Listener | Owner::Device => {}
                Owner::Pending(k) => self.pending[*k].on_poll_error(),
                Owner::Closing(k) => self.closing[*k].on_poll_error(),
                Owner::Client if !read_tells => {
                    if let Some(c) = &mut self.client {
                        c.on_poll_error();
                    }
                }
                Owner::Port if !read_tells => {
                    let what = if r & libc::POLLNVAL != 0 {
                        "invalid fd"
                    } else if r & libc::POLLERR != 0 {
                        "error"
                    } else {
                        "hang-up"
                    };
                    self.lose(format!("{what} on the port"));
                }
                Owner::Client | Owner::Port => {}
            }
        }
    }
}
