//! Bindings to `FerriteDeviceIo` (public/device-io.js): the browser calls that move a live
//! device's bytes and messages (WebSerial, WebUSB, WebSocket, fetch). The JS side decides
//! nothing; it reports to the four callbacks given at [`create`], never synchronously.

use wasm_bindgen::prelude::*;

use crate::state::device_view::UsbIds;

#[wasm_bindgen]
extern "C" {
    /// `{serial: bool, usb: bool, secure: bool}`: what this browser offers.
    #[wasm_bindgen(js_namespace = FerriteDeviceIo)]
    pub fn supports() -> JsValue;

    /// A transport of `kind` ("serial" | "usb" | "websocket" | "http" | "bridge") with its
    /// options (`url`, `baud`, `remembered`, `usbPlan`); returns its id.
    #[wasm_bindgen(js_namespace = FerriteDeviceIo)]
    pub fn create(
        kind: &str,
        options: &JsValue,
        on_open: &JsValue,
        on_bytes: &JsValue,
        on_text: &JsValue,
        on_closed: &JsValue,
    ) -> u32;

    /// WebSerial/WebUSB (`kind` "serial" | "usb"): find the port or device granted before
    /// (`remembered`: `{usbVendorId, usbProductId}` or null) or ask the user to choose one
    /// (must run inside the user's click). Resolves once there is one; the next [`create`] of
    /// that kind uses it. Rejects with a message (cancelled, no such API). Other kinds resolve
    /// at once.
    #[wasm_bindgen(js_namespace = FerriteDeviceIo)]
    pub fn pick(kind: &str, remembered: &JsValue) -> js_sys::Promise;

    /// Open (or reopen) the transport: ends in `on_open` or `on_closed`.
    #[wasm_bindgen(js_namespace = FerriteDeviceIo)]
    pub fn open(id: u32);

    /// Close the current connection; nothing of it is reported any more.
    #[wasm_bindgen(js_namespace = FerriteDeviceIo)]
    pub fn close(id: u32);

    /// Close and forget the transport.
    #[wasm_bindgen(js_namespace = FerriteDeviceIo)]
    pub fn dispose(id: u32);

    /// Bytes for a byte stream (WebUSB: one bulk OUT transfer).
    #[wasm_bindgen(js_namespace = FerriteDeviceIo)]
    pub fn write(id: u32, bytes: &[u8]);

    /// A WebSocket text message.
    #[wasm_bindgen(js_namespace = FerriteDeviceIo, js_name = sendText)]
    pub fn send_text(id: u32, text: &str);

    /// An HTTP RPC request (the answer comes back as `on_text(body, status, request)`).
    #[wasm_bindgen(js_namespace = FerriteDeviceIo)]
    pub fn post(id: u32, body: &str);

    /// DTR/RTS of a serial line (WebSerial, the bridge).
    #[wasm_bindgen(js_namespace = FerriteDeviceIo, js_name = setSignals)]
    pub fn set_signals(id: u32, dtr: bool, rts: bool);

    /// Switch the line's baud rate now: WebSerial closes and reopens the same port at the new
    /// rate without reporting a close, the bridge sends `{"baud": n}`, WebUSB sends the
    /// SET_LINE_CODING its `usbLineCoding(baud)` option builds.
    #[wasm_bindgen(js_namespace = FerriteDeviceIo, js_name = setBaud)]
    pub fn set_baud(id: u32, baud: u32);

    /// A control transfer (JSON) the CDC-ACM driver built (WebUSB).
    #[wasm_bindgen(js_namespace = FerriteDeviceIo, js_name = usbControl)]
    pub fn usb_control(id: u32, transfer_json: &str);

    /// Whether the open line drives DTR/RTS (a bridge on a PTY does not): the bridge is asked by
    /// setting the lines to `dtr`/`rts`; WebSerial and WebUSB resolve to true at once, and so
    /// does a bridge that does not answer.
    #[wasm_bindgen(js_namespace = FerriteDeviceIo, js_name = linesSupported)]
    pub fn lines_supported(id: u32, dtr: bool, rts: bool) -> js_sys::Promise;

    /// Hand the transport's WebSerial port or WebUSB device to the next [`create`] of its kind
    /// (before it is disposed); false if there is none or it was unplugged.
    #[wasm_bindgen(js_namespace = FerriteDeviceIo, js_name = handOver)]
    pub fn hand_over(id: u32) -> bool;

    /// `{usbVendorId, usbProductId}` of the port or device in use, or null.
    #[wasm_bindgen(js_namespace = FerriteDeviceIo, js_name = portInfo)]
    pub fn port_info(id: u32) -> JsValue;
}

/// USB ids of the port or device transport `id` uses, from [`port_info`].
pub fn port_ids(id: u32) -> Option<UsbIds> {
    let v = port_info(id);
    if v.is_null() || v.is_undefined() {
        return None;
    }
    let get = |k: &str| {
        js_sys::Reflect::get(&v, &k.into())
            .ok()
            .and_then(|n| n.as_f64())
            .and_then(|n| u16::try_from(n as i64).ok())
    };
    Some(UsbIds {
        vendor: get("usbVendorId")?,
        product: get("usbProductId")?,
    })
}

/// What the browser supports, read from [`supports`] (false when the glue is missing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Support {
    pub serial: bool,
    pub usb: bool,
}

pub fn support() -> Support {
    let has_glue =
        js_sys::Reflect::has(&js_sys::global(), &"FerriteDeviceIo".into()).unwrap_or(false);
    if !has_glue {
        return Support::default();
    }
    let v = supports();
    let flag = |k: &str| {
        js_sys::Reflect::get(&v, &k.into())
            .ok()
            .and_then(|b| b.as_bool())
            .unwrap_or(false)
    };
    Support {
        serial: flag("serial"),
        usb: flag("usb"),
    }
}
