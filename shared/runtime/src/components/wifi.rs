//! `wifi`: station configuration and status (from the board's Wi-Fi, if it has one).

use alloc::string::String;

use crate::board::BoardError;
use crate::device::Device;
use crate::json::{json, Json};

#[derive(Clone, Debug, Default)]
pub struct WifiConfig {
    pub sta_enable: bool,
    pub ssid: Option<String>,
    /// Kept for reconnecting; never reported back.
    pub pass: Option<String>,
}

impl WifiConfig {
    pub fn to_json(&self) -> Json {
        json!({
            "ap": {"ssid": null, "is_open": true, "enable": false},
            "sta": {"ssid": self.ssid, "is_open": self.pass.is_none(), "enable": self.sta_enable, "ipv4mode": "dhcp"},
        })
    }
}

/// Join the configured network on the board's Wi-Fi, when the station is enabled and has an
/// SSID (at boot, from the saved config, and after `Wifi.SetConfig`). A board without Wi-Fi
/// has nothing to do.
pub fn join_configured(dev: &mut Device) -> Result<(), BoardError> {
    let w = dev.components.wifi.clone();
    if let (true, Some(ssid)) = (w.sta_enable, w.ssid.as_deref()) {
        if let Some(wifi) = dev.board.wifi() {
            wifi.connect(ssid, w.pass.as_deref().unwrap_or(""))?;
        }
    }
    Ok(())
}

pub fn status(dev: &mut Device) -> Json {
    match dev.board.wifi() {
        Some(w) => {
            let s = w.status();
            json!({
                "sta_ip": s.ip,
                "status": if s.connected { "got ip" } else { "disconnected" },
                "ssid": s.ssid,
                "rssi": s.rssi,
            })
        }
        None => json!({"sta_ip": null, "status": "disconnected", "ssid": null, "rssi": 0}),
    }
}
