//! [`SntpLink`]: the device's wall clock, from `ferrite-protocols`' SNTP client over one UDP
//! socket, the server (`sys.sntp.server`, Shelly's default `time.google.com`) looked up by DNS
//! before every request.
//!
//! What it finds goes into a [`WallClock`] that the board's clock reads (the runtime's
//! `Clock::unix_time_ms`, so `Date.now()`, `sys.unixtime` and the log's times), shared the way
//! the MQTT session is: single-threaded, a `Cell` never borrowed across a call.
//!
//! Must never: block, send while a lookup runs or a request is in flight, or take a reply that
//! does not come from the server's port 123 and answer the request in flight (the client checks
//! the cookie).

use alloc::rc::Rc;
use alloc::string::String;
use core::cell::Cell;
use core::net::Ipv4Addr;

use ferrite_protocols::sntp::{SntpClient, PACKET_LEN, PORT};
use smoltcp::iface::SocketHandle;
use smoltcp::phy::Device;
use smoltcp::socket::dns::QueryHandle;
use smoltcp::wire::{IpAddress, IpEndpoint};

use crate::stack::StalledDatagrams;
use crate::{Lookup, NetStack};

/// The socket's room: a request out, a couple of replies in.
const PACKETS: usize = 2;

/// Wall clock minus boot clock (ms), once a server answered; shared with the board's clock.
#[derive(Clone, Debug, Default)]
pub struct WallClock(Rc<Cell<Option<i64>>>);

impl WallClock {
    /// The wall clock (ms since the Unix epoch) at boot time `now_ms`, once known.
    pub fn unix_time_ms(&self, now_ms: u64) -> Option<f64> {
        self.0
            .get()
            .map(|o| i64::try_from(now_ms).unwrap_or(i64::MAX).saturating_add(o) as f64)
    }

    /// Wall clock minus boot clock (ms), once known.
    pub fn offset_ms(&self) -> Option<i64> {
        self.0.get()
    }
}

/// Where the request is.
enum Step {
    /// Nothing looked up or sent (the client says when to ask).
    Idle,
    /// Looking `server` up; then this packet goes to it. A new server cancels it.
    Resolving {
        query: QueryHandle,
        packet: [u8; PACKET_LEN],
        server: String,
    },
    /// Sent to this address; its reply comes from there.
    Sent { to: Ipv4Addr },
}

/// The SNTP client and its socket.
pub struct SntpLink {
    client: SntpClient,
    socket: SocketHandle,
    step: Step,
    clock: WallClock,
    /// A request to a server whose address does not resolve is dropped after a while.
    stalled: StalledDatagrams,
}

impl SntpLink {
    /// Make the link's socket (once, at start); what it finds goes to `clock`. `seed` makes
    /// the requests' cookies.
    pub fn new<D: Device>(stack: &mut NetStack<D>, clock: WallClock, seed: u64) -> SntpLink {
        SntpLink {
            client: SntpClient::new("", seed),
            socket: stack.add_udp(PACKETS, PACKET_LEN),
            step: Step::Idle,
            clock,
            stalled: StalledDatagrams::default(),
        }
    }

    /// Drive the client one round with `server` (the configured one; empty: the default).
    /// Nothing happens while the network is down: the first request goes out once it is up.
    pub fn poll<D: Device>(&mut self, stack: &mut NetStack<D>, now_ms: u64, server: &str) {
        if !stack.is_up() {
            return;
        }
        self.client.set_server(server, now_ms);
        self.receive(stack, now_ms);
        self.stalled.before_send(stack.udp(self.socket), now_ms);
        self.advance(stack, now_ms);
        self.stalled.after_round(stack.udp(self.socket), now_ms);
    }

    /// The lookup, the request, or what ends them.
    fn advance<D: Device>(&mut self, stack: &mut NetStack<D>, now_ms: u64) {
        match &self.step {
            Step::Resolving { query, server, .. } if server != self.client.server() => {
                // The server changed while its old name was being looked up: ask the new one
                // now, instead of sending to the old one or failing on its account.
                stack.cancel_lookup(*query);
                self.step = Step::Idle;
                self.advance(stack, now_ms);
            }
            Step::Resolving { query, packet, .. } => match stack.lookup_result(*query) {
                Ok(None) => {}
                Ok(Some(ip)) => {
                    let packet = *packet;
                    self.send(stack, ip, &packet, now_ms);
                }
                Err(_) => {
                    self.step = Step::Idle;
                    self.client.failed(now_ms);
                }
            },
            Step::Idle | Step::Sent { .. } => {
                // Also what ends a request whose reply did not come in time.
                let Some(request) = self.client.poll(now_ms) else {
                    return;
                };
                match stack.resolve(&request.server) {
                    Ok(Lookup::Done(ip)) => self.send(stack, ip, &request.packet, now_ms),
                    Ok(Lookup::Pending(query)) => {
                        self.step = Step::Resolving {
                            query,
                            packet: request.packet,
                            server: request.server,
                        }
                    }
                    Err(_) => {
                        self.step = Step::Idle;
                        self.client.failed(now_ms);
                    }
                }
            }
        }
    }

    /// The offset found so far, if any (wall clock minus boot clock, ms).
    pub fn offset_ms(&self) -> Option<i64> {
        self.client.offset_ms()
    }

    fn send<D: Device>(
        &mut self,
        stack: &mut NetStack<D>,
        ip: Ipv4Addr,
        packet: &[u8; PACKET_LEN],
        now_ms: u64,
    ) {
        let sent = stack
            .udp(self.socket)
            .send_slice(packet, (IpAddress::Ipv4(ip), PORT));
        if sent.is_ok() {
            self.client.sent_at(now_ms);
            self.step = Step::Sent { to: ip };
        } else {
            self.step = Step::Idle;
            self.client.failed(now_ms);
        }
    }

    /// Feed what came from the server's port to the client; the rest is dropped.
    fn receive<D: Device>(&mut self, stack: &mut NetStack<D>, now_ms: u64) {
        let socket = stack.udp(self.socket);
        let mut buf = [0u8; PACKET_LEN];
        while let Ok((n, meta)) = socket.recv_slice(&mut buf) {
            let from_server = match self.step {
                Step::Sent { to } => meta.endpoint == IpEndpoint::new(IpAddress::Ipv4(to), PORT),
                _ => false,
            };
            if from_server && self.client.on_reply(&buf[..n], now_ms).is_ok() {
                self.clock.0.set(self.client.offset_ms());
                self.step = Step::Idle;
            }
        }
    }
}
