//! TC53 sockets over the board's `Sockets`: `TCP` (a connection; `onWritable` when connected,
//! `onReadable(count)` as data arrives, `onError` when it ends), `UDP` (packets, read with
//! their sender as `address`/`port` properties) and `Listener` (accepted connections; `read()`
//! returns each as a `TCP` without callbacks, which `new TCP({from})` adopts).

use alloc::collections::VecDeque;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;

use ferrite_engine::{Value, Vm};

use super::{
    buffer_arg, call, close_instance, entry, instance, io_error, new_instance, opt, opt_callback,
    opt_int, options, register, require_new, update, with_tc, Class, Instance, Kind, Slot, TcState,
    EXT,
};
use crate::api::description::ApiEntry;
use crate::board::BoardEvent;
use crate::device::Device;
use crate::host::ctx;
use crate::script::{Arg, ListenerKind, ScriptState};

/// Sockets (TCP, UDP, listeners) one script may have open.
pub const MAX_SOCKETS: usize = 8;
/// What `onWritable` reports as free space.
pub const WRITE_WINDOW: usize = 1460;
/// Bytes (TCP) or packets (UDP, connections) kept unread.
const MAX_BUFFERED: usize = 16 * 1024;
const MAX_PACKETS: usize = 16;
/// Accepted connections a `Listener` keeps until the script reads them (more are closed).
pub const MAX_PENDING: usize = 8;

const CB: ListenerKind = ListenerKind::Other("TC53 callbacks");

fn count_sockets(s: &TcState) -> usize {
    s.instances
        .values()
        .filter(|i| {
            matches!(
                i.kind,
                Kind::Tcp {
                    socket: Some(_),
                    ..
                } | Kind::Udp { .. }
                    | Kind::Listener { .. }
            )
        })
        .count()
}

fn check_socket_limit(vm: &mut Vm, class: Class) -> Result<(), Value> {
    if with_tc(vm, |s| count_sockets(s))? >= MAX_SOCKETS {
        return Err(vm.range_error(&format!(
            "{}: a script may have at most {MAX_SOCKETS} sockets open",
            class.name()
        )));
    }
    Ok(())
}

fn socket_error(vm: &mut Vm, class: Class, e: impl core::fmt::Display) -> Value {
    io_error(vm, &format!("{}: {e}", class.name()))
}

/// The callbacks of an options object.
fn callbacks(
    vm: &mut Vm,
    o: Value,
    class: Class,
    names: &[(&str, Slot)],
) -> Result<Vec<(Slot, Value, ListenerKind)>, Value> {
    let mut v = Vec::new();
    for (name, slot) in names {
        if let Some(f) = opt_callback(vm, o, name, class)? {
            v.push((*slot, f, CB));
        }
    }
    Ok(v)
}

fn plain(class: Class, kind: Kind, format: &'static str) -> Instance {
    Instance {
        class,
        kind,
        format,
        on_readable: None,
        on_writable: None,
        on_error: None,
    }
}

