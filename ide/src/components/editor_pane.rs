//! The editor region: Monaco (created once Monaco and the projects are loaded), kept in step
//! with the workspace — one model per file of the shown project, the open file shown,
//! read-only for a shared project — and the Problems list of the linter under it.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::controller::use_ctx;
use crate::editor::monaco;
use crate::util::dom;

#[component]
pub fn EditorPane() -> impl IntoView {
    let ctx = use_ctx();
    let host = NodeRef::<leptos::html::Div>::new();
    let monaco_loaded = RwSignal::new(false);
    let load_error = RwSignal::new(None::<String>);
    leptos::task::spawn_local(async move {
        match monaco::ready().await {
            Ok(()) => {
                monaco_loaded.try_set(true);
            }
            Err(e) => {
                load_error.try_set(Some(e));
            }
        }
    });

    // Create the editor once everything it needs is there.
    Effect::new(move |_| {
        let (Some(el), true, true) = (host.get(), monaco_loaded.get(), ctx.loaded.get()) else {
            return;
        };
        if ctx.editor_ready.get_untracked() {
            return;
        }
        let on_change =
            Closure::<dyn FnMut(String, String)>::new(move |file: String, text: String| {
                ctx.on_edit(&file, &text);
            });
        monaco::create(&el, ctx.theme.get_untracked().monaco(), &on_change);
        // Monaco holds the callback for the page's lifetime.
        on_change.forget();
        monaco::add_typings(monaco::DEVICE_TYPINGS);
        ctx.editor_ready.set(true);
    });

    // Follow the workspace: which project (its models), which file, read-only or not.
    let shown = Memo::new(move |_| {
        ctx.ws
            .with(|w| (w.view_key(), w.open_file.clone(), w.read_only()))
    });
    Effect::new(move |prev: Option<Option<String>>| {
        if !ctx.editor_ready.get() {
            return None;
        }
        let (key, open, read_only) = shown.get();
        let Some(files) = ctx
            .ws
            .try_with_untracked(|w| w.current().map(|p| p.files.clone()))
            .flatten()
        else {
            return prev.flatten();
        };
        if prev.flatten().as_deref() != Some(key.as_str()) {
            monaco::close_all();
            for f in files.iter().filter(|f| f.name != open) {
                monaco::open(&f.name, &f.code);
            }
        }
        if let Some(f) = files.iter().find(|f| f.name == open) {
            monaco::open(&f.name, &f.code);
        }
        monaco::set_read_only(read_only);
        if !read_only && !editor_ready_recorded() {
            dom::set_hook("editorReadyAt", dom::perf_now());
        }
        // The editor is usable: now the simulator (and the linter in it) may start.
        ctx.launch_simulator();
        Some(key)
    });

    let problems = move || {
        ctx.problems.with(|p| {
            p.items
                .iter()
                .enumerate()
                .map(|(i, d)| (i, p.describe(d), d.line, d.col, p.file.clone()))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="editor-pane" role="region" aria-label="Editor">
            <div class="editor-tabs">
                <span class="tab">
                    {move || ctx.ws.with(|w| w.open_file.clone())}
                </span>
                {move || {
                    ctx.ws
                        .with(|w| w.read_only())
                        .then(|| view! { <span class="badge">"read-only"</span> })
                }}
                <span class="spacer"></span>
                <span class="muted small">
                    {move || {
                        let n = ctx.problems.with(|p| p.items.len());
                        match n {
                            0 => "No problems".to_string(),
                            1 => "1 problem".to_string(),
                            n => format!("{n} problems"),
                        }
                    }}
                </span>
            </div>
            {move || {
                load_error.get().map(|e| view! { <p class="editor-error" role="alert">{e}</p> })
            }}
            <div class="monaco-host" node_ref=host></div>
            <ul class="problems" role="list" aria-label="Problems">
                <For
                    each=problems
                    key=|p| p.clone()
                    children=move |(_, text, line, col, file)| {
                        view! {
                            <li
                                class="problem"
                                on:click=move |_| ctx.reveal(&file, line, col)
                            >
                                {text}
                            </li>
                        }
                    }
                />
            </ul>
        </section>
    }
}

/// `__ferrite.editorReadyAt` is recorded once per page.
fn editor_ready_recorded() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"__ferrite".into()).ok())
        .filter(|o| o.is_object())
        .and_then(|o| js_sys::Reflect::get(&o, &"editorReadyAt".into()).ok())
        .is_some_and(|v| v.as_f64().is_some())
}
