//! Virtual components: `number`, `text`, `boolean`, `enum`, `button` and `group` with ids
//! 200–299, created by `Virtual.Add` and removed by `Virtual.Delete`. Each has a config (`name`,
//! `meta`, and per type `min`/`max`, `max_len`, `options`, `default_value`, `persisted`) and a
//! status `{value, source, last_update_ts}`; `<Type>.Set` changes the value (raising a status
//! change and the scripts' `change` listeners), `Button.Trigger` raises button events.
//! Definitions, and the values of `persisted` components, are stored as `virtual/<key>.json`.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;

use crate::device::Device;
use crate::json::{field, json, Json};
use crate::log::Level;
use crate::rpc::{code, Origin, RpcError};
use crate::script::{Arg, ListenerKind};

/// Lowest and highest id of a virtual component.
pub const FIRST_ID: u32 = 200;
pub const LAST_ID: u32 = 299;
/// Most components of one type.
pub const MAX_PER_TYPE: usize = 10;
/// Longest text value (and `max_len`).
pub const TEXT_MAX: u64 = 255;

pub const METHODS: &[&str] = &[
    "Virtual.Add",
    "Virtual.Delete",
    "Number.Set",
    "Number.GetStatus",
    "Number.GetConfig",
    "Number.SetConfig",
    "Text.Set",
    "Text.GetStatus",
    "Text.GetConfig",
    "Text.SetConfig",
    "Boolean.Set",
    "Boolean.GetStatus",
    "Boolean.GetConfig",
    "Boolean.SetConfig",
    "Enum.Set",
    "Enum.GetStatus",
    "Enum.GetConfig",
    "Enum.SetConfig",
    "Button.Trigger",
    "Button.GetStatus",
    "Button.GetConfig",
    "Button.SetConfig",
    "Group.Set",
    "Group.GetStatus",
    "Group.GetConfig",
    "Group.SetConfig",
];

/// The events a button raises.
pub const BUTTON_EVENTS: &[&str] = &["single_push", "double_push", "triple_push", "long_push"];

/// A virtual component's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VType {
    Number,
    Text,
    Boolean,
    Enum,
    Button,
    Group,
}

impl VType {
    pub const ALL: [VType; 6] = [
        VType::Number,
        VType::Text,
        VType::Boolean,
        VType::Enum,
        VType::Button,
        VType::Group,
    ];

    /// The component type in keys (`number` of `number:200`).
    pub fn name(self) -> &'static str {
        match self {
            VType::Number => "number",
            VType::Text => "text",
            VType::Boolean => "boolean",
            VType::Enum => "enum",
            VType::Button => "button",
            VType::Group => "group",
        }
    }

    pub fn from_name(name: &str) -> Option<VType> {
        VType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Does it hold a value `<Type>.Set` / `setValue` changes?
    pub fn has_value(self) -> bool {
        !matches!(self, VType::Button)
    }

    /// The events listeners may subscribe to.
    pub fn events(self) -> &'static [&'static str] {
        match self {
            VType::Button => BUTTON_EVENTS,
            _ => &["change"],
        }
    }
}

/// One virtual component.
#[derive(Clone, Debug, PartialEq)]
pub struct VComp {
    pub vtype: VType,
    pub id: u32,
    /// The whole config object (with `id`).
    pub config: Json,
    pub value: Json,
    pub source: String,
    pub last_update_ts: f64,
}

impl VComp {
    pub fn key(&self) -> String {
        format!("{}:{}", self.vtype.name(), self.id)
    }

    pub fn status(&self) -> Json {
        json!({"value": self.value, "source": self.source, "last_update_ts": self.last_update_ts})
    }

    fn persisted(&self) -> bool {
        self.config["persisted"].as_bool().unwrap_or(false)
    }
}

/// The device's virtual components, in creation order.
#[derive(Debug, Default)]
pub struct Virtuals {
    pub comps: Vec<VComp>,
}