/// `new TCP({address | host, port, from, onReadable, onWritable, onError, format})`.
fn tcp_construct(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let c = Class::Tcp;
    require_new(vm, c)?;
    let o = options(vm, args, c)?;
    let from = opt(vm, o, "from")?;
    let cbs = callbacks(
        vm,
        o,
        c,
        &[
            ("onReadable", Slot::Readable),
            ("onWritable", Slot::Writable),
            ("onError", Slot::Error),
        ],
    )?;
    let fv = opt(vm, o, "format")?;
    let format = match fv
        .is_string()
        .then(|| vm.string_bytes(fv).to_vec())
        .as_deref()
    {
        None if fv.is_undefined() => "buffer",
        Some(b"buffer") => "buffer",
        Some(b"number") => "number",
        _ => return Err(vm.type_error("TCP: format must be \"buffer\" or \"number\"")),
    };
    let (socket, rx, connected) = if !from.is_undefined() {
        // Adopt the connection of another TCP instance (from Listener.read()).
        let (fid, fi) = instance(vm, from, Class::Tcp, "from")
            .map_err(|_| vm.type_error("TCP: from must be an open TCP instance"))?;
        let Kind::Tcp {
            socket: Some(s),
            rx,
        } = fi.kind
        else {
            return Err(vm.type_error("TCP: from has no connection"));
        };
        // The old instance lets go of the socket without closing it.
        let mut old = plain(
            Class::Tcp,
            Kind::Tcp {
                socket: None,
                rx: VecDeque::new(),
            },
            "buffer",
        );
        old.on_readable = fi.on_readable;
        old.on_writable = fi.on_writable;
        old.on_error = fi.on_error;
        update(vm, fid, old)?;
        close_instance(vm, fid)?;
        (s, rx, true)
    } else {
        let port = opt_int(vm, o, "port", c, true, 1, 65535)?.unwrap_or(0) as u16;
        let mut a = opt(vm, o, "address")?;
        if a.is_undefined() {
            a = opt(vm, o, "host")?;
        }
        if !a.is_string() {
            return Err(vm.type_error("TCP: address (or host) must be a string"));
        }
        let host_name = String::from_utf8_lossy(vm.string_bytes(a)).into_owned();
        check_socket_limit(vm, c)?;
        let host = ctx(vm)?;
        let r = match host.device.borrow_mut().board.sockets() {
            Some(s) => s.tcp_connect(&host_name, port).map_err(|e| format!("{e}")),
            None => Err("TCP sockets are not available on this board".into()),
        };
        let s = r.map_err(|m| socket_error(vm, c, m))?;
        (s, VecDeque::new(), false)
    };
    let id = with_tc(vm, |s| s.new_id())?;
    let obj = new_instance(vm, c, id)?;
    let inst = plain(
        c,
        Kind::Tcp {
            socket: Some(socket),
            rx,
        },
        format,
    );
    if let Err(e) = register(vm, obj, id, inst, &cbs) {
        let host = ctx(vm)?;
        if let Some(s) = host.device.borrow_mut().board.sockets() {
            s.close(socket);
        }
        return Err(e);
    }
    if connected {
        let h = with_tc(vm, |s| s.instances.get(&id).and_then(|i| i.on_writable))?;
        super::queue_callback(vm, h, vec![Arg::Num(WRITE_WINDOW as f64)])?;
    }
    Ok(obj)
}

/// `tcp.read([count])`: an `ArrayBuffer` of up to count bytes (format buffer) or one byte
/// (format number); undefined when nothing is waiting.
fn tcp_read(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    super::read_stream(vm, this, args, Class::Tcp)
}

/// `tcp.write(buffer | byte)`: throws if the connection cannot take all of it.
fn tcp_write(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (_, i) = instance(vm, this, Class::Tcp, "write")?;
    let Kind::Tcp {
        socket: Some(socket),
        ..
    } = i.kind
    else {
        return Err(vm.type_error("TCP.prototype.write: not connected"));
    };
    let v = Vm::arg(args, 0);
    let bytes =
        if i.format == "number" {
            match crate::host::whole_in(v, 0.0, 255.0) {
                Some(n) => vec![n as u8],
                None => return Err(vm.type_error(
                    "TCP.prototype.write: with format \"number\" the value must be a byte (0..255)",
                )),
            }
        } else {
            buffer_arg(vm, v, "TCP.prototype.write")?
        };
    let host = ctx(vm)?;
    let r = host
        .device
        .borrow_mut()
        .board
        .sockets()
        .map(|s| s.send(socket, &bytes));
    match r {
        Some(Ok(n)) if n == bytes.len() => Ok(Value::UNDEFINED),
        Some(Ok(n)) => Err(io_error(
            vm,
            &format!("TCP.prototype.write: only {n} of {} bytes fit", bytes.len()),
        )),
        Some(Err(e)) => Err(io_error(vm, &format!("TCP.prototype.write: {e}"))),
        None => Err(io_error(vm, "TCP.prototype.write: no sockets")),
    }
}

