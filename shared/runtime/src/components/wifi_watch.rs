//! Noticing the station's changes. The board's Wi-Fi says how it is when asked; this module
//! asks whenever the runtime polls, at most every [`CHECK_EVERY_MS`] (a loop that sleeps
//! until a deadline does not wake for it: such a board says `WifiChanged`, and is asked at
//! once), and turns a change of its state, network, address
//! or failure reason into a `wifi` status change — `NotifyStatus` and scripts' status handlers
//! get the whole `Wifi.GetStatus`, as on a Shelly — and into Smart.js's `Wifi.changed` codes.
//! The signal strength alone is no change (it moves all the time).
//!
//! Must never: report a change at the first look (that is how the device booted), or a code
//! for a step the station did not take.

use alloc::string::String;
use alloc::vec::Vec;

use crate::device::Device;
use crate::json::Json;

/// How often the station is looked at.
pub const CHECK_EVERY_MS: u64 = 250;

/// Smart.js `Wifi.changed` codes (the access point's are never raised: it is not run).
pub const CONNECTED: i32 = 0;
pub const DISCONNECTED: i32 = 1;
pub const GOT_IP: i32 = 3;

/// What the station looked like at the last look.
#[derive(Debug, Default)]
pub struct WifiWatch {
    seen: Option<Seen>,
    next_check_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    state: &'static str,
    ssid: Option<String>,
    ip: Option<String>,
    error: Option<String>,
}

/// Look at the station at the next [`check`], whenever that is (the board said it changed).
pub fn look_soon(dev: &mut Device) {
    dev.wifi_watch.next_check_ms = 0;
}

/// Look at the station if it is time. A change is queued as the device's `wifi` status change;
/// the result is the Smart.js codes of the steps it took, in order.
pub fn check(dev: &mut Device) -> Vec<i32> {
    let now = dev.now_ms();
    if now < dev.wifi_watch.next_check_ms {
        return Vec::new();
    }
    dev.wifi_watch.next_check_ms = now.saturating_add(CHECK_EVERY_MS);
    let Some(wifi) = dev.board.wifi() else {
        return Vec::new();
    };
    let status = wifi.status();
    let seen = Seen {
        state: status.state(),
        ssid: status.ssid.clone(),
        ip: status.ip.clone(),
        error: status.error.clone(),
    };
    let Some(before) = dev.wifi_watch.seen.replace(seen.clone()) else {
        return Vec::new();
    };
    if before == seen {
        return Vec::new();
    }
    let mut delta = super::wifi::status_json(&status);
    // A reason that went away is said to be gone (a client merges the changes it gets).
    if let (Some(_), None, Json::Object(fields)) = (&before.error, &seen.error, &mut delta) {
        fields.insert("error".into(), Json::Null);
    }
    dev.status_changed("wifi", delta);
    codes(&before, &seen)
}

/// The `Wifi.changed` codes of going from `before` to `now` (Shelly's states): joining is
/// `CONNECTED`, an address `GOT_IP` (both when a look finds both new), leaving
/// `DISCONNECTED`; joined to another network than at the last look, the station left one and
/// joined the other.
fn codes(before: &Seen, now: &Seen) -> Vec<i32> {
    let joined = |s: &Seen| matches!(s.state, "connected" | "got ip");
    let switched = joined(before) && joined(now) && before.ssid != now.ssid;
    let mut codes = Vec::new();
    if joined(before) && (!joined(now) || switched) {
        codes.push(DISCONNECTED);
    }
    if joined(now) && (!joined(before) || switched) {
        codes.push(CONNECTED);
    }
    if now.state == "got ip" && (before.state != "got ip" || switched) {
        codes.push(GOT_IP);
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(state: &'static str, ssid: &str) -> Seen {
        Seen {
            state,
            ssid: Some(ssid.into()).filter(|_| matches!(state, "connected" | "got ip")),
            ip: None,
            error: None,
        }
    }

    fn steps(before: &'static str, now: &'static str) -> Vec<i32> {
        codes(&on(before, "home"), &on(now, "home"))
    }

    #[test]
    fn each_step_the_station_took_has_its_code() {
        assert_eq!(steps("connecting", "connected"), [CONNECTED]);
        assert_eq!(steps("connected", "got ip"), [GOT_IP]);
        assert_eq!(steps("connecting", "got ip"), [CONNECTED, GOT_IP]);
        assert_eq!(steps("got ip", "connecting"), [DISCONNECTED]);
        assert_eq!(steps("got ip", "disconnected"), [DISCONNECTED]);
        // An address lost while still joined, and trying without having joined: no step.
        assert!(steps("got ip", "connected").is_empty());
        assert!(steps("disconnected", "connecting").is_empty());
        // Another network between two looks: left, joined, an address.
        assert_eq!(
            codes(&on("got ip", "home"), &on("got ip", "office")),
            [DISCONNECTED, CONNECTED, GOT_IP]
        );
        assert_eq!(
            codes(&on("got ip", "home"), &on("connected", "office")),
            [DISCONNECTED, CONNECTED]
        );
    }
}
