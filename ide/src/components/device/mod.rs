//! The Device tab of the run panel: the connection form and status, the device's info and
//! scripts, and its sections (Eval, live status, KVS, files, configuration, telemetry), plus
//! the device dialogs (password, compare) and the device console. Views only: every action is
//! a controller method (`controller::device`), every value a device signal.

mod connect;
pub mod console;
pub mod dialogs;
mod info;
mod scripts;
mod sections;
mod telemetry;

use leptos::prelude::*;

use crate::controller::use_ctx;

#[component]
pub fn DevicePanel() -> impl IntoView {
    let ctx = use_ctx();
    let connected = move || ctx.dev.has_device();
    view! {
        <div class="device-panel">
            <connect::ConnectForm />
            <Show when=connected>
                <info::DeviceInfo />
                <scripts::DeviceScripts />
                <sections::EvalSection />
                <telemetry::Telemetry />
                <sections::LiveStatusSection />
                <sections::KvsSection />
                <sections::FilesSection />
                <sections::ConfigSection />
            </Show>
        </div>
    }
}
