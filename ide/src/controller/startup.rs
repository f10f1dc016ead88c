//! Startup: load the projects (IndexedDB, then the journal on top), create the first project
//! on a first visit, open a share link read-only if the address has one, and install the
//! window-level listeners (keyboard shortcuts, later share links). Nothing runs by itself.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::projects::{apply_journal, first_project, workspace_from};
use super::{Ctx, Dialog};
use crate::store::{idb::Db, journal};
use crate::util::dom;

/// The fragment of a share link: `#share=<payload>`.
const SHARE_KEY: &str = "share=";

/// Load everything and install the listeners (once, from `App`).
pub fn start(ctx: Ctx) {
    install_shortcuts(ctx);
    install_hash_listener(ctx);
    leptos::task::spawn_local(async move {
        let db = match Db::open().await {
            Ok(db) => Some(db),
            Err(e) => {
                ctx.notice(&format!("Projects are not saved: {e}"));
                None
            }
        };
        let (mut projects, meta) = match &db {
            Some(db) => {
                let projects = db.load_projects().await.unwrap_or_else(|e| {
                    ctx.notice(&format!("Could not read the projects: {e}"));
                    Vec::new()
                });
                let meta = db.load_meta().await.ok().flatten();
                (projects, meta)
            }
            None => (Vec::new(), None),
        };
        let before: Vec<f64> = projects.iter().map(|p| p.modified_ms).collect();
        apply_journal(&mut projects, journal::read());
        let recovered: Vec<_> = projects
            .iter()
            .zip(before)
            .filter(|(p, ms)| p.modified_ms != *ms)
            .map(|(p, _)| p.clone())
            .collect();
        let first_visit = projects.is_empty();
        ctx.ws.try_set(workspace_from(projects, meta));
        if let Some(saver) = ctx.saver() {
            for p in &recovered {
                saver.put(p);
            }
            if let Some(db) = db {
                saver.attach(db);
            }
        }
        if first_visit {
            ctx.add_project(first_project());
        }
        open_share_from_location(ctx);
        ctx.loaded.try_set(true);
        ctx.lint_now();
    });
}

/// Ctrl/Cmd+S saves, Ctrl/Cmd+Enter runs and Ctrl/Cmd+Shift+Enter runs on the device — also while the editor has focus: that listener
/// is on the window in the capture phase, before Monaco sees the keys. Esc stops (or closes a
/// dialog) in the bubble phase, so that whatever uses it first wins: Monaco stops the
/// propagation of the Esc that closes its suggest, parameter-hint or find widget (that one
/// never arrives here and must not stop the device), and an Esc something else prevented is
/// left alone — except in the editor, whose text input prevents every Esc (so that it types
/// nothing), including those no widget used.
fn install_shortcuts(ctx: Ctx) {
    let Some(w) = web_sys::window() else { return };
    let capture =
        Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(move |e: web_sys::KeyboardEvent| {
            let cmd = e.ctrl_key() || e.meta_key();
            match e.key().as_str() {
                "s" | "S" if cmd && !e.alt_key() => {
                    e.prevent_default();
                    e.stop_propagation();
                    ctx.save_now();
                }
                "Enter" if cmd => {
                    // Monaco binds Ctrl+Enter too (insert a line): it must not see this one.
                    e.prevent_default();
                    e.stop_propagation();
                    if e.shift_key() {
                        ctx.run_on_device();
                    } else {
                        ctx.run();
                    }
                }
                _ => {}
            }
        });
    let _ = w.add_event_listener_with_callback_and_bool(
        "keydown",
        capture.as_ref().unchecked_ref(),
        true,
    );
    let bubble =
        Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(move |e: web_sys::KeyboardEvent| {
            if e.key() != "Escape" || (e.default_prevented() && !from_editor(&e)) {
                return;
            }
            let dialog_open = ctx
                .dialog
                .try_with_untracked(|d| *d != Dialog::None)
                .unwrap_or(false);
            if dialog_open {
                ctx.dialog.try_set(Dialog::None);
            } else {
                ctx.stop();
            }
        });
    let _ = w.add_event_listener_with_callback("keydown", bubble.as_ref().unchecked_ref());
    // The listeners live as long as the page.
    capture.forget();
    bubble.forget();
}

/// A share link pasted into the address bar of the open app.
fn install_hash_listener(ctx: Ctx) {
    let Some(w) = web_sys::window() else { return };
    let cb = Closure::<dyn FnMut()>::new(move || open_share_from_location(ctx));
    let _ = w.add_event_listener_with_callback("hashchange", cb.as_ref().unchecked_ref());
    cb.forget();
}

/// Open the share link in the address bar's fragment, if there is one.
fn open_share_from_location(ctx: Ctx) {
    let fragment = dom::fragment();
    if let Some(payload) = fragment.strip_prefix(SHARE_KEY) {
        ctx.open_shared(payload);
    }
}

/// The event comes from inside Monaco's editor.
fn from_editor(e: &web_sys::KeyboardEvent) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.closest(".monaco-editor").ok().flatten())
        .is_some()
}
