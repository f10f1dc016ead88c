//! The page's side of the simulator worker: starts it, queues messages until it is ready, hands
//! every answer to one callback, and makes Stop always work — if the worker does not confirm a
//! Stop in time (it answers every Stop with `Idle` within one step, running or not), it is
//! terminated and a fresh one is started. A worker that fails before it is ready (its files are
//! missing offline, a deploy replaced them, a trap at start) is retried with a back-off a few
//! times, then given up with an `Idle` saying why; the next message that needs it tries again.
//!
//! The worker is not needed to edit, so it is launched only once the editor is usable
//! ([`SimClient::launch`], or the first message that needs an answer now): its wasm then does not
//! compete with the page's own start.

use std::cell::RefCell;
use std::rc::Rc;

use ferrite_ide_core::protocol::{FromWorker, ToWorker};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, MessageEvent, Worker};

/// The loader trunk emits for the worker crate (`data-loader-shim`).
const WORKER_URL: &str = "ferrite-sim-worker_loader.js";
/// How long a Stop may take before the worker is replaced.
const STOP_GRACE_MS: i32 = 1500;
/// Retries of a worker that fails before it is ready, before giving up.
const MAX_START_RETRIES: u32 = 2;
/// The first retry's delay (doubled for each further one).
const START_RETRY_MS: i32 = 500;

type Handler = Rc<dyn Fn(FromWorker)>;

struct Inner {
    worker: Option<Worker>,
    ready: bool,
    queue: Vec<String>,
    handler: Handler,
    /// A Stop waits for confirmation (the watchdog's timer).
    stop_timer: Option<i32>,
    on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
    on_error: Option<Closure<dyn FnMut(Event)>>,
    on_stop_timeout: Option<Closure<dyn FnMut()>>,
    /// Workers started so far (the first is 1).
    generation: u32,
    /// [`SimClient::launch`] ran: a worker exists or is being replaced.
    launched: bool,
    /// Workers in a row that failed before they were ready.
    failed_starts: u32,
}

/// A handle on the simulator worker (cheap to clone).
#[derive(Clone)]
pub struct SimClient(Rc<RefCell<Inner>>);

impl SimClient {
    /// A client whose worker starts at [`SimClient::launch`]; `handler` receives every message
    /// from it (on the page's event loop). Messages sent before are queued.
    pub fn new(handler: impl Fn(FromWorker) + 'static) -> SimClient {
        SimClient(Rc::new(RefCell::new(Inner {
            worker: None,
            ready: false,
            queue: Vec::new(),
            handler: Rc::new(handler),
            stop_timer: None,
            on_message: None,
            on_error: None,
            on_stop_timeout: None,
            generation: 0,
            launched: false,
            failed_starts: 0,
        })))
    }

    /// Start the worker if it is not started yet.
    pub fn launch(&self) {
        if std::mem::replace(&mut self.0.borrow_mut().launched, true) {
            return;
        }
        self.spawn();
    }

