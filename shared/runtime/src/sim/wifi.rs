//! `SimWifi`: the simulated device's Wi-Fi station, for the IDE's simulator and tests. A few
//! access points are "in range" (the panel can take them out of range, as if the router went
//! away); the station joins one when asked, at once, and says why not in the chip's words (no
//! such network, a wrong password, security that does not match). At boot it is joined to
//! [`HOME_SSID`], as a configured device is. A scan lists the networks in range at the next
//! poll; a change of the station is a `WifiChanged` event, so the runtime sees it at once
//! (the simulator's time may jump far between polls).
//!
//! Other network capabilities (sockets, HTTP, MQTT) are passed to an optional inner backend.
//!
//! Must never: answer a scan twice, or report an address while not joined.

use alloc::boxed::Box;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use super::NetBackend;
use crate::board::{
    BoardEvent, BoardResult, HttpClient, Mqtt, Sockets, Wifi, WifiNetwork, WifiSecurity, WifiStatus,
};

/// The network the simulated device is joined to at boot (open).
pub const HOME_SSID: &str = "ferrite-sim";
/// The station's address on any simulated network.
pub const SIM_IP: &str = "192.168.33.20";

/// An access point of the simulation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimNetwork {
    pub ssid: String,
    /// Empty: an open network.
    pub pass: String,
    pub rssi: i32,
    pub channel: u8,
}

/// The station and the access points, shared with the outside's [`SimWifiHandle`].
#[derive(Debug)]
pub struct SimWifiState {
    pub networks: Vec<SimNetwork>,
    /// The access points are in range (the panel's switch).
    pub in_range: bool,
    /// The network to be on (`None`: Wi-Fi disabled).
    wanted: Option<(String, String)>,
    joined: bool,
    error: Option<String>,
    /// A scan was asked for: it ends at the next poll.
    scan_asked: bool,
    /// The station changed since the board last said so.
    changed: bool,
}

impl Default for SimWifiState {
    fn default() -> Self {
        let mut s = SimWifiState {
            networks: alloc::vec![
                SimNetwork {
                    ssid: HOME_SSID.into(),
                    pass: String::new(),
                    rssi: -48,
                    channel: 6,
                },
                SimNetwork {
                    ssid: "neighbours".into(),
                    pass: "not-yours".into(),
                    rssi: -79,
                    channel: 11,
                },
            ],
            in_range: true,
            wanted: Some((HOME_SSID.into(), String::new())),
            joined: false,
            error: None,
            scan_asked: false,
            changed: false,
        };
        s.settle();
        s.changed = false;
        s
    }
}

impl SimWifiState {
    /// Join what is wanted if it can be joined now; else say why not.
    fn settle(&mut self) {
        let before = (self.joined, self.error.clone());
        self.join();
        self.changed |= before != (self.joined, self.error.clone());
    }

    fn join(&mut self) {
        let Some((ssid, pass)) = self.wanted.clone() else {
            self.joined = false;
            self.error = None;
            return;
        };
        let was_joined = self.joined;
        let network = self
            .networks
            .iter()
            .find(|n| n.ssid == ssid)
            .filter(|_| self.in_range);
        let why = match network {
            None if was_joined => Some("the access point went silent (BeaconTimeout)"),
            None => Some("no such network in range (NoAccessPointFound)"),
            Some(n) if n.pass.is_empty() && !pass.is_empty() => Some(
                "the network's security does not match (an open network given a password, or \
                 WPA, WEP or Enterprise) (NoAccessPointFoundWithCompatibleSecurity)",
            ),
            Some(n) if n.pass != pass => Some("wrong password? (FourWayHandshakeTimeout)"),
            Some(_) => None,
        };
        self.joined = why.is_none();
        self.error = why.map(|why| {
            let verb = if was_joined { "lost" } else { "cannot join" };
            format!("{verb} \"{ssid}\": {why}")
        });
    }

    /// What the panel shows: the station's state, network and address.
    pub fn status(&self) -> WifiStatus {
        let ssid = self.wanted.as_ref().map(|(ssid, _)| ssid.clone());
        WifiStatus {
            connected: self.joined,
            associated: self.joined,
            joining: self.wanted.is_some() && !self.joined,
            ssid: ssid.filter(|_| self.joined),
            ip: self.joined.then(|| SIM_IP.into()),
            rssi: if self.joined {
                self.networks
                    .iter()
                    .find(|n| Some(&n.ssid) == self.wanted.as_ref().map(|(s, _)| s))
                    .map_or(0, |n| n.rssi)
            } else {
                0
            },
            error: self.error.clone(),
        }
    }

    /// Take the access points out of range (the station loses its link) or bring them back
    /// (it joins again).
    pub fn set_in_range(&mut self, in_range: bool) {
        self.in_range = in_range;
        self.settle();
    }

    fn scan_result(&self) -> Vec<WifiNetwork> {
        if !self.in_range {
            return Vec::new();
        }
        self.networks
            .iter()
            .enumerate()
            .map(|(i, n)| WifiNetwork {
                ssid: n.ssid.clone(),
                bssid: [0x02, 0x5e, 0x00, 0x00, 0x00, i as u8 + 1],
                channel: n.channel,
                rssi: n.rssi,
                security: if n.pass.is_empty() {
                    WifiSecurity::Open
                } else {
                    WifiSecurity::Wpa2
                },
            })
            .collect()
    }
}

