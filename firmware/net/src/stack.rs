//! [`NetStack`]: one smoltcp interface, its sockets, DHCP and DNS.
//!
//! The address comes from DHCP whenever the link is associated (or is fixed with
//! [`NetStack::set_static_ipv4`] / [`NetStack::apply_ipv4`], and given back to DHCP with
//! [`NetStack::use_dhcp`]); a lost association drops a DHCP address and DHCP starts over at the
//! next one. DNS servers come from DHCP, or with a static address from its configuration.
//!
//! Must never: block, or grow but for scripts' sockets (the device's own sockets and their
//! buffers are made once, at start; a script's socket is made when the script opens it, its
//! buffers allocated fallibly, and removed when it is done: see `sockets_link`).

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use ferrite_runtime::board::StaticIpv4;
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::Device;
use smoltcp::socket::dhcpv4::{self, Event as DhcpEvent};
use smoltcp::socket::dns::{self, GetQueryResultError, QueryHandle};
use smoltcp::socket::{tcp, udp, AnySocket, Socket};
use smoltcp::time::Instant;
use smoltcp::wire::{
    DhcpOption, DnsQueryType, EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Cidr,
};

/// DHCP option 12: the host name the router shows for the device.
const DHCP_HOST_NAME: u8 = 12;
/// Lookups at once, in a fixed set of smoltcp's query slots made at start: the device's own
/// (MQTT's broker, the HTTP client's two requests, the SNTP server) and two of scripts'
/// sockets (`sockets_link::SCRIPT_LOOKUPS`), so the device's always find a slot.
const DNS_QUERIES: usize = 6;
/// DNS servers kept (the most a DHCP offer carries): smoltcp is built with
/// `dns-max-server-count-3` (Cargo.toml), so a dead first server is not the end of lookups.
pub const DNS_SERVERS: usize = 3;
/// Local ports for outgoing connections.
const EPHEMERAL_PORTS: core::ops::Range<u16> = 49152..65535;

/// The interface, its sockets, the DHCP and DNS clients.
pub struct NetStack<D: Device> {
    phy: D,
    iface: Interface,
    sockets: SocketSet<'static>,
    /// `None` with a static address.
    dhcp: Option<SocketHandle>,
    /// The DHCP options the device sends (its host name), for a DHCP client made again.
    dhcp_options: &'static [DhcpOption<'static>],
    dns: SocketHandle,
    /// The next local port for an outgoing TCP connection or a UDP client socket.
    next_port: u16,
    /// The link was associated at the last poll.
    associated: bool,
    ip: Option<Ipv4Addr>,
    /// Lookups started and not yet collected or cancelled (at most [`DNS_QUERIES`]).
    lookups: usize,
    /// The time of the last [`NetStack::poll`] or [`NetStack::transmit`].
    now_ms: u64,
    /// Connects to a host on the local network still waiting for an answer, oldest first
    /// ([`ON_LINK_ANSWER_MS`], [`NetStack::connect_unanswered`]).
    on_link_connects: Vec<OnLinkConnect>,
}

/// A connect to a host on the local network that has no answer yet.
struct OnLinkConnect {
    socket: SocketHandle,
    /// When it is given up without an answer.
    answer_by: u64,
    /// Its time counts from when it became the oldest one waiting.
    oldest: bool,
}

/// How long a connect to a host on the local network may go without an answer. A host on the
/// link that is there answers the address lookup (ARP) and the connect within milliseconds;
/// one that is not never answers, and while its socket asks again every second it comes first
/// for the interface's one ARP request a second, ahead of every other socket's. So it is given
/// up after 3 s, as an operating system gives up its ARP lookup (3 requests a second apart),
/// instead of the connect's whole time limit. With several waiting, the 3 s of each count from
/// when the ones before it are answered or given up: until then their lookups may take the
/// interface's requests.
pub const ON_LINK_ANSWER_MS: u64 = 3_000;

/// The error of a connect to a host on the local network that did not answer in time.
pub fn no_answer_on_link(host: &str, port: u16) -> String {
    format!(
        "cannot connect to {host}:{port}: no answer on the local network in {} s (is it on?)",
        ON_LINK_ANSWER_MS / 1000
    )
}

