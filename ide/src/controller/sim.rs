//! Running the project on the simulator and folding the worker's answers into the view:
//! Run/Stop/speed, board actions, RPCs, the REPL, the console (rendered once per animation
//! frame), errors with their editor markers, snapshots and traffic.

use ferrite_ide_core::protocol::{
    BoardAction, Diagnostic, FromWorker, ScriptError, Severity, Speed, ToWorker,
};
use leptos::prelude::*;
use serde_json::Value;

use super::{Ctx, PendingLine};
use crate::editor::monaco;
use crate::state::sim_view::{LineKind, SimState, CONSOLE_MAX_LINES};
use crate::util::dom;

impl Ctx {
    /// Boot a fresh device with every file of the shown project and start the open file.
    pub fn run(&self) {
        let Some((files, start, http_mocks)) = self
            .ws
            .try_with_untracked(|w| {
                w.current()
                    .map(|p| (p.files.clone(), w.open_file.clone(), p.http_mocks.clone()))
            })
            .flatten()
        else {
            return;
        };
        let Some(client) = self.client() else { return };
        // Launch first: the Run goes to this generation of the worker.
        client.launch();
        let generation = client.generation();
        let Some(run) = self.svc.try_update_value(|s| {
            s.run_seq += 1;
            s.run_started = false;
            s.run_generation = generation;
            s.run_seq
        }) else {
            return;
        };
        let marked = self
            .svc
            .try_update_value(|s| {
                s.user_stopped = false;
                s.awaiting_output = true;
                s.pending_lines.clear();
                std::mem::take(&mut s.run_marked)
            })
            .unwrap_or_default();
        for file in marked {
            monaco::set_markers(&file, "run", "[]");
        }
        self.console.try_update(|c| c.clear());
        self.traffic.try_update(|t| t.clear());
        // The run's output is in the simulator console.
        self.dev
            .console_tab
            .try_set(super::device::ConsoleTab::Simulator);
        self.status.try_update(|s| {
            s.sim = SimState::Running;
            s.notice = None;
        });
        dom::set_hook("runAt", dom::perf_now());
        let speed = self.speed.try_get_untracked().unwrap_or_default();
        client.send(&ToWorker::Run {
            run,
            files,
            start,
            http_mocks,
            speed,
            epoch_ms: dom::now_ms(),
        });
    }

    pub fn stop(&self) {
        self.svc.try_update_value(|s| s.user_stopped = true);
        self.status.try_update(|s| {
            s.sim = SimState::Stopped;
            s.notice = None;
        });
        if let Some(c) = self.client() {
            c.stop();
        }
    }

    pub fn set_speed(&self, speed: Speed) {
        self.speed.try_set(speed);
        self.send(&ToWorker::SetSpeed { speed });
    }

    pub fn send(&self, msg: &ToWorker) {
        if let Some(c) = self.client() {
            c.send(msg);
        }
    }

    pub fn board(&self, action: BoardAction) {
        self.send(&ToWorker::Board { action });
    }

    /// Call an RPC method of the device (`Switch.Set`, `Number.Set`, …).
    pub fn rpc(&self, method: &str, params: Value) {
        let seq = self
            .svc
            .try_update_value(|s| {
                s.rpc_seq += 1;
                s.rpc_seq
            })
            .unwrap_or(0);
        self.send(&ToWorker::Rpc {
            seq,
            method: method.to_string(),
            params,
        });
    }

    /// The REPL: evaluate `code` in the device's console realm.
    pub fn eval(&self, code: &str) {
        self.queue_line(LineKind::Input, format!("> {code}"), None);
        self.send(&ToWorker::Eval {
            code: code.to_string(),
        });
    }

    pub fn clear_console(&self) {
        self.svc.try_update_value(|s| s.pending_lines.clear());
        self.console.try_update(|c| c.clear());
    }

