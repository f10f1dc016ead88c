//! The script side of virtual components: `Virtual.getHandle(key)` returns an instance of
//! `Virtual` (a host object naming the component) with `setValue` (applied after the current
//! turn, as on Shelly), `getValue`, `getStatus`, `getConfig`, `setConfig`, `on(event, callback)`
//! and `off(handle)`.

use alloc::format;
use alloc::string::String;

use ferrite_engine::heap::Handle;
use ferrite_engine::{Value, Vm};

use super::virtuals::{self, VType};
use crate::host::{ctx, pin_function};
use crate::json::{self, Json};
use crate::script::{Arg, Job, JobKind, ListenerKind, NO_PIN};

type R = Result<Value, Value>;

/// Host-object tag of `Virtual` handles (`"VIRT"`); the id is `type index * 1000 + id`.
pub const TAG: u32 = 0x5649_5254;

/// Virtual-component listeners one script may hold.
pub const MAX_LISTENERS: usize = 20;

fn encode(vtype: VType, id: u32) -> u32 {
    let t = VType::ALL.iter().position(|t| *t == vtype).unwrap_or(0) as u32;
    t * 1000 + id
}

fn decode(n: u32) -> Option<(VType, u32)> {
    Some((*VType::ALL.get((n / 1000) as usize)?, n % 1000))
}

/// The component a handle names: `(type, id, key)`.
fn this_comp(vm: &mut Vm, this: Value, what: &str) -> Result<(VType, u32, String), Value> {
    match vm.host_object(this) {
        Some((TAG, n)) => match decode(n) {
            Some((t, id)) => Ok((t, id, format!("{}:{id}", t.name()))),
            None => Err(vm.type_error(&format!("Virtual.{what}: not a Virtual handle"))),
        },
        _ => Err(vm.type_error(&format!("Virtual.{what}: not a Virtual handle"))),
    }
}

/// `new Virtual()` is not how handles are made.
fn construct(vm: &mut Vm, _this: Value, _args: &[Value]) -> R {
    Err(vm.type_error("Virtual handles come from Virtual.getHandle(key)"))
}

/// `Virtual.getHandle(key)`: a handle, or `null` if there is no such virtual component.
fn get_handle(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    if !Vm::arg(args, 0).is_string() {
        return Err(vm.type_error("Virtual.getHandle: key must be a string like \"number:200\""));
    }
    let key: String = vm.arg_as(args, 0)?;
    let host = ctx(vm)?;
    let Some((vtype, id)) = virtuals::parse_key(&key) else {
        return Ok(Value::NULL);
    };
    if host
        .device
        .borrow()
        .extras
        .virtuals
        .get(vtype, id)
        .is_none()
    {
        return Ok(Value::NULL);
    }
    let (proto, _) = super::realm_pins(&host.state);
    let proto = proto.and_then(|p| vm.pinned(p).as_object());
    vm.new_host_object(proto, TAG, encode(vtype, id))
}

/// `setValue(v)`: checked now, applied by a job that runs after the current turn.
fn set_value(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let (vtype, id, key) = this_comp(vm, this, "setValue")?;
    if !vtype.has_value() || vtype == VType::Group {
        return Err(vm.type_error(&format!(
            "Virtual.setValue: {key} is a {}, which has no value to set",
            vtype.name()
        )));
    }
    let value = json::from_js(vm, Vm::arg(args, 0))?;
    let host = ctx(vm)?;
    let check = {
        let d = host.device.borrow();
        match d.extras.virtuals.get(vtype, id) {
            Some(c) => virtuals::check_value(vtype, &c.config, &value),
            None => Err(format!("{key} no longer exists")),
        }
    };
    if let Err(e) = check {
        return Err(vm.range_error(&format!("Virtual.setValue: {e}")));
    }
    let apply = vm.new_native("applyVirtualValue", 2, apply_value);
    let pin = vm.pin(apply);
    let limit = host.device.borrow().limits.job_queue;
    let queued = host.state.borrow_mut().push_job(
        Job {
            kind: JobKind::Call {
                func: pin,
                this: Arg::Undefined,
                args: alloc::vec![Arg::Str(key.into_bytes()), Arg::Json(value)],
            },
            release: alloc::vec![pin],
        },
        limit,
    );
    if !queued {
        return Err(vm.range_error("Virtual.setValue: the script's job queue is full"));
    }
    Ok(Value::UNDEFINED)
}

/// The job `setValue` queued: `(key, value)`.
fn apply_value(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let key: String = vm.arg_as(args, 0)?;
    let value = json::from_js(vm, Vm::arg(args, 1))?;
    let host = ctx(vm)?;
    let mut d = host.device.borrow_mut();
    if let Err(e) = virtuals::set_value(&mut d, &key, value, "script") {
        // The component changed between setValue and now: say so, as an RPC would.
        d.log(
            crate::log::Level::Warn,
            host.id,
            format!("Virtual.setValue on {key}: {}", e.message),
        );
    }
    Ok(Value::UNDEFINED)
}