impl<D: Device> NetStack<D> {
    /// The stack on `phy` (Ethernet framing, address `mac`); `host_name` goes to the DHCP
    /// server, `seed` seeds TCP sequence numbers and local ports.
    pub fn new(mut phy: D, mac: [u8; 6], host_name: &'static [u8], seed: u64, now_ms: u64) -> Self {
        let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
        config.random_seed = seed;
        let iface = Interface::new(config, &mut phy, instant(now_ms));
        let mut sockets = SocketSet::new(Vec::new());
        // One option, made once: leaked so the socket set can be `'static`.
        let dhcp_options: &'static [DhcpOption<'static>] = Box::leak(
            vec![DhcpOption {
                kind: DHCP_HOST_NAME,
                data: host_name,
            }]
            .into_boxed_slice(),
        );
        let dhcp = Some(sockets.add(dhcp_client(dhcp_options)));
        // Borrowed, not owned: smoltcp adds a slot to an owned list whenever all are in use,
        // so the bound would not hold. Made once, leaked like the DHCP options.
        let queries: &'static mut [Option<dns::DnsQuery>] = Box::leak(
            (0..DNS_QUERIES)
                .map(|_| None)
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        let dns = sockets.add(dns::Socket::new(&[], queries));
        let spread = u16::try_from(seed % 1000).unwrap_or(0);
        NetStack {
            phy,
            iface,
            sockets,
            dhcp,
            dhcp_options,
            dns,
            next_port: EPHEMERAL_PORTS.start + spread,
            associated: false,
            ip: None,
            lookups: 0,
            now_ms,
            on_link_connects: Vec::new(),
        }
    }

    /// Use a fixed address instead of DHCP (from now on, while the link is up).
    pub fn set_static_ipv4(&mut self, address: Ipv4Cidr, gateway: Option<Ipv4Addr>) {
        if let Some(h) = self.dhcp.take() {
            self.sockets.remove(h);
        }
        self.configure(address, gateway);
    }

    /// The station's IPv4 configuration from the runtime (`Wifi.SetConfig`'s `sta.ipv4mode`):
    /// a fixed address with its gateway and DNS server, or `None` for DHCP.
    pub fn apply_ipv4(&mut self, config: Option<StaticIpv4>) {
        let Some(c) = config else {
            self.use_dhcp();
            return;
        };
        let [a, b, cc, d] = c.ip;
        self.set_static_ipv4(
            Ipv4Cidr::new(Ipv4Addr::new(a, b, cc, d), c.prefix_len),
            c.gateway.map(Ipv4Addr::from),
        );
        let servers: Vec<Ipv4Addr> = c.nameserver.map(Ipv4Addr::from).into_iter().collect();
        self.set_dns_servers(&servers);
    }

    /// Get the address by DHCP again (after a static one): the static address goes now.
    pub fn use_dhcp(&mut self) {
        if self.dhcp.is_some() {
            return;
        }
        self.dhcp = Some(self.sockets.add(dhcp_client(self.dhcp_options)));
        self.deconfigure();
        self.set_dns_servers(&[]);
    }

    /// The DNS servers lookups ask, in order: a lookup that gets no answer from one within
    /// 10 s asks the next (smoltcp's retry). At most [`DNS_SERVERS`] are kept, as many as a
    /// DHCP offer carries; the rest are ignored.
    pub fn set_dns_servers(&mut self, servers: &[Ipv4Addr]) {
        let servers: Vec<IpAddress> = servers
            .iter()
            .take(DNS_SERVERS)
            .map(|s| IpAddress::Ipv4(*s))
            .collect();
        self.sockets
            .get_mut::<dns::Socket>(self.dns)
            .update_servers(&servers);
    }

    /// Add a TCP socket with buffers of the given sizes (made once, at start).
    pub fn add_tcp(&mut self, rx: usize, tx: usize) -> SocketHandle {
        let socket = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; rx]),
            tcp::SocketBuffer::new(vec![0; tx]),
        );
        self.sockets.add(socket)
    }

    /// Add a socket made elsewhere (a script's: its buffers were allocated fallibly when the
    /// script opened it).
    pub fn add<S: AnySocket<'static>>(&mut self, socket: S) -> SocketHandle {
        self.sockets.add(socket)
    }

    /// Remove a socket and free its buffers (a script's socket, once it is done).
    pub fn remove(&mut self, handle: SocketHandle) {
        self.on_link_connects.retain(|c| c.socket != handle);
        self.sockets.remove(handle);
    }

    /// The ports the stack's UDP sockets are bound to (unbound ones left out).
    pub fn udp_ports(&self) -> Vec<u16> {
        self.sockets
            .iter()
            .filter_map(|(_, s)| match s {
                Socket::Udp(u) => Some(u.endpoint().port).filter(|p| *p != 0),
                _ => None,
            })
            .collect()
    }

    /// Whether a UDP socket in the stack is bound to `port`.
    pub fn udp_port_in_use(&self, port: u16) -> bool {
        self.sockets.iter().any(|(_, s)| match s {
            Socket::Udp(u) => u.endpoint().port == port,
            _ => false,
        })
    }

    pub fn tcp(&mut self, handle: SocketHandle) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut::<tcp::Socket>(handle)
    }

    /// Add a UDP socket with room for `packets` packets of up to `size` bytes each way, bound
    /// to the next local port (made once, at start).
    pub fn add_udp(&mut self, packets: usize, size: usize) -> SocketHandle {
        let buffer = || {
            udp::PacketBuffer::new(
                vec![udp::PacketMetadata::EMPTY; packets],
                vec![0; packets * size],
            )
        };
        let mut socket = udp::Socket::new(buffer(), buffer());
        // Binding fails only for port 0 or a bound socket: neither here.
        let _ = socket.bind(self.next_local_port());
        self.sockets.add(socket)
    }

    /// Receive what is sent to the IPv4 multicast group `group` (mDNS's 224.0.0.251). Fails
    /// only when the interface's group table is full.
    pub fn join_multicast_group(&mut self, group: Ipv4Addr) -> Result<(), String> {
        self.iface
            .join_multicast_group(IpAddress::Ipv4(group))
            .map_err(|e| format!("joining {group}: {e}"))
    }

    pub fn udp(&mut self, handle: SocketHandle) -> &mut udp::Socket<'static> {
        self.sockets.get_mut::<udp::Socket>(handle)
    }

    /// The next local port for an outgoing connection or a client's UDP socket.
    pub(crate) fn next_local_port(&mut self) -> u16 {
        let local = self.next_port;
        self.next_port = local
            .checked_add(1)
            .filter(|p| EPHEMERAL_PORTS.contains(p))
            .unwrap_or(EPHEMERAL_PORTS.start);
        local
    }

    /// The device's address, once it has one.
    pub fn ip(&self) -> Option<[u8; 4]> {
        self.ip.map(|ip| ip.octets())
    }

    /// Whether the link is up and the device has an address (servers only listen then).
    pub fn is_up(&self) -> bool {
        self.associated && self.ip.is_some()
    }

    /// Move frames in and out, run DHCP, follow the association.
    pub fn poll(&mut self, now_ms: u64, associated: bool) {
        if associated != self.associated {
            self.associated = associated;
            if let Some(h) = self.dhcp {
                // A new association may be a new network: ask for an address again. A lost
                // one drops the address.
                self.sockets.get_mut::<dhcpv4::Socket>(h).reset();
                self.deconfigure();
            }
        }
        if !associated {
            return;
        }
        self.transmit(now_ms);
        let Some(h) = self.dhcp else { return };
        let event = self.sockets.get_mut::<dhcpv4::Socket>(h).poll();
        match event {
            Some(DhcpEvent::Configured(config)) => {
                let (address, router) = (config.address, config.router);
                let servers = config.dns_servers.clone();
                self.set_dns_servers(&servers);
                self.configure(address, router);
            }
            Some(DhcpEvent::Deconfigured) => self.deconfigure(),
            None => {}
        }
    }

    /// Run the interface once: frames in and out for every socket.
    pub fn transmit(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
        if self.associated {
            self.iface
                .poll(instant(now_ms), &mut self.phy, &mut self.sockets);
        }
    }

    fn configure(&mut self, address: Ipv4Cidr, router: Option<Ipv4Addr>) {
        if let Some(old) = self.ip.filter(|old| *old != address.address()) {
            // A new address (a DHCP lease for another one, a static address set while up):
            // nothing answers the old one any more, so its connections end here and each link
            // sees its peer gone, as on a reset, instead of waiting on a connection that cannot
            // move. Without a reset sent: the old address may be someone else's now, and
            // smoltcp would retry one that cannot go out every second, for good, and with it
            // the ARP requests that the whole interface sends at most one of a second.
            for (_, socket) in self.sockets.iter_mut() {
                if let Some(tcp) = tcp::Socket::downcast_mut(socket) {
                    if tcp
                        .local_endpoint()
                        .is_some_and(|e| e.addr == IpAddress::Ipv4(old))
                    {
                        forget(tcp);
                    }
                }
            }
        }
        self.iface.update_ip_addrs(|addrs| {
            addrs.clear();
            // The interface's list holds at least one address.
            let _ = addrs.push(IpCidr::Ipv4(address));
        });
        match router {
            Some(r) => {
                // Only fails when the route table is full; it holds the one default route.
                let _ = self.iface.routes_mut().add_default_ipv4_route(r);
            }
            None => {
                self.iface.routes_mut().remove_default_ipv4_route();
            }
        }
        self.ip = Some(address.address());
    }

    fn deconfigure(&mut self) {
        self.iface.update_ip_addrs(|addrs| addrs.clear());
        self.iface.routes_mut().remove_default_ipv4_route();
        self.ip = None;
    }

    /// Start looking up `host` (an IPv4 address is taken as it is).
    pub fn resolve(&mut self, host: &str) -> Result<Lookup, String> {
        self.resolve_when_free(host)?
            .ok_or_else(|| format!("looking up {host}: every DNS query slot is in use"))
    }

    /// Lookups started and not yet collected or cancelled.
    pub fn lookups_pending(&self) -> usize {
        self.lookups
    }

    /// [`NetStack::resolve`], or `Ok(None)` when all [`DNS_QUERIES`] lookups are in use (ask
    /// again later).
    pub fn resolve_when_free(&mut self, host: &str) -> Result<Option<Lookup>, String> {
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            return Ok(Some(Lookup::Done(ip)));
        }
        if !self.is_up() {
            return Err(String::from("no network (Wi-Fi is not connected)"));
        }
        let socket = self.sockets.get_mut::<dns::Socket>(self.dns);
        match socket.start_query(self.iface.context(), host, DnsQueryType::A) {
            Ok(query) => {
                self.lookups += 1;
                Ok(Some(Lookup::Pending(query)))
            }
            Err(dns::StartQueryError::NoFreeSlot) => Ok(None),
            Err(e) => Err(format!("looking up {host}: {e}")),
        }
    }

    /// The address of a pending lookup: `Ok(None)` while it runs. A finished lookup (found or
    /// not) is gone afterwards.
    pub fn lookup_result(&mut self, query: QueryHandle) -> Result<Option<Ipv4Addr>, String> {
        let socket = self.sockets.get_mut::<dns::Socket>(self.dns);
        let result = socket.get_query_result(query);
        if !matches!(result, Err(GetQueryResultError::Pending)) {
            // Collected: smoltcp freed the slot.
            debug_assert!(self.lookups > 0);
            self.lookups = self.lookups.saturating_sub(1);
        }
        match result {
            Ok(addrs) => addrs
                .iter()
                .map(|IpAddress::Ipv4(v4)| *v4)
                .next()
                .map(Some)
                .ok_or_else(|| String::from("the name has no IPv4 address")),
            Err(GetQueryResultError::Pending) => Ok(None),
            Err(GetQueryResultError::Failed) => Err(String::from("the name was not found")),
        }
    }

    /// Give up a lookup that is still running. At most once per lookup: smoltcp panics on a
    /// handle whose slot is free (and a reused slot is another lookup's), so callers drop the
    /// handle with the call.
    pub fn cancel_lookup(&mut self, query: QueryHandle) {
        let socket = self.sockets.get_mut::<dns::Socket>(self.dns);
        if matches!(
            socket.get_query_result(query),
            Err(GetQueryResultError::Pending)
        ) {
            socket.cancel_query(query);
        }
        // Either way the slot is free now (a finished lookup was collected just above).
        debug_assert!(self.lookups > 0);
        self.lookups = self.lookups.saturating_sub(1);
    }

    /// Open TCP socket `handle` to `ip:port` from the next local port. A connect to a host on
    /// the local network must have its answer in [`ON_LINK_ANSWER_MS`]
    /// ([`NetStack::connect_unanswered`]).
    pub fn tcp_connect(
        &mut self,
        handle: SocketHandle,
        ip: Ipv4Addr,
        port: u16,
    ) -> Result<(), String> {
        let local = self.next_local_port();
        let on_link = self.on_link(ip);
        let socket = self.sockets.get_mut::<tcp::Socket>(handle);
        socket
            .connect(self.iface.context(), (IpAddress::Ipv4(ip), port), local)
            .map_err(|e| format!("connecting to {ip}:{port}: {e:?}"))?;
        self.on_link_connects.retain(|c| c.socket != handle);
        if on_link {
            self.on_link_connects.push(OnLinkConnect {
                socket: handle,
                answer_by: self.now_ms.saturating_add(ON_LINK_ANSWER_MS),
                oldest: false,
            });
        }
        Ok(())
    }

    /// Whether `ip` is on the local network (in the device's subnet, reached without a
    /// router), not the device itself.
    pub fn on_link(&self, ip: Ipv4Addr) -> bool {
        Some(ip) != self.ip
            && self.iface.ip_addrs().iter().any(|cidr| match cidr {
                IpCidr::Ipv4(net) => net.contains_addr(&ip),
                #[allow(unreachable_patterns)]
                _ => false,
            })
    }

    /// Whether TCP socket `handle`'s connect to a host on the local network has gone
    /// [`ON_LINK_ANSWER_MS`] without an answer (the socket still sends its SYN) since it became
    /// the oldest one waiting: the link gives it up ([`no_answer_on_link`]).
    pub fn connect_unanswered(&mut self, handle: SocketHandle) -> bool {
        // Answered, or ended some other way: no longer followed.
        let sockets = &self.sockets;
        self.on_link_connects
            .retain(|c| sockets.get::<tcp::Socket>(c.socket).state() == tcp::State::SynSent);
        let now = self.now_ms;
        let Some(oldest) = self.on_link_connects.first_mut() else {
            return false;
        };
        if !oldest.oldest {
            oldest.oldest = true;
            oldest.answer_by = oldest.answer_by.max(now.saturating_add(ON_LINK_ANSWER_MS));
        }
        oldest.socket == handle && now >= oldest.answer_by
    }
}