/// The outside's handle on a [`SimWifi`] (the simulator's panel).
#[derive(Clone)]
pub struct SimWifiHandle(pub Rc<RefCell<SimWifiState>>);

/// The simulated station as the board's Wi-Fi.
pub struct SimWifi {
    state: Rc<RefCell<SimWifiState>>,
    inner: Option<Box<dyn NetBackend>>,
}

impl Default for SimWifi {
    fn default() -> Self {
        SimWifi::new()
    }
}

impl SimWifi {
    pub fn new() -> SimWifi {
        SimWifi {
            state: Rc::new(RefCell::new(SimWifiState::default())),
            inner: None,
        }
    }

    /// Pass sockets, HTTP and MQTT to `inner`.
    pub fn with_inner(mut self, inner: Box<dyn NetBackend>) -> SimWifi {
        self.inner = Some(inner);
        self
    }

    pub fn handle(&self) -> SimWifiHandle {
        SimWifiHandle(self.state.clone())
    }
}

impl Wifi for SimWifi {
    fn status(&self) -> WifiStatus {
        self.state.borrow().status()
    }

    fn connect(&mut self, ssid: &str, password: &str) -> BoardResult<()> {
        let mut s = self.state.borrow_mut();
        let wanted = Some((String::from(ssid), String::from(password)));
        if s.wanted != wanted {
            // A new network: the old link is left first.
            s.joined = false;
            s.wanted = wanted;
        }
        s.settle();
        Ok(())
    }

    fn disconnect(&mut self) {
        let mut s = self.state.borrow_mut();
        s.wanted = None;
        s.settle();
    }

    fn start_scan(&mut self) -> BoardResult<()> {
        self.state.borrow_mut().scan_asked = true;
        Ok(())
    }
}

impl NetBackend for SimWifi {
    fn sockets(&mut self) -> Option<&mut dyn Sockets> {
        self.inner.as_mut()?.sockets()
    }
    fn http(&mut self) -> Option<&mut dyn HttpClient> {
        self.inner.as_mut()?.http()
    }
    fn mqtt(&mut self) -> Option<&mut dyn Mqtt> {
        self.inner.as_mut()?.mqtt()
    }
    fn wifi(&mut self) -> Option<&mut dyn Wifi> {
        Some(self)
    }
    fn has_pending_events(&self) -> bool {
        let s = self.state.borrow();
        s.scan_asked || s.changed || self.inner.as_ref().is_some_and(|n| n.has_pending_events())
    }
    fn poll_event(&mut self) -> Option<BoardEvent> {
        {
            let mut s = self.state.borrow_mut();
            if core::mem::take(&mut s.changed) {
                return Some(BoardEvent::WifiChanged);
            }
            if core::mem::take(&mut s.scan_asked) {
                return Some(BoardEvent::WifiScanDone {
                    result: Ok(s.scan_result()),
                });
            }
        }
        self.inner.as_mut()?.poll_event()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_at_boot_and_each_refusal_in_the_chips_words() {
        let mut w = SimWifi::new();
        let s = w.status();
        assert_eq!(s.state(), "got ip");
        assert_eq!(s.ssid.as_deref(), Some(HOME_SSID));
        assert_eq!(s.ip.as_deref(), Some(SIM_IP));
        w.connect("neighbours", "guess1234").unwrap();
        assert_eq!(w.status().state(), "connecting");
        assert_eq!(
            w.status().error.as_deref(),
            Some("cannot join \"neighbours\": wrong password? (FourWayHandshakeTimeout)")
        );
        w.connect("neighbours", "not-yours").unwrap();
        assert_eq!(w.status().state(), "got ip");
        assert_eq!(w.status().rssi, -79);
        w.connect("nowhere", "").unwrap();
        assert!(w.status().error.unwrap().contains("no such network"));
        w.connect(HOME_SSID, "a-password").unwrap();
        assert!(w
            .status()
            .error
            .unwrap()
            .contains("security does not match"));
        w.disconnect();
        assert_eq!(w.status().state(), "disconnected");
        assert_eq!(w.status().error, None);
    }

    #[test]
    fn out_of_range_the_link_is_lost_and_back_in_range_it_is_joined_again() {
        let mut w = SimWifi::new();
        let h = w.handle();
        h.0.borrow_mut().set_in_range(false);
        let s = w.status();
        assert_eq!(s.state(), "connecting");
        assert_eq!(s.ip, None);
        assert_eq!(
            s.error.as_deref(),
            Some("lost \"ferrite-sim\": the access point went silent (BeaconTimeout)")
        );
        w.start_scan().unwrap();
        assert_eq!(
            w.poll_event(),
            Some(BoardEvent::WifiChanged),
            "the link was lost"
        );
        assert_eq!(
            w.poll_event(),
            Some(BoardEvent::WifiScanDone {
                result: Ok(Vec::new())
            })
        );
        assert_eq!(w.poll_event(), None, "one answer per scan");
        h.0.borrow_mut().set_in_range(true);
        assert_eq!(w.status().state(), "got ip");
        assert_eq!(w.status().error, None);
        assert_eq!(w.poll_event(), Some(BoardEvent::WifiChanged));
        w.start_scan().unwrap();
        let Some(BoardEvent::WifiScanDone { result: Ok(found) }) = w.poll_event() else {
            panic!("a scan's end");
        };
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].security, WifiSecurity::Open);
        assert_eq!(found[1].security, WifiSecurity::Wpa2);
    }
}
