//! The Ecma TC53 IO classes (the IO Class Pattern as Moddable's ESP8266 implementation
//! describes it): `Digital`, `DigitalBank`, `Analog`, `PWM`, `I2C`, `Serial`, `TCP`, `UDP`,
//! `Listener`, and the MCP23017 `Expander` provider, as globals and through
//! `require("embedded:io/…")`.
//!
//! Each instance is a host object (one tag per class) whose id keys an [`Instance`] in the
//! script's [`TcState`] (in [`crate::script::Extensions`]). Callbacks (`onReadable`,
//! `onWritable`, `onError`) are listeners whose `this` is the instance; `close()` removes them
//! and releases the hardware, and so does the end of the script (see [`TcState`]'s `Drop`).

mod analog;
mod digital;
mod expander;
mod i2c;
mod net;
mod serial;

use alloc::collections::VecDeque;

use alloc::format;
use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use ferrite_collections::SortedMap;

use ferrite_engine::object::Key;
use ferrite_engine::vm::ErrorKind;
use ferrite_engine::{NativeFn, Value, Vm};

use crate::api::description::ApiEntry;
use crate::board::BoardEvent;
use crate::device::Device;
use crate::host::ctx;
use crate::script::{Arg, ListenerKind, ScriptState, NO_PIN};

pub(crate) use i2c::construct as i2c_construct;

/// The name of TC53's entry in [`crate::script::Extensions`].
const EXT: &str = "tc53";

/// Callbacks (other than digital edges) one script may have.
pub const MAX_CALLBACKS: usize = 32;

/// The IO classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Digital = 1,
    DigitalBank,
    Analog,
    Pwm,
    I2c,
    Serial,
    Tcp,
    Udp,
    Listener,
    Expander,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Digital => "Digital",
            Class::DigitalBank => "DigitalBank",
            Class::Analog => "Analog",
            Class::Pwm => "PWM",
            Class::I2c => "I2C",
            Class::Serial => "Serial",
            Class::Tcp => "TCP",
            Class::Udp => "UDP",
            Class::Listener => "Listener",
            Class::Expander => "Expander",
        }
    }
    /// The host-object tag of instances.
    pub fn tag(self) -> u32 {
        0x5443_0000 + self as u32
    }
}

/// A pin on an MCP23017 expander: its I2C bus and address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpanderRef {
    /// The `Expander` instance (its pins stop working when it is closed).
    pub owner: u32,
    pub bus: u32,
    pub addr: u8,
}

/// What an instance holds.
#[derive(Clone, Debug)]
pub enum Kind {
    /// `pin` is a board GPIO, or an expander pin (0..16) with `expander` set; `vpin` is the
    /// GPIO number its edges arrive under.
    Digital {
        pin: u32,
        vpin: u32,
        output: bool,
        edge: u8,
        expander: Option<ExpanderRef>,
    },
    /// `pins` relative to `base` (the GPIO number of bit 0).
    Bank {
        pins: u32,
        base: u32,
        output: bool,
        rises: u32,
        falls: u32,
        expander: Option<ExpanderRef>,
    },
    Analog {
        pin: u32,
        bits: u8,
        board_bits: u8,
    },
    Pwm {
        pin: u32,
        hz: u32,
        bits: u8,
        board_bits: u8,
    },
    I2c {
        bus: u32,
        addr: u8,
        /// Bytes written with `stop: false`, sent with the next operation.
        pending: Vec<u8>,
        /// The asynchronous form (with `onReadable`): results of `read(count)` not yet taken
        /// by `read()`, oldest first.
        results: Option<VecDeque<Vec<u8>>>,
    },
    Serial {
        port: u32,
        rx: VecDeque<u8>,
        /// Written to since `onWritable` last ran: the board's next `UartWritable` runs it.
        wrote: bool,
    },
    Tcp {
        socket: Option<u32>,
        rx: VecDeque<u8>,
    },
    Udp {
        socket: u32,
        packets: VecDeque<(Vec<u8>, String, u16)>,
    },
    Listener {
        socket: u32,
        pending: VecDeque<u32>,
    },
    Expander {
        bus: u32,
        addr: u8,
    },
}

