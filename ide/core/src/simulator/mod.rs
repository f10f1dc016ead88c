//! A simulated device session for the IDE's worker: [`Simulator::handle`] takes the page's
//! messages, [`Simulator::step`] runs the device for a bounded slice of wall time, advancing
//! virtual time as the [`Speed`] says, and returns what the page should see (log lines, errors
//! located in the project's files, board snapshots, traffic, RPC answers, idle notices).
//!
//! It never reads a clock itself (the worker passes wall time in) and never runs longer than
//! its budget plus one script slice.

mod device;
mod http_mock;
mod pushes;
mod snapshot;
mod timeline;

pub use device::{SimDevice, DEFAULT_EPOCH_MS, SLICES_PER_POLL};
pub use http_mock::MockState;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use ferrite_runtime::board::BoardEvent;
use ferrite_runtime::log::Level;
use ferrite_runtime::rpc::{Origin, RpcReply};

use crate::protocol::{
    BoardAction, ErrorLocation, FromWorker, LogEntry, ScriptError, Snapshot, Speed, ToWorker,
    Traffic,
};
use pushes::PushQueue;
use timeline::Timeline;

/// What one [`Simulator::step`] produced.
pub struct Step {
    pub out: Vec<FromWorker>,
    /// Call `step` again after this many wall milliseconds (`0.0`: at once, after serving
    /// messages); `None`: nothing will happen until a message arrives.
    pub wake_in_ms: Option<f64>,
}

/// Least wall time between two `State` messages (about 15 a second).
pub const SNAPSHOT_INTERVAL_MS: f64 = 66.0;
/// Most log lines one step sends (a script printing in a tight timer at Max speed).
pub const MAX_LOG_LINES_PER_STEP: usize = 5000;
/// Wall time over which `sim_rate` is measured.
const RATE_WINDOW_MS: f64 = 500.0;
/// At a finite speed, the device never lags its target by more than this (wall ms); beyond,
/// virtual time continues from where it is instead of racing to catch up.
const MAX_LAG_WALL_MS: f64 = 1000.0;

pub struct Simulator {
    dev: SimDevice,
    timeline: Timeline,
    pushes: PushQueue,
    log_seq: u64,
    /// Log lines of the current step, and how many were left out.
    log_buf: Vec<LogEntry>,
    log_dropped: u64,
    /// Pending transport RPC tokens → the page's `seq`.
    pending_rpc: BTreeMap<u32, u64>,
    /// A script was running at the last look (for `Idle`).
    was_running: bool,
    /// Why scripts stopped, for the next `Idle`.
    stop_reason: Option<String>,
    /// The last snapshot sent (without `sim_rate`) and when.
    last_snapshot: Option<Snapshot>,
    last_snapshot_wall: f64,
    /// A snapshot is owed at once (after Run, Stop, a board action).
    snapshot_due: bool,
    /// Measurement window of `sim_rate`: (wall, virtual) at its start, and the last rate.
    rate_start: (f64, u64),
    sim_rate: f64,
    /// The latest wall time seen.
    wall_now: f64,
    /// Something happened since the last snapshot was sent (a script ran, a message came).
    dirty: bool,
    /// What the runtime said at the last poll.
    last_poll: Option<ferrite_runtime::Poll>,
}

impl Default for Simulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Simulator {
    /// An idle simulated device (no scripts yet).
    pub fn new() -> Simulator {
        Simulator {
            dev: SimDevice::boot(Vec::new(), DEFAULT_EPOCH_MS),
            timeline: Timeline::new(Speed::Realtime, 0.0, 0),
            pushes: PushQueue::default(),
            log_seq: 0,
            log_buf: Vec::new(),
            log_dropped: 0,
            pending_rpc: BTreeMap::new(),
            was_running: false,
            stop_reason: None,
            last_snapshot: None,
            last_snapshot_wall: f64::NEG_INFINITY,
            snapshot_due: false,
            rate_start: (0.0, 0),
            sim_rate: 0.0,
            wall_now: 0.0,
            last_poll: None,
            dirty: false,
        }
    }

    /// The device, for tests and tools.
    pub fn device(&self) -> &SimDevice {
        &self.dev
    }

    pub fn speed(&self) -> Speed {
        self.timeline.speed
    }

