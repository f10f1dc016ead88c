//! The "Chip" region (what the chip that answered is: chip, MAC, flash size, whether the
//! flasher stub runs) and the "Flash notes" log (retries, baud fallbacks, what was skipped).

use leptos::prelude::*;

use super::dom::{card, el, el_class, El};
use crate::controller::Ctx;
use crate::state::flash_view::{size_text, ChipFacts};

/// A flash size: "4 MB" for whole MiB (as flash chips are sold), else in kB.
fn flash_size(bytes: u64) -> String {
    if bytes > 0 && bytes.is_multiple_of(1 << 20) {
        format!("{} MB", bytes >> 20)
    } else {
        size_text(bytes as f64)
    }
}

/// How a row reads its value from the chip's facts.
type Fact = fn(&ChipFacts) -> String;

pub fn chip_facts(ctx: Ctx) -> El {
    let fl = ctx.flash;
    let mut grid = el_class("dl", "info-grid");
    let rows: [(&str, Fact); 4] = [
        ("Chip", |c| c.chip.clone()),
        ("MAC", |c| c.mac.clone()),
        ("Flash size", |c| {
            c.flash_size.map(flash_size).unwrap_or_default()
        }),
        ("Stub", |c| {
            if c.stub { "yes" } else { "no (ROM loader)" }.to_string()
        }),
    ];
    for (label, get) in rows {
        grid = grid.child(el("dt").text(label)).child(
            el_class("dd", "mono")
                .bind_text(move || fl.view(|v| v.chip.as_ref().map(get).unwrap_or_default())),
        );
    }
    let notes = el_class("ul", "flash-notes")
        .attr("role", "log")
        .attr("aria-label", "Flash notes")
        .bind_children(
            move || fl.notes.with(|n| n.key()),
            move || {
                fl.notes
                    .with(|n| n.lines())
                    .into_iter()
                    .map(|(_, text)| el("li").text(&text))
                    .collect()
            },
        );
    card("Chip", Some("Chip")).child(grid).child(notes)
}