/// `f` of the component behind `this` as a JS value; `undefined` if the component is gone.
fn component_json(
    vm: &mut Vm,
    this: Value,
    what: &str,
    f: impl Fn(&super::virtuals::VComp) -> Option<Json>,
) -> R {
    let (vtype, id, _) = this_comp(vm, this, what)?;
    let host = ctx(vm)?;
    let v = host
        .device
        .borrow()
        .extras
        .virtuals
        .get(vtype, id)
        .and_then(f);
    match v {
        Some(v) => json::to_js(vm, &v),
        None => Ok(Value::UNDEFINED),
    }
}

fn get_value(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    component_json(vm, this, "getValue", |c| {
        (c.vtype.has_value() && c.vtype != VType::Group).then(|| c.value.clone())
    })
}

fn get_status(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    component_json(vm, this, "getStatus", |c| Some(c.status()))
}

fn get_config(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    component_json(vm, this, "getConfig", |c| Some(c.config.clone()))
}

/// `setConfig(cfg)`: as `<Type>.SetConfig`; `undefined` if the component is gone.
fn set_config(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let (vtype, id, _) = this_comp(vm, this, "setConfig")?;
    if !Vm::arg(args, 0).is_object() {
        return Err(vm.type_error("Virtual.setConfig: config must be an object"));
    }
    let patch: Json = json::from_js(vm, Vm::arg(args, 0))?;
    let host = ctx(vm)?;
    let r = {
        let mut d = host.device.borrow_mut();
        if d.extras.virtuals.get(vtype, id).is_none() {
            return Ok(Value::UNDEFINED);
        }
        virtuals::set_config(&mut d, vtype, id, &patch)
    };
    match r {
        Ok(j) => json::to_js(vm, &j),
        Err(e) => Err(vm.type_error(&format!("Virtual.setConfig: {}", e.message))),
    }
}

/// `on(event, callback)`: returns a listener handle for `off`.
fn on(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let (vtype, _, key) = this_comp(vm, this, "on")?;
    if !Vm::arg(args, 0).is_string() {
        return Err(vm.type_error("Virtual.on: event must be a string"));
    }
    let event: String = vm.arg_as(args, 0)?;
    if !vtype.events().contains(&event.as_str()) {
        return Err(vm.type_error(&format!(
            "Virtual.on: {key} has no event {event:?} (it has {})",
            vtype.events().join(", ")
        )));
    }
    let cb = pin_function(vm, args, 1, "Virtual.on: callback")?;
    let this_pin = vm.pin(this);
    let host = ctx(vm)?;
    let r = host.state.borrow_mut().add_listener(
        ListenerKind::Virtual { key, event },
        cb,
        NO_PIN,
        this_pin,
        MAX_LISTENERS,
    );
    match r {
        Ok(h) => Ok(Value::number(h as f64)),
        Err(msg) => {
            crate::host::unpin_all(vm, &[cb, this_pin]);
            Err(vm.range_error(&format!("Virtual.on: {msg}")))
        }
    }
}

/// `off(handle)`: true if that listener was removed.
fn off(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let (_, _, key) = this_comp(vm, this, "off")?;
    let Some(n) = crate::host::whole_in(Vm::arg(args, 0), 1.0, u32::MAX as f64) else {
        return Ok(Value::UNDEFINED);
    };
    let host = ctx(vm)?;
    let removed = host.state.borrow_mut().remove_listener(
        n as u32,
        |k| matches!(k, ListenerKind::Virtual { key: lk, .. } if *lk == key),
    );
    Ok(Value::bool(removed))
}

/// Define the `Virtual` class; returns its prototype.
pub fn install(vm: &mut Vm) -> Handle {
    let proto = vm
        .new_object()
        .ok()
        .and_then(|p| p.as_object())
        .expect("out of memory creating Virtual.prototype");
    let (ctor, proto) = vm.define_class("Virtual", 0, construct, Some(proto), None);
    vm.define_method(ctor, "getHandle", 1, get_handle);
    vm.define_method(proto, "setValue", 1, set_value);
    vm.define_method(proto, "getValue", 0, get_value);
    vm.define_method(proto, "getStatus", 0, get_status);
    vm.define_method(proto, "getConfig", 0, get_config);
    vm.define_method(proto, "setConfig", 1, set_config);
    vm.define_method(proto, "on", 2, on);
    vm.define_method(proto, "off", 1, off);
    proto
}
