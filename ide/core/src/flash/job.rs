//! One flash job, sans-IO: connect to the loader, (erase the chip,) plan what to write for the
//! file on the chip that answered (`ferrite_esp_image::plan`), write and verify every segment
//! (the flasher compares first and writes only the blocks that differ), reset the chip into its
//! firmware — the browser's equivalent of `ferrite flash`.
//!
//! The driver (the flash worker, tests) passes port input to [`FlashJob::feed`], takes
//! [`FlashJob::poll`]'s messages in order (bytes to write, baud and line changes, progress,
//! the result), and calls `poll` again when [`FlashJob::deadline`] passes. The job ends with
//! exactly one `done` or `failed` message; after that it is inert.
//!
//! Must never: read a clock, sleep, send anything after it ended or was cancelled (but the line
//! release and the baud of a cancel), end without saying why (every failure names the stage
//! and the segment), or say the chip was reset when it could not be.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use ferrite_esp_image::Segment;
use ferrite_flasher::flasher::{ChipInfo, Config, Done, Output, Stage, Task, SECTOR};
use ferrite_flasher::image::{FlashFreq, FlashMode, FlashParams};
use ferrite_flasher::{check_baud, reset, Error, Flasher, ROM_BAUD};

use super::progress::ProgressTracker;
use super::protocol::{
    After, ChipMsg, DoneMsg, FlashParamsMsg, FlashRequest, FromFlashWorker, Posted,
};

/// What a message of the job is.
pub type Message = Posted<FromFlashWorker>;

/// Where the job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Connect,
    Erase,
    Write { index: usize },
    Reset,
    Over,
}

/// A segment of the plan; its bytes go to the flasher when its write starts.
#[derive(Debug)]
struct Planned {
    what: &'static str,
    offset: u32,
    len: u32,
    data: Vec<u8>,
}

/// Totals of the written segments.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    blocks_written: u32,
    blocks_unchanged: u32,
    bytes_written: u64,
}

/// A flash job; see the module docs for the driver loop.
#[derive(Debug)]
pub struct FlashJob {
    flasher: Flasher,
    request: FlashRequest,
    params: FlashParams,
    file: Vec<u8>,
    phase: Phase,
    chip: Option<ChipInfo>,
    segments: Vec<Planned>,
    /// Bytes to write of the segment being written, from the flasher's write progress.
    segment_to_write: Option<u64>,
    tally: Tally,
    progress: ProgressTracker,
    out: VecDeque<Message>,
    /// The rate the port is at (the page opened it at `request.baud`).
    baud: u32,
    /// A `lines` message went out: a cancel releases the lines.
    lines_set: bool,
    started: u64,
}

/// The request's baud rates, checked: `(baud, target_baud)`.
pub fn bauds(request: &FlashRequest) -> Result<(u32, Option<u32>), String> {
    let baud = check_baud("baud", request.baud)?;
    let target = match request.target_baud {
        Some(t) => Some(check_baud("target_baud", t)?),
        None => None,
    };
    Ok((baud, target))
}

/// The image parameters of a request, checked.
pub fn flash_params(msg: &FlashParamsMsg) -> Result<FlashParams, String> {
    let mode =
        match msg.mode.as_deref() {
            None | Some("") | Some("keep") => None,
            Some(m) => Some(FlashMode::from_name(m).ok_or_else(|| {
                format!("unknown flash mode {m:?} (qio, qout, dio, dout or keep)")
            })?),
        };
    let freq = match msg.freq.as_deref() {
        None | Some("") | Some("keep") => None,
        Some(f) => Some(FlashFreq::from_name(f).ok_or_else(|| {
            format!("unknown flash frequency {f:?} (such as 80m, 40m, 26m, 20m, or keep)")
        })?),
    };
    let size = match msg.size {
        None => None,
        Some(s) if s >= 1 << 20 && s.is_power_of_two() => Some(s),
        Some(s) => {
            return Err(format!(
                "flash size {s} bytes is not a power of two from 1 MiB"
            ))
        }
    };
    Ok(FlashParams { mode, freq, size })
}

