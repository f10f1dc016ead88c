//! The "Device scripts" region: the scripts on the device with their state and actions (start,
//! stop, delete, open in the editor, compare with the editor, enable at boot), Refresh, Create,
//! and the upload progress of "Run on device".

use ferrite_ide_core::device::deploy::DeployProgress;
use leptos::prelude::*;

use crate::controller::use_ctx;
use crate::state::device_view::DeviceScript;

/// The upload's percent (0–100).
fn percent(p: &DeployProgress) -> u32 {
    (p.sent.min(p.total) * 100)
        .checked_div(p.total)
        .map_or(0, |v| v as u32)
}

#[component]
pub fn DeviceScripts() -> impl IntoView {
    let ctx = use_ctx();
    let dev = ctx.dev;
    let new_name = RwSignal::new(String::new());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        ctx.device_create_script(&new_name.get_untracked());
        new_name.set(String::new());
    };
    view! {
        <section class="card" role="region" aria-label="Device scripts">
            <div class="card-head">
                <span class="card-title">"Scripts"</span>
                <span class="spacer"></span>
                <button class="btn small" on:click=move |_| ctx.device_refresh_scripts()>
                    "Refresh"
                </button>
            </div>
            {move || {
                dev.upload
                    .get()
                    .map(|p| {
                        let pct = percent(&p);
                        view! {
                            <div class="upload">
                                <div
                                    class="meter"
                                    role="progressbar"
                                    aria-label="Upload"
                                    aria-valuemin="0"
                                    aria-valuemax="100"
                                    aria-valuenow=pct
                                >
                                    <div class="meter-fill" style=format!("width:{pct}%")></div>
                                    <span class="meter-text">
                                        {format!("{:?} {} / {} bytes", p.step, p.sent, p.total)}
                                    </span>
                                </div>
                            </div>
                        }
                    })
            }}
            <ul class="device-scripts" role="list" aria-label="Scripts on the device">
                <For
                    each=move || dev.scripts.get()
                    key=|s| (s.id, s.name.clone(), s.enable, s.running)
                    children=script_row
                />
            </ul>
            <Show when=move || dev.scripts.with(|s| s.is_empty())>
                <p class="hint">"No scripts on the device yet: Run on device uploads the open file."</p>
            </Show>
            <form class="btn-row" on:submit=create>
                <input
                    class="field"
                    type="text"
                    aria-label="New script name"
                    placeholder="New script name"
                    prop:value=move || new_name.get()
                    on:input=move |ev| new_name.set(event_target_value(&ev))
                />
                <button class="btn small" type="submit">"Create"</button>
            </form>
        </section>
    }
}

fn script_row(s: DeviceScript) -> impl IntoView {
    let ctx = use_ctx();
    let id = s.id;
    let state = if s.running { "running" } else { "stopped" };
    let (open, compare) = (s.clone(), s.clone());
    view! {
        <li class="device-script" role="listitem">
            <div class="script-line">
                <span class="mono script-name">{s.name.clone()}</span>
                <span class="muted small">{format!("#{id}")}</span>
                <span class="script-state" class:running=s.running>{state}</span>
                <span class="spacer"></span>
                <label class="check">
                    <input
                        type="checkbox"
                        aria-label="Enable at boot"
                        prop:checked=s.enable
                        on:change=move |ev| ctx.device_set_enable(id, event_target_checked(&ev))
                    />
                    "Enable at boot"
                </label>
            </div>
            <div class="btn-row">
                <button class="btn small" on:click=move |_| ctx.device_script_action("Script.Start", id)>
                    "Start"
                </button>
                <button class="btn small" on:click=move |_| ctx.device_script_action("Script.Stop", id)>
                    "Stop"
                </button>
                <button
                    class="btn small"
                    on:click=move |_| {
                        if crate::util::dom::confirm(&format!("Delete script {id} from the device?")) {
                            ctx.device_script_action("Script.Delete", id);
                        }
                    }
                >
                    "Delete"
                </button>
                <button class="btn small" on:click=move |_| ctx.device_open_in_editor(open.clone())>
                    "Open in editor"
                </button>
                <button class="btn small" on:click=move |_| ctx.device_compare(compare.clone())>
                    "Compare with editor"
                </button>
            </div>
        </li>
    }
}
