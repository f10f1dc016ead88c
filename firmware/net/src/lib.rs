//! # ferrite-net — the device's network over smoltcp
//!
//! For targets whose network is a raw Ethernet-framed link and no operating system: the
//! ESP32-C3's Wi-Fi station (`firmware/esp32c3` gives a smoltcp `phy::Device` over esp-radio).
//! [`NetStack`] is one smoltcp interface with DHCP (or a static address), a DNS client and
//! TCP sockets; [`Network`] adds the device's HTTP/WebSocket JSON-RPC server on port 80 — the
//! same sans-IO `ferrite-rpc-server` the virtual device serves over std sockets — so the chip
//! answers exactly what the host does, and the MQTT connection ([`MqttLink`]: the runtime's
//! `MqttSession`, which the virtual device also runs, over one socket, the broker's name looked
//! up by DNS), scripts' HTTP client ([`HttpLink`]: `ferrite-protocols`' HTTP client over a
//! pool of sockets), scripts' own TCP and UDP sockets ([`SocketsLink`]: TC53 `TCP`, `UDP`
//! and `Listener`, made when a script opens one) and the wall clock ([`SntpLink`]:
//! `ferrite-protocols`' SNTP client over a UDP socket, into the [`WallClock`] the board's clock
//! reads).
//!
//! The target's loop, each round:
//!
//! ```text
//! busy |= network.poll(&mut rt, now_ms, associated);   // frames, DHCP, accept, read, requests
//! let (done, notes) = (rt.take_rpc_done(), rt.take_notifications());
//! network.deliver(&mut rt, &done, &notes, now_ms);     // answers, notifications, output sent
//! link_state.ip = network.ip();                         // what Wifi.GetStatus shows
//! ```
//!
//! Generic over the smoltcp device, so the tests run it on the host over smoltcp's `Loopback`
//! with a client socket in the same interface.
//!
//! Must never: block, allocate per packet (the device's sockets and buffers are made once, at
//! start; a script's when it opens one, fallibly), read more than the RPC server has room for,
//! or depend on `std`.
#![no_std]

extern crate alloc;

mod http_link;
mod mdns_link;
mod mqtt_link;
mod network;
mod rpc_listener;
mod sntp_link;
mod sockets_link;
mod stack;

pub use http_link::{HttpLimits, HttpLink, SharedHttp, CHIP_HTTP_LIMITS, HTTP_SOCKETS};
pub use mdns_link::MdnsLink;
pub use mqtt_link::{MqttLink, SharedMqtt, CHIP_MQTT_LIMITS};
pub use network::Network;
pub use rpc_listener::{RpcListener, CHIP_LIMITS, CLIENTS, PORT, SLOTS};
pub use sntp_link::{SntpLink, WallClock};
pub use sockets_link::{
    SharedSockets, SocketsLink, CLOSE_TIMEOUT_MS, CONNECT_TIMEOUT_MS, MAX_DATAGRAM, MAX_EVENTS,
    SCRIPT_SOCKETS, SEND_BUFFER,
};
pub use stack::{Lookup, NetStack, DNS_SERVERS, ON_LINK_ANSWER_MS};
