//! TC53 `Serial`: `new Serial({port = 1, baud, transmit, receive, format, onReadable,
//! onWritable})` over a board UART (`transmit` and `receive`, pin numbers, go to the board's
//! `Uart::set_pins`, which may refuse them). Received bytes are taken from the board when it reports data and kept until read;
//! `onReadable(count)` gets how many are waiting. `write` is all or nothing, as TC53 says: a
//! write the port cannot take whole (longer than the output buffer, or more than the board's
//! UART has room for now) throws, and nothing of it is sent (a board that takes only part of a
//! write is reported in the error with how much it sent). `onWritable(count)` runs after
//! construction with the output buffer's size, and again with it each time the port's output
//! has drained after writes (the board's `UartWritable`), so a script can send a stream in
//! `onWritable` as TC53 intends.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::rc::Rc;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;

use ferrite_engine::{Value, Vm};

use super::{
    buffer_arg, call, entry, instance, io_error, new_instance, opt, opt_callback, opt_int, options,
    queue_callback, register, require_new, with_tc, Class, Instance, Kind, Slot, TcState, EXT,
};
use crate::api::description::ApiEntry;
use crate::device::Device;
use crate::host::{ctx, on_board};
use crate::script::{Arg, ListenerKind, ScriptState};

/// The output buffer size `onWritable` reports.
pub const OUTPUT_BUFFER: usize = 128;
/// Bytes kept unread before the oldest are dropped.
pub const INPUT_BUFFER: usize = 4096;

fn construct(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let c = Class::Serial;
    require_new(vm, c)?;
    let o = options(vm, args, c)?;
    let port = opt_int(vm, o, "port", c, false, 0, 7)?.unwrap_or(1) as u32;
    let baud = opt_int(vm, o, "baud", c, true, 1, 5_000_000)?.unwrap_or(0) as u32;
    let transmit = opt_int(vm, o, "transmit", c, false, 0, i64::from(u32::MAX))?;
    let receive = opt_int(vm, o, "receive", c, false, 0, i64::from(u32::MAX))?;
    if transmit.is_some() || receive.is_some() {
        let count = i64::from(super::digital::pin_count(vm, c)?);
        if let Some(p) = [transmit, receive]
            .into_iter()
            .flatten()
            .find(|p| *p >= count)
        {
            return Err(vm.type_error(&format!(
                "Serial: pin {p} does not exist: this board has pins 0 to {}",
                count - 1
            )));
        }
    }
    let pins = match (transmit, receive) {
        (Some(tx), Some(rx)) if tx != rx => Some((tx as u32, rx as u32)),
        (Some(_), Some(_)) => {
            return Err(vm.type_error("Serial: transmit and receive must be different pins"))
        }
        (None, None) => None,
        _ => return Err(vm.type_error("Serial: transmit and receive must be given together")),
    };
    let fv = opt(vm, o, "format")?;
    let format = if fv.is_undefined() {
        "number"
    } else {
        match fv
            .is_string()
            .then(|| vm.string_bytes(fv).to_vec())
            .as_deref()
        {
            Some(b"number") => "number",
            Some(b"buffer") => "buffer",
            _ => return Err(vm.type_error("Serial: format must be \"number\" or \"buffer\"")),
        }
    };
    let on_readable = opt_callback(vm, o, "onReadable", c)?;
    let on_writable = opt_callback(vm, o, "onWritable", c)?;
    let taken = with_tc(vm, |s| {
        s.instances
            .values()
            .any(|i| matches!(i.kind, Kind::Serial { port: p, .. } if p == port))
    })?;
    if taken {
        return Err(io_error(vm, &format!("Serial: port {port} is in use")));
    }
    let host = ctx(vm)?;
    let r = match host.device.borrow_mut().board.uart() {
        Some(u) => pins
            .map_or(Ok(()), |(tx, rx)| u.set_pins(port, tx, rx))
            .and_then(|()| u.configure(port, baud))
            .map_err(|e| format!("Serial: port {port}: {e}")),
        None => Err("Serial: no UART on this board".into()),
    };
    r.map_err(|m| io_error(vm, &m))?;
    let id = with_tc(vm, |s| s.new_id())?;
    let obj = new_instance(vm, c, id)?;
    let inst = Instance {
        class: c,
        kind: Kind::Serial {
            port,
            rx: VecDeque::new(),
            wrote: false,
        },
        format,
        on_readable: None,
        on_writable: None,
        on_error: None,
    };
    let mut cbs = Vec::new();
    if let Some(f) = on_readable {
        cbs.push((Slot::Readable, f, ListenerKind::Other("TC53 callbacks")));
    }
    if let Some(f) = on_writable {
        cbs.push((Slot::Writable, f, ListenerKind::Other("TC53 callbacks")));
    }
    register(vm, obj, id, inst, &cbs)?;
    let h = with_tc(vm, |s| s.instances.get(&id).and_then(|i| i.on_writable))?;
    queue_callback(vm, h, vec![Arg::Num(OUTPUT_BUFFER as f64)])?;
    Ok(obj)
}

