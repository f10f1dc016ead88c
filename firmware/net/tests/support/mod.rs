//! What both loopback tests share: a runtime on the simulator's board and the chip's network
//! (`Network`) on smoltcp's loopback device, the device at 127.0.0.1.
//!
//! Each test binary uses part of it.
#![allow(dead_code)]

use ferrite_net::{
    NetStack, Network, SharedHttp, SharedMqtt, SharedSockets, WallClock, CHIP_HTTP_LIMITS,
    CHIP_MQTT_LIMITS,
};
use ferrite_runtime::board::{BoardEvent, SocketId, Sockets};
use ferrite_runtime::sim::{MemStorage, NetBackend, SimBoard, SimSystem, VirtualClock};
use ferrite_runtime::{Runtime, RuntimeConfig};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use smoltcp::phy::{self, ChecksumCapabilities, DeviceCapabilities, Loopback, Medium, TxToken};
use smoltcp::time::Instant;
use smoltcp::wire::{
    EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr, IpAddress, IpEndpoint,
    IpProtocol, Ipv4Cidr, Ipv4Packet, Ipv4Repr, UdpPacket, UdpRepr,
};

/// The device's (static) address.
pub const DEVICE_IP: core::net::Ipv4Addr = core::net::Ipv4Addr::new(127, 0, 0, 1);

/// A booted runtime, the network with its MQTT session and HTTP client, and the virtual clock
/// both read.
pub struct Device {
    pub rt: Runtime,
    pub net: Network<TestPhy>,
    /// While set, every frame the interface sends is lost (a peer that went silent).
    pub cut: Rc<Cell<bool>>,
    /// Frames the interface receives next, as from another host on the link
    /// ([`Device::inject_udp`]).
    pub inject: Rc<RefCell<VecDeque<Vec<u8>>>>,
    pub mqtt: SharedMqtt,
    pub http: SharedHttp,
    /// Scripts' sockets as the board hands them to the runtime.
    pub sockets: SharedSockets,
    /// What the network's SNTP client sets.
    pub wall: WallClock,
    pub clock: VirtualClock,
}

impl Device {
    /// `add_sockets` runs on the stack before the network takes its own sockets (a test's
    /// listening broker, say). The runtime's board has no network: the test drives the shared
    /// parts itself.
    pub fn boot(add_sockets: impl FnOnce(&mut NetStack<TestPhy>)) -> Device {
        Device::boot_with(add_sockets, false)
    }

    /// [`Device::boot`] with scripts' sockets on the runtime's board, as on the chip: scripts
    /// open them and their events go to the runtime.
    pub fn boot_for_scripts(add_sockets: impl FnOnce(&mut NetStack<TestPhy>)) -> Device {
        Device::boot_with(add_sockets, true)
    }

    fn boot_with(add_sockets: impl FnOnce(&mut NetStack<TestPhy>), scripts: bool) -> Device {
        let clock = VirtualClock::new(None);
        let sockets = SharedSockets::new();
        let mut board = SimBoard::new(
            Box::new(clock.clone()),
            Box::new(MemStorage::new(0)),
            Box::new(SimSystem::new(1, [0; 6])),
        );
        if scripts {
            board = board.with_net(Box::new(ScriptSockets(sockets.clone())));
        }
        let mut rt = Runtime::new(Box::new(board), RuntimeConfig::default());
        rt.boot();
        let cut = Rc::new(Cell::new(false));
        let inject = Rc::new(RefCell::new(VecDeque::new()));
        let phy = TestPhy {
            inner: Loopback::new(Medium::Ethernet),
            cut: cut.clone(),
            inject: inject.clone(),
        };
        let mut stack = NetStack::new(phy, [2, 0, 0, 0, 0, 1], b"ferrite-test", 7, 0);
        stack.set_static_ipv4(Ipv4Cidr::new(DEVICE_IP, 8), None);
        add_sockets(&mut stack);
        let mqtt = SharedMqtt::new(CHIP_MQTT_LIMITS);
        let http = SharedHttp::new(CHIP_HTTP_LIMITS);
        let wall = WallClock::default();
        let mut net = Network::new(
            stack,
            [9; 32],
            mqtt.clone(),
            http.clone(),
            sockets.clone(),
            wall.clone(),
        );
        net.on_boot(&mut rt, 0);
        Device {
            rt,
            net,
            cut,
            inject,
            mqtt,
            http,
            sockets,
            wall,
            clock,
        }
    }

    /// Rounds of 10 ms until script socket `socket` reports `SocketConnected`, while the clock
    /// is before `deadline_ms`: whether it did. Other socket events fail the test.
    pub fn connects_by(&mut self, socket: SocketId, deadline_ms: u64) -> bool {
        while self.now() < deadline_ms {
            self.round(10, true);
            if let Some(e) = self.sockets.take_event() {
                assert_eq!(e, BoardEvent::SocketConnected { socket });
                return true;
            }
        }
        false
    }

