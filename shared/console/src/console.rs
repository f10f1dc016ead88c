//! The console state machine: bytes from the line in, bytes for the line out, requests run
//! against the runtime in between.
//!
//! - People type JavaScript; it runs in the console's realm. Lines that end inside an open
//!   bracket, template or comment continue (`... ` prompt). The prompt shows the console realm's
//!   heap, `[free/used] > `. Ctrl-C interrupts what the console runs. Script output and the
//!   device log appear as they happen.
//! - Tools send frames: SOH (`0x01`), a JSON-RPC request, `\n`; answers come back framed the
//!   same way. `Console.SetMode` switches between `human` (prompt, echo, plain log lines) and
//!   `rpc` (no prompt, no echo, log lines as `NotifyLog` frames, `NotifyStatus`,
//!   `NotifyEvent` and `NotifyTelemetry` frames).
//!
//! It never reads or writes the line itself and never waits: the target moves the bytes.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ferrite_collections::SortedMap;

use ferrite_protocols::frame::{self, Event, Splitter, TextMode, MAX_FRAME};
use ferrite_runtime::device::Notification;
use ferrite_runtime::json::{json, Json};
use ferrite_runtime::log::{Level, LogLine};
use ferrite_runtime::rpc::{code, Origin, RpcError, RpcReply};
use ferrite_runtime::{Runtime, CONSOLE_ID};

use crate::line_editor::{Action, LineEditor};
use crate::rpc_frame::{self, response_frame};

/// Longest entry (the lines of one input that continues while brackets are open), in bytes.
/// Beyond it the entry is dropped, so an unclosed bracket cannot grow memory without bound.
pub const MAX_ENTRY: usize = 64 * 1024;

/// Bytes [`Console::feed`] takes between two [`Console::poll`]s, so that a flood of input can
/// neither starve the scripts nor fill memory.
pub const INPUT_PER_ROUND: usize = 64 * 1024;

/// Output bytes that may wait for the target to write them, unless the target sets its own limit
/// ([`Console::with_output_limit`]); beyond it, new output is dropped (a UART with nobody
/// listening loses bytes too).
pub const MAX_OUTPUT: usize = 256 * 1024;

/// Where [`Console::poll_writing`] hands the output.
type Sink<'a> = &'a mut dyn FnMut(&[u8]);

/// What kind of line the console is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// A raw serial line (a board's USB serial port or UART, the host's PTY): bytes pass
    /// untouched both ways, so the console edits and echoes what people type, one key at a
    /// time, and ends its lines with `\r\n`.
    Raw,
    /// A line that delivers whole lines (a pipe, a terminal in cooked mode): no echo, no
    /// editing, lines end with `\n`. `terminal_echoes`: a terminal that echoed each typed line
    /// with its Enter (and `^C` on Ctrl-C).
    Lines { terminal_echoes: bool },
}

/// Who the console talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A person: prompt, echo (on a raw line), log lines as text.
    Human,
    /// A tool: frames only (text typed is still evaluated; its output comes as `NotifyLog`).
    Rpc,
}

impl Mode {
    /// The name `Console.SetMode` / `Console.GetMode` use.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Human => "human",
            Mode::Rpc => "rpc",
        }
    }
}

/// Where an RPC answer that comes later goes: the request's `id` (`null`: no answer) and
/// `src`.
struct PendingCall {
    id: Json,
    src: Option<String>,
}

/// The serial console of a device. See the crate docs for how a target drives it.
pub struct Console {
    line: Line,
    splitter: Splitter,
    editor: LineEditor,
    mode: Mode,
    /// The lines of an entry that is not complete yet (open brackets).
    entry: Vec<u8>,
    /// The next device log line to show.
    log_seq: u64,
    pending: SortedMap<u32, PendingCall>,
    /// The prompt (and, on a raw line, the line being edited) is on screen.
    prompt_shown: bool,
    /// The last byte written ended a line.
    at_line_start: bool,
    /// Bytes fed since the last poll.
    fed: usize,
    /// The input ended (a pipe closed): exit once the console is idle.
    input_ended: bool,
    /// The input ended since the last poll.
    end_due: bool,
    /// A Ctrl-C from outside the byte stream waits for the next poll.
    interrupt_due: bool,
    exit: bool,
    /// `src` of answers and notifications: the device id.
    device_id: String,
    banner_due: bool,
    /// Bytes for the line, oldest first.
    out: Vec<u8>,
    /// At most this many bytes wait in `out`.
    output_limit: usize,
}

