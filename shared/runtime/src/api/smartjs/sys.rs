//! Smart.js system calls: `Wifi`, `OS.wdt_feed`, `usleep`, `GC.stat`, `Debug.mode/print`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use ferrite_engine::vm::ErrorKind;
use ferrite_engine::{Value, Vm};

use super::{entry, int_arg, with_state};
use crate::api::description::ApiEntry;
use crate::host::{ctx, pin_function};
use crate::json::{self, json};
use crate::log::Level;
use crate::script::{ListenerKind, NO_PIN};

/// The longest `usleep`: the event loop must not stall longer.
pub const MAX_USLEEP_US: f64 = 100_000.0;

fn no_wifi(vm: &mut Vm, what: &str) -> Value {
    vm.make_error(
        ErrorKind::Error,
        &format!("{what}: Wifi is not available on this board"),
    )
}

/// `Wifi.status()` → `"got ip"`, `"connected"`, `"connecting"` or `"disconnected"`.
fn wifi_status(vm: &mut Vm, _this: Value, _args: &[Value]) -> Result<Value, Value> {
    let host = ctx(vm)?;
    let st = host.device.borrow_mut().board.wifi().map(|w| w.status());
    match st {
        Some(s) => vm.new_str(s.state()),
        None => Err(no_wifi(vm, "Wifi.status")),
    }
}

/// `Wifi.setup(ssid, password)` → true if the connection was started.
fn wifi_setup(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let (a, b) = (Vm::arg(args, 0), Vm::arg(args, 1));
    if !a.is_string() || !(b.is_string() || b.is_undefined()) {
        return Err(vm.type_error("Wifi.setup: ssid and password must be strings"));
    }
    let ssid = String::from_utf8_lossy(vm.string_bytes(a)).into_owned();
    let pass = if b.is_undefined() {
        String::new()
    } else {
        String::from_utf8_lossy(vm.string_bytes(b)).into_owned()
    };
    let host = ctx(vm)?;
    let r = host
        .device
        .borrow_mut()
        .board
        .wifi()
        .map(|w| w.connect(&ssid, &pass));
    match r {
        Some(r) => Ok(Value::bool(r.is_ok())),
        None => Err(no_wifi(vm, "Wifi.setup")),
    }
}

/// `Wifi.ip()` → the station's address, or undefined while it has none.
fn wifi_ip(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let host = ctx(vm)?;
    let st = host.device.borrow_mut().board.wifi().map(|w| w.status());
    let Some(s) = st else {
        return Err(no_wifi(vm, "Wifi.ip"));
    };
    // Wifi.ip(1): the access point interface, which this runtime does not run.
    if int_arg(args, 0) == Some(1) {
        return Ok(Value::UNDEFINED);
    }
    match s.ip {
        Some(ip) => vm.new_str(&ip),
        None => Ok(Value::UNDEFINED),
    }
}

/// `Wifi.show()` → the SSID, or undefined.
fn wifi_show(vm: &mut Vm, _this: Value, _args: &[Value]) -> Result<Value, Value> {
    let host = ctx(vm)?;
    let st = host.device.borrow_mut().board.wifi().map(|w| w.status());
    match st {
        Some(s) => match s.ssid {
            Some(n) => vm.new_str(&n),
            None => Ok(Value::UNDEFINED),
        },
        None => Err(no_wifi(vm, "Wifi.show")),
    }
}