/// One live instance.
#[derive(Clone, Debug)]
pub struct Instance {
    pub class: Class,
    pub kind: Kind,
    /// The `format` property.
    pub format: &'static str,
    /// Listener handles of the callbacks.
    pub on_readable: Option<u32>,
    pub on_writable: Option<u32>,
    pub on_error: Option<u32>,
}

/// What TC53 keeps per script.
#[derive(Default)]
pub struct TcState {
    pub instances: SortedMap<u32, Instance>,
    ids: crate::host::IdGen,
    /// Pinned prototypes and constructors by class.
    protos: SortedMap<Class, u32>,
    ctors: SortedMap<Class, u32>,
    /// The global `I2C` (Smart.js's, which takes TC53 options too), for `require`.
    i2c_ctor: Option<u32>,
    /// For releasing the hardware when the script ends.
    device: Option<Weak<RefCell<Device>>>,
}

impl TcState {
    pub(crate) fn new_id(&mut self) -> u32 {
        self.ids.next_id()
    }
}

/// Release what instances hold on the board (sockets, PWM outputs).
fn release_hardware(d: &mut Device, kind: &Kind) {
    match kind {
        Kind::Pwm { pin, .. } => {
            if let Some(p) = d.board.pwm() {
                let _ = p.stop(*pin);
            }
        }
        Kind::Tcp {
            socket: Some(s), ..
        }
        | Kind::Udp { socket: s, .. } => {
            if let Some(so) = d.board.sockets() {
                so.close(*s);
            }
        }
        Kind::Listener { socket, pending } => {
            if let Some(so) = d.board.sockets() {
                so.close(*socket);
                for s in pending {
                    so.close(*s);
                }
            }
        }
        _ => {}
    }
}

impl Drop for TcState {
    fn drop(&mut self) {
        let Some(dev) = self.device.as_ref().and_then(|w| w.upgrade()) else {
            return;
        };
        let Ok(mut d) = dev.try_borrow_mut() else {
            return;
        };
        for inst in self.instances.values() {
            release_hardware(&mut d, &inst.kind);
        }
    }
}

/// Run `f` on the calling script's TC53 state (no JavaScript may run inside `f`).
pub(crate) fn with_tc<R>(vm: &mut Vm, f: impl FnOnce(&mut TcState) -> R) -> Result<R, Value> {
    crate::host::with_ext(vm, EXT, f)
}

// ----- option objects -----

/// The options object of a constructor (argument 0).
pub(crate) fn options(vm: &mut Vm, args: &[Value], class: Class) -> Result<Value, Value> {
    let o = Vm::arg(args, 0);
    if !o.is_object() {
        return Err(vm.type_error(&format!(
            "{}: the argument must be an options object",
            class.name()
        )));
    }
    Ok(o)
}

pub(crate) fn opt(vm: &mut Vm, o: Value, name: &str) -> Result<Value, Value> {
    let k: Key = vm.key(name);
    vm.get(o, k)
}

/// Integer option `name` in `min..=max` (`None` if absent and not `required`).
pub(crate) fn opt_int(
    vm: &mut Vm,
    o: Value,
    name: &str,
    class: Class,
    required: bool,
    min: i64,
    max: i64,
) -> Result<Option<i64>, Value> {
    let v = opt(vm, o, name)?;
    if v.is_undefined() {
        if required {
            return Err(vm.type_error(&format!(
                "{}: the {name} property is required",
                class.name()
            )));
        }
        return Ok(None);
    }
    match crate::host::whole_in(v, min as f64, max as f64) {
        Some(n) => Ok(Some(n as i64)),
        None => Err(vm.type_error(&format!(
            "{}: {name} must be an integer from {min} to {max}",
            class.name()
        ))),
    }
}

