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
    /// Network names seen in the last scan (may trigger a new one).
    fn scan(&mut self) -> Vec<String> {
        Vec::new()
    }
}
