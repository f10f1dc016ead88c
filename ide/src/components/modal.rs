//! The frame of a dialog: a backdrop (a click closes), the dialog with its title and Close
//! button, focus moved into it when it opens and back where it was when it closes. What is
//! inside is the caller's; closing sets the controller's dialog to `None` (Esc does too, see
//! `controller::startup`).

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::controller::{use_ctx, Dialog};

#[component]
pub fn Modal(
    /// The dialog's accessible name (the UI contract's, e.g. "Examples").
    label: &'static str,
    /// The heading shown.
    title: &'static str,
    /// Extra class of the dialog (its size and layout).
    class: &'static str,
    children: Children,
) -> impl IntoView {
    let ctx = use_ctx();
    let close = move || ctx.dialog.set(Dialog::None);
    let node = NodeRef::<leptos::html::Div>::new();
    let before = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            let _ = el.focus();
        }
    });
    let before = send_wrapper::SendWrapper::new(before);
    on_cleanup(move || {
        if let Some(el) = before.take() {
            let _ = el.focus();
        }
    });
    view! {
        <div class="backdrop" on:click=move |_| close()></div>
        <div
            class=format!("dialog {class}")
            role="dialog"
            aria-modal="true"
            aria-label=label
            tabindex="-1"
            node_ref=node
        >
            <div class="dialog-head">
                <h2>{title}</h2>
                <button class="row-act" aria-label="Close" on:click=move |_| close()>"✕"</button>
            </div>
            {children()}
        </div>
    }
}
