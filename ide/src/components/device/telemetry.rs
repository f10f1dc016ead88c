//! The "Telemetry" region: one small live chart per series a script publishes (`Cloud.store`,
//! `MQTT.publish`, `name=value` print lines), with its name, last value and range.

use ferrite_ide_core::device::telemetry::{sparkline_path, TelemetryStore};
use leptos::prelude::*;

use crate::controller::device::{RunTab, TELEMETRY_POINTS, TELEMETRY_SERIES};
use crate::controller::use_ctx;

const CHART_W: f64 = 220.0;
const CHART_H: f64 = 40.0;

/// A number as the chart labels show it (short, no float noise).
fn short(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

#[component]
pub fn Telemetry() -> impl IntoView {
    let ctx = use_ctx();
    let dev = ctx.dev;
    // Only the names drive the list; each chart computes its own series' path once per
    // update (not every chart every path).
    let names = Memo::new(move |_| {
        dev.telemetry.with(|t| {
            t.series()
                .map(|(name, _)| name.to_string())
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="card" role="region" aria-label="Telemetry">
            <div class="card-head">
                <span class="card-title">"Telemetry"</span>
                <span class="spacer"></span>
                <button
                    class="btn small"
                    on:click=move |_| {
                        dev.telemetry
                            .set(TelemetryStore::new(TELEMETRY_SERIES, TELEMETRY_POINTS))
                    }
                >
                    "Clear charts"
                </button>
            </div>
            <Show when=move || dev.telemetry.with(|t| t.series().next().is_none())>
                <p class="hint">
                    "Numbers a script publishes (Cloud.store, MQTT.publish, print(\"temp=21.5\")) are drawn here."
                </p>
            </Show>
            <For
                each=move || names.get()
                key=|name| name.clone()
                children=move |name| {
                    let key = name.clone();
                    let data = Memo::new(move |prev: Option<&Option<_>>| {
                        // While the Device tab is hidden, the chart keeps what it showed and
                        // does not follow the telemetry (it catches up when shown again).
                        if dev.run_tab.get() != RunTab::Device {
                            return prev.cloned().flatten();
                        }
                        dev.telemetry
                            .with(|t| {
                                t.get(&key)
                                    .map(|s| {
                                        (
                                            s.last,
                                            s.min,
                                            s.max,
                                            sparkline_path(s, CHART_W, CHART_H),
                                        )
                                    })
                            })
                    });
                    let series = move || data.get();
                    view! {
                        <figure class="chart">
                            <figcaption>
                                <span class="mono">{name.clone()}</span>
                                <span class="spacer"></span>
                                <span class="mono value">
                                    {move || series().map(|c| short(c.0)).unwrap_or_default()}
                                </span>
                            </figcaption>
                            <svg
                                role="img"
                                aria-label=format!("{name} chart")
                                viewBox=format!("0 0 {CHART_W} {CHART_H}")
                                preserveAspectRatio="none"
                            >
                                <path d=move || series().map(|c| c.3).unwrap_or_default() />
                            </svg>
                            <div class="muted small mono">
                                {move || {
                                    series()
                                        .map(|c| format!("{} … {}", short(c.1), short(c.2)))
                                        .unwrap_or_default()
                                }}
                            </div>
                        </figure>
                    }
                }
            />
        </section>
    }
}
