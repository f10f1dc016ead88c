//! The serial console's framing: people and tools share one line.
//!
//! A person types text lines (and Ctrl-C); a tool sends *frames*: the ASCII SOH byte `0x01`,
//! a JSON-RPC request, and `\n`. People never type SOH, so the two never mix up. A frame may
//! start anywhere, even in the middle of a line a person is typing: the person's pending text is
//! kept and continues after the frame. See `docs/PROTOCOL.md` for the whole protocol.
//!
//! [`Splitter`] is the sans-IO part: feed it the bytes read from the line, in pieces of any size,
//! and take the [`Event`]s. [`encode`] builds a frame to send.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

/// Start of a frame (ASCII SOH).
pub const SOH: u8 = 0x01;
/// Interrupt (Ctrl-C, ASCII ETX).
pub const ETX: u8 = 0x03;
/// Longest frame body (the JSON text between SOH and the newline), in bytes.
pub const MAX_FRAME: usize = 16 * 1024;
/// Longest line a person may type, in bytes.
pub const MAX_LINE: usize = 16 * 1024;

/// What the splitter found on the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A complete line of text (without its `\r`/`\n`), in line mode.
    Line(String),
    /// One byte of a person's typing (not SOH, not Ctrl-C), in key mode: the line editor
    /// assembles lines and echoes.
    Key(u8),
    /// A complete frame: the JSON text between SOH and the end of line.
    Frame(Vec<u8>),
    /// Ctrl-C (`0x03`) outside a frame body, or inside one (which abandons the frame).
    Interrupt,
    /// A frame (`frame: true`) or typed line longer than the limit ended; its bytes were
    /// dropped.
    Oversized { frame: bool },
}

/// How text outside frames is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextMode {
    /// As [`Event::Line`]s: the other side (a terminal in cooked mode, a pipe) edits and echoes.
    Lines,
    /// As [`Event::Key`]s: the device edits and echoes (a raw serial line).
    Keys,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Text,
    Frame,
    /// Inside a frame that outgrew [`MAX_FRAME`]: skipping to its end.
    FrameOverflow,
}

/// Splits console input into lines (or keys), frames and interrupts.
#[derive(Debug)]
pub struct Splitter {
    mode: TextMode,
    state: State,
    line: Vec<u8>,
    line_overflow: bool,
    frame: Vec<u8>,
    /// The last text byte was `\r` (a following `\n` belongs to the same line end).
    after_cr: bool,
    events: VecDeque<Event>,
    max_frame: usize,
    max_line: usize,
}

impl Splitter {
    pub fn new(mode: TextMode) -> Splitter {
        Splitter::with_limits(mode, MAX_FRAME, MAX_LINE)
    }

    /// A splitter with other limits (tests, small targets).
    pub fn with_limits(mode: TextMode, max_frame: usize, max_line: usize) -> Splitter {
        Splitter {
            mode,
            state: State::Text,
            line: Vec::new(),
            line_overflow: false,
            frame: Vec::new(),
            after_cr: false,
            events: VecDeque::new(),
            max_frame,
            max_line,
        }
    }

    pub fn mode(&self) -> TextMode {
        self.mode
    }

    /// Switch between lines and keys (text pending in line mode is kept for the next line).
    pub fn set_mode(&mut self, mode: TextMode) {
        self.mode = mode;
    }

    /// Whether a frame is being received (its end has not arrived yet).
    pub fn in_frame(&self) -> bool {
        self.state != State::Text
    }

    /// Feed bytes read from the line; then take events with [`Splitter::next_event`].
    pub fn feed(&mut self, data: &[u8]) {
        for &b in data {
            self.byte(b);
        }
    }

    /// The next event, in the order the bytes arrived.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// End of input: a pending partial line becomes a last [`Event::Line`]; a partial frame
    /// is dropped (it never ended, so it is not a request).
    pub fn finish(&mut self) {
        if self.mode == TextMode::Lines && (!self.line.is_empty() || self.line_overflow) {
            self.end_line();
        }
        self.state = State::Text;
        self.frame.clear();
    }

    fn byte(&mut self, b: u8) {
        match self.state {
            State::Text => self.text_byte(b),
            State::Frame | State::FrameOverflow => self.frame_byte(b),
        }
    }

    fn text_byte(&mut self, b: u8) {
        let after_cr = core::mem::replace(&mut self.after_cr, false);
        match b {
            SOH => {
                self.state = State::Frame;
                self.frame.clear();
            }
            ETX => self.events.push_back(Event::Interrupt),
            b'\n' if after_cr => {} // the `\n` of a `\r\n`
            b'\r' | b'\n' => {
                self.after_cr = b == b'\r';
                match self.mode {
                    TextMode::Lines => self.end_line(),
                    // A line editor wants one Enter per line end.
                    TextMode::Keys => self.events.push_back(Event::Key(b'\r')),
                }
            }
            _ => match self.mode {
                TextMode::Keys => self.events.push_back(Event::Key(b)),
                TextMode::Lines => {
                    if self.line.len() >= self.max_line {
                        self.line_overflow = true;
                    } else {
                        self.line.push(b);
                    }
                }
            },
        }
    }

    fn end_line(&mut self) {
        let line = core::mem::take(&mut self.line);
        if core::mem::replace(&mut self.line_overflow, false) {
            self.events.push_back(Event::Oversized { frame: false });
        } else {
            self.events
                .push_back(Event::Line(String::from_utf8_lossy(&line).into_owned()));
        }
    }

