//! One flash: take the port from the Device tab if it holds one (one owner per port), choose and
//! open the port, hand the file to the flash worker, carry the bytes both ways and do what the
//! worker asks of the line (baud, DTR/RTS), show its progress, and at the end let go of the port
//! and — after a reset — open the Device console on the freshly booted device. Cancel asks the
//! worker to stop; a worker that does not answer in time is ended.

use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::fetch_bytes;
use crate::controller::device::RunTab;
use crate::controller::Ctx;
use crate::device::io;
use crate::device::raw_port::{PortEvent, RawPort};
use crate::state::device_view::{resolve_url, ConnectionKind};
use crate::state::flash_view::{
    parse_offset, Bundled, FlashPort, FlashRequest, FromFlashWorker, Lines, Outcome, Phase, Source,
    CANCEL_JSON, RX_JSON, START_BAUD,
};

/// How long the port may take to open.
const OPEN_TIMEOUT: Duration = Duration::from_secs(15);
/// How long the worker may take to confirm a Cancel before it is ended.
const CANCEL_GRACE: Duration = Duration::from_secs(3);

impl Ctx {
    /// Flash (from the user's click: WebSerial/WebUSB ask for a port inside it).
    pub fn flash_start(&self) {
        let fl = self.flash;
        if fl.page.with_untracked(|p| p.view.phase.busy()) {
            return;
        }
        let refuse = |why: String| fl.page.update(|p| p.view.phase = Phase::NotStarted(why));
        let (settings, source, chosen, offset_text) = fl.page.with_untracked(|p| {
            (
                p.settings.clone(),
                p.source,
                p.file.clone(),
                p.offset_text.clone(),
            )
        });
        let url = match settings.port {
            FlashPort::Bridge => {
                match resolve_url(ConnectionKind::SerialBridge, &settings.bridge_url) {
                    Ok(u) => u,
                    Err(e) => return refuse(e),
                }
            }
            _ => String::new(),
        };
        // What to write: the bundled image (fetched below) or the user's file.
        let bundled = match source {
            Source::Bundled(i) => match fl.page.with_untracked(|p| match &p.bundled {
                Bundled::Images(list) => list.get(i).cloned(),
                _ => None,
            }) {
                Some(image) => Some(image),
                None => return refuse("Choose the firmware to flash.".into()),
            },
            Source::File => None,
        };
        let mut offset = None;
        let have_file = chosen.is_some();
        let file = match &bundled {
            Some(image) => (image.file.clone(), None),
            None => {
                let (Some(chosen), Some(bytes)) = (
                    chosen,
                    fl.svc.try_with_value(|s| s.file_bytes.clone()).flatten(),
                ) else {
                    return refuse(if have_file {
                        "The file is still being read: press Flash again in a moment.".into()
                    } else {
                        "Choose a .bin or .elf file to flash.".into()
                    });
                };
                if chosen.takes_offset() {
                    offset = match parse_offset(&offset_text) {
                        Ok(o) => o,
                        Err(e) => return refuse(e),
                    };
                }
                if offset.is_none() && chosen.facts.as_ref().is_some_and(|f| f.needs_offset()) {
                    return refuse("A raw binary needs the offset to write it at.".into());
                }
                (chosen.name, Some(bytes))
            }
        };
        // One owner per port: the Device tab lets go of its serial line first.
        if self.dev.active() && self.dev.console_wire.get_untracked() {
            self.device_disconnect();
        }
        let Some(run) = fl.svc.try_update_value(|s| {
            s.run += 1;
            s.port = None;
            s.port_open = false;
            s.lines = Default::default();
            s.resets = true;
            s.closed_in_reset = false;
            s.run
        }) else {
            return;
        };
        fl.page.update(|p| p.view.start());
        fl.notes.update(|n| n.clear());
        let remembered = settings.remembered.map(|ids| {
            let r = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&r, &"usbVendorId".into(), &ids.vendor.into());
            let _ = js_sys::Reflect::set(&r, &"usbProductId".into(), &ids.product.into());
            JsValue::from(r)
        });
        // The chooser must be asked inside the click; everything after may wait.
        let chosen = JsFuture::from(io::pick(
            settings.port.io_kind(),
            &remembered.unwrap_or(JsValue::NULL),
        ));
        let ctx = *self;
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = chosen.await {
                let why = e.as_string().unwrap_or_else(|| "no port chosen".into());
                let why = if why.starts_with("no port") {
                    why
                } else {
                    format!("no port: {why}")
                };
                return ctx.flash_end(run, Err(why));
            }
            let (name, bytes) = match (file, bundled) {
                ((name, Some(bytes)), _) => (name, bytes),
                ((name, None), Some(image)) => {
                    ctx.flash_stage(run, "Downloading the firmware");
                    match fetch_bytes(&image.url()).await {
                        Ok(b) => (name, b),
                        Err(e) => {
                            return ctx
                                .flash_end(run, Err(format!("the firmware did not load: {e}")))
                        }
                    }
                }
                ((_, None), None) => return,
            };
            if !ctx.flash_current(run) {
                return;
            }
            let request = FlashRequest {
                file_name: name,
                offset,
                target_baud: (settings.baud != START_BAUD).then_some(settings.baud),
                params: settings.params.clone(),
                reset_after: settings.reset,
                usb_id: None,
                resets: true,
                erase_all: settings.erase_all,
            };
            ctx.flash_open_port(run, request, bytes, &url);
        });
    }

    /// Open the port; once open, the request goes to the worker.
    fn flash_open_port(
        &self,
        run: u64,
        request: FlashRequest,
        bytes: js_sys::Uint8Array,
        url: &str,
    ) {
        let fl = self.flash;
        let settings = fl.page.with_untracked(|p| p.settings.clone());
        let ctx = *self;
        let port = RawPort::new(
            settings.port,
            url,
            START_BAUD,
            settings.remembered,
            move |e| ctx.on_flash_port(run, e),
        );
        fl.svc.try_update_value(|s| {
            s.port = Some(port.clone());
            // The worker picks the reset sequence of Espressif's USB-Serial-JTAG by the ids.
            let request = FlashRequest {
                usb_id: port.port_ids(),
                ..request
            };
            s.request = Some((request, bytes));
        });
        self.flash_stage(run, "Opening the port");
        port.open();
        set_timeout(
            move || {
                let waiting = ctx
                    .flash
                    .svc
                    .try_with_value(|s| s.run == run && s.port.is_some() && !s.port_open)
                    .unwrap_or(false);
                if waiting {
                    ctx.flash_end(
                        run,
                        Err(format!(
                            "the port did not open in {} s",
                            OPEN_TIMEOUT.as_secs()
                        )),
                    );
                }
            },
            OPEN_TIMEOUT,
        );
    }

    fn on_flash_port(&self, run: u64, event: PortEvent) {
        if !self.flash_current(run) {
            return;
        }
        let fl = self.flash;
        match event {
            PortEvent::Open => {
                let port = fl
                    .svc
                    .try_update_value(|s| {
                        s.port_open = true;
                        s.port.clone()
                    })
                    .flatten();
                let Some(port) = port else { return };
                // Reset sequences only where the line drives DTR/RTS (a bridge on a PTY does
                // not): asked by setting the lines to what a freshly opened port drives.
                let lines = Lines::default();
                let asked = JsFuture::from(port.lines_supported(lines.dtr, lines.rts));
                drop(port);
                let ctx = *self;
                wasm_bindgen_futures::spawn_local(async move {
                    let resets = asked.await.ok().and_then(|v| v.as_bool()).unwrap_or(true);
                    ctx.flash_send_request(run, resets);
                });
            }
            PortEvent::Bytes(a) => {
                if let Some(client) = self.flash_client() {
                    client.send(RX_JSON, Some(&a));
                }
            }
            PortEvent::Closed(reason) => {
                let why = if reason == "the port closed" {
                    reason
                } else {
                    format!("the port closed: {reason}")
                };
                let resetting = fl.page.with_untracked(|p| {
                    p.view
                        .progress
                        .as_ref()
                        .is_some_and(|pr| pr.stage == "reset")
                });
                if resetting {
                    // The image is written and verified: a board that re-enumerates on its
                    // reset (native USB) drops the port. The worker's `done` follows.
                    let port = fl
                        .svc
                        .try_update_value(|s| {
                            s.closed_in_reset = true;
                            s.port_open = false;
                            s.port.take()
                        })
                        .flatten();
                    drop(port);
                    fl.notes
                        .try_update(|n| n.push(format!("{why} while resetting")));
                    return;
                }
                if let Some(client) = self.flash_client() {
                    client.send(CANCEL_JSON, None);
                }
                self.flash_end(run, Err(why));
            }
        }
    }

    /// The port is open and it is known whether it drives DTR/RTS: the request goes to the
    /// worker. A job of an earlier flash that the page ended but the worker has not finished
    /// (no `done`/`failed` yet) is ended with its worker: a fresh one takes the request.
    fn flash_send_request(&self, run: u64, resets: bool) {
        let fl = self.flash;
        if !self.flash_current(run) {
            return;
        }
        let Some(client) = self.flash_client() else {
            return;
        };
        let taken = fl.svc.try_update_value(|s| {
            s.resets = resets;
            let stale = s.worker_run.is_some_and(|r| r != run);
            s.worker_run = Some(run);
            (s.request.take(), stale)
        });
        let Some((Some((request, bytes)), stale)) = taken else {
            return;
        };
        if stale {
            client.terminate();
        }
        if !resets {
            fl.notes.try_update(|n| {
                n.push("this line cannot drive DTR/RTS: connecting without reset sequences")
            });
        }
        let json = FlashRequest { resets, ..request }.to_json();
        self.flash_stage(run, "Connecting to the chip");
        client.send(&json, Some(&bytes.slice(0, bytes.length())));
    }

    /// A message of the flash worker. Messages of a job the page already ended (the port
    /// closed, a new flash started) are dropped; its `done`/`failed` only marks the worker free.
    pub(in crate::controller) fn on_flash_worker(&self, m: FromFlashWorker) {
        let fl = self.flash;
        let Some((run, worker_run)) = fl.svc.try_with_value(|s| (s.run, s.worker_run)) else {
            return;
        };
        let ours = worker_run == Some(run) && self.flash_current(run);
        // The port, only where a message needs it (a clone kept longer would delay its close).
        let port = || fl.svc.try_with_value(|s| s.port.clone()).flatten();
        match m {
            FromFlashWorker::Ready | FromFlashWorker::Unknown(_) => {}
            FromFlashWorker::Tx(bytes) if ours => {
                if let Some(p) = port() {
                    p.write(&bytes);
                }
            }
            FromFlashWorker::Baud(baud) if ours => {
                if let Some(p) = port() {
                    p.set_baud(baud);
                }
            }
            FromFlashWorker::Lines { dtr, rts } if ours => {
                let lines = fl.svc.try_update_value(|s| s.lines.apply(dtr, rts));
                if let (Some(p), Some(l)) = (port(), lines) {
                    p.set_lines(l.dtr, l.rts);
                }
            }
            // A job the page ended: its port is gone.
            FromFlashWorker::Tx(_) | FromFlashWorker::Baud(_) | FromFlashWorker::Lines { .. } => {}
            FromFlashWorker::Note(text) => {
                // A note of an ended job is dropped; one with no job (an identify) is kept.
                if ours || worker_run.is_none() {
                    fl.notes.try_update(|n| n.push(text));
                }
            }
            FromFlashWorker::Identified(facts) => {
                // Only for the file chosen now (not one the user replaced since).
                fl.page.try_update(|p| {
                    if let Some(f) = p.file.as_mut().filter(|f| f.name == facts.file_name) {
                        f.facts = Some(facts);
                    }
                });
            }
            FromFlashWorker::Done(outcome) => {
                fl.svc.try_update_value(|s| s.worker_run = None);
                if ours {
                    self.flash_end(run, Ok(outcome));
                }
            }
            FromFlashWorker::Failed(error) => {
                fl.svc.try_update_value(|s| s.worker_run = None);
                if ours || (worker_run.is_none() && self.flash_current(run)) {
                    // (A worker that failed to start also fails the flash waiting for it.)
                    self.flash_end(run, Err(error));
                } else if worker_run.is_none() {
                    // Not about a flash (an identify, a worker that failed while idle).
                    fl.notes.try_update(|n| n.push(error));
                }
            }
            m @ (FromFlashWorker::Progress(_) | FromFlashWorker::Chip(_)) => {
                if ours {
                    fl.page.try_update(|p| p.view.apply(&m));
                }
            }
        }
    }

    /// Cancel the flash under way.
    pub fn flash_cancel(&self) {
        let fl = self.flash;
        let Some((run, working)) = fl
            .svc
            .try_with_value(|s| (s.run, s.port_open && s.worker_run == Some(s.run)))
        else {
            return;
        };
        if !fl.page.with_untracked(|p| p.view.phase.busy()) {
            return;
        }
        // No job yet (the port is opening, the request not sent): nothing to stop but the port.
        if !working {
            return self.flash_end(run, Err("cancelled".into()));
        }
        fl.page.update(|p| {
            p.view.phase = Phase::Cancelling;
            p.view.stage = "Cancelling".into();
        });
        if let Some(client) = self.flash_client() {
            client.send(CANCEL_JSON, None);
        }
        let ctx = *self;
        set_timeout(
            move || {
                if ctx.flash_current(run) {
                    if let Some(c) = ctx.flash_client() {
                        c.terminate();
                    }
                    ctx.flash.svc.try_update_value(|s| s.worker_run = None);
                    ctx.flash_end(run, Err("cancelled (the flash worker was stopped)".into()));
                }
            },
            CANCEL_GRACE,
        );
    }

    /// `run` is the flash under way (not ended, not replaced).
    fn flash_current(&self, run: u64) -> bool {
        self.flash
            .svc
            .try_with_value(|s| s.run == run)
            .unwrap_or(false)
            && self
                .flash
                .page
                .try_with_untracked(|p| p.view.phase.busy())
                .unwrap_or(false)
    }

    fn flash_stage(&self, run: u64, stage: &str) {
        if self.flash_current(run) {
            self.flash
                .page
                .try_update(|p| p.view.stage = stage.to_string());
        }
    }

    /// The flash ended: let go of the port, show the outcome, and after a reset open the
    /// Device console on the device over the same line — the very port object the flash used
    /// (handed over: this runs outside a click, where no chooser may be shown).
    fn flash_end(&self, run: u64, result: Result<Outcome, String>) {
        let fl = self.flash;
        if !self.flash_current(run) {
            return;
        }
        let Some((port, resets, closed_in_reset)) = fl.svc.try_update_value(|s| {
            s.run += 1;
            s.port_open = false;
            s.request = None;
            (s.port.take(), s.resets, s.closed_in_reset)
        }) else {
            return;
        };
        let ids = port.as_ref().and_then(|p| p.port_ids());
        let Some(settings) = fl.page.try_with_untracked(|p| p.settings.clone()) else {
            return;
        };
        if ids.is_some() && settings.port != FlashPort::Bridge {
            self.flash_update_settings(|s| s.remembered = ids);
        }
        let mut result = result;
        let console = match &mut result {
            Ok(o) if closed_in_reset => {
                o.remark = Some(
                    "the port closed while resetting (the board re-enumerates): reconnect from \
                     the Device tab"
                        .into(),
                );
                false
            }
            Ok(o) if o.reset => true,
            // Nothing could pulse EN: the console waits for the person's RESET.
            Ok(_) if !resets && settings.reset => true,
            _ => false,
        };
        if let (Ok(o), false) = (&mut result, resets) {
            if settings.reset && !o.reset {
                o.remark = Some(
                    "press the board's RESET button to start the new firmware (this line cannot \
                     reset it)"
                        .into(),
                );
            }
        }
        let handed = console
            && match settings.port {
                FlashPort::Bridge => true,
                _ => port.as_ref().is_some_and(|p| p.hand_over()),
            };
        drop(port);
        if let (true, false, Ok(o)) = (console, handed, &mut result) {
            o.remark = Some("the port is gone: connect from the Device tab".into());
        }
        fl.page.try_update(|p| {
            p.view.apply(&match result {
                Ok(o) => FromFlashWorker::Done(o),
                Err(e) => FromFlashWorker::Failed(e),
            })
        });
        if !handed {
            return;
        }
        // The firmware's console: the same line at the firmware's rate.
        let dev = self.dev;
        dev.settings.try_update(|s| {
            s.kind = settings.port.device_kind();
            s.baud = START_BAUD;
            match settings.port {
                FlashPort::Bridge => s.address = settings.bridge_url.clone(),
                // The port's own ids (none: none, not an older board's).
                _ => s.remembered = ids,
            }
        });
        dev.run_tab.try_set(RunTab::Device);
        self.device_connect_handed_over();
    }
}
