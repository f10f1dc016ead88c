//! The chip's wall clock, end to end on the host: the network's SNTP client (`SntpLink`) on
//! smoltcp, asking the server named by `sys.sntp.server` (set over RPC, as a user would), with
//! an NTP server played by the test on a UDP socket at port 123 in the same interface, over
//! smoltcp's loopback device. (The client's protocol is checked against a real NTP server,
//! chrony, in `shared/protocols/tests/sntp_chrony.rs`; here it is the plumbing: the config, the
//! socket, the address check, the clock the board reads.)

mod support;

use ferrite_runtime::rpc::{Origin, RpcReply};
use serde_json::json;
use smoltcp::iface::SocketHandle;
use smoltcp::wire::{IpAddress, IpEndpoint};

use support::{Device, DEVICE_IP};

/// 2026-11-24T00:00:00Z in ms.
const SERVER_TIME_MS: i64 = 1_795_478_400_000;
const NTP_TO_UNIX_S: i64 = 2_208_988_800;

fn ntp_timestamp(unix_ms: i64) -> [u8; 8] {
    let secs = (unix_ms.div_euclid(1000) + NTP_TO_UNIX_S) as u32;
    let frac = ((unix_ms.rem_euclid(1000) as u64) << 32) / 1000;
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&secs.to_be_bytes());
    out[4..].copy_from_slice(&(frac as u32).to_be_bytes());
    out
}

/// A server's reply to `request`, receive and transmit time `unix_ms`.
fn reply(request: &[u8], unix_ms: i64) -> [u8; 48] {
    let mut p = [0u8; 48];
    p[0] = 0b00_100_100;
    p[1] = 2;
    p[24..32].copy_from_slice(&request[40..48]);
    p[32..40].copy_from_slice(&ntp_timestamp(unix_ms));
    p[40..48].copy_from_slice(&ntp_timestamp(unix_ms));
    p
}

fn boot_with_server() -> (Device, SocketHandle) {
    let mut server = None;
    let dev = Device::boot(|stack| {
        let h = stack.add_udp(4, 64);
        let socket = stack.udp(h);
        socket.close();
        socket.bind(123).unwrap();
        server = Some(h);
    });
    (dev, server.unwrap())
}

fn set_server(dev: &mut Device, server: &str) {
    let reply = dev.rt.rpc(
        "Sys.SetConfig",
        json!({"config": {"sntp": {"server": server}}}),
        Origin::Transport,
    );
    assert!(matches!(reply, RpcReply::Done(Ok(_))), "{reply:?}");
}

/// Run rounds of 10 ms until the server socket has a request: (its bytes, where it came from).
fn next_request(dev: &mut Device, server: SocketHandle) -> Option<(Vec<u8>, IpEndpoint)> {
    for _ in 0..2_000 {
        dev.round(10, true);
        let socket = dev.net.stack().udp(server);
        if let Ok((data, meta)) = socket.recv() {
            return Some((data.to_vec(), meta.endpoint));
        }
    }
    None
}

#[test]
fn the_configured_server_sets_the_wall_clock() {
    let (mut dev, server) = boot_with_server();
    assert_eq!(dev.wall.offset_ms(), None);
    set_server(&mut dev, &DEVICE_IP.to_string());
    let (request, from) = next_request(&mut dev, server).expect("an SNTP request");
    assert_eq!(request.len(), 48);
    assert_eq!(request[0], 0x23, "version 4, client");
    assert_eq!(from.addr, IpAddress::Ipv4(DEVICE_IP));
    let sent_at = dev.now() as i64;

    // A packet from elsewhere than the server's port 123 does not count, even if it echoes
    // the cookie.
    let stray = dev.net.stack().add_udp(1, 64);
    dev.net
        .stack()
        .udp(stray)
        .send_slice(&reply(&request, 0), from)
        .unwrap();
    dev.round(10, true);
    assert_eq!(dev.wall.offset_ms(), None);

    dev.net
        .stack()
        .udp(server)
        .send_slice(&reply(&request, SERVER_TIME_MS), from)
        .unwrap();
    for _ in 0..10 {
        dev.round(10, true);
    }
    let offset = dev.wall.offset_ms().expect("the wall clock is set");
    // The reply took two rounds or so; the offset splits the round trip.
    let expected = SERVER_TIME_MS - sent_at;
    assert!(
        (offset - expected).abs() <= 40,
        "offset {offset}, expected about {expected}"
    );
    let now = dev.now();
    let wall = dev.wall.unix_time_ms(now).unwrap();
    assert!((wall - (SERVER_TIME_MS as f64 + (now as i64 - sent_at) as f64)).abs() <= 40.0);

    // An hour later it asks again.
    assert!(
        next_request(&mut dev, server).is_none(),
        "no request within 20 s"
    );
}

#[test]
fn a_server_that_does_not_answer_is_asked_again_after_a_pause() {
    let (mut dev, server) = boot_with_server();
    set_server(&mut dev, &DEVICE_IP.to_string());
    let (_, _) = next_request(&mut dev, server).expect("a first request");
    let first = dev.now();
    let (_, _) = next_request(&mut dev, server).expect("a second request");
    let gap = dev.now() - first;
    // The 5 s reply timeout, then the first 4 s pause (give or take the 10 ms round in which
    // the packet crosses the loopback).
    assert!((8_980..=9_020).contains(&gap), "asked again after {gap} ms");
    assert_eq!(dev.wall.offset_ms(), None);
}

/// A request to a server that went away (on the subnet, its address no longer resolves) is
/// dropped after a while, so it does not hold up every other socket's ARP requests (the
/// interface sends at most one a second for all sockets): a script's connection goes through.
#[test]
fn a_server_that_went_away_does_not_hold_up_other_sockets() {
    use ferrite_runtime::board::Sockets;
    let (mut dev, _) = boot_with_server();
    let listener = dev.net.stack().add_tcp(1024, 1024);
    dev.net.stack().tcp(listener).listen(7000).unwrap();
    set_server(&mut dev, "127.0.0.9");
    for _ in 0..50 {
        dev.round(10, true);
    }
    let c = dev.sockets.tcp_connect("127.0.0.1", 7000).unwrap();
    let deadline = dev.now() + 8_000;
    assert!(
        dev.connects_by(c, deadline),
        "the script's connection got no ARP answer"
    );
}

/// A server set while the old one's name is being looked up is asked at once: the old lookup
/// is cancelled, not waited for (a silent DNS server takes 10 s to give up).
#[test]
fn a_new_server_set_during_a_lookup_is_asked_at_once() {
    let (mut dev, server) = boot_with_server();
    dev.net
        .stack()
        .set_dns_servers(&[core::net::Ipv4Addr::new(127, 0, 0, 2)]);
    set_server(&mut dev, "time.test");
    for _ in 0..20 {
        dev.round(10, true);
    }
    assert_eq!(dev.net.stack().lookups_pending(), 1, "looking time.test up");
    set_server(&mut dev, &DEVICE_IP.to_string());
    let asked_at = dev.now();
    let (_, _) = next_request(&mut dev, server).expect("a request to the new server");
    // Within the second the interface may wait to send its next ARP request (the silent
    // server's address did not resolve either).
    let took = dev.now() - asked_at;
    assert!(took < 1_500, "asked after {took} ms");
    assert_eq!(
        dev.net.stack().lookups_pending(),
        0,
        "the old lookup was cancelled"
    );
}