    /// Handle one message from the page at wall time `wall_ms` (milliseconds, monotonic).
    pub fn handle(&mut self, msg: ToWorker, wall_ms: f64) -> Vec<FromWorker> {
        self.wall_now = self.wall_now.max(wall_ms);
        self.dirty = true;
        let mut out = Vec::new();
        match msg {
            ToWorker::Run {
                run,
                files,
                start,
                http_mocks,
                speed,
                epoch_ms,
            } => {
                // Everything after this belongs to the new run.
                out.push(FromWorker::Started { run });
                self.dev = SimDevice::boot(http_mocks, epoch_ms);
                self.pushes.clear();
                self.pending_rpc.clear();
                self.last_poll = None;
                self.log_seq = 0;
                self.log_buf.clear();
                self.log_dropped = 0;
                self.stop_reason = None;
                self.last_snapshot = None;
                self.timeline = Timeline::new(speed, wall_ms, 0);
                self.rate_start = (wall_ms, 0);
                self.sim_rate = 0.0;
                if let Err(why) = self.dev.load_project(&files, &start) {
                    self.stop_reason = Some(why);
                }
                // A start that failed at once (a syntax error) is reported as idle too.
                self.was_running = true;
                self.snapshot_due = true;
            }
            ToWorker::Stop => {
                let n = self.dev.stop_all();
                self.pushes.clear();
                if n == 0 && !self.was_running {
                    // No transition will report it: every Stop gets its Idle (the page's
                    // watchdog waits for one).
                    out.push(FromWorker::Idle {
                        reason: "nothing was running".into(),
                    });
                } else {
                    self.stop_reason = Some("stopped".into());
                }
                self.snapshot_due = true;
            }
            ToWorker::SetSpeed { speed } => {
                let now = self.dev.now_ms();
                self.timeline.set_speed(speed, wall_ms, now);
                self.rate_start = (wall_ms, now);
                self.snapshot_due = true;
            }
            ToWorker::SetHttpMocks { mocks } => {
                self.dev.http.borrow_mut().mocks = mocks;
            }
            ToWorker::Board { action } => {
                if let Err(e) = self.board_action(action) {
                    self.dev.log_error(0, e);
                }
                self.snapshot_due = true;
            }
            ToWorker::MqttPublish {
                topic,
                payload,
                retain,
            } => {
                self.dev
                    .mqtt
                    .publish_from_outside(&topic, payload.as_bytes(), retain);
                out.push(FromWorker::Traffic {
                    entries: alloc::vec![Traffic::Mqtt {
                        ts_ms: self.dev.now_ms(),
                        from_device: false,
                        topic,
                        payload,
                        retain,
                    }],
                });
            }
            ToWorker::Rpc {
                seq,
                method,
                params,
            } => {
                let params = if params.is_null() {
                    serde_json::json!({})
                } else {
                    params
                };
                match self.dev.rt.rpc(&method, params, Origin::Transport) {
                    RpcReply::Done(r) => out.push(rpc_result(seq, r)),
                    RpcReply::Pending(token) => {
                        self.pending_rpc.insert(token, seq);
                    }
                }
                self.snapshot_due = true;
            }
            ToWorker::Eval { code } => {
                self.dev.rt.console_eval(code.as_bytes());
            }
            ToWorker::Check { seq, code } => {
                out.push(FromWorker::Diagnostics {
                    seq,
                    diagnostics: crate::lint::check(&code),
                });
            }
        }
        self.collect(&mut out, wall_ms, false);
        out
    }

    fn board_action(&mut self, action: BoardAction) -> Result<(), String> {
        let sim = &self.dev.sim;
        match action {
            BoardAction::Pin { pin, level } => sim.drive(pin, level).map_err(|e| e.to_string()),
            BoardAction::Analog { pin, raw } => sim.set_analog(pin, raw).map_err(|e| e.to_string()),
            BoardAction::InputLevel { id, down } => {
                sim.inject(BoardEvent::InputLevel { id, level: down });
                Ok(())
            }
            BoardAction::InputPush { id, push } => {
                let now = self.dev.now_ms();
                self.pushes.push(now, id, push);
                Ok(())
            }
            BoardAction::Part { addr, what, value } => {
                if sim.set_part(0, addr, &what, value) {
                    Ok(())
                } else {
                    Err(format!("the part at 0x{addr:02x} has no reading {what:?}"))
                }
            }
            BoardAction::Load { id, watts } => {
                if !watts.is_finite() || watts < 0.0 {
                    return Err(format!("load {watts} W"));
                }
                let volts = {
                    let d = self.dev.rt.device();
                    let d = d.borrow();
                    let s = d.components.switches.iter().find(|s| s.id == id);
                    match s {
                        Some(s) => s.voltage,
                        None => return Err(format!("there is no switch:{id}")),
                    }
                };
                sim.inject(BoardEvent::PowerSample { id, watts, volts });
                Ok(())
            }
            BoardAction::WifiInRange { in_range } => {
                self.dev.wifi.0.borrow_mut().set_in_range(in_range);
                Ok(())
            }
        }
    }