/// Close TCP socket `socket` without a reset: it forgets its peer at once (abort alone keeps
/// the peer until the reset has gone out, which smoltcp retries every second, for good, when
/// the peer's address does not resolve; each retry is an ARP request, and the interface sends
/// at most one a second for all sockets together).
pub fn forget(socket: &mut tcp::Socket<'_>) {
    let port = socket.local_endpoint().map_or(1, |e| e.port.max(1));
    socket.abort();
    // Listening resets the socket's connection state; it is closed again before any frame
    // moves.
    let _ = socket.listen(port);
    socket.abort();
}

/// How long a UDP socket's queued datagrams may wait without one going out before they are
/// dropped ([`StalledDatagrams`]).
pub const DATAGRAM_STALL_MS: u64 = 3_000;

/// Follows a UDP socket's queued datagrams. One that waits for a neighbour that does not answer
/// is retried every second, for good, each time with an ARP request, and the interface sends
/// at most one a second for all sockets together, this one first: every other socket's
/// lookups wait (the gateway's too, once its entry expires). So after [`DATAGRAM_STALL_MS`]
/// in which none went out the socket drops what it queued, as an operating system does when
/// ARP fails.
///
/// Each round: [`StalledDatagrams::before_send`] before the link queues more, then
/// [`StalledDatagrams::after_round`] once it queued them and read what came in.
#[derive(Default)]
pub struct StalledDatagrams {
    /// Since when none of the queued datagrams went out.
    since: Option<u64>,
    /// Bytes queued at the end of the last round: fewer at the start of this one means some
    /// went out in between.
    queued_after: usize,
}