/// Callback option `name`: a function or absent.
pub(crate) fn opt_callback(
    vm: &mut Vm,
    o: Value,
    name: &str,
    class: Class,
) -> Result<Option<Value>, Value> {
    let v = opt(vm, o, name)?;
    if v.is_nullish() {
        return Ok(None);
    }
    if !vm.is_callable(v) {
        return Err(vm.type_error(&format!("{}: {name} must be a function", class.name())));
    }
    Ok(Some(v))
}

/// An error (not a type error) about the hardware.
pub(crate) fn io_error(vm: &mut Vm, msg: &str) -> Value {
    crate::host::board_error(vm, msg)
}

// ----- instances -----

/// The object a constructor of `class` returns (a host object with id `id`).
pub(crate) fn new_instance(vm: &mut Vm, class: Class, id: u32) -> Result<Value, Value> {
    let nt = vm.new_target();
    let fallback = with_tc(vm, |s| s.protos.get(&class).copied())?;
    let fallback = fallback.and_then(|p| vm.pinned(p).as_object());
    // `new I2C({...})` comes through Smart.js's I2C, whose prototype is not TC53's.
    let proto = if class == Class::I2c || nt.is_undefined() {
        fallback
    } else {
        vm.proto_from_new_target(nt, fallback)?
    };
    vm.new_host_object(proto, class.tag(), id)
}

/// `new.target` must be set.
pub(crate) fn require_new(vm: &mut Vm, class: Class) -> Result<(), Value> {
    if vm.new_target().is_undefined() {
        return Err(vm.type_error(&format!("Constructor {} requires 'new'", class.name())));
    }
    Ok(())
}

/// Which callback slot of an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Readable,
    Writable,
    Error,
}

/// Register instance `id` (object `obj`) with callbacks; on failure nothing is kept and the
/// error is returned (the caller releases the hardware).
pub(crate) fn register(
    vm: &mut Vm,
    obj: Value,
    id: u32,
    mut inst: Instance,
    callbacks: &[(Slot, Value, ListenerKind)],
) -> Result<(), Value> {
    let host = ctx(vm)?;
    let mark = vm.push_root(obj);
    let mut handles = Vec::new();
    let mut failure = None;
    for (slot, f, kind) in callbacks {
        let fp = vm.pin(*f);
        let tp = vm.pin(obj);
        let limit = if matches!(kind, ListenerKind::GpioEdge { .. }) {
            usize::MAX
        } else {
            MAX_CALLBACKS
        };
        let r = host
            .state
            .borrow_mut()
            .add_listener(kind.clone(), fp, NO_PIN, tp, limit);
        match r {
            Ok(h) => {
                handles.push(h);
                match slot {
                    Slot::Readable => inst.on_readable = Some(h),
                    Slot::Writable => inst.on_writable = Some(h),
                    Slot::Error => inst.on_error = Some(h),
                }
            }
            Err(m) => {
                vm.unpin(fp);
                vm.unpin(tp);
                failure = Some(m);
                break;
            }
        }
    }
    vm.truncate_roots(mark);
    if let Some(m) = failure {
        let mut st = host.state.borrow_mut();
        for h in handles {
            st.remove_listener(h, |_| true);
        }
        drop(st);
        return Err(vm.range_error(&format!("{}: {m}", inst.class.name())));
    }
    with_tc(vm, |s| {
        s.instances.insert(id, inst);
    })
}

/// The id of the instance `this` is (of `class`), closed or not.
fn instance_id(vm: &mut Vm, this: Value, class: Class, method: &str) -> Result<u32, Value> {
    match vm.host_object(this) {
        Some((t, id)) if t == class.tag() => Ok(id),
        _ => Err(vm.type_error(&format!(
            "{}.prototype.{method} called on an object that is not a {}",
            class.name(),
            class.name()
        ))),
    }
}

/// The instance `this` is (of `class`), cloned.
pub(crate) fn instance(
    vm: &mut Vm,
    this: Value,
    class: Class,
    method: &str,
) -> Result<(u32, Instance), Value> {
    let id = instance_id(vm, this, class, method)?;
    match with_tc(vm, |s| s.instances.get(&id).cloned())? {
        Some(i) => Ok((id, i)),
        None => Err(vm.type_error(&format!(
            "{}.prototype.{method}: the instance is closed",
            class.name()
        ))),
    }
}

