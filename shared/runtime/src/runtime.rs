//! The event loop: scripts' realms, their turns in fuel-bounded slices, timers, events, RPC
//! calls between scripts and the device, and the queues the transports read.
//!
//! A target drives it: feed it RPC requests ([`Runtime::rpc`]) and console input
//! ([`Runtime::console_eval`]), call [`Runtime::poll`] whenever it says it is busy or its
//! deadline has come, and take what it produced ([`Runtime::take_rpc_done`],
//! [`Runtime::take_notifications`], the device log).

use alloc::boxed::Box;
use alloc::collections::VecDeque;

use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use ferrite_collections::SortedMap;

use ferrite_engine::heap::HeapFloor;
use ferrite_engine::{Config, Engine, JsError, RunOutcome, Value};

use crate::board::{Board, BoardEvent};
use crate::device::{Device, DeviceEvent, DeviceInfo, Notification, ScriptRecord};
use crate::host::ScriptHost;
use crate::json::{json, Json};
use crate::limits::Limits;
use crate::log::Level;
use crate::rpc::{Origin, RpcError, RpcReply};
use crate::script::{Arg, EvalReply, Job, JobKind, ListenerKind, ScriptState, NO_PIN};

/// How a runtime is set up for a target.
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    pub limits: Limits,
    /// `model` and `app` of `Shelly.GetDeviceInfo`.
    pub model: String,
    pub app: String,
    /// Collect garbage at every safe point (tests).
    pub gc_stress: bool,
    /// Slices run per [`Runtime::poll`] before the target gets control back.
    pub slices_per_poll: u32,
    /// Create the console's realm when the console first needs it (an entry at the REPL,
    /// `Script.Eval` of id 0), not at boot. A realm with its built-ins takes about 80 KB on a
    /// 32-bit target: a microcontroller should not keep one that may never be used.
    pub lazy_console_realm: bool,
    /// On a target with a small, fixed native stack: the lowest address scripts' parsing,
    /// compiling and nested calls may reach (`Engine::set_stack_floor`); 0 where the stack is
    /// an OS thread's, large enough for the engine's count limits.
    pub stack_floor: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            limits: Limits::default(),
            model: "FerriteVirtual".into(),
            app: "Ferrite".into(),
            gc_stress: false,
            slices_per_poll: 16,
            lazy_console_realm: false,
            stack_floor: 0,
        }
    }
}

/// What [`Runtime::poll`] says about when to call it again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Poll {
    /// More work is queued: poll again as soon as I/O was served.
    pub busy: bool,
    /// Otherwise the earliest time (ms since boot) something is due, if anything is.
    pub next_deadline_ms: Option<u64>,
}

/// Syntax nesting a script may use (the engine's parser limit in every script realm; small
/// enough for the ESP32's native stack).
pub const SCRIPT_MAX_NESTING: u32 = 64;

/// The console's realm: always there, not persisted, never aborted by its errors.
pub const CONSOLE_ID: u32 = 0;

/// Where the answer to a pending RPC goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PendingDest {
    Transport,
    /// A `Shelly.call` of script `id`, listener `handle`.
    Script {
        id: u32,
        handle: u32,
    },
}

/// One turn in progress: the top-level code, a callback, or an eval.
struct Turn {
    fuel_used: u64,
    release: Vec<u32>,
    reply: Option<EvalReply>,
    /// An error in this turn aborts the script (callbacks and top-level code; not evals).
    abort_on_error: bool,
}

/// A running script's realm.
struct Realm {
    id: u32,
    engine: Engine,
    state: Rc<RefCell<ScriptState>>,
    turn: Option<Turn>,
    name: String,
}

pub struct Runtime {
    device: Rc<RefCell<Device>>,
    config: RuntimeConfig,
    realms: Vec<Realm>,
    pending: SortedMap<u32, PendingDest>,
    transport_done: VecDeque<(u32, Result<Json, RpcError>)>,
    /// What the crash marker says now (avoids rewriting it).
    marker: Option<u32>,
    /// Round-robin position among realms.
    next_realm: usize,
    /// Uncaught errors that ended scripts, oldest first, until a target takes them.
    uncaught: VecDeque<(u32, JsError)>,
    /// The most heap a realm took when it was made, on targets that report it.
    realm_bytes: Option<usize>,
    /// The script whose realm the console's entries run in while the heap has no room for
    /// the console's own ([`Runtime::console_realm`]), once the console said so.
    console_guest: Option<u32>,
    /// Entries were evaluated in the console's own realm since it was made (what ending it
    /// loses).
    console_typed: bool,
}

/// Most uncaught errors kept for [`Runtime::take_uncaught_errors`] (the oldest are dropped).
const KEEP_UNCAUGHT: usize = 16;

/// Script files in storage.
pub(crate) fn code_name(id: u32) -> String {
    format!("scripts/{id}.js")
}
pub(crate) fn record_name(id: u32) -> String {
    format!("scripts/{id}.json")
}

/// Shelly's error kind for an uncaught error.
pub fn error_kind(e: &JsError) -> &'static str {
    match e.name.as_str() {
        "SyntaxError" => "syntax_error",
        "ReferenceError" => "reference_error",
        "TypeError" => "type_error",
        "RangeError" if e.message.contains("out of memory") => "out_of_memory",
        "RangeError" if e.message.contains("call stack") => "too_much_recursion",
        "InternalError" if e.message.contains("CPU budget") => "cpu_budget_exceeded",
        "InternalError" => "internal_error",
        _ => "error",
    }
}

/// What a realm with its built-ins and the runtime's API is taken to cost before one was
/// measured (47,406 bytes on a 32-bit target, its built-in methods not made yet, the names
/// shared and the property tables' indexes sorted: `firmware/net/tests/boot_heap.rs`; a
/// target's allocator adds a header to each of its few hundred blocks).
const REALM_BYTES_GUESS: usize = 54 * 1024;

/// Give a fresh realm its host (the script's state and the device) and the runtime's API:
/// what every script's and the console's realm gets before anything runs in it.
pub fn install_api(engine: &mut Engine, host: Rc<ScriptHost>) {
    engine.vm().set_host(host);
    engine.vm().begin_setup();
    crate::api::install(engine);
    // The API's globals grew the realm's tables by doubling: give the slack back, and count
    // the script's heap budget from here.
    engine.vm().finish_setup();
}

const CPU_BUDGET: &str =
    "CPU budget exhausted: the script ran too long without returning to the event loop";

impl Runtime {
    pub fn new(mut board: Box<dyn Board>, config: RuntimeConfig) -> Runtime {
        let mac = board.system().mac();
        let info = DeviceInfo::from_mac(mac, &config.model, &config.app);
        let device = Device::new(board, info, config.limits.clone());
        Runtime {
            device: Rc::new(RefCell::new(device)),
            config,
            realms: Vec::new(),
            pending: SortedMap::new(),
            transport_done: VecDeque::new(),
            marker: None,
            realm_bytes: None,
            console_guest: None,
            console_typed: false,
            next_realm: 0,
            uncaught: VecDeque::new(),
        }
    }

    /// The device (board, components, log, queues). Do not hold the borrow across `poll`.
    pub fn device(&self) -> Rc<RefCell<Device>> {
        self.device.clone()
    }

    pub fn limits(&self) -> &Limits {
        &self.config.limits
    }

