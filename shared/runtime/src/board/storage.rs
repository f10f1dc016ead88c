use alloc::string::String;
use alloc::vec::Vec;

use super::BoardResult;

/// Persistent storage: named blobs ("files"), flat names with `/` as a convention.
/// `write` must be atomic: after a crash at any point the old or the new content is there,
/// never a mix (the host writes a temporary file and renames; the chip uses a log-structured
/// partition).
pub trait Storage {
    fn read(&mut self, name: &str) -> BoardResult<Option<Vec<u8>>>;
    fn write(&mut self, name: &str, data: &[u8]) -> BoardResult<()>;
    fn remove(&mut self, name: &str) -> BoardResult<bool>;
    /// Names starting with `prefix`, sorted.
    fn list(&mut self, prefix: &str) -> BoardResult<Vec<String>>;
    /// The size of `name` in bytes (`None`: no such file). Targets that can tell without
    /// reading the file should.
    fn size(&mut self, name: &str) -> BoardResult<Option<u64>> {
        Ok(self.read(name)?.map(|d| d.len() as u64))
    }
    /// (used, total) bytes, if known.
    fn usage(&mut self) -> Option<(u64, u64)> {
        None
    }
}
