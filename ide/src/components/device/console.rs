//! The device console (the console's "Device console" tab): the device's log, kept scrolled to
//! the end unless the user scrolled up; the device REPL (Enter evaluates in the device's
//! console realm, or sends the raw line in raw mode; ↑/↓ history; Tab completes from the
//! device); Interrupt (Ctrl-C), the Raw REPL toggle and Clear.

use std::sync::Arc;

use leptos::prelude::*;

use crate::components::follow_log::FollowLog;
use crate::controller::use_ctx;
use crate::state::device_view::DeviceLine;
use crate::state::history::History;

#[component]
pub fn DeviceConsole() -> impl IntoView {
    let ctx = use_ctx();
    let dev = ctx.dev;
    let input = NodeRef::<leptos::html::Input>::new();
    let history = StoredValue::new(History::default());
    let follow = FollowLog::new(move || dev.log.track());
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let field: web_sys::HtmlInputElement = event_target(&ev);
        match ev.key().as_str() {
            "Enter" => {
                let line = field.value();
                let raw = dev.raw_repl.get_untracked();
                if line.trim().is_empty() && !raw {
                    return;
                }
                if !line.trim().is_empty() {
                    history.update_value(|h| h.push(&line));
                }
                field.set_value("");
                follow.follow();
                ctx.device_repl(&line);
            }
            "ArrowUp" | "ArrowDown" => {
                let up = ev.key() == "ArrowUp";
                let text = history.try_update_value(|h| h.step(up)).unwrap_or_default();
                ev.prevent_default();
                field.set_value(&text);
            }
            "Tab" => {
                ev.prevent_default();
                let typed = field.value();
                let asked = typed.clone();
                ctx.device_complete(&asked, move |completed| {
                    if let Some(el) = input.get_untracked() {
                        // Only if the user did not type on meanwhile.
                        if el.value() == typed {
                            el.set_value(&completed);
                        }
                    }
                });
            }
            "c" | "C" if ev.ctrl_key() && field.selection_start() == field.selection_end() => {
                ev.prevent_default();
                ctx.device_interrupt();
            }
            _ => {}
        }
    };
    view! {
        <div class="device-console">
            <div class="console-tools">
                <span class="muted small" role="status" aria-label="Device console state">
                    {move || dev.link_label.get()}
                </span>
                <span class="muted small">
                    {move || {
                        let n = dev.log.with(|l| l.len());
                        if n == 1 { "1 line".to_string() } else { format!("{n} lines") }
                    }}
                </span>
                <span class="spacer"></span>
                <Show when=move || dev.console_wire.get()>
                    <label class="check" title="Data Terminal Ready (on many boards with RTS: reset/boot)">
                        <input
                            type="checkbox"
                            aria-label="DTR"
                            prop:checked=move || dev.signals.get().0
                            on:change=move |ev| {
                                ctx.device_set_signals(event_target_checked(&ev), dev.signals.get_untracked().1)
                            }
                        />
                        "DTR"
                    </label>
                    <label class="check" title="Request To Send">
                        <input
                            type="checkbox"
                            aria-label="RTS"
                            prop:checked=move || dev.signals.get().1
                            on:change=move |ev| {
                                ctx.device_set_signals(dev.signals.get_untracked().0, event_target_checked(&ev))
                            }
                        />
                        "RTS"
                    </label>
                </Show>
                <button
                    class="btn small"
                    disabled=move || !dev.console_wire.get()
                    title="Ctrl-C: interrupt what the device's console runs (serial connections)"
                    on:click=move |_| ctx.device_interrupt()
                >
                    "Interrupt"
                </button>
                <button
                    class="btn small"
                    disabled=move || !dev.console_wire.get()
                    title="The device's own REPL (human mode) as raw text — serial connections only"
                    aria-pressed=move || dev.raw_repl.get().to_string()
                    on:click=move |_| ctx.device_toggle_raw()
                >
                    "Raw REPL"
                </button>
                <button class="btn small" on:click=move |_| ctx.device_clear_log()>"Clear"</button>
            </div>
            <div class="console" role="log" aria-label="Device log" node_ref=follow.node on:scroll=move |_| follow.on_scroll()>
                <For each=move || dev.log.with(|l| l.lines()) key=|l| l.id children=line_view />
            </div>
            <div class="repl">
                <span class="prompt" aria-hidden="true">
                    {move || {
                        if dev.raw_repl.get() {
                            let p = dev.raw_prompt.get();
                            if p.is_empty() { "$".to_string() } else { p }
                        } else {
                            "›".to_string()
                        }
                    }}
                </span>
                <input
                    type="text"
                    aria-label="Device REPL"
                    placeholder=move || {
                        if dev.raw_repl.get() {
                            "Raw line to the device's console (Enter)"
                        } else {
                            "Evaluate on the connected device (Enter, Tab completes)"
                        }
                    }
                    spellcheck="false"
                    autocomplete="off"
                    node_ref=input
                    on:keydown=on_key
                />
            </div>
        </div>
    }
}

fn line_view(line: Arc<DeviceLine>) -> impl IntoView {
    view! {
        <div class=line.kind.class()>
            <span class="text">{line.text.clone()}</span>
        </div>
    }
}
