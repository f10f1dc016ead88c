//! The "Device info" region: name, id, model, firmware version and app of the connected device
//! (its `Shelly.GetDeviceInfo`), and whether it is locked by a password.

use leptos::prelude::*;

use crate::controller::use_ctx;
use crate::state::device_view::DeviceInfoView;

#[component]
pub fn DeviceInfo() -> impl IntoView {
    let ctx = use_ctx();
    let dev = ctx.dev;
    let info = Memo::new(move |_| {
        dev.info.with(|i| {
            i.as_ref()
                .map(DeviceInfoView::from_info)
                .unwrap_or_default()
        })
    });
    let row = move |label: &'static str, get: fn(&DeviceInfoView) -> String| {
        view! {
            <dt>{label}</dt>
            <dd class="mono">{move || info.with(get)}</dd>
        }
    };
    view! {
        <section class="card" role="region" aria-label="Device info">
            <div class="card-head">
                <span class="card-title">"Device info"</span>
                <span class="spacer"></span>
                <Show when=move || dev.locked.get()>
                    <button
                        class="btn small"
                        title="The device refused a call for want of its password"
                        on:click=move |_| ctx.dialog.set(crate::controller::Dialog::DevicePassword)
                    >
                        "Locked — enter password"
                    </button>
                </Show>
            </div>
            <dl class="info-grid">
                {row("Name", |i| i.name.clone())}
                {row("Id", |i| i.id.clone())}
                {row("Model", |i| i.model.clone())}
                {row("Firmware", |i| i.firmware.clone())}
                {row("App", |i| i.app.clone())}
            </dl>
        </section>
    }
}