impl Virtuals {
    pub fn get(&self, vtype: VType, id: u32) -> Option<&VComp> {
        self.comps.iter().find(|c| c.vtype == vtype && c.id == id)
    }
    fn get_mut(&mut self, vtype: VType, id: u32) -> Option<&mut VComp> {
        self.comps
            .iter_mut()
            .find(|c| c.vtype == vtype && c.id == id)
    }
    /// The component with `key` (`number:200`).
    pub fn by_key(&self, key: &str) -> Option<&VComp> {
        let (t, id) = parse_key(key)?;
        self.get(t, id)
    }
}

/// `number:200` → `(Number, 200)`.
pub fn parse_key(key: &str) -> Option<(VType, u32)> {
    let (t, id) = key.split_once(':')?;
    Some((VType::from_name(t)?, id.parse().ok()?))
}

// ----- config -----

fn default_config(vtype: VType, id: u32) -> Json {
    let mut c = json!({"id": id, "name": null, "meta": null});
    match vtype {
        VType::Number => {
            c["min"] = json!(0);
            c["max"] = json!(100);
            c["persisted"] = json!(false);
            c["default_value"] = json!(0);
        }
        VType::Text => {
            c["max_len"] = json!(TEXT_MAX);
            c["persisted"] = json!(false);
            c["default_value"] = json!("");
        }
        VType::Boolean => {
            c["persisted"] = json!(false);
            c["default_value"] = json!(false);
        }
        VType::Enum => {
            c["options"] = json!([]);
            c["persisted"] = json!(false);
            c["default_value"] = Json::Null;
        }
        VType::Button | VType::Group => {}
    }
    c
}

/// Longest `name`, in bytes.
pub const NAME_MAX: usize = 64;
/// Largest `meta`, in bytes of JSON.
pub const META_MAX: usize = 1024;
/// Most `options` of an enum.
pub const OPTIONS_MAX: usize = 20;
/// Longest enum option, in bytes.
pub const OPTION_MAX: usize = 64;

/// `base` with the fields of `patch` applied and checked.
fn merge_config(vtype: VType, base: &Json, patch: &Json) -> Result<Json, String> {
    let Some(p) = patch.as_object() else {
        return Err("config must be an object".into());
    };
    let mut c = base.clone();
    for (k, v) in p {
        let ok = match (k.as_str(), vtype) {
            ("id", _) => continue,
            ("name", _) => v.is_null() || v.as_str().is_some_and(|s| s.len() <= NAME_MAX),
            ("meta", _) => {
                v.is_null() || (v.is_object() && crate::json::to_vec(v).len() <= META_MAX)
            }
            ("persisted", t) if t.has_value() && t != VType::Group => v.is_boolean(),
            ("min" | "max" | "default_value", VType::Number) => v.is_number(),
            ("max_len", VType::Text) => v.as_u64().is_some_and(|n| (1..=TEXT_MAX).contains(&n)),
            ("default_value", VType::Text) => v.is_string(),
            ("default_value", VType::Boolean) => v.is_boolean(),
            ("default_value", VType::Enum) => v.is_string() || v.is_null(),
            // At most OPTIONS_MAX options, so the pairwise distinctness check stays small.
            ("options", VType::Enum) => v.as_array().is_some_and(|a| {
                (1..=OPTIONS_MAX).contains(&a.len())
                    && a.iter().all(|o| {
                        o.as_str()
                            .is_some_and(|s| !s.is_empty() && s.len() <= OPTION_MAX)
                    })
                    && a.iter().enumerate().all(|(i, o)| !a[..i].contains(o))
            }),
            (other, t) => {
                return Err(format!("{other} is not a config field of {}", t.name()));
            }
        };
        if !ok {
            return Err(match k.as_str() {
                "max_len" => format!("max_len must be an integer from 1 to {TEXT_MAX}"),
                "options" => format!(
                    "options must be a list of 1 to {OPTIONS_MAX} distinct, non-empty strings of at most {OPTION_MAX} bytes"
                ),
                "name" => format!("name must be a string of at most {NAME_MAX} bytes"),
                "meta" => format!("meta must be an object of at most {META_MAX} bytes as JSON"),
                _ => format!("{k} has the wrong type"),
            });
        }
        c[k.as_str()] = v.clone();
    }
    match vtype {
        VType::Number => {
            let (min, max) = (c["min"].as_f64(), c["max"].as_f64());
            if let (Some(min), Some(max)) = (min, max) {
                if min > max {
                    return Err("min must not be greater than max".into());
                }
            }
        }
        VType::Enum => {
            let opts = c["options"].as_array().cloned().unwrap_or_default();
            if opts.is_empty() {
                return Err("options is required for an enum".into());
            }
            if c["default_value"].is_null() {
                c["default_value"] = opts[0].clone();
            }
        }
        _ => {}
    }
    if vtype.has_value() && vtype != VType::Group {
        check_value(vtype, &c, &c["default_value"]).map_err(|e| format!("default_value: {e}"))?;
    }
    Ok(c)
}

