//! TC53 `I2C`: `new I2C({data, clock, hz, address})` talks to one device, on the pins and at
//! the clock it names (the board's `I2c::configure` may refuse them). `read(count)` returns
//! an `ArrayBuffer`, `read(buffer)` fills a buffer; `write(buffer)` sends one. With
//! `stop: false` a write is held and goes out with the next operation as its first part (a
//! repeated start: a held write then a read is one write-then-read transaction).
//! With an `onReadable` callback the instance is asynchronous, as the seed's provider I2C:
//! `read(count)` returns undefined and queues the result, `onReadable(n)` says n results are
//! waiting, and `read()` without arguments takes the oldest (undefined if none); a failed read
//! goes to `onError(message)` if given (else it throws).
//! The global `I2C` is shared with Smart.js: an options object selects this class.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use ferrite_engine::{Value, Vm};

use super::digital::pin_count;
use super::{
    buffer_arg, entry, instance, io_error, new_instance, opt_callback, opt_int, options,
    queue_callback, register, update, with_tc, Class, Instance, Kind, Slot,
};
use crate::api::description::ApiEntry;
use crate::api::smartjs::i2c::{board_read, board_write};
use crate::host::ctx;
use crate::script::{Arg, ListenerKind};

/// Longest read.
const MAX_READ: i64 = 4096;

/// `new I2C({data, clock, hz, address})` (reached through the global `I2C`).
pub fn construct(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let c = Class::I2c;
    let o = options(vm, args, c)?;
    let max = pin_count(vm, c)? as i64 - 1;
    let data = opt_int(vm, o, "data", c, true, 0, max)?.unwrap_or(0);
    let clock = opt_int(vm, o, "clock", c, true, 0, max)?.unwrap_or(0);
    if data == clock {
        return Err(vm.type_error("I2C: data and clock must be different pins"));
    }
    let hz = opt_int(vm, o, "hz", c, true, 1, 5_000_000)?.map(|h| h as u32);
    let addr = opt_int(vm, o, "address", c, true, 0, 0x7F)?.unwrap_or(0) as u8;
    let port = opt_int(vm, o, "port", c, false, 0, 7)?.unwrap_or(0) as u32;
    let on_readable = opt_callback(vm, o, "onReadable", c)?;
    let on_error = opt_callback(vm, o, "onError", c)?;
    let host = ctx(vm)?;
    let configured = match host.device.borrow_mut().board.i2c() {
        Some(i2c) => i2c
            .configure(port, data as u32, clock as u32, hz)
            .map_err(|e| format!("I2C: {e}")),
        None => Err("I2C: I2C is not available on this board".into()),
    };
    configured.map_err(|m| io_error(vm, &m))?;
    let id = with_tc(vm, |s| s.new_id())?;
    let obj = new_instance(vm, c, id)?;
    let inst = Instance {
        class: c,
        kind: Kind::I2c {
            bus: port,
            addr,
            pending: Vec::new(),
            results: on_readable.map(|_| VecDeque::new()),
        },
        format: "buffer",
        on_readable: None,
        on_writable: None,
        on_error: None,
    };
    let mut cbs = Vec::new();
    if let Some(f) = on_readable {
        cbs.push((Slot::Readable, f, ListenerKind::Other("TC53 callbacks")));
    }
    if let Some(f) = on_error {
        cbs.push((Slot::Error, f, ListenerKind::Other("TC53 callbacks")));
    }
    register(vm, obj, id, inst, &cbs)?;
    Ok(obj)
}

fn parts(
    vm: &mut Vm,
    this: Value,
    method: &str,
) -> Result<(u32, Instance, u32, u8, Vec<u8>), Value> {
    let (id, i) = instance(vm, this, Class::I2c, method)?;
    match &i.kind {
        Kind::I2c {
            bus, addr, pending, ..
        } => {
            let (b, a, p) = (*bus, *addr, pending.clone());
            Ok((id, i, b, a, p))
        }
        _ => Err(vm.type_error("I2C: not an I2C instance")),
    }
}

fn set_pending(vm: &mut Vm, id: u32, mut i: Instance, bytes: Vec<u8>) -> Result<(), Value> {
    if let Kind::I2c { pending, .. } = &mut i.kind {
        *pending = bytes;
    }
    update(vm, id, i)
}

