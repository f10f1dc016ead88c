//! The serial console: a REPL for people and framed JSON-RPC for tools on the same line
//! (standard input/output, or a PTY with `--pty`). The protocol is in `docs/PROTOCOL.md`.
//!
//! - People type JavaScript; it runs in the console's realm. Lines that end inside an open
//!   bracket, template or comment continue (`... ` prompt). The prompt shows the console realm's
//!   heap, `[free/used] > `. Ctrl-C interrupts what the console runs. Script output and the
//!   device log appear as they happen.
//! - Tools send frames: SOH (`0x01`), a JSON-RPC request, `\n`; answers come back framed the
//!   same way. `Console.SetMode` switches between `human` (prompt, echo, plain log lines) and
//!   `rpc` (no prompt, no echo, log lines as `NotifyLog` frames, `NotifyStatus`,
//!   `NotifyEvent` and `NotifyTelemetry` frames).

mod editor;
mod io;

use std::collections::BTreeMap;

use ferrite_protocols::frame::{self, Event, Splitter, TextMode, MAX_FRAME};
use ferrite_runtime::device::Notification;
use ferrite_runtime::json::{json, Json};
use ferrite_runtime::log::{Level, LogLine};
use ferrite_runtime::rpc::{code, Origin, RpcError, RpcReply};
use ferrite_runtime::{Runtime, CONSOLE_ID};

use self::editor::{Action, LineEditor};
use self::io::{ConsoleIo, Input};
use super::rpc_frame::{self, response_frame};
use super::{DeviceOptions, Transport};

/// Longest entry (the lines of one input that continues while brackets are open), in bytes.
/// Beyond it the entry is dropped, so an unclosed bracket cannot grow memory without bound.
const MAX_ENTRY: usize = 64 * 1024;

/// Who the console talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A person: prompt, echo (on a PTY), log lines as text.
    Human,
    /// A tool: frames only (text typed is still evaluated; its output comes as `NotifyLog`).
    Rpc,
}

impl Mode {
    fn name(self) -> &'static str {
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

pub struct Console {
    io: ConsoleIo,
    splitter: Splitter,
    editor: LineEditor,
    mode: Mode,
    /// The lines of an entry that is not complete yet (open brackets).
    entry: Vec<u8>,
    /// The next device log line to show.
    log_seq: u64,
    pending: BTreeMap<u32, PendingCall>,
    /// The prompt (and, on a PTY, the line being edited) is on screen.
    prompt_shown: bool,
    /// The last byte written ended a line.
    at_line_start: bool,
    /// The input ended (standard input only): exit once the console is idle.
    input_ended: bool,
    exit: bool,
    /// `src` of answers and notifications: the device id.
    device_id: String,
    banner_due: bool,
    /// Standard input is a terminal that echoes typed lines.
    terminal_echoes: bool,
}

impl Console {
    /// Open the console on standard input/output, or on a new PTY (its path goes to standard
    /// error as `console: <path>`).
    pub fn open(opts: &DeviceOptions) -> Result<Console, String> {
        let io = if opts.pty {
            let io = ConsoleIo::pty().map_err(|e| format!("cannot create a PTY: {e}"))?;
            eprintln!("console: {}", io.pty_path().unwrap_or("?"));
            io
        } else {
            ConsoleIo::stdio()
        };
        // On a raw line the device edits and echoes; otherwise the terminal (or pipe) does.
        let text_mode = if io.is_pty() {
            TextMode::Keys
        } else {
            TextMode::Lines
        };
        let terminal_echoes = io.terminal_echoes();
        if terminal_echoes {
            io::catch_sigint();
        }
        Ok(Console {
            io,
            splitter: Splitter::new(text_mode),
            editor: LineEditor::new(),
            mode: Mode::Human,
            entry: Vec::new(),
            log_seq: 0,
            pending: BTreeMap::new(),
            prompt_shown: false,
            at_line_start: true,
            input_ended: false,
            exit: false,
            device_id: String::new(),
            banner_due: true,
            terminal_echoes,
        })
    }

    // ----- output -----

