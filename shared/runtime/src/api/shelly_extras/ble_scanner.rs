//! `BLE.Scanner`: one device-wide scan that one script starts (`Start`) and stops (`Stop`),
//! and one subscription per script (`Subscribe`, or `Start` with a callback) that receives
//! `SCAN_START`, `SCAN_RESULT` and `SCAN_STOP` events as `(event, result, userdata)`.
//! Advertisements come from the board as [`BoardEvent::BleAdvertisement`]; identical results
//! (same address, advertising data and scan response) are silenced for 3 seconds.
//!
//! The board has no BLE radio control: a target that has a radio delivers advertisements while
//! it scans, and this module decides which scripts see them (only while a scan runs).

use alloc::format;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use ferrite_engine::heap::Handle;
use ferrite_engine::{Value, Vm};

use crate::board::BoardEvent;
use crate::device::Device;
use crate::host::{ctx, pin_function, pin_userdata, unpin_all};
use crate::json::{self, json, Json};
use crate::script::{Arg, ListenerKind, ScriptState, NO_PIN};

type R = Result<Value, Value>;

pub const SCAN_START: i32 = 0;
pub const SCAN_STOP: i32 = 1;
pub const SCAN_RESULT: i32 = 2;
pub const INFINITE_SCAN: i64 = -1;

/// How long identical scan results are silenced.
pub const SILENCE_MS: u64 = 3000;
/// Fingerprints remembered for the silence; beyond, the oldest is forgotten (and may be
/// reported again within the silence).
pub const MAX_RECENT: usize = 64;

/// Scan options (`BLE.Scanner.Start`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanOptions {
    /// How long the scan runs; [`INFINITE_SCAN`] for ever.
    pub duration_ms: i64,
    /// Active scanning (asks for scan responses).
    pub active: bool,
    pub interval_ms: u32,
    pub window_ms: u32,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            duration_ms: 30_000,
            active: false,
            interval_ms: 320,
            window_ms: 30,
        }
    }
}

impl ScanOptions {
    pub fn to_json(&self) -> Json {
        json!({"duration_ms": self.duration_ms, "active": self.active,
               "interval_ms": self.interval_ms, "window_ms": self.window_ms})
    }

    /// The documented restrictions: window ≤ interval / 3, window ≤ 50 ms, duration at least
    /// three intervals (unless infinite).
    pub fn check(&self) -> Result<(), &'static str> {
        if self.interval_ms == 0 || self.window_ms == 0 {
            return Err("interval_ms and window_ms must be positive");
        }
        if self.window_ms as u64 * 3 > self.interval_ms as u64 {
            return Err("window_ms must not be longer than a third of interval_ms");
        }
        if self.window_ms > 50 {
            return Err("window_ms must be at most 50");
        }
        if self.duration_ms != INFINITE_SCAN && self.duration_ms < 3 * self.interval_ms as i64 {
            return Err("duration_ms must be at least 3 scan intervals");
        }
        Ok(())
    }
}

