//! Drives the sans-IO [`Flasher`] over a [`Port`]: writes what it sends, feeds what arrives,
//! carries out baud changes and modem-line settings at once, prints progress lines on stderr.
//! After a hard reset ([`Done::Reset`]) it puts the port back to the firmware's 115200 baud.
//!
//! Must never: sleep (the waits of a reset sequence are the flasher's deadlines, waited for
//! by reading the port until then).

use std::time::{Duration, Instant};

use ferrite_flasher::flasher::{Config, Done, Output, Progress, Stage, Task};
use ferrite_flasher::{reset, Flasher};

use super::port::{self, Port};

/// How long a single write to the port may block.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Session {
    port: Port,
    flasher: Flasher,
    epoch: Instant,
    /// The last progress line printed: (stage, tenth).
    last_progress: Option<(Stage, u64)>,
}

impl Session {
    pub fn new(port: Port, cfg: Config) -> Session {
        Session {
            port,
            flasher: Flasher::new(cfg),
            epoch: Instant::now(),
            last_progress: None,
        }
    }

    pub fn flasher(&self) -> &Flasher {
        &self.flasher
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn progress(&mut self, p: Progress) {
        if p.total == 0 {
            return;
        }
        let tenth = p.done * 10 / p.total;
        if self.last_progress == Some((p.stage, tenth)) {
            return;
        }
        self.last_progress = Some((p.stage, tenth));
        eprintln!(
            "{}: {}/{} ({}%)",
            p.stage.name(),
            p.done,
            p.total,
            p.done * 100 / p.total
        );
    }

    /// Set DTR, then RTS, where given (a port without modem lines has none to set; the reset
    /// sequences never depend on the order within one setting). A line that cannot be set is
    /// reported, not fatal: the chip may be in download mode by hand.
    fn set_lines(&mut self, dtr: Option<bool>, rts: Option<bool>) {
        if !self.port.has_lines {
            return;
        }
        let r = dtr
            .map_or(Ok(()), |v| self.port.set_dtr(v))
            .and_then(|_| rts.map_or(Ok(()), |v| self.port.set_rts(v)));
        if let Err(e) = r {
            eprintln!("setting the modem lines: {e}");
        }
    }

    /// Run one task to its end.
    pub fn run(&mut self, task: Task) -> Result<Done, String> {
        let now = self.now();
        self.flasher.start(task, now).map_err(|e| e.to_string())?;
        self.last_progress = None;
        let mut buf = vec![0u8; 8192];
        loop {
            while let Some(out) = self.flasher.poll(self.now()) {
                match out {
                    Output::Send(bytes) => self
                        .port
                        .write_all(&bytes, WRITE_TIMEOUT)
                        .map_err(|e| format!("writing to the port: {e}"))?,
                    Output::SetBaud(b) => self
                        .port
                        .set_baud(b)
                        .map_err(|e| format!("setting {b} baud: {e}"))?,
                    Output::SetLines { dtr, rts } => self.set_lines(dtr, rts),
                    Output::Progress(p) => self.progress(p),
                    Output::Note(s) => eprintln!("{s}"),
                    Output::Done(Done::Reset) => {
                        // The firmware talks at the ROM's rate, not at a changed one.
                        self.port
                            .set_baud(port::ROM_BAUD)
                            .map_err(|e| format!("setting {} baud: {e}", port::ROM_BAUD))?;
                        return Ok(Done::Reset);
                    }
                    Output::Done(d) => return Ok(d),
                    Output::Failed(e) => {
                        let mut msg = e.to_string();
                        if matches!(e, ferrite_flasher::Error::NoAnswer { .. })
                            && !self.port.has_lines
                        {
                            msg.push_str(&format!(
                                "; this port has no DTR/RTS lines, so {}",
                                reset::MANUAL
                            ));
                        }
                        return Err(msg);
                    }
                }
            }
            let wait = match self.flasher.deadline() {
                Some(d) => Duration::from_millis(d.saturating_sub(self.now())),
                None => Duration::from_millis(100),
            };
            let n = self
                .port
                .read_some(wait, &mut buf)
                .map_err(|e| format!("reading from the port: {e}"))?;
            if n > 0 {
                let now = self.now();
                self.flasher.feed(&buf[..n], now);
            }
        }
    }
}