/// `serial.read([count])`: a byte (format "number") or an `ArrayBuffer` of up to count bytes
/// (format "buffer"); undefined when nothing is waiting.
fn read(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    super::read_stream(vm, this, args, Class::Serial)
}

/// `serial.write(byte | buffer)`: throws if the port cannot take all of it.
fn write(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (id, i) = instance(vm, this, Class::Serial, "write")?;
    let Kind::Serial { port, .. } = i.kind else {
        return Ok(Value::UNDEFINED);
    };
    let v = Vm::arg(args, 0);
    let bytes = if i.format == "number" {
        match crate::host::whole_in(v, 0.0, 255.0) {
            Some(n) => vec![n as u8],
            None => return Err(vm.type_error(
                "Serial.prototype.write: with format \"number\" the value must be a byte (0..255)",
            )),
        }
    } else {
        buffer_arg(vm, v, "Serial.prototype.write")?
    };
    if bytes.len() > OUTPUT_BUFFER {
        return Err(io_error(
            vm,
            &format!(
                "Serial.prototype.write: {} bytes do not fit the {OUTPUT_BUFFER}-byte output buffer",
                bytes.len()
            ),
        ));
    }
    let r = on_board(vm, |board| board.uart().map(|u| u.write(port, &bytes)))?;
    // Taken or refused, the script waits for the port: its next drain calls onWritable.
    with_tc(vm, |s| {
        if let Some(Kind::Serial { wrote, .. }) = s.instances.get_mut(&id).map(|i| &mut i.kind) {
            *wrote = true;
        }
    })?;
    match r {
        Some(Ok(n)) if n >= bytes.len() => Ok(Value::UNDEFINED),
        Some(Ok(0)) => Err(io_error(
            vm,
            &format!(
                "Serial.prototype.write: port {port} cannot take {} bytes now, its output is \
                 full (nothing was written; write again later)",
                bytes.len()
            ),
        )),
        Some(Ok(n)) => Err(io_error(
            vm,
            &format!(
                "Serial.prototype.write: port {port} took only {n} of {} bytes, its output is \
                 full (the rest was not written)",
                bytes.len()
            ),
        )),
        Some(Err(e)) => Err(io_error(vm, &format!("Serial.prototype.write: {e}"))),
        None => Err(io_error(vm, "Serial.prototype.write: no UART")),
    }
}

/// The script's `Serial` on board UART `port`, if it has one.
fn serial_on(st: &mut ScriptState, port: u32) -> Option<&mut Instance> {
    st.extensions
        .get::<TcState>(EXT)?
        .instances
        .values_mut()
        .find(|i| matches!(i.kind, Kind::Serial { port: p, .. } if p == port))
}

