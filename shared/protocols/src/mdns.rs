//! mDNS (RFC 6762) and DNS-SD (RFC 6763): a responder that answers for the device's name and
//! its HTTP service, sans-IO.
//!
//! The device is `<host>.local` (an A record for its address) and offers its RPC server as
//! `<host>._http._tcp.local` and `<host>._shelly._tcp.local` on port 80 (PTR, SRV and TXT
//! records; the TXT strings are Shelly Gen2's `gen=2`, `app=…`, `ver=…`), the services Home
//! Assistant and other Shelly tools browse for. The target receives datagrams on UDP port
//! [`PORT`] (joined to the group [`GROUP`]), hands each to [`Responder::reply`] and sends what it
//! returns: to the group, or straight back to the asker for a legacy one-shot query (one that
//! does not come from port 5353, RFC 6762 §6.7: the query's id and questions are echoed, TTLs are
//! at most 10 s) or a question asking for a unicast answer. [`Responder::announcement`] is what
//! to send, twice a second apart, when the device gets an address.
//!
//! There is no probing or conflict resolution: the host name carries the device's MAC address.
//!
//! Must never: panic or loop on any datagram (names are read with a bound on labels, length and
//! compression pointers), answer a response or a question about a name it does not own, or
//! return more than [`MAX_REPLY`] bytes (the names and TXT values are cut to 63 bytes so that
//! even the announcement fits).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The mDNS port.
pub const PORT: u16 = 5353;
/// The IPv4 mDNS group.
pub const GROUP: [u8; 4] = [224, 0, 0, 251];
/// The largest reply (well within one Ethernet frame).
pub const MAX_REPLY: usize = 1_200;
/// Questions read from one query at most (the rest are ignored).
const MAX_QUESTIONS: usize = 16;
/// Compression pointers followed in one name at most.
const MAX_POINTERS: usize = 16;
/// The longest name (RFC 1035).
const MAX_NAME: usize = 255;

const TYPE_A: u16 = 1;
const TYPE_PTR: u16 = 12;
const TYPE_TXT: u16 = 16;
const TYPE_SRV: u16 = 33;
const TYPE_ANY: u16 = 255;
const CLASS_IN: u16 = 1;
/// In a question: any class.
const CLASS_ANY: u16 = 255;
/// In a record's class: the record replaces what caches hold (unique records).
const CACHE_FLUSH: u16 = 0x8000;
/// In a question's class: the asker wants a unicast answer.
const UNICAST_RESPONSE: u16 = 0x8000;

/// TTL of records that name the host (A, SRV): RFC 6762 §10.
const HOST_TTL: u32 = 120;
/// TTL of the others (PTR, TXT).
const OTHER_TTL: u32 = 4_500;
/// TTL cap in answers to legacy one-shot queries.
const LEGACY_TTL: u32 = 10;

/// The service types the device offers, each on the RPC server's port.
const SERVICES: [&str; 2] = ["_http._tcp", "_shelly._tcp"];
/// The DNS-SD meta-query name (RFC 6763 §9).
const SERVICES_META: &str = "_services._dns-sd._udp.local";
/// The RPC server's port.
const HTTP_PORT: u16 = 80;

/// Where a reply goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    /// To [`GROUP`], port [`PORT`].
    Group,
    /// Back to the address and port the query came from.
    Asker,
}

/// A reply to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub to: Destination,
    pub bytes: Vec<u8>,
}

/// The device's mDNS responder: its names and records.
#[derive(Clone, Debug)]
pub struct Responder {
    /// The host name without `.local` (`ferrite-a1b2c3`).
    host: String,
    txt: Vec<String>,
}

/// What one question asks about, among the device's names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owned {
    Host,
    /// `SERVICES[i]` (`_http._tcp.local`): browse for instances.
    ServiceType(usize),
    /// `<host>.SERVICES[i]`: one instance.
    Instance(usize),
    Meta,
}

/// A record to put in a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Record {
    A,
    Ptr(usize),
    Srv(usize),
    Txt(usize),
    MetaPtr(usize),
}

impl Responder {
    /// The responder for `<host>.local`, whose TXT records say `gen=2`, `app=<app>` and
    /// `ver=<version>`.
    pub fn new(host: &str, app: &str, version: &str) -> Responder {
        // A DNS label holds at most 63 bytes; the TXT values are kept as short, so that the
        // announcement, the longest packet, stays within MAX_REPLY.
        let txt = alloc::vec![
            String::from("gen=2"),
            format!("app={}", prefix_within(app, 63)),
            format!("ver={}", prefix_within(version, 63)),
        ];
        let host = String::from(prefix_within(host, 63));
        Responder { host, txt }
    }