    /// Load persisted state, disable a script that crashed the device, start the console realm
    /// and the scripts marked `enable`.
    pub fn boot(&mut self) {
        crate::persist::load(&self.device);
        let crashed = {
            let mut d = self.device.borrow_mut();
            let m = d.board.system().crash_marker();
            d.board.system().set_crash_marker(b"idle");
            m.and_then(|m| {
                core::str::from_utf8(&m)
                    .ok()
                    .and_then(|s| s.strip_prefix("run:"))
                    .and_then(|s| s.parse::<u32>().ok())
            })
        };
        self.marker = None;
        if let Some(id) = crashed.filter(|id| *id != CONSOLE_ID) {
            let mut d = self.device.borrow_mut();
            if let Some(r) = d.scripts.iter_mut().find(|r| r.id == id) {
                r.enable = false;
                r.errors = alloc::vec!["crashed".into()];
                r.error_msg = Some("the script crashed the device and was disabled at boot".into());
                let rec = r.clone();
                crate::persist::save_record(&mut d, &rec);
                d.log(
                    Level::Error,
                    id,
                    format!("script:{id} crashed the device; it was disabled at boot"),
                );
                d.status_changed(&format!("script:{id}"), rec.status_json());
            }
        }
        // Boot builds realms and compiles scripts before the first round feeds the watchdog:
        // fed before each, so a slow boot is not taken for a hang (and a device with several
        // big scripts enabled does not restart at every boot).
        self.feed_watchdog();
        if !self.config.lazy_console_realm {
            self.console_eval_target();
        }
        let enabled: Vec<u32> = self
            .device
            .borrow()
            .scripts
            .iter()
            .filter(|r| r.enable)
            .map(|r| r.id)
            .collect();
        for id in enabled {
            self.feed_watchdog();
            if let Err(e) = self.start_script(id) {
                let mut d = self.device.borrow_mut();
                d.log(Level::Error, id, format!("script:{id} did not start: {e}"));
            }
        }
    }

    // ----- scripts -----

    fn realm_index(&self, id: u32) -> Option<usize> {
        self.realms.iter().position(|r| r.id == id)
    }

    pub fn is_running(&self, id: u32) -> bool {
        self.realm_index(id).is_some()
    }