/// `new UDP({port?, onReadable, onError})`.
fn udp_construct(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let c = Class::Udp;
    require_new(vm, c)?;
    let o = options(vm, args, c)?;
    let port = opt_int(vm, o, "port", c, false, 0, 65535)?.unwrap_or(0) as u16;
    let cbs = callbacks(
        vm,
        o,
        c,
        &[("onReadable", Slot::Readable), ("onError", Slot::Error)],
    )?;
    open_socket_instance(
        vm,
        c,
        &cbs,
        |s| s.udp_bind(port),
        "UDP sockets are not available on this board",
        |socket| Kind::Udp {
            socket,
            packets: VecDeque::new(),
        },
        "buffer",
    )
}

/// `udp.read()`: the oldest packet as an `ArrayBuffer` with `address` and `port`.
fn udp_read(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (id, mut i) = instance(vm, this, Class::Udp, "read")?;
    let Kind::Udp { packets, .. } = &mut i.kind else {
        return Ok(Value::UNDEFINED);
    };
    let Some((data, addr, port)) = packets.pop_front() else {
        return Ok(Value::UNDEFINED);
    };
    update(vm, id, i)?;
    let buf = vm.new_array_buffer(data)?;
    let mark = vm.push_root(buf);
    let a = vm.new_str(&addr)?;
    vm.push_root(a);
    let ak = vm.key("address");
    vm.set(buf, ak, a, true)?;
    let pk = vm.key("port");
    vm.set(buf, pk, Value::number(port as f64), true)?;
    vm.truncate_roots(mark);
    Ok(buf)
}

/// `udp.write(address, port, buffer)`.
fn udp_write(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (_, i) = instance(vm, this, Class::Udp, "write")?;
    let Kind::Udp { socket, .. } = i.kind else {
        return Ok(Value::UNDEFINED);
    };
    let a = Vm::arg(args, 0);
    let port = crate::host::whole_in(Vm::arg(args, 1), 1.0, 65535.0);
    let (true, Some(port)) = (a.is_string(), port) else {
        return Err(
            vm.type_error("UDP.prototype.write: expected (address: string, port: 1..65535, data)")
        );
    };
    let addr = String::from_utf8_lossy(vm.string_bytes(a)).into_owned();
    let bytes = buffer_arg(vm, Vm::arg(args, 2), "UDP.prototype.write")?;
    let host = ctx(vm)?;
    let r = host
        .device
        .borrow_mut()
        .board
        .sockets()
        .map(|s| s.send_to(socket, &addr, port as u16, &bytes));
    match r {
        Some(Ok(())) => Ok(Value::UNDEFINED),
        Some(Err(e)) => Err(io_error(vm, &format!("UDP.prototype.write: {e}"))),
        None => Err(io_error(vm, "UDP.prototype.write: no sockets")),
    }
}

/// `new Listener({port, onReadable, onError})`.
fn listener_construct(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let c = Class::Listener;
    require_new(vm, c)?;
    let o = options(vm, args, c)?;
    let port = opt_int(vm, o, "port", c, false, 0, 65535)?.unwrap_or(80) as u16;
    let cbs = callbacks(
        vm,
        o,
        c,
        &[("onReadable", Slot::Readable), ("onError", Slot::Error)],
    )?;
    open_socket_instance(
        vm,
        c,
        &cbs,
        |s| s.tcp_listen(port),
        "TCP listeners are not available on this board",
        |socket| Kind::Listener {
            socket,
            pending: VecDeque::new(),
        },
        "socket/tcp",
    )
}

