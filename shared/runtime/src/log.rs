//! The device log: what scripts print and what the runtime reports, kept in a bounded ring so
//! that a console or a WebSocket debug stream that connects late still sees recent lines.

use alloc::collections::VecDeque;
use alloc::string::String;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warn,
    Info,
    /// `print` / `console.log` output of a script.
    Script,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    /// Sequence number, increasing by one per line since boot.
    pub seq: u64,
    /// Milliseconds since boot.
    pub ts_ms: u64,
    pub level: Level,
    /// The script that wrote it (0: the REPL / the device).
    pub script: u32,
    pub text: String,
}

#[derive(Debug, Default)]
pub struct Log {
    lines: VecDeque<LogLine>,
    next_seq: u64,
    capacity: usize,
}

impl Log {
    pub fn new(capacity: usize) -> Log {
        Log {
            lines: VecDeque::new(),
            next_seq: 0,
            capacity: capacity.max(1),
        }
    }

    pub fn push(&mut self, ts_ms: u64, level: Level, script: u32, text: String) {
        if self.lines.len() >= self.capacity {
            self.lines.pop_front();
        }
        self.lines.push_back(LogLine {
            seq: self.next_seq,
            ts_ms,
            level,
            script,
            text,
        });
        self.next_seq += 1;
    }

    /// Lines with `seq >= from` still in the buffer.
    pub fn since(&self, from: u64) -> impl Iterator<Item = &LogLine> {
        self.lines.iter().filter(move |l| l.seq >= from)
    }

    /// The sequence number the next line will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }
}
