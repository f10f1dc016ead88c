//! The device's components, each with its status, config and RPC methods, named as on Shelly
//! Gen2 devices: `sys`, `switch:<id>`, `input:<id>`, `wifi`, `mqtt`, `script:<id>` (status from
//! the runtime), KVS and the virtual components.

pub mod input;
pub mod mqtt;
pub mod switch;
pub mod sys;
pub mod wifi;
pub mod wifi_scan;
pub mod wifi_watch;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::device::Device;
use crate::json::{json, Json};

pub use input::Input;
pub use mqtt::MqttConfig;
pub use switch::Switch;
pub use sys::SysConfig;
pub use wifi::WifiConfig;

/// The components of the device (scripts live in the runtime, not here).
#[derive(Debug)]
pub struct Components {
    pub sys: SysConfig,
    pub switches: Vec<Switch>,
    pub inputs: Vec<Input>,
    pub wifi: WifiConfig,
    pub mqtt: MqttConfig,
}

impl Default for Components {
    fn default() -> Self {
        Components {
            sys: SysConfig::default(),
            switches: vec![Switch::new(0)],
            inputs: vec![Input::new(0)],
            wifi: WifiConfig::default(),
            mqtt: MqttConfig::default(),
        }
    }
}

/// Split `"switch:0"` into `("switch", Some(0))`, `"sys"` into `("sys", None)`.
pub fn parse_key(key: &str) -> (&str, Option<u32>) {
    match key.split_once(':') {
        Some((t, id)) => (t, id.parse().ok()),
        None => (key, None),
    }
}

/// Status of component `kind` with `id` (`None` if there is no such component).
pub fn status(dev: &mut Device, kind: &str, id: Option<u32>) -> Option<Json> {
    let now = dev.now_ms();
    match (kind, id) {
        ("sys", _) => Some(sys::status(dev)),
        ("switch", Some(i)) => dev
            .components
            .switches
            .iter_mut()
            .find(|s| s.id == i)
            .map(|s| s.status(now)),
        ("input", Some(i)) => dev
            .components
            .inputs
            .iter()
            .find(|s| s.id == i)
            .map(|s| s.status()),
        ("wifi", _) => Some(wifi::status(dev)),
        ("mqtt", _) => Some(mqtt::status(dev)),
        _ => None,
    }
}

/// Config of component `kind` with `id`.
pub fn config(dev: &Device, kind: &str, id: Option<u32>) -> Option<Json> {
    match (kind, id) {
        ("sys", _) => Some(dev.components.sys.to_json(&dev.info)),
        ("switch", Some(i)) => dev
            .components
            .switches
            .iter()
            .find(|s| s.id == i)
            .map(|s| s.config_json()),
        ("input", Some(i)) => dev
            .components
            .inputs
            .iter()
            .find(|s| s.id == i)
            .map(|s| s.config_json()),
        ("wifi", _) => Some(dev.components.wifi.to_json()),
        ("mqtt", _) => Some(dev.components.mqtt.to_json()),
        _ => None,
    }
}

/// Keys of all components (for `Shelly.GetStatus` / `GetConfig`).
pub fn keys(dev: &Device) -> Vec<String> {
    let mut k: Vec<String> = vec!["sys".into(), "wifi".into(), "mqtt".into()];
    for s in &dev.components.switches {
        k.push(alloc::format!("switch:{}", s.id));
    }
    for i in &dev.components.inputs {
        k.push(alloc::format!("input:{}", i.id));
    }
    k
}

/// `Shelly.GetStatus` for the components held here (the runtime adds scripts).
pub fn full_status(dev: &mut Device) -> Json {
    let mut out = json!({});
    for key in keys(dev) {
        let (kind, id) = parse_key(&key);
        if let Some(s) = status(dev, kind, id) {
            out[key.as_str()] = s;
        }
    }
    out
}

/// `Shelly.GetConfig` for the components held here.
pub fn full_config(dev: &Device) -> Json {
    let mut out = json!({});
    for key in keys(dev) {
        let (kind, id) = parse_key(&key);
        if let Some(s) = config(dev, kind, id) {
            out[key.as_str()] = s;
        }
    }
    out
}

/// Advance time-driven component behaviour (auto on/off, button push detection, energy).
pub fn tick(dev: &mut Device) {
    let now = dev.now_ms();
    let mut events = Vec::new();
    let mut statuses = Vec::new();
    for s in dev.components.switches.iter_mut() {
        if let Some(delta) = s.tick(now) {
            statuses.push((alloc::format!("switch:{}", s.id), delta));
        }
    }
    for i in dev.components.inputs.iter_mut() {
        for ev in i.tick(now) {
            events.push((i.id, ev));
        }
    }
    for (id, ev) in events {
        dev.emit_event("input", Some(id), ev, None);
    }
    for (k, d) in statuses {
        dev.status_changed(&k, d);
    }
    crate::api::shelly_extras::tick(dev);
}

/// The earliest time a component needs [`tick`] again.
pub fn next_deadline(dev: &Device) -> Option<u64> {
    let a = dev.components.switches.iter().filter_map(|s| s.deadline());
    let b = dev.components.inputs.iter().filter_map(|i| i.deadline());
    let c = crate::api::shelly_extras::next_deadline(dev);
    let d = dev.wifi_scan.deadline();
    a.chain(b).chain(c).chain(d).min()
}