    /// Create a realm for script `id` and start its top-level code (if `code` is given).
    fn start_realm(
        &mut self,
        id: u32,
        name: String,
        code: Option<Vec<u8>>,
    ) -> Result<(), RpcError> {
        self.check_realm_fits(id)?;
        if id == CONSOLE_ID {
            self.console_typed = false;
        }
        let free_before = self.heap_free();
        let limits = &self.config.limits;
        let mut engine = Engine::new(Config {
            heap_budget: limits.script_heap,
            max_script_bytes: limits
                .script_bytes
                .max(if id == CONSOLE_ID { 1 << 20 } else { 0 }),
            max_string_bytes: limits.script_heap,
            max_call_depth: 200,
            max_nesting: SCRIPT_MAX_NESTING,
            nested_fuel_overdraft: limits.turn_fuel as i64,
            gc_stress: self.config.gc_stress,
            shared_names: crate::api::SHARED_NAMES,
        });
        let state = Rc::new(RefCell::new(ScriptState::new(id)));
        let host = Rc::new(ScriptHost {
            id,
            state: state.clone(),
            device: self.device.clone(),
        });
        engine.set_stack_floor(self.config.stack_floor);
        let dev = self.device.clone();
        engine.set_output(Box::new(move |bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes);
            let text = text.strip_suffix('\n').unwrap_or(&text);
            dev.borrow_mut().log(Level::Script, id, text.into());
        }));
        let dev = self.device.clone();
        engine.set_clock(Box::new(move || {
            let d = dev.borrow();
            d.board.clock().unix_time_ms().unwrap_or(d.now_ms() as f64)
        }));
        install_api(&mut engine, host);
        // Growing, the realm leaves the device its reserve (or the script runs out of memory).
        if let Some(free) = self.device.borrow_mut().board.system().heap_free_probe() {
            engine.set_heap_floor(HeapFloor {
                free,
                keep: limits.heap_reserve,
            });
        }
        if let (Some(before), Some(after)) = (free_before, self.heap_free()) {
            // What a realm really took, for the next decision (the largest seen).
            let took = before.saturating_sub(after);
            if took > 0 {
                self.realm_bytes = Some(self.realm_bytes.unwrap_or(0).max(took));
            }
        }
        let mut realm = Realm {
            id,
            engine,
            state,
            turn: None,
            // Errors say `<name>:line:col`, as a file name would.
            name: if id == CONSOLE_ID || !name.is_empty() {
                name
            } else {
                format!("script_{id}")
            },
        };
        if let Some(code) = code {
            let script_name = realm.name.clone();
            // Compiling is the script's doing too: a crash in it disables the script at the
            // next boot, as one while it runs does.
            let before = self.marker;
            self.set_marker(Some(id));
            let started = realm.engine.start(&code, &script_name);
            self.set_marker(before);
            if let Err(e) = started {
                self.realms.push(realm);
                let idx = self.realms.len() - 1;
                self.abort(idx, e);
                return Err(RpcError::precondition("the script has a syntax error"));
            }
            realm.turn = Some(Turn {
                fuel_used: 0,
                release: Vec::new(),
                reply: None,
                abort_on_error: true,
            });
        }
        self.realms.push(realm);
        Ok(())
    }

    fn heap_free(&self) -> Option<usize> {
        self.device.borrow_mut().board.system().heap_free()
    }

    fn feed_watchdog(&self) {
        self.device.borrow_mut().board.system().feed_watchdog();
    }

    /// On a target with one fixed heap: is there room for another realm, its script's heap
    /// budget and the device's reserve?
    fn check_realm_fits(&self, id: u32) -> Result<(), RpcError> {
        let Some(free) = self.heap_free() else {
            return Ok(());
        };
        let limits = &self.config.limits;
        let realm = self.realm_bytes.unwrap_or(REALM_BYTES_GUESS);
        let need = self.realm_need();
        if free >= need {
            return Ok(());
        }
        let what = if id == CONSOLE_ID {
            String::from("for the console's realm")
        } else {
            format!("to start script:{id}")
        };
        let mut message = format!(
            "not enough memory {what}: {free} bytes free, a realm needs about {need} (its \
             built-ins {realm}, its heap budget {}, {} kept for the device)",
            limits.script_heap, limits.heap_reserve
        );
        // What holds the room, where a script is to start: stopping one is what frees it.
        let running: Vec<String> = self
            .realms
            .iter()
            .filter(|r| r.id != CONSOLE_ID)
            .map(|r| format!("script:{}", r.id))
            .collect();
        if id != CONSOLE_ID && !running.is_empty() {
            message.push_str(&format!("; running: {}", running.join(", ")));
        }
        Err(RpcError::new(crate::rpc::code::RESOURCE_EXHAUSTED, message))
    }

    /// What [`Runtime::check_realm_fits`] asks to be free for one more realm.
    fn realm_need(&self) -> usize {
        let limits = &self.config.limits;
        self.realm_bytes.unwrap_or(REALM_BYTES_GUESS) + limits.script_heap + limits.heap_reserve
    }

    /// [`Runtime::check_realm_fits`] for script `id`. Where it does not fit but would without
    /// the console's realm, and the console is idle, that realm is ended to make room: what
    /// was typed there is gone (the log says so when anything was), and the console's next entry makes a new one or runs in a
    /// script's ([`Runtime::console_realm`]). A script the user starts comes before the
    /// console's scratch state (on a chip with Wi-Fi up the heap holds one realm).
    fn make_room_for(&mut self, id: u32) -> Result<(), RpcError> {
        let Err(e) = self.check_realm_fits(id) else {
            return Ok(());
        };
        let Some(console) = self.realm_index(CONSOLE_ID) else {
            return Err(e);
        };
        // Ending the console's realm gives back at least what a realm takes when it is made.
        let free = self.heap_free().unwrap_or(0);
        let gives_back = self.realm_bytes.unwrap_or(0);
        if self.realm_busy(CONSOLE_ID) || free + gives_back < self.realm_need() {
            return Err(e);
        }
        self.drop_realm(console);
        let lost = if self.console_typed {
            " (what was typed there is gone)"
        } else {
            ""
        };
        self.device.borrow_mut().log(
            Level::Info,
            CONSOLE_ID,
            format!("the console's realm was ended to make room for script:{id}{lost}"),
        );
        self.check_realm_fits(id)
    }

    /// The realm the console's entries run in now: its own, or, while the heap has no room for
    /// it, the one running script's (as on Espruino, whose console shares the script's
    /// globals). `None` before the console evaluated anything, or once that script stopped.
    pub fn console_realm(&self) -> Option<u32> {
        if self.is_running(CONSOLE_ID) {
            return Some(CONSOLE_ID);
        }
        self.console_guest.filter(|id| self.is_running(*id))
    }

    /// The realm for the console's next entry ([`Runtime::console_realm`]): its own, made now
    /// if there is room; else the one running script's, which the console says once; else
    /// why not.
    fn console_target(&mut self) -> Result<u32, RpcError> {
        if self.is_running(CONSOLE_ID) {
            return Ok(CONSOLE_ID);
        }
        // Entries stay in the script's realm while earlier ones run or wait there (the prompt,
        // Ctrl-C and the order of results follow one realm).
        if let Some(guest) = self.console_guest.filter(|_| self.console_busy()) {
            return Ok(guest);
        }
        let e = match self.start_realm(CONSOLE_ID, "console".into(), None) {
            Ok(()) => {
                if self.console_guest.take().is_some() {
                    self.device.borrow_mut().log(
                        Level::Info,
                        CONSOLE_ID,
                        "the console has its own realm again".into(),
                    );
                }
                return Ok(CONSOLE_ID);
            }
            Err(e) => e,
        };
        let running: Vec<u32> = self.realms.iter().map(|r| r.id).collect();
        if let [id] = running[..] {
            if self.console_guest != Some(id) {
                self.console_guest = Some(id);
                self.device.borrow_mut().log(
                    Level::Info,
                    CONSOLE_ID,
                    format!(
                        "no room for the console's own realm while script:{id} runs: entries \
                         run in script:{id}'s realm (its globals are the script's; Ctrl-C stops \
                         the entry, not the script)"
                    ),
                );
            }
            return Ok(id);
        }
        self.console_guest = None;
        let mut e = e;
        if running.len() > 1 {
            e.message
                .push_str(" (several scripts run: evaluate in one with Script.Eval and its id)");
        }
        Err(e)
    }

    /// `Script.Start`: run script `id` (its stored code) in a fresh realm.
    pub fn start_script(&mut self, id: u32) -> Result<(), RpcError> {
        if self.is_running(id) {
            return Err(RpcError::precondition(format!(
                "script:{id} is already running"
            )));
        }
        let code = {
            let mut d = self.device.borrow_mut();
            if !d.scripts.iter().any(|r| r.id == id) {
                return Err(RpcError::not_found(format!("no script with id {id}")));
            }
            d.board
                .storage()
                .read(&code_name(id))
                .map_err(|e| RpcError::new(crate::rpc::code::INTERNAL, format!("{e}")))?
                .unwrap_or_default()
        };
        // Refused for lack of memory before it is marked running.
        self.make_room_for(id)?;
        let name = {
            let mut d = self.device.borrow_mut();
            let r = d.scripts.iter_mut().find(|r| r.id == id).unwrap();
            r.running = true;
            r.errors.clear();
            r.error_msg = None;
            let name = r.name.clone();
            let st = r.status_json();
            d.status_changed(&format!("script:{id}"), st);
            name
        };
        self.start_realm(id, name, Some(code))
    }

    /// `Script.Stop`: drop the realm (timers, handlers and subscriptions go with it).
    pub fn stop_script(&mut self, id: u32) -> bool {
        let Some(idx) = self.realm_index(id) else {
            return false;
        };
        self.drop_realm(idx);
        let mut d = self.device.borrow_mut();
        if let Some(r) = d.scripts.iter_mut().find(|r| r.id == id) {
            r.running = false;
            let st = r.status_json();
            d.status_changed(&format!("script:{id}"), st);
        }
        true
    }

    fn drop_realm(&mut self, idx: usize) {
        let realm = self.realms.remove(idx);
        let id = realm.id;
        // Evals running or waiting there are answered: `Script.Eval` calls get an error, the
        // console says what it lost.
        let mut evals: Vec<EvalReply> = realm
            .turn
            .as_ref()
            .and_then(|t| t.reply)
            .into_iter()
            .collect();
        evals.extend(
            realm
                .state
                .borrow()
                .jobs
                .iter()
                .filter_map(|j| match j.kind {
                    JobKind::Eval { reply, .. } => Some(reply),
                    JobKind::Call { .. } => None,
                }),
        );
        {
            let mut d = self.device.borrow_mut();
            let lost_entries = evals.iter().filter(|r| **r == EvalReply::Console).count();
            for reply in evals {
                if let EvalReply::Rpc(token) | EvalReply::ConsoleRpc(token) = reply {
                    let e = RpcError::new(
                        crate::rpc::code::INTERNAL,
                        format!("script:{id} stopped before the eval ran"),
                    );
                    d.rpc_done.push_back((token, Err(e)));
                }
            }
            if id != CONSOLE_ID && lost_entries > 0 {
                let entries = if lost_entries == 1 {
                    "entry"
                } else {
                    "entries"
                };
                d.log(
                    Level::Error,
                    CONSOLE_ID,
                    format!("script:{id} stopped: {lost_entries} console {entries} did not run"),
                );
            }
        }
        // The console's entries no longer run in a script's realm that is gone.
        if self.console_guest == Some(id) {
            self.console_guest = None;
            self.device.borrow_mut().log(
                Level::Info,
                CONSOLE_ID,
                format!("script:{id} stopped: the console's entries no longer run in its realm"),
            );
        }
        // The families release what the board keeps for the script (MQTT filters, interrupts).
        crate::api::on_script_stopped(&self.device, id, &realm.state.borrow());
        drop(realm);
        self.pending
            .retain(|_, dest| !matches!(dest, PendingDest::Script { id: sid, .. } if *sid == id));
        if self.next_realm > idx {
            self.next_realm -= 1;
        }
    }

    /// An uncaught error ends script `idx` (the console realm only reports it).
    fn abort(&mut self, idx: usize, e: JsError) {
        let id = self.realms[idx].id;
        let kind = error_kind(&e);
        {
            let mut d = self.device.borrow_mut();
            d.log(Level::Error, id, format!("{e}"));
            for line in e.stack.lines() {
                d.log(Level::Error, id, line.into());
            }
        }
        if id == CONSOLE_ID {
            self.realms[idx].turn = None;
            return;
        }
        if self.uncaught.len() >= KEEP_UNCAUGHT {
            self.uncaught.pop_front();
        }
        self.uncaught.push_back((id, e.clone()));
        self.drop_realm(idx);
        let mut d = self.device.borrow_mut();
        d.log(Level::Error, id, format!("script:{id} aborted ({kind})"));
        if let Some(r) = d.scripts.iter_mut().find(|r| r.id == id) {
            r.running = false;
            r.errors = alloc::vec![kind.into()];
            r.error_msg = Some(format!("{e}"));
            let st = r.status_json();
            d.status_changed(&format!("script:{id}"), st);
        }
    }

    // ----- input from the target -----

    /// Evaluate console input in the console's realm ([`Runtime::console_realm`]); the result
    /// (or error) goes to the log as the console's.
    pub fn console_eval(&mut self, source: &[u8]) {
        let Some(id) = self.console_eval_target() else {
            return;
        };
        if !self.eval_in(id, source.to_vec(), EvalReply::Console) {
            self.device.borrow_mut().log(
                Level::Error,
                CONSOLE_ID,
                format!("script:{id}'s job queue is full: the entry was dropped"),
            );
        }
    }

    /// [`Runtime::console_target`], with why not written to the log (the console shows it).
    fn console_eval_target(&mut self) -> Option<u32> {
        match self.console_target() {
            Ok(id) => Some(id),
            Err(e) => {
                self.device
                    .borrow_mut()
                    .log(Level::Error, CONSOLE_ID, e.message);
                None
            }
        }
    }

    /// Stop what the console is running (Ctrl-C); returns whether something was running. In
    /// its own realm that is everything; in a script's ([`Runtime::console_realm`]) only the
    /// console's entries: the script's own turn and callbacks go on.
    pub fn console_interrupt(&mut self) -> bool {
        let Some(idx) = self.console_realm().and_then(|id| self.realm_index(id)) else {
            return false;
        };
        let realm = &mut self.realms[idx];
        let own = realm.id == CONSOLE_ID;
        let turn_is_console = own
            || realm
                .turn
                .as_ref()
                .is_some_and(|t| t.reply.is_some_and(EvalReply::is_console));
        // `Script.Eval` calls (id 0) running or waiting are answered: interrupted.
        let mut abandoned: Vec<u32> = Vec::new();
        let mut busy = false;
        if turn_is_console {
            busy = realm.engine.has_task();
            realm.engine.abandon_task();
            if let Some(Turn {
                reply: Some(EvalReply::ConsoleRpc(token)),
                ..
            }) = realm.turn.take()
            {
                abandoned.push(token);
            }
        }
        {
            let mut state = realm.state.borrow_mut();
            let queued = state.jobs.len();
            state.jobs.retain(|job| match job.kind {
                JobKind::Eval { reply, .. } if own || reply.is_console() => {
                    if let EvalReply::ConsoleRpc(token) = reply {
                        abandoned.push(token);
                    }
                    false
                }
                _ => !own,
            });
            busy |= state.jobs.len() != queued;
        }
        {
            let mut d = self.device.borrow_mut();
            for token in abandoned {
                let e = RpcError::new(crate::rpc::code::INTERNAL, "interrupted (Ctrl-C)");
                d.rpc_done.push_back((token, Err(e)));
            }
        }
        if busy {
            self.device
                .borrow_mut()
                .log(Level::Error, CONSOLE_ID, "interrupted".into());
        }
        busy
    }

    /// Whether the console waits for something it started (an entry or `Script.Eval` of id 0
    /// running or queued, or in its own realm anything at all): its prompt comes back after.
    pub fn console_busy(&self) -> bool {
        let Some(r) = self
            .console_realm()
            .and_then(|id| self.realm_index(id))
            .map(|i| &self.realms[i])
        else {
            return false;
        };
        if r.id == CONSOLE_ID {
            return self.realm_busy(CONSOLE_ID);
        }
        r.turn
            .as_ref()
            .is_some_and(|t| t.reply.is_some_and(EvalReply::is_console))
            || r.state
                .borrow()
                .jobs
                .iter()
                .any(|j| matches!(j.kind, JobKind::Eval { reply, .. } if reply.is_console()))
    }

    /// Heap statistics of running script `id`'s realm (`CONSOLE_ID`: the console's), for
    /// prompts and banners.
    pub fn heap_stats(&self, id: u32) -> Option<ferrite_engine::HeapStats> {
        self.realm_index(id)
            .map(|i| self.realms[i].engine.heap_stats())
    }

    /// Whether realm `id` is running a turn or has callbacks queued (the console uses it to
    /// know when to show its prompt again).
    pub fn realm_busy(&self, id: u32) -> bool {
        self.realm_index(id).is_some_and(|i| {
            let r = &self.realms[i];
            r.turn.is_some() || r.engine.has_task() || !r.state.borrow().jobs.is_empty()
        })
    }

    fn eval_in(&mut self, id: u32, source: Vec<u8>, reply: EvalReply) -> bool {
        let Some(idx) = self.realm_index(id) else {
            return false;
        };
        if id == CONSOLE_ID {
            self.console_typed = true;
        }
        let limit = self.config.limits.job_queue;
        self.realms[idx].state.borrow_mut().push_job(
            Job {
                kind: JobKind::Eval { source, reply },
                release: Vec::new(),
            },
            limit,
        )
    }

    /// Call an RPC method. Transports check authentication before calling this.
    pub fn rpc(&mut self, method: &str, params: Json, origin: Origin) -> RpcReply {
        let reply = crate::rpc::dispatch(self, method, &params, origin);
        if let RpcReply::Pending(token) = reply {
            if origin == Origin::Transport {
                self.pending.insert(token, PendingDest::Transport);
            }
        }
        reply
    }

    /// Evaluate `code` in running script `id` (`CONSOLE_ID`: the console's realm, as the REPL
    /// does) for `Script.Eval`: answered later under a token.
    /// `from`: the script that calls (`Shelly.call`), which cannot evaluate in itself.
    pub(crate) fn script_eval(&mut self, id: u32, code: Vec<u8>, from: Option<u32>) -> RpcReply {
        if from == Some(id) {
            return Err(RpcError::precondition("a script cannot Script.Eval itself")).into();
        }
        let (id, reply) = if id == CONSOLE_ID {
            match self.console_target() {
                Ok(realm) if from == Some(realm) => {
                    return Err(RpcError::precondition(
                        "a script cannot Script.Eval itself (the console's entries run in its \
                         realm)",
                    ))
                    .into()
                }
                Ok(realm) => (realm, EvalReply::ConsoleRpc as fn(u32) -> EvalReply),
                Err(e) => return Err(e).into(),
            }
        } else {
            (id, EvalReply::Rpc as fn(u32) -> EvalReply)
        };
        if !self.is_running(id) {
            return Err(RpcError::precondition(format!(
                "script:{id} is not running"
            )))
            .into();
        }
        let token = self.device.borrow_mut().new_token();
        if !self.eval_in(id, code, reply(token)) {
            return Err(RpcError::new(
                crate::rpc::code::RESOURCE_EXHAUSTED,
                "the script's job queue is full",
            ))
            .into();
        }
        RpcReply::Pending(token)
    }

    /// The uncaught errors that ended scripts since the last call (script id, error with its
    /// line and column), for targets that show them next to the code (the IDE's simulator).
    pub fn take_uncaught_errors(&mut self) -> Vec<(u32, JsError)> {
        self.uncaught.drain(..).collect()
    }

    /// Answers to RPC calls that were [`RpcReply::Pending`] for a transport.
    pub fn take_rpc_done(&mut self) -> Vec<(u32, Result<Json, RpcError>)> {
        self.transport_done.drain(..).collect()
    }

    /// Notifications (`NotifyStatus`, `NotifyEvent`, `NotifyTelemetry`) for persistent
    /// channels. At most [`crate::device::OUTBOX_LIMIT`] wait; older ones are dropped.
    pub fn take_notifications(&mut self) -> Vec<Notification> {
        self.device.borrow_mut().outbox.drain(..).collect()
    }

    /// How many notifications were dropped (the oldest, beyond
    /// [`crate::device::OUTBOX_LIMIT`]) because nobody took them in time.
    pub fn notifications_dropped(&self) -> u64 {
        self.device.borrow().outbox_dropped
    }

    // ----- the loop -----

    /// Do a bounded amount of work: board events, component timers, events to scripts, due
    /// timers, RPC answers, then up to `slices_per_poll` script slices. The watchdog is fed at
    /// the start and after each slice.
    pub fn poll(&mut self) -> Poll {
        self.device.borrow_mut().board.system().feed_watchdog();
        for _ in 0..64 {
            let ev = self.device.borrow_mut().board.poll_event();
            match ev {
                Some(ev) => self.route_board_event(ev),
                None => break,
            }
        }
        let scan_expired = crate::components::wifi_scan::expired(&self.device.borrow());
        if let Some(ev) = scan_expired {
            self.route_board_event(ev);
        }
        // RPC requests that came over MQTT.
        crate::api::mqtt::serve_rpc(self);
        crate::components::tick(&mut self.device.borrow_mut());
        self.notice_wifi_changes();
        self.deliver_device_events();
        self.fire_timers();
        self.dispatch_script_calls();
        self.deliver_rpc_done();
        let mut slices = 0;
        let n = self.realms.len();
        let mut idle_rounds = 0;
        while slices < self.config.slices_per_poll && n > 0 && idle_rounds < n {
            if self.next_realm >= self.realms.len() {
                self.next_realm = 0;
            }
            let idx = self.next_realm;
            self.next_realm += 1;
            let ran = self.run_slice(idx);
            // Fed after every slice, not once per poll: a slice is bounded in fuel, but slow
            // board calls (a stuck bus, long transfers) make slices long, and a whole poll of
            // them could outlast the hardware watchdog.
            self.device.borrow_mut().board.system().feed_watchdog();
            if ran {
                slices += 1;
                idle_rounds = 0;
                // A slice may have queued RPC calls, events, answers.
                self.deliver_device_events();
                self.dispatch_script_calls();
                self.deliver_rpc_done();
            } else {
                idle_rounds += 1;
            }
            if self.realms.len() != n {
                break;
            }
        }
        // Scripts that stopped themselves (`Script.Stop` of their own id) once their turn ended.
        let stopping: Vec<u32> = self
            .realms
            .iter()
            .filter(|r| r.turn.is_none() && r.state.borrow().stop_requested)
            .map(|r| r.id)
            .collect();
        for id in stopping {
            self.stop_script(id);
        }
        self.release_unpinned();
        self.set_marker(None);
        self.poll_state()
    }

    fn poll_state(&self) -> Poll {
        let busy =
            self.realms.iter().any(|r| {
                r.turn.is_some() || r.engine.has_task() || !r.state.borrow().jobs.is_empty()
            }) || !self.device.borrow().events.is_empty()
                || !self.device.borrow().rpc_done.is_empty()
                || self.device.borrow().board.has_pending_events();
        let mut deadline = crate::components::next_deadline(&self.device.borrow());
        for r in &self.realms {
            for l in &r.state.borrow().listeners {
                if let ListenerKind::Timer { due_ms, .. } = l.kind {
                    deadline = Some(deadline.map_or(due_ms, |d| d.min(due_ms)));
                }
            }
        }
        Poll {
            busy,
            next_deadline_ms: deadline,
        }
    }

    /// Record which script runs, in memory that survives a crash (written only on change).
    fn set_marker(&mut self, id: Option<u32>) {
        if self.marker == id {
            return;
        }
        self.marker = id;
        let text = match id {
            Some(id) => format!("run:{id}"),
            None => "idle".into(),
        };
        self.device
            .borrow_mut()
            .board
            .system()
            .set_crash_marker(text.as_bytes());
    }

    fn release_unpinned(&mut self) {
        for r in &mut self.realms {
            if r.engine.has_task() {
                continue;
            }
            let pins: Vec<u32> = core::mem::take(&mut r.state.borrow_mut().unpin_queue);
            for p in pins {
                r.engine.vm().unpin(p);
            }
        }
    }

    /// Run one slice of realm `idx` (starting its next job if idle). False if it had nothing.
    fn run_slice(&mut self, idx: usize) -> bool {
        let limits = self.config.limits.clone();
        let id = self.realms[idx].id;
        if self.realms[idx].turn.is_none() {
            if self.realms[idx].state.borrow().stop_requested {
                // Stopping itself: nothing more runs (the loop stops it after the slices).
                return false;
            }
            let job = self.realms[idx].state.borrow_mut().jobs.pop_front();
            let Some(job) = job else {
                return false;
            };
            // A console entry that crashes the device is the console's doing, also in a
            // script's realm: boot does not disable the script for it.
            let console_entry =
                matches!(job.kind, JobKind::Eval { reply, .. } if reply.is_console());
            self.set_marker(Some(if console_entry { CONSOLE_ID } else { id }));
            if let Some(done) = self.start_job(idx, job) {
                return done;
            }
        }
        let console_entry = self.realms[idx]
            .turn
            .as_ref()
            .is_some_and(|t| t.reply.is_some_and(EvalReply::is_console));
        self.set_marker(Some(if console_entry { CONSOLE_ID } else { id }));
        let outcome = self.realms[idx].engine.run(limits.slice_fuel);
        match outcome {
            RunOutcome::Finished(v) => self.finish_turn(idx, Ok(v)),
            RunOutcome::Error(e) => self.finish_turn(idx, Err(e)),
            RunOutcome::Yielded => {
                // The slice's fuel, plus what natives charged beyond it for time on the board.
                let overdraft = self.realms[idx]
                    .engine
                    .vm()
                    .fuel_left()
                    .min(0)
                    .unsigned_abs();
                let turn = self.realms[idx].turn.as_mut().expect("a turn is running");
                turn.fuel_used += limits.slice_fuel.saturating_add(overdraft);
                if turn.fuel_used >= limits.turn_fuel {
                    let e = self.realms[idx].engine.abort_task(CPU_BUDGET);
                    self.finish_turn(idx, Err(e));
                }
            }
        }
        true
    }

    /// Start `job` in realm `idx`. `Some(true)` if it already finished (a native callback).
    fn start_job(&mut self, idx: usize, job: Job) -> Option<bool> {
        let realm = &mut self.realms[idx];
        let name = realm.name.clone();
        match job.kind {
            JobKind::Call { func, this, args } => {
                let vm = realm.engine.vm();
                let f = vm.pinned(func);
                let mark = vm.roots_len();
                let this = make_arg(vm, &this);
                vm.push_root(this);
                let mut vals = Vec::with_capacity(args.len());
                for a in &args {
                    let v = make_arg(vm, a);
                    vm.push_root(v);
                    vals.push(v);
                }
                let r = realm.engine.start_call(f, this, &vals, &name);
                realm.engine.vm().truncate_roots(mark);
                realm.turn = Some(Turn {
                    fuel_used: 0,
                    release: job.release,
                    reply: None,
                    abort_on_error: true,
                });
                match r {
                    Ok(Some(v)) => {
                        self.finish_turn(idx, Ok(v));
                        Some(true)
                    }
                    Ok(None) => None,
                    Err(e) => {
                        self.finish_turn(idx, Err(e));
                        Some(true)
                    }
                }
            }
            JobKind::Eval { source, reply } => {
                // The console's entries are the console's in messages, in any realm.
                let name = if reply.is_console() { "console" } else { &name };
                let r = realm.engine.start(&source, name);
                realm.turn = Some(Turn {
                    fuel_used: 0,
                    release: job.release,
                    reply: Some(reply),
                    abort_on_error: false,
                });
                match r {
                    Ok(()) => None,
                    Err(e) => {
                        self.finish_turn(idx, Err(e));
                        Some(true)
                    }
                }
            }
        }
    }

    fn finish_turn(&mut self, idx: usize, result: Result<Value, JsError>) {
        let Some(turn) = self.realms[idx].turn.take() else {
            return;
        };
        let id = self.realms[idx].id;
        for p in &turn.release {
            self.realms[idx].engine.vm().unpin(*p);
        }
        // Memory statistics for Script.GetStatus.
        let stats = self.realms[idx].engine.heap_stats();
        let dropped = self.realms[idx].state.borrow().dropped_jobs;
        {
            let mut d = self.device.borrow_mut();
            if let Some(r) = d.scripts.iter_mut().find(|r| r.id == id) {
                r.dropped_events = dropped;
                r.mem_used = stats.used;
                r.mem_peak = r.mem_peak.max(stats.used);
                r.mem_free = stats.free;
            }
        }
        match (turn.reply, result) {
            // The console's, also where it runs in a script's realm.
            (Some(EvalReply::Console), Ok(v)) => {
                let text = self.realms[idx].engine.display(v);
                self.device.borrow_mut().log(Level::Info, CONSOLE_ID, text);
            }
            (Some(EvalReply::Console), Err(e)) => {
                let mut d = self.device.borrow_mut();
                d.log(Level::Error, CONSOLE_ID, format!("{e}"));
                for line in e.stack.lines() {
                    d.log(Level::Error, CONSOLE_ID, line.into());
                }
            }
            (Some(EvalReply::Rpc(token) | EvalReply::ConsoleRpc(token)), r) => {
                let r = match r {
                    Ok(v) => {
                        let text = self.realms[idx].engine.display(v);
                        Ok(json!({"result": text}))
                    }
                    Err(e) => Err(RpcError::new(crate::rpc::code::INTERNAL, format!("{e}"))),
                };
                self.device.borrow_mut().rpc_done.push_back((token, r));
            }
            (None, Ok(_)) => {}
            (None, Err(e)) => {
                if turn.abort_on_error {
                    self.abort(idx, e);
                    return;
                }
            }
        }
        if self.realms[idx].state.borrow().stop_requested {
            self.stop_script(id);
        }
    }

    // ----- routing -----

    fn route_board_event(&mut self, ev: BoardEvent) {
        let limit = self.config.limits.job_queue;
        match ev {
            BoardEvent::InputLevel { id, level } => {
                let mut d = self.device.borrow_mut();
                let now = d.now_ms();
                if let Some(i) = d.components.inputs.iter_mut().find(|i| i.id == id) {
                    i.set_level(now, level);
                    let st = i.status();
                    d.status_changed(&format!("input:{id}"), st);
                }
            }
            BoardEvent::PowerSample { id, watts, volts } => {
                let mut d = self.device.borrow_mut();
                if let Some(s) = d.components.switches.iter_mut().find(|s| s.id == id) {
                    s.load_watts = watts;
                    s.voltage = volts;
                }
            }
            BoardEvent::MqttMessage { topic, payload } => {
                for r in &self.realms {
                    let mut st = r.state.borrow_mut();
                    let hit = st.listeners.iter().find(|l| {
                        matches!(&l.kind, ListenerKind::MqttSubscription { filter } if crate::mqtt_topic::matches(filter, &topic))
                    });
                    if let Some(l) = hit.cloned() {
                        st.call_listener(
                            &l,
                            alloc::vec![
                                Arg::Str(topic.clone().into_bytes()),
                                Arg::Str(payload.clone())
                            ],
                            limit,
                            false,
                        );
                    }
                }
                crate::api::route_board_event(
                    &self.device,
                    &self.states(),
                    &BoardEvent::MqttMessage { topic, payload },
                    limit,
                );
            }
            BoardEvent::MqttConnected | BoardEvent::MqttDisconnected => {
                let up = ev == BoardEvent::MqttConnected;
                let kind = if up {
                    ListenerKind::MqttConnect
                } else {
                    ListenerKind::MqttDisconnect
                };
                for r in &self.realms {
                    r.state.borrow_mut().call_all(&kind, &[], limit);
                }
                let mut d = self.device.borrow_mut();
                d.status_changed("mqtt", json!({"connected": up}));
                drop(d);
                crate::api::route_board_event(&self.device, &self.states(), &ev, limit);
            }
            BoardEvent::HttpDone { id, result } => {
                let token = self.device.borrow_mut().http_rpc.remove(&id);
                match token {
                    Some(token) => {
                        let r = crate::rpc::http_result(result);
                        self.device.borrow_mut().rpc_done.push_back((token, r));
                    }
                    None => crate::api::route_board_event(
                        &self.device,
                        &self.states(),
                        &BoardEvent::HttpDone { id, result },
                        limit,
                    ),
                }
            }
            BoardEvent::WifiScanDone { result } => self.wifi_scan_done(result),
            BoardEvent::WifiChanged => {
                crate::components::wifi_watch::look_soon(&mut self.device.borrow_mut())
            }
            other => crate::api::route_board_event(&self.device, &self.states(), &other, limit),
        }
    }

    /// The station's changes: its status change is queued on the device (for transports and
    /// status handlers); scripts' `Wifi.changed` callbacks get the Smart.js codes.
    fn notice_wifi_changes(&mut self) {
        let codes = crate::components::wifi_watch::check(&mut self.device.borrow_mut());
        let limit = self.config.limits.job_queue;
        for code in codes {
            for r in &self.realms {
                r.state.borrow_mut().call_all(
                    &ListenerKind::WifiChanged,
                    &[Arg::Num(f64::from(code))],
                    limit,
                );
            }
        }
    }

    /// A Wi-Fi scan ended (or was given up): the `Wifi.Scan` calls and scripts' `Wifi.scan`
    /// callbacks waiting for it get the result, `cb(names)` or `cb(undefined, error)`.
    fn wifi_scan_done(&mut self, result: Result<Vec<crate::board::WifiNetwork>, String>) {
        use crate::components::wifi_scan;
        if !wifi_scan::finish(&mut self.device.borrow_mut(), &result) {
            return;
        }
        let args = match &result {
            Ok(networks) => alloc::vec![Arg::Json(json!(wifi_scan::names(networks)))],
            Err(e) => alloc::vec![Arg::Undefined, Arg::Str(e.clone().into_bytes())],
        };
        let limit = self.config.limits.job_queue;
        for r in &self.realms {
            let mut st = r.state.borrow_mut();
            let waiting: Vec<u32> = st
                .listeners
                .iter()
                .filter(|l| matches!(l.kind, ListenerKind::WifiScan))
                .map(|l| l.handle)
                .collect();
            for handle in waiting {
                if let Some(l) = st.take_listener(handle) {
                    st.call_listener(&l, args.clone(), limit, true);
                }
            }
        }
    }

    fn states(&self) -> Vec<Rc<RefCell<ScriptState>>> {
        self.realms.iter().map(|r| r.state.clone()).collect()
    }

    /// Events and status changes: to the transports' outbox and to scripts' handlers.
    fn deliver_device_events(&mut self) {
        let limit = self.config.limits.job_queue;
        loop {
            let ev = self.device.borrow_mut().events.pop_front();
            let Some(ev) = ev else { break };
            let (arg, is_status) = {
                let mut d = self.device.borrow_mut();
                let ts = d.ts();
                match &ev {
                    DeviceEvent::Event(e) => {
                        d.notify(Notification {
                            method: "NotifyEvent",
                            params: json!({"ts": ts, "events": [e]}),
                        });
                        let key = String::from(e["component"].as_str().unwrap_or(""));
                        let (name, id) = crate::components::parse_key(&key);
                        (
                            json!({"component": key, "name": name, "id": id, "now": ts, "info": e}),
                            false,
                        )
                    }
                    DeviceEvent::Status { key, delta } => {
                        let mut params = json!({"ts": ts});
                        params[key.as_str()] = delta.clone();
                        d.notify(Notification {
                            method: "NotifyStatus",
                            params,
                        });
                        let (name, id) = crate::components::parse_key(key);
                        (
                            json!({"component": key, "name": name, "id": id, "delta": delta}),
                            true,
                        )
                    }
                }
            };
            crate::api::on_device_event(&self.device, &ev);
            let kind = if is_status {
                ListenerKind::Status
            } else {
                ListenerKind::Event
            };
            for r in &self.realms {
                r.state
                    .borrow_mut()
                    .call_all(&kind, &[Arg::Json(arg.clone())], limit);
            }
        }
    }

    fn fire_timers(&mut self) {
        let now = self.device.borrow().now_ms();
        let limit = self.config.limits.job_queue;
        for r in &self.realms {
            let mut st = r.state.borrow_mut();
            for (handle, repeat) in crate::api::timer::due(&st.listeners, now) {
                if repeat {
                    let Some(l) = st.listeners.iter_mut().find(|l| l.handle == handle) else {
                        continue;
                    };
                    if let ListenerKind::Timer {
                        due_ms, period_ms, ..
                    } = &mut l.kind
                    {
                        let period = (*period_ms).max(1);
                        *due_ms = due_ms.saturating_add(period);
                        if *due_ms <= now {
                            *due_ms = now.saturating_add(period);
                        }
                    }
                    let l = l.clone();
                    st.call_listener(&l, Vec::new(), limit, false);
                } else if let Some(l) = st.take_listener(handle) {
                    st.call_listener(&l, Vec::new(), limit, true);
                }
            }
        }
    }

    /// `Shelly.call`s the scripts made: dispatch them and route the answers.
    fn dispatch_script_calls(&mut self) {
        loop {
            let mut calls = Vec::new();
            for r in &self.realms {
                let mut st = r.state.borrow_mut();
                for c in st.outgoing_rpc.drain(..) {
                    calls.push((r.id, c));
                }
            }
            if calls.is_empty() {
                break;
            }
            for (id, (handle, method, params)) in calls {
                match self.rpc(&method, params, Origin::Script(id)) {
                    RpcReply::Done(r) => self.answer_script(id, handle, r),
                    RpcReply::Pending(token) => {
                        self.pending
                            .insert(token, PendingDest::Script { id, handle });
                        if let Some(idx) = self.realm_index(id) {
                            let mut st = self.realms[idx].state.borrow_mut();
                            if let Some(l) = st.listeners.iter_mut().find(|l| l.handle == handle) {
                                l.kind = ListenerKind::RpcCall { token };
                            }
                        }
                    }
                }
            }
        }
    }

    fn answer_script(&mut self, id: u32, handle: u32, r: Result<Json, RpcError>) {
        let Some(idx) = self.realm_index(id) else {
            return;
        };
        let limit = self.config.limits.job_queue;
        let mut st = self.realms[idx].state.borrow_mut();
        let Some(l) = st.take_listener(handle) else {
            return;
        };
        let args = match r {
            Ok(j) => alloc::vec![Arg::Json(j), Arg::Num(0.0), Arg::Str(Vec::new())],
            Err(e) => alloc::vec![
                Arg::Undefined,
                Arg::Num(e.code as f64),
                Arg::Str(e.message.into_bytes())
            ],
        };
        if l.callback == NO_PIN {
            st.release_pins(&l);
        } else {
            st.call_listener(&l, args, limit, true);
        }
    }

    fn deliver_rpc_done(&mut self) {
        loop {
            let done = self.device.borrow_mut().rpc_done.pop_front();
            let Some((token, r)) = done else { break };
            match self.pending.remove(&token) {
                // Answers to requests that came over MQTT are published, not handed on.
                Some(PendingDest::Transport)
                    if crate::api::mqtt::take_rpc_answer(&self.device, token, &r) => {}
                Some(PendingDest::Transport) => self.transport_done.push_back((token, r)),
                Some(PendingDest::Script { id, handle }) => self.answer_script(id, handle, r),
                None => {}
            }
        }
    }

    // ----- for RPC methods -----

    /// The shared state of running script `id`.
    pub(crate) fn script_state(&self, id: u32) -> Option<Rc<RefCell<ScriptState>>> {
        self.realm_index(id).map(|i| self.realms[i].state.clone())
    }

    pub(crate) fn device_ref(&self) -> &Rc<RefCell<Device>> {
        &self.device
    }

    /// A script's record, or `NOT_FOUND`.
    pub(crate) fn record(&self, id: u32) -> Result<ScriptRecord, RpcError> {
        self.device
            .borrow()
            .scripts
            .iter()
            .find(|r| r.id == id)
            .cloned()
            .ok_or_else(|| RpcError::not_found(format!("no script with id {id}")))
    }
}

