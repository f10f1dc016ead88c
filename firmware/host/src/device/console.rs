//! The serial console of the virtual device on standard input/output, or on a PTY with
//! `--pty` (a raw line, like a board's USB serial port). What the console does — the REPL for
//! people and the framed JSON-RPC for tools, `docs/PROTOCOL.md` — is `ferrite-console`'s, the
//! same as on the ESP32-C3; this adapter only moves the bytes ([`io`]) and turns Ctrl-C at a
//! cooked terminal (a signal, not a byte) into an interrupt.

mod io;

use ferrite_console::Line;
use ferrite_runtime::device::Notification;
use ferrite_runtime::json::Json;
use ferrite_runtime::rpc::RpcError;
use ferrite_runtime::Runtime;

use self::io::{ConsoleIo, Input};
use super::{DeviceOptions, Transport};

/// Reads per round, of at most [`READ_CHUNK`] bytes each (and never more than the console
/// takes, [`ferrite_console::Console::input_room`]).
const READS_PER_ROUND: usize = 16;
const READ_CHUNK: usize = 4096;

pub struct Console {
    io: ConsoleIo,
    console: ferrite_console::Console,
    /// Standard input is a terminal that echoes typed lines (and turns Ctrl-C into SIGINT).
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
        let terminal_echoes = io.terminal_echoes();
        let line = if io.is_pty() {
            Line::Raw
        } else {
            Line::Lines { terminal_echoes }
        };
        if terminal_echoes {
            io::catch_sigint();
        }
        Ok(Console {
            io,
            console: ferrite_console::Console::new(line),
            terminal_echoes,
        })
    }

    /// Feed what the line has now, a bounded amount per round (so that a flood of input
    /// cannot starve the scripts).
    fn read_input(&mut self) {
        let mut buf = [0u8; READ_CHUNK];
        for _ in 0..READS_PER_ROUND {
            let room = self.console.input_room().min(buf.len());
            if room == 0 {
                break;
            }
            match self.io.read(&mut buf[..room]) {
                Input::Data(n) => {
                    self.console.feed(&buf[..n]);
                }
                Input::Nothing => break,
                Input::End => {
                    self.console.end_input();
                    break;
                }
            }
        }
    }

    /// Hand the console's output to the line. Returns whether bytes went out.
    fn write_output(&mut self) -> bool {
        let out = self.console.take_output();
        if !out.is_empty() {
            self.io.write(&out);
        }
        self.io.flush()
    }
}

impl Transport for Console {
    fn on_boot(&mut self, rt: &mut Runtime) {
        self.console.on_boot(rt);
    }

    fn poll(&mut self, rt: &mut Runtime) -> bool {
        if self.terminal_echoes && io::take_sigint() {
            self.console.terminal_interrupt();
        }
        self.read_input();
        // Answers go out as they are ready, while later requests of the round still run.
        let io = &mut self.io;
        let did = self.console.poll_writing(rt, &mut |bytes| io.write(bytes));
        self.io.flush() | did
    }

    fn deliver(
        &mut self,
        rt: &mut Runtime,
        done: &[(u32, Result<Json, RpcError>)],
        notifications: &[Notification],
    ) {
        self.console.deliver(rt, done, notifications);
        self.write_output();
    }

    fn wants_exit(&self) -> bool {
        self.console.wants_exit()
    }

    fn wait_fds(&self, fds: &mut Vec<libc::pollfd>) -> bool {
        self.io.wait_fds(!self.console.input_ended(), fds);
        true
    }
}
