//! The host's network for scripts: the MQTT client, HTTP client and TCP/UDP sockets of the
//! virtual device over real std sockets, and a "Wi-Fi" that is the host's own network.
//!
//! The parts do their I/O when the runtime polls the board ([`NetBackend::poll_event`]).
//! [`NetWatch`] tells the main loop what to wait for: the sockets' descriptors (the MQTT
//! connection, scripts' sockets), a self-pipe that worker threads (connects, HTTP requests)
//! write to when they finish, and the next network timer — so an idle device with MQTT
//! connected sleeps in `poll(2)` until something happens.

use std::cell::{Cell, RefCell};
use std::net::UdpSocket;
use std::rc::Rc;
use std::time::Instant;

use ferrite_runtime::board::{
    BoardEvent, BoardResult, HttpClient, Mqtt, Sockets, Wifi, WifiNetwork, WifiSecurity, WifiStatus,
};
use ferrite_runtime::sim::NetBackend;

use super::http_client::HostHttpClient;
use super::mqtt_client::HostMqtt;
use super::sockets::HostSockets;
use super::worker::{pollfd, Waker};

/// What the main loop needs to know about the network to sleep correctly.
#[derive(Clone, Default)]
pub struct NetWatch {
    /// The descriptors whose readiness means network work (always the wake-up pipe).
    pub fds: Rc<RefCell<Vec<libc::pollfd>>>,
    /// Events wait for the runtime: poll again within a few milliseconds.
    pub busy: Rc<Cell<bool>>,
    /// The earliest time (ms since boot) a network timer is due.
    pub deadline_ms: Rc<Cell<Option<u64>>>,
}

/// The host's Wi-Fi: always the network the host is on, which is also the one network a scan
/// finds (`host`, open, as `Wifi.GetStatus` shows it).
pub struct HostWifi {
    connected: bool,
    ip: String,
    /// A scan was asked for: it ends at the next poll.
    scan_requested: bool,
    /// The station changed since the board last said so (`BoardEvent::WifiChanged`).
    changed: bool,
}

impl HostWifi {
    pub fn new() -> HostWifi {
        HostWifi {
            connected: true,
            ip: default_route_ip(),
            scan_requested: false,
            changed: false,
        }
    }

    /// That the station changed, once.
    fn take_change(&mut self) -> Option<BoardEvent> {
        std::mem::take(&mut self.changed).then_some(BoardEvent::WifiChanged)
    }

    /// The end of the scan asked for, if one was.
    fn take_scan(&mut self) -> Option<BoardEvent> {
        std::mem::take(&mut self.scan_requested).then(|| BoardEvent::WifiScanDone {
            result: Ok(vec![WifiNetwork {
                ssid: "host".into(),
                // A locally administered address: the host's network has no access point.
                bssid: [0x02, 0, 0, 0, 0, 0x01],
                channel: 1,
                rssi: -40,
                security: WifiSecurity::Open,
            }]),
        })
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
            associated: self.connected,
            ..WifiStatus::default()
        }
    }
    /// The host's network is already there: "connecting" to any network succeeds.
    fn connect(&mut self, _ssid: &str, _password: &str) -> BoardResult<()> {
        let ip = default_route_ip();
        self.changed |= !self.connected || ip != self.ip;
        self.ip = ip;
        self.connected = true;
        Ok(())
    }
    fn disconnect(&mut self) {
        self.changed |= self.connected;
        self.connected = false;
    }
    fn start_scan(&mut self) -> BoardResult<()> {
        self.scan_requested = true;
        Ok(())
    }
}

/// The virtual device's network backend.
pub struct HostNet {
    epoch: Instant,
    mqtt: HostMqtt,
    http: HostHttpClient,
    sockets: HostSockets,
    wifi: HostWifi,
    watch: NetWatch,
    waker: Waker,
}

impl HostNet {
    /// `epoch`: the board clock's boot instant (network timers use the same time base).
    pub fn new(epoch: Instant) -> Result<HostNet, String> {
        let waker = Waker::new().map_err(|e| format!("network wake-up pipe: {e}"))?;
        let mut mqtt = HostMqtt::new();
        mqtt.set_waker(waker.handle());
        let mut http = HostHttpClient::new();
        http.set_waker(waker.handle());
        let mut sockets = HostSockets::new();
        sockets.set_waker(waker.handle());
        Ok(HostNet {
            epoch,
            mqtt,
            http,
            sockets,
            wifi: HostWifi::new(),
            watch: NetWatch::default(),
            waker,
        })
    }

    pub fn watch(&self) -> NetWatch {
        self.watch.clone()
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Update what the main loop sees (after a round of polling found nothing more).
    fn update_watch(&self) {
        let mut fds = self.watch.fds.borrow_mut();
        fds.clear();
        fds.push(pollfd(self.waker.fd(), libc::POLLIN));
        let waitable = self.mqtt.wait_fds(&mut fds) & self.sockets.wait_fds(&mut fds);
        self.watch.busy.set(!waitable);
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
        // Woken or not, every channel is looked at below.
        self.waker.drain();
        let now = self.now_ms();
        let ev = self
            .mqtt
            .poll_event(now)
            .or_else(|| self.http.poll_event())
            .or_else(|| self.sockets.poll_event())
            .or_else(|| self.wifi.take_change())
            .or_else(|| self.wifi.take_scan());
        if ev.is_some() {
            // The runtime may stop taking events before `None`: until it drains them (and the
            // watch is updated), the loop comes back soon.
            self.watch.busy.set(true);
        } else {
            self.update_watch();
        }
        ev
    }
    fn has_pending_events(&self) -> bool {
        self.wifi.scan_requested || self.wifi.changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_mqtt_connection_is_waited_for_in_poll() {
        use std::io::{Read, Write};
        use std::time::Duration;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 256];
            let _ = s.read(&mut buf);
            s.write_all(&[0x20, 2, 0, 0]).unwrap();
            // Later, one message.
            let _ = go_rx.recv();
            s.write_all(&[0x30, 5, 0, 1, b'a', b'h', b'i']).unwrap();
            let _ = go_rx.recv();
        });
        let mut n = HostNet::new(Instant::now()).unwrap();
        n.mqtt
            .configure(true, &format!("127.0.0.1:{port}"), "dev", "", "");
        let w = n.watch();
        let poll = |w: &NetWatch, ms: i32| {
            let mut fds = w.fds.borrow().clone();
            // SAFETY: a valid array of pollfds.
            unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) }
        };
        let started = Instant::now();
        let mut connected = false;
        while !connected {
            assert!(started.elapsed() < Duration::from_secs(5), "no connection");
            match n.poll_event() {
                Some(BoardEvent::MqttConnected) => connected = true,
                Some(_) => {}
                // The connect worker wakes the poll.
                None => assert!(!w.busy.get() && poll(&w, 2000) >= 0),
            }
        }
        while n.poll_event().is_some() {}
        // Connected and idle: nothing to poll for but the broker's socket and the pipe.
        assert!(!w.busy.get());
        assert_eq!(w.fds.borrow().len(), 2);
        assert_eq!(poll(&w, 200), 0, "idle: the poll sleeps");
        go_tx.send(()).unwrap();
        assert_eq!(poll(&w, 5000), 1, "the message wakes the poll");
        let mut got = None;
        while got.is_none() {
            got = n.poll_event();
        }
        assert_eq!(
            got,
            Some(BoardEvent::MqttMessage {
                topic: "a".into(),
                payload: b"hi".to_vec()
            })
        );
        let _ = go_tx.send(());
    }

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