fn mac_text(mac: &[u8; 6]) -> String {
    let mut s = String::with_capacity(17);
    for (i, b) in mac.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

impl FlashJob {
    /// Start flashing `file` at `now`. A request that cannot work (bad parameters, an empty
    /// file) ends at once with a `failed` message.
    pub fn new(request: FlashRequest, file: Vec<u8>, now: u64) -> FlashJob {
        let checked = bauds(&request);
        let params = checked.clone().and_then(|_| flash_params(&request.params));
        let (baud, target) = checked.clone().unwrap_or((ROM_BAUD, None));
        let cfg = Config {
            baud,
            target_baud: target.filter(|b| *b != baud),
            flash_size: params.as_ref().ok().and_then(|p| p.size),
            resets: request.resets,
            usb_id: request.usb_id,
            ..Config::default()
        };
        let mut job = FlashJob {
            flasher: Flasher::new(cfg),
            baud,
            lines_set: false,
            request,
            params: params.clone().unwrap_or_default(),
            file,
            phase: Phase::Connect,
            chip: None,
            segments: Vec::new(),
            segment_to_write: None,
            tally: Tally::default(),
            progress: ProgressTracker::new(),
            out: VecDeque::new(),
            started: now,
        };
        if let Err(e) = params {
            job.fail(e);
        } else if job.file.is_empty() {
            job.fail(format!("{} is empty: nothing to flash", job.file_label()));
        } else {
            job.progress.stage("connect", 0, 0);
            job.report(now);
            job.start(Task::Connect, now);
        }
        job
    }

    fn file_label(&self) -> String {
        if self.request.file_name.is_empty() {
            "the file".to_string()
        } else {
            self.request.file_name.clone()
        }
    }

    /// The job said `done` or `failed` (its last message may still wait in [`FlashJob::poll`]).
    pub fn ended(&self) -> bool {
        self.phase == Phase::Over
    }

    /// The chip that answered, once connected.
    pub fn chip(&self) -> Option<&ChipInfo> {
        self.chip.as_ref()
    }

    /// Bytes the port read.
    pub fn feed(&mut self, bytes: &[u8], now: u64) {
        if self.phase != Phase::Over {
            self.flasher.feed(bytes, now);
        }
    }

    /// The next message for the page, if any; also fires the timeouts that passed by `now`.
    pub fn poll(&mut self, now: u64) -> Option<Message> {
        if self.out.is_empty() && self.phase != Phase::Over {
            while let Some(o) = self.flasher.poll(now) {
                self.on_output(o, now);
                if self.phase == Phase::Over {
                    break;
                }
            }
        }
        self.out.pop_front()
    }

    /// When [`FlashJob::poll`] must be called even if nothing arrives (`None`: only on input).
    pub fn deadline(&self) -> Option<u64> {
        if !self.out.is_empty() {
            return Some(0);
        }
        if self.phase == Phase::Over {
            return None;
        }
        self.flasher.deadline()
    }

    /// Stop: nothing more is sent to the chip. Messages not yet taken are dropped (none of them
    /// reached the port); when the job set modem lines, both are released (`dtr` and `rts`
    /// false) so that the chip is neither held in reset nor strapped into the loader; the port
    /// goes back to the rate the job started at, and the job ends with `failed` + `cancelled`.
    /// A later job connects afresh; the flasher re-compares, so a cut write is completed safely.
    pub fn cancel(&mut self, _now: u64) {
        if self.phase == Phase::Over {
            return;
        }
        self.out.clear();
        self.phase = Phase::Over;
        if self.request.resets && self.lines_set {
            self.out.push_back(Posted::new(FromFlashWorker::Lines {
                dtr: Some(false),
                rts: Some(false),
            }));
        }
        if self.baud != self.request.baud {
            self.baud = self.request.baud;
            self.out
                .push_back(Posted::new(FromFlashWorker::Baud { baud: self.baud }));
        }
        self.out.push_back(Posted::new(FromFlashWorker::Failed {
            error: "cancelled".into(),
            cancelled: true,
        }));
    }

    fn start(&mut self, task: Task, now: u64) {
        let what = self.doing();
        if let Err(e) = self.flasher.start(task, now) {
            self.fail(format!("{what}: {e}"));
        }
    }

    /// What the job is doing, for error messages.
    fn doing(&self) -> String {
        match self.phase {
            Phase::Connect => "connecting to the loader".into(),
            Phase::Erase => "erasing the flash".into(),
            Phase::Write { index } => match self.segments.get(index) {
                Some(s) => format!(
                    "writing the {} (segment {} of {}, {} bytes at {:#x}) of {}",
                    s.what,
                    index + 1,
                    self.segments.len(),
                    s.len,
                    s.offset,
                    self.file_label()
                ),
                None => "writing".into(),
            },
            Phase::Reset => "resetting the chip into its firmware".into(),
            Phase::Over => "after the end".into(),
        }
    }

    fn push(&mut self, msg: FromFlashWorker) {
        self.out.push_back(Posted::new(msg));
    }

    fn note(&mut self, text: String) {
        self.push(FromFlashWorker::Note { text });
    }

    fn report(&mut self, now: u64) {
        if let Some(p) = self.progress.report(now) {
            self.push(FromFlashWorker::Progress(p));
        }
    }

    fn fail(&mut self, error: String) {
        self.phase = Phase::Over;
        self.push(FromFlashWorker::Failed {
            error,
            cancelled: false,
        });
    }

    fn on_output(&mut self, o: Output, now: u64) {
        match o {
            Output::Send(bytes) => self
                .out
                .push_back(Posted::with_bytes(FromFlashWorker::Tx, bytes)),
            Output::SetBaud(baud) => {
                self.baud = baud;
                self.push(FromFlashWorker::Baud { baud });
            }
            Output::SetLines { dtr, rts } => {
                self.lines_set = true;
                self.push(FromFlashWorker::Lines { dtr, rts });
            }
            Output::Progress(p) => {
                if p.stage == Stage::Write {
                    self.segment_to_write = Some(p.total);
                    self.progress.segment_write(p.done, p.total, now);
                } else {
                    self.progress.stage(p.stage.name(), p.done, p.total);
                }
                self.report(now);
            }
            Output::Note(text) => self.note(text),
            Output::Done(d) => self.on_done(d, now),
            Output::Failed(e) => self.on_failed(e),
        }
    }

    fn on_failed(&mut self, e: Error) {
        let mut msg = match self.phase {
            Phase::Write { .. } => format!(
                "{} ({} stage): {e}",
                self.doing(),
                self.progress.current_stage()
            ),
            _ => format!("{}: {e}", self.doing()),
        };
        if matches!(e, Error::NoAnswer { .. }) {
            let hint = if self.request.resets {
                "if the board does not enter the loader by itself"
            } else {
                "this port cannot reset the chip, so"
            };
            msg.push_str(&format!("; {hint} {}", reset::MANUAL));
        }
        self.fail(msg);
    }

    fn on_done(&mut self, d: Done, now: u64) {
        match (self.phase, d) {
            (Phase::Connect, Done::Connected(info)) => {
                self.push(FromFlashWorker::Chip(ChipMsg {
                    chip: info.chip.name().into(),
                    mac: info.mac.as_ref().map(mac_text),
                    flash_size: info.flash_size,
                    stub: info.stub,
                    baud: info.baud,
                }));
                self.chip = Some(info);
                if self.request.erase_all {
                    self.phase = Phase::Erase;
                    self.progress.stage("erase", 0, 1);
                    self.report(now);
                    self.note("erasing the whole flash".into());
                    self.start(Task::EraseAll, now);
                } else {
                    self.plan_and_write(now);
                }
            }
            (Phase::Erase, Done::Erased) => {
                self.progress.stage("erase", 1, 1);
                self.report(now);
                self.plan_and_write(now);
            }
            (Phase::Write { index }, Done::Written(r)) => {
                let written = if r.blocks_written == 0 {
                    0
                } else {
                    self.segment_to_write.take().unwrap_or_else(|| {
                        (u64::from(r.blocks_written) * u64::from(SECTOR)).min(u64::from(r.len))
                    })
                };
                self.segment_to_write = None;
                self.tally.blocks_written += r.blocks_written;
                self.tally.blocks_unchanged += r.blocks_total - r.blocks_written;
                self.tally.bytes_written += written;
                self.progress.segment_finished(written, now);
                let what = self.segments.get(index).map_or("segment", |s| s.what);
                self.note(format!(
                    "{what} at {:#x}: {} of {} blocks written, {} unchanged; verified",
                    r.offset,
                    r.blocks_written,
                    r.blocks_total,
                    r.blocks_total - r.blocks_written
                ));
                self.write_segment(index + 1, now);
            }
            (Phase::Reset, Done::Reset) => {
                if self.baud != ROM_BAUD {
                    self.baud = ROM_BAUD;
                    self.push(FromFlashWorker::Baud { baud: ROM_BAUD });
                }
                self.progress.stage("reset", 1, 1);
                self.report(now);
                self.finish(true, now);
            }
            (phase, d) => {
                let what = self.doing();
                let answer = match d {
                    Done::Connected(_) => "connected",
                    Done::Written(_) => "written",
                    Done::Read(_) => "read",
                    Done::Erased => "erased",
                    Done::Register(_) | Done::RegisterWritten => "register",
                    Done::Reset => "reset",
                };
                self.fail(format!(
                    "{what}: the flasher answered \"{answer}\" in phase {phase:?} (a bug)"
                ));
            }
        }
    }

    fn plan_and_write(&mut self, now: u64) {
        let Some(info) = self.chip.clone() else {
            self.fail("planning the image: not connected".into());
            return;
        };
        let planned = ferrite_esp_image::plan(
            &self.file,
            info.chip,
            info.flash_size,
            &self.params,
            self.request.offset,
        );
        let segments: Vec<Segment> = match planned {
            Ok(s) if s.is_empty() => {
                self.fail(format!("{}: nothing to write", self.file_label()));
                return;
            }
            Ok(s) => s,
            Err(e) => {
                self.fail(format!(
                    "{} cannot be flashed to this {}: {e}",
                    self.file_label(),
                    info.chip.name()
                ));
                return;
            }
        };
        // The file is no longer needed: the segments hold what goes to the flash.
        self.file = Vec::new();
        self.segments = segments
            .into_iter()
            .map(|s| Planned {
                what: s.what,
                offset: s.offset,
                len: s.data.len() as u32,
                data: s.data,
            })
            .collect();
        self.progress.set_segments(
            self.segments
                .iter()
                .map(|s| (s.what, u64::from(s.len)))
                .collect::<Vec<_>>(),
        );
        let plan: Vec<String> = self
            .segments
            .iter()
            .map(|s| format!("{} ({} bytes at {:#x})", s.what, s.len, s.offset))
            .collect();
        self.note(format!("writing {}", plan.join(", ")));
        self.write_segment(0, now);
    }

    fn write_segment(&mut self, index: usize, now: u64) {
        if index >= self.segments.len() {
            self.after_writing(now);
            return;
        }
        self.phase = Phase::Write { index };
        self.segment_to_write = None;
        let seg = &mut self.segments[index];
        let (offset, data) = (seg.offset, core::mem::take(&mut seg.data));
        let blocks = u64::from(seg.len.div_ceil(SECTOR));
        self.progress.begin_segment(index);
        self.progress.stage("compare", 0, blocks);
        self.report(now);
        self.start(Task::Write { offset, data }, now);
    }

    fn after_writing(&mut self, now: u64) {
        match self.request.after {
            // Without modem lines nothing can be reset: the chip stays in the loader (with the
            // stub running at the job's rate) until the person presses RESET.
            After::HardReset if !self.request.resets => {
                // The firmware, once the person reset the chip, talks at the ROM's rate.
                if self.baud != ROM_BAUD {
                    self.baud = ROM_BAUD;
                    self.push(FromFlashWorker::Baud { baud: ROM_BAUD });
                }
                self.note(
                    "this port cannot pulse RESET: press the board's RESET button to start the \
                     new firmware"
                        .into(),
                );
                self.finish(false, now);
            }
            After::HardReset => {
                self.phase = Phase::Reset;
                self.progress.stage("reset", 0, 1);
                self.report(now);
                self.start(Task::HardReset, now);
            }
            After::NoReset => self.finish(false, now),
        }
    }

    fn finish(&mut self, reset: bool, now: u64) {
        self.phase = Phase::Over;
        self.push(FromFlashWorker::Done(DoneMsg {
            written: self.tally.blocks_written,
            unchanged: self.tally.blocks_unchanged,
            bytes_written: self.tally.bytes_written,
            bytes_sent: self.flasher.bytes_sent(),
            ms: now.saturating_sub(self.started),
            verified: true,
            reset,
        }));
    }
}