    /// The host name without `.local`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The reply to `packet`, a datagram that came from UDP port `from_port`, with the device at
    /// `ip`; `None` when it asks nothing the device answers (or is not a well-formed query).
    pub fn reply(&self, packet: &[u8], from_port: u16, ip: [u8; 4]) -> Option<Reply> {
        if packet.len() < 12 {
            return None;
        }
        let id = u16::from_be_bytes([packet[0], packet[1]]);
        let flags = u16::from_be_bytes([packet[2], packet[3]]);
        // A response (QR set), or not a standard query (opcode), is not asked of us.
        if flags & 0x8000 != 0 || (flags >> 11) & 0xF != 0 {
            return None;
        }
        let questions = usize::from(u16::from_be_bytes([packet[4], packet[5]]));
        let legacy = from_port != PORT;
        let mut at = 12;
        let mut answers: Vec<Record> = Vec::new();
        let mut additional: Vec<Record> = Vec::new();
        let mut asked: Vec<(usize, usize)> = Vec::new();
        let mut unicast = legacy;
        for _ in 0..questions.min(MAX_QUESTIONS) {
            let start = at;
            let (name, end) = read_name(packet, at)?;
            let fixed = packet.get(end..end + 4)?;
            at = end + 4;
            asked.push((start, at));
            let qtype = u16::from_be_bytes([fixed[0], fixed[1]]);
            let qclass = u16::from_be_bytes([fixed[2], fixed[3]]);
            if !matches!(qclass & !UNICAST_RESPONSE, CLASS_IN | CLASS_ANY) {
                continue;
            }
            let Some(owned) = self.owns(&name) else {
                continue;
            };
            if qclass & UNICAST_RESPONSE != 0 {
                unicast = true;
            }
            self.answer(owned, qtype, &mut answers, &mut additional);
        }
        if answers.is_empty() {
            return None;
        }
        additional.retain(|r| !answers.contains(r));
        let mut out = Vec::new();
        let (reply_id, echoed) = if legacy {
            (id, &asked[..])
        } else {
            (0, &[][..])
        };
        out.extend_from_slice(&reply_id.to_be_bytes());
        out.extend_from_slice(&0x8400u16.to_be_bytes()); // response, authoritative
        out.extend_from_slice(&(echoed.len() as u16).to_be_bytes());
        out.extend_from_slice(&(answers.len() as u16).to_be_bytes());
        out.extend_from_slice(&0u16.to_be_bytes());
        out.extend_from_slice(&(additional.len() as u16).to_be_bytes());
        for &(start, end) in echoed {
            // Echo the question with its name written out (it may hold compression pointers
            // into the query).
            let (name, name_end) = read_name(packet, start)?;
            write_name(&mut out, &[&name]);
            out.extend_from_slice(&packet[name_end..end]);
        }
        for r in answers.iter().chain(&additional) {
            self.write_record(&mut out, *r, ip, legacy);
        }
        (out.len() <= MAX_REPLY).then_some(Reply {
            to: if unicast {
                Destination::Asker
            } else {
                Destination::Group
            },
            bytes: out,
        })
    }

