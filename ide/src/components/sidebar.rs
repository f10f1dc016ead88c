//! The project sidebar: the projects (open, rename, delete, new, import, export) and the files
//! of the shown project (open, rename, delete, new).

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::controller::use_ctx;

#[component]
pub fn Sidebar() -> impl IntoView {
    let ctx = use_ctx();
    let file_input = NodeRef::<leptos::html::Input>::new();
    let projects = move || {
        ctx.ws.with(|w| {
            w.projects
                .iter()
                .map(|p| (p.id.clone(), p.name.clone()))
                .collect::<Vec<_>>()
        })
    };
    let files = move || {
        ctx.ws.with(|w| {
            w.current()
                .map(|p| p.files.iter().map(|f| f.name.clone()).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    };
    let read_only = move || ctx.ws.with(|w| w.read_only());
    let on_import = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(text) => ctx.import(&text.as_string().unwrap_or_default()),
                Err(e) => crate::util::dom::alert(&format!("Cannot read the file: {e:?}")),
            }
        });
    };
    view! {
        <nav class="sidebar" role="navigation" aria-label="Projects">
            <div class="side-head">
                <span class="side-title">"Projects"</span>
            </div>
            <div class="side-actions">
                <button class="btn small" on:click=move |_| ctx.new_project()>"New project"</button>
                <button
                    class="btn small"
                    on:click=move |_| {
                        if let Some(i) = file_input.get() {
                            i.click();
                        }
                    }
                >
                    "Import"
                </button>
                <button class="btn small" on:click=move |_| ctx.export()>"Export"</button>
                <input
                    type="file"
                    accept=".json,application/json"
                    class="hidden-input"
                    tabindex="-1"
                    aria-hidden="true"
                    node_ref=file_input
                    on:change=on_import
                />
            </div>
            <ul class="tree" role="list" aria-label="Projects list">
                <For
                    each=projects
                    key=|p| p.clone()
                    children=move |(id, name)| {
                        let active_id = id.clone();
                        let active = Memo::new(move |_| {
                            ctx.ws.with(|w| w.shared.is_none() && w.active == active_id)
                        });
                        let (ren, del) = (id.clone(), id.clone());
                        view! {
                            <TreeRow
                                name=name
                                icon=("", "▣")
                                current=active
                                editable=Signal::derive(|| true)
                                on_open=Callback::new(move |()| ctx.select_project(&id))
                                on_rename=Callback::new(move |()| ctx.rename_project(&ren))
                                on_delete=Callback::new(move |()| ctx.delete_project(&del))
                            />
                        }
                    }
                />
            </ul>
            <div class="side-head">
                <span class="side-title">
                    {move || {
                        ctx.ws
                            .with(|w| w.current().map(|p| p.name.clone()).unwrap_or_default())
                    }}
                </span>
                <button
                    class="btn small"
                    disabled=read_only
                    on:click=move |_| ctx.new_file()
                >
                    "New file"
                </button>
            </div>
            <ul class="tree" role="list" aria-label="Files">
                <For
                    each=files
                    key=|f| f.clone()
                    children=move |name| {
                        let open_name = name.clone();
                        let is_open = Memo::new(move |_| ctx.ws.with(|w| w.open_file == open_name));
                        let (sel, ren, del) = (name.clone(), name.clone(), name.clone());
                        view! {
                            <TreeRow
                                name=name
                                icon=("js", "JS")
                                current=is_open
                                editable=Signal::derive(move || !read_only())
                                on_open=Callback::new(move |()| ctx.select_file(&sel))
                                on_rename=Callback::new(move |()| ctx.rename_file(&ren))
                                on_delete=Callback::new(move |()| ctx.delete_file(&del))
                            />
                        }
                    }
                />
            </ul>
        </nav>
    }
}

/// One row of the project or file tree: the name (opens it; `aria-current` when it is the one
/// shown) and its Rename/Delete buttons (off when not `editable`).
#[component]
fn TreeRow(
    name: String,
    /// (extra class, glyph) of the row's icon.
    icon: (&'static str, &'static str),
    current: Memo<bool>,
    editable: Signal<bool>,
    on_open: Callback<()>,
    on_rename: Callback<()>,
    on_delete: Callback<()>,
) -> impl IntoView {
    let disabled = move || !editable.get();
    view! {
        <li class="row" class:active=move || current.get()>
            <button
                class="row-main"
                aria-current=move || current.get().then_some("true")
                on:click=move |_| on_open.run(())
            >
                <span class=format!("row-icon {}", icon.0) aria-hidden="true">{icon.1}</span>
                {name.clone()}
            </button>
            <button
                class="row-act"
                aria-label=format!("Rename {name}")
                title="Rename"
                disabled=disabled
                on:click=move |_| on_rename.run(())
            >
                "✎"
            </button>
            <button
                class="row-act"
                aria-label=format!("Delete {name}")
                title="Delete"
                disabled=disabled
                on:click=move |_| on_delete.run(())
            >
                "✕"
            </button>
        </li>
    }
}
