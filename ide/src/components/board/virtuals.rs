//! Virtual components (`number:200`, `boolean:201` …): a control matching each kind, changes
//! sent as the device's RPC methods (`Number.Set`, `Text.Set`, `Boolean.Set`, `Enum.Set`,
//! `Button.Trigger`). Values shown follow the device; an edit is sent on commit (change).

use leptos::prelude::*;
use serde_json::{json, Value};

use crate::controller::use_ctx;

#[component]
pub fn Virtuals() -> impl IntoView {
    super::cards(
        |s| {
            s.virtuals
                .iter()
                .map(|v| (v.key.clone(), v.kind.clone(), v.id))
                .collect()
        },
        |(key, kind, id)| view! { <VirtualCard key=key kind=kind id=id /> },
    )
}

#[component]
fn VirtualCard(key: String, kind: String, id: u32) -> impl IntoView {
    let ctx = use_ctx();
    let k = key.clone();
    let vc = Memo::new(move |_| {
        ctx.snapshot
            .with(|s| s.virtuals.iter().find(|v| v.key == k).cloned())
    });
    let value =
        Memo::new(move |_| vc.with(|v| v.as_ref().map(|v| v.value.clone()).unwrap_or(Value::Null)));
    let name = move || vc.with(|v| v.as_ref().map(|v| v.name.clone()).unwrap_or_default());
    let label = {
        let key = key.clone();
        Memo::new(move |_| {
            let n = name();
            if n.is_empty() {
                key.clone()
            } else {
                n
            }
        })
    };
    let control = match kind.as_str() {
        "number" => {
            let min = move || vc.with(|v| v.as_ref().and_then(|v| v.min));
            let max = move || vc.with(|v| v.as_ref().and_then(|v| v.max));
            let num = move || value.with(|v| v.as_f64().map(|n| n.to_string()).unwrap_or_default());
            let set = move |ev: leptos::ev::Event| {
                if let Ok(n) = event_target_value(&ev).parse::<f64>() {
                    ctx.rpc("Number.Set", json!({ "id": id, "value": n }));
                }
            };
            let slider = move || {
                let (Some(lo), Some(hi)) = (min(), max()) else { return None };
                Some(view! {
                    <input
                        type="range"
                        aria-label=format!("{} slider", label.get())
                        min=lo.to_string()
                        max=hi.to_string()
                        step="any"
                        prop:value=num
                        on:change=set
                    />
                })
            };
            view! {
                <input
                    type="number"
                    class="field num"
                    aria-label=move || label.get()
                    step="any"
                    prop:value=num
                    on:change=set
                />
                {slider}
            }
            .into_any()
        }
        "text" => view! {
            <input
                type="text"
                class="field"
                aria-label=move || label.get()
                prop:value=move || value.with(|v| v.as_str().map(str::to_string).unwrap_or_default())
                on:change=move |ev| {
                    ctx.rpc("Text.Set", json!({ "id": id, "value": event_target_value(&ev) }))
                }
            />
        }
        .into_any(),
        "boolean" => view! {
            <label class="check">
                <input
                    type="checkbox"
                    prop:checked=move || value.with(|v| v.as_bool().unwrap_or(false))
                    on:change=move |ev| {
                        ctx.rpc("Boolean.Set", json!({ "id": id, "value": event_target_checked(&ev) }))
                    }
                />
                {move || label.get()}
            </label>
        }
        .into_any(),
        "enum" => {
            let options = move || vc.with(|v| v.as_ref().map(|v| v.options.clone()).unwrap_or_default());
            let current = move || value.with(|v| v.as_str().map(str::to_string).unwrap_or_default());
            view! {
                <select
                    class="field"
                    aria-label=move || label.get()
                    prop:value=current
                    on:change=move |ev| {
                        ctx.rpc("Enum.Set", json!({ "id": id, "value": event_target_value(&ev) }))
                    }
                >
                    {move || {
                        let cur = current();
                        options()
                            .into_iter()
                            .map(|o| {
                                let selected = o == cur;
                                view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            }
            .into_any()
        }
        "button" => view! {
            <button class="btn small" on:click=move |_| ctx.rpc("Button.Trigger", json!({ "id": id }))>
                "Trigger"
            </button>
        }
        .into_any(),
        _ => view! {
            <code class="value">{move || value.with(|v| v.to_string())}</code>
        }
        .into_any(),
    };
    view! {
        <div class="card virtual" role="group" aria-label=key.clone()>
            <div class="card-head">
                <span class="card-title">{key.clone()}</span>
                <span class="muted small">{name}</span>
            </div>
            <div class="btn-row">{control}</div>
        </div>
    }
}
