//! The main toolbar: Run/Stop, Run on device, the speed group, virtual time and rate, the status text, and
//! the Share/Examples/Theme buttons (roles and texts as the UI contract says).

use ferrite_ide_core::protocol::Speed;
use leptos::prelude::*;

use crate::controller::use_ctx;
use crate::state::layout::Theme;
use crate::state::sim_view::format_virtual_time;

#[component]
pub fn Toolbar() -> impl IntoView {
    let ctx = use_ctx();
    let speeds = Speed::ALL
        .iter()
        .map(|&s| {
            view! {
                <button
                    class="seg-btn"
                    aria-pressed=move || (ctx.speed.get() == s).to_string()
                    on:click=move |_| ctx.set_speed(s)
                >
                    {s.label()}
                </button>
            }
        })
        .collect_view();
    let running = move || ctx.status.with(|s| s.running());
    view! {
        <header class="toolbar" role="toolbar" aria-label="Main">
            <span class="brand" aria-hidden="true">
                <span class="brand-mark">"◆"</span>
                "Ferrite"
            </span>
            <button class="btn run" title="Run (Ctrl+Enter)" on:click=move |_| ctx.run()>
                <span class="icon" aria-hidden="true">"▶"</span>
                "Run"
            </button>
            <button
                class="btn stop"
                title="Stop (Esc)"
                class:armed=running
                on:click=move |_| ctx.stop()
            >
                <span class="icon" aria-hidden="true">"■"</span>
                "Stop"
            </button>
            <button
                class="btn device-run"
                title="Run on device (Ctrl+Shift+Enter): upload the open file to the connected device and start it"
                disabled=move || !ctx.dev.connected()
                on:click=move |_| ctx.run_on_device()
            >
                <span class="icon" aria-hidden="true">"⇪"</span>
                "Run on device"
            </button>
            <div class="seg" role="group" aria-label="Simulation speed">
                {speeds}
            </div>
            <span class="vtime" aria-label="Virtual time" title="Virtual time since boot">
                {move || format_virtual_time(ctx.snapshot.with(|s| s.now_ms))}
            </span>
            <span class="rate" title="Simulated seconds per wall second">
                {move || format!("{:.1}×", ctx.snapshot.with(|s| s.sim_rate))}
            </span>
            <span
                class="status"
                class:running=running
                role="status"
                aria-label="Simulator status"
                title=move || {
                    ctx.status
                        .with(|s| match s.workers {
                            0 | 1 => String::new(),
                            n => format!("The simulator was restarted {} times", n - 1),
                        })
                }
            >
                {move || ctx.status.with(|s| s.text())}
            </span>
            {move || {
                ctx.status
                    .with(|s| s.unsaved.clone())
                    .map(|text| view! { <span class="unsaved" role="alert">{text}</span> })
            }}
            <span class="spacer"></span>
            <button class="btn" on:click=move |_| ctx.share()>"Share"</button>
            <button
                class="btn"
                on:click=move |_| {
                    ctx.dialog.set(crate::controller::Dialog::Examples);
                }
            >
                "Examples"
            </button>
            <button class="btn" on:click=move |_| ctx.theme.update(|t| *t = t.toggled())>
                {move || match ctx.theme.get() {
                    Theme::Dark => "Light theme",
                    Theme::Light => "Dark theme",
                }}
            </button>
        </header>
    }
}