    /// Run the device for at most `budget_ms` of wall time (read through `wall`), advancing
    /// virtual time as the speed says.
    pub fn step(&mut self, wall: &dyn Fn() -> f64, budget_ms: f64) -> Step {
        let start = wall();
        self.wall_now = self.wall_now.max(start);
        let mut out = Vec::new();
        let mut busy = false;
        if self.timeline.speed != Speed::Paused {
            let now = self.dev.now_ms();
            self.timeline.limit_lag(start, now, MAX_LAG_WALL_MS);
            loop {
                let w = wall();
                self.wall_now = self.wall_now.max(w);
                if w - start >= budget_ms {
                    busy = true;
                    break;
                }
                self.inject_due_pushes();
                let p = self.dev.rt.poll();
                self.last_poll = Some(p);
                self.drain_log();
                if p.busy {
                    self.dirty = true;
                    continue;
                }
                // Idle until the next deadline: jump there if the speed allows, else move to
                // the target (never past it) and wait.
                let now = self.dev.now_ms();
                let next = self
                    .next_deadline(p.next_deadline_ms)
                    .map(|d| d.max(now + 1));
                match (next, self.timeline.target(self.wall_now)) {
                    (Some(n), None) => {
                        self.dev.clock.set(n);
                        self.dirty = true;
                    }
                    (Some(n), Some(t)) if n <= t => {
                        self.dev.clock.set(n);
                        self.dirty = true;
                    }
                    (_, Some(t)) if t > now => {
                        self.dev.clock.set(t);
                        self.dirty = true;
                    }
                    _ => break,
                }
            }
        }
        let wall_end = wall();
        self.wall_now = self.wall_now.max(wall_end);
        self.collect(&mut out, wall_end, true);
        let wake_in_ms = self.wake_in(busy, wall_end);
        Step { out, wake_in_ms }
    }

    fn inject_due_pushes(&mut self) {
        let now = self.dev.now_ms();
        for (id, level) in self.pushes.take_due(now) {
            self.dev.sim.inject(BoardEvent::InputLevel { id, level });
        }
    }

