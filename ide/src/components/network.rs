//! The network section: the project's HTTP mocks (saved with the project, sent to the device
//! when changed), an MQTT form for the in-tab broker (publish to a topic; a "Subscribe" topic
//! filter for the traffic log's MQTT lines), and the traffic log.

use ferrite_ide_core::protocol::{HttpMock, ToWorker};
use leptos::prelude::*;

use crate::controller::use_ctx;
use crate::state::sim_view::publish_topic_problem;

#[component]
pub fn Network() -> impl IntoView {
    let ctx = use_ctx();
    let mocks = move || {
        ctx.ws.with_untracked(|w| {
            w.current()
                .map(|p| p.http_mocks.clone())
                .unwrap_or_default()
        })
    };
    let read_only = move || ctx.ws.with(|w| w.read_only());
    // Set one field of mock `i` (a text field's committed value).
    let edit = move |i: usize, set: fn(&mut HttpMock, String), value: String| {
        let mut list = mocks();
        if let Some(m) = list.get_mut(i) {
            set(m, value);
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
    // Only the number of mocks rebuilds the rows (not every keystroke in the editor): the
    // fields follow their values through `prop:value`, so focus stays where the user put it.
    let count = Memo::new(move |_| {
        ctx.ws
            .with(|w| w.current().map_or(0, |p| p.http_mocks.len()))
    });
    let rows = move || {
        (0..count.get())
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
                                on:change=move |ev| edit(i, |m, v| m.url = v, event_target_value(&ev))
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
                                    let set = |m: &mut HttpMock, v: String| {
                                        if let Ok(status) = v.parse() {
                                            m.status = status;
                                        }
                                    };
                                    edit(i, set, event_target_value(&ev));
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
                            on:change=move |ev| edit(i, |m, v| m.body = v, event_target_value(&ev))
                        ></textarea>
                    </li>
                }
            })
            .collect_view()
    };

    let topic = RwSignal::new(String::new());
    let payload = RwSignal::new(String::new());
    let retain = RwSignal::new(false);
    let publish_problem = RwSignal::new(None::<&'static str>);
    let publish = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = topic.get_untracked();
        let problem = publish_topic_problem(&t);
        publish_problem.set(problem);
        if problem.is_some() {
            return;
        }
        ctx.send(&ToWorker::MqttPublish {
            topic: t,
            payload: payload.get_untracked(),
            retain: retain.get_untracked(),
        });
    };
    // The traffic log shows what this filter subscribes to (HTTP lines always).
    let subscription = RwSignal::new("#".to_string());
    let traffic = Memo::new(move |_| subscription.with(|f| ctx.traffic.with(|t| t.subscribed(f))));
    let shown_lines = move || {
        traffic.with(|r| match r {
            Ok(lines) => lines.clone(),
            Err(_) => ctx.traffic.with(|t| t.lines()),
        })
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
                <Show when=move || count.get() == 0>
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
                    on:input=move |ev| {
                        topic.set(event_target_value(&ev));
                        publish_problem.set(None);
                    }
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
                {move || {
                    publish_problem
                        .get()
                        .map(|p| view! { <p class="hint error" role="alert">{p}</p> })
                }}
            </form>
            <div class="card">
                <div class="card-head">
                    <span class="card-title">"Traffic"</span>
                    <span class="spacer"></span>
                    <button class="btn small" on:click=move |_| ctx.traffic.update(|t| t.clear())>
                        "Clear traffic"
                    </button>
                </div>
                <label class="slider-row">
                    <span class="muted small">"Subscribe"</span>
                    <input
                        class="field mono"
                        type="text"
                        aria-label="Subscribe"
                        title="Topic filter of the traffic log's MQTT lines (+ one level, # the rest)"
                        spellcheck="false"
                        prop:value=move || subscription.get()
                        on:input=move |ev| subscription.set(event_target_value(&ev))
                    />
                </label>
                {move || {
                    traffic
                        .with(|r| r.as_ref().err().cloned())
                        .map(|e| view! { <p class="hint error" role="alert">{e}</p> })
                }}
                <div class="traffic" role="log" aria-label="Network traffic">
                    <For
                        each=shown_lines
                        key=|l| l.id
                        children=move |l| view! { <div class="line">{l.text.clone()}</div> }
                    />
                </div>
            </div>
        </section>
    }
}