/// `i2c.read(count | buffer, stop = true)`.
fn read(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (id, i, bus, addr, pending) = parts(vm, this, "read")?;
    let target = Vm::arg(args, 0);
    if matches!(
        i.kind,
        Kind::I2c {
            results: Some(_),
            ..
        }
    ) {
        return read_async(vm, id, i, target, bus, addr, pending);
    }
    let count = crate::host::whole_in(target, 0.0, MAX_READ as f64);
    let (n, into) = match (count, target.as_number()) {
        (Some(n), _) => (n as usize, None),
        (None, Some(_)) => {
            return Err(vm.type_error(&format!(
                "I2C.prototype.read: count must be an integer from 0 to {MAX_READ}"
            )))
        }
        (None, None) => match vm.buffer_bytes(target) {
            Some(b) => (b.len(), Some(target)),
            None => {
                return Err(vm.type_error(
                    "I2C.prototype.read: the argument must be a byte count or an ArrayBuffer/typed array",
                ))
            }
        },
    };
    let r = board_read(vm, bus, addr, &pending, n)?;
    set_pending(vm, id, i, Vec::new())?;
    let bytes =
        r.map_err(|e| io_error(vm, &format!("I2C.prototype.read from 0x{addr:02x}: {e}")))?;
    match into {
        Some(buf) => {
            vm.set_buffer_bytes(buf, &bytes);
            Ok(Value::UNDEFINED)
        }
        None => vm.new_array_buffer(bytes),
    }
}

/// `read` of the asynchronous form.
fn read_async(
    vm: &mut Vm,
    id: u32,
    mut i: Instance,
    target: Value,
    bus: u32,
    addr: u8,
    pending: Vec<u8>,
) -> Result<Value, Value> {
    let Kind::I2c {
        results: Some(results),
        ..
    } = &mut i.kind
    else {
        return Ok(Value::UNDEFINED);
    };
    if target.is_undefined() {
        let Some(r) = results.pop_front() else {
            return Ok(Value::UNDEFINED);
        };
        update(vm, id, i)?;
        return vm.new_array_buffer(r);
    }
    let n = match crate::host::whole_in(target, 0.0, MAX_READ as f64) {
        Some(n) => n as usize,
        None => {
            return Err(vm.type_error(&format!(
                "I2C.prototype.read: count must be an integer from 0 to {MAX_READ} (or nothing, to take a result)"
            )))
        }
    };
    let r = board_read(vm, bus, addr, &pending, n)?;
    let (on_readable, on_error) = (i.on_readable, i.on_error);
    if let Kind::I2c {
        pending, results, ..
    } = &mut i.kind
    {
        pending.clear();
        if let (Ok(bytes), Some(q)) = (&r, results) {
            q.push_back(bytes.clone());
        }
    }
    let waiting = match &i.kind {
        Kind::I2c {
            results: Some(q), ..
        } => q.len(),
        _ => 0,
    };
    update(vm, id, i)?;
    match r {
        Ok(_) => queue_callback(vm, on_readable, vec![Arg::Num(waiting as f64)])?,
        Err(e) => {
            let msg = format!("I2C.prototype.read from 0x{addr:02x}: {e}");
            if on_error.is_none() {
                return Err(io_error(vm, &msg));
            }
            queue_callback(vm, on_error, vec![Arg::Str(msg.into_bytes())])?;
        }
    }
    Ok(Value::UNDEFINED)
}

/// `i2c.write(buffer, stop = true)`.
fn write(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (id, i, bus, addr, mut pending) = parts(vm, this, "write")?;
    let bytes = buffer_arg(vm, Vm::arg(args, 0), "I2C.prototype.write")?;
    let stop = Vm::arg(args, 1);
    pending.extend_from_slice(&bytes);
    if !stop.is_undefined() && !vm.to_boolean(stop) {
        set_pending(vm, id, i, pending)?;
        return Ok(Value::UNDEFINED);
    }
    let r = board_write(vm, bus, addr, &pending)?;
    set_pending(vm, id, i, Vec::new())?;
    r.map_err(|e| io_error(vm, &format!("I2C.prototype.write to 0x{addr:02x}: {e}")))?;
    Ok(Value::UNDEFINED)
}