    fn next_deadline(&self, runtime: Option<u64>) -> Option<u64> {
        match (runtime, self.pushes.next_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// When the worker should step again.
    fn wake_in(&mut self, busy: bool, wall_ms: f64) -> Option<f64> {
        if self.timeline.speed == Speed::Paused {
            return None;
        }
        if busy {
            return Some(0.0);
        }
        let now = self.dev.now_ms();
        let runtime_deadline = match self.last_poll {
            Some(p) if p.busy => return Some(0.0),
            Some(p) => p.next_deadline_ms,
            // Not polled since the device booted: poll at once.
            None => return Some(0.0),
        };
        let mut wake = self
            .next_deadline(runtime_deadline)
            .and_then(|d| self.timeline.wall_until(now, d));
        // While a script runs at a finite speed, time goes on even with nothing scheduled (the
        // device's uptime does): look again at the snapshot rate to move the clock.
        if self.was_running && self.timeline.speed.factor().is_some_and(|f| f > 0.0) {
            wake = Some(wake.map_or(SNAPSHOT_INTERVAL_MS, |w| w.min(SNAPSHOT_INTERVAL_MS)));
        }
        // A snapshot held back by the rate limit still has to go out.
        if self.dirty {
            let left = (self.last_snapshot_wall + SNAPSHOT_INTERVAL_MS - wall_ms).max(0.0);
            wake = Some(wake.map_or(left, |w| w.min(left)));
        }
        wake
    }

    /// Everything new since the last look: log lines, errors, traffic, RPC answers, idle
    /// notices, and a snapshot if one is due.
    fn collect(&mut self, out: &mut Vec<FromWorker>, wall_ms: f64, after_step: bool) {
        self.drain_log();
        self.dropped_notice();
        let lines = core::mem::take(&mut self.log_buf);
        if !lines.is_empty() {
            out.push(FromWorker::Log { lines });
        }
        let mut had_error = false;
        for (id, e) in self.dev.rt.take_uncaught_errors() {
            had_error = true;
            let location = self.dev.file_of(id).map(|f| ErrorLocation {
                file: f.into(),
                line: e.line.max(1),
                col: e.col.max(1),
            });
            out.push(FromWorker::ScriptError {
                error: ScriptError {
                    script: id,
                    kind: ferrite_runtime::runtime::error_kind(&e).into(),
                    name: e.name,
                    message: e.message,
                    location,
                    stack: e.stack,
                },
            });
        }
        let mut traffic: Vec<Traffic> = self
            .dev
            .mqtt
            .take_published()
            .into_iter()
            .map(|p| Traffic::Mqtt {
                ts_ms: 0,
                from_device: true,
                topic: p.topic,
                payload: String::from_utf8_lossy(&p.payload).into_owned(),
                retain: p.retain,
            })
            .collect();
        let now = self.dev.now_ms();
        for t in traffic.iter_mut() {
            if let Traffic::Mqtt { ts_ms, .. } = t {
                *ts_ms = now;
            }
        }
        traffic.append(&mut core::mem::take(
            &mut self.dev.http.borrow_mut().traffic,
        ));
        if !traffic.is_empty() {
            out.push(FromWorker::Traffic { entries: traffic });
        }
        for (token, r) in self.dev.rt.take_rpc_done() {
            if let Some(seq) = self.pending_rpc.remove(&token) {
                out.push(rpc_result(seq, r));
            }
        }
        // Idle: every script stopped.
        let running = self.dev.any_running();
        if self.was_running && !running {
            let reason = self.stop_reason.take().unwrap_or_else(|| {
                if had_error {
                    "a script stopped with an error".into()
                } else {
                    "every script stopped".into()
                }
            });
            out.push(FromWorker::Idle { reason });
            self.snapshot_due = true;
        }
        if running {
            self.stop_reason = None;
        }
        self.was_running = running;
        if had_error {
            self.snapshot_due = true;
        }
        self.update_rate(wall_ms);
        let throttle_ok = wall_ms - self.last_snapshot_wall >= SNAPSHOT_INTERVAL_MS;
        if self.snapshot_due || (after_step && throttle_ok) {
            let snap = snapshot::take(&self.dev, self.timeline.speed, self.sim_rate);
            let mut key = snap.clone();
            key.sim_rate = 0.0;
            if self.snapshot_due || self.last_snapshot.as_ref() != Some(&key) {
                out.push(FromWorker::State { snapshot: snap });
                self.last_snapshot = Some(key);
                self.last_snapshot_wall = wall_ms;
            }
            self.snapshot_due = false;
            self.dirty = false;
        }
    }

    /// Move new device log lines into the buffer of the current step (before the device's
    /// bounded log drops them), at most [`MAX_LOG_LINES_PER_STEP`] per step.
    fn drain_log(&mut self) {
        let d = self.dev.rt.device();
        let d = d.borrow();
        let next = d.log.next_seq();
        if next == self.log_seq {
            return;
        }
        for l in d.log.since(self.log_seq) {
            if self.log_buf.len() >= MAX_LOG_LINES_PER_STEP {
                self.log_dropped += 1;
                continue;
            }
            self.log_buf.push(LogEntry {
                ts_ms: l.ts_ms,
                level: match l.level {
                    Level::Error => "error",
                    Level::Warn => "warn",
                    Level::Info => "info",
                    Level::Script => "script",
                }
                .into(),
                script: l.script,
                text: l.text.clone(),
            });
        }
        // Lines the device's log dropped before we looked.
        let first = d.log.since(self.log_seq).next().map_or(next, |l| l.seq);
        self.log_dropped += first.saturating_sub(self.log_seq);
        self.log_seq = next;
    }

    /// A notice for the lines left out since the last one.
    fn dropped_notice(&mut self) {
        if self.log_dropped > 0 {
            let ts_ms = self.dev.now_ms();
            self.log_buf.push(LogEntry {
                ts_ms,
                level: "warn".into(),
                script: 0,
                text: format!(
                    "… {} log lines left out (the simulator ran faster than the log can show)",
                    self.log_dropped
                ),
            });
            self.log_dropped = 0;
        }
    }

    fn update_rate(&mut self, wall_ms: f64) {
        let (w0, v0) = self.rate_start;
        let dw = wall_ms - w0;
        if dw >= RATE_WINDOW_MS {
            let now = self.dev.now_ms();
            self.sim_rate = now.saturating_sub(v0) as f64 / dw;
            self.rate_start = (wall_ms, now);
        }
    }
}

fn rpc_result(
    seq: u64,
    r: Result<ferrite_runtime::json::Json, ferrite_runtime::rpc::RpcError>,
) -> FromWorker {
    match r {
        Ok(v) => FromWorker::RpcResult {
            seq,
            result: Some(v),
            error: None,
        },
        Err(e) => FromWorker::RpcResult {
            seq,
            result: None,
            error: Some(format!("{e}")),
        },
    }
}
