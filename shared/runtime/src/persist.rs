//! What the device keeps in storage: script records and code, component configs, KVS.
//! Every write is one atomic `Storage::write`, so a crash leaves the old or the new version.

use alloc::format;
use alloc::string::String;
use core::cell::RefCell;

use crate::device::{Device, ScriptRecord};
use crate::json::json;
use crate::log::Level;

/// Load script records (and later component configs) from storage at boot.
pub fn load(dev: &RefCell<Device>) {
    let mut d = dev.borrow_mut();
    let names = d.board.storage().list("scripts/").unwrap_or_default();
    let mut records = alloc::vec::Vec::new();
    for n in names.iter().filter(|n| n.ends_with(".json")) {
        let Ok(Some(bytes)) = d.board.storage().read(n) else {
            continue;
        };
        match crate::json::parse_stored(&bytes) {
            Ok(j) => {
                let Some(id) = j["id"].as_u64() else { continue };
                records.push(ScriptRecord {
                    id: id as u32,
                    name: j["name"].as_str().unwrap_or("").into(),
                    enable: j["enable"].as_bool().unwrap_or(false),
                    running: false,
                    errors: j["errors"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|e| e.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default(),
                    error_msg: j["error_msg"].as_str().map(String::from),
                    mem_used: 0,
                    mem_peak: 0,
                    mem_free: 0,
                    dropped_events: 0,
                });
            }
            Err(e) => d.log(
                Level::Error,
                0,
                format!("{n}: unreadable script record: {e}"),
            ),
        }
    }
    ferrite_collections::sort::sort_by_key(&mut records, |r| r.id);
    d.scripts = records;
    crate::api::load_persisted(&mut d);
}

/// Persist a script's record.
pub fn save_record(d: &mut Device, r: &ScriptRecord) {
    let mut j = json!({"id": r.id, "name": r.name, "enable": r.enable});
    if !r.errors.is_empty() {
        j["errors"] = json!(r.errors);
        j["error_msg"] = json!(r.error_msg);
    }
    let bytes = crate::json::to_vec(&j);
    if let Err(e) = d
        .board
        .storage()
        .write(&crate::runtime::record_name(r.id), &bytes)
    {
        d.log(
            Level::Error,
            0,
            format!("saving script:{} failed: {e}", r.id),
        );
    }
}

/// Load the configs saved by [`save_component_config`] (`config/<key>.json`).
pub fn load_component_configs(d: &mut Device) {
    let names = d.board.storage().list("config/").unwrap_or_default();
    for n in names {
        let Some(key) = n
            .strip_prefix("config/")
            .and_then(|k| k.strip_suffix(".json"))
        else {
            continue;
        };
        let key = String::from(key);
        let Ok(Some(bytes)) = d.board.storage().read(&n) else {
            continue;
        };
        let Ok(cfg) = crate::json::parse_stored(&bytes) else {
            d.log(Level::Error, 0, format!("{n}: unreadable config"));
            continue;
        };
        let (kind, id) = crate::components::parse_key(&key);
        let r = match (kind, id) {
            ("sys", _) => {
                // The password hash is not part of `Sys.SetConfig` (only `Shelly.SetAuth` sets it).
                d.components.sys.auth_ha1 = cfg["auth_ha1"].as_str().map(String::from);
                d.components.sys.set(&cfg)
            }
            ("mqtt", _) => d.components.mqtt.set(&cfg),
            ("wifi", _) => {
                let w = &mut d.components.wifi;
                w.ssid = cfg["ssid"].as_str().map(String::from);
                w.pass = cfg["pass"].as_str().map(String::from);
                w.sta_enable = cfg["enable"].as_bool().unwrap_or(false);
                // A saved config that no longer validates keeps DHCP.
                if w.set_ipv4(&cfg).is_err() {
                    w.ipv4_static = false;
                }
                Ok(())
            }
            ("switch", Some(i)) => match d.components.switches.iter_mut().find(|s| s.id == i) {
                Some(s) => s.set_config(&cfg),
                None => Ok(()),
            },
            ("input", Some(i)) => match d.components.inputs.iter_mut().find(|s| s.id == i) {
                Some(s) => s.set_config(&cfg),
                None => Ok(()),
            },
            _ => Ok(()),
        };
        if let Err(e) = r {
            d.log(Level::Error, 0, format!("{n}: {e}"));
        }
    }
    crate::api::apply_mqtt_config(d);
    if let Err(e) = crate::components::wifi::join_configured(d) {
        d.log(Level::Error, 0, format!("wifi: {e}"));
    }
}

/// Save the config of component `key` (the form `load_component_configs` reads).
pub fn save_component_config(d: &mut Device, key: &str) {
    let (kind, id) = crate::components::parse_key(key);
    let cfg = match (kind, id) {
        ("sys", _) => {
            let s = &d.components.sys;
            json!({"device": {"name": s.name}, "location": {"tz": s.tz},
                   "sntp": {"server": s.sntp_server}, "debug": {"websocket": {"enable": s.debug_websocket}},
                   "auth_ha1": s.auth_ha1})
        }
        ("mqtt", _) => {
            let m = &d.components.mqtt;
            let mut j = m.to_json();
            j["pass"] = json!(m.pass);
            if let Some(o) = j.as_object_mut() {
                o.remove("ssl_ca");
            }
            j
        }
        ("wifi", _) => {
            let w = &d.components.wifi;
            let mut j = json!({"ssid": w.ssid, "pass": w.pass, "enable": w.sta_enable});
            if let (Some(o), Some(sta)) = (j.as_object_mut(), w.to_json().get("sta")) {
                for k in ["ipv4mode", "ip", "netmask", "gw", "nameserver"] {
                    if let Some(v) = sta.get(k) {
                        o.insert(k.into(), v.clone());
                    }
                }
            }
            j
        }
        _ => match crate::components::config(d, kind, id) {
            Some(c) => c,
            None => return,
        },
    };
    let bytes = crate::json::to_vec(&cfg);
    if let Err(e) = d
        .board
        .storage()
        .write(&format!("config/{key}.json"), &bytes)
    {
        d.log(
            Level::Error,
            0,
            format!("saving config of {key} failed: {e}"),
        );
    }
}
