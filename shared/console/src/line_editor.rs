//! Line editing for a raw serial line, where the device echoes what a person types: printable
//! text, Backspace, Ctrl-U (erase the line), Ctrl-L (redraw), Up/Down (history). The cursor
//! stays at the end of the line (terminal programs on serial lines rarely need more).
//!
//! Bounded: the line holds at most 16 KiB (more typing is ignored), the history 100 lines.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// What the console does after a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Nothing,
    /// Echo these bytes.
    Echo(Vec<u8>),
    /// Erase the shown line and draw the prompt and [`LineEditor::text`] again.
    Redraw,
    /// Enter: the line is done (already removed from the editor and added to the history).
    Submit(String),
    /// Ctrl-D on an empty line.
    EndOnEmpty,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Esc {
    None,
    /// After ESC.
    Start,
    /// Inside `ESC [ …` (parameters until a final byte).
    Csi,
    /// After `ESC O`.
    Ss3,
}

/// Lines kept for Up/Down.
const HISTORY: usize = 100;
/// Longest line the editor holds (more typing is ignored).
const MAX_LINE: usize = 16 * 1024;

/// The line being typed on a raw line, and the history of submitted lines.
#[derive(Debug)]
pub struct LineEditor {
    line: Vec<u8>,
    history: Vec<String>,
    /// Position in the history while browsing (`history.len()`: the line being typed).
    pos: usize,
    /// The line being typed when browsing started.
    draft: Vec<u8>,
    esc: Esc,
}

impl Default for LineEditor {
    fn default() -> Self {
        LineEditor::new()
    }
}

impl LineEditor {
    pub fn new() -> LineEditor {
        LineEditor {
            line: Vec::new(),
            history: Vec::new(),
            pos: 0,
            draft: Vec::new(),
            esc: Esc::None,
        }
    }

    /// The text being edited (to redraw it after the prompt).
    pub fn text(&self) -> &[u8] {
        &self.line
    }

    /// Forget the line being typed (Ctrl-C).
    pub fn clear(&mut self) {
        self.line.clear();
        self.pos = self.history.len();
        self.esc = Esc::None;
    }

    /// One byte typed (keys arrive one byte at a time; escape sequences span several).
    pub fn key(&mut self, b: u8) -> Action {
        match self.esc {
            Esc::Start => {
                self.esc = match b {
                    b'[' => Esc::Csi,
                    b'O' => Esc::Ss3,
                    _ => Esc::None,
                };
                return Action::Nothing;
            }
            Esc::Csi => {
                // Parameter and intermediate bytes until a final byte 0x40..=0x7e.
                if (0x40..=0x7e).contains(&b) {
                    self.esc = Esc::None;
                    return self.arrow(b);
                }
                return Action::Nothing;
            }
            Esc::Ss3 => {
                self.esc = Esc::None;
                return self.arrow(b);
            }
            Esc::None => {}
        }
        match b {
            0x1b => {
                self.esc = Esc::Start;
                Action::Nothing
            }
            b'\r' | b'\n' => {
                let text = String::from_utf8_lossy(&self.line).into_owned();
                self.line.clear();
                if !text.trim().is_empty() && self.history.last() != Some(&text) {
                    if self.history.len() >= HISTORY {
                        self.history.remove(0);
                    }
                    self.history.push(text.clone());
                }
                self.pos = self.history.len();
                Action::Submit(text)
            }
            0x7f | 0x08 => {
                if self.line.is_empty() {
                    return Action::Nothing;
                }
                // Remove one UTF-8 character (its continuation bytes, then its lead byte).
                while let Some(c) = self.line.pop() {
                    if c & 0xC0 != 0x80 {
                        break;
                    }
                }
                Action::Echo(b"\x08 \x08".to_vec())
            }
            0x15 => {
                self.line.clear();
                Action::Redraw
            }
            0x0c => Action::Redraw,
            0x04 if self.line.is_empty() => Action::EndOnEmpty,
            b'\t' => self.insert(b' '),
            b if b < 0x20 => Action::Nothing,
            b => self.insert(b),
        }
    }

    fn insert(&mut self, b: u8) -> Action {
        if self.line.len() >= MAX_LINE {
            return Action::Nothing;
        }
        self.line.push(b);
        Action::Echo(vec![b])
    }

    fn arrow(&mut self, b: u8) -> Action {
        match b {
            b'A' if self.pos > 0 => {
                if self.pos == self.history.len() {
                    self.draft = self.line.clone();
                }
                self.pos -= 1;
                self.line = self.history[self.pos].as_bytes().to_vec();
                Action::Redraw
            }
            b'B' if self.pos < self.history.len() => {
                self.pos += 1;
                self.line = match self.history.get(self.pos) {
                    Some(h) => h.as_bytes().to_vec(),
                    None => core::mem::take(&mut self.draft),
                };
                Action::Redraw
            }
            _ => Action::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(e: &mut LineEditor, s: &[u8]) -> Vec<Action> {
        s.iter().map(|b| e.key(*b)).collect()
    }

    #[test]
    fn typing_backspace_enter() {
        let mut e = LineEditor::new();
        let a = typed(&mut e, b"1+x\x7f2");
        assert_eq!(a[0], Action::Echo(b"1".to_vec()));
        assert_eq!(a[3], Action::Echo(b"\x08 \x08".to_vec()));
        assert_eq!(e.text(), b"1+2");
        assert_eq!(e.key(b'\r'), Action::Submit("1+2".into()));
        assert_eq!(e.text(), b"");
        // Backspace on an empty line does nothing; a multibyte character goes at once.
        assert_eq!(e.key(0x7f), Action::Nothing);
        typed(&mut e, "é".as_bytes());
        e.key(0x7f);
        assert_eq!(e.text(), b"");
    }

    #[test]
    fn history_up_down() {
        let mut e = LineEditor::new();
        typed(&mut e, b"a\rb\r");
        typed(&mut e, b"dr");
        assert_eq!(
            typed(&mut e, b"\x1b[A"),
            vec![Action::Nothing, Action::Nothing, Action::Redraw]
        );
        assert_eq!(e.text(), b"b");
        typed(&mut e, b"\x1b[A");
        assert_eq!(e.text(), b"a");
        // At the oldest line, Up stays.
        assert_eq!(typed(&mut e, b"\x1b[A")[2], Action::Nothing);
        typed(&mut e, b"\x1bOB");
        assert_eq!(e.text(), b"b");
        typed(&mut e, b"\x1b[B");
        assert_eq!(e.text(), b"dr", "the draft comes back");
        // Repeated lines are kept once; blank lines not at all.
        typed(&mut e, b"\r");
        typed(&mut e, b"dr\r  \r");
        assert_eq!(e.history, vec!["a", "b", "dr"]);
    }

    #[test]
    fn control_keys() {
        let mut e = LineEditor::new();
        assert_eq!(e.key(0x04), Action::EndOnEmpty);
        typed(&mut e, b"abc");
        assert_eq!(e.key(0x04), Action::Nothing);
        assert_eq!(e.key(0x15), Action::Redraw);
        assert_eq!(e.text(), b"");
        // Unknown escape sequences are swallowed whole.
        typed(&mut e, b"\x1b[1;5Cx");
        assert_eq!(e.text(), b"x");
        e.clear();
        assert_eq!(e.text(), b"");
    }
}