/// `Wifi.scan(cb)`: scan for networks; `cb(names)` when the scan ends (strongest first, each
/// name once), `cb(undefined, error)` when it fails. Calls made while a scan runs share it.
fn wifi_scan(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let host = ctx(vm)?;
    if host.device.borrow_mut().board.wifi().is_none() {
        return Err(no_wifi(vm, "Wifi.scan"));
    }
    let cb = pin_function(vm, args, 0, "Wifi.scan: cb")?;
    let (limit, job_limit) = {
        let d = host.device.borrow();
        (d.limits.rpc_calls, d.limits.job_queue)
    };
    let family = ListenerKind::WifiScan.family();
    if host.state.borrow().count(family) >= limit {
        vm.unpin(cb);
        return Err(vm.range_error(&format!(
            "Wifi.scan: too many {family}: a script may have at most {limit}"
        )));
    }
    let started = crate::components::wifi_scan::begin(&mut host.device.borrow_mut());
    let mut st = host.state.borrow_mut();
    match started {
        Ok(()) => {
            if let Err(msg) = st.add_listener(ListenerKind::WifiScan, cb, NO_PIN, NO_PIN, limit) {
                drop(st);
                vm.unpin(cb);
                return Err(vm.range_error(&format!("Wifi.scan: {msg}")));
            }
        }
        Err(e) => super::call_later_with_error(&mut st, cb, e, job_limit),
    }
    Ok(Value::UNDEFINED)
}

/// `Wifi.changed(cb)`: `cb(code)` whenever the station changes: 0 joined a network, 1 left it,
/// 3 got an address. A script has one such callback: a new one replaces it, a non-function
/// removes it.
fn wifi_changed(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let host = ctx(vm)?;
    if host.device.borrow_mut().board.wifi().is_none() {
        return Err(no_wifi(vm, "Wifi.changed"));
    }
    {
        let mut st = host.state.borrow_mut();
        let old = st
            .listeners
            .iter()
            .find(|l| l.kind == ListenerKind::WifiChanged)
            .map(|l| l.handle);
        if let Some(handle) = old {
            st.remove_listener(handle, |k| *k == ListenerKind::WifiChanged);
        }
    }
    if !vm.is_callable(Vm::arg(args, 0)) {
        return Ok(Value::UNDEFINED);
    }
    let cb = pin_function(vm, args, 0, "Wifi.changed: cb")?;
    let r = host
        .state
        .borrow_mut()
        .add_listener(ListenerKind::WifiChanged, cb, NO_PIN, NO_PIN, 1);
    if let Err(msg) = r {
        vm.unpin(cb);
        return Err(vm.range_error(&format!("Wifi.changed: {msg}")));
    }
    Ok(Value::UNDEFINED)
}

/// `Wifi.mode(mode)`: true for 1 (station), the one mode this runtime runs; false for the
/// access point's 2 and 3, and anything else.
fn wifi_mode(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let host = ctx(vm)?;
    if host.device.borrow_mut().board.wifi().is_none() {
        return Err(no_wifi(vm, "Wifi.mode"));
    }
    Ok(Value::bool(int_arg(args, 0) == Some(1)))
}

/// `OS.wdt_feed()`: feed the hardware watchdog.
fn wdt_feed(vm: &mut Vm, _this: Value, _args: &[Value]) -> Result<Value, Value> {
    let host = ctx(vm)?;
    host.device.borrow_mut().board.system().feed_watchdog();
    Ok(Value::bool(true))
}

/// `usleep(us)`: the event loop never blocks, so this returns at once; more than 100 ms is
/// refused (use `setTimeout`).
fn usleep(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let Some(us) = Vm::arg(args, 0).as_number().filter(|n| !n.is_nan()) else {
        return Err(vm.type_error("usleep: num_microseconds must be a number"));
    };
    if !(0.0..=MAX_USLEEP_US).contains(&us) {
        return Err(vm.range_error(&format!(
            "usleep: {us} us is outside 0..{MAX_USLEEP_US}; the loop must not block (use setTimeout)"
        )));
    }
    Ok(Value::UNDEFINED)
}

/// `GC.stat()` → memory of the device (if the board knows it) and of this script's heap.
fn gc_stat(vm: &mut Vm, _this: Value, _args: &[Value]) -> Result<Value, Value> {
    let host = ctx(vm)?;
    let (total, free) = {
        let mut d = host.device.borrow_mut();
        let s = d.board.system();
        (s.ram_size(), s.ram_free())
    };
    let h = vm.heap_stats();
    let mut j = json!({
        "heap_total": h.budget, "used": h.used, "free": h.free,
        "objects": h.objects, "collections": h.collections,
    });
    if let Some(t) = total {
        j["sys_total"] = json!(t);
    }
    if let Some(f) = free {
        j["sys_free"] = json!(f);
    }
    json::to_js(vm, &j)
}

