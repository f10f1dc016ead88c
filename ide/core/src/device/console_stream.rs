//! The serial console's output as the IDE reads it (docs/PROTOCOL.md §2): a byte stream of
//! text for people and SOH frames for tools, split into [`StreamItem`]s; and frames encoded for
//! sending.
//!
//! Text is what a terminal would show, one line at a time: `\r` moves to the start of the line
//! (the device redraws its prompt with `\r` + `ESC[K`), `ESC[K` erases to the end of the line,
//! Backspace moves back one byte, other escape sequences (colours, cursor keys) are dropped.
//! A frame starts at SOH wherever it comes (the device starts frames on a new line, but a
//! frame in the middle of a line is read as well; the line's text continues after it) and ends
//! at the first CR or LF.
//!
//! It must never grow without a bound: a line longer than [`MAX_LINE`] is cut and reported as
//! text, a frame longer than the reader's frame limit is dropped up to its end and reported as
//! [`StreamItem::OversizeFrame`].

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

/// Start of a frame (ASCII SOH).
pub const SOH: u8 = 0x01;
/// Ctrl-C: interrupts what the console runs; never part of text or a frame.
pub const CTRL_C: u8 = 0x03;
/// Longest frame body the device accepts (the JSON text between SOH and the line end).
pub const MAX_FRAME: usize = ferrite_protocols::frame::MAX_FRAME;
/// Longest frame body read from the device. Larger than [`MAX_FRAME`]: the device's answers
/// are not bound by its input limit, and reading a larger one costs only memory we bound here.
pub const MAX_INPUT_FRAME: usize = 64 * 1024;
/// Longest text line kept; a longer one is cut into pieces of this size.
pub const MAX_LINE: usize = 64 * 1024;

const ESC: u8 = 0x1b;
const BACKSPACE: u8 = 0x08;
/// Longest escape sequence recognised; a longer one is dropped as garbage.
const MAX_ESCAPE: usize = 32;

/// What the console stream carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamItem {
    /// A line of text for people, without its line end and escape sequences (lossy UTF-8).
    Text(String),
    /// A frame: the JSON text between SOH and the line end (lossy UTF-8).
    Frame(String),
    /// A frame longer than the limit; its bytes were dropped. `len`: how many bytes it had.
    OversizeFrame { len: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Text,
    /// After ESC: collecting an escape sequence.
    Escape,
    Frame,
    /// A frame that outgrew the limit: skipping to its end.
    FrameOverflow,
}

/// Splits the console's output into text lines and frames. Feed it bytes in pieces of any
/// size ([`ConsoleStream::push`]) and take the items ([`ConsoleStream::next_item`]).
#[derive(Debug)]
pub struct ConsoleStream {
    state: State,
    /// The text line being built, as a terminal would show it.
    line: Vec<u8>,
    /// Where the next text byte goes in `line` (after `\r`, text overwrites).
    cursor: usize,
    /// The last text byte was `\r` (a `\n` right after it ends the same line).
    after_cr: bool,
    /// The last byte ended a frame (a `\n` right after its `\r` is part of that line end).
    frame_line_end: bool,
    escape: Vec<u8>,
    frame: Vec<u8>,
    overflow_len: usize,
    max_frame: usize,
    max_line: usize,
    items: VecDeque<StreamItem>,
}

impl Default for ConsoleStream {
    fn default() -> Self {
        ConsoleStream::new()
    }
}

impl ConsoleStream {
    pub fn new() -> ConsoleStream {
        ConsoleStream::with_limits(MAX_INPUT_FRAME, MAX_LINE)
    }

    /// A reader with other limits (tests).
    pub fn with_limits(max_frame: usize, max_line: usize) -> ConsoleStream {
        ConsoleStream {
            state: State::Text,
            line: Vec::new(),
            cursor: 0,
            after_cr: false,
            frame_line_end: false,
            escape: Vec::new(),
            frame: Vec::new(),
            overflow_len: 0,
            max_frame: max_frame.max(1),
            max_line: max_line.max(1),
            items: VecDeque::new(),
        }
    }