/// Open a board socket with `open` (within the socket limit), make the instance of class `c`
/// around it and register its callbacks; the socket is closed again if that fails.
fn open_socket_instance(
    vm: &mut Vm,
    c: Class,
    cbs: &[(Slot, Value, ListenerKind)],
    open: impl FnOnce(&mut dyn crate::board::Sockets) -> crate::board::BoardResult<u32>,
    unavailable: &str,
    kind: impl FnOnce(u32) -> Kind,
    format: &'static str,
) -> Result<Value, Value> {
    check_socket_limit(vm, c)?;
    let host = ctx(vm)?;
    let r = match host.device.borrow_mut().board.sockets() {
        Some(s) => open(s).map_err(|e| format!("{e}")),
        None => Err(String::from(unavailable)),
    };
    let socket = r.map_err(|m| socket_error(vm, c, m))?;
    let id = with_tc(vm, |s| s.new_id())?;
    let obj = new_instance(vm, c, id)?;
    if let Err(e) = register(vm, obj, id, plain(c, kind(socket), format), cbs) {
        if let Some(s) = host.device.borrow_mut().board.sockets() {
            s.close(socket);
        }
        return Err(e);
    }
    Ok(obj)
}

/// `listener.read()`: the oldest accepted connection as a `TCP` (no callbacks), or undefined.
fn listener_read(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let (id, mut i) = instance(vm, this, Class::Listener, "read")?;
    let Kind::Listener { pending, .. } = &mut i.kind else {
        return Ok(Value::UNDEFINED);
    };
    let Some(socket) = pending.pop_front() else {
        return Ok(Value::UNDEFINED);
    };
    update(vm, id, i)?;
    let tid = with_tc(vm, |s| s.new_id())?;
    let proto = with_tc(vm, |s| s.protos.get(&Class::Tcp).copied())?;
    let proto = proto.and_then(|p| vm.pinned(p).as_object());
    let obj = vm.new_host_object(proto, Class::Tcp.tag(), tid)?;
    let inst = plain(
        Class::Tcp,
        Kind::Tcp {
            socket: Some(socket),
            rx: VecDeque::new(),
        },
        "buffer",
    );
    register(vm, obj, tid, inst, &[])?;
    Ok(obj)
}

/// Socket events: to the instance that owns the socket.
pub(super) fn route(
    device: &Rc<RefCell<Device>>,
    scripts: &[Rc<RefCell<ScriptState>>],
    ev: &BoardEvent,
    limit: usize,
) -> bool {
    let sock = match ev {
        BoardEvent::SocketConnected { socket }
        | BoardEvent::SocketData { socket, .. }
        | BoardEvent::SocketWritable { socket }
        | BoardEvent::SocketClosed { socket, .. } => *socket,
        BoardEvent::SocketAccepted { listener, .. } => *listener,
        _ => return false,
    };
    for s in scripts {
        let mut st = s.borrow_mut();
        let Some(tc) = st.extensions.get::<TcState>(EXT) else {
            continue;
        };
        let Some(inst) = tc.instances.values_mut().find(|i| match &i.kind {
            Kind::Tcp {
                socket: Some(x), ..
            }
            | Kind::Udp { socket: x, .. }
            | Kind::Listener { socket: x, .. } => *x == sock,
            _ => false,
        }) else {
            continue;
        };
        let mut reject = None;
        let (h, args) = match (ev, &mut inst.kind) {
            (
                BoardEvent::SocketConnected { .. } | BoardEvent::SocketWritable { .. },
                Kind::Tcp { .. },
            ) => (inst.on_writable, vec![Arg::Num(WRITE_WINDOW as f64)]),
            (BoardEvent::SocketData { data, .. }, Kind::Tcp { rx, .. }) => {
                rx.extend(data.iter().copied());
                while rx.len() > MAX_BUFFERED {
                    rx.pop_front();
                }
                (inst.on_readable, vec![Arg::Num(rx.len() as f64)])
            }
            (BoardEvent::SocketData { data, from, .. }, Kind::Udp { packets, .. }) => {
                let (a, p) = from.clone().unwrap_or_default();
                packets.push_back((data.clone(), a, p));
                while packets.len() > MAX_PACKETS {
                    packets.pop_front();
                }
                (inst.on_readable, vec![Arg::Num(packets.len() as f64)])
            }
            (BoardEvent::SocketClosed { error, .. }, Kind::Tcp { socket, .. }) => {
                *socket = None;
                let msg = error.clone().unwrap_or_else(|| "disconnected".into());
                (inst.on_error, vec![Arg::Str(msg.into_bytes())])
            }
            // A UDP socket or a listener the board gave up (the network, a port found taken
            // after all): the instance is no longer usable.
            (BoardEvent::SocketClosed { error, .. }, Kind::Udp { .. } | Kind::Listener { .. }) => {
                let msg = error.clone().unwrap_or_else(|| "closed".into());
                (inst.on_error, vec![Arg::Str(msg.into_bytes())])
            }
            (BoardEvent::SocketAccepted { socket, .. }, Kind::Listener { pending, .. }) => {
                if pending.len() >= MAX_PENDING {
                    // The script does not take them: a peer must not pile up open sockets.
                    reject = Some(*socket);
                    (None, Vec::new())
                } else {
                    pending.push_back(*socket);
                    (inst.on_readable, vec![Arg::Num(pending.len() as f64)])
                }
            }
            _ => (None, Vec::new()),
        };
        call(&mut st, h, args, limit);
        drop(st);
        if let Some(socket) = reject {
            if let Some(so) = device.borrow_mut().board.sockets() {
                so.close(socket);
            }
        }
        return true;
    }
    // A connection accepted for a listener that is gone (closed, or its script stopped, while
    // the event waited): nobody would ever read or close it.
    if let BoardEvent::SocketAccepted { socket, .. } = ev {
        if let Some(so) = device.borrow_mut().board.sockets() {
            so.close(*socket);
        }
        return true;
    }
    false
}

