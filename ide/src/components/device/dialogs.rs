//! The device dialogs: "Device password" (the device refused a call; Unlock retries with the
//! password, a refused one says "Wrong password") and "Compare with device" (the editor's file
//! against the device's copy of the script, line by line).

use ferrite_ide_core::device::diff::DiffKind;
use leptos::prelude::*;

use crate::components::modal::Modal;
use crate::controller::{use_ctx, Dialog};

#[component]
pub fn DevicePasswordDialog() -> impl IntoView {
    let ctx = use_ctx();
    let dev = ctx.dev;
    let open = move || ctx.dialog.with(|d| *d == Dialog::DevicePassword);
    view! {
        <Show when=open>
            {move || {
                let password = RwSignal::new(String::new());
                let unlock = move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    ctx.device_set_password(Some(password.get_untracked()));
                };
                let prompt = dev.password.get_untracked();
                let realm = prompt.as_ref().map(|p| p.realm.clone()).unwrap_or_default();
                view! {
                    <Modal label="Device password" title="Device password" class="password">
                        <form class="password-form" on:submit=unlock>
                            <p class="muted">
                                {format!("The device {realm} needs its password (user admin).")}
                            </p>
                            {move || {
                                dev.password
                                    .with(|p| p.as_ref().is_some_and(|p| p.wrong))
                                    .then(|| view! { <p class="hint error" role="alert">"Wrong password"</p> })
                            }}
                            <input
                                class="field"
                                type="password"
                                aria-label="Password"
                                autocomplete="current-password"
                                prop:value=move || password.get()
                                on:input=move |ev| password.set(event_target_value(&ev))
                            />
                            <div class="btn-row">
                                <span class="spacer"></span>
                                <button
                                    class="btn"
                                    type="button"
                                    on:click=move |_| ctx.device_set_password(None)
                                >
                                    "Cancel"
                                </button>
                                <button class="btn primary" type="submit">"Unlock"</button>
                            </div>
                        </form>
                    </Modal>
                }
            }}
        </Show>
    }
}

#[component]
pub fn CompareDialog() -> impl IntoView {
    let ctx = use_ctx();
    let dev = ctx.dev;
    let open = move || ctx.dialog.with(|d| *d == Dialog::CompareWithDevice);
    view! {
        <Show when=open>
            {move || {
                let comparison = dev.comparison.get_untracked();
                let body = comparison.map(|c| {
                    let (added, removed) = c.diff.summary();
                    let summary = if c.diff.is_identical() {
                        "No differences".to_string()
                    } else {
                        format!("{added} added, {removed} removed (device → editor)")
                    };
                    let truncated = c.diff.truncated.then(|| {
                        view! { <p class="hint">"The files are large: the comparison is coarse."</p> }
                    });
                    let lines = c
                        .diff
                        .lines
                        .into_iter()
                        .map(|l| {
                            let (class, sign) = match l.kind {
                                DiffKind::Added => ("diff-line added", "+"),
                                DiffKind::Removed => ("diff-line removed", "−"),
                                DiffKind::Same => ("diff-line", " "),
                            };
                            let no = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
                            view! {
                                <div class=class>
                                    <span class="no">{no(l.old_no)}</span>
                                    <span class="no">{no(l.new_no)}</span>
                                    <span class="sign">{sign}</span>
                                    <span class="text">{l.text}</span>
                                </div>
                            }
                        })
                        .collect_view();
                    view! {
                        <p class="muted">{format!("Script {} on the device against the editor's file", c.script)}</p>
                        <p class="diff-summary" role="status">{summary}</p>
                        {truncated}
                        <div class="diff" aria-label="Differences">{lines}</div>
                    }
                });
                view! {
                    <Modal label="Compare with device" title="Compare with device" class="compare">
                        {body}
                    </Modal>
                }
            }}
        </Show>
    }
}
