use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use crate::board::{BoardError, BoardResult, Storage};

/// Storage in memory (the simulator keeps it in the page; tests inspect it through a clone).
#[derive(Clone, Default)]
pub struct MemStorage {
    files: Rc<RefCell<BTreeMap<String, Vec<u8>>>>,
    capacity: usize,
}

impl MemStorage {
    pub fn new(capacity: usize) -> MemStorage {
        MemStorage {
            files: Default::default(),
            capacity,
        }
    }
    fn used(&self) -> usize {
        self.files
            .borrow()
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum()
    }
}

impl Storage for MemStorage {
    fn read(&mut self, name: &str) -> BoardResult<Option<Vec<u8>>> {
        Ok(self.files.borrow().get(name).cloned())
    }
    fn write(&mut self, name: &str, data: &[u8]) -> BoardResult<()> {
        let old = self
            .files
            .borrow()
            .get(name)
            .map_or(0, |v| v.len() + name.len());
        if self.capacity > 0 && self.used() - old + name.len() + data.len() > self.capacity {
            return Err(BoardError::Failed(alloc::format!(
                "storage full writing {name} ({} bytes)",
                data.len()
            )));
        }
        self.files.borrow_mut().insert(name.into(), data.to_vec());
        Ok(())
    }
    fn remove(&mut self, name: &str) -> BoardResult<bool> {
        Ok(self.files.borrow_mut().remove(name).is_some())
    }
    fn list(&mut self, prefix: &str) -> BoardResult<Vec<String>> {
        Ok(self
            .files
            .borrow()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
    fn usage(&mut self) -> Option<(u64, u64)> {
        Some((self.used() as u64, self.capacity as u64))
    }
}
