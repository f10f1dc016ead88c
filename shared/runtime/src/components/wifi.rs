//! `wifi`: station configuration and status (from the board's Wi-Fi, if it has one).

use alloc::format;
use alloc::string::String;

use crate::board::{BoardError, StaticIpv4, WifiStatus};
use crate::device::Device;
use crate::json::{json, Json};

#[derive(Clone, Debug, Default)]
pub struct WifiConfig {
    pub sta_enable: bool,
    pub ssid: Option<String>,
    /// Kept for reconnecting; never reported back.
    pub pass: Option<String>,
    /// `sta.ipv4mode`: `"static"` uses the address below instead of DHCP.
    pub ipv4_static: bool,
    /// `sta.ip`, `sta.netmask`, `sta.gw`, `sta.nameserver`: kept in either mode (as a Shelly
    /// does), used in static mode.
    pub ip: Option<[u8; 4]>,
    pub netmask: Option<[u8; 4]>,
    pub gw: Option<[u8; 4]>,
    pub nameserver: Option<[u8; 4]>,
}

impl WifiConfig {
    pub fn to_json(&self) -> Json {
        json!({
            "ap": {"ssid": null, "is_open": true, "enable": false},
            "sta": {
                "ssid": self.ssid,
                "is_open": self.pass.is_none(),
                "enable": self.sta_enable,
                "ipv4mode": if self.ipv4_static { "static" } else { "dhcp" },
                "ip": self.ip.map(dotted),
                "netmask": self.netmask.map(dotted),
                "gw": self.gw.map(dotted),
                "nameserver": self.nameserver.map(dotted),
            },
        })
    }

    /// Take `ipv4mode`, `ip`, `netmask`, `gw` and `nameserver` from a `sta` object (`Wifi.SetConfig`,
    /// the saved config). Absent fields stay as they were; `null` clears one. Static mode needs
    /// an address and a netmask.
    pub fn set_ipv4(&mut self, sta: &Json) -> Result<(), String> {
        if let Some(m) = sta.get("ipv4mode") {
            self.ipv4_static = match m.as_str() {
                Some("dhcp") => false,
                Some("static") => true,
                _ => return Err("sta.ipv4mode must be \"dhcp\" or \"static\"".into()),
            };
        }
        for (name, slot) in [
            ("ip", &mut self.ip),
            ("netmask", &mut self.netmask),
            ("gw", &mut self.gw),
            ("nameserver", &mut self.nameserver),
        ] {
            match sta.get(name) {
                None => {}
                Some(v) if v.is_null() => *slot = None,
                Some(v) => {
                    let text = v.as_str().unwrap_or("");
                    *slot = Some(parse_ipv4(text).ok_or_else(|| {
                        format!("sta.{name} must be an IPv4 address like 192.168.1.20, not {v}")
                    })?);
                }
            }
        }
        if let Some(mask) = self.netmask {
            if prefix_len(mask).is_none() {
                return Err(format!(
                    "sta.netmask {} is not a netmask (its one bits must come first)",
                    dotted(mask)
                ));
            }
        }
        if self.ipv4_static && (self.ip.is_none() || self.netmask.is_none()) {
            return Err("sta.ipv4mode \"static\" needs sta.ip and sta.netmask".into());
        }
        Ok(())
    }

    /// The fixed address to use, in static mode.
    pub fn static_ipv4(&self) -> Option<StaticIpv4> {
        if !self.ipv4_static {
            return None;
        }
        Some(StaticIpv4 {
            ip: self.ip?,
            prefix_len: prefix_len(self.netmask?)?,
            gateway: self.gw,
            nameserver: self.nameserver,
        })
    }
}

fn dotted(a: [u8; 4]) -> String {
    format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])
}

/// `a.b.c.d` with each part 0..=255 in decimal.
fn parse_ipv4(s: &str) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = s.split('.');
    for b in out.iter_mut() {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        *b = p.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// The prefix length of a netmask (its one bits first), if it is one.
fn prefix_len(mask: [u8; 4]) -> Option<u8> {
    let m = u32::from_be_bytes(mask);
    let ones = m.leading_ones();
    (m.checked_shl(ones).unwrap_or(0) == 0).then_some(ones as u8)
}

/// Join the configured network on the board's Wi-Fi, when the station is enabled and has an
/// SSID (at boot, from the saved config, and after `Wifi.SetConfig`). A board without Wi-Fi
/// has nothing to do.
pub fn join_configured(dev: &mut Device) -> Result<(), BoardError> {
    let w = dev.components.wifi.clone();
    if let (true, Some(ssid)) = (w.sta_enable, w.ssid.as_deref()) {
        if let Some(wifi) = dev.board.wifi() {
            wifi.set_ipv4(w.static_ipv4());
            wifi.connect(ssid, w.pass.as_deref().unwrap_or(""))?;
        }
    }
    Ok(())
}

/// `Wifi.GetStatus`.
pub fn status(dev: &mut Device) -> Json {
    match dev.board.wifi() {
        Some(w) => status_json(&w.status()),
        None => json!({"sta_ip": null, "status": "disconnected", "ssid": null, "rssi": 0}),
    }
}

/// The station's status as Shelly shows it (`Wifi.GetStatus`, the `wifi` status change).
pub fn status_json(s: &WifiStatus) -> Json {
    let mut status = json!({
        "sta_ip": s.ip,
        "status": s.state(),
        "ssid": s.ssid,
        "rssi": s.rssi,
    });
    // Ferrite's: why the station is not joined (a wrong password, no such network).
    if let (Some(error), Json::Object(fields)) = (&s.error, &mut status) {
        fields.insert("error".into(), Json::String(error.clone()));
    }
    status
}
