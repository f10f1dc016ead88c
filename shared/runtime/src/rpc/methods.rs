//! The RPC method table: `Shelly.*`, `Sys.*`, `Switch.*`, `Input.*`, `Script.*`, …
//! Each handler takes the runtime and the params and answers now or later (a token).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::components;
use crate::device::ScriptRecord;
use crate::json::{field, json, Json};
use crate::log::Level;
use crate::rpc::{code, Origin, RpcError, RpcReply};
use crate::runtime::{code_name, Runtime};

type Res = Result<Json, RpcError>;

/// Every method this device answers, for `Shelly.ListMethods`.
pub const METHODS: &[&str] = &[
    "Shelly.GetDeviceInfo",
    "Shelly.GetStatus",
    "Shelly.GetConfig",
    "Shelly.ListMethods",
    "Shelly.GetComponents",
    "Shelly.Reboot",
    "Sys.GetStatus",
    "Sys.GetConfig",
    "Sys.SetConfig",
    "Switch.Set",
    "Switch.Toggle",
    "Switch.GetStatus",
    "Switch.GetConfig",
    "Switch.SetConfig",
    "Input.GetStatus",
    "Input.GetConfig",
    "Input.SetConfig",
    "Input.Trigger",
    "Wifi.GetStatus",
    "Wifi.GetConfig",
    "Wifi.SetConfig",
    "Wifi.Scan",
    "Mqtt.GetStatus",
    "Mqtt.GetConfig",
    "Mqtt.SetConfig",
    "Script.Create",
    "Script.PutCode",
    "Script.GetCode",
    "Script.Start",
    "Script.Stop",
    "Script.Eval",
    "Script.List",
    "Script.GetStatus",
    "Script.GetConfig",
    "Script.SetConfig",
    "Script.Delete",
    "Datapoint.List",
    "Datapoint.Get",
    "Datapoint.Set",
    "FS.List",
    "FS.Get",
    "Log.Follow",
];

fn u32_field(params: &Json, key: &str) -> Result<u32, RpcError> {
    match field(params, key) {
        Some(v) => v
            .as_u64()
            .filter(|n| *n <= u32::MAX as u64)
            .map(|n| n as u32)
            .ok_or_else(|| RpcError::invalid(format!("{key} must be a non-negative integer"))),
        None => Err(RpcError::invalid(format!("{key} is required"))),
    }
}

fn id_or_zero(params: &Json) -> Result<u32, RpcError> {
    match field(params, "id") {
        None => Ok(0),
        Some(_) => u32_field(params, "id"),
    }
}

fn bool_field(params: &Json, key: &str) -> Result<Option<bool>, RpcError> {
    match field(params, key) {
        None => Ok(None),
        Some(v) => v
            .as_bool()
            .map(Some)
            .ok_or_else(|| RpcError::invalid(format!("{key} must be a boolean"))),
    }
}

fn str_field<'a>(params: &'a Json, key: &str) -> Result<Option<&'a str>, RpcError> {
    match field(params, key) {
        None => Ok(None),
        Some(v) => v
            .as_str()
            .map(Some)
            .ok_or_else(|| RpcError::invalid(format!("{key} must be a string"))),
    }
}

pub(crate) fn dispatch(rt: &mut Runtime, method: &str, params: &Json, origin: Origin) -> RpcReply {
    if !matches!(params, Json::Object(_) | Json::Null) {
        return Err(RpcError::invalid("params must be an object")).into();
    }
    // Method names are case-insensitive on Shelly devices.
    let lower = method.to_ascii_lowercase();
    let (service, _) = lower.split_once('.').unwrap_or((lower.as_str(), ""));
    match service {
        "wifi" if lower == "wifi.scan" => {
            components::wifi_scan::rpc(&mut rt.device_ref().borrow_mut())
        }
        "shelly" | "sys" | "switch" | "input" | "wifi" | "mqtt" => {
            device_method(rt, &lower, method, params).into()
        }
        "script" => script_method(rt, &lower, method, params, origin),
        "datapoint" => crate::datapoints::rpc_method(rt, &lower, method, params, origin),
        "fs" => crate::rpc::fs::rpc_method(rt, &lower, method, params).into(),
        // Answered by transports with a persistent channel (a WebSocket); everywhere else
        // there is nothing to follow on.
        "log" if lower == "log.follow" => Err(RpcError::new(
            code::UNAVAILABLE,
            "Log.Follow needs a persistent channel: a WebSocket on /rpc \
             (on the serial console, Console.SetMode rpc sends the log)",
        ))
        .into(),
        _ => crate::api::rpc_method(rt, &lower, method, params, origin)
            .unwrap_or_else(|| Err(RpcError::no_handler(method)).into()),
    }
}

