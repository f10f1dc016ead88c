//! Memory of each script: heap used of its budget (the numbers `GC.stat()` gives on the
//! device), as a meter.

use leptos::prelude::*;

use crate::controller::use_ctx;

#[component]
pub fn Memory() -> impl IntoView {
    let ctx = use_ctx();
    let has_scripts = move || ctx.snapshot.with(|s| !s.scripts.is_empty());
    view! {
        <Show when=has_scripts>
            <div class="card" role="group" aria-label="Memory">
                <div class="card-head">
                    <span class="card-title">"Scripts"</span>
                </div>
                {super::cards(
                    |s| s.scripts.iter().map(|s| s.id).collect(),
                    |id| view! { <ScriptMeter id=id /> },
                )}
            </div>
        </Show>
    }
}

#[component]
fn ScriptMeter(id: u32) -> impl IntoView {
    let ctx = use_ctx();
    let script = Memo::new(move |_| {
        ctx.snapshot
            .with(|s| s.scripts.iter().find(|x| x.id == id).cloned())
    });
    let used = move || script.with(|s| s.as_ref().map_or(0, |s| s.heap_used));
    let budget = move || script.with(|s| s.as_ref().map_or(0, |s| s.heap_budget));
    let pct = Memo::new(move |_| {
        let b = budget();
        if b == 0 {
            0.0
        } else {
            (used() as f64 / b as f64 * 100.0).min(100.0)
        }
    });
    let kib = |b: u64| b as f64 / 1024.0;
    view! {
        <div class="script-row">
            <div class="script-head">
                <span>{move || format!("#{id} {}", script.with(|s| s.as_ref().map(|s| s.file.clone()).unwrap_or_default()))}</span>
                <span class="muted small">
                    {move || if script.with(|s| s.as_ref().is_some_and(|s| s.running)) { "running" } else { "stopped" }}
                </span>
            </div>
            <div
                class="meter"
                class:high={move || pct.get() > 80.0}
                role="meter"
                aria-label=format!("Heap script {id}")
                aria-valuemin="0"
                aria-valuenow=move || used().to_string()
                aria-valuemax=move || budget().to_string()
            >
                <span class="meter-fill" style:width=move || format!("{:.1}%", pct.get())></span>
                <span class="meter-text">
                    {move || format!("{:.1} / {:.1} KiB", kib(used()), kib(budget()))}
                </span>
            </div>
        </div>
    }
}
