//! The "Flash options" region: flash mode, frequency and size for the image header (each
//! "Keep" by default: the image's own), "Erase all flash first", "Reset after flashing".

use super::dom::{card, checkbox, el_class, field_row, select, El};
use crate::controller::Ctx;
use crate::state::flash_view::{FLASH_FREQS, FLASH_MODES, FLASH_SIZES_MB};

/// The value of "Keep" in the selects.
const KEEP: &str = "keep";

/// "Keep" and then `values`.
fn choices(values: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    std::iter::once((KEEP.to_string(), "Keep".to_string()))
        .chain(values)
        .collect()
}

fn or_keep(v: Option<String>) -> String {
    v.unwrap_or_else(|| KEEP.to_string())
}

pub fn flash_options(ctx: Ctx) -> El {
    let fl = ctx.flash;
    let modes = choices(
        FLASH_MODES
            .iter()
            .map(|m| (m.to_string(), m.to_ascii_uppercase())),
    );
    let freqs = choices(
        FLASH_FREQS
            .iter()
            .map(|f| (f.to_string(), format!("{} MHz", f.trim_end_matches('m')))),
    );
    let sizes = choices(
        FLASH_SIZES_MB
            .iter()
            .map(|mb| ((mb << 20).to_string(), format!("{mb} MB"))),
    );
    let mode = select(
        "Flash mode",
        &modes,
        move || or_keep(fl.settings(|s| s.params.mode.map(str::to_string))),
        move |v| {
            ctx.flash_update_settings(|s| {
                s.params.mode = FLASH_MODES.iter().copied().find(|m| *m == v)
            })
        },
    );
    let freq = select(
        "Flash frequency",
        &freqs,
        move || or_keep(fl.settings(|s| s.params.freq.map(str::to_string))),
        move |v| {
            ctx.flash_update_settings(|s| {
                s.params.freq = FLASH_FREQS.iter().copied().find(|f| *f == v)
            })
        },
    );
    let size = select(
        "Flash size",
        &sizes,
        move || or_keep(fl.settings(|s| s.params.size.map(|n| n.to_string()))),
        move |v| ctx.flash_update_settings(|s| s.params.size = v.parse().ok()),
    );
    card("Flash options", None)
        .child(field_row("Mode", mode))
        .child(field_row("Frequency", freq))
        .child(field_row("Size", size))
        .child(
            el_class("div", "btn-row")
                .child(checkbox(
                    "Erase all flash first",
                    move || fl.settings(|s| s.erase_all),
                    move |on| ctx.flash_update_settings(|s| s.erase_all = on),
                ))
                .child(checkbox(
                    "Reset after flashing",
                    move || fl.settings(|s| s.reset),
                    move |on| ctx.flash_update_settings(|s| s.reset = on),
                )),
        )
}
