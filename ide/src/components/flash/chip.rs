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
        .attr("aria-label", "Flash notes");
    append_notes(ctx, notes.0.clone());
    card("Chip", Some("Chip")).child(grid).child(notes)
}

/// The id of a note's `li` (its `data-note`).
fn note_id(li: &web_sys::Element) -> Option<u64> {
    li.get_attribute("data-note")?.parse().ok()
}

/// Keep the "Flash notes" log in step with the notes by appending the new lines and removing
/// the ones the bounded log dropped (all of them after a clear): a live log that were rebuilt
/// would announce every line again.
fn append_notes(ctx: Ctx, log: web_sys::Element) {
    let fl = ctx.flash;
    Effect::new(move |_| {
        let lines = fl.notes.with(|n| n.lines());
        let first = lines.first().map(|(id, _)| *id);
        while let Some(li) = log.first_element_child() {
            if first.is_some_and(|f| note_id(&li).is_some_and(|id| id >= f)) {
                break;
            }
            li.remove();
        }
        let shown = log
            .last_element_child()
            .and_then(|li| note_id(&li))
            .unwrap_or(0);
        for (id, text) in lines.into_iter().filter(|(id, _)| *id > shown) {
            let li = el("li").attr("data-note", &id.to_string()).text(&text);
            let _ = log.append_child(&li.0);
        }
    });
}
