//! Name lookups of the chip's network with more than one DNS server (a DHCP offer often names
//! two): a first server that never answers is skipped after smoltcp's 10 s timeout and the
//! next one is asked. The stack runs on smoltcp's loopback device at 127.0.0.1; the answering
//! server is played by the test on a UDP socket at port 53 in the same interface, the silent
//! one is an address nobody has (127.0.0.2).

use core::net::Ipv4Addr;

use ferrite_net::{Lookup, NetStack};
use smoltcp::iface::SocketHandle;
use smoltcp::phy::{Loopback, Medium};
use smoltcp::wire::Ipv4Cidr;

const DEVICE_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
const SILENT_SERVER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
const ANSWER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 7);

struct Rig {
    stack: NetStack<Loopback>,
    server: SocketHandle,
    now_ms: u64,
    /// Questions the played server received.
    asked: usize,
}

impl Rig {
    fn new(servers: &[Ipv4Addr]) -> Rig {
        let mut stack = NetStack::new(
            Loopback::new(Medium::Ethernet),
            [2, 0, 0, 0, 0, 1],
            b"ferrite-test",
            7,
            0,
        );
        stack.set_static_ipv4(Ipv4Cidr::new(DEVICE_IP, 8), None);
        let server = stack.add_udp(4, 512);
        // `add_udp` binds a local port of its own; the played server listens on 53.
        stack.udp(server).close();
        stack.udp(server).bind(53).unwrap();
        stack.set_dns_servers(servers);
        // Associated from the first poll on: the stack is up.
        stack.poll(0, true);
        Rig {
            stack,
            server,
            now_ms: 0,
            asked: 0,
        }
    }

    /// Run the stack `ms` later, answering every question the played server got.
    fn round(&mut self, ms: u64) {
        self.now_ms += ms;
        self.stack.poll(self.now_ms, true);
        while let Ok((query, meta)) = self.stack.udp(self.server).recv() {
            let reply = answer_a(query, ANSWER);
            self.asked += 1;
            self.stack
                .udp(self.server)
                .send_slice(&reply, meta.endpoint)
                .unwrap();
        }
        self.stack.poll(self.now_ms, true);
    }

    /// Look `name` up, running the stack 100 ms at a time for at most `limit_ms`.
    fn lookup(&mut self, name: &str, limit_ms: u64) -> (Result<Ipv4Addr, String>, u64) {
        let started = self.now_ms;
        let Lookup::Pending(query) = self.stack.resolve(name).unwrap() else {
            panic!("{name} is not an address");
        };
        while self.now_ms - started <= limit_ms {
            self.round(100);
            match self.stack.lookup_result(query) {
                Ok(None) => {}
                Ok(Some(ip)) => return (Ok(ip), self.now_ms - started),
                Err(e) => return (Err(e), self.now_ms - started),
            }
        }
        panic!("the lookup of {name} neither ended nor failed in {limit_ms} ms");
    }
}

/// The answer to DNS `query` (one question, type A): the question again and one A record.
fn answer_a(query: &[u8], ip: Ipv4Addr) -> Vec<u8> {
    assert!(query.len() > 12, "a DNS query has a 12-byte header");
    // The question: the name's labels up to the empty one, then type and class.
    let mut end = 12;
    while query[end] != 0 {
        end += 1 + usize::from(query[end]);
    }
    end += 1 + 4;
    let mut reply = query[..end].to_vec();
    reply[2] = 0x81; // a response, recursion desired
    reply[3] = 0x80; // recursion available, no error
    reply[6..8].copy_from_slice(&1u16.to_be_bytes()); // one answer
    reply[8..12].fill(0);
    reply.extend_from_slice(&[0xc0, 12]); // the name: a pointer to the question's
    reply.extend_from_slice(&1u16.to_be_bytes()); // type A
    reply.extend_from_slice(&1u16.to_be_bytes()); // class IN
    reply.extend_from_slice(&60u32.to_be_bytes()); // TTL
    reply.extend_from_slice(&4u16.to_be_bytes());
    reply.extend_from_slice(&ip.octets());
    reply
}

#[test]
fn a_lookup_is_answered_by_the_first_server_at_once() {
    let mut rig = Rig::new(&[DEVICE_IP]);
    let (result, took) = rig.lookup("sensor.example", 30_000);
    assert_eq!(result, Ok(ANSWER));
    assert!(took < 1_000, "took {took} ms");
    assert_eq!(rig.asked, 1);
}

#[test]
fn a_silent_first_server_is_skipped_for_the_next() {
    let mut rig = Rig::new(&[SILENT_SERVER, DEVICE_IP]);
    let (result, took) = rig.lookup("sensor.example", 30_000);
    assert_eq!(result, Ok(ANSWER));
    // smoltcp gives a server 10 s before it asks the next.
    assert!((10_000..12_000).contains(&took), "took {took} ms");
    assert_eq!(rig.asked, 1);
}

#[test]
fn a_lookup_fails_when_no_server_answers() {
    let mut rig = Rig::new(&[SILENT_SERVER]);
    let (result, took) = rig.lookup("sensor.example", 30_000);
    assert_eq!(result, Err(String::from("the name was not found")));
    assert!((10_000..12_000).contains(&took), "took {took} ms");
}

#[test]
fn servers_beyond_the_kept_number_are_ignored() {
    // Three silent servers fill the list: the answering fourth is never asked.
    let mut rig = Rig::new(&[SILENT_SERVER, SILENT_SERVER, SILENT_SERVER, DEVICE_IP]);
    assert_eq!(ferrite_net::DNS_SERVERS, 3);
    let (result, _) = rig.lookup("sensor.example", 40_000);
    assert_eq!(result, Err(String::from("the name was not found")));
    assert_eq!(rig.asked, 0);
}

/// The stack's lookups are a fixed set of six: a seventh at once is refused (smoltcp would add
/// a slot to a list it owns), and a slot is free again once its lookup is collected.
#[test]
fn lookups_at_once_are_bounded() {
    let mut rig = Rig::new(&[SILENT_SERVER]);
    let queries: Vec<_> = (0..6)
        .map(
            |i| match rig.stack.resolve(&format!("host{i}.test")).unwrap() {
                Lookup::Pending(q) => q,
                Lookup::Done(_) => panic!("not an address"),
            },
        )
        .collect();
    let Err(e) = rig.stack.resolve("one-more.test") else {
        panic!("a seventh lookup started");
    };
    assert!(e.contains("every DNS query slot is in use"), "{e}");
    assert_eq!(
        rig.stack
            .resolve_when_free("one-more.test")
            .unwrap()
            .map(|_| ()),
        None
    );
    rig.stack.cancel_lookup(queries[0]);
    assert!(matches!(
        rig.stack.resolve("one-more.test"),
        Ok(Lookup::Pending(_))
    ));
}