    /// Everything the worker says.
    pub(super) fn on_worker(&self, msg: FromWorker) {
        let about_last_run = matches!(
            msg,
            FromWorker::Log { .. }
                | FromWorker::ScriptError { .. }
                | FromWorker::State { .. }
                | FromWorker::Traffic { .. }
                | FromWorker::Idle { .. }
        );
        let generation = self.client().map_or(0, |c| c.generation());
        let waiting = self
            .svc
            .try_with_value(|s| !s.run_started && s.run_generation == generation)
            .unwrap_or(false);
        if waiting && about_last_run {
            // Sent before the worker saw our Run: about the run before (a late Idle must not
            // mark the new run idle, old output must not show as new).
            return;
        }
        match msg {
            FromWorker::Started { run } => {
                self.svc.try_update_value(|s| {
                    if s.run_seq == run {
                        s.run_started = true;
                    }
                });
            }
            FromWorker::Ready => {
                // A fresh worker never saw an earlier Run (a restart drops what was queued).
                self.svc.try_update_value(|s| s.run_started = true);
                self.status.try_update(|s| {
                    if s.sim == SimState::Starting {
                        s.sim = SimState::Ready;
                    }
                });
                // A lint request posted to a worker that was then replaced is lost: ask again.
                self.lint_now();
            }
            FromWorker::Log { lines } => {
                for e in lines {
                    self.queue_line(LineKind::from_level(&e.level), e.text, None);
                }
            }
            FromWorker::ScriptError { error } => self.on_script_error(error),
            FromWorker::State { snapshot } => {
                self.snapshot.try_set(snapshot);
            }
            FromWorker::Traffic { entries } => {
                self.traffic.try_update(|t| {
                    for e in &entries {
                        t.push(e);
                    }
                });
            }
            FromWorker::RpcResult { error, .. } => {
                if let Some(e) = error {
                    self.queue_line(LineKind::Warn, format!("RPC failed: {e}"), None);
                }
            }
            FromWorker::Diagnostics { seq, diagnostics } => self.on_diagnostics(seq, diagnostics),
            FromWorker::Idle { reason } => {
                let stopped = self.svc.try_with_value(|s| s.user_stopped).unwrap_or(false);
                let workers = self.client().map_or(0, |c| c.generation());
                self.status.try_update(|s| {
                    s.workers = workers;
                    s.sim = if stopped {
                        SimState::Stopped
                    } else {
                        SimState::Idle(reason)
                    };
                });
            }
        }
    }

    fn on_script_error(&self, error: ScriptError) {
        if let Some(loc) = &error.location {
            let marker = Diagnostic {
                severity: Severity::Error,
                line: loc.line.max(1),
                col: loc.col.max(1),
                end_col: loc.col.max(1) + 1,
                message: format!("{}: {}", error.name, error.message),
            };
            let json = serde_json::to_string(&[marker]).unwrap_or_else(|_| "[]".into());
            monaco::set_markers(&loc.file, "run", &json);
            let file = loc.file.clone();
            self.svc.try_update_value(|s| {
                if !s.run_marked.contains(&file) {
                    s.run_marked.push(file);
                }
            });
        }
        self.queue_line(
            LineKind::Error,
            format!("{}: {}", error.name, error.message),
            error.location,
        );
    }

    /// Add a console line at the next animation frame (a busy script sends many per step).
    fn queue_line(
        &self,
        kind: LineKind,
        text: String,
        location: Option<ferrite_ide_core::protocol::ErrorLocation>,
    ) {
        let schedule = self
            .svc
            .try_update_value(|s| {
                s.pending_lines.push(PendingLine {
                    kind,
                    text,
                    location,
                });
                if s.pending_lines.len() > CONSOLE_MAX_LINES {
                    let excess = s.pending_lines.len() - CONSOLE_MAX_LINES;
                    s.pending_lines.drain(..excess);
                }
                !std::mem::replace(&mut s.frame_scheduled, true)
            })
            .unwrap_or(false);
        if schedule {
            let ctx = *self;
            request_animation_frame(move || ctx.flush_lines());
        }
    }

    fn flush_lines(&self) {
        let Some((lines, first_output)) = self.svc.try_update_value(|s| {
            s.frame_scheduled = false;
            let lines = std::mem::take(&mut s.pending_lines);
            let first = s.awaiting_output && lines.iter().any(|l| l.kind != LineKind::Input);
            if first {
                s.awaiting_output = false;
            }
            (lines, first)
        }) else {
            return;
        };
        if lines.is_empty() {
            return;
        }
        self.console.try_update(|c| {
            for l in lines {
                c.push(l.kind, l.text, l.location);
            }
        });
        if first_output {
            dom::set_hook("firstOutputAt", dom::perf_now());
        }
    }
}