    fn spawn(&self) {
        let weak = Rc::downgrade(&self.0);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let Some(inner) = weak.upgrade() else { return };
            let Some(text) = ev.data().as_string() else {
                return;
            };
            let messages: Vec<FromWorker> = match serde_json::from_str(&text) {
                Ok(m) => m,
                Err(e) => {
                    web_sys::console::error_1(&format!("simulator: {e}").into());
                    return;
                }
            };
            SimClient(inner).receive(messages);
        });
        let weak = Rc::downgrade(&self.0);
        let on_error = Closure::<dyn FnMut(Event)>::new(move |ev: Event| {
            let Some(inner) = weak.upgrade() else { return };
            // A script that fails to load fires a plain Event (no message).
            let message = js_sys::Reflect::get(&ev, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "its files did not load".into());
            SimClient(inner).on_crash(&message);
        });
        let opts = web_sys::WorkerOptions::new();
        opts.set_name("ferrite-simulator");
        let worker = match Worker::new_with_options(WORKER_URL, &opts) {
            Ok(w) => w,
            Err(e) => {
                let handler = {
                    let mut inner = self.0.borrow_mut();
                    inner.launched = false;
                    inner.queue.clear();
                    inner.handler.clone()
                };
                handler(FromWorker::Idle {
                    reason: format!("the simulator could not start: {e:?}"),
                });
                return;
            }
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let mut inner = self.0.borrow_mut();
        inner.worker = Some(worker);
        inner.ready = false;
        inner.on_message = Some(on_message);
        inner.on_error = Some(on_error);
        inner.generation += 1;
    }

    fn receive(&self, messages: Vec<FromWorker>) {
        let handler = self.0.borrow().handler.clone();
        for m in messages {
            match &m {
                FromWorker::Ready => {
                    self.0.borrow_mut().failed_starts = 0;
                    self.flush();
                }
                FromWorker::Idle { .. } => self.clear_stop_timer(),
                _ => {}
            }
            handler(m);
        }
    }

    fn flush(&self) {
        let mut inner = self.0.borrow_mut();
        inner.ready = true;
        let queue = std::mem::take(&mut inner.queue);
        if let Some(w) = &inner.worker {
            for text in queue {
                let _ = w.post_message(&JsValue::from_str(&text));
            }
        }
    }

    /// Send a message (queued until the worker is ready). Everything but a lint request
    /// launches the worker: the user is waiting for the answer.
    pub fn send(&self, msg: &ToWorker) {
        if !matches!(msg, ToWorker::Check { .. }) {
            self.launch();
        }
        let text = msg.to_json();
        let mut inner = self.0.borrow_mut();
        match (&inner.worker, inner.ready) {
            (Some(w), true) => {
                let _ = w.post_message(&JsValue::from_str(&text));
            }
            _ => inner.queue.push(text),
        }
    }

    /// Stop every script; if the worker does not confirm in time it is replaced. Before the
    /// worker is ready nothing runs yet: queued requests (a Run) are dropped instead.
    pub fn stop(&self) {
        let handler = {
            let mut inner = self.0.borrow_mut();
            if inner.ready {
                None
            } else {
                inner
                    .queue
                    .retain(|text| text.contains(r#""type":"check""#));
                Some(inner.handler.clone())
            }
        };
        if let Some(handler) = handler {
            handler(FromWorker::Idle {
                reason: "stopped before the simulator was ready".into(),
            });
            return;
        }
        self.send(&ToWorker::Stop);
        self.clear_stop_timer();
        let weak = Rc::downgrade(&self.0);
        let cb = Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = weak.upgrade() {
                inner.borrow_mut().stop_timer = None;
                SimClient(inner).restart("the simulator did not answer Stop: restarted it");
            }
        });
        let timer = web_sys::window().and_then(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(
                cb.as_ref().unchecked_ref(),
                STOP_GRACE_MS,
            )
            .ok()
        });
        let mut inner = self.0.borrow_mut();
        inner.stop_timer = timer;
        inner.on_stop_timeout = Some(cb);
    }

    fn clear_stop_timer(&self) {
        if let Some(t) = self.0.borrow_mut().stop_timer.take() {
            if let Some(w) = web_sys::window() {
                w.clear_timeout_with_handle(t);
            }
        }
    }

    /// The worker failed. Once ready, it is replaced at once (what it ran is lost). Before it
    /// was ready, it is retried after a back-off (what was queued for it waits), and given up
    /// after [`MAX_START_RETRIES`].
    fn on_crash(&self, message: &str) {
        let failed = {
            let mut inner = self.0.borrow_mut();
            if inner.ready {
                None
            } else {
                inner.failed_starts += 1;
                Some(inner.failed_starts)
            }
        };
        let Some(failed) = failed else {
            self.restart(&format!("the simulator crashed: {message}"));
            return;
        };
        self.terminate();
        if failed > MAX_START_RETRIES {
            let handler = {
                let mut inner = self.0.borrow_mut();
                inner.queue.clear();
                inner.failed_starts = 0;
                // The next message that needs the simulator tries again.
                inner.launched = false;
                inner.handler.clone()
            };
            handler(FromWorker::Idle {
                reason: format!("the simulator could not start: {message}"),
            });
            return;
        }
        let weak = Rc::downgrade(&self.0);
        let retry = Closure::once_into_js(move || {
            if let Some(inner) = weak.upgrade() {
                let client = SimClient(inner);
                if client.0.borrow().worker.is_none() && client.0.borrow().launched {
                    client.spawn();
                }
            }
        });
        let delay = START_RETRY_MS << (failed - 1).min(4);
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                retry.unchecked_ref(),
                delay,
            );
        }
    }

    /// End the current worker (if any); its handlers are detached first, so that messages it
    /// already posted never reach a dropped closure.
    fn terminate(&self) {
        let old = {
            let mut inner = self.0.borrow_mut();
            inner.ready = false;
            inner.worker.take()
        };
        if let Some(w) = old {
            w.set_onmessage(None);
            w.set_onerror(None);
            w.terminate();
        }
    }

    /// Terminate the worker and start a fresh one (the last resort of Stop, or after a crash).
    pub fn restart(&self, reason: &str) {
        self.clear_stop_timer();
        let handler = {
            let mut inner = self.0.borrow_mut();
            inner.queue.clear();
            inner.handler.clone()
        };
        self.terminate();
        self.spawn();
        handler(FromWorker::Idle {
            reason: reason.to_string(),
        });
    }

    /// How many workers were started (tests and the status bar show restarts).
    pub fn generation(&self) -> u32 {
        self.0.borrow().generation
    }
}
