//! [`Network`]: the stack, the RPC server, the MQTT connection, scripts' HTTP requests and
//! sockets, the SNTP client and the mDNS responder, as a target's main loop drives them.

use ferrite_runtime::device::Notification;
use ferrite_runtime::json::Json;
use ferrite_runtime::log::Level;
use ferrite_runtime::rpc::RpcError;
use ferrite_runtime::Runtime;
use smoltcp::phy::Device;

use crate::{
    HttpLink, MdnsLink, MqttLink, NetStack, RpcListener, SharedHttp, SharedMqtt, SharedSockets,
    SntpLink, SocketsLink, WallClock,
};

/// The stack, the RPC server, the MQTT connection, scripts' HTTP requests and sockets, the SNTP
/// client and the mDNS responder.
pub struct Network<D: Device> {
    stack: NetStack<D>,
    rpc: RpcListener,
    mqtt: MqttLink,
    http: HttpLink,
    sockets: SocketsLink,
    sntp: SntpLink,
    mdns: MdnsLink,
}

impl<D: Device> Network<D> {
    /// The RPC server on `stack` (`nonce_key` is random, for digest nonces; an HMAC of it seeds
    /// the SNTP requests' cookies, which therefore reveal nothing of it), the MQTT connection of
    /// `mqtt` (the session the board gives the runtime), the requests of `http` (the HTTP client
    /// the board gives the runtime), scripts' `sockets` (as the board gives them to the runtime),
    /// and the SNTP client, which sets `wall` (the clock the board gives the runtime).
    pub fn new(
        mut stack: NetStack<D>,
        nonce_key: [u8; 32],
        mqtt: SharedMqtt,
        http: SharedHttp,
        sockets: SharedSockets,
        wall: WallClock,
    ) -> Network<D> {
        let rpc = RpcListener::new(&mut stack, nonce_key);
        let mqtt = MqttLink::new(&mut stack, mqtt);
        let http = HttpLink::new(&mut stack, http);
        let sockets = SocketsLink::new(sockets);
        let derived = ferrite_protocols::sha::hmac_sha256(&nonce_key, b"ferrite sntp cookies");
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&derived[..8]);
        let sntp = SntpLink::new(&mut stack, wall, u64::from_le_bytes(seed));
        let mdns = MdnsLink::new(&mut stack);
        Network {
            stack,
            rpc,
            mqtt,
            http,
            sockets,
            sntp,
            mdns,
        }
    }

    /// After the runtime booted.
    pub fn on_boot(&mut self, rt: &mut Runtime, now_ms: u64) {
        self.rpc.on_boot(rt, now_ms);
        self.mdns.on_boot(rt);
    }

    /// Frames in and out, DHCP, the MQTT connection (its reports go to the device log), scripts'
    /// HTTP requests and sockets, then the RPC server's input and requests. `associated`: the
    /// link is up (a new association restarts DHCP; a lost one drops the address). Returns
    /// whether there is more to do at once.
    pub fn poll(&mut self, rt: &mut Runtime, now_ms: u64, associated: bool) -> bool {
        self.stack.poll(now_ms, associated);
        let device = rt.device().clone();
        self.mqtt.poll(&mut self.stack, now_ms, &mut |report| {
            device
                .borrow_mut()
                .log(Level::Info, 0, alloc::format!("{report}"));
        });
        self.http.poll(&mut self.stack, now_ms);
        self.sockets.poll(&mut self.stack, now_ms);
        // The configured server, read in place (no copy each round); the link never touches
        // the device.
        self.sntp.poll(
            &mut self.stack,
            now_ms,
            &device.borrow().components.sys.sntp_server,
        );
        self.mdns.poll(&mut self.stack, now_ms);
        let busy = self.rpc.poll(&mut self.stack, rt, now_ms);
        // What the MQTT session, scripts' requests and sockets and the server wrote goes out
        // this round.
        self.stack.transmit(now_ms);
        busy
    }

    /// This round's answers and notifications to the RPC clients, and their output sent.
    pub fn deliver(
        &mut self,
        rt: &mut Runtime,
        done: &[(u32, Result<Json, RpcError>)],
        notes: &[Notification],
        now_ms: u64,
    ) {
        self.rpc.deliver(rt, done, notes, now_ms);
        self.flush(now_ms);
    }

    /// Move pending output into the sockets and onto the link.
    pub fn flush(&mut self, now_ms: u64) {
        self.rpc.flush(&mut self.stack, now_ms);
        self.stack.transmit(now_ms);
    }

    /// Whether any RPC client still has output on its way (not yet acknowledged).
    pub fn pending(&mut self) -> bool {
        self.rpc.pending(&mut self.stack)
    }

    /// The device's address, once it has one.
    pub fn ip(&self) -> Option<[u8; 4]> {
        self.stack.ip()
    }

    /// The stack (tests add client sockets to it; MQTT and scripts' sockets live in it too).
    pub fn stack(&mut self) -> &mut NetStack<D> {
        &mut self.stack
    }
}
