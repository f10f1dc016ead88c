//! The page's side of one live device connection: owns the sans-IO
//! `ferrite_ide_core::device::session::DeviceSession`, feeds it the transport's events (from
//! public/device-io.js) and `performance.now()`, carries out what it asks to transmit, wakes it
//! at its next deadline (so every open and call times out), and hands its events to the
//! controller — replies to calls made with [`DeviceClient::call`] go to their own callback.
//!
//! Events are never delivered from inside a call of this client: they are queued and delivered
//! from a fresh task, so the controller may call the client from any event handler. What the
//! session asks to transmit is done at once (a WebSerial/WebUSB open must run inside the
//! user's click).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use ferrite_ide_core::device::session::{
    CallError, CallId, DeviceSession, SessionConfig, SessionEvent, Transmit,
};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::io;
use super::usb::UsbDriver;
use crate::state::device_view::{ConnectSettings, ConnectionKind, UsbIds};
use crate::util::dom;

/// What a call's answer goes to.
pub type ReplyFn = Box<dyn FnOnce(Result<Value, CallError>)>;
type Handler = Rc<dyn Fn(SessionEvent)>;

/// The callbacks the glue holds (kept alive as long as the transport).
/// `onText(text, status?, request?)`: a WebSocket message, or an HTTP RPC answer with its
/// status and the request it answers.
type OnText = dyn FnMut(String, Option<u16>, Option<String>);

struct Callbacks {
    _open: Closure<dyn FnMut()>,
    _bytes: Closure<dyn FnMut(js_sys::Uint8Array)>,
    _text: Closure<OnText>,
    _closed: Closure<dyn FnMut(String, bool)>,
    _usb_plan: Closure<dyn FnMut(String, u32) -> String>,
}

struct Inner {
    session: DeviceSession,
    kind: ConnectionKind,
    transport: u32,
    usb: UsbDriver,
    handler: Handler,
    replies: HashMap<CallId, ReplyFn>,
    timer: Option<i32>,
    tick: Option<Closure<dyn FnMut()>>,
    drain_scheduled: bool,
    callbacks: Option<Callbacks>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let (Some(t), Some(w)) = (self.timer.take(), web_sys::window()) {
            w.clear_timeout_with_handle(t);
        }
        io::dispose(self.transport);
    }
}

/// A handle on a live device connection (cheap to clone; the connection ends when the last
/// handle is dropped).
#[derive(Clone)]
pub struct DeviceClient(Rc<RefCell<Inner>>);

