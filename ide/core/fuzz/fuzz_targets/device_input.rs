//! Whatever a device (or a noisy serial line) sends, the IDE's device session must never panic,
//! must answer every call exactly once, and must keep its queues bounded.
#![no_main]
use ferrite_ide_core::device::session::{
    DeviceSession, SessionConfig, SessionEvent, Transmit, Wire,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let wire = match sel % 3 {
        0 => Wire::Console,
        1 => Wire::WebSocket,
        _ => Wire::Http,
    };
    let mut s = DeviceSession::new(SessionConfig::new(wire, "fuzz"));
    let mut now = 0.0;
    s.connect(now);
    s.on_open(now);
    if sel & 0x10 != 0 {
        s.set_password(Some("secret".into()), now);
    }
    let mut calls = Vec::new();
    let step = usize::from(sel >> 5) * 13 + 1;
    for (i, piece) in rest.chunks(step).enumerate() {
        now += 3.0;
        if i % 5 == 0 {
            calls.push(s.call("Script.List", serde_json::json!({}), now));
        }
        match wire {
            Wire::Console => s.on_bytes(piece, now),
            _ => s.on_text(&String::from_utf8_lossy(piece), now),
        }
        if i % 11 == 10 {
            s.on_closed("fuzz", now);
        }
        s.on_tick(now);
        while let Some(t) = s.poll_transmit() {
            if let Transmit::Open = t {
                s.on_open(now);
            }
        }
    }
    // Silence: every call ends by its deadline.
    now += 3_600_000.0;
    s.on_tick(now);
    let mut answered = Vec::new();
    let mut events = 0usize;
    while let Some(ev) = s.poll_event() {
        events += 1;
        if let SessionEvent::Reply { call, .. } = ev {
            answered.push(call);
        }
    }
    answered.sort();
    let before = answered.len();
    answered.dedup();
    assert_eq!(before, answered.len(), "a call answered twice");
    for c in &calls {
        assert!(answered.contains(c), "call {c:?} never answered");
    }
    assert!(events < 100_000);
});
