//! The Smart.js API (Cesanta's Smart.js for the ESP8266): `GPIO`, `I2C`, `SPI`, `File`, `Http`,
//! `Wifi`, `OS.wdt_feed`, `usleep`, `GC.stat`, `Debug`. Byte data are strings (strings are byte
//! arrays in this engine, as in Smart.js). `setTimeout` lives in [`super::timer`].
//!
//! Per-script state (interrupt handlers, I2C transactions, open files, HTTP requests) is a
//! [`SmartState`] in the script's [`crate::script::Extensions`]; objects scripts hold (`I2C`,
//! `SPI`, files) are host objects whose id keys that state.

mod file;
mod gpio;
mod http;
pub(crate) mod i2c;
mod spi;
mod sys;
#[cfg(test)]
mod tests;

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use ferrite_collections::SortedMap;

use ferrite_engine::{Value, Vm};

use crate::api::description::ApiEntry;
use crate::board::BoardEvent;
use crate::device::Device;
use crate::script::{Arg, Job, JobKind, ScriptState};

/// Host-object tags of Smart.js objects.
pub(crate) const TAG_I2C: u32 = 0x534A_0001;
pub(crate) const TAG_SPI: u32 = 0x534A_0002;
pub(crate) const TAG_FILE: u32 = 0x534A_0003;

/// The name of Smart.js's entry in [`crate::script::Extensions`].
const EXT: &str = "smartjs";

/// What Smart.js keeps per script.
#[derive(Default)]
pub struct SmartState {
    /// `GPIO.setisr` handlers by listener handle.
    pub(crate) isrs: SortedMap<u32, gpio::Isr>,
    /// `new I2C(…)` buses by instance id.
    pub(crate) i2c: SortedMap<u32, i2c::Bus>,
    /// SPI buses in use: object id (bus number + 1) → bus number; one entry per bus.
    pub(crate) spi: SortedMap<u32, u32>,
    /// Open files by instance id.
    pub(crate) files: SortedMap<u32, file::OpenFile>,
    /// `Http.get`/`Http.post` in flight: board request id → listener handle.
    pub(crate) http: SortedMap<u32, u32>,
    /// `Debug.mode`: 0 discards `Debug.print`, 1 and 2 log it.
    pub(crate) debug_mode: u32,
    /// Pinned prototype of file objects.
    pub(crate) file_proto: Option<u32>,
    ids: crate::host::IdGen,
}

impl SmartState {
    /// A fresh instance id (never 0).
    pub(crate) fn new_id(&mut self) -> u32 {
        self.ids.next_id()
    }
}

/// Run `f` on the calling script's Smart.js state (no JavaScript may run inside `f`).
pub(crate) fn with_state<R>(vm: &mut Vm, f: impl FnOnce(&mut SmartState) -> R) -> Result<R, Value> {
    crate::host::with_ext(vm, EXT, f)
}

/// Argument `i` as a whole number (`None` if it is not a finite integer).
/// A callback whose operation failed before it started still runs, later, as `cb(undefined,
/// error)` (as the operation's failure would have called it); its pin goes with the call.
pub(crate) fn call_later_with_error(st: &mut ScriptState, cb: u32, error: String, limit: usize) {
    st.push_job(
        Job {
            kind: JobKind::Call {
                func: cb,
                this: Arg::Undefined,
                args: alloc::vec![Arg::Undefined, Arg::Str(error.into_bytes())],
            },
            release: alloc::vec![cb],
        },
        limit,
    );
}

pub(crate) fn int_arg(args: &[Value], i: usize) -> Option<i64> {
    crate::host::whole_in(Vm::arg(args, i), -9.0e15, 9.0e15).map(|n| n as i64)
}

/// The `(tag, id)` host object `this` must be, else a `TypeError` naming `what`.
pub(crate) fn this_id(vm: &mut Vm, this: Value, tag: u32, what: &str) -> Result<u32, Value> {
    match vm.host_object(this) {
        Some((t, id)) if t == tag => Ok(id),
        _ => Err(vm.type_error(&alloc::format!(
            "{what} called on an object that is not one"
        ))),
    }
}

pub(crate) use gpio::release_interrupts;

pub fn install(vm: &mut Vm) {
    gpio::install(vm);
    i2c::install(vm);
    spi::install(vm);
    file::install(vm);
    http::install(vm);
    sys::install(vm);
}

/// Board events this family handles (return true if consumed). GPIO edges are never consumed:
/// the TC53 classes listen to them too.
pub fn route_board_event(
    device: &Rc<RefCell<Device>>,
    scripts: &[Rc<RefCell<ScriptState>>],
    event: &BoardEvent,
    queue_limit: usize,
) -> bool {
    match event {
        BoardEvent::GpioEdge { pin, level } => {
            gpio::route_edge(device, scripts, *pin, *level, queue_limit);
            false
        }
        BoardEvent::HttpDone { id, result } => http::route_done(scripts, *id, result, queue_limit),
        _ => false,
    }
}

/// Every Smart.js member this runtime implements, for the API description.
pub fn describe() -> Vec<ApiEntry> {
    let mut v = Vec::new();
    v.extend_from_slice(gpio::DESCRIPTION);
    v.extend_from_slice(i2c::DESCRIPTION);
    v.extend_from_slice(spi::DESCRIPTION);
    v.extend_from_slice(file::DESCRIPTION);
    v.extend_from_slice(http::DESCRIPTION);
    v.extend_from_slice(sys::DESCRIPTION);
    v
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
        family: "smartjs",
    }
}

/// The Smart.js family's place in the runtime.
pub struct Family;

impl super::ApiFamily for Family {
    fn install(&self, vm: &mut Vm) {
        install(vm)
    }
    fn on_script_stopped(&self, device: &Rc<RefCell<Device>>, id: u32, state: &ScriptState) {
        // The board keeps raising edges no other script listens to unless told.
        gpio::release_interrupts(device, &gpio::edge_pins(state), Some(id));
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