impl DeviceClient {
    /// A client for the connection `settings` describes (`url`: the resolved address), whose
    /// session events go to `handler`. Nothing is opened until [`DeviceClient::connect`].
    pub fn new(
        settings: &ConnectSettings,
        url: &str,
        src: &str,
        handler: impl Fn(SessionEvent) + 'static,
    ) -> DeviceClient {
        let kind = settings.kind;
        let config = SessionConfig::new(kind.wire(), src);
        let usb = UsbDriver::default();
        let inner = Rc::new(RefCell::new(Inner {
            session: DeviceSession::new(config),
            kind,
            transport: 0,
            usb: usb.clone(),
            handler: Rc::new(handler),
            replies: HashMap::new(),
            timer: None,
            tick: None,
            drain_scheduled: false,
            callbacks: None,
        }));
        let weak = Rc::downgrade(&inner);
        let on_open = feed(&weak, |s, now, ()| s.on_open(now));
        let on_bytes = {
            let weak = weak.clone();
            Closure::<dyn FnMut(js_sys::Uint8Array)>::new(move |a: js_sys::Uint8Array| {
                let bytes = a.to_vec();
                with_client(&weak, |c| c.feed_now(|s, now| s.on_bytes(&bytes, now)));
            })
        };
        let on_text = {
            let weak = weak.clone();
            Closure::<OnText>::new(
                move |text: String, status: Option<u16>, request: Option<String>| {
                    with_client(&weak, |c| {
                        c.feed_now(|s, now| match (status, &request) {
                            // HTTP RPC: the status matters (a 413 has no id to match).
                            (Some(status), Some(request)) => {
                                s.on_http_response(request, status, &text, now)
                            }
                            _ => s.on_text(&text, now),
                        })
                    });
                },
            )
        };
        let on_closed = {
            let weak = weak.clone();
            Closure::<dyn FnMut(String, bool)>::new(move |reason: String, for_good: bool| {
                with_client(&weak, |c| {
                    c.feed_now(|s, now| {
                        if for_good {
                            s.on_closed_for_good(&reason, now)
                        } else {
                            s.on_closed(&reason, now)
                        }
                    })
                });
            })
        };
        let usb_plan = Closure::<dyn FnMut(String, u32) -> String>::new(
            move |interfaces: String, baud: u32| usb.plan(&interfaces, baud),
        );
        let options = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| {
            let _ = js_sys::Reflect::set(&options, &k.into(), v);
        };
        set("url", &url.into());
        if kind.uses_baud() {
            set("baud", &settings.baud.into());
        }
        if let Some(ids) = settings.remembered {
            let r = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&r, &"usbVendorId".into(), &ids.vendor.into());
            let _ = js_sys::Reflect::set(&r, &"usbProductId".into(), &ids.product.into());
            set("remembered", &r);
        }
        set("usbPlan", usb_plan.as_ref());
        let transport = io::create(
            kind.io_kind(),
            &options,
            on_open.as_ref(),
            on_bytes.as_ref(),
            on_text.as_ref(),
            on_closed.as_ref(),
        );
        let tick = {
            let weak = weak.clone();
            Closure::<dyn FnMut()>::new(move || {
                with_client(&weak, |c| {
                    c.0.borrow_mut().timer = None;
                    c.feed_now(|s, now| s.on_tick(now));
                });
            })
        };
        {
            let mut i = inner.borrow_mut();
            i.transport = transport;
            i.tick = Some(tick);
            i.callbacks = Some(Callbacks {
                _open: on_open,
                _bytes: on_bytes,
                _text: on_text,
                _closed: on_closed,
                _usb_plan: usb_plan,
            });
        }
        DeviceClient(inner)
    }

    /// Open the connection (for WebSerial/WebUSB: from the user's click).
    pub fn connect(&self) {
        self.with_session(|s, now| s.connect(now));
    }

    /// Close the connection for good (pending calls fail; no reconnect).
    pub fn disconnect(&self) {
        self.with_session(|s, _| s.disconnect());
        // Deliver now what the disconnect produced (the waiting calls' LOST answers, the
        // Disconnected state): the client is usually dropped right after, before a scheduled
        // drain could run, and every call must get exactly one answer.
        self.drain();
    }

    /// Call `method`; `on_reply` gets the answer (or the error: timeout, lost, refused).
    pub fn call(
        &self,
        method: &str,
        params: Value,
        on_reply: impl FnOnce(Result<Value, CallError>) + 'static,
    ) {
        let id = self.with_session(|s, now| s.call(method, params, now));
        self.0.borrow_mut().replies.insert(id, Box::new(on_reply));
    }

    /// [`DeviceClient::call`] waiting `timeout_ms` for the answer (a method slower than most).
    pub fn call_with_timeout(
        &self,
        method: &str,
        params: Value,
        timeout_ms: f64,
        on_reply: impl FnOnce(Result<Value, CallError>) + 'static,
    ) {
        let id = self.with_session(|s, now| s.call_with_timeout(method, params, now, timeout_ms));
        self.0.borrow_mut().replies.insert(id, Box::new(on_reply));
    }

    /// Run `f` on the session (with the time now), then carry out what it asks.
    pub fn with_session<R>(&self, f: impl FnOnce(&mut DeviceSession, f64) -> R) -> R {
        let now = dom::perf_now();
        let r = f(&mut self.0.borrow_mut().session, now);
        self.after_change();
        r
    }

    /// Read the session.
    pub fn session<R>(&self, f: impl FnOnce(&DeviceSession) -> R) -> R {
        f(&self.0.borrow().session)
    }

    /// DTR/RTS of the serial line (WebSerial, WebUSB, the bridge).
    pub fn set_signals(&self, dtr: bool, rts: bool) {
        let (kind, transport, usb) = {
            let i = self.0.borrow();
            (i.kind, i.transport, i.usb.clone())
        };
        match kind {
            ConnectionKind::WebUsb => {
                if let Some(json) = usb.signals(dtr, rts) {
                    io::usb_control(transport, &json);
                }
            }
            ConnectionKind::WebSerial | ConnectionKind::SerialBridge => {
                io::set_signals(transport, dtr, rts)
            }
            _ => {}
        }
    }

    /// USB ids of the port or device in use (to find it again next time).
    pub fn port_ids(&self) -> Option<UsbIds> {
        io::port_ids(self.0.borrow().transport)
    }

    /// A transport event: feed the session, carry out what it asks, deliver its events now
    /// (this runs from the glue's callback, on a fresh stack).
    fn feed_now(&self, f: impl FnOnce(&mut DeviceSession, f64)) {
        let now = dom::perf_now();
        f(&mut self.0.borrow_mut().session, now);
        self.after_change();
    }

    /// Transmit what the session asks, re-arm the deadline timer, and schedule event delivery.
    fn after_change(&self) {
        self.flush_transmits();
        self.arm_timer();
        self.schedule_drain();
    }

    fn flush_transmits(&self) {
        loop {
            let (t, kind, transport, usb) = {
                let mut i = self.0.borrow_mut();
                let Some(t) = i.session.poll_transmit() else {
                    return;
                };
                (t, i.kind, i.transport, i.usb.clone())
            };
            match t {
                Transmit::Open => io::open(transport),
                Transmit::Close => io::close(transport),
                Transmit::Bytes(bytes) => {
                    if kind == ConnectionKind::WebUsb {
                        for chunk in usb.out_transfers(&bytes) {
                            io::write(transport, &chunk);
                        }
                    } else {
                        io::write(transport, &bytes);
                    }
                }
                Transmit::Text(text) => io::send_text(transport, &text),
                Transmit::HttpPost(body) => io::post(transport, &body),
            }
        }
    }

    fn arm_timer(&self) {
        let Some(w) = web_sys::window() else { return };
        let mut i = self.0.borrow_mut();
        if let Some(t) = i.timer.take() {
            w.clear_timeout_with_handle(t);
        }
        let Some(deadline) = i.session.next_deadline() else {
            return;
        };
        let delay = (deadline - dom::perf_now()).clamp(0.0, 600_000.0).ceil() as i32;
        if let Some(cb) = &i.tick {
            i.timer = w
                .set_timeout_with_callback_and_timeout_and_arguments_0(
                    cb.as_ref().unchecked_ref(),
                    delay,
                )
                .ok();
        }
    }

    fn schedule_drain(&self) {
        if std::mem::replace(&mut self.0.borrow_mut().drain_scheduled, true) {
            return;
        }
        let weak = Rc::downgrade(&self.0);
        wasm_bindgen_futures::spawn_local(async move {
            with_client(&weak, |c| c.drain());
        });
    }

    /// Deliver the session's events: replies to their callbacks, the rest to the handler.
    fn drain(&self) {
        self.0.borrow_mut().drain_scheduled = false;
        loop {
            let (event, handler) = {
                let mut i = self.0.borrow_mut();
                let Some(e) = i.session.poll_event() else {
                    return;
                };
                (e, i.handler.clone())
            };
            match event {
                SessionEvent::Reply { call, result } => {
                    let reply = self.0.borrow_mut().replies.remove(&call);
                    match reply {
                        Some(f) => f(result),
                        None => handler(SessionEvent::Reply { call, result }),
                    }
                }
                other => handler(other),
            }
        }
    }
}

fn with_client(weak: &Weak<RefCell<Inner>>, f: impl FnOnce(DeviceClient)) {
    if let Some(inner) = weak.upgrade() {
        f(DeviceClient(inner));
    }
}

/// A no-argument transport callback that feeds the session.
fn feed(weak: &Weak<RefCell<Inner>>, f: fn(&mut DeviceSession, f64, ())) -> Closure<dyn FnMut()> {
    let weak = weak.clone();
    Closure::<dyn FnMut()>::new(move || {
        with_client(&weak, |c| c.feed_now(|s, now| f(s, now, ())));
    })
}
