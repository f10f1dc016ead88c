//! The host's network for scripts: the MQTT client, HTTP client and TCP/UDP sockets of the
//! virtual device over real std sockets, and a "Wi-Fi" that is the host's own network.
//!
//! The parts do their I/O when the runtime polls the board ([`NetBackend::poll_event`]); they
//! have no file descriptors the main loop could wait on, so [`NetWatch`] tells the loop how
//! soon it must come back (a deadline, or "soon" while connections are open).

use std::cell::Cell;
use std::net::UdpSocket;
use std::rc::Rc;
use std::time::Instant;

use ferrite_runtime::board::{
    BoardEvent, BoardResult, HttpClient, HttpRequest, Mqtt, Sockets, Wifi, WifiStatus,
};
use ferrite_runtime::sim::NetBackend;

use super::http_client::HostHttpClient;
use super::mqtt_client::HostMqtt;
use super::sockets::HostSockets;

/// What the main loop needs to know about the network to sleep correctly.
#[derive(Clone, Default)]
pub struct NetWatch {
    /// Connections are open or in progress: poll again within a few milliseconds.
    pub io_open: Rc<Cell<bool>>,
    /// The earliest time (ms since boot) a network timer is due.
    pub deadline_ms: Rc<Cell<Option<u64>>>,
}

/// The host's Wi-Fi: always the network the host is on.
pub struct HostWifi {
    connected: bool,
    ip: String,
}

impl HostWifi {
    pub fn new() -> HostWifi {
        HostWifi {
            connected: true,
            ip: default_route_ip(),
        }
    }
}

/// The address of the interface of the default route: the local end of a UDP "connection"
/// (which sends nothing); 127.0.0.1 if the host has no route out.
fn default_route_ip() -> String {
    UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| {
            s.connect("192.0.2.1:9")?; // TEST-NET-1: routed like any public address
            s.local_addr()
        })
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_unspecified())
        .map_or_else(|| "127.0.0.1".into(), |ip| ip.to_string())
}

impl Wifi for HostWifi {
    fn status(&self) -> WifiStatus {
        WifiStatus {
            connected: self.connected,
            ssid: self.connected.then(|| "host".into()),
            ip: self.connected.then(|| self.ip.clone()),
            rssi: if self.connected { -40 } else { 0 },
        }
    }
    /// The host's network is already there: "connecting" to any network succeeds.
    fn connect(&mut self, _ssid: &str, _password: &str) -> BoardResult<()> {
        self.ip = default_route_ip();
        self.connected = true;
        Ok(())
    }
    fn disconnect(&mut self) {
        self.connected = false;
    }
    fn scan(&mut self) -> Vec<String> {
        vec!["host".into()]
    }
}

/// The HTTP client, counting the requests in flight (the loop polls often while any are).
struct CountingHttp {
    inner: HostHttpClient,
    in_flight: usize,
}

impl HttpClient for CountingHttp {
    fn start(&mut self, request: HttpRequest) -> BoardResult<u32> {
        let id = self.inner.start(request)?;
        self.in_flight += 1;
        Ok(id)
    }
}

/// The virtual device's network backend.
pub struct HostNet {
    epoch: Instant,
    mqtt: HostMqtt,
    http: CountingHttp,
    sockets: HostSockets,
    wifi: HostWifi,
    watch: NetWatch,
}

impl HostNet {
    /// `epoch`: the board clock's boot instant (network timers use the same time base).
    pub fn new(epoch: Instant) -> HostNet {
        HostNet {
            epoch,
            mqtt: HostMqtt::new(),
            http: CountingHttp {
                inner: HostHttpClient::new(),
                in_flight: 0,
            },
            sockets: HostSockets::new(),
            wifi: HostWifi::new(),
            watch: NetWatch::default(),
        }
    }

    pub fn watch(&self) -> NetWatch {
        self.watch.clone()
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Update what the main loop sees (after a round of polling found nothing more).
    fn update_watch(&self) {
        let m = self.mqtt.status();
        self.watch
            .io_open
            .set(m.enabled || self.http.in_flight > 0 || self.sockets.open_count() > 0);
        self.watch.deadline_ms.set(self.mqtt.next_deadline());
    }
}

impl NetBackend for HostNet {
    fn sockets(&mut self) -> Option<&mut dyn Sockets> {
        Some(&mut self.sockets)
    }
    fn http(&mut self) -> Option<&mut dyn HttpClient> {
        Some(&mut self.http)
    }
    fn mqtt(&mut self) -> Option<&mut dyn Mqtt> {
        Some(&mut self.mqtt)
    }
    fn wifi(&mut self) -> Option<&mut dyn Wifi> {
        Some(&mut self.wifi)
    }
    fn poll_event(&mut self) -> Option<BoardEvent> {
        let now = self.now_ms();
        if let Some(e) = self.mqtt.poll_event(now) {
            return Some(e);
        }
        if let Some(e) = self.http.inner.poll_event() {
            self.http.in_flight = self.http.in_flight.saturating_sub(1);
            return Some(e);
        }
        if let Some(e) = self.sockets.poll_event() {
            return Some(e);
        }
        self.update_watch();
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_wifi_reports_connected() {
        let mut w = HostWifi::new();
        let s = w.status();
        assert!(s.connected);
        assert_eq!(s.ssid.as_deref(), Some("host"));
        let ip = s.ip.unwrap();
        assert!(ip.parse::<std::net::IpAddr>().is_ok(), "{ip}");
        w.disconnect();
        assert!(!w.status().connected);
        w.connect("any", "pw").unwrap();
        assert!(w.status().connected);
    }
}