/// `read([count])` of a byte stream (`Serial`, `TCP`): a byte (format "number") or an
/// `ArrayBuffer` of up to `count` bytes (all waiting without one); undefined when nothing is
/// waiting. The bytes are taken from the instance in place (no copy of the receive buffer).
pub(crate) fn read_stream(
    vm: &mut Vm,
    this: Value,
    args: &[Value],
    class: Class,
) -> Result<Value, Value> {
    let id = instance_id(vm, this, class, "read")?;
    let count = match Vm::arg(args, 0) {
        v if v.is_undefined() => None,
        v => match crate::host::whole_in(v, 0.0, f64::MAX) {
            Some(n) => Some(n as usize),
            None => {
                return Err(vm.type_error(&format!(
                    "{}.prototype.read: count must be a non-negative integer",
                    class.name()
                )))
            }
        },
    };
    let got = with_tc(vm, |s| {
        s.instances.get_mut(&id).map(|i| {
            let number = i.format == "number";
            let (Kind::Serial { rx, .. } | Kind::Tcp { rx, .. }) = &mut i.kind else {
                return None;
            };
            if rx.is_empty() {
                return None;
            }
            if number {
                return rx.pop_front().map(|b| Err(b as f64));
            }
            let n = count.unwrap_or(rx.len()).min(rx.len());
            Some(Ok(rx.drain(..n).collect::<Vec<u8>>()))
        })
    })?;
    let Some(got) = got else {
        return Err(vm.type_error(&format!(
            "{}.prototype.read: the instance is closed",
            class.name()
        )));
    };
    match got {
        None => Ok(Value::UNDEFINED),
        Some(Err(byte)) => Ok(Value::number(byte)),
        Some(Ok(bytes)) => vm.new_array_buffer(bytes),
    }
}

/// Store a changed instance back.
pub(crate) fn update(vm: &mut Vm, id: u32, inst: Instance) -> Result<(), Value> {
    with_tc(vm, |s| {
        if let Some(i) = s.instances.get_mut(&id) {
            *i = inst;
        }
    })
}

/// Remove instance `id`: its listeners and hardware go.
pub(crate) fn close_instance(vm: &mut Vm, id: u32) -> Result<(), Value> {
    let host = ctx(vm)?;
    let inst = with_tc(vm, |s| s.instances.remove(&id))?;
    let Some(inst) = inst else {
        return Ok(());
    };
    let mut edge_pins = Vec::new();
    {
        let mut st = host.state.borrow_mut();
        for h in [inst.on_readable, inst.on_writable, inst.on_error]
            .into_iter()
            .flatten()
        {
            if let Some(ListenerKind::GpioEdge { pin }) = st
                .listeners
                .iter()
                .find(|l| l.handle == h)
                .map(|l| l.kind.clone())
            {
                edge_pins.push(pin);
            }
            st.remove_listener(h, |_| true);
        }
    }
    release_hardware(&mut host.device.borrow_mut(), &inst.kind);
    // Pins nobody listens to any more stop raising edges on the board.
    crate::api::smartjs::release_interrupts(&host.device, &edge_pins, None);
    Ok(())
}

/// `close()` of every class.
fn close(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let id = match vm.host_object(this) {
        Some((t, id)) if (Class::Digital.tag()..=Class::Expander.tag()).contains(&t) => id,
        _ => return Err(vm.type_error("close called on an object that is not an IO instance")),
    };
    close_instance(vm, id)?;
    Ok(Value::UNDEFINED)
}

/// Formats each class accepts (the first is the default).
fn formats(class: Class) -> &'static [&'static str] {
    match class {
        Class::Serial => &["number", "buffer"],
        Class::Tcp => &["buffer", "number"],
        Class::I2c | Class::Udp => &["buffer"],
        Class::Listener => &["socket/tcp"],
        Class::Expander => &["number"],
        _ => &["number"],
    }
}

