//! One serial console on one port: moves the bytes between a [`SerialPort`] and a
//! [`ferrite_console::Console`] (the REPL and the RPC framing of docs/PROTOCOL.md, the same
//! state machine the host's virtual device serves), and drives the console each round.
//!
//! Output the port does not take for [`STALL_MS`] is dropped: on USB-Serial-JTAG
//! nobody reads while no terminal has the port open, and the device must go on (ESP-IDF's
//! console does the same).
//!
//! Must never: block, or hold more output than the console's own bound.

use alloc::string::String;
use alloc::vec::Vec;

use ferrite_console::{Console, Line};
use ferrite_runtime::device::Notification;
use ferrite_runtime::json::Json;
use ferrite_runtime::rpc::RpcError;
use ferrite_runtime::Runtime;

use crate::board::SerialPort;

/// A port that took no byte for this long while output waited has no reader.
pub const STALL_MS: u64 = 500;

/// Bytes read from a port at a time.
const READ_CHUNK: usize = 256;

pub struct ConsoleLink {
    port: SerialPort,
    console: Console,
    /// Text of the firmware's own (before the console's banner), not yet written.
    notice: Vec<u8>,
    /// When output last moved, or began to wait (ms since boot).
    last_progress_ms: u64,
    waiting: bool,
}

/// Output waiting for a port, at most: two consoles share a heap of under 300 KiB, and a port
/// nobody reads drops its output anyway (a script printing in a loop must not fill the heap).
const OUTPUT_LIMIT: usize = 16 * 1024;

impl ConsoleLink {
    /// A console on a raw serial line (people's keys are echoed and edited by the console).
    pub fn new(port: SerialPort) -> ConsoleLink {
        ConsoleLink {
            port,
            console: Console::new(Line::Raw).with_output_limit(OUTPUT_LIMIT),
            notice: Vec::new(),
            last_progress_ms: 0,
            waiting: false,
        }
    }

    /// A line of the firmware's own (the boot report), written before any console output.
    pub fn notice(&mut self, line: &str) {
        let mut s = String::from(line);
        s.push_str("\r\n");
        self.notice.extend_from_slice(s.as_bytes());
    }

    /// The runtime booted: the console shows its banner and prompt.
    pub fn on_boot(&mut self, rt: &mut Runtime) {
        self.console.on_boot(rt);
    }

    /// Take what the port received and act on it. Returns whether anything happened.
    pub fn poll(&mut self, rt: &mut Runtime) -> bool {
        let mut buf = [0u8; READ_CHUNK];
        loop {
            let room = self.console.input_room().min(buf.len());
            if room == 0 {
                break;
            }
            let n = self.port.read(&mut buf[..room]);
            if n == 0 {
                break;
            }
            // At most `input_room` bytes were read, so the console takes them all.
            self.console.feed(&buf[..n]);
        }
        self.console.poll(rt)
    }

    /// This round's RPC answers and notifications, then the prompt.
    pub fn deliver(
        &mut self,
        rt: &mut Runtime,
        done: &[(u32, Result<Json, RpcError>)],
        notifications: &[Notification],
    ) {
        self.console.deliver(rt, done, notifications);
    }

    /// Before a restart: let what the port took leave the chip ([`SerialPort::drain`]).
    pub fn drain(&mut self) {
        self.port.drain();
    }

    /// Is output still waiting for the port?
    pub fn pending(&self) -> bool {
        !self.notice.is_empty() || !self.console.output().is_empty()
    }

    /// Write what the port takes now; drop the output if the port took nothing for
    /// [`STALL_MS`].
    pub fn flush(&mut self, now_ms: u64) {
        if !self.pending() {
            self.waiting = false;
            return;
        }
        if !self.waiting {
            self.waiting = true;
            self.last_progress_ms = now_ms;
        }
        let mut moved = 0;
        if !self.notice.is_empty() {
            let n = self.port.write(&self.notice);
            self.notice.drain(..n);
            moved += n;
        }
        if self.notice.is_empty() && !self.console.output().is_empty() {
            let n = self.port.write(self.console.output());
            self.console.consume(n);
            moved += n;
        }
        if moved > 0 {
            self.last_progress_ms = now_ms;
        } else if now_ms.saturating_sub(self.last_progress_ms) >= STALL_MS {
            let n = self.notice.len() + self.console.output().len();
            self.notice.clear();
            self.console.consume(n);
            self.waiting = false;
        }
    }
}