impl StalledDatagrams {
    /// Note whether datagrams went out since the last round (before this round queues more).
    pub fn before_send(&mut self, socket: &udp::Socket<'_>, now_ms: u64) {
        let queued = socket.send_queue();
        if queued == 0 || queued < self.queued_after {
            self.since = None;
        }
        if queued > 0 {
            self.since.get_or_insert(now_ms);
        }
    }

    /// After the round queued its datagrams and read what came in: drop the queued datagrams
    /// if none went out for [`DATAGRAM_STALL_MS`]. The socket keeps its port; what it
    /// received goes too, so nothing is dropped while some waits to be read, unless that
    /// lasts as long again (datagrams that arrive faster than they are read are lost anyway).
    pub fn after_round(&mut self, socket: &mut udp::Socket<'_>, now_ms: u64) {
        let stalled_for = |ms: u64| {
            self.since
                .is_some_and(|since| now_ms >= since.saturating_add(ms))
        };
        if stalled_for(2 * DATAGRAM_STALL_MS)
            || (stalled_for(DATAGRAM_STALL_MS) && !socket.can_recv())
        {
            let port = socket.endpoint().port;
            socket.close();
            // Cannot fail: the port was bound and is free again.
            let _ = socket.bind(port);
            self.since = None;
        }
        self.queued_after = socket.send_queue();
    }
}

