//! The `Shelly` object: `call`, event and status handlers, `emitEvent`, component config and
//! status, device info, the current script id.

use alloc::string::String;

use ferrite_engine::{Value, Vm};

use crate::components;
use crate::host::{ctx, pin_optional_function, pin_userdata, unpin_all};
use crate::json::{self, Json};
use crate::script::{ListenerKind, NO_PIN};

type R = Result<Value, Value>;

/// `Shelly.call(method, params[, callback[, userdata]])`.
fn call(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let m = Vm::arg(args, 0);
    if !m.is_string() {
        return Err(vm.type_error("Shelly.call: method must be a string"));
    }
    let method: String = vm.arg_as(args, 0)?;
    let p = Vm::arg(args, 1);
    let params = if p.is_nullish() {
        Json::Null
    } else if p.is_string() {
        // Shelly accepts params as a JSON text too.
        let text: String = vm.arg_as(args, 1)?;
        json::parse(text.as_bytes())
            .map_err(|e| vm.type_error(&alloc::format!("Shelly.call: params is not JSON: {e}")))?
    } else if p.is_object() {
        json::from_js(vm, p)?
    } else {
        return Err(vm.type_error("Shelly.call: params must be an object or a string"));
    };
    let cb = pin_optional_function(vm, args, 2, "Shelly.call: callback")?;
    let ud = pin_userdata(vm, args, 3);
    let host = ctx(vm)?;
    let limit = host.device.borrow().limits.rpc_calls;
    let mut st = host.state.borrow_mut();
    match st.add_listener(ListenerKind::RpcCall { token: 0 }, cb, ud, NO_PIN, limit) {
        Ok(h) => {
            st.outgoing_rpc.push((h, method, params));
            Ok(Value::UNDEFINED)
        }
        Err(msg) => {
            drop(st);
            unpin_all(vm, &[cb, ud]);
            Err(vm.range_error(&alloc::format!("Shelly.call: {msg}")))
        }
    }
}

fn add_handler(vm: &mut Vm, args: &[Value], status: bool) -> R {
    let name = if status {
        "Shelly.addStatusHandler"
    } else {
        "Shelly.addEventHandler"
    };
    if !vm.is_callable(Vm::arg(args, 0)) {
        return Err(vm.type_error(&alloc::format!("{name}: callback must be a function")));
    }
    let cb = pin_optional_function(vm, args, 0, name)?;
    let ud = pin_userdata(vm, args, 1);
    let host = ctx(vm)?;
    let limits = host.device.borrow().limits.clone();
    let (kind, limit) = if status {
        (ListenerKind::Status, limits.status_handlers)
    } else {
        (ListenerKind::Event, limits.event_handlers)
    };
    let r = host
        .state
        .borrow_mut()
        .add_listener(kind, cb, ud, NO_PIN, limit);
    match r {
        Ok(h) => Ok(Value::number(h as f64)),
        Err(msg) => {
            unpin_all(vm, &[cb, ud]);
            Err(vm.range_error(&alloc::format!("{name}: {msg}")))
        }
    }
}

fn add_event_handler(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    add_handler(vm, args, false)
}

fn add_status_handler(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    add_handler(vm, args, true)
}

/// true if removed, false if not found, undefined if the handle is invalid.
fn remove_handler(vm: &mut Vm, args: &[Value], status: bool) -> R {
    let Some(n) = crate::host::whole_in(Vm::arg(args, 0), 1.0, u32::MAX as f64) else {
        return Ok(Value::UNDEFINED);
    };
    let host = ctx(vm)?;
    let removed = host.state.borrow_mut().remove_listener(n as u32, |k| {
        if status {
            matches!(k, ListenerKind::Status)
        } else {
            matches!(k, ListenerKind::Event)
        }
    });
    Ok(Value::bool(removed))
}

fn remove_event_handler(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    remove_handler(vm, args, false)
}

fn remove_status_handler(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    remove_handler(vm, args, true)
}

/// `Shelly.emitEvent(name, data)`: an event of component `script:<id>`.
fn emit_event(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    if !Vm::arg(args, 0).is_string() {
        return Err(vm.type_error("Shelly.emitEvent: name must be a string"));
    }
    let name: String = vm.arg_as(args, 0)?;
    let data = json::from_js(vm, Vm::arg(args, 1))?;
    let host = ctx(vm)?;
    host.device
        .borrow_mut()
        .emit_event("script", Some(host.id), &name, Some(data));
    Ok(Value::UNDEFINED)
}

/// `(type_or_key, id)` → `(type, id)`.
fn component_args(vm: &mut Vm, args: &[Value], what: &str) -> Result<(String, Option<u32>), Value> {
    if !Vm::arg(args, 0).is_string() {
        return Err(vm.type_error(&alloc::format!("{what}: type_or_key must be a string")));
    }
    let key: String = vm.arg_as(args, 0)?;
    let (kind, id) = components::parse_key(&key);
    let id = match (id, Vm::arg(args, 1)) {
        (Some(id), _) => Some(id),
        (None, v) if v.is_undefined() => None,
        (None, v) => match crate::host::whole_in(v, 0.0, f64::MAX) {
            Some(n) => Some(n as u32),
            _ => return Err(vm.type_error(&alloc::format!("{what}: id must be a number"))),
        },
    };
    Ok((String::from(kind), id))
}

fn get_component_config(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let (kind, id) = component_args(vm, args, "Shelly.getComponentConfig")?;
    let host = ctx(vm)?;
    let cfg = crate::runtime::component_config(&host.device, &kind, id);
    match cfg {
        Some(j) => json::to_js(vm, &j),
        None => Ok(Value::NULL),
    }
}

fn get_component_status(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let (kind, id) = component_args(vm, args, "Shelly.getComponentStatus")?;
    let host = ctx(vm)?;
    let st = crate::runtime::component_status(&host.device, &kind, id);
    match st {
        Some(j) => json::to_js(vm, &j),
        None => Ok(Value::NULL),
    }
}

fn get_device_info(vm: &mut Vm, _this: Value, _args: &[Value]) -> R {
    let host = ctx(vm)?;
    let j = crate::rpc::device_info(&host.device.borrow());
    json::to_js(vm, &j)
}

fn get_current_script_id(vm: &mut Vm, _this: Value, _args: &[Value]) -> R {
    let host = ctx(vm)?;
    Ok(Value::number(host.id as f64))
}

pub fn install(vm: &mut Vm) {
    vm.define_native_path("Shelly.call", 4, call);
    vm.define_native_path("Shelly.addEventHandler", 2, add_event_handler);
    vm.define_native_path("Shelly.addStatusHandler", 2, add_status_handler);
    vm.define_native_path("Shelly.removeEventHandler", 1, remove_event_handler);
    vm.define_native_path("Shelly.removeStatusHandler", 1, remove_status_handler);
    vm.define_native_path("Shelly.emitEvent", 2, emit_event);
    vm.define_native_path("Shelly.getComponentConfig", 2, get_component_config);
    vm.define_native_path("Shelly.getComponentStatus", 2, get_component_status);
    vm.define_native_path("Shelly.getDeviceInfo", 0, get_device_info);
    vm.define_native_path("Shelly.getCurrentScriptId", 0, get_current_script_id);
}

/// The Shelly family's place in the runtime.
pub struct Family;

impl super::ApiFamily for Family {
    fn install(&self, vm: &mut Vm) {
        install(vm)
    }
}
