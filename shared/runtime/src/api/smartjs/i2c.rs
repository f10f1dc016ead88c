//! Smart.js `I2C`: `new I2C(sda, scl)` with the low-level calls (`start`, `send`, `readByte`,
//! `readString`, `sendAck`, `stop`) and the high-level ones (`read`, `write`, `do`,
//! `readRegB/W`, `writeRegB/W`). The board does whole transactions, so the low-level calls are
//! buffered: bytes sent after `start(addr, I2C.WRITE)` go out at `stop()` (or at a repeated
//! start, where a following read becomes one write-then-read); `start` probes the address.
//! `send` therefore reports `I2C.ACK` for bytes that are only queued.
//!
//! `new I2C({data, clock, hz, address})` (an options object) makes a TC53 I2C instead.

use alloc::vec;
use alloc::vec::Vec;

use ferrite_engine::object::Key;
use ferrite_engine::{Value, Vm};

use super::{entry, int_arg, this_id, with_state, TAG_I2C};
use crate::api::description::ApiEntry;
use crate::board::BoardError;
use crate::host::{ctx, on_board};

pub const WRITE: i64 = 0;
pub const READ: i64 = 1;
pub const ACK: f64 = 0.0;
pub const NAK: f64 = 1.0;
pub const ERR: f64 = 2.0;
pub const NONE: f64 = 3.0;
/// `new I2C(sda, scl)` objects one script may have open at once (`close()` releases one).
pub const MAX_BUSES: usize = 8;

/// A transaction in progress.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Txn {
    #[default]
    Idle,
    /// Started for writing; `data` is queued until `stop` or a repeated start.
    Write { addr: u8, data: Vec<u8> },
    /// Started for reading; `prefix` was written just before (repeated start).
    Read { addr: u8, prefix: Vec<u8> },
}

/// One `new I2C(sda, scl)`.
#[derive(Clone, Debug)]
pub struct Bus {
    /// The board's I2C bus (0: the one the parts are on; the pins are the board's wiring).
    pub bus: u32,
    pub txn: Txn,
}

/// The outcome of a board transaction as an ack type.
fn ack_of(r: &Result<(), BoardError>) -> f64 {
    match r {
        Ok(()) => ACK,
        Err(BoardError::NoResponse(_)) => NAK,
        Err(_) => ERR,
    }
}

/// Board I2C operations for natives (the device borrow ends before returning).
pub(crate) fn board_write(
    vm: &mut Vm,
    bus: u32,
    addr: u8,
    data: &[u8],
) -> Result<Result<(), BoardError>, Value> {
    on_board(vm, |board| match board.i2c() {
        Some(i) => i.write(bus, addr, data),
        None => Err(BoardError::Unsupported("I2C")),
    })
}

pub(crate) fn board_read(
    vm: &mut Vm,
    bus: u32,
    addr: u8,
    prefix: &[u8],
    n: usize,
) -> Result<Result<Vec<u8>, BoardError>, Value> {
    let mut buf = vec![0u8; n];
    let r = on_board(vm, |board| match board.i2c() {
        Some(i) if prefix.is_empty() => i.read(bus, addr, &mut buf),
        Some(i) => i.write_read(bus, addr, prefix, &mut buf),
        None => Err(BoardError::Unsupported("I2C")),
    })?;
    Ok(r.map(|_| buf))
}

/// Bytes to send: a number 0..=255 is one byte, a string its bytes.
fn data_bytes(vm: &mut Vm, v: Value) -> Option<Vec<u8>> {
    if v.is_string() {
        return Some(vm.string_bytes(v).to_vec());
    }
    crate::host::whole_in(v, 0.0, 255.0).map(|n| vec![n as u8])
}

fn addr_arg(args: &[Value], i: usize) -> Option<u8> {
    int_arg(args, i)
        .filter(|a| (0..=0x7F).contains(a))
        .map(|a| a as u8)
}

/// Longest read one call may ask for, and most bytes a write transaction queues.
const MAX_READ: i64 = 4096;

fn count_arg(args: &[Value], i: usize) -> Option<usize> {
    int_arg(args, i)
        .filter(|n| (0..=MAX_READ).contains(n))
        .map(|n| n as usize)
}

