//! The SNTP client must take or refuse any packet without panicking, at any time, and a taken
//! reply must leave it synchronised and idle.
#![no_main]
use ferrite_protocols::sntp::SntpClient;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 17 {
        return;
    }
    let (head, packet) = data.split_at(17);
    let now = u64::from_le_bytes(head[0..8].try_into().unwrap());
    let later = now.saturating_add(u64::from_le_bytes(head[8..16].try_into().unwrap()) >> 20);
    let mut client = SntpClient::new("ntp.example", now);
    let Some(request) = client.poll(now) else {
        return;
    };
    let mut reply = packet.to_vec();
    // Most of the time answer the request (echo its cookie), so the checks after it and the
    // time arithmetic are reached.
    if head[16] & 1 == 1 && reply.len() >= 32 {
        reply[24..32].copy_from_slice(&request.packet[40..48]);
    }
    if client.on_reply(&reply, later).is_ok() {
        assert!(client.offset_ms().is_some());
        assert!(client.unix_time_ms(later).is_some());
        assert!(client.on_reply(&reply, later).is_err());
    }
    let _ = client.poll(later.saturating_add(1));
});
