//! The networks a device's `Wifi.Scan` found, as the Configuration form offers them for its
//! SSID field: one entry per name (the strongest of its access points), strongest first, hidden
//! networks left out (they cannot be picked by name from a list).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::Value;

/// A network to pick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkChoice {
    pub ssid: String,
    /// dBm, of its strongest access point.
    pub rssi: i64,
    /// Needs a password (anything but `auth` 0, open).
    pub secured: bool,
}

impl NetworkChoice {
    /// What the list shows beside the name: the signal and whether a password is needed.
    pub fn detail(&self) -> String {
        let lock = if self.secured { "password" } else { "open" };
        alloc::format!("{} dBm, {lock}", self.rssi)
    }
}

/// From `Wifi.Scan`'s answer (`{results: [{ssid, bssid, auth, channel, rssi}]}`).
pub fn from_scan(v: &Value) -> Vec<NetworkChoice> {
    let mut choices: Vec<NetworkChoice> = Vec::new();
    let results = v.get("results").and_then(Value::as_array);
    for r in results.into_iter().flatten() {
        let Some(ssid) = r
            .get("ssid")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        let rssi = r.get("rssi").and_then(Value::as_i64).unwrap_or(i64::MIN);
        let secured = r.get("auth").and_then(Value::as_u64) != Some(0);
        match choices.iter_mut().find(|c| c.ssid == ssid) {
            Some(c) if c.rssi < rssi => {
                c.rssi = rssi;
                c.secured = secured;
            }
            Some(_) => {}
            None => choices.push(NetworkChoice {
                ssid: ssid.to_string(),
                rssi,
                secured,
            }),
        }
    }
    choices.sort_by_key(|c| core::cmp::Reverse(c.rssi));
    choices
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_choice_per_name_strongest_first_without_hidden_networks() {
        let scan = json!({"results": [
            {"ssid": "garden", "bssid": "24:0a:c4:00:00:01", "auth": 3, "channel": 1, "rssi": -80},
            {"ssid": null, "bssid": "24:0a:c4:00:00:02", "auth": 0, "channel": 6, "rssi": -30},
            {"ssid": "cafe", "bssid": "24:0a:c4:00:00:03", "auth": 0, "channel": 6, "rssi": -65},
            {"ssid": "garden", "bssid": "24:0a:c4:00:00:04", "auth": 3, "channel": 11, "rssi": -50},
        ]});
        let choices = from_scan(&scan);
        let names: Vec<&str> = choices.iter().map(|c| c.ssid.as_str()).collect();
        assert_eq!(names, ["garden", "cafe"]);
        assert_eq!(choices[0].detail(), "-50 dBm, password");
        assert_eq!(choices[1].detail(), "-65 dBm, open");
    }

    #[test]
    fn an_answer_without_results_offers_nothing() {
        assert!(from_scan(&json!({})).is_empty());
        assert!(from_scan(&json!({"results": "none"})).is_empty());
    }
}
