//! `switch:<id>`: the relay (Switch.Set over RPC), its power meter and the load the panel puts
//! on it.

use ferrite_ide_core::protocol::BoardAction;
use leptos::prelude::*;
use serde_json::json;

use crate::controller::use_ctx;

/// The load slider's range (W).
const MAX_LOAD_W: f64 = 3500.0;

#[component]
pub fn Switches() -> impl IntoView {
    super::cards(
        |s| s.switches.iter().map(|w| w.id).collect(),
        |id| view! { <SwitchCard id=id /> },
    )
}

#[component]
fn SwitchCard(id: u32) -> impl IntoView {
    let ctx = use_ctx();
    let sw = Memo::new(move |_| {
        ctx.snapshot
            .with(|s| s.switches.iter().find(|w| w.id == id).cloned())
    });
    let on = move || sw.with(|s| s.as_ref().is_some_and(|s| s.output));
    let load = Memo::new(move |_| sw.with(|s| s.as_ref().map_or(0.0, |s| s.load_w)));
    let key = format!("switch:{id}");
    let title = key.clone();
    view! {
        <div class="card" role="group" aria-label=key.clone()>
            <div class="card-head">
                <span class="card-title">{title}</span>
                <span class="spacer"></span>
                <button
                    class="toggle"
                    role="switch"
                    aria-label=format!("Relay switch:{id}")
                    aria-checked=move || on().to_string()
                    on:click=move |_| ctx.rpc("Switch.Set", json!({ "id": id, "on": !on() }))
                >
                    <span class="knob"></span>
                </button>
            </div>
            <div class="meter-row">
                <span class="power">
                    {move || format!("{:.1} W", sw.with(|s| s.as_ref().map_or(0.0, |s| s.apower)))}
                </span>
                <span class="muted small">
                    {move || {
                        sw.with(|s| {
                            s.as_ref()
                                .map(|s| {
                                    format!(
                                        "{:.0} V · {:.2} A · {:.2} Wh",
                                        s.voltage,
                                        s.current,
                                        s.energy_wh,
                                    )
                                })
                                .unwrap_or_default()
                        })
                    }}
                </span>
            </div>
            <label class="slider-row">
                <span class="muted small">"Load"</span>
                <input
                    type="range"
                    min="0"
                    max=MAX_LOAD_W.to_string()
                    step="10"
                    aria-label="Load W"
                    prop:value=move || load.get().to_string()
                    on:input=move |ev| {
                        if let Ok(watts) = event_target_value(&ev).parse::<f64>() {
                            ctx.board(BoardAction::Load { id, watts });
                        }
                    }
                />
                <span class="value">{move || format!("{:.0} W", load.get())}</span>
            </label>
        </div>
    }
}
