//! The MQTT client must handle any bytes from the broker without panicking, with bounded
//! queues, in every session state.
#![no_main]
use ferrite_protocols::mqtt::{MqttClient, MqttOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let step = usize::from(sel & 0x3f) + 1;
    let mut o = MqttOptions::new("fuzz");
    o.max_packet = 1024;
    o.keepalive_s = 1;
    let mut c = MqttClient::new(o);
    let _ = c.connect(0);
    // Optionally start connected, so post-CONNACK packets are reached directly.
    if sel & 0x80 != 0 {
        let _ = c.feed(&[0x20, 2, 0, 0], 1);
        let _ = c.subscribe("a/#", 1);
        let _ = c.publish("t", b"x", 1, false);
    }
    let mut now = 1;
    for piece in rest.chunks(step) {
        now += 300;
        let _ = c.feed(piece, now);
        c.handle_timeout(now);
        let _ = c.next_timeout();
        let mut n = 0;
        while c.poll_event().is_some() {
            n += 1;
        }
        assert!(n <= 257);
        while c.poll_transmit().is_some() {}
        if !c.is_connected() && sel & 0x40 != 0 {
            let _ = c.connect(now);
        }
    }
});