    /// An unsolicited response with every record, to send to the group when the device gets
    /// address `ip` (twice, a second apart, RFC 6762 §8.3).
    pub fn announcement(&self, ip: [u8; 4]) -> Vec<u8> {
        let mut records = alloc::vec![Record::A];
        for i in 0..SERVICES.len() {
            records.extend([Record::Ptr(i), Record::Srv(i), Record::Txt(i)]);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&0u16.to_be_bytes());
        out.extend_from_slice(&0x8400u16.to_be_bytes());
        out.extend_from_slice(&0u16.to_be_bytes());
        out.extend_from_slice(&(records.len() as u16).to_be_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        for r in records {
            self.write_record(&mut out, r, ip, false);
        }
        out
    }

    /// Which of the device's names `name` (dotted, without the root) is, in any letter case.
    fn owns(&self, name: &str) -> Option<Owned> {
        let stem = strip_suffix_ignore_case(name, ".local")?;
        if stem.eq_ignore_ascii_case(&self.host) {
            return Some(Owned::Host);
        }
        if name.eq_ignore_ascii_case(SERVICES_META) {
            return Some(Owned::Meta);
        }
        for (i, service) in SERVICES.iter().enumerate() {
            if stem.eq_ignore_ascii_case(service) {
                return Some(Owned::ServiceType(i));
            }
            let instance = strip_suffix_ignore_case(stem, service)
                .and_then(|s| s.strip_suffix('.'))
                .is_some_and(|s| s.eq_ignore_ascii_case(&self.host));
            if instance {
                return Some(Owned::Instance(i));
            }
        }
        None
    }

    /// The records answering `qtype` about `owned`, and the additional ones that help.
    fn answer(
        &self,
        owned: Owned,
        qtype: u16,
        answers: &mut Vec<Record>,
        additional: &mut Vec<Record>,
    ) {
        let wants = |t: u16| qtype == t || qtype == TYPE_ANY;
        let add = |list: &mut Vec<Record>, r: Record| {
            if !list.contains(&r) {
                list.push(r);
            }
        };
        match owned {
            Owned::Host if wants(TYPE_A) => add(answers, Record::A),
            Owned::ServiceType(i) if wants(TYPE_PTR) => {
                add(answers, Record::Ptr(i));
                for r in [Record::Srv(i), Record::Txt(i), Record::A] {
                    add(additional, r);
                }
            }
            Owned::Instance(i) => {
                if wants(TYPE_SRV) {
                    add(answers, Record::Srv(i));
                    add(additional, Record::A);
                }
                if wants(TYPE_TXT) {
                    add(answers, Record::Txt(i));
                }
            }
            Owned::Meta if wants(TYPE_PTR) => {
                for i in 0..SERVICES.len() {
                    add(answers, Record::MetaPtr(i));
                }
            }
            _ => {}
        }
    }

    fn write_record(&self, out: &mut Vec<u8>, r: Record, ip: [u8; 4], legacy: bool) {
        let host = self.host.as_str();
        let (rtype, unique, ttl) = match r {
            Record::A => (TYPE_A, true, HOST_TTL),
            Record::Ptr(_) | Record::MetaPtr(_) => (TYPE_PTR, false, OTHER_TTL),
            Record::Srv(_) => (TYPE_SRV, true, HOST_TTL),
            Record::Txt(_) => (TYPE_TXT, true, OTHER_TTL),
        };
        match r {
            Record::A => write_name(out, &[host, "local"]),
            Record::Ptr(i) => write_name(out, &[SERVICES[i], "local"]),
            Record::MetaPtr(_) => write_name(out, &[SERVICES_META]),
            Record::Srv(i) | Record::Txt(i) => write_name(out, &[host, SERVICES[i], "local"]),
        }
        out.extend_from_slice(&rtype.to_be_bytes());
        let class = if unique && !legacy {
            CLASS_IN | CACHE_FLUSH
        } else {
            CLASS_IN
        };
        out.extend_from_slice(&class.to_be_bytes());
        let ttl = if legacy { ttl.min(LEGACY_TTL) } else { ttl };
        out.extend_from_slice(&ttl.to_be_bytes());
        let len_at = out.len();
        out.extend_from_slice(&[0, 0]);
        match r {
            Record::A => out.extend_from_slice(&ip),
            Record::Ptr(i) => write_name(out, &[host, SERVICES[i], "local"]),
            Record::MetaPtr(i) => write_name(out, &[SERVICES[i], "local"]),
            Record::Srv(_) => {
                out.extend_from_slice(&[0, 0, 0, 0]); // priority, weight
                out.extend_from_slice(&HTTP_PORT.to_be_bytes());
                write_name(out, &[host, "local"]);
            }
            Record::Txt(_) => {
                for s in &self.txt {
                    out.push(s.len() as u8);
                    out.extend_from_slice(s.as_bytes());
                }
            }
        }
        let len = (out.len() - len_at - 2) as u16;
        out[len_at..len_at + 2].copy_from_slice(&len.to_be_bytes());
    }
}

/// The longest prefix of `s` within `max` bytes that ends on a character boundary.
fn prefix_within(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn strip_suffix_ignore_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    (s.is_char_boundary(cut) && s[cut..].eq_ignore_ascii_case(suffix)).then(|| &s[..cut])
}

/// Write the dotted names in `parts` one after the other as one name, then the root.
fn write_name(out: &mut Vec<u8>, parts: &[&str]) {
    for part in parts {
        for label in part.split('.').filter(|l| !l.is_empty()) {
            let label = &label.as_bytes()[..label.len().min(63)];
            out.push(label.len() as u8);
            out.extend_from_slice(label);
        }
    }
    out.push(0);
}

/// The name at `at` in `packet`, dotted (labels that are not UTF-8 make it `None`), and where
/// the bytes after it start. Follows at most [`MAX_POINTERS`] compression pointers, each to an
/// earlier offset.
fn read_name(packet: &[u8], mut at: usize) -> Option<(String, usize)> {
    let mut name = String::new();
    let mut end = None;
    let mut pointers = 0;
    loop {
        let len = *packet.get(at)?;
        match len {
            0 => {
                return Some((name, end.unwrap_or(at + 1)));
            }
            1..=63 => {
                let label = packet.get(at + 1..at + 1 + usize::from(len))?;
                if !name.is_empty() {
                    name.push('.');
                }
                name.push_str(core::str::from_utf8(label).ok()?);
                if name.len() > MAX_NAME {
                    return None;
                }
                at += 1 + usize::from(len);
            }
            0xC0..=0xFF => {
                let low = *packet.get(at + 1)?;
                let target = usize::from(u16::from_be_bytes([len & 0x3F, low]));
                pointers += 1;
                if pointers > MAX_POINTERS || target >= at {
                    return None;
                }
                end.get_or_insert(at + 2);
                at = target;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const IP: [u8; 4] = [192, 168, 1, 23];

    fn responder() -> Responder {
        Responder::new("ferrite-a1b2c3", "Ferrite", "0.1.0")
    }

    /// A query with one question for each (name, type), id 0x1234.
    fn query(questions: &[(&str, u16, u16)]) -> Vec<u8> {
        let mut q = vec![0x12, 0x34, 0, 0];
        q.extend_from_slice(&(questions.len() as u16).to_be_bytes());
        q.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        for (name, qtype, class) in questions {
            write_name(&mut q, &[name]);
            q.extend_from_slice(&qtype.to_be_bytes());
            q.extend_from_slice(&class.to_be_bytes());
        }
        q
    }

    /// The records of a reply: (name, type, class, ttl, data).
    fn records(reply: &[u8]) -> Vec<(String, u16, u16, u32, Vec<u8>)> {
        let count = |i: usize| usize::from(u16::from_be_bytes([reply[i], reply[i + 1]]));
        let mut at = 12;
        for _ in 0..count(4) {
            let (_, end) = read_name(reply, at).unwrap();
            at = end + 4;
        }
        let mut out = Vec::new();
        for _ in 0..count(6) + count(8) + count(10) {
            let (name, end) = read_name(reply, at).unwrap();
            let f = &reply[end..end + 10];
            let len = usize::from(u16::from_be_bytes([f[8], f[9]]));
            out.push((
                name,
                u16::from_be_bytes([f[0], f[1]]),
                u16::from_be_bytes([f[2], f[3]]),
                u32::from_be_bytes([f[4], f[5], f[6], f[7]]),
                reply[end + 10..end + 10 + len].to_vec(),
            ));
            at = end + 10 + len;
        }
        assert_eq!(at, reply.len(), "trailing bytes");
        out
    }

    #[test]
    fn the_host_name_is_answered_with_the_address_to_the_group() {
        let r = responder()
            .reply(
                &query(&[("Ferrite-A1B2C3.local", TYPE_A, CLASS_IN)]),
                PORT,
                IP,
            )
            .unwrap();
        assert_eq!(r.to, Destination::Group);
        assert_eq!(&r.bytes[..4], &[0, 0, 0x84, 0]);
        let recs = records(&r.bytes);
        assert_eq!(
            recs,
            [(
                String::from("ferrite-a1b2c3.local"),
                TYPE_A,
                CLASS_IN | CACHE_FLUSH,
                HOST_TTL,
                IP.to_vec()
            )]
        );
    }

    #[test]
    fn browsing_for_the_http_service_finds_the_instance_its_port_and_txt() {
        let r = responder()
            .reply(
                &query(&[("_http._tcp.local", TYPE_PTR, CLASS_IN)]),
                PORT,
                IP,
            )
            .unwrap();
        let recs = records(&r.bytes);
        let instance = "ferrite-a1b2c3._http._tcp.local";
        let mut ptr = Vec::new();
        write_name(&mut ptr, &[instance]);
        assert_eq!(
            recs[0],
            (
                String::from("_http._tcp.local"),
                TYPE_PTR,
                CLASS_IN,
                OTHER_TTL,
                ptr
            )
        );
        let srv = recs.iter().find(|r| r.1 == TYPE_SRV).unwrap();
        assert_eq!(srv.0, instance);
        assert_eq!(&srv.4[4..6], &80u16.to_be_bytes());
        let txt = recs.iter().find(|r| r.1 == TYPE_TXT).unwrap();
        assert_eq!(txt.4, b"\x05gen=2\x0bapp=Ferrite\x09ver=0.1.0");
        assert!(recs.iter().any(|r| r.1 == TYPE_A && r.4 == IP));
        assert_eq!(recs.len(), 4, "{recs:?}");
    }

    #[test]
    fn a_legacy_query_gets_its_id_questions_and_short_ttls_back_to_the_asker() {
        let q = query(&[("_shelly._tcp.local", TYPE_PTR, CLASS_IN)]);
        let r = responder().reply(&q, 40_000, IP).unwrap();
        assert_eq!(r.to, Destination::Asker);
        assert_eq!(&r.bytes[..2], &[0x12, 0x34]);
        assert_eq!(&r.bytes[4..6], &[0, 1], "the question is echoed");
        assert_eq!(&r.bytes[12..q.len()], &q[12..]);
        for rec in records(&r.bytes) {
            assert!(rec.3 <= LEGACY_TTL && rec.2 == CLASS_IN, "{rec:?}");
        }
    }

    #[test]
    fn a_question_asking_for_unicast_is_answered_to_the_asker() {
        let q = query(&[(
            "ferrite-a1b2c3.local",
            TYPE_ANY,
            CLASS_IN | UNICAST_RESPONSE,
        )]);
        assert_eq!(
            responder().reply(&q, PORT, IP).unwrap().to,
            Destination::Asker
        );
    }

    #[test]
    fn the_service_meta_query_lists_both_service_types() {
        let q = query(&[(SERVICES_META, TYPE_PTR, CLASS_IN)]);
        let recs = records(&responder().reply(&q, PORT, IP).unwrap().bytes);
        let mut targets = Vec::new();
        for rec in &recs {
            targets.push(read_name(&rec.4, 0).unwrap().0);
        }
        assert_eq!(targets, ["_http._tcp.local", "_shelly._tcp.local"]);
    }

    #[test]
    fn other_names_types_responses_and_garbage_get_no_answer() {
        let d = responder();
        for q in [
            query(&[("other-device.local", TYPE_A, CLASS_IN)]),
            query(&[("ferrite-a1b2c3.local", TYPE_TXT, CLASS_IN)]),
            query(&[("_ipp._tcp.local", TYPE_PTR, CLASS_IN)]),
            query(&[("ferrite-a1b2c3.lan", TYPE_A, CLASS_IN)]),
            vec![0; 11],
            vec![0xFF; 300],
        ] {
            assert_eq!(d.reply(&q, PORT, IP), None, "{q:?}");
        }
        let mut response = query(&[("ferrite-a1b2c3.local", TYPE_A, CLASS_IN)]);
        response[2] = 0x84;
        assert_eq!(d.reply(&response, PORT, IP), None);
    }

    #[test]
    fn compressed_names_are_read_and_pointer_loops_refused() {
        // Two questions, the second's name a pointer to the first's ("ferrite-a1b2c3.local").
        let mut q = query(&[("ferrite-a1b2c3.local", TYPE_A, CLASS_IN)]);
        q[5] = 2;
        q.extend_from_slice(&[0xC0, 12]);
        q.extend_from_slice(&TYPE_A.to_be_bytes());
        q.extend_from_slice(&CLASS_IN.to_be_bytes());
        let recs = records(&responder().reply(&q, PORT, IP).unwrap().bytes);
        assert_eq!(recs.len(), 1, "one A record for both questions");
        // A pointer to itself, and one forward, are refused.
        assert_eq!(read_name(&[0xC0, 0], 0), None);
        assert_eq!(read_name(&[0xC0, 2, 0], 0), None);
    }

    /// Long names are cut to what DNS holds, on a character boundary (never a panic).
    #[test]
    fn long_names_are_cut_on_character_boundaries() {
        let host = "é".repeat(40); // 80 bytes
        let long = "ü".repeat(200);
        let d = Responder::new(&host, &long, &long);
        assert_eq!(d.host().len(), 62);
        assert!(d.txt.iter().all(|t| t.len() <= 4 + 63));
        let announcement = d.announcement(IP);
        assert!(announcement.len() <= MAX_REPLY, "{}", announcement.len());
        assert_eq!(records(&announcement).len(), 7);
    }

    #[test]
    fn the_announcement_holds_every_record() {
        let recs = records(&responder().announcement(IP));
        let types: Vec<u16> = recs.iter().map(|r| r.1).collect();
        assert_eq!(
            types,
            [TYPE_A, TYPE_PTR, TYPE_SRV, TYPE_TXT, TYPE_PTR, TYPE_SRV, TYPE_TXT]
        );
    }
}