/// `Shelly.GetDeviceInfo`.
pub fn device_info(d: &crate::device::Device) -> Json {
    json!({
        "name": d.components.sys.name,
        "id": d.info.id,
        "mac": d.info.mac,
        "slot": 0,
        "model": d.info.model,
        "gen": 2,
        "fw_id": format!("{}/{}", d.info.app, d.info.fw_version),
        "ver": d.info.fw_version,
        "app": d.info.app,
        "auth_en": d.components.sys.auth_ha1.is_some(),
        "auth_domain": if d.components.sys.auth_ha1.is_some() { json!(d.info.id) } else { Json::Null },
    })
}

fn device_method(rt: &mut Runtime, lower: &str, method: &str, params: &Json) -> Res {
    let dev = rt.device_ref().clone();
    match lower {
        "shelly.getdeviceinfo" => Ok(device_info(&dev.borrow())),
        "shelly.getstatus" => Ok(full_status(rt)),
        "shelly.getconfig" => Ok(full_config(rt)),
        "shelly.listmethods" => {
            let mut m: Vec<&str> = METHODS.to_vec();
            m.extend(crate::api::extra_methods());
            Ok(json!({"methods": m}))
        }
        "shelly.getcomponents" => {
            let st = full_status(rt);
            let cfg = full_config(rt);
            let comps: Vec<Json> = st
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| json!({"key": k, "status": v, "config": cfg[k.as_str()]}))
                        .collect()
                })
                .unwrap_or_default();
            let total = comps.len();
            Ok(json!({"components": comps, "cfg_rev": 0, "offset": 0, "total": total}))
        }
        "shelly.reboot" => {
            dev.borrow_mut().board.system().request_reboot();
            Ok(Json::Null)
        }
        "sys.getstatus" => Ok(components::sys::status(&mut dev.borrow_mut())),
        "sys.getconfig" => {
            let d = dev.borrow();
            Ok(d.components.sys.to_json(&d.info))
        }
        "sys.setconfig" => {
            let cfg =
                field(params, "config").ok_or_else(|| RpcError::invalid("config is required"))?;
            let mut d = dev.borrow_mut();
            d.components.sys.set(cfg).map_err(RpcError::invalid)?;
            crate::api::save_component_config(&mut d, "sys");
            Ok(json!({"restart_required": false}))
        }
        "switch.set" | "switch.toggle" => {
            let id = id_or_zero(params)?;
            let mut d = dev.borrow_mut();
            let now = d.now_ms();
            let Some(s) = d.components.switches.iter_mut().find(|s| s.id == id) else {
                return Err(RpcError::not_found(format!("no switch:{id}")));
            };
            let on = if lower == "switch.toggle" {
                !s.output
            } else {
                bool_field(params, "on")?.ok_or_else(|| RpcError::invalid("on is required"))?
            };
            let toggle_after = match field(params, "toggle_after") {
                None => None,
                Some(v) => Some(
                    v.as_f64()
                        .ok_or_else(|| RpcError::invalid("toggle_after must be a number"))?,
                ),
            };
            let was_on = s.set(now, on, "rpc", toggle_after);
            let delta = json!({"id": id, "output": on, "source": "rpc", "apower": s.apower()});
            if was_on != on {
                d.status_changed(&format!("switch:{id}"), delta);
            }
            Ok(json!({"was_on": was_on}))
        }
        "switch.getstatus" | "input.getstatus" => {
            let id = id_or_zero(params)?;
            let kind = if lower.starts_with("switch") {
                "switch"
            } else {
                "input"
            };
            components::status(&mut dev.borrow_mut(), kind, Some(id))
                .ok_or_else(|| RpcError::not_found(format!("no {kind}:{id}")))
        }
        "switch.getconfig" | "input.getconfig" => {
            let id = id_or_zero(params)?;
            let kind = if lower.starts_with("switch") {
                "switch"
            } else {
                "input"
            };
            components::config(&dev.borrow(), kind, Some(id))
                .ok_or_else(|| RpcError::not_found(format!("no {kind}:{id}")))
        }
        "switch.setconfig" => {
            let id = id_or_zero(params)?;
            let cfg =
                field(params, "config").ok_or_else(|| RpcError::invalid("config is required"))?;
            let mut d = dev.borrow_mut();
            let s = d
                .components
                .switches
                .iter_mut()
                .find(|s| s.id == id)
                .ok_or_else(|| RpcError::not_found(format!("no switch:{id}")))?;
            s.set_config(cfg).map_err(RpcError::invalid)?;
            crate::api::save_component_config(&mut d, &format!("switch:{id}"));
            Ok(json!({"restart_required": false}))
        }
        "input.setconfig" => {
            let id = id_or_zero(params)?;
            let cfg =
                field(params, "config").ok_or_else(|| RpcError::invalid("config is required"))?;
            let mut d = dev.borrow_mut();
            let i = d
                .components
                .inputs
                .iter_mut()
                .find(|s| s.id == id)
                .ok_or_else(|| RpcError::not_found(format!("no input:{id}")))?;
            i.set_config(cfg).map_err(RpcError::invalid)?;
            crate::api::save_component_config(&mut d, &format!("input:{id}"));
            Ok(json!({"restart_required": false}))
        }
        "input.trigger" => {
            let id = id_or_zero(params)?;
            let ev = str_field(params, "event_type")?
                .ok_or_else(|| RpcError::invalid("event_type is required"))?;
            if !matches!(
                ev,
                "single_push" | "double_push" | "triple_push" | "long_push"
            ) {
                return Err(RpcError::invalid(
                    "event_type must be single_push, double_push, triple_push or long_push",
                ));
            }
            let mut d = dev.borrow_mut();
            if !d.components.inputs.iter().any(|i| i.id == id) {
                return Err(RpcError::not_found(format!("no input:{id}")));
            }
            d.emit_event("input", Some(id), ev, None);
            Ok(Json::Null)
        }
        "wifi.getstatus" => Ok(components::wifi::status(&mut dev.borrow_mut())),
        "wifi.getconfig" => Ok(dev.borrow().components.wifi.to_json()),
        "wifi.setconfig" => {
            let cfg =
                field(params, "config").ok_or_else(|| RpcError::invalid("config is required"))?;
            let mut d = dev.borrow_mut();
            // The new configuration is checked (by the board's Wi-Fi) before it replaces the
            // old one: a refused SSID or password changes nothing.
            let mut w = d.components.wifi.clone();
            if let Some(sta) = cfg.get("sta") {
                if let Some(s) = sta.get("ssid") {
                    w.ssid = s.as_str().map(String::from);
                }
                if let Some(p) = sta.get("pass") {
                    w.pass = p.as_str().map(String::from);
                }
                if let Some(e) = sta.get("enable") {
                    w.sta_enable = e
                        .as_bool()
                        .ok_or_else(|| RpcError::invalid("sta.enable must be a boolean"))?;
                }
                w.set_ipv4(sta).map_err(RpcError::invalid)?;
            }
            let old = core::mem::replace(&mut d.components.wifi, w);
            let joins = d.components.wifi.sta_enable && d.components.wifi.ssid.is_some();
            if let Err(e) = components::wifi::join_configured(&mut d) {
                d.components.wifi = old;
                return Err(match e {
                    crate::board::BoardError::InvalidArgument(m) => RpcError::invalid(m),
                    e => RpcError::new(code::UNAVAILABLE, format!("{e}")),
                });
            }
            // Disabled, or no network named: leave the one joined before.
            if !joins {
                if let Some(wifi) = d.board.wifi() {
                    wifi.disconnect();
                }
            }
            crate::api::save_component_config(&mut d, "wifi");
            Ok(json!({"restart_required": false}))
        }
        "mqtt.getstatus" => Ok(components::mqtt::status(&mut dev.borrow_mut())),
        "mqtt.getconfig" => Ok(dev.borrow().components.mqtt.to_json()),
        "mqtt.setconfig" => {
            let cfg =
                field(params, "config").ok_or_else(|| RpcError::invalid("config is required"))?;
            let mut d = dev.borrow_mut();
            d.components.mqtt.set(cfg).map_err(RpcError::invalid)?;
            crate::api::apply_mqtt_config(&mut d);
            crate::api::save_component_config(&mut d, "mqtt");
            Ok(json!({"restart_required": false}))
        }
        _ => Err(RpcError::no_handler(method)),
    }
}