/// Make a job argument into a value of `vm`'s realm.
fn make_arg(vm: &mut ferrite_engine::Vm, a: &Arg) -> Value {
    let r = match a {
        Arg::Undefined => Ok(Value::UNDEFINED),
        Arg::Null => Ok(Value::NULL),
        Arg::Bool(b) => Ok(Value::bool(*b)),
        Arg::Num(n) => Ok(Value::number(*n)),
        Arg::Str(s) => vm.new_string(s),
        Arg::Json(j) => crate::json::to_js(vm, j),
        Arg::Pinned(p) => Ok(vm.pinned(*p)),
        Arg::HostObject { tag, id, proto } => {
            let p = vm.pinned(*proto).as_object();
            vm.new_host_object(p, *tag, *id)
        }
        Arg::Object(fields) => vm.new_object().inspect(|&obj| {
            let mark = vm.push_root(obj);
            for (k, a) in fields {
                let v = make_arg(vm, a);
                vm.push_root(v);
                let key = vm.key(k);
                let _ = vm.set(obj, key, v, false);
            }
            vm.truncate_roots(mark);
        }),
    };
    r.unwrap_or(Value::UNDEFINED)
}

/// Status of a component for scripts (`Shelly.getComponentStatus`), including `script:<id>`.
pub fn component_status(dev: &Rc<RefCell<Device>>, kind: &str, id: Option<u32>) -> Option<Json> {
    let mut d = dev.borrow_mut();
    if kind == "script" {
        return d
            .scripts
            .iter()
            .find(|r| Some(r.id) == id)
            .map(|r| r.status_json());
    }
    crate::components::status(&mut d, kind, id)
        .or_else(|| crate::api::extra_component_status(&mut d, kind, id))
}

