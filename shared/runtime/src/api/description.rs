//! The machine-readable description of every script API (names, signatures, docs), from which
//! the IDE generates its editor typings. Each family adds its entries in its own table.

/// One documented API member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiEntry {
    /// Dotted path: `Shelly.call`, `Timer.set`, `Digital.prototype.read`.
    pub path: &'static str,
    /// TypeScript signature: `(method: string, params: object | string, callback?: …) => void`.
    pub signature: &'static str,
    /// What it does (Markdown).
    pub doc: &'static str,
    /// `shelly`, `smartjs`, `tc53`, `global`.
    pub family: &'static str,
}

/// Everything the runtime offers scripts.
pub fn all() -> alloc::vec::Vec<ApiEntry> {
    alloc::vec::Vec::new()
}
