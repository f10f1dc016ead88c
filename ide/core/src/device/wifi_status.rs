//! The station's status (`Wifi.GetStatus`, or the `wifi` status changes merged into it) as the
//! Configuration form shows it beside the SSID: Shelly's state, the address and network while
//! joined, and why it is not joined when the device says (a Ferrite device's `error`).

use alloc::format;
use alloc::string::{String, ToString};

use serde_json::Value;

/// One line: `got ip 192.168.1.20 (home)`, `connecting: cannot join "home": wrong password?
/// (FourWayHandshakeTimeout)`, `disconnected`.
pub fn status_line(v: &Value) -> String {
    let text = |key: &str| v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
    let state = text("status").unwrap_or("unknown").to_string();
    let mut line = match (text("sta_ip"), text("ssid")) {
        (Some(ip), Some(ssid)) => format!("{state} {ip} ({ssid})"),
        (Some(ip), None) => format!("{state} {ip}"),
        (None, Some(ssid)) => format!("{state} ({ssid})"),
        (None, None) => state,
    };
    if let Some(error) = text("error") {
        line.push_str(": ");
        line.push_str(error);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_state_the_address_and_why_not() {
        let joined =
            json!({"status": "got ip", "sta_ip": "192.168.1.20", "ssid": "home", "rssi": -60});
        assert_eq!(status_line(&joined), "got ip 192.168.1.20 (home)");
        let failing = json!({"status": "connecting", "sta_ip": null, "ssid": null,
            "error": "cannot join \"home\": wrong password? (FourWayHandshakeTimeout)"});
        assert_eq!(
            status_line(&failing),
            "connecting: cannot join \"home\": wrong password? (FourWayHandshakeTimeout)"
        );
        // A reason the device said is gone (`error: null`, merged from a change).
        let cleared = json!({"status": "disconnected", "sta_ip": null, "error": null});
        assert_eq!(status_line(&cleared), "disconnected");
        assert_eq!(status_line(&json!({})), "unknown");
    }
}