/// A name being looked up ([`NetStack::resolve`]).
pub enum Lookup {
    /// The name was an address.
    Done(Ipv4Addr),
    /// Ask [`NetStack::lookup_result`].
    Pending(QueryHandle),
}

fn instant(now_ms: u64) -> Instant {
    Instant::from_millis(i64::try_from(now_ms).unwrap_or(i64::MAX))
}

/// A DHCP client sending `options`.
fn dhcp_client(options: &'static [DhcpOption<'static>]) -> dhcpv4::Socket<'static> {
    let mut dhcp = dhcpv4::Socket::new();
    dhcp.set_outgoing_options(options);
    dhcp
}

#[cfg(test)]
mod stalled_datagram_tests {
    use super::*;
    use smoltcp::phy::{Loopback, Medium};
    use smoltcp::wire::IpEndpoint;

    const DEVICE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);

    /// One round of a link that follows socket `a`: as the links do it.
    fn round(
        stack: &mut NetStack<Loopback>,
        a: SocketHandle,
        stalled: &mut StalledDatagrams,
        now_ms: u64,
    ) {
        stack.poll(now_ms, true);
        stalled.before_send(stack.udp(a), now_ms);
        stalled.after_round(stack.udp(a), now_ms);
    }

    /// A datagram to a neighbour that never answers is dropped after [`DATAGRAM_STALL_MS`], but
    /// not while datagrams the socket received wait to be read (dropping the queue takes them
    /// too); a reader that never comes holds it up for twice as long, not for good.
    #[test]
    fn a_stalled_datagram_waits_for_unread_ones_but_not_for_good() {
        let mut stack = NetStack::new(
            Loopback::new(Medium::Ethernet),
            [2, 0, 0, 0, 0, 1],
            b"t",
            1,
            0,
        );
        stack.set_static_ipv4(Ipv4Cidr::new(DEVICE, 8), None);
        let a = stack.add_udp(4, 64);
        let b = stack.add_udp(4, 64);
        let a_at = IpEndpoint::new(IpAddress::Ipv4(DEVICE), stack.udp(a).endpoint().port);
        stack.udp(b).send_slice(b"unread", a_at).unwrap();
        let mut stalled = StalledDatagrams::default();
        let mut now = 0;
        while !stack.udp(a).can_recv() {
            now += 10;
            assert!(now < 5_000, "b's datagram never arrived");
            round(&mut stack, a, &mut stalled, now);
        }
        let nobody = IpEndpoint::new(IpAddress::Ipv4(Ipv4Addr::new(127, 0, 0, 9)), 9);
        stack.udp(a).send_slice(b"to nobody", nobody).unwrap();
        let sent_at = now;
        while now < sent_at + 2 * DATAGRAM_STALL_MS - 20 {
            now += 10;
            round(&mut stack, a, &mut stalled, now);
            assert!(
                stack.udp(a).send_queue() > 0,
                "dropped at {} ms with one unread",
                now - sent_at
            );
            assert!(stack.udp(a).can_recv());
        }
        for _ in 0..4 {
            now += 10;
            round(&mut stack, a, &mut stalled, now);
        }
        assert_eq!(
            stack.udp(a).send_queue(),
            0,
            "still queued after {} ms",
            now - sent_at
        );
        // The socket keeps its port and works on.
        assert_eq!(stack.udp(a).endpoint().port, a_at.port);
        stack.udp(b).send_slice(b"again", a_at).unwrap();
        for _ in 0..10 {
            now += 10;
            round(&mut stack, a, &mut stalled, now);
        }
        assert_eq!(
            stack.udp(a).recv().map(|(d, _)| d.to_vec()).ok(),
            Some(b"again".to_vec())
        );
    }
}