/// Config of a component for scripts (`Shelly.getComponentConfig`).
pub fn component_config(dev: &Rc<RefCell<Device>>, kind: &str, id: Option<u32>) -> Option<Json> {
    let d = dev.borrow();
    if kind == "script" {
        return d
            .scripts
            .iter()
            .find(|r| Some(r.id) == id)
            .map(|r| r.config_json());
    }
    crate::components::config(&d, kind, id)
        .or_else(|| crate::api::extra_component_config(&d, kind, id))
}

#[cfg(test)]
mod memory_tests {
    use alloc::boxed::Box;
    use alloc::rc::Rc;
    use core::cell::Cell;
    use core::sync::atomic::{AtomicUsize, Ordering};

    use crate::json::json;
    use crate::rpc::{code, Origin, RpcReply};
    use crate::sim::{MemStorage, SimBoard, VirtualClock};
    use crate::testing::{log_lines, ok, run, start_script, ProbeSystem};
    use crate::{Runtime, RuntimeConfig};

    fn runtime(free: &Rc<Cell<usize>>, lazy_console_realm: bool) -> Runtime {
        let board = SimBoard::new(
            Box::new(VirtualClock::new(None)),
            Box::new(MemStorage::new(64 * 1024)),
            Box::new(ProbeSystem::with_heap(free.clone())),
        );
        let config = RuntimeConfig {
            lazy_console_realm,
            ..RuntimeConfig::default()
        };
        let mut rt = Runtime::new(Box::new(board), config);
        rt.boot();
        rt
    }

