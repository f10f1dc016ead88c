//! The simulated Wi-Fi station: its state, network and address (or why it is not joined), and
//! a switch that takes the access points out of range, as if the router went away.

use ferrite_ide_core::protocol::BoardAction;
use leptos::prelude::*;

use crate::controller::use_ctx;

#[component]
pub fn Wifi() -> impl IntoView {
    let ctx = use_ctx();
    let wifi = Memo::new(move |_| ctx.snapshot.with(|s| s.wifi.clone()));
    let booted = move || wifi.with(|w| !w.state.is_empty());
    let in_range = move || wifi.with(|w| w.in_range);
    let summary = move || {
        wifi.with(|w| match (&w.ssid, &w.ip) {
            (Some(ssid), Some(ip)) => format!("{} {ip} ({ssid})", w.state),
            (Some(ssid), None) => format!("{} ({ssid})", w.state),
            _ => w.state.clone(),
        })
    };
    view! {
        <Show when=booted>
            <div class="card" role="group" aria-label="Wi-Fi">
                <div class="card-head">
                    <span class="card-title">"wifi"</span>
                    <span class="spacer"></span>
                    <span class="muted small">"Access point in range"</span>
                    <button
                        class="toggle"
                        role="switch"
                        aria-label="Access point in range"
                        aria-checked=move || in_range().to_string()
                        on:click=move |_| {
                            ctx.board(BoardAction::WifiInRange { in_range: !in_range() })
                        }
                    >
                        <span class="knob"></span>
                    </button>
                </div>
                <div class="muted small" role="status" aria-label="Wi-Fi status">
                    {summary}
                </div>
                <Show when=move || wifi.with(|w| w.error.is_some())>
                    <div class="muted small" aria-label="Wi-Fi error">
                        {move || wifi.with(|w| w.error.clone().unwrap_or_default())}
                    </div>
                </Show>
            </div>
        </Show>
    }
}