impl Console {
    /// A console on `line`, in human mode; the banner comes with the first poll after
    /// [`Console::on_boot`].
    pub fn new(line: Line) -> Console {
        let text_mode = match line {
            Line::Raw => TextMode::Keys,
            Line::Lines { .. } => TextMode::Lines,
        };
        Console {
            line,
            splitter: Splitter::new(text_mode),
            editor: LineEditor::new(),
            mode: Mode::Human,
            entry: Vec::new(),
            log_seq: 0,
            pending: SortedMap::new(),
            prompt_shown: false,
            at_line_start: true,
            fed: 0,
            input_ended: false,
            end_due: false,
            interrupt_due: false,
            exit: false,
            device_id: String::new(),
            banner_due: true,
            out: Vec::new(),
            output_limit: MAX_OUTPUT,
        }
    }

    /// The same console with at most `bytes` of output waiting (a chip with little RAM and
    /// two consoles wants far less than [`MAX_OUTPUT`]).
    pub fn with_output_limit(mut self, bytes: usize) -> Console {
        self.output_limit = bytes;
        self
    }

    /// The kind of line the console was made for.
    pub fn line(&self) -> Line {
        self.line
    }

    /// Who the console talks to now.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    // ----- the target's side -----

    /// How many bytes [`Console::feed`] takes before the next [`Console::poll`] (0 once the
    /// input ended). Read at most this much from the line.
    pub fn input_room(&self) -> usize {
        if self.input_ended {
            0
        } else {
            INPUT_PER_ROUND.saturating_sub(self.fed)
        }
    }