fn this_instance_any(vm: &mut Vm, this: Value) -> Result<(u32, Instance), Value> {
    let id = match vm.host_object(this) {
        Some((t, id)) if (Class::Digital.tag()..=Class::Expander.tag()).contains(&t) => id,
        _ => return Err(vm.type_error("format used on an object that is not an IO instance")),
    };
    match with_tc(vm, |s| s.instances.get(&id).cloned())? {
        Some(i) => Ok((id, i)),
        None => Err(vm.type_error("format: the instance is closed")),
    }
}

/// The class whose prototype `v` is (accessors read on a prototype give the class default).
pub(crate) fn class_of_proto(vm: &mut Vm, v: Value) -> Result<Option<Class>, Value> {
    let protos: Vec<(Class, u32)> =
        with_tc(vm, |s| s.protos.iter().map(|(c, p)| (*c, *p)).collect())?;
    Ok(protos
        .into_iter()
        .find(|(_, p)| vm.pinned(*p) == v)
        .map(|(c, _)| c))
}

/// `format`: the instance's format (on a prototype, the class's default).
fn get_format(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    if vm.host_object(this).is_none() {
        if let Some(c) = class_of_proto(vm, this)? {
            return vm.new_str(formats(c)[0]);
        }
    }
    let (_, i) = this_instance_any(vm, this)?;
    vm.new_str(i.format)
}

fn set_format(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let (id, mut i) = this_instance_any(vm, this)?;
    let v = Vm::arg(args, 0);
    let want = if v.is_string() {
        String::from_utf8_lossy(vm.string_bytes(v)).into_owned()
    } else {
        String::new()
    };
    let Some(f) = formats(i.class).iter().find(|f| **f == want) else {
        let allowed: Vec<String> = formats(i.class)
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect();
        return Err(vm.type_error(&format!(
            "{}: format must be {}",
            i.class.name(),
            allowed.join(" or ")
        )));
    };
    i.format = f;
    update(vm, id, i)?;
    Ok(Value::UNDEFINED)
}

/// Bytes of an `ArrayBuffer`/typed array/`DataView` argument.
pub(crate) fn buffer_arg(vm: &mut Vm, v: Value, what: &str) -> Result<Vec<u8>, Value> {
    match vm.buffer_bytes(v) {
        Some(b) => Ok(b),
        None => Err(vm.type_error(&format!(
            "{what}: data must be an ArrayBuffer or a typed array"
        ))),
    }
}

/// Queue a call of listener `handle` of the calling script (from a native).
pub(crate) fn queue_callback(
    vm: &mut Vm,
    handle: Option<u32>,
    args: Vec<Arg>,
) -> Result<(), Value> {
    let Some(h) = handle else { return Ok(()) };
    let host = ctx(vm)?;
    let limit = host.device.borrow().limits.job_queue;
    let mut st = host.state.borrow_mut();
    if let Some(l) = st.listeners.iter().find(|l| l.handle == h).cloned() {
        st.call_listener(&l, args, limit, false);
    }
    Ok(())
}

/// Queue a call of listener `handle` in script state `st` (from the event loop).
pub(crate) fn call(st: &mut ScriptState, handle: Option<u32>, args: Vec<Arg>, limit: usize) {
    let Some(h) = handle else { return };
    if let Some(l) = st.listeners.iter().find(|l| l.handle == h).cloned() {
        st.call_listener(&l, args, limit, false);
    }
}

// ----- classes -----

