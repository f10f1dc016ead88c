//! The station's IPv4 settings as the Device tab's Configuration form edits them: read from
//! `Wifi.GetConfig`, written as `Wifi.SetConfig`'s `sta` fields (`ipv4mode`, `ip`, `netmask`,
//! `gw`, `nameserver`, as on a Shelly). The device checks the addresses and says what is wrong;
//! the form only maps text to fields.

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use serde_json::Value;

/// The station's fixed IPv4 address as the Configuration form shows it: all text, an empty
/// `ip` meaning DHCP.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ipv4Form {
    pub ip: String,
    pub netmask: String,
    pub gateway: String,
    pub nameserver: String,
}

impl Ipv4Form {
    /// From `Wifi.GetConfig`'s answer: the address only in static mode (DHCP shows it empty).
    pub fn from_wifi_config(v: &Value) -> Ipv4Form {
        let text = |name: &str| {
            v.pointer(&alloc::format!("/sta/{name}"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let is_static = v.pointer("/sta/ipv4mode").and_then(Value::as_str) == Some("static");
        Ipv4Form {
            ip: if is_static { text("ip") } else { String::new() },
            netmask: text("netmask"),
            gateway: text("gw"),
            nameserver: text("nameserver"),
        }
    }

    /// The `sta` fields `Wifi.SetConfig` takes for it: DHCP for an empty address, else a static
    /// address (an empty field is sent as `null`, which clears it; the device refuses a static
    /// address without a netmask, or anything malformed, and says why).
    pub fn to_sta_fields(&self) -> Vec<(&'static str, Value)> {
        let field = |s: &str| {
            let s = s.trim();
            if s.is_empty() {
                Value::Null
            } else {
                Value::String(s.to_string())
            }
        };
        if self.ip.trim().is_empty() {
            return vec![("ipv4mode", Value::String("dhcp".into()))];
        }
        vec![
            ("ipv4mode", Value::String("static".into())),
            ("ip", field(&self.ip)),
            ("netmask", field(&self.netmask)),
            ("gw", field(&self.gateway)),
            ("nameserver", field(&self.nameserver)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_static_address_is_read_and_written_back() {
        let cfg = json!({"sta": {"ssid": "home", "ipv4mode": "static", "ip": "192.168.1.20",
            "netmask": "255.255.255.0", "gw": "192.168.1.1", "nameserver": null}});
        let form = Ipv4Form::from_wifi_config(&cfg);
        assert_eq!(form.ip, "192.168.1.20");
        assert_eq!(form.gateway, "192.168.1.1");
        assert_eq!(form.nameserver, "");
        assert_eq!(
            form.to_sta_fields(),
            vec![
                ("ipv4mode", json!("static")),
                ("ip", json!("192.168.1.20")),
                ("netmask", json!("255.255.255.0")),
                ("gw", json!("192.168.1.1")),
                ("nameserver", Value::Null),
            ]
        );
    }

    #[test]
    fn dhcp_shows_no_address_and_an_empty_address_means_dhcp() {
        let cfg = json!({"sta": {"ipv4mode": "dhcp", "ip": "10.0.0.9", "netmask": "255.0.0.0"}});
        let form = Ipv4Form::from_wifi_config(&cfg);
        assert_eq!(form.ip, "");
        assert_eq!(form.netmask, "255.0.0.0");
        assert_eq!(form.to_sta_fields(), vec![("ipv4mode", json!("dhcp"))]);
        let blank = Ipv4Form {
            ip: "  ".into(),
            ..form
        };
        assert_eq!(blank.to_sta_fields(), vec![("ipv4mode", json!("dhcp"))]);
        assert_eq!(Ipv4Form::from_wifi_config(&json!({})), Ipv4Form::default());
    }

    #[test]
    fn fields_are_trimmed_and_empty_ones_clear() {
        let form = Ipv4Form {
            ip: " 192.168.1.20 ".into(),
            netmask: String::new(),
            gateway: " ".into(),
            nameserver: "1.1.1.1".into(),
        };
        let fields = form.to_sta_fields();
        assert_eq!(fields[1], ("ip", json!("192.168.1.20")));
        assert_eq!(fields[2], ("netmask", Value::Null));
        assert_eq!(fields[3], ("gw", Value::Null));
        assert_eq!(fields[4], ("nameserver", json!("1.1.1.1")));
    }
}