/// The board has data on `port`: the Serial of the first script with one takes it.
pub(super) fn route_data(
    device: &Rc<RefCell<Device>>,
    scripts: &[Rc<RefCell<ScriptState>>],
    port: u32,
    limit: usize,
) -> bool {
    for s in scripts {
        let mut st = s.borrow_mut();
        let Some(inst) = serial_on(&mut st, port) else {
            continue;
        };
        // Take at most INPUT_BUFFER bytes: what is beyond stays in the board's UART.
        let mut got = Vec::new();
        if let Ok(mut d) = device.try_borrow_mut() {
            if let Some(u) = d.board.uart() {
                let mut buf = [0u8; 256];
                while got.len() < INPUT_BUFFER {
                    let want = (INPUT_BUFFER - got.len()).min(buf.len());
                    match u.read(port, &mut buf[..want]) {
                        Ok(n) if n > 0 => got.extend_from_slice(&buf[..n.min(want)]),
                        _ => break,
                    }
                }
            }
        }
        let Kind::Serial { rx, .. } = &mut inst.kind else {
            return true;
        };
        if got.is_empty() {
            return true;
        }
        rx.extend(got);
        while rx.len() > INPUT_BUFFER {
            rx.pop_front();
        }
        let (count, h) = (rx.len(), inst.on_readable);
        call(&mut st, h, vec![Arg::Num(count as f64)], limit);
        return true;
    }
    false
}

/// The board's UART `port` has drained: `onWritable(OUTPUT_BUFFER)` for the instance on that port
/// if it wrote since its last `onWritable`.
pub(super) fn route_writable(
    scripts: &[Rc<RefCell<ScriptState>>],
    port: u32,
    limit: usize,
) -> bool {
    for s in scripts {
        let mut st = s.borrow_mut();
        let Some(inst) = serial_on(&mut st, port) else {
            continue;
        };
        let h = inst.on_writable;
        if let Kind::Serial { wrote, .. } = &mut inst.kind {
            if !core::mem::take(wrote) {
                return true;
            }
        }
        call(&mut st, h, vec![Arg::Num(OUTPUT_BUFFER as f64)], limit);
        return true;
    }
    false
}

pub fn install(vm: &mut Vm) {
    super::define(
        vm,
        Class::Serial,
        construct,
        &[("read", 1, read), ("write", 1, write)],
        &[],
    );
}

pub const DESCRIPTION: &[ApiEntry] = &[
    entry("Serial", "new (options: { port?: number, baud: number, transmit?: number, receive?: number, format?: \"number\" | \"buffer\", onReadable?: (this: Serial, count: number) => void, onWritable?: (this: Serial, count: number) => void }) => Serial", "A UART (`embedded:io/serial`), port 1 unless given; format \"number\" (default) or \"buffer\"."),
    entry("Serial.prototype.read", "(count?: number) => number | ArrayBuffer | undefined", "A byte (format number) or up to count bytes (format buffer; all waiting without count); undefined if nothing is waiting."),
    entry("Serial.prototype.write", "(data: number | ArrayBuffer | ArrayBufferView) => void", "Send a byte (format number) or a buffer (format buffer); throws if the port cannot take all of it now (then nothing is written)."),
];

#[cfg(test)]
mod tests {
    use alloc::boxed::Box;
    use alloc::rc::Rc;
    use alloc::string::String;
    use alloc::vec::Vec;
    use core::cell::RefCell;

    use crate::board::{BoardError, BoardResult, Uart};
    use crate::testing::{bare_board, log_lines, start_script_on, BoardWith};
    use crate::{Runtime, RuntimeConfig};

    /// A UART whose output queue holds `room` bytes (nothing drains it): a write that does not
    /// fit is refused whole, or with `partial` takes what fits (as a board may).
    struct TightUart {
        sent: Rc<RefCell<Vec<u8>>>,
        room: usize,
        partial: bool,
        /// The pins scripts named (port, tx, rx); GPIO20 is refused, as the chip does.
        pins: Rc<RefCell<Vec<(u32, u32, u32)>>>,
    }

