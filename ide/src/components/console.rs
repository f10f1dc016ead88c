//! The console pane, two tabs: the simulator console — the simulated device's log (print
//! output as-is, warnings and errors styled, errors with a link to where they happened), kept
//! scrolled to the end unless the user scrolled up; the REPL input (Enter evaluates in the
//! device's console realm, ↑/↓ walk the history) — and the live device's console
//! (`components::device::console`).

use std::sync::Arc;

use leptos::prelude::*;

use crate::components::device::console::DeviceConsole;
use crate::components::follow_log::FollowLog;
use crate::components::tab_button::tab_button;
use crate::controller::device::ConsoleTab;
use crate::controller::use_ctx;
use crate::state::history::History;
use crate::state::sim_view::ConsoleLine;

#[component]
pub fn Console() -> impl IntoView {
    let ctx = use_ctx();
    let history = StoredValue::new(History::default());
    let sim_shown = move || ctx.dev.console_tab.get() == ConsoleTab::Simulator;
    let follow = FollowLog::new(move || ctx.console.track());
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        match ev.key().as_str() {
            "Enter" => {
                let code = input.value();
                if code.trim().is_empty() {
                    return;
                }
                history.update_value(|h| h.push(&code));
                input.set_value("");
                follow.follow();
                ctx.eval(&code);
            }
            "ArrowUp" | "ArrowDown" => {
                let up = ev.key() == "ArrowUp";
                let text = history.try_update_value(|h| h.step(up)).unwrap_or_default();
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
            <div class="console" role="log" aria-label="Console" node_ref=follow.node on:scroll=move |_| follow.on_scroll()>
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
    tab_button(
        label,
        move || ctx.dev.console_tab.get() == which,
        move || ctx.dev.console_tab.set(which),
    )
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