    /// Bytes read from the line. Takes at most [`Console::input_room`] of them and returns how
    /// many it took (the rest should be fed after the next poll); they are acted on in
    /// [`Console::poll`].
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.input_room());
        if n > 0 {
            self.splitter.feed(&bytes[..n]);
            self.fed += n;
        }
        n
    }

    /// The input ended (standard input closed; a serial line never ends): a partial line is
    /// taken as a last line, an unfinished entry runs (its error says what is missing), and
    /// the console asks to exit ([`Console::wants_exit`]) once nothing is left to answer.
    pub fn end_input(&mut self) {
        if !self.input_ended {
            self.input_ended = true;
            self.end_due = true;
            self.splitter.finish();
        }
    }

    /// Whether the input ended ([`Console::end_input`]).
    pub fn input_ended(&self) -> bool {
        self.input_ended
    }

    /// Ctrl-C that did not come as a byte: a terminal in cooked mode turned it into a signal
    /// (and echoed `^C`). Acted on in the next [`Console::poll`]. On a raw line Ctrl-C is the
    /// byte `0x03`, which [`Console::feed`] handles.
    pub fn terminal_interrupt(&mut self) {
        self.interrupt_due = true;
    }

    /// The runtime (re)booted: the line resets as it would on a board — human mode, no calls
    /// in flight, the log from its start, the banner again.
    pub fn on_boot(&mut self, rt: &mut Runtime) {
        self.device_id = rt.device().borrow().info.id.clone();
        self.pending.clear();
        self.log_seq = 0;
        self.entry.clear();
        self.editor.clear();
        self.mode = Mode::Human;
        self.banner_due = true;
    }

    /// Act on what was fed and show new log lines: run typed entries and requests against the
    /// runtime. Call once per round, before the runtime's answers are taken. Returns whether
    /// anything happened (a target may sleep only when nothing did). The output waits in
    /// [`Console::output`].
    pub fn poll(&mut self, rt: &mut Runtime) -> bool {
        self.poll_inner(rt, None)
    }

    /// [`Console::poll`], handing the output to `write` after each thing fed was acted on (a
    /// line, a key, a frame), so that answers go out while later requests of the same round
    /// still run: a tool that sends many requests at once sees each answer as soon as it is
    /// ready. `write` gets every byte of [`Console::output`], oldest first, and must take
    /// them all (queue what the line cannot take now).
    pub fn poll_writing(&mut self, rt: &mut Runtime, write: &mut dyn FnMut(&[u8])) -> bool {
        self.poll_inner(rt, Some(write))
    }

    fn poll_inner(&mut self, rt: &mut Runtime, mut write: Option<Sink<'_>>) -> bool {
        let mut did = false;
        if self.banner_due {
            self.banner_due = false;
            self.banner(rt);
            did = true;
        }
        if core::mem::take(&mut self.interrupt_due) {
            if self.line
                == (Line::Lines {
                    terminal_echoes: true,
                })
            {
                // The terminal echoed `^C`: the cursor is not at the start of a line.
                self.at_line_start = false;
            }
            self.on_event(rt, Event::Interrupt);
            did = true;
        }
        did |= core::mem::take(&mut self.fed) > 0;
        let end_due = core::mem::take(&mut self.end_due);
        did |= end_due;
        loop {
            if let Some(w) = write.as_mut() {
                if !self.out.is_empty() {
                    w(&self.out);
                    self.out.clear();
                }
            }
            let Some(ev) = self.splitter.next_event() else {
                break;
            };
            self.on_event(rt, ev);
        }
        if end_due && !self.entry.is_empty() {
            // An unfinished entry at the end of input: run it (its error says what is missing).
            let entry = core::mem::take(&mut self.entry);
            rt.console_eval(&entry);
        }
        did |= self.show_log(rt);
        if let Some(w) = write {
            if !self.out.is_empty() {
                w(&self.out);
                self.out.clear();
            }
        }
        did
    }

    /// The runtime's answers to pending RPC calls (the console takes its own tokens) and the
    /// notifications of this round; then the output of this round and, once the console is
    /// idle, the prompt. Call once per round after the runtime ran.
    pub fn deliver(
        &mut self,
        rt: &mut Runtime,
        done: &[(u32, Result<Json, RpcError>)],
        notifications: &[Notification],
    ) {
        for (token, r) in done {
            let Some(call) = self.pending.remove(token) else {
                continue; // another transport's call
            };
            self.answer(&call, r);
        }
        // Output of this round's requests, then the prompt once the console is idle.
        self.show_log(rt);
        if self.mode == Mode::Rpc {
            for n in notifications {
                let j = json!({"src": self.device_id, "method": n.method, "params": n.params});
                self.send_frame(&j);
            }
        }
        if self.input_ended {
            if self.pending.is_empty() && !rt.console_busy() {
                self.exit = true;
            }
        } else if self.mode == Mode::Human && !self.prompt_shown && !rt.console_busy() {
            self.show_prompt(rt);
        }
    }

    /// The input ended and everything it asked for is done: the target may stop serving.
    pub fn wants_exit(&self) -> bool {
        self.exit
    }

    /// The bytes waiting to be written to the line, oldest first.
    pub fn output(&self) -> &[u8] {
        &self.out
    }

    /// `n` bytes of [`Console::output`] were written.
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.out.len());
        self.out.drain(..n);
    }

    /// All waiting output (for a target that writes everything at once).
    pub fn take_output(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.out)
    }

    /// The prompt as it stands: `... ` inside an unfinished entry, else the console realm's
    /// heap, `[free/used] > ` (`> ` before the realm exists), or `[script:<id> free/used] > `
    /// while entries run in a script's realm ([`Runtime::console_realm`]).
    pub fn prompt_text(&self, rt: &Runtime) -> String {
        if !self.entry.is_empty() {
            return "... ".into();
        }
        let realm = rt.console_realm();
        match realm.and_then(|id| rt.heap_stats(id)) {
            Some(s) if realm == Some(CONSOLE_ID) => format!("[{}/{}] > ", s.free, s.used),
            Some(s) => format!(
                "[script:{} {}/{}] > ",
                realm.unwrap_or_default(),
                s.free,
                s.used
            ),
            None => "> ".into(),
        }
    }

    /// The first line after a boot: `Ferrite <version> — <device id> — heap free <bytes>` (the
    /// console realm's free heap; its budget when the realm is made on first use).
    pub fn banner_text(&self, rt: &Runtime) -> String {
        let free = rt
            .heap_stats(CONSOLE_ID)
            .map_or(rt.limits().script_heap, |s| s.free);
        format!(
            "Ferrite {} — {} — heap free {free}",
            env!("CARGO_PKG_VERSION"),
            self.device_id
        )
    }

    // ----- output -----

    /// Queue raw bytes, tracking whether the cursor is at the start of a line.
    fn raw(&mut self, bytes: &[u8]) {
        if let Some(&last) = bytes.last() {
            self.at_line_start = last == b'\n';
            if self.out.len() + bytes.len() <= self.output_limit {
                self.out.extend_from_slice(bytes);
            }
        }
    }

    /// Write text for people (`\n` becomes `\r\n` on a raw line).
    fn text(&mut self, s: &str) {
        if self.line == Line::Raw {
            let t = s.replace("\r\n", "\n").replace('\n', "\r\n");
            self.raw(t.as_bytes());
        } else {
            self.raw(s.as_bytes());
        }
    }

    /// Take the prompt (and the line being edited) off the screen before other output, so
    /// that output starts at the beginning of a line.
    fn clear_prompt(&mut self) {
        if self.prompt_shown {
            self.prompt_shown = false;
            if self.line == Line::Raw {
                self.raw(b"\r\x1b[K");
                self.at_line_start = true;
                return;
            }
        }
        if !self.at_line_start {
            self.text("\n");
        }
    }

    fn send_frame(&mut self, j: &Json) {
        self.clear_prompt();
        let bytes = frame::encode(&serde_json::to_vec(j).unwrap_or_default());
        self.raw(&bytes);
    }

    fn show_prompt(&mut self, rt: &Runtime) {
        let mut p = self.prompt_text(rt).into_bytes();
        if self.line == Line::Raw {
            p.extend_from_slice(self.editor.text());
        }
        self.raw(&p);
        self.prompt_shown = true;
    }

    fn banner(&mut self, rt: &Runtime) {
        let text = self.banner_text(rt);
        match self.mode {
            Mode::Human => {
                self.clear_prompt();
                self.text(&format!("{text}\n"));
            }
            Mode::Rpc => {
                let j = self.notify_log_json(rt, 0, Level::Info, CONSOLE_ID, 0, &text);
                self.send_frame(&j);
            }
        }
    }

    // ----- the device log -----

    fn notify_log_json(
        &self,
        rt: &Runtime,
        seq: u64,
        level: Level,
        script: u32,
        ts_ms: u64,
        text: &str,
    ) -> Json {
        let dev = rt.device();
        let params = crate::notify_log::params(&dev.borrow(), seq, level, script, ts_ms, text);
        json!({"src": self.device_id, "method": "NotifyLog", "params": params})
    }

    /// Show the device log lines that appeared since last time.
    fn show_log(&mut self, rt: &Runtime) -> bool {
        let lines: Vec<LogLine> = {
            let dev = rt.device();
            let d = dev.borrow();
            let l: Vec<LogLine> = d.log.since(self.log_seq).cloned().collect();
            self.log_seq = d.log.next_seq();
            l
        };
        if lines.is_empty() {
            return false;
        }
        for l in &lines {
            match self.mode {
                Mode::Human => {
                    self.clear_prompt();
                    let t = if l.script == CONSOLE_ID {
                        format!("{}\n", l.text)
                    } else {
                        format!("[script:{}] {}\n", l.script, l.text)
                    };
                    self.text(&t);
                }
                Mode::Rpc => {
                    let j = self.notify_log_json(rt, l.seq, l.level, l.script, l.ts_ms, &l.text);
                    self.send_frame(&j);
                }
            }
        }
        true
    }

    // ----- input -----

    fn on_event(&mut self, rt: &mut Runtime, ev: Event) {
        match ev {
            Event::Line(text) => {
                if self.line
                    == (Line::Lines {
                        terminal_echoes: true,
                    })
                {
                    // The terminal echoed the line and its Enter.
                    self.at_line_start = true;
                    self.prompt_shown = false;
                }
                self.on_line(rt, &text)
            }
            Event::Key(b) => self.on_key(rt, b),
            Event::Frame(bytes) => self.on_frame(rt, &bytes),
            Event::Interrupt => {
                rt.console_interrupt();
                self.entry.clear();
                self.editor.clear();
                if self.mode == Mode::Human {
                    if self.line == Line::Raw && self.prompt_shown {
                        self.raw(b"^C\r\n");
                        self.prompt_shown = false;
                    } else {
                        self.clear_prompt();
                    }
                }
            }
            Event::Oversized { frame: true } => {
                let e = RpcError::new(
                    code::RESOURCE_EXHAUSTED,
                    format!("frame too large: at most {MAX_FRAME} bytes"),
                );
                let j = response_frame(&Json::Null, &self.device_id, None, &Err(e));
                self.send_frame(&j);
            }
            Event::Oversized { frame: false } => {
                self.entry.clear();
                self.report("line too long: ignored");
            }
        }
    }

    /// A message of the console itself: plain text for people, a `NotifyLog` of level `warn`
    /// for tools.
    fn report(&mut self, msg: &str) {
        match self.mode {
            Mode::Human => {
                self.clear_prompt();
                self.text(&format!("{msg}\n"));
            }
            Mode::Rpc => {
                let j = json!({"src": self.device_id, "method": "NotifyLog",
                               "params": {"level": "warn", "script": CONSOLE_ID, "text": msg}});
                self.send_frame(&j);
            }
        }
    }

    fn on_key(&mut self, rt: &mut Runtime, b: u8) {
        let echo = self.mode == Mode::Human;
        match self.editor.key(b) {
            Action::Nothing => {}
            Action::Echo(bytes) => {
                if echo {
                    if !self.prompt_shown {
                        self.show_prompt(rt);
                    } else {
                        self.raw(&bytes);
                    }
                }
            }
            Action::Redraw => {
                if echo {
                    self.clear_prompt();
                    self.show_prompt(rt);
                }
            }
            Action::Submit(text) => {
                if echo {
                    if self.prompt_shown {
                        self.raw(b"\r\n");
                    }
                    self.prompt_shown = false;
                }
                self.on_line(rt, &text);
            }
            // Ctrl-D does not end a serial line.
            Action::EndOnEmpty => {}
        }
    }

    fn on_line(&mut self, rt: &mut Runtime, text: &str) {
        if self.entry.is_empty() && text.trim().is_empty() {
            // Show a fresh prompt, as a terminal user expects after Enter.
            self.prompt_shown = false;
            return;
        }
        if self.entry.len() + text.len() + 1 > MAX_ENTRY {
            self.entry.clear();
            self.report(&format!(
                "entry too long (more than {MAX_ENTRY} bytes): ignored"
            ));
            self.prompt_shown = false;
            return;
        }
        self.entry.extend_from_slice(text.as_bytes());
        self.entry.push(b'\n');
        if crate::entry::is_incomplete(&self.entry) {
            self.prompt_shown = false;
            return;
        }
        let entry = core::mem::take(&mut self.entry);
        rt.console_eval(&entry);
        self.prompt_shown = false;
    }

    fn on_frame(&mut self, rt: &mut Runtime, bytes: &[u8]) {
        // The same parser and error codes as HTTP and WebSocket; errors are answered even
        // with id null (a parse error has no id).
        let frame = match rpc_frame::parse_request(bytes) {
            Ok(f) => f,
            Err((id, src, e)) => {
                let j = response_frame(&id, &self.device_id, src.as_deref(), &Err(e));
                self.send_frame(&j);
                return;
            }
        };
        let call = PendingCall {
            id: frame.id,
            src: frame.src,
        };
        let method = frame.method.as_str();
        let reply = if method.eq_ignore_ascii_case("Console.SetMode") {
            RpcReply::Done(self.set_mode(&frame.params))
        } else if method.eq_ignore_ascii_case("Console.GetMode") {
            RpcReply::Done(Ok(json!({"mode": self.mode.name()})))
        } else {
            rt.rpc(method, frame.params, Origin::Transport)
        };
        match reply {
            RpcReply::Done(r) => self.answer(&call, &r),
            RpcReply::Pending(token) => {
                self.pending.insert(token, call);
            }
        }
    }

    /// Send the answer to a request (none for a request without id).
    fn answer(&mut self, call: &PendingCall, r: &Result<Json, RpcError>) {
        if !call.id.is_null() {
            let j = response_frame(&call.id, &self.device_id, call.src.as_deref(), r);
            self.send_frame(&j);
        }
    }

    fn set_mode(&mut self, params: &Json) -> Result<Json, RpcError> {
        let mode = match params.get("mode").and_then(|m| m.as_str()) {
            Some("rpc") => Mode::Rpc,
            Some("human") => Mode::Human,
            _ => return Err(RpcError::invalid("mode must be \"rpc\" or \"human\"")),
        };
        let prev = self.mode;
        if mode == Mode::Rpc && prev == Mode::Human {
            self.clear_prompt();
        }
        self.mode = mode;
        if mode == Mode::Human {
            self.prompt_shown = false;
        }
        Ok(json!({"mode": mode.name(), "prev": prev.name()}))
    }
}

#[cfg(test)]
mod tests;