/// Define class `class` with `methods` (plus `close` and `format`) and `constants`; pin its
/// prototype and constructor for `new_instance` and `require`.
pub(crate) fn define(
    vm: &mut Vm,
    class: Class,
    ctor: NativeFn,
    methods: &[(&str, u32, NativeFn)],
    constants: &[(&str, f64)],
) -> Option<(ferrite_engine::heap::Handle, ferrite_engine::heap::Handle)> {
    let op = vm.intr.object_prototype;
    let (c, p) = vm.define_class(class.name(), 1, ctor, None, op);
    for (name, arity, f) in methods {
        vm.define_method(p, name, *arity, *f);
    }
    vm.define_method(p, "close", 0, close);
    let fk = vm.key("format");
    vm.define_accessor(p, fk, "format", Some(get_format), Some(set_format));
    for (name, v) in constants {
        let k = vm.key(name);
        vm.define_value(c, k, Value::number(*v), ferrite_engine::object::ENUMERABLE);
    }
    let pp = vm.pin(Value::object(p));
    let cp = vm.pin(Value::object(c));
    if with_tc(vm, |s| {
        s.protos.insert(class, pp);
        s.ctors.insert(class, cp);
    })
    .is_err()
    {
        vm.unpin(pp);
        vm.unpin(cp);
    }
    Some((c, p))
}

/// Module ids of `require` and the classes they name.
const MODULES: &[(&str, Option<Class>)] = &[
    ("embedded:io/digital", Some(Class::Digital)),
    ("embedded:io/digitalbank", Some(Class::DigitalBank)),
    ("embedded:io/analog", Some(Class::Analog)),
    ("embedded:io/pwm", Some(Class::Pwm)),
    ("embedded:io/i2c", None),
    ("embedded:io/serial", Some(Class::Serial)),
    ("embedded:io/socket/tcp", Some(Class::Tcp)),
    ("embedded:io/socket/udp", Some(Class::Udp)),
    ("embedded:io/socket/listener", Some(Class::Listener)),
    ("embedded:provider/mcp23017", Some(Class::Expander)),
];

/// `require(id)`: the IO class of a module id (`embedded:io/digital`, …).
fn require(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let v = Vm::arg(args, 0);
    if !v.is_string() {
        return Err(vm.type_error("require: the module id must be a string"));
    }
    let id = String::from_utf8_lossy(vm.string_bytes(v)).into_owned();
    let Some((_, class)) = MODULES.iter().find(|(m, _)| *m == id) else {
        let known: Vec<&str> = MODULES.iter().map(|(m, _)| *m).collect();
        return Err(vm.make_error(
            ErrorKind::Error,
            &format!("Cannot find module '{id}' (known: {})", known.join(", ")),
        ));
    };
    let pin = with_tc(vm, |s| match class {
        Some(c) => s.ctors.get(c).copied(),
        None => s.i2c_ctor,
    })?;
    match pin {
        Some(p) => Ok(vm.pinned(p)),
        None => Err(vm.type_error(&format!("require: module '{id}' is not installed"))),
    }
}

pub fn install(vm: &mut Vm) {
    let Ok(host) = ctx(vm) else { return };
    let _ = with_tc(vm, |s| s.device = Some(Rc::downgrade(&host.device)));
    digital::install(vm);
    analog::install(vm);
    i2c::install(vm);
    serial::install(vm);
    net::install(vm);
    expander::install(vm);
    // The global I2C (defined by Smart.js) takes TC53 options too.
    let g = vm.global_object();
    let k = vm.key("I2C");
    if let Ok(c) = vm.get(g, k) {
        if c.is_object() {
            let p = vm.pin(c);
            let _ = with_tc(vm, |s| s.i2c_ctor = Some(p));
        }
    }
    vm.define_native_path("require", 1, require);
}

/// Board events this family handles (return true if consumed).
pub fn route_board_event(
    _device: &Rc<RefCell<Device>>,
    scripts: &[Rc<RefCell<ScriptState>>],
    event: &BoardEvent,
    queue_limit: usize,
) -> bool {
    match event {
        BoardEvent::GpioEdge { pin, level } => {
            digital::route_edge(scripts, *pin, *level, queue_limit);
            true
        }
        BoardEvent::UartData { port } => serial::route_data(_device, scripts, *port, queue_limit),
        BoardEvent::UartWritable { port } => serial::route_writable(scripts, *port, queue_limit),
        BoardEvent::SocketConnected { .. }
        | BoardEvent::SocketAccepted { .. }
        | BoardEvent::SocketData { .. }
        | BoardEvent::SocketWritable { .. }
        | BoardEvent::SocketClosed { .. } => net::route(_device, scripts, event, queue_limit),
        _ => false,
    }
}

