//! [`MdnsLink`]: the device's name on the local network, `<device id>.local`, and its RPC
//! server as `_http._tcp` and `_shelly._tcp` services (how Home Assistant and other Shelly tools
//! find devices), from `ferrite-protocols`' mDNS responder over one UDP socket on port 5353 in
//! the group 224.0.0.251.
//!
//! Whenever the device gets a new address, or its link comes back, it announces its records
//! twice, a second apart (RFC 6762 §8.3); then it answers queries: to the group, or straight back to a one-shot
//! asker.
//!
//! Must never: block, answer before the device has an address, or keep more than the socket's
//! few packets (a query that does not fit is dropped and asked again by its sender).

use alloc::vec::Vec;
use core::net::Ipv4Addr;

use ferrite_protocols::mdns::{Destination, Responder, GROUP, MAX_REPLY, PORT};
use ferrite_runtime::Runtime;
use smoltcp::iface::SocketHandle;
use smoltcp::phy::Device;
use smoltcp::wire::{IpAddress, IpEndpoint};

use crate::stack::StalledDatagrams;
use crate::NetStack;

/// Datagrams the socket holds each way: one (2.4 KiB of heap in all). Queries are drained every
/// round; a second answer in one round finds no room and is dropped, and mDNS askers ask again
/// (after 1, 2, 4 s …).
const PACKETS: usize = 1;
/// Announcements per new address, and the time between them.
const ANNOUNCEMENTS: u8 = 2;
const ANNOUNCE_EVERY_MS: u64 = 1_000;

/// The mDNS responder and its socket.
pub struct MdnsLink {
    socket: SocketHandle,
    /// Made at boot from the device's id, app and version.
    responder: Option<Responder>,
    /// The address the announcements were (or are being) made for.
    announced_for: Option<Ipv4Addr>,
    /// Announcements left to send, and when the next one goes.
    announce: Option<(u8, u64)>,
    /// A reply to an asker whose address does not resolve is dropped after a while (the
    /// socket holds one datagram, and smoltcp would retry it for good).
    stalled: StalledDatagrams,
}

impl MdnsLink {
    /// The socket on port 5353, in the mDNS group.
    pub fn new<D: Device>(stack: &mut NetStack<D>) -> MdnsLink {
        let socket = stack.add_udp(PACKETS, MAX_REPLY);
        let udp = stack.udp(socket);
        udp.close();
        // Binding a fresh socket to a fixed port cannot fail.
        let _ = udp.bind(PORT);
        // One group on a fresh interface: its table has room.
        let _ = stack.join_multicast_group(Ipv4Addr::from(GROUP));
        MdnsLink {
            socket,
            responder: None,
            announced_for: None,
            announce: None,
            stalled: StalledDatagrams::default(),
        }
    }

    /// After the runtime booted: the names come from the device's id.
    pub fn on_boot(&mut self, rt: &mut Runtime) {
        let device = rt.device().clone();
        let info = &device.borrow().info;
        self.responder = Some(Responder::new(&info.id, &info.app, &info.fw_version));
    }

    /// Announce a new address, answer the queries that came in.
    pub fn poll<D: Device>(&mut self, stack: &mut NetStack<D>, now_ms: u64) {
        // Without a link there is no address to announce: a static one kept across a lost
        // association is announced again when the link is back (a link change, RFC 6762
        // §8.3), and nothing is queued while no frame can go.
        let ip = stack
            .is_up()
            .then(|| stack.ip().map(Ipv4Addr::from))
            .flatten();
        if ip != self.announced_for {
            self.announced_for = ip;
            self.announce = ip.map(|_| (ANNOUNCEMENTS, now_ms));
        }
        let udp = stack.udp(self.socket);
        self.stalled.before_send(udp, now_ms);
        let (Some(responder), Some(ip)) = (&self.responder, ip) else {
            // Nothing to answer with: what came in is dropped.
            while udp.recv().is_ok() {}
            self.stalled.after_round(udp, now_ms);
            return;
        };
        let group = IpEndpoint::new(IpAddress::Ipv4(Ipv4Addr::from(GROUP)), PORT);
        while let Ok((query, meta)) = udp.recv() {
            let Some(reply) = responder.reply(query, meta.endpoint.port, ip.octets()) else {
                continue;
            };
            let to = match reply.to {
                Destination::Group => group,
                Destination::Asker => meta.endpoint,
            };
            // No room to send: the asker asks again.
            let _ = udp.send_slice(&reply.bytes, to);
        }
        if let Some((left, at)) = self.announce {
            if now_ms >= at && udp.can_send() {
                let packet: Vec<u8> = responder.announcement(ip.octets());
                let _ = udp.send_slice(&packet, group);
                self.announce = (left > 1).then(|| (left - 1, now_ms + ANNOUNCE_EVERY_MS));
            }
        }
        self.stalled.after_round(udp, now_ms);
    }
}