    /// The simulated board with `uart`, running `code`.
    fn run_on(uart: TightUart, code: &str) -> Runtime {
        let board = BoardWith {
            sim: bare_board(),
            i2c: None,
            uart: Some(Box::new(uart)),
        };
        start_script_on(Box::new(board), RuntimeConfig::default(), code)
    }

    impl Uart for TightUart {
        fn set_pins(&mut self, port: u32, tx: u32, rx: u32) -> BoardResult<()> {
            self.pins.borrow_mut().push((port, tx, rx));
            if tx == 20 {
                return Err(BoardError::InvalidArgument(
                    "UART1 (Serial port 1) TX: GPIO20 cannot be used by scripts".into(),
                ));
            }
            Ok(())
        }
        fn configure(&mut self, _port: u32, _baud: u32) -> BoardResult<()> {
            Ok(())
        }
        fn write(&mut self, _port: u32, data: &[u8]) -> BoardResult<usize> {
            let mut sent = self.sent.borrow_mut();
            let free = self.room - sent.len();
            let n = match (data.len() <= free, self.partial) {
                (true, _) => data.len(),
                (false, true) => free,
                (false, false) => 0,
            };
            sent.extend_from_slice(&data[..n]);
            Ok(n)
        }
        fn read(&mut self, _port: u32, _buf: &mut [u8]) -> BoardResult<usize> {
            Ok(0)
        }
    }

    const SCRIPT: &str = r#"
const Serial = require("embedded:io/serial");
const s = new Serial({port: 1, baud: 9600, format: "buffer",
  onWritable(n) { print("writable", n); }});
function attempt(what, f) {
  try { f(); print(what, "ok"); } catch (e) { print(what, "threw:", e.message); }
}
attempt("40 bytes", () => s.write(new Uint8Array(40).fill(1)));
attempt("50 bytes", () => s.write(new Uint8Array(50).fill(2)));
attempt("20 bytes", () => s.write(new Uint8Array(20).fill(3)));
attempt("129 bytes", () => s.write(new Uint8Array(129)));
s.format = "number";
for (let i = 0; i < 12; i++) attempt("byte " + i, () => s.write(4));
"#;

    /// Runs [`SCRIPT`] on a UART with 100 bytes of room; what was sent and the log.
    fn run(partial: bool) -> (Vec<u8>, Vec<String>) {
        let sent = Rc::new(RefCell::new(Vec::new()));
        let uart = TightUart {
            sent: sent.clone(),
            room: 100,
            partial,
            pins: Rc::default(),
        };
        let rt = run_on(uart, SCRIPT);
        let lines = log_lines(&rt);
        let bytes = sent.borrow().clone();
        (bytes, lines)
    }

    fn has(lines: &[String], want: &str) -> bool {
        lines.iter().any(|l| l.contains(want))
    }

    #[test]
    fn a_write_the_port_cannot_take_whole_throws_and_writes_nothing() {
        let (sent, lines) = run(false);
        assert!(has(&lines, "writable 128"), "{lines:?}");
        assert!(has(&lines, "40 bytes ok"), "{lines:?}");
        assert!(has(&lines, "50 bytes ok"), "{lines:?}");
        assert!(
            has(
                &lines,
                "20 bytes threw: Serial.prototype.write: port 1 cannot take 20 bytes now, its \
                 output is full (nothing was written; write again later)"
            ),
            "{lines:?}"
        );
        assert!(has(
            &lines,
            "129 bytes threw: Serial.prototype.write: 129 bytes do not fit"
        ));
        // The 10 bytes left are taken one by one, the 11th and 12th are refused.
        assert!(has(&lines, "byte 9 ok"), "{lines:?}");
        assert!(has(
            &lines,
            "byte 10 threw: Serial.prototype.write: port 1 cannot take 1"
        ));
        assert!(has(&lines, "byte 11 threw"), "{lines:?}");
        let mut want = alloc::vec![1u8; 40];
        want.extend([2u8; 50]);
        want.extend([4u8; 10]);
        assert_eq!(sent, want);
    }

