//! The station's IPv4 configuration on the chip's stack: a static address (with its gateway and
//! DNS server) replaces DHCP at once and survives a lost association; going back to DHCP drops
//! it until a lease comes.

use ferrite_net::{Lookup, NetStack};
use ferrite_runtime::board::StaticIpv4;
use smoltcp::phy::{Loopback, Medium};

fn stack() -> NetStack<Loopback> {
    NetStack::new(
        Loopback::new(Medium::Ethernet),
        [2, 0, 0, 0, 0, 1],
        b"ferrite-test",
        7,
        0,
    )
}

const HOME: StaticIpv4 = StaticIpv4 {
    ip: [10, 0, 0, 5],
    prefix_len: 24,
    gateway: Some([10, 0, 0, 1]),
    nameserver: Some([10, 0, 0, 1]),
};

#[test]
fn a_static_address_replaces_dhcp_and_dhcp_comes_back() {
    let mut s = stack();
    s.poll(0, true);
    // DHCP, and nobody answers on the loopback.
    assert_eq!(s.ip(), None);
    assert!(!s.is_up());

    s.apply_ipv4(Some(HOME));
    s.poll(10, true);
    assert_eq!(s.ip(), Some([10, 0, 0, 5]));
    assert!(s.is_up());
    // Names are looked up at the configured server.
    assert!(matches!(s.resolve("example.com"), Ok(Lookup::Pending(_))));

    // A lost association keeps a static address (DHCP would drop its lease).
    s.poll(20, false);
    s.poll(30, true);
    assert_eq!(s.ip(), Some([10, 0, 0, 5]));

    // Back to DHCP: the static address goes at once.
    s.apply_ipv4(None);
    assert_eq!(s.ip(), None);
    s.poll(40, true);
    assert_eq!(s.ip(), None);
    assert!(s.resolve("example.com").is_err());

    // And static again.
    s.apply_ipv4(Some(HOME));
    assert_eq!(s.ip(), Some([10, 0, 0, 5]));
}