    fn frame_byte(&mut self, b: u8) {
        match b {
            b'\n' | b'\r' => {
                let frame = core::mem::take(&mut self.frame);
                let ev = if self.state == State::FrameOverflow {
                    Event::Oversized { frame: true }
                } else {
                    Event::Frame(frame)
                };
                self.state = State::Text;
                // A `\r\n` ending a frame is one line end.
                self.after_cr = b == b'\r';
                self.events.push_back(ev);
            }
            ETX => {
                // A tool interrupting mid-frame: the partial frame is abandoned.
                self.frame.clear();
                self.state = State::Text;
                self.events.push_back(Event::Interrupt);
            }
            SOH => {
                // A new frame starts: the unfinished one was not a request.
                self.frame.clear();
                self.state = State::Frame;
            }
            _ if self.state == State::FrameOverflow => {}
            _ => {
                if self.frame.len() >= self.max_frame {
                    self.frame = Vec::new();
                    self.state = State::FrameOverflow;
                } else {
                    self.frame.push(b);
                }
            }
        }
    }
}

/// A frame to send: SOH, `json`, `\n`. `json` must be one line (serialized JSON is).
pub fn encode(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + 2);
    out.push(SOH);
    out.extend(json.iter().copied().filter(|b| *b != b'\n' && *b != b'\r'));
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn all(s: &mut Splitter) -> Vec<Event> {
        let mut v = Vec::new();
        while let Some(e) = s.next_event() {
            v.push(e);
        }
        v
    }

    fn split(mode: TextMode, input: &[u8]) -> Vec<Event> {
        let mut s = Splitter::with_limits(mode, 32, 16);
        s.feed(input);
        all(&mut s)
    }

    /// The same input fed one byte at a time gives the same events.
    fn split_bytewise(mode: TextMode, input: &[u8]) -> Vec<Event> {
        let mut s = Splitter::with_limits(mode, 32, 16);
        let mut v = Vec::new();
        for b in input {
            s.feed(core::slice::from_ref(b));
            v.extend(all(&mut s));
        }
        v
    }

    fn line(s: &str) -> Event {
        Event::Line(s.into())
    }

    fn frame(s: &str) -> Event {
        Event::Frame(s.as_bytes().to_vec())
    }

    #[test]
    fn lines_and_frames() {
        let input = b"1+2\n\x01{\"id\":1}\nprint(3)\r\nx\r\r\n";
        let want = vec![
            line("1+2"),
            frame("{\"id\":1}"),
            line("print(3)"),
            line("x"),
            line(""),
        ];
        assert_eq!(split(TextMode::Lines, input), want);
        assert_eq!(split_bytewise(TextMode::Lines, input), want);
    }

    #[test]
    fn frame_inside_a_typed_line_keeps_the_line() {
        let input = b"1+\x01{\"a\":1}\r\n2\n";
        let want = vec![frame("{\"a\":1}"), line("1+2")];
        assert_eq!(split(TextMode::Lines, input), want);
        assert_eq!(split_bytewise(TextMode::Lines, input), want);
    }

    #[test]
    fn interrupts() {
        let input = b"while(1){}\n\x03ab\x03\n\x01{\"x\x03\n";
        let want = vec![
            line("while(1){}"),
            Event::Interrupt,
            Event::Interrupt,
            line("ab"),
            Event::Interrupt,
            line(""),
        ];
        assert_eq!(split(TextMode::Lines, input), want);
        assert_eq!(split_bytewise(TextMode::Lines, input), want);
    }

    #[test]
    fn oversized_frame_and_line() {
        let mut input = vec![SOH];
        input.extend(core::iter::repeat_n(b'x', 40));
        input.extend(b"\n\x01{}\n");
        input.extend(core::iter::repeat_n(b'y', 20));
        input.extend(b"\nok\n");
        let want = vec![
            Event::Oversized { frame: true },
            frame("{}"),
            Event::Oversized { frame: false },
            line("ok"),
        ];
        assert_eq!(split(TextMode::Lines, &input), want);
        assert_eq!(split_bytewise(TextMode::Lines, &input), want);
    }

    #[test]
    fn frame_exactly_at_the_limit_passes() {
        let mut input = vec![SOH];
        input.extend(core::iter::repeat_n(b'z', 32));
        input.push(b'\n');
        let got = split(TextMode::Lines, &input);
        assert_eq!(got, vec![Event::Frame(vec![b'z'; 32])]);
    }

    #[test]
    fn a_new_soh_restarts_an_unfinished_frame() {
        let want = vec![frame("{\"b\":2}")];
        assert_eq!(split(TextMode::Lines, b"\x01{\"a\"\x01{\"b\":2}\n"), want);
    }

    #[test]
    fn keys_mode() {
        let input = b"ab\x7f\r\n\x01{}\r\n\x1b[A\n";
        let want = vec![
            Event::Key(b'a'),
            Event::Key(b'b'),
            Event::Key(0x7f),
            Event::Key(b'\r'),
            frame("{}"),
            Event::Key(0x1b),
            Event::Key(b'['),
            Event::Key(b'A'),
            Event::Key(b'\r'),
        ];
        assert_eq!(split(TextMode::Keys, input), want);
        assert_eq!(split_bytewise(TextMode::Keys, input), want);
    }

    #[test]
    fn finish_flushes_a_partial_line_and_drops_a_partial_frame() {
        let mut s = Splitter::new(TextMode::Lines);
        s.feed(b"1+2");
        s.finish();
        assert_eq!(all(&mut s), vec![line("1+2")]);
        s.feed(b"\x01{\"id\":");
        s.finish();
        assert_eq!(all(&mut s), vec![]);
        assert!(!s.in_frame());
    }

    #[test]
    fn utf8_lines_and_encode() {
        assert_eq!(split(TextMode::Lines, "é\n".as_bytes()), vec![line("é")]);
        assert_eq!(encode(b"{\"a\":\n1}"), b"\x01{\"a\":1}\n".to_vec());
    }
}