    /// Read bytes from the console.
    pub fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.byte(b);
        }
    }

    /// The next complete item, in stream order.
    pub fn next_item(&mut self) -> Option<StreamItem> {
        self.items.pop_front()
    }

    /// The text of the unfinished line (a prompt, a line being typed), as shown.
    pub fn partial_line(&self) -> String {
        String::from_utf8_lossy(&self.line).into_owned()
    }

    /// Forget everything buffered (the transport was reopened).
    pub fn reset(&mut self) {
        *self = ConsoleStream::with_limits(self.max_frame, self.max_line);
    }

    fn byte(&mut self, b: u8) {
        if b == SOH {
            // A frame starts (an unfinished one is dropped, as the device does).
            self.state = State::Frame;
            self.frame.clear();
            self.escape.clear();
            self.after_cr = false;
            self.frame_line_end = false;
            return;
        }
        match self.state {
            State::Frame => match b {
                b'\r' | b'\n' => {
                    let body = core::mem::take(&mut self.frame);
                    self.items.push_back(StreamItem::Frame(
                        String::from_utf8_lossy(&body).into_owned(),
                    ));
                    self.state = State::Text;
                    // A `\n` after this `\r` belongs to the frame's line end, not the text.
                    self.after_cr = b == b'\r';
                    self.frame_line_end = true;
                }
                CTRL_C => {
                    self.frame.clear();
                    self.state = State::Text;
                }
                _ if self.frame.len() >= self.max_frame => {
                    self.overflow_len = self.frame.len() + 1;
                    self.frame = Vec::new();
                    self.state = State::FrameOverflow;
                }
                _ => self.frame.push(b),
            },
            State::FrameOverflow => match b {
                b'\r' | b'\n' => {
                    self.items.push_back(StreamItem::OversizeFrame {
                        len: self.overflow_len,
                    });
                    self.state = State::Text;
                    self.after_cr = b == b'\r';
                    self.frame_line_end = true;
                }
                _ => self.overflow_len = self.overflow_len.saturating_add(1),
            },
            State::Escape => {
                self.escape.push(b);
                if self.escape_complete() {
                    let seq = core::mem::take(&mut self.escape);
                    self.apply_escape(&seq);
                    self.state = State::Text;
                } else if self.escape.len() > MAX_ESCAPE {
                    self.escape.clear();
                    self.state = State::Text;
                }
            }
            State::Text => self.text_byte(b),
        }
    }

    fn text_byte(&mut self, b: u8) {
        let after_cr = core::mem::replace(&mut self.after_cr, false);
        let after_frame = core::mem::replace(&mut self.frame_line_end, false);
        match b {
            b'\n' => {
                if after_cr && after_frame {
                    // The `\n` of a frame's `\r\n`.
                    return;
                }
                self.end_line();
            }
            b'\r' => {
                // Back to the start of the line: what follows overwrites it, unless a `\n`
                // ends the line.
                self.cursor = 0;
                self.after_cr = true;
            }
            ESC => {
                self.escape.clear();
                self.state = State::Escape;
            }
            BACKSPACE => self.cursor = self.cursor.saturating_sub(1),
            CTRL_C | 0x00 | 0x07 => {}
            _ => {
                if self.cursor < self.line.len() {
                    self.line[self.cursor] = b;
                } else {
                    self.line.push(b);
                }
                self.cursor += 1;
                if self.line.len() >= self.max_line {
                    self.end_line();
                }
            }
        }
    }

    fn end_line(&mut self) {
        let line = core::mem::take(&mut self.line);
        self.cursor = 0;
        self.items.push_back(StreamItem::Text(
            String::from_utf8_lossy(&line).into_owned(),
        ));
    }

    /// Whether the bytes after ESC form a whole sequence: `ESC [ params final`, `ESC ] … BEL`
    /// or `ESC \`, or a two-byte `ESC x`.
    fn escape_complete(&self) -> bool {
        let s = &self.escape;
        match s.first() {
            None => false,
            Some(b'[') => s.len() >= 2 && (0x40..=0x7e).contains(&s[s.len() - 1]),
            Some(b']') => {
                s.last() == Some(&0x07) || (s.len() >= 2 && s[s.len() - 2..] == [ESC, b'\\'])
            }
            Some(b'O') => s.len() >= 2,
            Some(_) => true,
        }
    }

    fn apply_escape(&mut self, seq: &[u8]) {
        match seq {
            // Erase to the end of the line (`ESC[K`, `ESC[0K`).
            b"[K" | b"[0K" => self.line.truncate(self.cursor),
            // Erase the whole line; the cursor stays.
            b"[2K" => {
                self.line.clear();
                self.cursor = 0;
            }
            // Erase to the start of the line: blanks up to the cursor.
            b"[1K" => {
                let end = self.cursor.min(self.line.len());
                self.line[..end].fill(b' ');
            }
            // Cursor back / forward (the device's line editor moves within the line).
            [b'[', rest @ .., b'D'] => self.cursor = self.cursor.saturating_sub(count(rest)),
            [b'[', rest @ .., b'C'] => {
                self.cursor = (self.cursor + count(rest)).min(self.line.len())
            }
            _ => {}
        }
    }
}

/// The count of a cursor-movement sequence (`ESC[3D`: 3; none: 1).
fn count(digits: &[u8]) -> usize {
    if digits.is_empty() {
        return 1;
    }
    let mut n: usize = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return 1;
        }
        n = n.saturating_mul(10).saturating_add(usize::from(d - b'0'));
    }
    n.clamp(1, MAX_LINE)
}

/// A frame body over the device's limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameTooLarge {
    pub len: usize,
}

impl core::fmt::Display for FrameTooLarge {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "frame too large: {} bytes, at most {MAX_FRAME} bytes",
            self.len
        )
    }
}

/// A frame to send: SOH, the JSON text (line breaks removed; JSON text never needs them) and
/// `\n`. Refused when the body exceeds [`MAX_FRAME`].
pub fn encode_frame(json: &str) -> Result<Vec<u8>, FrameTooLarge> {
    let body: Vec<u8> = json
        .bytes()
        .filter(|b| *b != b'\n' && *b != b'\r')
        .collect();
    if body.len() > MAX_FRAME {
        return Err(FrameTooLarge { len: body.len() });
    }
    let mut out = Vec::with_capacity(body.len() + 2);
    out.push(SOH);
    out.extend_from_slice(&body);
    out.push(b'\n');
    Ok(out)
}

/// Text a person typed, as bytes for the console: SOH and Ctrl-C are removed (they would start
/// a frame or interrupt; [`CTRL_C`] is sent on its own).
pub fn encode_text(text: &str) -> Vec<u8> {
    text.bytes().filter(|b| *b != SOH && *b != CTRL_C).collect()
}