    #[test]
    fn the_pins_a_script_names_reach_the_board_which_may_refuse_them() {
        let pins = Rc::new(RefCell::new(Vec::new()));
        let uart = TightUart {
            sent: Rc::default(),
            room: 100,
            partial: false,
            pins: pins.clone(),
        };
        let rt = run_on(
            uart,
            r#"
const Serial = require("embedded:io/serial");
function attempt(what, f) {
  try { f(); print(what, "made"); } catch (e) { print(what, "threw:", e.message); }
}
attempt("chosen", () => new Serial({port: 1, baud: 9600, transmit: 3, receive: 4}));
attempt("defaults", () => new Serial({port: 2, baud: 9600}));
attempt("refused", () => new Serial({port: 3, baud: 9600, transmit: 20, receive: 4}));
attempt("half", () => new Serial({port: 4, baud: 9600, transmit: 3}));
attempt("same", () => new Serial({port: 4, baud: 9600, transmit: 5, receive: 5}));
attempt("absent", () => new Serial({port: 4, baud: 9600, transmit: 22, receive: 5}));
"#,
        );
        let lines = log_lines(&rt);
        assert!(has(&lines, "chosen made") && has(&lines, "defaults made"));
        assert!(
            has(
                &lines,
                "refused threw: Serial: port 3: invalid argument: UART1 (Serial port 1) TX: \
                 GPIO20 cannot be used"
            ),
            "{lines:?}"
        );
        assert!(
            has(
                &lines,
                "half threw: Serial: transmit and receive must be given together"
            ),
            "{lines:?}"
        );
        assert!(has(
            &lines,
            "same threw: Serial: transmit and receive must be different"
        ));
        assert!(
            has(
                &lines,
                "absent threw: Serial: pin 22 does not exist: this board has pins 0 to 21"
            ),
            "{lines:?}"
        );
        assert_eq!(*pins.borrow(), [(1, 3, 4), (3, 20, 4)]);
    }

    #[test]
    fn on_writable_runs_again_each_time_the_port_drains_after_writes() {
        // A stream of 1000 bytes sent from onWritable, 128 at a time (TC53's pattern); then a
        // port nobody writes to gets no more calls.
        let board = bare_board();
        let sim = board.handle();
        let rt = crate::testing::start_script(
            board,
            RuntimeConfig::default(),
            r#"
const Serial = require("embedded:io/serial");
let next = 0, calls = 0;
new Serial({port: 1, baud: 115200, format: "buffer", onWritable(n) {
  calls++;
  const k = Math.min(n, 1000 - next);
  if (k > 0) {
    const b = new Uint8Array(k);
    for (let i = 0; i < k; i++) b[i] = (next + i) & 255;
    this.write(b);
    next += k;
  }
  print("onWritable", n, next, calls);
}});
"#,
        );
        let lines = log_lines(&rt);
        let sent = sim.uart_take(1);
        assert_eq!(sent.len(), 1000, "{lines:?}");
        assert!(sent.iter().enumerate().all(|(i, b)| *b == i as u8));
        // 8 calls send (7 × 128 + 104), the 9th finds nothing left and writes nothing, so no
        // 10th comes.
        assert!(has(&lines, "onWritable 128 1000 9"), "{lines:?}");
        let calls = lines.iter().filter(|l| l.contains("onWritable")).count();
        assert_eq!(calls, 9, "{lines:?}");
    }

    #[test]
    fn a_board_that_takes_part_of_a_write_makes_it_throw_saying_how_much_went() {
        let (sent, lines) = run(true);
        assert!(
            has(
                &lines,
                "20 bytes threw: Serial.prototype.write: port 1 took only 10 of 20 bytes, its \
                 output is full (the rest was not written)"
            ),
            "{lines:?}"
        );
        assert!(has(&lines, "byte 0 threw"), "{lines:?}");
        assert_eq!(sent.len(), 100);
    }
}
