//! Scanning for Wi-Fi networks: `Wifi.Scan` (the RPC, as on a Shelly) and scripts'
//! `Wifi.scan(cb)` share one scan of the board's station at a time. Whoever asks while a scan
//! runs gets that scan's result; a scan the board never ends is given up after
//! [`SCAN_LIMIT_MS`], so no caller waits for ever.
//!
//! This module keeps the RPC callers (tokens) and the time limit; the runtime hands the result
//! to the scripts' callbacks (`ListenerKind::WifiScan` listeners, which exist only while a scan
//! runs).
//!
//! Must never: start a second scan while one runs, or leave a caller unanswered.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::board::{BoardEvent, WifiNetwork};
use crate::device::Device;
use crate::json::{json, Json};
use crate::rpc::{code, RpcError, RpcReply};

/// How long a scan may take before its callers are told it failed. A station busy joining a
/// network scans after that join (the chip's limit for one is 30 s, for a scan 15 s).
pub const SCAN_LIMIT_MS: u64 = 60_000;
/// `Wifi.Scan` calls that may wait for one scan.
pub const MAX_RPC_WAITING: usize = 8;

/// The scan in flight and who waits for it.
#[derive(Debug, Default)]
pub struct WifiScan {
    /// When the scan in flight is given up; `None` while no scan runs.
    deadline_ms: Option<u64>,
    /// `Wifi.Scan` calls waiting for it (RPC tokens).
    rpc_tokens: Vec<u32>,
}

impl WifiScan {
    /// When the scan in flight is given up (for the loop's next wake-up).
    pub fn deadline(&self) -> Option<u64> {
        self.deadline_ms
    }

    pub fn running(&self) -> bool {
        self.deadline_ms.is_some()
    }
}

/// Make sure a scan runs: start one unless one does. The error says why none can.
pub fn begin(dev: &mut Device) -> Result<(), String> {
    if dev.wifi_scan.running() {
        return Ok(());
    }
    let now = dev.now_ms();
    let Some(wifi) = dev.board.wifi() else {
        return Err("this board has no Wi-Fi".into());
    };
    wifi.start_scan().map_err(|e| format!("{e}"))?;
    dev.wifi_scan.deadline_ms = Some(now.saturating_add(SCAN_LIMIT_MS));
    Ok(())
}

/// `Wifi.Scan`: `{results: [{ssid, bssid, auth, channel, rssi}]}` once the scan ends.
pub fn rpc(dev: &mut Device) -> RpcReply {
    if dev.wifi_scan.rpc_tokens.len() >= MAX_RPC_WAITING {
        return Err(RpcError::new(
            code::RESOURCE_EXHAUSTED,
            format!("Wifi.Scan: {MAX_RPC_WAITING} calls already wait for the scan"),
        ))
        .into();
    }
    if let Err(e) = begin(dev) {
        return Err(RpcError::new(code::UNAVAILABLE, format!("Wifi.Scan: {e}"))).into();
    }
    let token = dev.new_token();
    dev.wifi_scan.rpc_tokens.push(token);
    RpcReply::Pending(token)
}

/// The scan ended: answer the `Wifi.Scan` callers. False when no scan was running (a late
/// result of a scan already given up): then nobody waits for it.
pub fn finish(dev: &mut Device, result: &Result<Vec<WifiNetwork>, String>) -> bool {
    let Some(deadline) = dev.wifi_scan.deadline_ms.take() else {
        return false;
    };
    let timed_out = dev.now_ms() >= deadline;
    let answer = match result {
        Ok(networks) => Ok(results_json(networks)),
        Err(e) if timed_out => Err(RpcError::new(
            code::DEADLINE_EXCEEDED,
            format!("Wifi.Scan: {e}"),
        )),
        Err(e) => Err(RpcError::new(code::UNAVAILABLE, format!("Wifi.Scan: {e}"))),
    };
    for token in core::mem::take(&mut dev.wifi_scan.rpc_tokens) {
        dev.rpc_done.push_back((token, answer.clone()));
    }
    true
}

/// The scan in flight, once it outlived [`SCAN_LIMIT_MS`]: the failure to hand to
/// [`finish`] and the scripts.
pub fn expired(dev: &Device) -> Option<BoardEvent> {
    let deadline = dev.wifi_scan.deadline_ms?;
    (dev.now_ms() >= deadline).then(|| BoardEvent::WifiScanDone {
        result: Err(format!(
            "the scan did not end within {} s",
            SCAN_LIMIT_MS / 1000
        )),
    })
}

/// Shelly's `Wifi.Scan` result: strongest first; a hidden network's `ssid` is `null`.
pub fn results_json(networks: &[WifiNetwork]) -> Json {
    let mut sorted: Vec<&WifiNetwork> = networks.iter().collect();
    sorted.sort_by_key(|n| core::cmp::Reverse(n.rssi));
    let results: Vec<Json> = sorted
        .iter()
        .map(|n| {
            let [a, b, c, d, e, f] = n.bssid;
            json!({
                "ssid": (!n.ssid.is_empty()).then_some(n.ssid.as_str()),
                "bssid": format!("{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{f:02x}"),
                "auth": n.security as u8,
                "channel": n.channel,
                "rssi": n.rssi,
            })
        })
        .collect();
    json!({ "results": results })
}

/// The names scripts' `Wifi.scan(cb)` gets: strongest first, each once (a network with
/// several access points is listed once), hidden networks left out.
pub fn names(networks: &[WifiNetwork]) -> Vec<String> {
    let mut sorted: Vec<&WifiNetwork> = networks.iter().collect();
    sorted.sort_by_key(|n| core::cmp::Reverse(n.rssi));
    let mut names: Vec<String> = Vec::new();
    for n in sorted {
        if !n.ssid.is_empty() && !names.contains(&n.ssid) {
            names.push(n.ssid.clone());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::WifiSecurity;

    fn net(ssid: &str, last: u8, rssi: i32, security: WifiSecurity) -> WifiNetwork {
        WifiNetwork {
            ssid: ssid.into(),
            bssid: [0x24, 0x0a, 0xc4, 0, 0x10, last],
            channel: 6,
            rssi,
            security,
        }
    }

    #[test]
    fn results_are_shellys_strongest_first_with_hidden_as_null() {
        let nets = [
            net("far", 1, -80, WifiSecurity::Wpa2),
            net("", 2, -60, WifiSecurity::Open),
            net("near", 3, -40, WifiSecurity::Wpa2Wpa3),
        ];
        let j = results_json(&nets);
        assert_eq!(
            j,
            json!({"results": [
                {"ssid": "near", "bssid": "24:0a:c4:00:10:03", "auth": 7, "channel": 6, "rssi": -40},
                {"ssid": null, "bssid": "24:0a:c4:00:10:02", "auth": 0, "channel": 6, "rssi": -60},
                {"ssid": "far", "bssid": "24:0a:c4:00:10:01", "auth": 3, "channel": 6, "rssi": -80},
            ]})
        );
    }

    #[test]
    fn names_are_listed_once_strongest_first_without_hidden_ones() {
        let nets = [
            net("mesh", 1, -70, WifiSecurity::Wpa2),
            net("", 2, -30, WifiSecurity::Open),
            net("office", 3, -50, WifiSecurity::Wpa2),
            net("mesh", 4, -45, WifiSecurity::Wpa2),
        ];
        assert_eq!(names(&nets), ["mesh", "office"]);
    }
}
