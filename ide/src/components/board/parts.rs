//! Simulated I2C parts: a slider per adjustable reading (temperature, humidity, expander
//! inputs …) and the other readings as text.

use ferrite_ide_core::protocol::{BoardAction, PartKnob};
use leptos::prelude::*;

use crate::controller::use_ctx;

#[component]
pub fn Parts() -> impl IntoView {
    super::cards(
        |s| {
            s.parts
                .iter()
                .map(|p| {
                    (
                        p.addr,
                        p.name.clone(),
                        p.knobs.iter().map(|k| k.what.clone()).collect::<Vec<_>>(),
                    )
                })
                .collect()
        },
        |(addr, name, knobs)| view! { <PartCard addr=addr name=name knobs=knobs /> },
    )
}

#[component]
fn PartCard(addr: u8, name: String, knobs: Vec<String>) -> impl IntoView {
    let ctx = use_ctx();
    let part = Memo::new(move |_| {
        ctx.snapshot
            .with(|s| s.parts.iter().find(|p| p.addr == addr).cloned())
    });
    let dense = knobs.len() > 4;
    let knob_views = knobs
        .into_iter()
        .map(|what| {
            let w = what.clone();
            let knob = Memo::new(move |_| {
                part.with(|p| {
                    p.as_ref()
                        .and_then(|p| p.knobs.iter().find(|k| k.what == w).cloned())
                })
            });
            let attr = move |f: fn(&PartKnob) -> f64| knob.with(|k| k.as_ref().map_or(0.0, f));
            let unit = move || knob.with(|k| k.as_ref().map(|k| k.unit.clone()).unwrap_or_default());
            let w2 = what.clone();
            // On/off readings (expander pins) get a compact slider in a grid.
            let binary = knob.with_untracked(|k| k.as_ref().is_some_and(|k| k.min == 0.0 && k.max == 1.0));
            view! {
                <label class="slider-row" class:binary=binary>
                    <span class="muted small knob-name">{what.clone()}</span>
                    <input
                        type="range"
                        aria-label=what.clone()
                        min=move || attr(|k| k.min).to_string()
                        max=move || attr(|k| k.max).to_string()
                        step=move || attr(|k| k.step).to_string()
                        prop:value=move || attr(|k| k.value).to_string()
                        on:input=move |ev| {
                            if let Ok(value) = event_target_value(&ev).parse::<f64>() {
                                ctx.board(BoardAction::Part { addr, what: w2.clone(), value });
                            }
                        }
                    />
                    <span class="value">{move || format!("{} {}", trim_num(attr(|k| k.value)), unit())}</span>
                </label>
            }
        })
        .collect_view();
    let readings = move || {
        part.with(|p| {
            p.as_ref()
                .map(|p| {
                    p.readings
                        .iter()
                        .map(|(k, v)| format!("{k} {}", trim_num(*v)))
                        .collect::<Vec<_>>()
                        .join(" · ")
                })
                .unwrap_or_default()
        })
    };
    view! {
        <div class="card" role="group" aria-label=name.clone()>
            <div class="card-head">
                <span class="card-title">{name.clone()}</span>
                <span class="muted small">{format!("I2C 0x{addr:02x}")}</span>
            </div>
            <div class="knobs" class:dense=dense>{knob_views}</div>
            <div class="muted small readings">{readings}</div>
        </div>
    }
}

/// A reading without trailing zeros (`21.5`, `3`).
fn trim_num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