/// `Shelly.GetStatus`: components, scripts, and what API families add.
pub fn full_status(rt: &mut Runtime) -> Json {
    let dev = rt.device_ref().clone();
    let mut d = dev.borrow_mut();
    let mut s = components::full_status(&mut d);
    for r in &d.scripts {
        s[format!("script:{}", r.id).as_str()] = r.status_json();
    }
    crate::api::extend_full_status(&mut d, &mut s);
    s
}

pub fn full_config(rt: &mut Runtime) -> Json {
    let dev = rt.device_ref().clone();
    let d = dev.borrow();
    let mut s = components::full_config(&d);
    for r in &d.scripts {
        s[format!("script:{}", r.id).as_str()] = r.config_json();
    }
    crate::api::extend_full_config(&d, &mut s);
    s
}

fn script_method(
    rt: &mut Runtime,
    lower: &str,
    method: &str,
    params: &Json,
    origin: Origin,
) -> RpcReply {
    let dev = rt.device_ref().clone();
    let limits = rt.limits().clone();
    let r: Res = (|| match lower {
        "script.create" => {
            let name = String::from(str_field(params, "name")?.unwrap_or(""));
            let mut d = dev.borrow_mut();
            if d.scripts.len() >= limits.scripts {
                return Err(RpcError::new(
                    code::RESOURCE_EXHAUSTED,
                    format!("the device holds at most {} scripts", limits.scripts),
                ));
            }
            if !name.is_empty() && d.scripts.iter().any(|r| r.name == name) {
                return Err(RpcError::new(
                    code::ALREADY_EXISTS,
                    format!("a script named {name} exists"),
                ));
            }
            let id = d.scripts.iter().map(|r| r.id).max().unwrap_or(0) + 1;
            let rec = ScriptRecord {
                id,
                name,
                enable: false,
                running: false,
                errors: Vec::new(),
                error_msg: None,
                mem_used: 0,
                mem_peak: 0,
                mem_free: 0,
                dropped_events: 0,
            };
            d.board
                .storage()
                .write(&code_name(id), b"")
                .map_err(|e| RpcError::new(code::INTERNAL, format!("{e}")))?;
            crate::persist::save_record(&mut d, &rec);
            d.scripts.push(rec);
            Ok(json!({"id": id}))
        }
        "script.putcode" => {
            let id = u32_field(params, "id")?;
            rt.record(id)?;
            let code =
                str_field(params, "code")?.ok_or_else(|| RpcError::invalid("code is required"))?;
            let append = bool_field(params, "append")?.unwrap_or(false);
            let mut d = dev.borrow_mut();
            let mut data = if append {
                d.board
                    .storage()
                    .read(&code_name(id))
                    .map_err(|e| RpcError::new(code::INTERNAL, format!("{e}")))?
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            data.extend_from_slice(code.as_bytes());
            if data.len() > limits.script_bytes {
                return Err(RpcError::new(
                    code::RESOURCE_EXHAUSTED,
                    format!(
                        "script too large: {} bytes, the limit is {}",
                        data.len(),
                        limits.script_bytes
                    ),
                ));
            }
            d.board
                .storage()
                .write(&code_name(id), &data)
                .map_err(|e| RpcError::new(code::INTERNAL, format!("{e}")))?;
            Ok(json!({"len": data.len()}))
        }
        "script.getcode" => {
            let id = u32_field(params, "id")?;
            rt.record(id)?;
            let offset = match field(params, "offset") {
                None => 0,
                Some(_) => u32_field(params, "offset")? as usize,
            };
            let len = match field(params, "len") {
                None => usize::MAX,
                Some(_) => u32_field(params, "len")? as usize,
            };
            let data = dev
                .borrow_mut()
                .board
                .storage()
                .read(&code_name(id))
                .map_err(|e| RpcError::new(code::INTERNAL, format!("{e}")))?
                .unwrap_or_default();
            let start = offset.min(data.len());
            // Chunks of at most 2 KiB, cut on a UTF-8 boundary so that the JSON stays valid.
            let mut end = start.saturating_add(len.min(2048)).min(data.len());
            while end > start && end < data.len() && (data[end] & 0xC0) == 0x80 {
                end -= 1;
            }
            let chunk = String::from_utf8_lossy(&data[start..end]).into_owned();
            Ok(json!({"data": chunk, "left": data.len() - end}))
        }
        "script.start" => {
            let id = u32_field(params, "id")?;
            let was = rt.is_running(id);
            rt.start_script(id)?;
            Ok(json!({"was_running": was}))
        }
        "script.stop" => {
            let id = u32_field(params, "id")?;
            rt.record(id)?;
            if origin == Origin::Script(id) {
                // Stopping itself: finish the current turn first.
                let was = rt.is_running(id);
                if let Some(st) = rt.script_state(id) {
                    st.borrow_mut().stop_requested = true;
                }
                return Ok(json!({"was_running": was}));
            }
            let was = rt.stop_script(id);
            Ok(json!({"was_running": was}))
        }
        "script.list" => {
            let d = dev.borrow();
            let list: Vec<Json> = d
                .scripts
                .iter()
                .map(|r| json!({"id": r.id, "name": r.name, "enable": r.enable, "running": r.running}))
                .collect();
            Ok(json!({"scripts": list}))
        }
        "script.getstatus" => {
            let id = u32_field(params, "id")?;
            Ok(rt.record(id)?.status_json())
        }
        "script.getconfig" => {
            let id = u32_field(params, "id")?;
            Ok(rt.record(id)?.config_json())
        }
        "script.setconfig" => {
            let id = u32_field(params, "id")?;
            rt.record(id)?;
            let cfg =
                field(params, "config").ok_or_else(|| RpcError::invalid("config is required"))?;
            let name = str_field(cfg, "name")?.map(String::from);
            let enable = bool_field(cfg, "enable")?;
            let mut d = dev.borrow_mut();
            let r = d.scripts.iter_mut().find(|r| r.id == id).unwrap();
            if let Some(n) = name {
                r.name = n;
            }
            if let Some(e) = enable {
                r.enable = e;
            }
            let rec = r.clone();
            crate::persist::save_record(&mut d, &rec);
            Ok(json!({"restart_required": false}))
        }
        "script.delete" => {
            let id = u32_field(params, "id")?;
            rt.record(id)?;
            if rt.is_running(id) {
                return Err(RpcError::precondition(format!(
                    "script:{id} is running; stop it first"
                )));
            }
            let mut d = dev.borrow_mut();
            d.scripts.retain(|r| r.id != id);
            let _ = d.board.storage().remove(&crate::runtime::record_name(id));
            let _ = d.board.storage().remove(&code_name(id));
            d.log(Level::Info, 0, format!("script:{id} deleted"));
            Ok(Json::Null)
        }
        _ => Err(RpcError::no_handler(method)),
    })();
    if lower == "script.eval" {
        let id = match u32_field(params, "id") {
            Ok(id) => id,
            Err(e) => return Err(e).into(),
        };
        let code = match str_field(params, "code") {
            Ok(Some(c)) => c.as_bytes().to_vec(),
            Ok(None) => return Err(RpcError::invalid("code is required")).into(),
            Err(e) => return Err(e).into(),
        };
        let from = match origin {
            Origin::Script(from) => Some(from),
            _ => None,
        };
        return rt.script_eval(id, code, from);
    }
    r.into()
}

/// The result of an HTTP client request as `HTTP.GET` answers it.
pub fn http_result(result: Result<crate::board::HttpResponse, String>) -> Res {
    match result {
        Ok(r) => {
            let mut headers = json!({});
            for (k, v) in &r.headers {
                headers[k.as_str()] = json!(v);
            }
            let mut j = json!({"code": r.code, "message": r.message, "headers": headers});
            match core::str::from_utf8(&r.body) {
                Ok(s) => j["body"] = json!(s),
                Err(_) => j["body_b64"] = json!(crate::codec::base64_encode(&r.body)),
            }
            Ok(j)
        }
        Err(e) => Err(RpcError::new(code::DEADLINE_EXCEEDED, e)),
    }
}
