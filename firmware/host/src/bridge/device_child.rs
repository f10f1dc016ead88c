//! `ferrite bridge --device`: the virtual device as a child process (`ferrite device --pty
//! OPTIONS`, the same executable), whose console PTY the bridge opens.
//!
//! The child's standard error is read on a thread: the first `console: PATH` line gives the
//! PTY; every line is passed on to the bridge's standard error (prefixed `device: `), so the
//! child never blocks on a full pipe. The child dies with the bridge (`PR_SET_PDEATHSIG`), so
//! a killed bridge leaves no device behind.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long the child may take to print its console path.
const START_TIMEOUT: Duration = Duration::from_secs(20);

pub struct DeviceChild {
    child: Child,
    pub pty: String,
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
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
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
            Ok(pty) => Ok(DeviceChild { child, pty }),
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
