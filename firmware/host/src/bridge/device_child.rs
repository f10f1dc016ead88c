//! `ferrite bridge --device`: the virtual device as a child process (`ferrite device --pty
//! OPTIONS`, the same executable), whose console PTY the bridge opens.
//!
//! The child's standard error is read on a thread: the first `console: PATH` line gives the
//! PTY; every line is passed on to the bridge's standard error (prefixed `device: `), so the
//! child never blocks on a full pipe. The child dies with the bridge (`PR_SET_PDEATHSIG`, and
//! it exits at once if the bridge died before that was set up), so a killed bridge leaves no
//! device behind.

use std::io::{BufRead, BufReader};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long the child may take to print its console path.
const START_TIMEOUT: Duration = Duration::from_secs(20);

pub struct DeviceChild {
    child: Child,
    pub pty: String,
    /// Readable when the child exits (Linux 5.3+; `None` on older kernels, where the bridge
    /// looks at the child on a short timer instead).
    pidfd: Option<OwnedFd>,
}

/// A pidfd for `pid`, if the kernel has `pidfd_open`.
fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    let fd = RawFd::try_from(fd).ok().filter(|fd| *fd >= 0)?;
    // SAFETY: the fd was just returned by the kernel and is owned by nobody else.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

impl DeviceChild {
    /// Start `ferrite device --pty <options>` and wait for its console path.
    pub fn start(options: &[String]) -> Result<DeviceChild, String> {
        let exe = std::env::current_exe()
            .map_err(|e| format!("cannot find the ferrite executable: {e}"))?;
        let mut cmd = Command::new(exe);
        cmd.arg("device")
            .arg("--pty")
            .args(options)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // SAFETY: getpid is always safe.
        let parent = unsafe { libc::getpid() };
        // SAFETY: prctl, getppid and _exit are async-signal-safe; nothing else runs between
        // fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The bridge died before the death signal was set up: it will never come.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start ferrite device: {e}"))?;
        let stderr = child.stderr.take().ok_or("the device has no stderr pipe")?;
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stderr);
            let mut line = String::new();
            let mut tx = Some(tx);
            loop {
                line.clear();
                match r.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let l = line.trim_end();
                if let Some(path) = l.strip_prefix("console: ") {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(path.to_string());
                    }
                }
                eprintln!("device: {l}");
            }
        });
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(pty) => {
                let pidfd = pidfd_open(child.id());
                Ok(DeviceChild { child, pty, pidfd })
            }
            Err(_) => {
                let status = child.try_wait().ok().flatten();
                let _ = child.kill();
                let _ = child.wait();
                Err(match status {
                    Some(s) => format!("ferrite device exited ({s}) before opening its console"),
                    None => "ferrite device did not print its console path in time".to_string(),
                })
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// An fd that becomes readable when the child exits (see [`DeviceChild::exited`]).
    pub fn exit_fd(&self) -> Option<RawFd> {
        self.pidfd.as_ref().map(AsRawFd::as_raw_fd)
    }

    /// The exit status if the child has ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for DeviceChild {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
