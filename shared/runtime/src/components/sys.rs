//! `sys`: device name, location, time, and the system status (uptime, RAM, storage).

use alloc::string::String;

use crate::device::{Device, DeviceInfo};
use crate::json::{json, Json};

#[derive(Clone, Debug, Default)]
pub struct SysConfig {
    pub name: Option<String>,
    pub tz: Option<String>,
    pub sntp_server: String,
    pub debug_websocket: bool,
    /// Digest-auth password hash set by `Shelly.SetAuth` (`ha1`), if any.
    pub auth_ha1: Option<String>,
}

impl SysConfig {
    pub fn to_json(&self, info: &DeviceInfo) -> Json {
        json!({
            "device": {"name": self.name, "mac": info.mac, "fw_id": info.fw_version, "eco_mode": false, "discoverable": true},
            "location": {"tz": self.tz, "lat": null, "lon": null},
            "debug": {"websocket": {"enable": self.debug_websocket}, "mqtt": {"enable": false}, "udp": {"addr": null}},
            "sntp": {"server": if self.sntp_server.is_empty() { "time.google.com" } else { self.sntp_server.as_str() }},
            "cfg_rev": 0,
        })
    }

    pub fn set(&mut self, cfg: &Json) -> Result<(), String> {
        if let Some(d) = cfg.get("device") {
            if let Some(n) = d.get("name") {
                self.name = n.as_str().map(String::from);
            }
        }
        if let Some(l) = cfg.get("location") {
            if let Some(tz) = l.get("tz") {
                self.tz = tz.as_str().map(String::from);
            }
        }
        if let Some(s) = cfg
            .get("sntp")
            .and_then(|s| s.get("server"))
            .and_then(|s| s.as_str())
        {
            self.sntp_server = s.into();
        }
        if let Some(e) = cfg
            .get("debug")
            .and_then(|d| d.get("websocket"))
            .and_then(|w| w.get("enable"))
        {
            self.debug_websocket = e
                .as_bool()
                .ok_or("debug.websocket.enable must be a boolean")?;
        }
        Ok(())
    }
}

pub fn status(dev: &mut Device) -> Json {
    let uptime = dev.now_ms() / 1000;
    let sys = dev.board.system();
    let ram_size = sys.ram_size();
    let ram_free = sys.ram_free();
    let low_water = [
        ("ram_min_free", sys.ram_min_free()),
        ("stack_min_free", sys.stack_min_free()),
    ];
    let (fs_used, fs_size) = dev.board.storage().usage().unwrap_or((0, 0));
    let unix = dev.board.clock().unix_time_ms();
    let (time, unixtime) = match unix {
        Some(ms) => {
            let secs = (ms / 1000.0) as i64;
            let day = secs.rem_euclid(86_400);
            (
                Json::String(alloc::format!("{:02}:{:02}", day / 3600, (day % 3600) / 60)),
                json!(secs),
            )
        }
        None => (Json::Null, Json::Null),
    };
    let mut status = json!({
        "mac": dev.info.mac,
        "restart_required": dev.restart_required,
        "time": time,
        "unixtime": unixtime,
        "uptime": uptime,
        "ram_size": ram_size,
        "ram_free": ram_free,
        "fs_size": fs_size,
        "fs_free": fs_size.saturating_sub(fs_used),
        "cfg_rev": 0,
        "kvs_rev": dev.extras.kvs.rev,
        "schedule_rev": 0,
        "webhook_rev": 0,
        "available_updates": {},
    });
    // Where the target knows them (a chip): the least heap and stack free since boot.
    for (key, value) in low_water {
        if let (Some(v), Some(map)) = (value, status.as_object_mut()) {
            map.insert(key.into(), json!(v));
        }
    }
    status
}
