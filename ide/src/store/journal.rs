//! The synchronous safety net of autosave: the active file's latest text in localStorage,
//! written on every edit (IndexedDB writes are asynchronous and can be lost by a reload right
//! after typing). On load a journal newer than the stored project is applied. It holds one
//! file only and never decides anything else.

use serde::{Deserialize, Serialize};

const KEY: &str = "ferrite.journal";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub project: String,
    pub file: String,
    pub text: String,
    /// When the edit happened (ms since the Unix epoch; compared with `Project::modified_ms`).
    pub ms: f64,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Record an edit. Fails quietly (returns false) when localStorage is unavailable or full.
pub fn write(entry: &Entry) -> bool {
    let Some(s) = storage() else { return false };
    let Ok(json) = serde_json::to_string(entry) else {
        return false;
    };
    s.set_item(KEY, &json).is_ok()
}

pub fn read() -> Option<Entry> {
    let text = storage()?.get_item(KEY).ok()??;
    serde_json::from_str(&text).ok()
}