fn bus_of(vm: &mut Vm, this: Value, what: &str) -> Result<(u32, Bus), Value> {
    let id = this_id(vm, this, TAG_I2C, what)?;
    match with_state(vm, |s| s.i2c.get(&id).cloned())? {
        Some(b) => Ok((id, b)),
        None => Err(vm.type_error(&alloc::format!("{what}: this I2C was closed"))),
    }
}

fn set_txn(vm: &mut Vm, id: u32, txn: Txn) -> Result<(), Value> {
    with_state(vm, |s| {
        if let Some(b) = s.i2c.get_mut(&id) {
            b.txn = txn;
        }
    })
}

/// `new I2C(sda, scl)` (Smart.js) or `new I2C({…})` (TC53).
fn construct(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let nt = vm.new_target();
    if nt.is_undefined() {
        return Err(vm.type_error("Constructor I2C requires 'new'"));
    }
    if Vm::arg(args, 0).is_object() {
        return crate::api::tc53::i2c_construct(vm, this, args);
    }
    let (Some(sda), Some(scl)) = (int_arg(args, 0), int_arg(args, 1)) else {
        return Err(vm.type_error(
            "I2C: expected new I2C(sda_gpio, scl_gpio) or new I2C({data, clock, hz, address})",
        ));
    };
    let host = ctx(vm)?;
    let pins = {
        let mut d = host.device.borrow_mut();
        if d.board.i2c().is_none() {
            drop(d);
            return Err(crate::host::board_error(
                vm,
                "I2C is not available on this board",
            ));
        }
        d.board.gpio().map_or(0, |g| g.pin_count()) as i64
    };
    if !(0..pins).contains(&sda) || !(0..pins).contains(&scl) || sda == scl {
        return Err(vm.range_error(&alloc::format!(
            "I2C: sda {sda} and scl {scl} must be two different GPIOs of this board (0..{pins})"
        )));
    }
    let configured = host
        .device
        .borrow_mut()
        .board
        .i2c()
        .map(|i2c| i2c.configure(0, sda as u32, scl as u32, None));
    if let Some(Err(e)) = configured {
        return Err(crate::host::board_error(vm, &alloc::format!("I2C: {e}")));
    }
    if with_state(vm, |s| s.i2c.len())? >= MAX_BUSES {
        return Err(vm.range_error(&alloc::format!(
            "I2C: a script may have at most {MAX_BUSES} I2C objects open (close() releases one)"
        )));
    }
    let proto = vm.proto_from_new_target(nt, None)?;
    let id = with_state(vm, |s| {
        let id = s.new_id();
        s.i2c.insert(
            id,
            Bus {
                bus: 0,
                txn: Txn::Idle,
            },
        );
        id
    })?;
    vm.new_host_object(proto, TAG_I2C, id)
}

/// Send what a write transaction queued.
fn flush(vm: &mut Vm, bus: u32, txn: &Txn) -> Result<f64, Value> {
    match txn {
        Txn::Write { addr, data } if !data.is_empty() => {
            Ok(ack_of(&board_write(vm, bus, *addr, data)?))
        }
        _ => Ok(ACK),
    }
}

/// `i2c.start(addr, mode)` → ackType.
fn start(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (id, b) = bus_of(vm, this, "I2C.prototype.start")?;
    let (Some(addr), Some(mode)) = (addr_arg(args, 0), int_arg(args, 1)) else {
        return Ok(Value::number(ERR));
    };
    if mode != READ && mode != WRITE {
        return Ok(Value::number(ERR));
    }
    let mut prefix = Vec::new();
    match &b.txn {
        Txn::Write { addr: a, data } if mode == READ && *a == addr && !data.is_empty() => {
            prefix = data.clone();
        }
        t => {
            flush(vm, b.bus, t)?;
        }
    }
    let ack = if prefix.is_empty() {
        ack_of(&board_write(vm, b.bus, addr, &[])?)
    } else {
        ACK
    };
    let txn = match (ack == ACK, mode == READ) {
        (false, _) => Txn::Idle,
        (true, true) => Txn::Read { addr, prefix },
        (true, false) => Txn::Write {
            addr,
            data: Vec::new(),
        },
    };
    set_txn(vm, id, txn)?;
    Ok(Value::number(ack))
}

/// `i2c.stop()`: end the transaction (queued bytes go out now).
fn stop(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (id, b) = bus_of(vm, this, "I2C.prototype.stop")?;
    flush(vm, b.bus, &b.txn)?;
    set_txn(vm, id, Txn::Idle)?;
    Ok(Value::UNDEFINED)
}