/// An [`ApiEntry`] of this family.
pub(crate) const fn entry(
    path: &'static str,
    signature: &'static str,
    doc: &'static str,
) -> ApiEntry {
    ApiEntry {
        path,
        signature,
        doc,
        family: "tc53",
    }
}

/// What every class has.
const CLOSE_DOC: &str = "Release the instance's hardware; no callback runs afterwards.";
const FORMAT_DOC: &str =
    "The data format of read and write (setting another value is a TypeError).";

const COMMON: &[ApiEntry] = &[
    entry("require", "(id: \"embedded:io/digital\" | \"embedded:io/digitalbank\" | \"embedded:io/analog\" | \"embedded:io/pwm\" | \"embedded:io/i2c\" | \"embedded:io/serial\" | \"embedded:io/socket/tcp\" | \"embedded:io/socket/udp\" | \"embedded:io/socket/listener\" | \"embedded:provider/mcp23017\") => Function", "The IO class of a TC53 module id; throws for unknown ids."),
    entry("Digital.prototype.close", "() => void", CLOSE_DOC),
    entry("Digital.prototype.format", "\"number\"", FORMAT_DOC),
    entry("DigitalBank.prototype.close", "() => void", CLOSE_DOC),
    entry("DigitalBank.prototype.format", "\"number\"", FORMAT_DOC),
    entry("Analog.prototype.close", "() => void", CLOSE_DOC),
    entry("Analog.prototype.format", "\"number\"", FORMAT_DOC),
    entry("PWM.prototype.close", "() => void", CLOSE_DOC),
    entry("PWM.prototype.format", "\"number\"", FORMAT_DOC),
    entry("TC53I2C.prototype.close", "() => void", CLOSE_DOC),
    entry("TC53I2C.prototype.format", "\"buffer\"", FORMAT_DOC),
    entry("Serial.prototype.close", "() => void", CLOSE_DOC),
    entry("Serial.prototype.format", "\"number\" | \"buffer\"", FORMAT_DOC),
    entry("TCP.prototype.close", "() => void", CLOSE_DOC),
    entry("TCP.prototype.format", "\"buffer\" | \"number\"", FORMAT_DOC),
    entry("UDP.prototype.close", "() => void", CLOSE_DOC),
    entry("UDP.prototype.format", "\"buffer\"", FORMAT_DOC),
    entry("Listener.prototype.close", "() => void", CLOSE_DOC),
    entry("Listener.prototype.format", "\"socket/tcp\"", FORMAT_DOC),
    entry("Expander.prototype.close", "() => void", CLOSE_DOC),
    entry("Expander.prototype.format", "\"number\"", FORMAT_DOC),
];

/// Every TC53 member this runtime implements, for the API description.
pub fn describe() -> Vec<ApiEntry> {
    let mut v = Vec::new();
    v.extend_from_slice(COMMON);
    v.extend_from_slice(digital::DESCRIPTION);
    v.extend_from_slice(analog::DESCRIPTION);
    v.extend_from_slice(i2c::DESCRIPTION);
    v.extend_from_slice(serial::DESCRIPTION);
    v.extend_from_slice(net::DESCRIPTION);
    v.extend_from_slice(expander::DESCRIPTION);
    v
}

/// The TC53 IO family's place in the runtime.
pub struct Family;

impl super::ApiFamily for Family {
    fn install(&self, vm: &mut Vm) {
        install(vm)
    }
    fn route_board_event(
        &self,
        device: &Rc<RefCell<Device>>,
        scripts: &[Rc<RefCell<ScriptState>>],
        event: &BoardEvent,
        queue_limit: usize,
    ) -> bool {
        route_board_event(device, scripts, event, queue_limit)
    }
}

#[cfg(test)]
mod tests;