    /// Write raw bytes, tracking whether the cursor is at the start of a line.
    fn raw(&mut self, bytes: &[u8]) {
        if let Some(&last) = bytes.last() {
            self.at_line_start = last == b'\n';
            self.io.write(bytes);
        }
    }

    /// Write text for people (`\n` becomes `\r\n` on a raw PTY).
    fn text(&mut self, s: &str) {
        if self.io.is_pty() {
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
            if self.io.is_pty() {
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

    fn prompt_text(&self, rt: &Runtime) -> String {
        if !self.entry.is_empty() {
            return "... ".into();
        }
        match rt.heap_stats(CONSOLE_ID) {
            Some(s) => format!("[{}/{}] > ", s.free, s.used),
            None => "> ".into(),
        }
    }

    fn show_prompt(&mut self, rt: &Runtime) {
        let mut p = self.prompt_text(rt).into_bytes();
        if self.io.is_pty() {
            p.extend_from_slice(self.editor.text());
        }
        self.raw(&p);
        self.prompt_shown = true;
    }

    fn banner(&mut self, rt: &Runtime) {
        let free = rt.heap_stats(CONSOLE_ID).map_or(0, |s| s.free);
        let text = format!(
            "Ferrite {} — {} — heap free {free}",
            env!("CARGO_PKG_VERSION"),
            self.device_id
        );
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
        let params = super::notify_log::params(&dev.borrow(), seq, level, script, ts_ms, text);
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
                if self.terminal_echoes {
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
                    if self.io.is_pty() && self.prompt_shown {
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
        if crate::repl::is_incomplete(&self.entry) {
            self.prompt_shown = false;
            return;
        }
        let entry = std::mem::take(&mut self.entry);
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

    fn read_input(&mut self, rt: &mut Runtime) -> bool {
        if self.input_ended {
            return false;
        }
        let mut did = false;
        let mut buf = [0u8; 4096];
        // A bounded amount per round, so that a flood of input cannot starve the scripts.
        for _ in 0..16 {
            match self.io.read(&mut buf) {
                Input::Data(n) => {
                    self.splitter.feed(&buf[..n]);
                    did = true;
                }
                Input::Nothing => break,
                Input::End => {
                    self.splitter.finish();
                    self.input_ended = true;
                    did = true;
                    break;
                }
            }
            while let Some(ev) = self.splitter.next_event() {
                self.on_event(rt, ev);
            }
        }
        while let Some(ev) = self.splitter.next_event() {
            self.on_event(rt, ev);
        }
        if self.input_ended && !self.entry.is_empty() {
            // An unfinished entry at the end of input: run it (its error says what is missing).
            let entry = std::mem::take(&mut self.entry);
            rt.console_eval(&entry);
        }
        did
    }
}

impl Transport for Console {
    fn on_boot(&mut self, rt: &mut Runtime) {
        // A reboot resets the line as it would on a board: human mode, no calls in flight.
        self.device_id = rt.device().borrow().info.id.clone();
        self.pending.clear();
        self.log_seq = 0;
        self.entry.clear();
        self.editor.clear();
        self.mode = Mode::Human;
        self.banner_due = true;
    }

    fn poll(&mut self, rt: &mut Runtime) -> bool {
        let mut did = false;
        if self.banner_due {
            self.banner_due = false;
            self.banner(rt);
            did = true;
        }
        if self.terminal_echoes && io::take_sigint() {
            // The terminal echoed `^C`: the cursor is not at the start of a line.
            self.at_line_start = false;
            self.on_event(rt, Event::Interrupt);
            did = true;
        }
        did |= self.read_input(rt);
        did |= self.show_log(rt);
        did |= self.io.flush();
        did
    }

    fn deliver(
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
            if self.pending.is_empty() && !rt.realm_busy(CONSOLE_ID) {
                self.exit = true;
            }
        } else if self.mode == Mode::Human && !self.prompt_shown && !rt.realm_busy(CONSOLE_ID) {
            self.show_prompt(rt);
        }
        self.io.flush();
    }

    fn wants_exit(&self) -> bool {
        self.exit
    }

    fn wait_fds(&self, fds: &mut Vec<libc::pollfd>) -> bool {
        self.io.wait_fds(!self.input_ended, fds);
        true
    }
}