/// `Debug.mode(mode)`: 0 discards `Debug.print`, 1 (uart0) and 2 (uart1) send it to the
/// device log. Returns 0, or -1 for an unknown mode.
fn debug_mode(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let Some(m) = int_arg(args, 0).filter(|m| (0..=2).contains(m)) else {
        return Ok(Value::number(-1.0));
    };
    with_state(vm, |s| s.debug_mode = m as u32)?;
    Ok(Value::number(0.0))
}

/// `Debug.print(...)`: the arguments, as `print` shows them, as one line of the device log.
fn debug_print(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    if with_state(vm, |s| s.debug_mode)? == 0 {
        return Ok(Value::UNDEFINED);
    }
    let parts: Vec<String> = args.iter().map(|a| vm.display_string(*a)).collect();
    let line = parts.join(" ");
    let host = ctx(vm)?;
    host.device.borrow_mut().log(Level::Info, host.id, line);
    Ok(Value::UNDEFINED)
}

pub fn install(vm: &mut Vm) {
    vm.define_native_path("Wifi.status", 0, wifi_status);
    vm.define_native_path("Wifi.setup", 2, wifi_setup);
    vm.define_native_path("Wifi.ip", 1, wifi_ip);
    vm.define_native_path("Wifi.show", 0, wifi_show);
    vm.define_native_path("Wifi.scan", 1, wifi_scan);
    vm.define_native_path("Wifi.changed", 1, wifi_changed);
    vm.define_native_path("Wifi.mode", 1, wifi_mode);
    vm.define_native_path("OS.wdt_feed", 0, wdt_feed);
    vm.define_native_path("usleep", 1, usleep);
    vm.define_native_path("GC.stat", 0, gc_stat);
    vm.define_native_path("Debug.mode", 1, debug_mode);
    vm.define_native_path("Debug.print", 0, debug_print);
    // Debug output is on until a script turns it off.
    let _ = with_state(vm, |s| s.debug_mode = 1);
}

pub const DESCRIPTION: &[ApiEntry] = &[
    entry("Wifi.status", "() => \"got ip\" | \"connected\" | \"connecting\" | \"disconnected\"", "The station's state (throws if the board has no Wifi)."),
    entry("Wifi.setup", "(ssid: string, password?: string) => boolean", "Connect the station to a network."),
    entry("Wifi.ip", "(iface?: 0 | 1) => string | undefined", "The station's IP address (the access point, 1, is not run)."),
    entry("Wifi.show", "() => string | undefined", "The SSID the station uses."),
    entry("Wifi.scan", "(cb: (networks: string[] | undefined, error?: string) => void) => void", "Scan for networks: cb(names) when the scan ends (strongest first, each once), cb(undefined, error) if it fails."),
    entry("Wifi.changed", "(cb?: (code: 0 | 1 | 3) => void) => void", "cb(code) when the station changes: 0 joined a network, 1 left it, 3 got an address (one callback per script; no function removes it)."),
    entry("Wifi.mode", "(mode: 1 | 2 | 3) => boolean", "true for 1 (station), the one mode run; false for the access point's 2 and 3."),
    entry("OS.wdt_feed", "() => boolean", "Feed the hardware watchdog."),
    entry("usleep", "(microseconds: number) => void", "Accepted up to 100000 us and returns at once (the loop never blocks); longer is a RangeError."),
    entry("GC.stat", "() => { heap_total: number, used: number, free: number, objects: number, collections: number, sys_total?: number, sys_free?: number }", "Memory of this script's heap (and of the device, if the board knows it)."),
    entry("Debug.mode", "(mode: 0 | 1 | 2) => number", "0 discards Debug.print output, 1 or 2 logs it; 0 or -1 for a bad mode."),
    entry("Debug.print", "(...args: any[]) => void", "Log the arguments as one line of the device log (level info)."),
];
