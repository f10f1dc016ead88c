//! TC53 `Serial`: `new Serial({port = 1, baud, format, onReadable, onWritable})` over a board
//! UART. Received bytes are taken from the board when it reports data and kept until read;
//! `onReadable(count)` gets how many are waiting. The board's UART takes writes at once, so
//! `onWritable(count)` runs once after construction with the output buffer's size.

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
use crate::host::ctx;
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
        Some(u) => u
            .configure(port, baud)
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

/// `serial.write(byte | buffer)`.
fn write(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (_, i) = instance(vm, this, Class::Serial, "write")?;
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
    let host = ctx(vm)?;
    let r = host
        .device
        .borrow_mut()
        .board
        .uart()
        .map(|u| u.write(port, &bytes));
    match r {
        Some(Ok(_)) => Ok(Value::UNDEFINED),
        Some(Err(e)) => Err(io_error(vm, &format!("Serial.prototype.write: {e}"))),
        None => Err(io_error(vm, "Serial.prototype.write: no UART")),
    }
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
        let Some(tc) = st.extensions.get::<TcState>(EXT) else {
            continue;
        };
        let Some(inst) = tc
            .instances
            .values_mut()
            .find(|i| matches!(i.kind, Kind::Serial { port: p, .. } if p == port))
        else {
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
    entry("Serial", "new (options: { port?: number, baud: number, format?: \"number\" | \"buffer\", onReadable?: (this: Serial, count: number) => void, onWritable?: (this: Serial, count: number) => void }) => Serial", "A UART (`embedded:io/serial`), port 1 unless given; format \"number\" (default) or \"buffer\"."),
    entry("Serial.prototype.read", "(count?: number) => number | ArrayBuffer | undefined", "A byte (format number) or up to count bytes (format buffer; all waiting without count); undefined if nothing is waiting."),
    entry("Serial.prototype.write", "(data: number | ArrayBuffer | ArrayBufferView) => void", "Send a byte (format number) or a buffer (format buffer); throws if it does not fit the output buffer."),
];