/// `i2c.send(data)` → ackType (`I2C.ERR` outside a write transaction or for bad data).
fn send(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (id, b) = bus_of(vm, this, "I2C.prototype.send")?;
    let Some(bytes) = data_bytes(vm, Vm::arg(args, 0)) else {
        return Ok(Value::number(ERR));
    };
    let Txn::Write { addr, mut data } = b.txn else {
        return Ok(Value::number(ERR));
    };
    // The queue lives outside the script's heap (and is copied per call): bound it.
    if data.len() + bytes.len() > MAX_READ as usize {
        return Ok(Value::number(ERR));
    }
    data.extend_from_slice(&bytes);
    set_txn(vm, id, Txn::Write { addr, data })?;
    Ok(Value::number(ACK))
}

/// Read `n` bytes in the current read transaction.
fn txn_read(vm: &mut Vm, this: Value, n: usize, what: &str) -> Result<Option<Vec<u8>>, Value> {
    let (id, b) = bus_of(vm, this, what)?;
    let Txn::Read { addr, prefix } = b.txn else {
        return Ok(None);
    };
    let r = board_read(vm, b.bus, addr, &prefix, n)?;
    set_txn(
        vm,
        id,
        Txn::Read {
            addr,
            prefix: Vec::new(),
        },
    )?;
    Ok(r.ok())
}

/// `i2c.readByte([ackType])` → the byte, or -1 outside a read transaction or on a bus error.
fn read_byte(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let r = txn_read(vm, this, 1, "I2C.prototype.readByte")?;
    Ok(Value::number(r.map_or(-1.0, |b| b[0] as f64)))
}

/// `i2c.readString(n, [lastAckType])` → string, or `I2C.ERR`.
fn read_string(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let Some(n) = count_arg(args, 0) else {
        return Err(vm.range_error(&alloc::format!(
            "I2C.prototype.readString: n must be 0..{MAX_READ}"
        )));
    };
    match txn_read(vm, this, n, "I2C.prototype.readString")? {
        Some(bytes) => vm.new_string_vec(bytes),
        None => Ok(Value::number(ERR)),
    }
}

/// `i2c.sendAck(ackType)`: the board acknowledges by itself; accepted for compatibility.
fn send_ack(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    bus_of(vm, this, "I2C.prototype.sendAck")?;
    Ok(Value::UNDEFINED)
}

/// `i2c.read(addr, nbytes)` → string | `I2C.ERR`.
fn read(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (_, b) = bus_of(vm, this, "I2C.prototype.read")?;
    let (Some(addr), Some(n)) = (addr_arg(args, 0), count_arg(args, 1)) else {
        return Ok(Value::number(ERR));
    };
    match board_read(vm, b.bus, addr, &[], n)? {
        Ok(bytes) => vm.new_string_vec(bytes),
        Err(_) => Ok(Value::number(ERR)),
    }
}

/// `i2c.write(addr, data)` → ackType.
fn write(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (_, b) = bus_of(vm, this, "I2C.prototype.write")?;
    let Some(addr) = addr_arg(args, 0) else {
        return Ok(Value::number(ERR));
    };
    let Some(bytes) = data_bytes(vm, Vm::arg(args, 1)) else {
        return Ok(Value::number(ERR));
    };
    Ok(Value::number(ack_of(&board_write(
        vm, b.bus, addr, &bytes,
    )?)))
}

/// One request of `i2c.do`.
enum Req {
    Read(usize),
    Write(Vec<u8>),
}

