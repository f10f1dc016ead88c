//! Layout and theme in localStorage (small, synchronous, read before the first paint).
//! Stored values are outside input: they are sanitized, never trusted.

use crate::state::layout::Layout;

const KEY: &str = "ferrite.layout";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn load_layout() -> Layout {
    storage()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .and_then(|t| serde_json::from_str::<Layout>(&t).ok())
        .map(Layout::sanitized)
        .unwrap_or_default()
}

pub fn save_layout(layout: &Layout) {
    if let (Some(s), Ok(json)) = (storage(), serde_json::to_string(layout)) {
        let _ = s.set_item(KEY, &json);
    }
}