    #[test]
    fn a_script_starts_only_when_its_realm_fits_the_heap() {
        let free = Rc::new(Cell::new(100 * 1024));
        let mut rt = runtime(&free, true);
        ok(rt.rpc("Script.Create", json!({"name": "s"}), Origin::Transport));
        ok(rt.rpc(
            "Script.PutCode",
            json!({"id": 1, "code": "print('up')"}),
            Origin::Transport,
        ));
        match rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport) {
            RpcReply::Done(Err(e)) => {
                assert_eq!(e.code, code::RESOURCE_EXHAUSTED, "{e}");
                assert!(e.message.contains("not enough memory"), "{e}");
            }
            other => panic!("started in 100 KiB: {other:?}"),
        }
        assert!(!rt.is_running(1));
        let status = rt.rpc("Script.GetStatus", json!({"id": 1}), Origin::Transport);
        match status {
            RpcReply::Done(Ok(s)) => assert_eq!(s["running"], json!(false), "{s:?}"),
            other => panic!("{other:?}"),
        }
        // The console's realm is refused the same way, and says so.
        rt.console_eval(b"1 + 1");
        run(&mut rt);
        assert!(
            log_lines(&rt)
                .iter()
                .any(|l| l.contains("not enough memory")),
            "{:?}",
            log_lines(&rt)
        );
        // With room, both start.
        free.set(1 << 20);
        ok(rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport));
        rt.console_eval(b"print('console ' + (40 + 2))");
        run(&mut rt);
        let lines = log_lines(&rt);
        assert!(lines.iter().any(|l| l == "up"), "{lines:?}");
        assert!(lines.iter().any(|l| l == "console 42"), "{lines:?}");
    }

    /// The fixed heap's free bytes as the probe reports them: each look finds 1 KiB fewer, as
    /// if the script's growth (and the device's) took them.
    static SHRINKING_FREE: AtomicUsize = AtomicUsize::new(0);

    fn shrinking_free() -> usize {
        SHRINKING_FREE.fetch_sub(1024, Ordering::SeqCst)
    }

    #[test]
    fn a_growing_script_leaves_the_device_its_reserve() {
        let reserve = crate::Limits::default().heap_reserve;
        SHRINKING_FREE.store(reserve + 16 * 1024, Ordering::SeqCst);
        let free = Rc::new(Cell::new(1 << 20));
        let board = SimBoard::new(
            Box::new(VirtualClock::new(None)),
            Box::new(MemStorage::new(64 * 1024)),
            Box::new({
                let mut system = ProbeSystem::with_heap(free);
                system.probe = Some(shrinking_free);
                system
            }),
        );
        // Far below its 256 KiB budget, the script runs out of memory at the device's floor
        // and is aborted as at its budget; the device answers on.
        let code = "let kept = [];\n\
            for (let i = 0; i < 100000; i++) kept.push({ i: i, s: 'item ' + i });";
        let mut rt = start_script(board, RuntimeConfig::default(), code);
        let lines = log_lines(&rt);
        assert!(
            lines
                .iter()
                .any(|l| l.ends_with("RangeError: out of memory: the device's heap is nearly full")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l == "script:1 aborted (out_of_memory)"),
            "{lines:?}"
        );
        assert!(!rt.is_running(1));
        ok(rt.rpc("Shelly.GetStatus", json!({}), Origin::Transport));
    }

    #[test]
    fn the_console_realm_is_made_at_boot_unless_lazy() {
        let free = Rc::new(Cell::new(1 << 20));
        assert!(runtime(&free, false).is_running(crate::CONSOLE_ID));
        assert!(!runtime(&free, true).is_running(crate::CONSOLE_ID));
    }
}

