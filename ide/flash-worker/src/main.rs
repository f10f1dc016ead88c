//! The Flash page's Web Worker: glue between `postMessage` and `ferrite_ide_core`'s
//! [`FlashService`] (the sans-IO flash job). All behaviour lives in `ferrite-ide-core` (tested
//! natively against the real ROM-loader mock); this file only moves messages and keeps time.
//!
//! Every message either way is `{json: string, bytes?: Uint8Array}` (see
//! `ferrite_ide_core::flash::protocol`). The page owns the port: it posts what the port read
//! (`rx`) and carries out what comes back (`tx`, `baud`, `lines`). Time is `performance.now()`;
//! one `setTimeout` wakes the job at its deadline. It must never block or sleep.

use std::cell::RefCell;

use ferrite_ide_core::flash::job::Message;
use ferrite_ide_core::flash::protocol::{FromFlashWorker, Posted};
use ferrite_ide_core::flash::service::FlashService;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// The longest `setTimeout` asked for: a far deadline is re-checked this often.
const MAX_TIMER_MS: i32 = 60_000;

struct Worker {
    service: FlashService,
    /// The pending `setTimeout`, if any.
    timer: Option<i32>,
}

thread_local! {
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
    static WAKE: RefCell<Option<Closure<dyn FnMut()>>> = const { RefCell::new(None) };
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn now_ms() -> u64 {
    scope().performance().map_or(0.0, |p| p.now()).max(0.0) as u64
}

/// Post one message: `{json, bytes?}`, the bytes' buffer transferred.
fn post(m: &Message) {
    let obj = Object::new();
    let _ = Reflect::set(&obj, &"json".into(), &m.msg.to_json().into());
    let result = match &m.bytes {
        Some(b) => {
            let arr = Uint8Array::from(b.as_slice());
            let _ = Reflect::set(&obj, &"bytes".into(), &arr);
            scope().post_message_with_transfer(&obj, &Array::of1(&arr.buffer()))
        }
        None => scope().post_message(&obj),
    };
    if let Err(e) = result {
        web_sys::console::error_2(&"ferrite flash worker: postMessage failed".into(), &e);
    }
}

/// Post everything the service has to say, then set the timer for its next deadline.
fn pump(w: &mut Worker) {
    let mut out = Vec::new();
    while let Some(m) = w.service.poll(now_ms()) {
        out.push(m);
    }
    for m in &out {
        post(m);
    }
    if let Some(t) = w.timer.take() {
        scope().clear_timeout_with_handle(t);
    }
    let Some(deadline) = w.service.deadline() else {
        return;
    };
    let delay = deadline.saturating_sub(now_ms()).min(MAX_TIMER_MS as u64) as i32;
    WAKE.with(|cb| {
        if let Some(cb) = cb.borrow().as_ref() {
            w.timer = scope()
                .set_timeout_with_callback_and_timeout_and_arguments_0(
                    cb.as_ref().unchecked_ref(),
                    delay,
                )
                .ok();
        }
    });
}

fn wake() {
    WORKER.with(|w| {
        if let Some(w) = w.borrow_mut().as_mut() {
            w.timer = None;
            pump(w);
        }
    });
}

fn on_message(ev: MessageEvent) {
    let data = ev.data();
    let Some(json) = Reflect::get(&data, &"json".into())
        .ok()
        .and_then(|j| j.as_string())
    else {
        web_sys::console::error_1(&"ferrite flash worker: a message without json".into());
        return;
    };
    let bytes = Reflect::get(&data, &"bytes".into())
        .ok()
        .and_then(|b| b.dyn_into::<Uint8Array>().ok())
        .map(|b| b.to_vec());
    WORKER.with(|w| {
        if let Some(w) = w.borrow_mut().as_mut() {
            w.service.handle_json(&json, bytes, now_ms());
            pump(w);
        }
    });
}

fn main() {
    console_error_panic_hook::set_once();
    WAKE.with(|cb| *cb.borrow_mut() = Some(Closure::<dyn FnMut()>::new(wake)));
    WORKER.with(|w| {
        *w.borrow_mut() = Some(Worker {
            service: FlashService::new(),
            timer: None,
        })
    });
    let on_msg = Closure::<dyn FnMut(MessageEvent)>::new(on_message);
    scope().set_onmessage(Some(on_msg.as_ref().unchecked_ref()));
    on_msg.forget();
    post(&Posted::new(FromFlashWorker::Ready));
}