pub fn install(vm: &mut Vm) {
    // The constructor is the global I2C's (Smart.js); this class's prototype is pinned for it.
    let Ok(proto) = vm.new_object() else { return };
    let Some(p) = proto.as_object() else { return };
    vm.define_method(p, "read", 2, read);
    vm.define_method(p, "write", 2, write);
    vm.define_method(p, "close", 0, super::close);
    let fk = vm.key("format");
    vm.define_accessor(
        p,
        fk,
        "format",
        Some(super::get_format),
        Some(super::set_format),
    );
    let pin = vm.pin(proto);
    if with_tc(vm, |s| s.protos.insert(Class::I2c, pin)).is_err() {
        vm.unpin(pin);
    }
}

pub const DESCRIPTION: &[ApiEntry] = &[
    entry("TC53I2C.prototype.read", "(count?: number | ArrayBuffer | ArrayBufferView, stop?: boolean) => ArrayBuffer | undefined", "Read count bytes into a new ArrayBuffer, or fill the given buffer; throws if the device does not answer. With onReadable (asynchronous form): read(count) queues the result and returns undefined, read() takes the oldest result."),
    entry("TC53I2C.prototype.write", "(data: ArrayBuffer | ArrayBufferView, stop?: boolean) => void", "Write the bytes; with stop false they go out with the next operation (repeated start)."),
];

#[cfg(test)]
mod tests {
    use alloc::boxed::Box;
    use alloc::rc::Rc;
    use alloc::string::String;
    use alloc::vec::Vec;
    use core::cell::RefCell;

    use crate::board::{BoardError, BoardResult, I2c};
    use crate::testing::{bare_board, log_lines, start_script_on, BoardWith};
    use crate::RuntimeConfig;

    type Configured = Rc<RefCell<Vec<(u32, u32, u32, Option<u32>)>>>;

    /// An I2C controller that records the pins and clocks scripts name and, as the chip does
    /// for a pin it cannot use, refuses GPIO20.
    struct PinnedI2c {
        configured: Configured,
    }

    impl I2c for PinnedI2c {
        fn configure(&mut self, bus: u32, sda: u32, scl: u32, hz: Option<u32>) -> BoardResult<()> {
            self.configured.borrow_mut().push((bus, sda, scl, hz));
            if sda == 20 {
                return Err(BoardError::InvalidArgument(
                    "I2C bus 0 SDA: GPIO20 cannot be used by scripts".into(),
                ));
            }
            Ok(())
        }
        fn write(&mut self, _bus: u32, _addr: u8, _data: &[u8]) -> BoardResult<()> {
            Ok(())
        }
        fn read(&mut self, _bus: u32, _addr: u8, _buf: &mut [u8]) -> BoardResult<()> {
            Ok(())
        }
        fn write_read(&mut self, _: u32, _: u8, _: &[u8], _: &mut [u8]) -> BoardResult<()> {
            Ok(())
        }
    }

    #[test]
    fn the_pins_and_clock_a_script_names_reach_the_board_which_may_refuse_them() {
        let configured = Configured::default();
        let board = BoardWith {
            sim: bare_board(),
            i2c: Some(Box::new(PinnedI2c {
                configured: configured.clone(),
            })),
            uart: None,
        };
        let code = r#"
const a = new I2C({data: 8, clock: 9, hz: 400000, address: 0x3c});
print("tc53 made");
try { new I2C({data: 20, clock: 9, hz: 100000, address: 0x3c}); print("made?"); }
catch (e) { print("tc53 refused:", e.message); }
const b = new I2C(4, 5);
print("smartjs made");
try { new I2C(20, 5); print("made?"); } catch (e) { print("smartjs refused:", e.message); }
"#;
        let rt = start_script_on(Box::new(board), RuntimeConfig::default(), code);
        let lines: Vec<String> = log_lines(&rt);
        let has = |want: &str| lines.iter().any(|l| l.contains(want));
        assert!(has("tc53 made") && has("smartjs made"), "{lines:?}");
        assert!(
            has("tc53 refused: I2C: invalid argument: I2C bus 0 SDA: GPIO20 cannot be used"),
            "{lines:?}"
        );
        assert!(
            has("smartjs refused: I2C: invalid argument: I2C bus 0 SDA: GPIO20"),
            "{lines:?}"
        );
        assert!(!has("made?"), "{lines:?}");
        assert_eq!(
            *configured.borrow(),
            [
                (0, 8, 9, Some(400_000)),
                (0, 20, 9, Some(100_000)),
                (0, 4, 5, None),
                (0, 20, 5, None)
            ]
        );
    }
}
