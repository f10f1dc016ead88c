//! The network section: the project's HTTP mocks (saved with the project, sent to a running
//! device when changed), an MQTT publish form for the in-tab broker, and the traffic log.

use ferrite_ide_core::protocol::{HttpMock, ToWorker};
use leptos::prelude::*;

use crate::controller::use_ctx;

#[component]
pub fn Network() -> impl IntoView {
    let ctx = use_ctx();
    let mocks = move || {
        ctx.ws.with(|w| {
            w.current()
                .map(|p| p.http_mocks.clone())
                .unwrap_or_default()
        })
    };
    let read_only = move || ctx.ws.with(|w| w.read_only());
    let edit = move |i: usize, f: Box<dyn FnOnce(&mut HttpMock)>| {
        let mut list = mocks();
        if let Some(m) = list.get_mut(i) {
            f(m);
            ctx.set_mocks(list);
        }
    };
    let add = move |_| {
        let mut list = mocks();
        list.push(HttpMock {
            url: "http://example.com/api".into(),
            status: 200,
            content_type: "application/json".into(),
            body: "{}".into(),
        });
        ctx.set_mocks(list);
    };
    let count = move || {
        ctx.ws
            .with(|w| w.current().map_or(0, |p| p.http_mocks.len()))
    };
    let rows = move || {
        (0..count())
            .map(|i| {
                let field = move |f: fn(&HttpMock) -> String| {
                    ctx.ws.with(|w| {
                        w.current()
                            .and_then(|p| p.http_mocks.get(i))
                            .map(f)
                            .unwrap_or_default()
                    })
                };
                view! {
                    <li class="mock">
                        <div class="mock-line">
                            <input
                                class="field url"
                                type="text"
                                aria-label="Mock URL"
                                placeholder="URL prefix"
                                disabled=read_only
                                prop:value=move || field(|m| m.url.clone())
                                on:change=move |ev| {
                                    let v = event_target_value(&ev);
                                    edit(i, Box::new(move |m| m.url = v));
                                }
                            />
                            <input
                                class="field num"
                                type="number"
                                min="100"
                                max="599"
                                aria-label="Mock status"
                                disabled=read_only
                                prop:value=move || field(|m| m.status.to_string())
                                on:change=move |ev| {
                                    if let Ok(s) = event_target_value(&ev).parse::<u16>() {
                                        edit(i, Box::new(move |m| m.status = s));
                                    }
                                }
                            />
                            <button
                                class="row-act"
                                aria-label="Remove mock"
                                title="Remove mock"
                                disabled=read_only
                                on:click=move |_| {
                                    let mut list = mocks();
                                    if i < list.len() {
                                        list.remove(i);
                                        ctx.set_mocks(list);
                                    }
                                }
                            >
                                "✕"
                            </button>
                        </div>
                        <textarea
                            class="field body"
                            rows="2"
                            aria-label="Mock body"
                            spellcheck="false"
                            disabled=read_only
                            prop:value=move || field(|m| m.body.clone())
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                edit(i, Box::new(move |m| m.body = v));
                            }
                        ></textarea>
                    </li>
                }
            })
            .collect_view()
    };

    let topic = RwSignal::new(String::new());
    let payload = RwSignal::new(String::new());
    let retain = RwSignal::new(false);
    let publish = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = topic.get_untracked();
        if t.trim().is_empty() {
            return;
        }
        ctx.send(&ToWorker::MqttPublish {
            topic: t,
            payload: payload.get_untracked(),
            retain: retain.get_untracked(),
        });
    };

    view! {
        <section class="network" role="region" aria-label="Network">
            <div class="panel-head">
                <span class="panel-title">"Network"</span>
            </div>
            <div class="card">
                <div class="card-head">
                    <span class="card-title">"HTTP mocks"</span>
                    <span class="spacer"></span>
                    <button class="btn small" disabled=read_only on:click=add>"Add mock"</button>
                </div>
                <ul class="mocks" aria-label="HTTP mocks">{rows}</ul>
                <Show when=move || count() == 0>
                    <p class="hint">"Requests of scripts get the answer of the mock whose URL is the longest prefix."</p>
                </Show>
            </div>
            <form class="card" aria-label="MQTT" on:submit=publish>
                <div class="card-head">
                    <span class="card-title">"MQTT"</span>
                    <span class="muted small">"in-tab broker"</span>
                </div>
                <input
                    class="field"
                    type="text"
                    aria-label="Topic"
                    placeholder="Topic"
                    prop:value=move || topic.get()
                    on:input=move |ev| topic.set(event_target_value(&ev))
                />
                <input
                    class="field"
                    type="text"
                    aria-label="Payload"
                    placeholder="Payload"
                    prop:value=move || payload.get()
                    on:input=move |ev| payload.set(event_target_value(&ev))
                />
                <div class="btn-row">
                    <label class="check">
                        <input
                            type="checkbox"
                            prop:checked=move || retain.get()
                            on:change=move |ev| retain.set(event_target_checked(&ev))
                        />
                        "Retain"
                    </label>
                    <span class="spacer"></span>
                    <button class="btn small" type="submit">"Publish"</button>
                </div>
            </form>
            <div class="card">
                <div class="card-head">
                    <span class="card-title">"Traffic"</span>
                    <span class="spacer"></span>
                    <button class="btn small" on:click=move |_| ctx.traffic.update(|t| t.clear())>
                        "Clear traffic"
                    </button>
                </div>
                <div class="traffic" role="log" aria-label="Network traffic">
                    <For
                        each=move || ctx.traffic.with(|t| t.lines())
                        key=|l| l.id
                        children=move |l| view! { <div class="line">{l.text.clone()}</div> }
                    />
                </div>
            </div>
        </section>
    }
}
