//! The "Firmware" region: the bundled firmware of this build (one choice per image, or "No
//! bundled firmware in this build") or a file of the user's (.bin/.elf), what the worker found
//! it to be, and the offset to write it at (raw and app images).

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::dom::{card, el, el_class, field_row, target_value, El};
use crate::controller::Ctx;
use crate::state::flash_view::{Bundled, ChosenFile, Source};

/// A radio button of the "flash-source" group for `source`.
fn source_radio(ctx: Ctx, source: Source, label: &str) -> El {
    let fl = ctx.flash;
    el_class("label", "check")
        .child(
            el("input")
                .attr("type", "radio")
                .attr("name", "flash-source")
                .bind_checked(move || fl.page.with(|p| p.source == source))
                .on("change", move |_| fl.page.update(|p| p.source = source)),
        )
        .text(label)
}

/// What the bundled firmware offers: a choice per image, or why there is none.
fn bundled_choices(ctx: Ctx, bundled: &Bundled) -> Vec<El> {
    match bundled {
        Bundled::Loading => {
            vec![el_class("p", "muted small").text("Looking for bundled firmware…")]
        }
        Bundled::Missing(why) => vec![el_class("p", "muted small")
            .attr("role", "status")
            .attr("aria-label", "Bundled firmware")
            .text(why)],
        Bundled::Images(list) => list
            .iter()
            .enumerate()
            .map(|(i, image)| source_radio(ctx, Source::Bundled(i), &image.label()))
            .collect(),
    }
}

/// Read the chosen file (tracked).
fn with_file<R>(ctx: Ctx, f: impl FnOnce(Option<&ChosenFile>) -> R) -> R {
    ctx.flash.page.with(|p| f(p.file.as_ref()))
}

pub fn firmware_choice(ctx: Ctx) -> El {
    let fl = ctx.flash;
    // Rebuilt only when the manifest's answer changes (not at every progress report).
    let bundled = el("div").bind_children(
        move || {
            fl.page.with(|p| match &p.bundled {
                Bundled::Loading => String::new(),
                Bundled::Missing(why) => why.clone(),
                Bundled::Images(list) => list.len().to_string(),
            })
        },
        move || fl.page.with(|p| bundled_choices(ctx, &p.bundled)),
    );
    let own_file = source_radio(ctx, Source::File, "A file of mine")
        .bind_flag("hidden", move || {
            !fl.page.with(|p| matches!(p.bundled, Bundled::Images(_)))
        });
    let file_input = el_class("input", "field")
        .attr("type", "file")
        .attr("accept", ".bin,.elf,application/octet-stream")
        .attr("aria-label", "Firmware file")
        .on("change", move |ev| {
            let input: Option<web_sys::HtmlInputElement> =
                ev.target().and_then(|t| t.dyn_into().ok());
            let Some(input) = input else { return };
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                ctx.flash_choose_file(file);
            }
            // Choosing the same file again (rebuilt) must fire `change` again: the bytes are
            // read once per choice.
            input.set_value("");
        });
    let facts = el_class("p", "muted small")
        .attr("role", "status")
        .attr("aria-label", "Firmware file kind")
        .bind_text(move || {
            with_file(ctx, |f| match f {
                None => String::new(),
                Some(f) => match &f.facts {
                    Some(facts) => facts.describe(),
                    None => format!("{}: identifying…", f.name),
                },
            })
        });
    let offset = el_class("input", "field mono")
        .attr("type", "text")
        .attr("aria-label", "Flash offset")
        .attr("spellcheck", "false")
        .attr("autocomplete", "off")
        .bind_attr("placeholder", move || {
            let raw = with_file(ctx, |f| {
                f.and_then(|f| f.facts.as_ref())
                    .is_some_and(|facts| facts.needs_offset())
            });
            Some(
                if raw {
                    "required, e.g. 0x10000"
                } else {
                    "0x10000 (an app's default)"
                }
                .into(),
            )
        })
        .bind_value(move || fl.page.with(|p| p.offset_text.clone()))
        .on("input", move |ev| {
            let v = target_value(&ev);
            fl.page.update(|p| p.offset_text = v);
        });
    card("Firmware", Some("Firmware"))
        .child(bundled)
        .child(own_file)
        .child(field_row("File", file_input))
        .child(facts)
        .child(field_row("Offset", offset).bind_flag("hidden", move || {
            !with_file(ctx, |f| f.is_some_and(|f| f.takes_offset()))
        }))
}