/// Is `v` a valid value for a component of `vtype` with `config`?
pub fn check_value(vtype: VType, config: &Json, v: &Json) -> Result<(), String> {
    match vtype {
        VType::Number => {
            let n = v.as_f64().ok_or("value must be a number")?;
            let min = config["min"].as_f64().unwrap_or(f64::NEG_INFINITY);
            let max = config["max"].as_f64().unwrap_or(f64::INFINITY);
            if n < min || n > max {
                return Err(format!(
                    "value {} is out of range [{}, {}]",
                    v, config["min"], config["max"]
                ));
            }
        }
        VType::Text => {
            let s = v.as_str().ok_or("value must be a string")?;
            let max = config["max_len"].as_u64().unwrap_or(TEXT_MAX) as usize;
            if s.len() > max {
                return Err(format!(
                    "value is too long: {} bytes, at most {max}",
                    s.len()
                ));
            }
        }
        VType::Boolean => {
            v.as_bool().ok_or("value must be a boolean")?;
        }
        VType::Enum => {
            let s = v.as_str().ok_or("value must be a string")?;
            let opts = config["options"].as_array().cloned().unwrap_or_default();
            if !opts.iter().any(|o| o.as_str() == Some(s)) {
                return Err(format!("value {s:?} is not one of the options"));
            }
        }
        VType::Group => {
            let a = v
                .as_array()
                .ok_or("value must be a list of component keys")?;
            for (i, k) in a.iter().enumerate() {
                let s = k.as_str().ok_or("value must be a list of component keys")?;
                if !s.contains(':') && !matches!(s, "sys" | "wifi" | "mqtt") {
                    return Err(format!("{s:?} is not a component key"));
                }
                if a[..i].contains(k) {
                    return Err(format!("{s} is listed twice"));
                }
            }
        }
        VType::Button => return Err("a button has no value".into()),
    }
    Ok(())
}

fn initial_value(vtype: VType, config: &Json) -> Json {
    match vtype {
        VType::Button => Json::Null,
        VType::Group => json!([]),
        _ => config["default_value"].clone(),
    }
}

// ----- persistence -----

fn file_name(key: &str) -> String {
    format!("virtual/{key}.json")
}

fn save(d: &mut Device, vtype: VType, id: u32) {
    let Some(c) = d.extras.virtuals.get(vtype, id) else {
        return;
    };
    let key = c.key();
    let mut j = json!({"type": vtype.name(), "id": id, "config": c.config});
    // Groups always keep their members; other values only when `persisted`.
    if c.persisted() || vtype == VType::Group {
        j["value"] = c.value.clone();
    }
    let bytes = crate::json::to_vec(&j);
    if let Err(e) = d.board.storage().write(&file_name(&key), &bytes) {
        d.log(Level::Error, 0, format!("saving {key} failed: {e}"));
    }
}

