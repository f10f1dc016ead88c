//! The page's side of the flash worker (`ferrite-flash-worker`, ide/flash-worker): starts it,
//! queues messages until it says it is ready, and hands every message it posts to one callback
//! as a [`FromFlashWorker`]. Each message either way is a `{json: string, bytes?: Uint8Array}`
//! object; a file's bytes go with their buffer transferred, not copied.
//!
//! The worker is launched only when the Flash tab is first opened: its wasm (the flasher, the
//! image builder) never weighs on the page's own start. A worker that fails (its files are
//! missing, a trap) is dropped with a `Failed` message; the next message starts a fresh one.
//! Nothing here knows what a flash is: the controller (`controller::flash`) decides.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, MessageEvent, Worker};

use crate::state::flash_view::FromFlashWorker;

/// The loader trunk emits for the worker crate (`data-loader-shim`).
const WORKER_URL: &str = "ferrite-flash-worker_loader.js";

type Handler = Rc<dyn Fn(FromFlashWorker)>;

struct Inner {
    worker: Option<Worker>,
    ready: bool,
    queue: Vec<js_sys::Object>,
    handler: Handler,
    on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
    on_error: Option<Closure<dyn FnMut(Event)>>,
}

/// A handle on the flash worker (cheap to clone).
#[derive(Clone)]
pub struct FlashClient(Rc<RefCell<Inner>>);

impl FlashClient {
    /// A client whose worker starts at [`FlashClient::launch`] (or the first message);
    /// `handler` receives every message from it.
    pub fn new(handler: impl Fn(FromFlashWorker) + 'static) -> FlashClient {
        FlashClient(Rc::new(RefCell::new(Inner {
            worker: None,
            ready: false,
            queue: Vec::new(),
            handler: Rc::new(handler),
            on_message: None,
            on_error: None,
        })))
    }

    /// Start the worker if it is not running.
    pub fn launch(&self) {
        if self.0.borrow().worker.is_some() {
            return;
        }
        let weak = Rc::downgrade(&self.0);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let Some(inner) = weak.upgrade() else { return };
            let data = ev.data();
            let field = |k: &str| js_sys::Reflect::get(&data, &k.into()).ok();
            let Some(json) = field("json").and_then(|j| j.as_string()) else {
                return;
            };
            let bytes = field("bytes")
                .and_then(|b| b.dyn_into::<js_sys::Uint8Array>().ok())
                .map(|b| b.to_vec());
            match FromFlashWorker::parse(&json, bytes) {
                Ok(m) => FlashClient(inner).receive(m),
                Err(e) => web_sys::console::error_1(&format!("flash worker: {e}").into()),
            }
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
            FlashClient(inner).crashed(&format!("the flash worker failed: {message}"));
        });
        let opts = web_sys::WorkerOptions::new();
        opts.set_name("ferrite-flash");
        let worker = match Worker::new_with_options(WORKER_URL, &opts) {
            Ok(w) => w,
            Err(e) => {
                self.crashed(&format!("the flash worker could not start: {e:?}"));
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
    }

    fn receive(&self, m: FromFlashWorker) {
        if m == FromFlashWorker::Ready {
            let mut inner = self.0.borrow_mut();
            inner.ready = true;
            let queue = std::mem::take(&mut inner.queue);
            if let Some(w) = &inner.worker {
                for msg in queue {
                    post(w, &msg);
                }
            }
        }
        let handler = self.0.borrow().handler.clone();
        handler(m);
    }

    /// The worker failed: drop it (and what waited for it) and report why.
    fn crashed(&self, why: &str) {
        self.terminate();
        let handler = self.0.borrow().handler.clone();
        handler(FromFlashWorker::Failed(why.to_string()));
    }

    /// End the worker now (a job that does not stop); the next message starts a fresh one.
    pub fn terminate(&self) {
        let old = {
            let mut inner = self.0.borrow_mut();
            inner.ready = false;
            inner.queue.clear();
            inner.worker.take()
        };
        if let Some(w) = old {
            w.set_onmessage(None);
            w.set_onerror(None);
            w.terminate();
        }
    }

    /// Send `json` with `bytes` (a JS array whose buffer is handed over to the worker, or
    /// none); queued until the worker is ready.
    pub fn send(&self, json: &str, bytes: Option<&js_sys::Uint8Array>) {
        self.launch();
        let msg = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&msg, &"json".into(), &json.into());
        if let Some(b) = bytes {
            let _ = js_sys::Reflect::set(&msg, &"bytes".into(), b);
        }
        let mut inner = self.0.borrow_mut();
        match (&inner.worker, inner.ready) {
            (Some(w), true) => post(w, &msg),
            _ => inner.queue.push(msg),
        }
    }
}

/// Post `msg`, handing its bytes' buffer over when they are the whole buffer (a view into a
/// shared buffer is copied instead).
fn post(worker: &Worker, msg: &js_sys::Object) {
    let bytes = js_sys::Reflect::get(msg, &"bytes".into())
        .ok()
        .and_then(|b| b.dyn_into::<js_sys::Uint8Array>().ok());
    let transfer = js_sys::Array::new();
    if let Some(b) = bytes {
        let buffer = b.buffer();
        if b.byte_offset() == 0 && b.byte_length() == buffer.byte_length() {
            transfer.push(&buffer);
        }
    }
    let sent = if transfer.length() > 0 {
        worker.post_message_with_transfer(msg, &transfer)
    } else {
        worker.post_message(msg)
    };
    if let Err(e) = sent {
        web_sys::console::error_1(&format!("flash worker: post failed: {e:?}").into());
    }
}
