//! The simulator's Web Worker: glue between `postMessage` and `ferrite_ide_core`'s
//! [`Simulator`] and linter. All behaviour lives in `ferrite-ide-core` (tested natively); this
//! file only moves strings and schedules steps.
//!
//! Messages in are JSON [`ToWorker`]; messages out are JSON arrays of [`FromWorker`] (one array
//! per step, so a busy simulation costs one `postMessage` per step).
//!
//! Scheduling: a step runs the device for at most [`STEP_BUDGET_MS`] of wall time, then the
//! worker returns to its event loop so that messages (Stop, a button press) are served between
//! steps. An immediate next step goes through a `MessageChannel` (no 4 ms timer clamp); a later
//! one through `setTimeout`. It must never block: a script's infinite loop runs in fuel slices.

use std::cell::RefCell;

use ferrite_ide_core::lint;
use ferrite_ide_core::protocol::{FromWorker, ToWorker};
use ferrite_ide_core::simulator::Simulator;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageChannel, MessageEvent, MessagePort};

/// Wall time one step may take before the worker serves messages again.
const STEP_BUDGET_MS: f64 = 12.0;

struct Worker {
    sim: Simulator,
    /// A `setTimeout` that will run a step.
    timer: Option<i32>,
    /// A step is queued on the message channel.
    immediate: bool,
    /// The port that triggers an immediate step.
    kick: MessagePort,
}

thread_local! {
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
    static STEP: RefCell<Option<Closure<dyn FnMut()>>> = const { RefCell::new(None) };
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn now_ms() -> f64 {
    scope().performance().map_or(0.0, |p| p.now())
}

fn post(out: &[FromWorker]) {
    if out.is_empty() {
        return;
    }
    let text = serde_json::to_string(out).unwrap_or_else(|_| "[]".into());
    if let Err(e) = scope().post_message(&JsValue::from_str(&text)) {
        web_sys::console::error_2(&"ferrite worker: postMessage failed".into(), &e);
    }
}

/// Run a step at once (after pending messages) or after `delay_ms`.
fn schedule(w: &mut Worker, delay_ms: f64) {
    if delay_ms <= 0.0 {
        if let Some(t) = w.timer.take() {
            scope().clear_timeout_with_handle(t);
        }
        if !w.immediate {
            w.immediate = true;
            let _ = w.kick.post_message(&JsValue::NULL);
        }
        return;
    }
    if w.immediate {
        return;
    }
    if let Some(t) = w.timer.take() {
        scope().clear_timeout_with_handle(t);
    }
    STEP.with(|s| {
        if let Some(cb) = s.borrow().as_ref() {
            let delay = delay_ms.clamp(1.0, 60_000.0) as i32;
            w.timer = scope()
                .set_timeout_with_callback_and_timeout_and_arguments_0(
                    cb.as_ref().unchecked_ref(),
                    delay,
                )
                .ok();
        }
    });
}

fn step() {
    let out = WORKER.with(|w| {
        let mut w = w.borrow_mut();
        let Some(w) = w.as_mut() else {
            return Vec::new();
        };
        w.immediate = false;
        w.timer = None;
        let step = w.sim.step(&now_ms, STEP_BUDGET_MS);
        if let Some(delay) = step.wake_in_ms {
            schedule(w, delay);
        }
        step.out
    });
    post(&out);
}

fn on_message(ev: MessageEvent) {
    let Some(text) = ev.data().as_string() else {
        return;
    };
    let msg = match ToWorker::from_json(&text) {
        Ok(m) => m,
        Err(e) => {
            web_sys::console::error_1(&e.into());
            return;
        }
    };
    if let ToWorker::Check { seq, code } = &msg {
        let diagnostics = lint::check(code);
        post(&[FromWorker::Diagnostics {
            seq: *seq,
            diagnostics,
        }]);
        return;
    }
    let out = WORKER.with(|w| {
        let mut w = w.borrow_mut();
        let Some(w) = w.as_mut() else {
            return Vec::new();
        };
        let out = w.sim.handle(msg, now_ms());
        schedule(w, 0.0);
        out
    });
    post(&out);
}

fn main() {
    console_error_panic_hook::set_once();
    let channel = match MessageChannel::new() {
        Ok(c) => c,
        Err(e) => {
            web_sys::console::error_2(&"ferrite worker: no MessageChannel".into(), &e);
            return;
        }
    };
    let step_cb = Closure::<dyn FnMut()>::new(step);
    let kick_cb = Closure::<dyn FnMut(MessageEvent)>::new(|_| step());
    channel
        .port2()
        .set_onmessage(Some(kick_cb.as_ref().unchecked_ref()));
    kick_cb.forget();
    STEP.with(|s| *s.borrow_mut() = Some(step_cb));
    WORKER.with(|w| {
        *w.borrow_mut() = Some(Worker {
            sim: Simulator::new(),
            timer: None,
            immediate: false,
            kick: channel.port1(),
        })
    });
    let on_msg = Closure::<dyn FnMut(MessageEvent)>::new(on_message);
    scope().set_onmessage(Some(on_msg.as_ref().unchecked_ref()));
    on_msg.forget();
    post(&[FromWorker::Ready]);
}
