use alloc::rc::Rc;
use core::cell::Cell;

use crate::board::Clock;

/// Virtual time: advanced by whoever drives the simulation (fast-forward is just a big step).
#[derive(Clone, Default)]
pub struct VirtualClock {
    now_ms: Rc<Cell<u64>>,
    /// Wall-clock time at boot (ms since the Unix epoch), if known.
    epoch_ms: Option<f64>,
}

impl VirtualClock {
    pub fn new(epoch_ms: Option<f64>) -> VirtualClock {
        VirtualClock {
            now_ms: Rc::new(Cell::new(0)),
            epoch_ms,
        }
    }
    pub fn advance(&self, ms: u64) {
        self.now_ms.set(self.now_ms.get() + ms);
    }
    pub fn set(&self, ms: u64) {
        self.now_ms.set(ms.max(self.now_ms.get()));
    }
}

impl Clock for VirtualClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.get()
    }
    fn unix_time_ms(&self) -> Option<f64> {
        self.epoch_ms.map(|e| e + self.now_ms.get() as f64)
    }
}