/// `i2c.do(addr, [I2C.READ, n] | [I2C.WRITE, data], …)` → array of results (strings for reads,
/// ack types for writes), ending with `I2C.ERR` at the first failure. A write followed by a
/// read is one write-then-read transaction (repeated start).
fn do_requests(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (_, b) = bus_of(vm, this, "I2C.prototype.do")?;
    let Some(addr) = addr_arg(args, 0) else {
        return Err(vm.type_error("I2C.prototype.do: addr must be a 7-bit address"));
    };
    let mut reqs = Vec::new();
    for (i, r) in args.iter().enumerate().skip(1) {
        let bad = || {
            alloc::format!(
                "I2C.prototype.do: request {i} must be [I2C.READ, count] or [I2C.WRITE, data]"
            )
        };
        if !vm.is_array(*r) {
            let m = bad();
            return Err(vm.type_error(&m));
        }
        let kind = vm.get_index(*r, 0)?;
        let arg = vm.get_index(*r, 1)?;
        let req = match kind.as_number() {
            Some(k) if k == READ as f64 => count_arg(&[arg], 0).map(Req::Read),
            Some(k) if k == WRITE as f64 => data_bytes(vm, arg).map(Req::Write),
            _ => None,
        };
        match req {
            Some(q) => reqs.push(q),
            None => {
                let m = bad();
                return Err(vm.type_error(&m));
            }
        }
    }
    let mut out: Vec<Value> = Vec::new();
    let mark = vm.roots_len();
    let mut i = 0;
    while i < reqs.len() {
        match &reqs[i] {
            Req::Write(data) => {
                if let Some(Req::Read(n)) = reqs.get(i + 1) {
                    match board_read(vm, b.bus, addr, data, *n)? {
                        Ok(bytes) => {
                            out.push(Value::number(ACK));
                            let s = vm.new_string_vec(bytes)?;
                            vm.push_root(s);
                            out.push(s);
                        }
                        Err(_) => {
                            out.push(Value::number(ERR));
                            break;
                        }
                    }
                    i += 2;
                    continue;
                }
                let ack = ack_of(&board_write(vm, b.bus, addr, data)?);
                if ack != ACK {
                    out.push(Value::number(ERR));
                    break;
                }
                out.push(Value::number(ACK));
            }
            Req::Read(n) => match board_read(vm, b.bus, addr, &[], *n)? {
                Ok(bytes) => {
                    let s = vm.new_string_vec(bytes)?;
                    vm.push_root(s);
                    out.push(s);
                }
                Err(_) => {
                    out.push(Value::number(ERR));
                    break;
                }
            },
        }
        i += 1;
    }
    let arr = vm.new_array(out);
    vm.truncate_roots(mark);
    arr
}

/// Read `n` bytes of register `reg` (write of `reg`, then read).
fn read_reg(
    vm: &mut Vm,
    this: Value,
    args: &[Value],
    n: usize,
    what: &str,
) -> Result<Value, Value> {
    let (_, b) = bus_of(vm, this, what)?;
    let (Some(addr), Some(reg)) = (
        addr_arg(args, 0),
        int_arg(args, 1).filter(|r| (0..=255).contains(r)),
    ) else {
        return Err(vm.type_error(&alloc::format!("{what}: expected (addr, reg)")));
    };
    match board_read(vm, b.bus, addr, &[reg as u8], n)? {
        Ok(bytes) => Ok(Value::number(
            bytes.iter().fold(0u32, |acc, b| (acc << 8) | *b as u32) as f64,
        )),
        Err(_) => Ok(Value::number(-1.0)),
    }
}

fn write_reg(
    vm: &mut Vm,
    this: Value,
    args: &[Value],
    n: usize,
    what: &str,
) -> Result<Value, Value> {
    let (_, b) = bus_of(vm, this, what)?;
    let max = if n == 1 { 0xFF } else { 0xFFFF };
    let (Some(addr), Some(reg), Some(v)) = (
        addr_arg(args, 0),
        int_arg(args, 1).filter(|r| (0..=255).contains(r)),
        int_arg(args, 2).filter(|v| (0..=max).contains(v)),
    ) else {
        return Err(vm.type_error(&alloc::format!(
            "{what}: expected (addr, reg, value) with value 0..{max}"
        )));
    };
    let mut data = vec![reg as u8];
    if n == 2 {
        data.push((v >> 8) as u8);
    }
    data.push(v as u8);
    Ok(Value::bool(board_write(vm, b.bus, addr, &data)?.is_ok()))
}

fn read_reg_b(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    read_reg(vm, this, args, 1, "I2C.prototype.readRegB")
}
fn read_reg_w(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    read_reg(vm, this, args, 2, "I2C.prototype.readRegW")
}
fn write_reg_b(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    write_reg(vm, this, args, 1, "I2C.prototype.writeRegB")
}
fn write_reg_w(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    write_reg(vm, this, args, 2, "I2C.prototype.writeRegW")
}

/// `i2c.close()`: forget the bus (a pending write is dropped).
fn close(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let id = this_id(vm, this, TAG_I2C, "I2C.prototype.close")?;
    with_state(vm, |s| s.i2c.remove(&id))?;
    Ok(Value::UNDEFINED)
}

