//! Persistence in the browser: projects in IndexedDB (`idb`, written by the coalescing
//! `saver`), the active file's unsaved text in a synchronous localStorage `journal`, and the
//! layout `prefs`. Nothing here knows about the UI.

pub mod idb;
pub mod journal;
pub mod prefs;
pub mod saver;
