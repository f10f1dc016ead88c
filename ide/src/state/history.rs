//! A REPL's input history (↑/↓): the simulator console's and the device console's.

/// The REPL's input history (↑/↓), the last 100 entries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    entries: Vec<String>,
    pos: usize,
}

impl History {
    pub const MAX: usize = 100;

    pub fn push(&mut self, entry: &str) {
        if self.entries.last().map(String::as_str) != Some(entry) {
            self.entries.push(entry.to_string());
        }
        if self.entries.len() > Self::MAX {
            self.entries.remove(0);
        }
        self.pos = self.entries.len();
    }

    /// Step back (`up`) or forward; the entry there (empty past the newest).
    pub fn step(&mut self, up: bool) -> String {
        if up && self.pos > 0 {
            self.pos -= 1;
        } else if !up && self.pos < self.entries.len() {
            self.pos += 1;
        }
        self.entries.get(self.pos).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_walks_back_and_forth() {
        let mut h = History::default();
        h.push("a");
        h.push("b");
        h.push("b");
        assert_eq!(h.step(true), "b");
        assert_eq!(h.step(true), "a");
        assert_eq!(h.step(true), "a");
        assert_eq!(h.step(false), "b");
        assert_eq!(h.step(false), "");
    }

    #[test]
    fn history_keeps_the_last_hundred() {
        let mut h = History::default();
        for i in 0..150 {
            h.push(&i.to_string());
        }
        let mut oldest = String::new();
        for _ in 0..200 {
            oldest = h.step(true);
        }
        assert_eq!(oldest, "50");
    }
}
