//! The console pane, two tabs: the simulator console — the simulated device's log (print
//! output as-is, warnings and errors styled, errors with a link to where they happened), kept
//! scrolled to the end unless the user scrolled up; the REPL input (Enter evaluates in the
//! device's console realm, ↑/↓ walk the history) — and the live device's console
//! (`components::device::console`).

use std::sync::Arc;

use leptos::prelude::*;

use crate::components::device::console::DeviceConsole;
use crate::controller::device::ConsoleTab;
use crate::controller::use_ctx;
use crate::state::sim_view::ConsoleLine;

/// Inputs the REPL history keeps.
const HISTORY_MAX: usize = 100;

#[component]
pub fn Console() -> impl IntoView {
    let ctx = use_ctx();
    let log = NodeRef::<leptos::html::Div>::new();
    let stick = StoredValue::new(true);
    let history = StoredValue::new((Vec::<String>::new(), 0usize));
    let sim_shown = move || ctx.dev.console_tab.get() == ConsoleTab::Simulator;

    // Keep the end in view when new lines arrive (unless the user scrolled up).
    Effect::new(move |_| {
        ctx.console.track();
        if let Some(el) = log.get() {
            if stick.get_value() {
                el.set_scroll_top(el.scroll_height());
            }
        }
    });
    let on_scroll = move |_| {
        if let Some(el) = log.get() {
            let at_end = el.scroll_top() + el.client_height() >= el.scroll_height() - 4;
            stick.set_value(at_end);
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        match ev.key().as_str() {
            "Enter" => {
                let code = input.value();
                if code.trim().is_empty() {
                    return;
                }
                history.update_value(|(h, pos)| {
                    if h.last() != Some(&code) {
                        h.push(code.clone());
                    }
                    if h.len() > HISTORY_MAX {
                        h.remove(0);
                    }
                    *pos = h.len();
                });
                input.set_value("");
                stick.set_value(true);
                ctx.eval(&code);
            }
            "ArrowUp" | "ArrowDown" => {
                let up = ev.key() == "ArrowUp";
                let text = history
                    .try_update_value(|(h, pos)| {
                        if up && *pos > 0 {
                            *pos -= 1;
                        } else if !up && *pos < h.len() {
                            *pos += 1;
                        }
                        h.get(*pos).cloned().unwrap_or_default()
                    })
                    .unwrap_or_default();
                ev.prevent_default();
                input.set_value(&text);
            }
            _ => {}
        }
    };
    view! {
        <section class="console-pane" aria-label="Console panel">
            <div class="panel-head">
                <div class="tabs" role="tablist" aria-label="Console">
                    {tab("Simulator console", ConsoleTab::Simulator)}
                    {tab("Device console", ConsoleTab::Device)}
                </div>
                <Show when=move || sim_shown()>
                    <span class="muted small">
                        {move || {
                            let n = ctx.console.with(|c| c.len());
                            if n == 1 { "1 line".to_string() } else { format!("{n} lines") }
                        }}
                    </span>
                    <span class="spacer"></span>
                    <button class="btn small" on:click=move |_| ctx.clear_console()>
                        "Clear console"
                    </button>
                </Show>
            </div>
            <div
                class="console-body"
                role="tabpanel"
                aria-label="Simulator console"
                hidden=move || !sim_shown()
            >
            <div class="console" role="log" aria-label="Console" node_ref=log on:scroll=on_scroll>
                <For
                    each=move || ctx.console.with(|c| c.lines())
                    key=|l| l.id
                    children=line_view
                />
            </div>
            <div class="repl">
                <span class="prompt" aria-hidden="true">"›"</span>
                <input
                    type="text"
                    aria-label="Console input"
                    placeholder="Evaluate on the device (Enter)"
                    spellcheck="false"
                    autocomplete="off"
                    on:keydown=on_key
                />
            </div>
            </div>
            <div
                class="console-body"
                role="tabpanel"
                aria-label="Device console"
                hidden=sim_shown
            >
                <DeviceConsole />
            </div>
        </section>
    }
}

/// A tab of the console pane.
fn tab(label: &'static str, which: ConsoleTab) -> impl IntoView {
    let ctx = use_ctx();
    let selected = move || ctx.dev.console_tab.get() == which;
    view! {
        <button
            class="tab-btn"
            role="tab"
            aria-selected=move || selected().to_string()
            tabindex=move || if selected() { "0" } else { "-1" }
            on:click=move |_| ctx.dev.console_tab.set(which)
        >
            {label}
        </button>
    }
}

fn line_view(line: Arc<ConsoleLine>) -> impl IntoView {
    let ctx = use_ctx();
    let link = line.location.clone().map(|loc| {
        let text = format!("{}:{}:{}", loc.file, loc.line, loc.col);
        let open = move || ctx.reveal(&loc.file, loc.line, loc.col);
        let open_key = open.clone();
        view! {
            " "
            <a
                class="loc"
                role="link"
                tabindex="0"
                on:click=move |_| open()
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Enter" {
                        open_key();
                    }
                }
            >
                {text}
            </a>
        }
    });
    view! {
        <div class=line.kind.class()>
            <span class="text">{line.text.clone()}</span>
            {link}
        </div>
    }
}
