//! Linting as you type: an edit schedules a check of the open file ~150 ms later (later edits
//! push it back); only the answer to the latest request is shown (markers "lint" in the editor
//! and the Problems list). It never blocks typing: the check runs in the worker.

use std::time::Duration;

use ferrite_ide_core::protocol::{Diagnostic, ToWorker};
use leptos::prelude::*;

use super::Ctx;
use crate::editor::monaco;
use crate::state::sim_view::Problems;

/// Quiet time after the last keystroke before a check is sent.
const LINT_DEBOUNCE: Duration = Duration::from_millis(150);

impl Ctx {
    /// Check the open file after a short quiet time.
    pub fn schedule_lint(&self) {
        let ctx = *self;
        let handle = set_timeout_with_handle(move || ctx.lint_now(), LINT_DEBOUNCE).ok();
        let old = self
            .svc
            .try_update_value(|s| std::mem::replace(&mut s.lint_timer, handle))
            .flatten();
        if let Some(h) = old {
            h.clear();
        }
    }

    /// Check the open file now.
    pub fn lint_now(&self) {
        let Some((file, code)) = self
            .ws
            .try_with_untracked(|w| w.open_text().map(|t| (w.open_file.clone(), t.to_string())))
            .flatten()
        else {
            return;
        };
        let Some(seq) = self.svc.try_update_value(|s| {
            s.lint_timer = None;
            s.lint_seq += 1;
            s.lint_file = file;
            s.lint_seq
        }) else {
            return;
        };
        self.send(&ToWorker::Check { seq, code });
    }

    pub(super) fn on_diagnostics(&self, seq: u64, diagnostics: Vec<Diagnostic>) {
        let Some(file) = self
            .svc
            .try_with_value(|s| (s.lint_seq == seq).then(|| s.lint_file.clone()))
            .flatten()
        else {
            return;
        };
        let json = serde_json::to_string(&diagnostics).unwrap_or_else(|_| "[]".into());
        monaco::set_markers(&file, "lint", &json);
        self.problems.try_set(Problems {
            file,
            items: diagnostics,
        });
    }
}