/// Load the definitions (and persisted values) at boot.
pub fn load(d: &mut Device) {
    let names = d.board.storage().list("virtual/").unwrap_or_default();
    let ts = d.ts();
    let mut comps = Vec::new();
    for n in names {
        let Ok(Some(bytes)) = d.board.storage().read(&n) else {
            continue;
        };
        let parsed = crate::json::parse_stored(&bytes).ok().and_then(|j| {
            let vtype = VType::from_name(j.get("type")?.as_str()?)?;
            let id = u32::try_from(j.get("id")?.as_u64()?).ok()?;
            let config = merge_config(vtype, &default_config(vtype, id), j.get("config")?).ok()?;
            let value = match j.get("value") {
                Some(v) if check_value(vtype, &config, v).is_ok() => v.clone(),
                _ => initial_value(vtype, &config),
            };
            Some(VComp {
                vtype,
                id,
                config,
                value,
                source: "init".into(),
                last_update_ts: ts,
            })
        });
        match parsed {
            Some(c) if (FIRST_ID..=LAST_ID).contains(&c.id) => comps.push(c),
            _ => d.log(
                Level::Error,
                0,
                format!("{n}: unreadable virtual component, ignored"),
            ),
        }
    }
    d.extras.virtuals.comps = comps;
}

// ----- changes -----

/// Queue `info` for the scripts' `Virtual.on(event)` listeners of component `key`.
pub fn notify(d: &mut Device, key: &str, event: &str, info: Json) {
    let limit = d.limits.job_queue;
    for (_, st) in d.extras.live_realms() {
        let Ok(mut st) = RefCell::try_borrow_mut(&st) else {
            continue;
        };
        let ls: Vec<_> = st
            .listeners
            .iter()
            .filter(|l| {
                matches!(&l.kind, ListenerKind::Virtual { key: k, event: e } if k == key && e == event)
            })
            .cloned()
            .collect();
        for l in ls {
            st.call_listener(&l, alloc::vec![Arg::Json(info.clone())], limit, false);
        }
    }
}

/// Does a component with `key` exist on the device (for group members)?
fn component_exists(d: &mut Device, key: &str) -> bool {
    let (kind, id) = crate::components::parse_key(key);
    if d.scripts
        .iter()
        .any(|r| kind == "script" && Some(r.id) == id)
    {
        return true;
    }
    crate::components::status(d, kind, id).is_some()
        || crate::api::extra_component_status(d, kind, id).is_some()
}

/// Set the value of `key` from `source` (`rpc`, `script`): checked, stored, reported.
pub fn set_value(d: &mut Device, key: &str, value: Json, source: &str) -> Result<(), RpcError> {
    let (vtype, id) = parse_key(key)
        .ok_or_else(|| RpcError::invalid(format!("{key} is not a virtual component")))?;
    let c = d
        .extras
        .virtuals
        .get(vtype, id)
        .ok_or_else(|| RpcError::not_found(format!("no {key}")))?;
    if !vtype.has_value() {
        return Err(RpcError::invalid(format!("{key} has no value to set")));
    }
    check_value(vtype, &c.config, &value).map_err(RpcError::invalid)?;
    if vtype == VType::Group {
        for k in value.as_array().into_iter().flatten() {
            let k = k.as_str().unwrap_or("");
            if k == key || !component_exists(d, k) {
                return Err(RpcError::invalid(format!(
                    "{k} cannot be a member of {key}"
                )));
            }
        }
    }
    let ts = d.ts();
    let Some(c) = d.extras.virtuals.get_mut(vtype, id) else {
        return Err(RpcError::not_found(format!("no {key}")));
    };
    if c.value == value {
        return Ok(());
    }
    c.value = value.clone();
    c.source = source.into();
    c.last_update_ts = ts;
    let persist = c.persisted() || vtype == VType::Group;
    if persist {
        save(d, vtype, id);
    }
    d.status_changed(
        key,
        json!({"id": id, "value": value, "source": source, "last_update_ts": ts}),
    );
    notify(d, key, "change", json!({"value": value, "source": source}));
    Ok(())
}

