//! The mDNS responder must answer or ignore any datagram without panicking, and what it answers
//! stays within its size bound and is a response.
#![no_main]
use ferrite_protocols::mdns::{Responder, MAX_REPLY, PORT};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let responder = Responder::new("ferrite-a1b2c3", "Ferrite", "0.1.0");
    for from_port in [PORT, 40_000] {
        if let Some(reply) = responder.reply(data, from_port, [10, 0, 0, 2]) {
            assert!(reply.bytes.len() <= MAX_REPLY);
            assert_eq!(reply.bytes[2] & 0x80, 0x80);
        }
    }
});