    /// Hand the interface a UDP datagram from `from` (a host on the link that answers no ARP
    /// request: the device cannot send back to it) to `to`, in an Ethernet frame from MAC
    /// 02:00:00:00:00:99 (multicast MAC for a multicast `to`).
    pub fn inject_udp(&mut self, from: IpEndpoint, to: IpEndpoint, payload: &[u8]) {
        let (IpAddress::Ipv4(src), IpAddress::Ipv4(dst)) = (from.addr, to.addr);
        let udp = UdpRepr {
            src_port: from.port,
            dst_port: to.port,
        };
        let ip = Ipv4Repr {
            src_addr: src,
            dst_addr: dst,
            next_header: IpProtocol::Udp,
            payload_len: udp.header_len() + payload.len(),
            hop_limit: 255,
        };
        let eth = EthernetRepr {
            src_addr: EthernetAddress([2, 0, 0, 0, 0, 0x99]),
            dst_addr: if dst.is_multicast() {
                let o = dst.octets();
                EthernetAddress([0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]])
            } else {
                EthernetAddress([2, 0, 0, 0, 0, 1])
            },
            ethertype: EthernetProtocol::Ipv4,
        };
        let mut frame = vec![0; eth.buffer_len() + ip.buffer_len() + ip.payload_len];
        let mut e = EthernetFrame::new_unchecked(&mut frame[..]);
        eth.emit(&mut e);
        let mut i = Ipv4Packet::new_unchecked(e.payload_mut());
        ip.emit(&mut i, &ChecksumCapabilities::default());
        let mut u = UdpPacket::new_unchecked(i.payload_mut());
        udp.emit(
            &mut u,
            &from.addr,
            &to.addr,
            payload.len(),
            |b| b.copy_from_slice(payload),
            &ChecksumCapabilities::default(),
        );
        self.inject.borrow_mut().push_back(frame);
    }

    pub fn now(&self) -> u64 {
        ferrite_runtime::board::Clock::now_ms(&self.clock)
    }

    /// One round of a target's main loop, `ms` later: the runtime, the network, this round's
    /// answers and notifications.
    pub fn round(&mut self, ms: u64, associated: bool) {
        self.clock.advance(ms);
        let now = self.now();
        self.rt.poll();
        self.net.poll(&mut self.rt, now, associated);
        let done = self.rt.take_rpc_done();
        let notes = self.rt.take_notifications();
        self.net.deliver(&mut self.rt, &done, &notes, now);
    }
}

/// Append everything `socket` has received to `into`.
pub fn read_into(socket: &mut smoltcp::socket::tcp::Socket<'_>, into: &mut Vec<u8>) {
    while socket.can_recv() {
        socket
            .recv(|d| {
                into.extend_from_slice(d);
                (d.len(), ())
            })
            .unwrap();
    }
}

/// The chip board's part in scripts' sockets: the shared table as the runtime's `Sockets`, its
/// events as board events.
struct ScriptSockets(SharedSockets);

impl NetBackend for ScriptSockets {
    fn sockets(&mut self) -> Option<&mut dyn Sockets> {
        Some(&mut self.0)
    }
    fn poll_event(&mut self) -> Option<BoardEvent> {
        self.0.take_event()
    }
}

/// smoltcp's loopback device, whose frames can be lost on the way ([`Device::cut`]): the way
/// to play a peer that went silent, which loopback alone cannot (it answers or resets).
pub struct TestPhy {
    inner: Loopback,
    cut: Rc<Cell<bool>>,
    inject: Rc<RefCell<VecDeque<Vec<u8>>>>,
}

impl phy::Device for TestPhy {
    type RxToken<'a> = <Loopback as phy::Device>::RxToken<'a>;
    type TxToken<'a> = CutTx<<Loopback as phy::Device>::TxToken<'a>>;

    fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        // Injected frames join the loopback's queue, as if the interface had sent them.
        while let Some(frame) = self.inject.borrow_mut().pop_front() {
            if let Some(tx) = self.inner.transmit(now) {
                tx.consume(frame.len(), |b| b.copy_from_slice(&frame));
            }
        }
        let cut = self.cut.get();
        self.inner
            .receive(now)
            .map(|(rx, tx)| (rx, CutTx { inner: tx, cut }))
    }

    fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>> {
        let cut = self.cut.get();
        self.inner.transmit(now).map(|tx| CutTx { inner: tx, cut })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}

/// A frame to send, or to lose.
pub struct CutTx<T> {
    inner: T,
    cut: bool,
}

impl<T: phy::TxToken> phy::TxToken for CutTx<T> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        if self.cut {
            f(&mut vec![0; len])
        } else {
            self.inner.consume(len, f)
        }
    }
}
