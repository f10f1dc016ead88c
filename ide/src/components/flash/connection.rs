//! The "Flash connection" region: the line to the chip (WebSerial, WebUSB, or a serial bridge
//! with its URL; kinds this browser lacks are disabled) and the baud rate to switch to once
//! the chip answered (it always starts at 115200).

use super::dom::{card, el, el_class, field_row, select, target_value, El};
use crate::controller::Ctx;
use crate::device::io;
use crate::state::flash_view::{FlashPort, BAUDS};

const MISSING: &str =
    "Not in this browser (Chrome or Edge, over https or localhost): use a serial bridge";

pub fn flash_connection(ctx: Ctx) -> El {
    let fl = ctx.flash;
    let support = io::support();
    let mut kinds = el_class("select", "field").attr("aria-label", "Flash connection");
    for k in FlashPort::ALL {
        let missing = match k {
            FlashPort::Serial => !support.serial,
            FlashPort::Usb => !support.usb,
            FlashPort::Bridge => false,
        };
        let mut option = el("option").attr("value", k.label()).text(k.label());
        if missing {
            option = option.attr("disabled", "").attr("title", MISSING);
        }
        kinds = kinds.child(option);
    }
    let kinds = kinds
        .bind_value(move || fl.settings(|s| s.port.label().to_string()))
        .on("change", move |ev| {
            if let Some(k) = FlashPort::from_label(&target_value(&ev)) {
                ctx.flash_update_settings(|s| s.port = k);
            }
        });
    let url = el_class("input", "field mono")
        .attr("type", "text")
        .attr("aria-label", "Bridge URL")
        .attr("spellcheck", "false")
        .attr("autocomplete", "off")
        .attr("placeholder", "ws://127.0.0.1:8765")
        .bind_value(move || fl.settings(|s| s.bridge_url.clone()))
        .on("input", move |ev| {
            let v = target_value(&ev);
            ctx.flash_update_settings(|s| s.bridge_url = v);
        });
    let bauds: Vec<(String, String)> = BAUDS
        .iter()
        .map(|b| (b.to_string(), b.to_string()))
        .collect();
    card("Flash connection", None)
        .child(field_row("Line", kinds))
        .child(field_row("URL", url).bind_flag("hidden", move || {
            fl.settings(|s| s.port != FlashPort::Bridge)
        }))
        .child(field_row(
            "Baud",
            select(
                "Flash baud",
                &bauds,
                move || fl.settings(|s| s.baud.to_string()),
                move |v| {
                    if let Ok(b) = v.parse() {
                        ctx.flash_update_settings(|s| s.baud = b);
                    }
                },
            ),
        ))
}
