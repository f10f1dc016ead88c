//! What both loopback tests share: a runtime on the simulator's board and the chip's network
//! (`Network`) on smoltcp's loopback device, the device at 127.0.0.1.
//!
//! Each test binary uses part of it.
#![allow(dead_code)]

use ferrite_net::{
    NetStack, Network, SharedHttp, SharedMqtt, WallClock, CHIP_HTTP_LIMITS, CHIP_MQTT_LIMITS,
};
use ferrite_runtime::sim::{MemStorage, SimBoard, SimSystem, VirtualClock};
use ferrite_runtime::{Runtime, RuntimeConfig};
use smoltcp::phy::{Loopback, Medium};
use smoltcp::wire::Ipv4Cidr;

/// The device's (static) address.
pub const DEVICE_IP: core::net::Ipv4Addr = core::net::Ipv4Addr::new(127, 0, 0, 1);

/// A booted runtime, the network with its MQTT session and HTTP client, and the virtual clock
/// both read.
pub struct Device {
    pub rt: Runtime,
    pub net: Network<Loopback>,
    pub mqtt: SharedMqtt,
    pub http: SharedHttp,
    /// What the network's SNTP client sets.
    pub wall: WallClock,
    pub clock: VirtualClock,
}

impl Device {
    /// `add_sockets` runs on the stack before the network takes its own sockets (a test's
    /// listening broker, say).
    pub fn boot(add_sockets: impl FnOnce(&mut NetStack<Loopback>)) -> Device {
        let clock = VirtualClock::new(None);
        let board = SimBoard::new(
            Box::new(clock.clone()),
            Box::new(MemStorage::new(0)),
            Box::new(SimSystem::new(1, [0; 6])),
        );
        let mut rt = Runtime::new(Box::new(board), RuntimeConfig::default());
        rt.boot();
        let mut stack = NetStack::new(
            Loopback::new(Medium::Ethernet),
            [2, 0, 0, 0, 0, 1],
            b"ferrite-test",
            7,
            0,
        );
        stack.set_static_ipv4(Ipv4Cidr::new(DEVICE_IP, 8), None);
        add_sockets(&mut stack);
        let mqtt = SharedMqtt::new(CHIP_MQTT_LIMITS);
        let http = SharedHttp::new(CHIP_HTTP_LIMITS);
        let wall = WallClock::default();
        let mut net = Network::new(stack, [9; 32], mqtt.clone(), http.clone(), wall.clone());
        net.on_boot(&mut rt, 0);
        Device {
            rt,
            net,
            mqtt,
            http,
            wall,
            clock,
        }
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