pub fn install(vm: &mut Vm) {
    super::define(
        vm,
        Class::Tcp,
        tcp_construct,
        &[("read", 1, tcp_read), ("write", 1, tcp_write)],
        &[],
    );
    super::define(
        vm,
        Class::Udp,
        udp_construct,
        &[("read", 0, udp_read), ("write", 3, udp_write)],
        &[],
    );
    super::define(
        vm,
        Class::Listener,
        listener_construct,
        &[("read", 0, listener_read)],
        &[],
    );
}

pub const DESCRIPTION: &[ApiEntry] = &[
    entry("TCP", "new (options: { address?: string, host?: string, port?: number, from?: TCP, format?: \"buffer\" | \"number\", onReadable?: (this: TCP, count: number) => void, onWritable?: (this: TCP, count: number) => void, onError?: (this: TCP, error: string) => void }) => TCP", "A TCP connection (`embedded:io/socket/tcp`); `from` adopts a connection from Listener.read()."),
    entry("TCP.prototype.read", "(count?: number) => ArrayBuffer | number | undefined", "Received bytes (format buffer) or one byte (format number); undefined if none."),
    entry("TCP.prototype.write", "(data: ArrayBuffer | ArrayBufferView | number) => void", "Send; throws if the connection cannot take all of it."),
    entry("UDP", "new (options: { port?: number, onReadable?: (this: UDP, packets: number) => void, onError?: (this: UDP, error: string) => void }) => UDP", "A UDP socket (`embedded:io/socket/udp`); `onError` when the board gives it up."),
    entry("UDP.prototype.read", "() => (ArrayBuffer & { address: string, port: number }) | undefined", "The oldest received packet with its sender."),
    entry("UDP.prototype.write", "(address: string, port: number, data: ArrayBuffer | ArrayBufferView) => void", "Send a packet (also to a broadcast address: 255.255.255.255 or the subnet's)."),
    entry("Listener", "new (options: { port?: number, onReadable?: (this: Listener, count: number) => void, onError?: (this: Listener, error: string) => void }) => Listener", "A TCP listener (`embedded:io/socket/listener`), port 80 unless given; `onError` when the board gives it up."),
    entry("Listener.prototype.read", "() => TCP | undefined", "The oldest accepted connection, as a TCP without callbacks."),
];
