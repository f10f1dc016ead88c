//! The Flash tab of the run panel: what to flash (the bundled firmware or the user's file),
//! over which line, with which options, and the flash itself (button, progress, chip facts,
//! notes, result). Views only: every action is a controller method (`controller::flash`),
//! every value a flash signal.
//!
//! The page is built with the small DOM builder in `dom` rather than `view!` (see there why:
//! the page's wasm has a size budget). It is built once, the first time the tab is opened, and
//! added to the run panel then.

mod chip;
mod connection;
mod dom;
mod firmware;
mod options;
mod progress;

use leptos::prelude::*;

use crate::controller::device::RunTab;
use crate::controller::Ctx;

/// Add the "Flash" tabpanel to the run panel (`aside` "Run panel", after the Device
/// tabpanel); false if the run panel is not in the page yet.
pub fn flash_tab_panel(ctx: Ctx) -> bool {
    let run_panel = web_sys::window().and_then(|w| w.document()).and_then(|d| {
        d.query_selector(r#"aside[aria-label="Run panel"]"#)
            .ok()
            .flatten()
    });
    let Some(run_panel) = run_panel else {
        return false;
    };
    let panel = dom::el("div")
        .attr("role", "tabpanel")
        .attr("aria-label", "Flash")
        .bind_flag("hidden", move || ctx.dev.run_tab.get() != RunTab::Flash)
        .child(
            dom::el_class("div", "device-panel flash-panel")
                .child(firmware::firmware_choice(ctx))
                .child(connection::flash_connection(ctx))
                .child(options::flash_options(ctx))
                .child(progress::flashing(ctx))
                .child(chip::chip_facts(ctx)),
        );
    run_panel.append_child(&panel.0).is_ok()
}
