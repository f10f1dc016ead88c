//! Button pushes of the board panel as timed level changes of an input, in VIRTUAL time so that
//! a double push is a double push at every speed (the input component measures the gaps in
//! virtual time: see `ferrite_runtime::components::input`).

use alloc::vec::Vec;

use ferrite_runtime::components::input::{LONG_PUSH_MS, MULTI_PUSH_GAP_MS};

use crate::protocol::Push;

/// How long the button is held in a short push, and released between two presses of one
/// multi-push (both well under the input's thresholds).
const PRESS_MS: u64 = 100;
const GAP_MS: u64 = 150;

/// Level changes waiting for their virtual time.
#[derive(Default)]
pub struct PushQueue {
    /// (due virtual ms, input id, level), in due order.
    steps: Vec<(u64, u32, bool)>,
}

impl PushQueue {
    /// Queue `push` of input `id` starting at `now` (after pushes already queued for it, with a
    /// gap long enough to keep them apart).
    pub fn push(&mut self, now: u64, id: u32, push: Push) {
        let after = self
            .steps
            .iter()
            .filter(|s| s.1 == id)
            .map(|s| s.0 + MULTI_PUSH_GAP_MS + GAP_MS)
            .max();
        let mut t = after.unwrap_or(now).max(now);
        let (presses, hold) = match push {
            Push::Single => (1, PRESS_MS),
            Push::Double => (2, PRESS_MS),
            Push::Triple => (3, PRESS_MS),
            Push::Long => (1, LONG_PUSH_MS + 200),
        };
        for i in 0..presses {
            if i > 0 {
                t += GAP_MS;
            }
            self.steps.push((t, id, true));
            t += hold;
            self.steps.push((t, id, false));
        }
        self.steps.sort_by_key(|s| s.0);
    }

    /// Level changes due at `now`, in order.
    pub fn take_due(&mut self, now: u64) -> Vec<(u32, bool)> {
        let n = self.steps.iter().take_while(|s| s.0 <= now).count();
        self.steps.drain(..n).map(|s| (s.1, s.2)).collect()
    }

    pub fn next_due(&self) -> Option<u64> {
        self.steps.first().map(|s| s.0)
    }

    pub fn clear(&mut self) {
        self.steps.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_push_is_two_presses_inside_the_gap() {
        let mut q = PushQueue::default();
        q.push(1000, 0, Push::Double);
        assert_eq!(q.next_due(), Some(1000));
        assert_eq!(q.take_due(1000), [(0, true)]);
        assert_eq!(q.take_due(1100), [(0, false)]);
        assert_eq!(q.take_due(1250), [(0, true)]);
        assert_eq!(q.take_due(10_000), [(0, false)]);
        assert_eq!(q.next_due(), None);
        q.push(0, 0, Push::Long);
        assert_eq!(q.take_due(LONG_PUSH_MS), [(0, true)]);
        assert!(q.next_due().unwrap() > LONG_PUSH_MS);
    }
}
