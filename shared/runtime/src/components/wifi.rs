//! `wifi`: station configuration and status (from the board's Wi-Fi, if it has one).

use alloc::string::String;

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
