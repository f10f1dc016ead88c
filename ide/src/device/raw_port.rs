//! A serial line as plain bytes, for the flasher: one `FerriteDeviceIo` transport (WebSerial,
//! WebUSB CDC-ACM, or the serial bridge) without a device session on it — open it, write bytes,
//! switch its baud rate, drive DTR/RTS, and hear its bytes and its end. Nothing here decides
//! anything about the bytes; the flash worker does. It never reconnects by itself: a port that
//! closes ends the flash.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::io;
use super::usb::UsbDriver;
use crate::state::device_view::UsbIds;
use crate::state::flash_view::FlashPort;

/// What the port reports (always from a later task than the call that caused it).
pub enum PortEvent {
    Open,
    /// Bytes read (a JS array, handed on to the worker without a copy into wasm).
    Bytes(js_sys::Uint8Array),
    /// The open failed or the port ended.
    Closed(String),
}

type OnText = dyn FnMut(String, Option<u16>, Option<String>);

struct Callbacks {
    _open: Closure<dyn FnMut()>,
    _bytes: Closure<dyn FnMut(js_sys::Uint8Array)>,
    _text: Closure<OnText>,
    _closed: Closure<dyn FnMut(String, bool)>,
    _usb_plan: Closure<dyn FnMut(String, u32) -> String>,
    _usb_line_coding: Closure<dyn FnMut(u32) -> String>,
}

struct Inner {
    kind: FlashPort,
    transport: u32,
    usb: UsbDriver,
    _callbacks: Option<Callbacks>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        io::dispose(self.transport);
    }
}

/// A handle on the port (the transport is closed when the last handle goes).
#[derive(Clone)]
pub struct RawPort(Rc<RefCell<Inner>>);

impl RawPort {
    /// A port of `kind` (`url`: the bridge's; `remembered`: the port granted before) opened at
    /// `baud`; its events go to `handler`. Nothing is opened until [`RawPort::open`].
    pub fn new(
        kind: FlashPort,
        url: &str,
        baud: u32,
        remembered: Option<UsbIds>,
        handler: impl Fn(PortEvent) + 'static,
    ) -> RawPort {
        let handler: Rc<dyn Fn(PortEvent)> = Rc::new(handler);
        let usb = UsbDriver::default();
        let inner = Rc::new(RefCell::new(Inner {
            kind,
            transport: 0,
            usb: usb.clone(),
            _callbacks: None,
        }));
        let on_open = {
            let h = handler.clone();
            Closure::<dyn FnMut()>::new(move || h(PortEvent::Open))
        };
        let on_bytes = {
            let h = handler.clone();
            Closure::<dyn FnMut(js_sys::Uint8Array)>::new(move |a: js_sys::Uint8Array| {
                h(PortEvent::Bytes(a))
            })
        };
        // The bridge's control answers are handled by the glue; nothing else sends text.
        let on_text = Closure::<OnText>::new(|_: String, _: Option<u16>, _: Option<String>| {});
        let on_closed = Closure::<dyn FnMut(String, bool)>::new(move |reason: String, _: bool| {
            handler(PortEvent::Closed(reason))
        });
        let usb_plan = {
            let usb = usb.clone();
            Closure::<dyn FnMut(String, u32) -> String>::new(move |ifaces: String, baud: u32| {
                usb.plan(&ifaces, baud)
            })
        };
        let usb_line_coding = Closure::<dyn FnMut(u32) -> String>::new(move |baud: u32| {
            usb.line_coding(baud).unwrap_or_default()
        });
        let options = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| {
            let _ = js_sys::Reflect::set(&options, &k.into(), v);
        };
        set("url", &url.into());
        set("baud", &baud.into());
        if let Some(ids) = remembered {
            let r = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&r, &"usbVendorId".into(), &ids.vendor.into());
            let _ = js_sys::Reflect::set(&r, &"usbProductId".into(), &ids.product.into());
            set("remembered", &r);
        }
        set("usbPlan", usb_plan.as_ref());
        set("usbLineCoding", usb_line_coding.as_ref());
        let transport = io::create(
            kind.io_kind(),
            &options,
            on_open.as_ref(),
            on_bytes.as_ref(),
            on_text.as_ref(),
            on_closed.as_ref(),
        );
        {
            let mut i = inner.borrow_mut();
            i.transport = transport;
            i._callbacks = Some(Callbacks {
                _open: on_open,
                _bytes: on_bytes,
                _text: on_text,
                _closed: on_closed,
                _usb_plan: usb_plan,
                _usb_line_coding: usb_line_coding,
            });
        }
        RawPort(inner)
    }

    fn transport(&self) -> u32 {
        self.0.borrow().transport
    }

    /// Open the port (WebSerial/WebUSB: the port was chosen with `io::pick` before).
    pub fn open(&self) {
        io::open(self.transport());
    }

    pub fn write(&self, bytes: &[u8]) {
        let (kind, transport, usb) = {
            let i = self.0.borrow();
            (i.kind, i.transport, i.usb.clone())
        };
        if kind == FlashPort::Usb {
            for chunk in usb.out_transfers(bytes) {
                io::write(transport, &chunk);
            }
        } else {
            io::write(transport, bytes);
        }
    }

    /// Switch the line to `baud` now (the glue reopens a WebSerial port without reporting a
    /// close; the bridge and WebUSB set it in place).
    pub fn set_baud(&self, baud: u32) {
        io::set_baud(self.transport(), baud);
    }

    /// DTR/RTS (a port without modem lines, such as a bridge on a PTY, refuses them).
    pub fn set_lines(&self, dtr: bool, rts: bool) {
        let (kind, transport, usb) = {
            let i = self.0.borrow();
            (i.kind, i.transport, i.usb.clone())
        };
        match kind {
            FlashPort::Usb => {
                if let Some(json) = usb.signals(dtr, rts) {
                    io::usb_control(transport, &json);
                }
            }
            FlashPort::Serial | FlashPort::Bridge => io::set_signals(transport, dtr, rts),
        }
    }

    /// Whether the line drives DTR/RTS, asked (for the bridge) by setting them to `dtr`/`rts`:
    /// resolves to a boolean (true when it cannot be told).
    pub fn lines_supported(&self, dtr: bool, rts: bool) -> js_sys::Promise {
        io::lines_supported(self.transport(), dtr, rts)
    }

    /// Hand the WebSerial port or WebUSB device over to the next transport of its kind (the
    /// Device console after a flash); false if there is none or it was unplugged.
    pub fn hand_over(&self) -> bool {
        io::hand_over(self.transport())
    }

    /// USB ids of the port or device in use (to find it again, for the console afterwards).
    pub fn port_ids(&self) -> Option<UsbIds> {
        io::port_ids(self.transport())
    }
}