#[cfg(test)]
mod watchdog_tests {
    use alloc::boxed::Box;
    use alloc::rc::Rc;
    use alloc::string::String;
    use alloc::vec::Vec;
    use core::cell::Cell;

    use crate::board::{BoardResult, Clock};
    use crate::json::json;
    use crate::rpc::Origin;
    use crate::sim::{I2cDevice, MemStorage, SimBoard, SimSystem, VirtualClock};
    use crate::testing::{ok, ProbeSystem};
    use crate::{Runtime, RuntimeConfig};

    /// An I2C part on which every write takes `ms` of the board's (virtual) time.
    struct SlowPart {
        clock: VirtualClock,
        ms: u64,
        writes: Rc<Cell<u32>>,
    }

    impl I2cDevice for SlowPart {
        fn write(&mut self, _data: &[u8]) -> BoardResult<()> {
            self.clock.advance(self.ms);
            self.writes.set(self.writes.get() + 1);
            Ok(())
        }
        fn read(&mut self, _buf: &mut [u8]) -> BoardResult<()> {
            Ok(())
        }
    }

    #[test]
    fn time_on_a_slow_bus_ends_the_slice_and_then_the_turn() {
        let clock = VirtualClock::new(None);
        let writes = Rc::new(Cell::new(0));
        let board = SimBoard::new(
            Box::new(clock.clone()),
            Box::new(MemStorage::new(0)),
            Box::new(SimSystem::new(1, [0; 6])),
        );
        board.handle().attach_i2c(
            0,
            0x30,
            Box::new(SlowPart {
                clock: clock.clone(),
                ms: 5,
                writes: writes.clone(),
            }),
        );
        let config = RuntimeConfig {
            slices_per_poll: 1,
            ..RuntimeConfig::default()
        };
        let limits = config.limits.clone();
        let mut rt = Runtime::new(Box::new(board), config);
        rt.boot();
        ok(rt.rpc("Script.Create", json!({"name": "bus"}), Origin::Transport));
        let code = "let i2c = new I2C(4, 5); for (;;) i2c.writeRegB(0x30, 0, 1);";
        ok(rt.rpc(
            "Script.PutCode",
            json!({"id": 1, "code": code}),
            Origin::Transport,
        ));
        ok(rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport));
        // One slice: its fuel buys `slice_fuel / fuel_per_board_ms` ms of bus time (20 ms:
        // four 5 ms writes). Uncharged, the loop would write thousands of times.
        assert!(rt.poll().busy);
        let per_slice = limits.slice_fuel / (5 * limits.fuel_per_board_ms);
        assert!(
            (per_slice..=per_slice + 1).contains(&u64::from(writes.get())),
            "{} writes in one slice, expected about {per_slice}",
            writes.get()
        );
        // The turn runs out after `turn_fuel / fuel_per_board_ms` ms of bus time (10 s).
        let mut polls = 0;
        while rt.poll().busy {
            polls += 1;
            assert!(polls < 10_000, "the bus loop was never aborted");
        }
        let bus_ms = limits.turn_fuel / limits.fuel_per_board_ms;
        let spent = clock.now_ms();
        assert!(
            (bus_ms..=bus_ms + 10).contains(&spent),
            "aborted after {spent} ms of bus time, expected about {bus_ms}"
        );
        let errors: Vec<String> = crate::testing::log_lines(&rt)
            .into_iter()
            .filter(|l| l.contains("CPU budget"))
            .collect();
        assert_eq!(errors.len(), 1, "{:?}", crate::testing::log_lines(&rt));
    }

    #[test]
    fn the_watchdog_is_fed_after_every_script_slice() {
        let system = ProbeSystem::new();
        let feeds = system.feeds.clone();
        let board = SimBoard::new(
            Box::new(VirtualClock::new(None)),
            Box::new(MemStorage::new(0)),
            Box::new(system),
        );
        let config = RuntimeConfig::default();
        let slices = config.slices_per_poll;
        let mut rt = Runtime::new(Box::new(board), config);
        rt.boot();
        ok(rt.rpc("Script.Create", json!({"name": "busy"}), Origin::Transport));
        ok(rt.rpc(
            "Script.PutCode",
            json!({"id": 1, "code": "let n = 0; for (;;) { n++; }"}),
            Origin::Transport,
        ));
        ok(rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport));
        feeds.set(0);
        // One poll runs `slices` slices of the endless loop (far below its turn's fuel).
        assert!(rt.poll().busy);
        // Once at the start, then after each slice (and after each idle look at the console).
        assert!(
            feeds.get() > slices,
            "{} feeds for {slices} slices",
            feeds.get()
        );
    }
}