/// The device's scanner.
#[derive(Debug, Default)]
pub struct Scanner {
    /// The running scan: its options, the script that started it and when.
    pub running: Option<RunningScan>,
    /// Results recently delivered: (fingerprint, when), for the 3-second silence.
    recent: Vec<(u64, u64)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunningScan {
    pub options: ScanOptions,
    pub owner: u32,
    pub started_ms: u64,
}

impl RunningScan {
    fn end_ms(&self) -> Option<u64> {
        (self.options.duration_ms >= 0).then(|| self.started_ms + self.options.duration_ms as u64)
    }
}

/// Queue `(event, result)` for every scan subscriber among `scripts`.
fn deliver(scripts: &[Rc<RefCell<ScriptState>>], event: i32, result: &Arg, limit: usize) {
    for s in scripts {
        let Ok(mut st) = s.try_borrow_mut() else {
            continue;
        };
        let l = st
            .listeners
            .iter()
            .find(|l| l.kind == ListenerKind::BleScan)
            .cloned();
        if let Some(l) = l {
            st.call_listener(
                &l,
                alloc::vec![Arg::Num(event as f64), result.clone()],
                limit,
                false,
            );
        }
    }
}

fn all_states(d: &mut Device) -> Vec<Rc<RefCell<ScriptState>>> {
    d.extras.live_realms().into_iter().map(|(_, s)| s).collect()
}

/// End the running scan (if any) and tell the subscribers.
fn stop_scan(d: &mut Device) {
    if d.extras.ble.running.take().is_some() {
        let limit = d.limits.job_queue;
        let states = all_states(d);
        deliver(&states, SCAN_STOP, &Arg::Null, limit);
    }
}

/// Scans that reached their duration, or whose script is gone, stop.
pub fn tick(d: &mut Device) {
    let Some(scan) = d.extras.ble.running else {
        return;
    };
    let now = d.now_ms();
    let expired = scan.end_ms().is_some_and(|end| now >= end);
    if expired || !d.extras.realm_alive(scan.owner) {
        stop_scan(d);
    }
}

pub fn next_deadline(d: &Device) -> Option<u64> {
    d.extras.ble.running.and_then(|s| s.end_ms())
}

fn fingerprint(addr: &str, adv: &[u8], rsp: &[u8]) -> u64 {
    crate::codec::fnv1a(&[addr.as_bytes(), &[0xff], adv, &[0xfe], rsp])
}

/// An advertisement from the board: a `SCAN_RESULT` for subscribers while a scan runs.
pub fn on_advertisement(
    device: &Rc<RefCell<Device>>,
    scripts: &[Rc<RefCell<ScriptState>>],
    event: &BoardEvent,
    limit: usize,
) {
    let BoardEvent::BleAdvertisement {
        addr,
        addr_type,
        rssi,
        adv_data,
        scan_rsp,
    } = event
    else {
        return;
    };
    let mut d = device.borrow_mut();
    tick(&mut d);
    let Some(scan) = d.extras.ble.running else {
        return;
    };
    let now = d.now_ms();
    let fp = fingerprint(addr, adv_data, scan_rsp);
    let ble = &mut d.extras.ble;
    ble.recent.retain(|(_, t)| now < t + SILENCE_MS);
    if ble.recent.iter().any(|(f, _)| *f == fp) {
        return;
    }
    if ble.recent.len() >= MAX_RECENT {
        ble.recent.remove(0);
    }
    ble.recent.push((fp, now));
    drop(d);
    // A passive scan gets no scan responses.
    let rsp = if scan.options.active {
        scan_rsp.clone()
    } else {
        Vec::new()
    };
    let result = Arg::Object(alloc::vec![
        ("addr".into(), Arg::Str(addr.clone().into_bytes())),
        ("addr_type".into(), Arg::Num(*addr_type as f64)),
        ("rssi".into(), Arg::Num(*rssi as f64)),
        ("advData".into(), Arg::Str(adv_data.clone())),
        ("scanRsp".into(), Arg::Str(rsp)),
    ]);
    deliver(scripts, SCAN_RESULT, &result, limit);
}

// ----- the script API -----

/// Replace this script's subscription by `(cb, ud)` (none if `cb` is `NO_PIN`).
fn subscribe_pins(vm: &mut Vm, cb: u32, ud: u32) -> Result<(), Value> {
    let host = ctx(vm)?;
    let mut st = host.state.borrow_mut();
    let old: Vec<u32> = st
        .listeners
        .iter()
        .filter(|l| l.kind == ListenerKind::BleScan)
        .map(|l| l.handle)
        .collect();
    for h in old {
        st.remove_listener(h, |k| *k == ListenerKind::BleScan);
    }
    if cb != NO_PIN {
        if let Err(msg) = st.add_listener(ListenerKind::BleScan, cb, ud, NO_PIN, 1) {
            drop(st);
            unpin_all(vm, &[cb, ud]);
            return Err(vm.range_error(&format!("BLE.Scanner.Subscribe: {msg}")));
        }
    } else if ud != NO_PIN {
        st.unpin_queue.push(ud);
    }
    Ok(())
}

/// `Subscribe(callback | null[, userdata])`.
fn subscribe(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let cb = if Vm::arg(args, 0).is_null() {
        NO_PIN
    } else {
        pin_function(vm, args, 0, "BLE.Scanner.Subscribe: callback")?
    };
    let ud = pin_userdata(vm, args, 1);
    subscribe_pins(vm, cb, ud)?;
    Ok(Value::UNDEFINED)
}

fn options_arg(vm: &mut Vm, v: Value) -> Result<ScanOptions, Value> {
    let mut o = ScanOptions::default();
    if v.is_nullish() {
        return Ok(o);
    }
    if !v.is_object() {
        return Err(vm.type_error("BLE.Scanner.Start: options must be an object"));
    }
    let j = json::from_js(vm, v)?;
    let num = |vm: &mut Vm, k: &str| -> Result<Option<f64>, Value> {
        match j.get(k) {
            None | Some(Json::Null) => Ok(None),
            Some(n) => match n
                .as_f64()
                .and_then(|n| crate::host::whole_in(Value::number(n), f64::MIN, f64::MAX))
            {
                Some(n) => Ok(Some(n)),
                None => Err(vm.type_error(&format!("BLE.Scanner.Start: {k} must be an integer"))),
            },
        }
    };
    if let Some(d) = num(vm, "duration_ms")? {
        if d < 0.0 && d != INFINITE_SCAN as f64 {
            return Err(vm.type_error(
                "BLE.Scanner.Start: duration_ms must be positive or BLE.Scanner.INFINITE_SCAN",
            ));
        }
        o.duration_ms = d as i64;
    }
    for (k, slot) in [
        ("interval_ms", &mut o.interval_ms),
        ("window_ms", &mut o.window_ms),
    ] {
        if let Some(n) = num(vm, k)? {
            if !(0.0..=u32::MAX as f64).contains(&n) {
                return Err(vm.type_error(&format!("BLE.Scanner.Start: {k} must be positive")));
            }
            *slot = n as u32;
        }
    }
    match j.get("active") {
        None | Some(Json::Null) => {}
        Some(Json::Bool(b)) => o.active = *b,
        Some(_) => return Err(vm.type_error("BLE.Scanner.Start: active must be a boolean")),
    }
    Ok(o)
}

/// `Start(options[, callback[, userdata]])`: the scan's options, or `null` if it did not start.
fn start(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let options = options_arg(vm, Vm::arg(args, 0))?;
    if !Vm::arg(args, 1).is_nullish() {
        let cb = pin_function(vm, args, 1, "BLE.Scanner.Start: callback")?;
        let ud = pin_userdata(vm, args, 2);
        subscribe_pins(vm, cb, ud)?;
    }
    let host = ctx(vm)?;
    let mut d = host.device.borrow_mut();
    if options.check().is_err() || d.extras.ble.running.is_some() {
        return Ok(Value::NULL);
    }
    let now = d.now_ms();
    d.extras.ble.running = Some(RunningScan {
        options,
        owner: host.id,
        started_ms: now,
    });
    let limit = d.limits.job_queue;
    let states = all_states(&mut d);
    drop(d);
    deliver(&states, SCAN_START, &Arg::Null, limit);
    json::to_js(vm, &options.to_json())
}

/// `Stop()`: only the script that started the scan can stop it.
fn stop(vm: &mut Vm, _this: Value, _args: &[Value]) -> R {
    let host = ctx(vm)?;
    let mut d = host.device.borrow_mut();
    match d.extras.ble.running {
        Some(s) if s.owner == host.id => {
            stop_scan(&mut d);
            Ok(Value::bool(true))
        }
        _ => Ok(Value::bool(false)),
    }
}

fn is_running(vm: &mut Vm, _this: Value, _args: &[Value]) -> R {
    let host = ctx(vm)?;
    let mut d = host.device.borrow_mut();
    tick(&mut d);
    Ok(Value::bool(d.extras.ble.running.is_some()))
}

fn get_scan_options(vm: &mut Vm, _this: Value, _args: &[Value]) -> R {
    let host = ctx(vm)?;
    let o = {
        let mut d = host.device.borrow_mut();
        tick(&mut d);
        d.extras.ble.running.map(|s| s.options).unwrap_or_default()
    };
    json::to_js(vm, &o.to_json())
}

/// The object `BLE.<name>` (created if missing).
pub fn namespace(vm: &mut Vm, name: &str) -> Handle {
    vm.define_namespace(&format!("BLE.{name}"))
}

pub fn install(vm: &mut Vm) {
    vm.define_native_path("BLE.Scanner.Subscribe", 2, subscribe);
    vm.define_native_path("BLE.Scanner.Start", 3, start);
    vm.define_native_path("BLE.Scanner.Stop", 0, stop);
    vm.define_native_path("BLE.Scanner.isRunning", 0, is_running);
    vm.define_native_path("BLE.Scanner.GetScanOptions", 0, get_scan_options);
    let sc = namespace(vm, "Scanner");
    for (name, v) in [
        ("SCAN_START", SCAN_START as f64),
        ("SCAN_STOP", SCAN_STOP as f64),
        ("SCAN_RESULT", SCAN_RESULT as f64),
        ("INFINITE_SCAN", INFINITE_SCAN as f64),
    ] {
        let k = vm.key(name);
        vm.define_value(sc, k, Value::number(v), 0);
    }
}
