//! A draggable splitter between two panes (pointer events with capture; arrow keys too). It
//! changes one size of the layout, which is saved when the drag ends.

use leptos::prelude::*;

use crate::controller::use_ctx;
use crate::state::layout::Pane;
use crate::store::prefs;
use crate::util::dom;

/// Pixels an arrow key moves a splitter.
const KEY_STEP: f64 = 16.0;

#[component]
pub fn Splitter(pane: Pane) -> impl IntoView {
    let ctx = use_ctx();
    let vertical = pane != Pane::Console;
    // The pane grows when the pointer moves right/down (sidebar) or left/up (board, console).
    let sign = if pane == Pane::Sidebar { 1.0 } else { -1.0 };
    // Where a drag started (pointer position, pane size); a signal, so that the "dragging"
    // class follows it. Read with `try_`: pointer events may come after the splitter is gone.
    let drag = RwSignal::new(None::<(f64, f64)>);
    let pos = move |ev: &web_sys::PointerEvent| {
        if vertical {
            f64::from(ev.client_x())
        } else {
            f64::from(ev.client_y())
        }
    };
    let label = match pane {
        Pane::Sidebar => "Resize sidebar",
        Pane::Board => "Resize board panel",
        Pane::Console => "Resize console",
    };
    let resize = move |px: f64| ctx.layout.update(|l| l.set_size(pane, px));
    view! {
        <div
            class="splitter"
            class:vertical=vertical
            class:horizontal=!vertical
            class:dragging=move || drag.with(|d| d.is_some())
            role="separator"
            tabindex="0"
            aria-label=label
            aria-orientation=if vertical { "vertical" } else { "horizontal" }
            aria-valuenow=move || format!("{:.0}", ctx.layout.with(|l| l.size(pane)))
            on:pointerdown=move |ev| {
                ev.prevent_default();
                dom::capture_pointer(&ev);
                let start = ctx.layout.with_untracked(|l| l.size(pane));
                drag.try_set(Some((pos(&ev), start)));
            }
            on:pointermove=move |ev| {
                if let Some((origin, start)) = drag.try_get_untracked().flatten() {
                    resize(start + sign * (pos(&ev) - origin));
                }
            }
            on:pointerup=move |_| {
                drag.try_set(None);
                prefs::save_layout(&ctx.layout.get_untracked());
            }
            on:pointercancel=move |_| {
                drag.try_set(None);
            }
            on:keydown=move |ev| {
                let delta = match ev.key().as_str() {
                    "ArrowLeft" | "ArrowUp" => -KEY_STEP,
                    "ArrowRight" | "ArrowDown" => KEY_STEP,
                    _ => return,
                };
                ev.prevent_default();
                let now = ctx.layout.with_untracked(|l| l.size(pane));
                resize(now + sign * delta);
                prefs::save_layout(&ctx.layout.get_untracked());
            }
        ></div>
    }
}