pub fn install(vm: &mut Vm) {
    let op = vm.intr.object_prototype;
    let (ctor, proto) = vm.define_class("I2C", 2, construct, None, op);
    let methods: [(&str, u32, ferrite_engine::NativeFn); 14] = [
        ("start", 2, start),
        ("stop", 0, stop),
        ("send", 1, send),
        ("readByte", 1, read_byte),
        ("readString", 2, read_string),
        ("sendAck", 1, send_ack),
        ("read", 2, read),
        ("write", 2, write),
        ("do", 1, do_requests),
        ("readRegB", 2, read_reg_b),
        ("readRegW", 2, read_reg_w),
        ("writeRegB", 3, write_reg_b),
        ("writeRegW", 3, write_reg_w),
        ("close", 0, close),
    ];
    for (name, arity, f) in methods {
        vm.define_method(proto, name, arity, f);
    }
    for (name, v) in [
        ("READ", READ as f64),
        ("WRITE", WRITE as f64),
        ("ACK", ACK),
        ("NAK", NAK),
        ("ERR", ERR),
        ("NONE", NONE),
    ] {
        let k: Key = vm.key(name);
        vm.define_value(
            ctor,
            k,
            Value::number(v),
            ferrite_engine::object::ENUMERABLE,
        );
    }
}

pub const DESCRIPTION: &[ApiEntry] = &[
    entry("I2C", "{ new (sda: number, scl: number): I2C; new (options: { data: number, clock: number, hz: number, address: number, port?: number, onReadable?: (this: TC53I2C, results: number) => void, onError?: (this: TC53I2C, message: string) => void }): TC53I2C }", "A Smart.js I2C master on two GPIOs; with an options object (`{data, clock, hz, address, onReadable?, onError?}`) a TC53 I2C for one device (also `require(\"embedded:io/i2c\")`)."),
    entry("I2C.READ", "1", "Mode of `start`: read."),
    entry("I2C.WRITE", "0", "Mode of `start`: write."),
    entry("I2C.ACK", "0", "Acknowledged."),
    entry("I2C.NAK", "1", "Not acknowledged."),
    entry("I2C.ERR", "2", "Bus error or bad request."),
    entry("I2C.NONE", "3", "No acknowledgement (for `readByte`)."),
    entry("I2C.prototype.start", "(addr: number, mode: 0 | 1) => number", "Begin a transaction with the 7-bit address; returns the address's ack (`I2C.NAK`: no such device)."),
    entry("I2C.prototype.stop", "() => void", "End the transaction; bytes queued by `send` are written now."),
    entry("I2C.prototype.send", "(data: number | string) => number", "Queue a byte (0..255) or a string's bytes in a write transaction; `I2C.ERR` outside one."),
    entry("I2C.prototype.readByte", "(ackType?: number) => number", "Read one byte in a read transaction (-1 on error)."),
    entry("I2C.prototype.readString", "(n: number, lastAckType?: number) => string | number", "Read n bytes in a read transaction, or `I2C.ERR`."),
    entry("I2C.prototype.sendAck", "(ackType: number) => void", "Accepted for compatibility (the board acknowledges by itself)."),
    entry("I2C.prototype.read", "(addr: number, nbytes: number) => string | number", "Read nbytes from the device as a string, or `I2C.ERR`."),
    entry("I2C.prototype.write", "(addr: number, data: number | string) => number", "Write a byte or a string's bytes; the ack type."),
    entry("I2C.prototype.do", "(addr: number, ...requests: [number, number | string][]) => (string | number)[]", "Several requests with repeated starts: `[I2C.READ, n]` gives a string, `[I2C.WRITE, data]` an ack; ends with `I2C.ERR` at the first failure."),
    entry("I2C.prototype.readRegB", "(addr: number, reg: number) => number", "Read an 8-bit register (-1 on error)."),
    entry("I2C.prototype.readRegW", "(addr: number, reg: number) => number", "Read a 16-bit big-endian register (-1 on error)."),
    entry("I2C.prototype.writeRegB", "(addr: number, reg: number, value: number) => boolean", "Write an 8-bit register."),
    entry("I2C.prototype.writeRegW", "(addr: number, reg: number, value: number) => boolean", "Write a 16-bit big-endian register."),
    entry("I2C.prototype.close", "() => void", "Release the bus object."),
];
