//! The runtime's `Storage` board trait on the store: what the firmware hands to the runtime.

use alloc::string::String;
use alloc::vec::Vec;

use ferrite_runtime::board::{BoardResult, Storage};

use crate::flash::Flash;
use crate::store::FlashStore;

impl<F: Flash> Storage for FlashStore<F> {
    fn read(&mut self, name: &str) -> BoardResult<Option<Vec<u8>>> {
        Ok(self.read_file(name)?)
    }
    fn write(&mut self, name: &str, data: &[u8]) -> BoardResult<()> {
        Ok(self.write_file(name, data)?)
    }
    fn remove(&mut self, name: &str) -> BoardResult<bool> {
        Ok(self.remove_file(name)?)
    }
    fn list(&mut self, prefix: &str) -> BoardResult<Vec<String>> {
        Ok(self.list_files(prefix))
    }
    fn size(&mut self, name: &str) -> BoardResult<Option<u64>> {
        Ok(self.file_size(name).map(u64::from))
    }
    /// Live record bytes (content, names and record headers) and the most the store accepts.
    fn usage(&mut self) -> Option<(u64, u64)> {
        Some(self.usage_bytes())
    }
}
