//! The mDNS responder's packets read by a real mDNS implementation: python-zeroconf (PyPI, the
//! library Home Assistant discovers Shelly devices with; aioshelly depends on it). Each reply and
//! the announcement go through zeroconf's `DNSIncoming` parser, which must find them valid and
//! read back every record: the address, the service pointers, the SRV's port and target, the TXT
//! strings, the cache-flush bits and TTLs.
//!
//! Skipped with a message when python3 or zeroconf is missing, except where peers are required
//! (`FERRITE_REQUIRE_PEERS=1`, as `scripts/test.sh` sets), where that fails.

use std::process::Command;

use ferrite_protocols::mdns::{Destination, Responder, PORT};

const IP: [u8; 4] = [192, 168, 1, 23];

/// zeroconf's view of a packet: one line per record (`name type class unique ttl detail`),
/// after a first line `valid response|query`.
const PARSE: &str = r#"
import sys
from zeroconf import DNSIncoming, DNSAddress, DNSPointer, DNSService, DNSText
msg = DNSIncoming(bytes.fromhex(sys.argv[1]))
print(msg.valid, "response" if msg.is_response() else "query", len(msg.questions))
for r in msg.answers():
    if isinstance(r, DNSAddress):
        d = ".".join(str(b) for b in r.address)
    elif isinstance(r, DNSPointer):
        d = r.alias
    elif isinstance(r, DNSService):
        d = f"{r.priority} {r.weight} {r.port} {r.server}"
    elif isinstance(r, DNSText):
        d = r.text.hex()
    else:
        d = "?"
    print(r.name, r.type, r.class_, r.unique, r.ttl, d)
"#;

fn zeroconf_reads(packet: &[u8]) -> Result<Vec<String>, String> {
    let hex: String = packet.iter().map(|b| format!("{b:02x}")).collect();
    let out = Command::new("python3")
        .args(["-c", PARSE, &hex])
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "python3 with zeroconf failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect())
}

/// zeroconf's lines, or `None` (the test is skipped) where peers are not required.
fn read_or_skip(packet: &[u8]) -> Option<Vec<String>> {
    match zeroconf_reads(packet) {
        Ok(lines) => Some(lines),
        Err(e) if std::env::var_os("FERRITE_REQUIRE_PEERS").is_none_or(|v| v != "1") => {
            eprintln!("skipped: {e}");
            None
        }
        Err(e) => panic!("python-zeroconf is needed for this test (FERRITE_REQUIRE_PEERS=1): {e}"),
    }
}

/// A query for `name` (type `qtype`, class IN), id 0x1234.
fn query(name: &str, qtype: u16) -> Vec<u8> {
    let mut q = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    q
}

/// "gen=2", "app=Ferrite", "ver=0.1.0" as TXT record data, in hex.
fn txt_hex() -> String {
    let mut t = Vec::new();
    for s in ["gen=2", "app=Ferrite", "ver=0.1.0"] {
        t.push(s.len() as u8);
        t.extend_from_slice(s.as_bytes());
    }
    t.iter().map(|b| format!("{b:02x}")).collect()
}

fn responder() -> Responder {
    Responder::new("ferrite-a1b2c3", "Ferrite", "0.1.0")
}

#[test]
fn zeroconf_reads_the_answer_to_a_shelly_browse() {
    let reply = responder()
        .reply(&query("_shelly._tcp.local", 12), PORT, IP)
        .unwrap();
    assert_eq!(reply.to, Destination::Group);
    let Some(lines) = read_or_skip(&reply.bytes) else {
        return;
    };
    let want = [
        String::from("True response 0"),
        String::from("_shelly._tcp.local. 12 1 False 4500 ferrite-a1b2c3._shelly._tcp.local."),
        String::from(
            "ferrite-a1b2c3._shelly._tcp.local. 33 1 True 120 0 0 80 ferrite-a1b2c3.local.",
        ),
        format!(
            "ferrite-a1b2c3._shelly._tcp.local. 16 1 True 4500 {}",
            txt_hex()
        ),
        String::from("ferrite-a1b2c3.local. 1 1 True 120 192.168.1.23"),
    ];
    assert_eq!(lines, want);
}

#[test]
fn zeroconf_reads_a_legacy_answer_with_the_question_echoed() {
    let reply = responder()
        .reply(&query("ferrite-a1b2c3.local", 1), 50_000, IP)
        .unwrap();
    assert_eq!(reply.to, Destination::Asker);
    let Some(lines) = read_or_skip(&reply.bytes) else {
        return;
    };
    assert_eq!(
        lines,
        [
            "True response 1",
            "ferrite-a1b2c3.local. 1 1 False 10 192.168.1.23"
        ]
    );
}

#[test]
fn zeroconf_reads_the_announcement() {
    let Some(lines) = read_or_skip(&responder().announcement(IP)) else {
        return;
    };
    assert_eq!(lines[0], "True response 0");
    assert_eq!(lines.len(), 8, "{lines:#?}");
    for service in ["_http._tcp", "_shelly._tcp"] {
        let instance = format!("ferrite-a1b2c3.{service}.local.");
        assert!(
            lines.contains(&format!("{service}.local. 12 1 False 4500 {instance}")),
            "{lines:#?}"
        );
        assert!(
            lines.contains(&format!(
                "{instance} 33 1 True 120 0 0 80 ferrite-a1b2c3.local."
            )),
            "{lines:#?}"
        );
    }
}
