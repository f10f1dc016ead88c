//! Sharing: the Share dialog (the link, Copy link), the banner of a shared project opened
//! read-only (Run in simulator, Save a copy), and the alert of a link that cannot be opened.
//! Nothing from a link runs unless the user presses Run.

use leptos::prelude::*;

use super::modal::Modal;
use crate::controller::{use_ctx, Dialog};
use crate::util::dom;

#[component]
pub fn ShareDialog() -> impl IntoView {
    let ctx = use_ctx();
    let url = move || match ctx.dialog.get() {
        Dialog::Share(u) => Some(u),
        _ => None,
    };
    let copied = RwSignal::new(None::<String>);
    view! {
        {move || {
            url()
                .map(|u| {
                    let copy_url = u.clone();
                    let copy = move |_| {
                        let text = copy_url.clone();
                        leptos::task::spawn_local(async move {
                            let msg = match dom::copy_to_clipboard(&text).await {
                                Ok(()) => "Link copied".to_string(),
                                Err(e) => e,
                            };
                            copied.try_set(Some(msg));
                        });
                    };
                    let len = u.len();
                    view! {
                        <Modal label="Share" title="Share this project" class="share">
                            <p class="muted">
                                "The link holds the whole project (its files and HTTP mocks); whoever opens it sees it read-only and can run it in the simulator."
                            </p>
                            <input
                                class="field mono"
                                type="text"
                                readonly=true
                                aria-label="Share link"
                                prop:value=u.clone()
                                on:focus=move |ev| {
                                    let i: web_sys::HtmlInputElement = event_target(&ev);
                                    i.select();
                                }
                            />
                            <div class="btn-row">
                                <span class="muted small">{format!("{len} characters")}</span>
                                <span class="muted small" role="status">{move || copied.get()}</span>
                                <span class="spacer"></span>
                                <button class="btn primary" on:click=copy>"Copy link"</button>
                            </div>
                        </Modal>
                    }
                })
        }}
    }
}

#[component]
pub fn SharedBanner() -> impl IntoView {
    let ctx = use_ctx();
    let shared_name = move || ctx.ws.with(|w| w.shared.as_ref().map(|p| p.name.clone()));
    view! {
        {move || {
            shared_name()
                .map(|name| {
                    view! {
                        <div class="banner" role="region" aria-label="Shared project">
                            <strong>"Shared project (read-only)"</strong>
                            <span class="muted">{name}</span>
                            <span class="spacer"></span>
                            <button class="btn run" on:click=move |_| ctx.run()>"Run in simulator"</button>
                            <button class="btn" on:click=move |_| ctx.save_shared_copy()>"Save a copy"</button>
                        </div>
                    }
                })
        }}
        {move || {
            ctx.share_error
                .get()
                .map(|reason| {
                    view! {
                        <div class="banner error" role="alert">
                            <span>{format!("This share link cannot be opened: {reason}")}</span>
                            <span class="spacer"></span>
                            <button class="btn" on:click=move |_| ctx.dismiss_share_error()>"Dismiss"</button>
                        </div>
                    }
                })
        }}
    }
}
