//! Smart.js `SPI`: `new SPI()`, `spi.tran(data, bytesToRead, command, address)` and
//! `spi.txn(cmdBits, cmd, addrBits, addr, dataBits, data, readBits, dummyBits)`. Each call is
//! one full-duplex board transfer of command, address, data, dummy and read phases, most
//! significant byte first; what arrives during the read phase is the result. Phases are whole
//! bytes on this board (bit lengths must be multiples of 8, up to 32).

use alloc::vec::Vec;

use ferrite_engine::{Value, Vm};

use super::{entry, int_arg, this_id, with_state, TAG_SPI};
use crate::api::description::ApiEntry;
use crate::host::{ctx, on_board};

fn construct(vm: &mut Vm, _this: Value, _args: &[Value]) -> Result<Value, Value> {
    let nt = vm.new_target();
    if nt.is_undefined() {
        return Err(vm.type_error("Constructor SPI requires 'new'"));
    }
    let host = ctx(vm)?;
    if host.device.borrow_mut().board.spi().is_none() {
        return Err(crate::host::board_error(
            vm,
            "SPI is not available on this board",
        ));
    }
    let proto = vm.proto_from_new_target(nt, None)?;
    // Smart.js has no `close()` for SPI: all objects of a bus share one entry (keyed by the
    // bus number + 1), so constructing SPI objects in a loop takes no memory outside the heap.
    let bus = 0;
    let id = with_state(vm, |s| {
        s.spi.insert(bus + 1, bus);
        bus + 1
    })?;
    vm.new_host_object(proto, TAG_SPI, id)
}

/// A phase of `bits` bits (0, 8, 16, 24 or 32) holding `value`.
fn phase(bits: i64, value: i64, out: &mut Vec<u8>) -> bool {
    if !(0..=32).contains(&bits) || bits % 8 != 0 {
        return false;
    }
    let n = (bits / 8) as usize;
    let bytes = (value as u64 as u32).to_be_bytes();
    out.extend_from_slice(&bytes[4 - n..]);
    true
}

/// Transfer `out` followed by `read` bytes; the number the read phase received.
fn transfer(
    vm: &mut Vm,
    this: Value,
    mut out: Vec<u8>,
    read: usize,
    what: &str,
) -> Result<Value, Value> {
    let id = this_id(vm, this, TAG_SPI, what)?;
    let Some(bus) = with_state(vm, |s| s.spi.get(&id).copied())? else {
        return Err(vm.type_error(&alloc::format!("{what}: this SPI was closed")));
    };
    let start = out.len();
    out.resize(start + read, 0);
    let r = on_board(vm, |board| match board.spi() {
        Some(s) => s.transfer(bus, &mut out),
        None => Err(crate::board::BoardError::Unsupported("SPI")),
    })?;
    match r {
        Ok(()) => Ok(Value::number(
            out[start..].iter().fold(0u32, |a, b| (a << 8) | *b as u32) as f64,
        )),
        Err(e) => Err(crate::host::board_error(vm, &alloc::format!("{what}: {e}"))),
    }
}

/// `spi.tran(dataToSend, bytesToRead = 0, command?, address?)`: an optional 1-byte command and
/// 4-byte address, 4 bytes of data, then 0..4 bytes read.
fn tran(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let what = "SPI.prototype.tran";
    let bad = |vm: &mut Vm| {
        vm.type_error(
            "SPI.prototype.tran: expected (data, bytesToRead 0..4, command?, address?) as integers",
        )
    };
    let Some(data) = int_arg(args, 0) else {
        return Err(bad(vm));
    };
    let read = match Vm::arg(args, 1) {
        v if v.is_undefined() => 0,
        _ => match int_arg(args, 1).filter(|n| (0..=4).contains(n)) {
            Some(n) => n as usize,
            None => return Err(bad(vm)),
        },
    };
    let mut out = Vec::new();
    for (i, bits) in [(2, 8), (3, 32)] {
        if !Vm::arg(args, i).is_undefined() {
            let Some(v) = int_arg(args, i) else {
                return Err(bad(vm));
            };
            phase(bits, v, &mut out);
        }
    }
    phase(32, data, &mut out);
    transfer(vm, this, out, read, what)
}

/// `spi.txn(cmdBits, cmd, addrBits, addr, dataBits, data, readBits, dummyBits)`.
fn txn(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let mut n = [0i64; 8];
    for (i, slot) in n.iter_mut().enumerate() {
        *slot = match Vm::arg(args, i) {
            v if v.is_undefined() => 0,
            _ => match int_arg(args, i) {
                Some(x) => x,
                None => return Err(vm.type_error("SPI.prototype.txn: arguments must be integers")),
            },
        };
    }
    let mut out = Vec::new();
    let ok = phase(n[0], n[1], &mut out)
        && phase(n[2], n[3], &mut out)
        && phase(n[4], n[5], &mut out)
        && phase(n[7], 0, &mut out)
        && (0..=32).contains(&n[6])
        && n[6] % 8 == 0;
    if !ok {
        return Err(vm.range_error(
            "SPI.prototype.txn: bit lengths must be 0, 8, 16, 24 or 32 on this board",
        ));
    }
    transfer(vm, this, out, (n[6] / 8) as usize, "SPI.prototype.txn")
}

pub fn install(vm: &mut Vm) {
    let op = vm.intr.object_prototype;
    let (_, proto) = vm.define_class("SPI", 0, construct, None, op);
    vm.define_method(proto, "tran", 4, tran);
    vm.define_method(proto, "txn", 8, txn);
}

pub const DESCRIPTION: &[ApiEntry] = &[
    entry("SPI", "new () => SPI", "The board's SPI bus."),
    entry(
        "SPI.prototype.tran",
        "(dataToSend: number, bytesToRead?: number, command?: number, address?: number) => number",
        "One transaction: optional 1-byte command and 4-byte address, 4 data bytes, then bytesToRead (0..4) bytes read back as a number.",
    ),
    entry(
        "SPI.prototype.txn",
        "(commandLenBits: number, command: number, addrLenBits: number, address: number, dataToSendLenBits: number, dataToWrite: number, dataToReadLenBits: number, dummyBits: number) => number",
        "One transaction with explicit phase lengths (multiples of 8 bits up to 32 on this board); returns what was read.",
    ),
];
