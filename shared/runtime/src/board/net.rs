use alloc::string::String;
use alloc::vec::Vec;

use super::BoardResult;

pub type SocketId = u32;

/// TCP and UDP sockets. Results arrive as [`super::BoardEvent`]s.
pub trait Sockets {
    fn tcp_connect(&mut self, host: &str, port: u16) -> BoardResult<SocketId>;
    fn tcp_listen(&mut self, port: u16) -> BoardResult<SocketId>;
    fn udp_bind(&mut self, port: u16) -> BoardResult<SocketId>;
    /// Queue bytes on a TCP socket; returns how many were accepted.
    fn send(&mut self, socket: SocketId, data: &[u8]) -> BoardResult<usize>;
    fn send_to(&mut self, socket: SocketId, host: &str, port: u16, data: &[u8]) -> BoardResult<()>;
    fn close(&mut self, socket: SocketId);
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub timeout_ms: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub code: u16,
    pub message: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// An HTTP client: `start` returns a request id; the answer comes as
/// [`super::BoardEvent::HttpDone`].
pub trait HttpClient {
    fn start(&mut self, request: HttpRequest) -> BoardResult<u32>;
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MqttStatus {
    pub enabled: bool,
    pub connected: bool,
    pub server: String,
    pub client_id: String,
}

/// The device's MQTT client connection (one broker, configured by the device config).
pub trait Mqtt {
    fn status(&self) -> MqttStatus;
    fn publish(&mut self, topic: &str, payload: &[u8], qos: u8, retain: bool) -> bool;
    fn subscribe(&mut self, filter: &str) -> BoardResult<()>;
    fn unsubscribe(&mut self, filter: &str);
    /// Apply a new configuration (reconnects).
    fn configure(&mut self, enabled: bool, server: &str, client_id: &str, user: &str, pass: &str);
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WifiStatus {
    /// Joined, with an address: usable.
    pub connected: bool,
    /// The network joined or being joined.
    pub ssid: Option<String>,
    pub ip: Option<String>,
    pub rssi: i32,
    /// Associated with the access point (its address may still be coming).
    pub associated: bool,
    /// A network is configured and not joined yet (a join under way, or the next one waited
    /// for): Shelly's `"connecting"`.
    pub joining: bool,
    /// Why the last join failed or the link was lost, in words (cleared by a join).
    pub error: Option<String>,
}

impl WifiStatus {
    /// Shelly's `Wifi.GetStatus` `status`: `"got ip"`, `"connected"` (associated, no address
    /// yet), `"connecting"` or `"disconnected"`.
    pub fn state(&self) -> &'static str {
        if self.connected {
            "got ip"
        } else if self.associated {
            "connected"
        } else if self.joining {
            "connecting"
        } else {
            "disconnected"
        }
    }
}

/// A fixed IPv4 configuration of the station (`Wifi.SetConfig` with `sta.ipv4mode: "static"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StaticIpv4 {
    pub ip: [u8; 4],
    pub prefix_len: u8,
    pub gateway: Option<[u8; 4]>,
    pub nameserver: Option<[u8; 4]>,
}

pub trait Wifi {
    fn status(&self) -> WifiStatus;
    /// How the station gets its address from the next join on: `None` is DHCP. Targets whose
    /// OS configures the network ignore it.
    fn set_ipv4(&mut self, _config: Option<StaticIpv4>) {}
    fn connect(&mut self, ssid: &str, password: &str) -> BoardResult<()>;
    fn disconnect(&mut self);
    /// Start a scan for networks in range (joined to a scan already running). It ends in
    /// exactly one [`super::BoardEvent::WifiScanDone`], which answers every start made before
    /// it. A station that cannot scan says so here.
    fn start_scan(&mut self) -> BoardResult<()> {
        Err(super::BoardError::Unsupported("Wi-Fi scanning"))
    }
}

/// The security a network offers, numbered as ESP-IDF's `wifi_auth_mode_t`, which is what
/// Shelly's `Wifi.Scan` reports as `auth` (0 open … 5 WPA2-Enterprise, 6 and 7 WPA3, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WifiSecurity {
    Open = 0,
    Wep = 1,
    Wpa = 2,
    Wpa2 = 3,
    WpaWpa2 = 4,
    Wpa2Enterprise = 5,
    Wpa3 = 6,
    Wpa2Wpa3 = 7,
    Wapi = 8,
    Owe = 9,
    Wpa3Enterprise192 = 10,
    Dpp = 13,
    Wpa3Enterprise = 14,
    Wpa2Wpa3Enterprise = 15,
    WpaEnterprise = 16,
    /// A mode the board cannot name (no ESP-IDF number).
    Unknown = 255,
}

/// A network a scan saw: one access point (a network with several has one entry each).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WifiNetwork {
    /// Empty for a hidden network.
    pub ssid: String,
    pub bssid: [u8; 6],
    pub channel: u8,
    /// dBm.
    pub rssi: i32,
    pub security: WifiSecurity,
}
