//! The network on the chip: `ferrite-net` (smoltcp: DHCP, DNS, the RPC server on port 80) over
//! the Wi-Fi station ([`phy`]). The same code runs in `ferrite-net`'s host tests over smoltcp's
//! loopback device.
//!
//! Must never: block the main loop.

mod phy;

pub use phy::WifiPhy;

/// The stack and RPC server over the station.
pub type Network = ferrite_net::Network<WifiPhy>;
pub type NetStack = ferrite_net::NetStack<WifiPhy>;