/// Raise `event` on button `id`.
pub fn trigger(d: &mut Device, id: u32, event: &str, source: &str) -> Result<(), RpcError> {
    if !BUTTON_EVENTS.contains(&event) {
        return Err(RpcError::invalid(format!(
            "event must be one of {}",
            BUTTON_EVENTS.join(", ")
        )));
    }
    let ts = d.ts();
    let Some(c) = d.extras.virtuals.get_mut(VType::Button, id) else {
        return Err(RpcError::not_found(format!("no button:{id}")));
    };
    c.source = source.into();
    c.last_update_ts = ts;
    let key = c.key();
    d.emit_event("button", Some(id), event, None);
    notify(d, &key, event, json!({"source": source}));
    Ok(())
}

/// Change the config of `key` (as `<Type>.SetConfig`).
pub fn set_config(d: &mut Device, vtype: VType, id: u32, patch: &Json) -> Result<Json, RpcError> {
    let Some(c) = d.extras.virtuals.get(vtype, id) else {
        return Err(RpcError::not_found(format!("no {}:{id}", vtype.name())));
    };
    let cfg = merge_config(vtype, &c.config, patch).map_err(RpcError::invalid)?;
    if let Some(c) = d.extras.virtuals.get_mut(vtype, id) {
        c.config = cfg;
    }
    save(d, vtype, id);
    Ok(json!({"restart_required": false}))
}

fn add(d: &mut Device, params: &Json) -> Result<Json, RpcError> {
    let tname = field(params, "type")
        .and_then(|t| t.as_str())
        .ok_or_else(|| RpcError::invalid("type is required"))?;
    let vtype = VType::from_name(tname).ok_or_else(|| {
        RpcError::invalid(format!(
            "type must be one of number, text, boolean, enum, button, group (not {tname})"
        ))
    })?;
    let of_type = d.extras.virtuals.comps.iter().filter(|c| c.vtype == vtype);
    if of_type.count() >= MAX_PER_TYPE {
        return Err(RpcError::new(
            code::RESOURCE_EXHAUSTED,
            format!("the device holds at most {MAX_PER_TYPE} {tname} components"),
        ));
    }
    let id = match field(params, "id") {
        Some(v) => {
            let id = v
                .as_u64()
                .filter(|n| (FIRST_ID as u64..=LAST_ID as u64).contains(n))
                .ok_or_else(|| {
                    RpcError::invalid(format!(
                        "id must be an integer from {FIRST_ID} to {LAST_ID}"
                    ))
                })? as u32;
            if d.extras.virtuals.get(vtype, id).is_some() {
                return Err(RpcError::new(
                    code::ALREADY_EXISTS,
                    format!("{tname}:{id} exists"),
                ));
            }
            id
        }
        None => (FIRST_ID..=LAST_ID)
            .find(|i| d.extras.virtuals.get(vtype, *i).is_none())
            .ok_or_else(|| RpcError::new(code::RESOURCE_EXHAUSTED, "no free id"))?,
    };
    let patch = field(params, "config")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let config =
        merge_config(vtype, &default_config(vtype, id), &patch).map_err(RpcError::invalid)?;
    let value = initial_value(vtype, &config);
    let ts = d.ts();
    d.extras.virtuals.comps.push(VComp {
        vtype,
        id,
        config,
        value,
        source: "init".into(),
        last_update_ts: ts,
    });
    save(d, vtype, id);
    Ok(json!({"id": id}))
}

