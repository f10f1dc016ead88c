//! The chip's mDNS responder end to end on the host: the network's `MdnsLink` on smoltcp (over
//! its loopback device, the device at 127.0.0.1), with the device's id from the runtime. A
//! listener on port 5353 sees the announcements when the device has its address; a one-shot
//! query from another port is answered straight back. (The packets themselves are checked
//! against python-zeroconf in `shared/protocols/tests/mdns_zeroconf.rs`.)

mod support;

use smoltcp::iface::SocketHandle;
use smoltcp::wire::{IpAddress, IpEndpoint};

use support::Device;

const GROUP: IpEndpoint = IpEndpoint {
    addr: IpAddress::Ipv4(core::net::Ipv4Addr::new(224, 0, 0, 251)),
    port: 5353,
};

/// The device's id as the runtime makes it (the simulator's system has MAC 00:00:00:00:00:00).
fn device_id(dev: &mut Device) -> String {
    dev.rt.device().borrow().info.id.clone()
}

/// A query for `name` (type `qtype`, class IN), id 0xBEEF.
fn query(name: &str, qtype: u16) -> Vec<u8> {
    let mut q = vec![0xBE, 0xEF, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    q
}

/// Datagrams `socket` received within `rounds` rounds of 100 ms.
fn received(dev: &mut Device, socket: SocketHandle, rounds: usize) -> Vec<(Vec<u8>, IpEndpoint)> {
    let mut got = Vec::new();
    for _ in 0..rounds {
        dev.round(100, true);
        while let Ok((data, meta)) = dev.net.stack().udp(socket).recv() {
            got.push((data.to_vec(), meta.endpoint));
        }
    }
    got
}

/// Whether `packet` holds `name` as DNS labels.
fn holds_name(packet: &[u8], name: &str) -> bool {
    let mut labels = Vec::new();
    for label in name.split('.') {
        labels.push(label.len() as u8);
        labels.extend_from_slice(label.as_bytes());
    }
    packet.windows(labels.len()).any(|w| w == labels)
}

#[test]
fn the_device_announces_itself_twice_when_it_has_an_address() {
    let mut listener = None;
    let mut dev = Device::boot(|stack| {
        let h = stack.add_udp(4, 1500);
        stack.udp(h).close();
        stack.udp(h).bind(5353).unwrap();
        listener = Some(h);
    });
    let listener = listener.unwrap();
    let id = device_id(&mut dev);
    let got = received(&mut dev, listener, 30);
    assert_eq!(got.len(), 2, "announcements: {got:?}");
    for (packet, from) in &got {
        assert_eq!(&packet[2..4], &[0x84, 0], "an authoritative response");
        assert!(holds_name(packet, &format!("{id}.local")), "{packet:?}");
        assert!(holds_name(packet, "_shelly._tcp.local"));
        assert!(
            packet.windows(4).any(|w| w == [127, 0, 0, 1]),
            "the A record"
        );
        assert_eq!(from.port, 5353);
    }
    // Then it is quiet until asked.
    assert!(received(&mut dev, listener, 30).is_empty());
    // A new association, even with the same (static) address, is a link change: it announces
    // again (RFC 6762 §8.3), once the link is up.
    for _ in 0..30 {
        dev.round(100, false);
    }
    let got = received(&mut dev, listener, 30);
    assert_eq!(got.len(), 2, "announcements after rejoining: {got:?}");
}

#[test]
fn a_one_shot_query_is_answered_back_to_the_asker() {
    let mut dev = Device::boot(|_| {});
    let id = device_id(&mut dev);
    let asker = dev.net.stack().add_udp(4, 1500);
    let asker_port = dev.net.stack().udp(asker).endpoint().port;
    // Let the announcements go by first.
    received(&mut dev, asker, 30);

    let q = query(&format!("{id}.local"), 1);
    dev.net.stack().udp(asker).send_slice(&q, GROUP).unwrap();
    let got = received(&mut dev, asker, 5);
    assert_eq!(got.len(), 1, "{got:?}");
    let (reply, from) = &got[0];
    assert_eq!(from.port, 5353);
    assert_eq!(&reply[..2], &[0xBE, 0xEF], "the query's id");
    assert_eq!(
        &reply[4..8],
        &[0, 1, 0, 1],
        "the question echoed, one answer"
    );
    assert!(reply.ends_with(&[127, 0, 0, 1]), "{reply:?}");
    assert_ne!(asker_port, 5353);

    // A name that is not the device's gets no answer.
    let q = query("someone-else.local", 1);
    dev.net.stack().udp(asker).send_slice(&q, GROUP).unwrap();
    assert!(received(&mut dev, asker, 5).is_empty());
}

/// A one-shot query from a host that went away (its address answers no ARP request) leaves a
/// reply the device cannot send, first in its socket's queue. It is dropped after a while, as
/// any stalled datagram is: before, the responder never answered anyone again (and its ARP
/// requests, one a second, held up every other socket's lookups).
#[test]
fn a_reply_to_an_asker_that_went_away_does_not_silence_the_responder() {
    let mut dev = Device::boot(|_| {});
    let id = device_id(&mut dev);
    let asker = dev.net.stack().add_udp(4, 1500);
    received(&mut dev, asker, 30);

    let q = query(&format!("{id}.local"), 1);
    let gone = IpEndpoint::new(
        IpAddress::Ipv4(core::net::Ipv4Addr::new(127, 0, 0, 9)),
        40000,
    );
    dev.inject_udp(gone, GROUP, &q);
    received(&mut dev, asker, 2);
    // The asker here asks each second, as a resolver does, until it is answered.
    let mut answered_after = None;
    for second in 1..=8 {
        dev.net.stack().udp(asker).send_slice(&q, GROUP).unwrap();
        if !received(&mut dev, asker, 10).is_empty() {
            answered_after = Some(second);
            break;
        }
    }
    let after = answered_after.expect("the responder never answered again");
    assert!(
        after >= 2,
        "answered after {after} s: the stuck reply was not in the way"
    );
}
