//! The "Connect a device" form: the connection kind (kinds this browser lacks are disabled,
//! with the reason as title), the address or baud rate it needs, Connect/Disconnect, and the
//! status texts: the link state ("Device connection") and the last outcome ("Device activity").

use leptos::prelude::*;

use crate::controller::use_ctx;
use crate::device::io;
use crate::state::device_view::{parse_baud, ConnectionKind};

/// Why a kind is not offered in this browser (`None`: it is).
fn unsupported(kind: ConnectionKind, support: io::Support) -> Option<&'static str> {
    match kind {
        ConnectionKind::WebSerial if !support.serial => Some(
            "This browser has no WebSerial (Chrome or Edge on a desktop, over https or localhost): use the serial bridge",
        ),
        ConnectionKind::WebUsb if !support.usb => Some(
            "This browser has no WebUSB (Chrome, over https or localhost): use the serial bridge",
        ),
        _ => None,
    }
}

#[component]
pub fn ConnectForm() -> impl IntoView {
    let ctx = use_ctx();
    let dev = ctx.dev;
    let support = io::support();
    let kind = move || dev.settings.with(|s| s.kind);
    let options = ConnectionKind::ALL
        .into_iter()
        .map(|k| {
            let why = unsupported(k, support);
            view! {
                <option
                    value=k.label()
                    disabled=why.is_some()
                    title=why.unwrap_or("")
                    selected=move || kind() == k
                >
                    {k.label()}
                </option>
            }
        })
        .collect_view();
    let baud_text = RwSignal::new(dev.settings.with_untracked(|s| s.baud.to_string()));
    let connect = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if kind().uses_baud() {
            match parse_baud(&baud_text.get_untracked()) {
                Ok(b) => dev.settings.update(|s| s.baud = b),
                Err(e) => {
                    dev.notice.set(Some(e));
                    return;
                }
            }
        }
        ctx.device_connect();
    };
    view! {
        <form class="card" role="region" aria-label="Connect a device" on:submit=connect>
            <div class="card-head">
                <span class="card-title">"Connect a device"</span>
            </div>
            <label class="field-row">
                <span class="muted small">"Connection"</span>
                <select
                    class="field"
                    aria-label="Connection"
                    on:change=move |ev| {
                        if let Some(k) = ConnectionKind::from_label(&event_target_value(&ev)) {
                            ctx.device_set_kind(k);
                        }
                    }
                >
                    {options}
                </select>
            </label>
            <Show when=move || kind().uses_address()>
                <label class="field-row">
                    <span class="muted small">"Address"</span>
                    <input
                        class="field mono"
                        type="text"
                        aria-label="Device address"
                        spellcheck="false"
                        autocomplete="off"
                        placeholder=move || kind().default_address()
                        prop:value=move || dev.settings.with(|s| s.address.clone())
                        on:input=move |ev| {
                            let v = event_target_value(&ev);
                            dev.settings.update(|s| s.address = v);
                        }
                    />
                </label>
            </Show>
            <Show when=move || kind().uses_baud()>
                <label class="field-row">
                    <span class="muted small">"Baud"</span>
                    <input
                        class="field mono"
                        type="text"
                        inputmode="numeric"
                        aria-label="Baud rate"
                        prop:value=move || baud_text.get()
                        on:input=move |ev| baud_text.set(event_target_value(&ev))
                    />
                </label>
            </Show>
            <div class="btn-row">
                <button class="btn small primary" type="submit">"Connect"</button>
                <Show when=move || dev.active()>
                    <button
                        class="btn small"
                        type="button"
                        on:click=move |_| ctx.device_disconnect()
                    >
                        "Disconnect"
                    </button>
                </Show>
                {move || {
                    dev.settings
                        .with(|s| s.remembered.is_some() && s.kind.uses_baud())
                        .then(|| {
                            view! {
                                <span class="muted small" title="Connect reopens the port you granted before without asking">
                                    "previously granted port"
                                </span>
                            }
                        })
                }}
            </div>
            <p
                class="link-state"
                class:ok=move || dev.connected()
                role="status"
                aria-label="Device connection"
            >
                {move || dev.link_label.get()}
            </p>
            <p class="device-notice" role="status" aria-label="Device activity">
                {move || dev.notice.get().unwrap_or_default()}
            </p>
        </form>
    }
}