fn delete(d: &mut Device, params: &Json) -> Result<Json, RpcError> {
    let key = field(params, "key")
        .and_then(|k| k.as_str())
        .ok_or_else(|| RpcError::invalid("key is required"))?;
    let (vtype, id) = parse_key(key)
        .ok_or_else(|| RpcError::invalid(format!("{key} is not a virtual component key")))?;
    let Some(i) = d
        .extras
        .virtuals
        .comps
        .iter()
        .position(|c| c.vtype == vtype && c.id == id)
    else {
        return Err(RpcError::not_found(format!("no {key}")));
    };
    d.board
        .storage()
        .remove(&file_name(key))
        .map_err(|e| RpcError::new(code::INTERNAL, format!("removing {key}: {e}")))?;
    d.extras.virtuals.comps.remove(i);
    Ok(Json::Null)
}

fn id_param(params: &Json) -> Result<u32, RpcError> {
    field(params, "id")
        .and_then(|v| v.as_u64())
        .filter(|n| *n <= u32::MAX as u64)
        .map(|n| n as u32)
        .ok_or_else(|| RpcError::invalid("id is required and must be a non-negative integer"))
}

/// `Virtual.*` and `<Type>.*` methods.
pub fn rpc(
    dev: &RefCell<Device>,
    lower: &str,
    method: &str,
    params: &Json,
    _origin: Origin,
) -> Result<Json, RpcError> {
    let (service, verb) = lower.split_once('.').unwrap_or((lower, ""));
    let mut d = dev.borrow_mut();
    if service == "virtual" {
        return match verb {
            "add" => add(&mut d, params),
            "delete" => delete(&mut d, params),
            _ => Err(RpcError::no_handler(method)),
        };
    }
    let Some(vtype) = VType::from_name(service) else {
        return Err(RpcError::no_handler(method));
    };
    match verb {
        "getstatus" | "getconfig" | "setconfig" | "set" | "trigger" => {}
        _ => return Err(RpcError::no_handler(method)),
    }
    let id = id_param(params)?;
    let key = format!("{}:{id}", vtype.name());
    match (verb, vtype) {
        ("getstatus", _) => d
            .extras
            .virtuals
            .get(vtype, id)
            .map(|c| c.status())
            .ok_or_else(|| RpcError::not_found(format!("no {key}"))),
        ("getconfig", _) => d
            .extras
            .virtuals
            .get(vtype, id)
            .map(|c| c.config.clone())
            .ok_or_else(|| RpcError::not_found(format!("no {key}"))),
        ("setconfig", _) => {
            let cfg =
                field(params, "config").ok_or_else(|| RpcError::invalid("config is required"))?;
            set_config(&mut d, vtype, id, cfg)
        }
        ("set", t) if t != VType::Button => {
            let v = params
                .get("value")
                .cloned()
                .ok_or_else(|| RpcError::invalid("value is required"))?;
            set_value(&mut d, &key, v, "rpc").map(|_| Json::Null)
        }
        ("trigger", VType::Button) => {
            let ev = field(params, "event")
                .and_then(|e| e.as_str())
                .ok_or_else(|| RpcError::invalid("event is required"))?
                .to_string();
            trigger(&mut d, id, &ev, "rpc").map(|_| Json::Null)
        }
        _ => Err(RpcError::no_handler(method)),
    }
}

// ----- component views -----

pub fn component_status(d: &mut Device, kind: &str, id: Option<u32>) -> Option<Json> {
    let vtype = VType::from_name(kind)?;
    d.extras.virtuals.get(vtype, id?).map(|c| c.status())
}

pub fn component_config(d: &Device, kind: &str, id: Option<u32>) -> Option<Json> {
    let vtype = VType::from_name(kind)?;
    d.extras.virtuals.get(vtype, id?).map(|c| c.config.clone())
}

pub fn extend_full_status(d: &mut Device, status: &mut Json) {
    for c in &d.extras.virtuals.comps {
        status[c.key().as_str()] = c.status();
    }
}

pub fn extend_full_config(d: &Device, config: &mut Json) {
    for c in &d.extras.virtuals.comps {
        config[c.key().as_str()] = c.config.clone();
    }
}
