//! The WebSocket decoder (server and client side) must decode or reject any byte stream without
//! panicking, and never hold a message larger than its limit.
#![no_main]
use ferrite_protocols::websocket::{Decoder, Message};
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let step = usize::from(sel & 0x3f) + 1;
    let mut d = if sel & 0x80 != 0 {
        Decoder::client(LIMIT)
    } else {
        Decoder::server(LIMIT)
    };
    for piece in rest.chunks(step) {
        d.feed(piece);
        loop {
            match d.next_message() {
                Ok(Some(Message::Text(t))) => assert!(t.len() <= LIMIT),
                Ok(Some(Message::Binary(b))) => assert!(b.len() <= LIMIT),
                Ok(Some(Message::Ping(b) | Message::Pong(b))) => assert!(b.len() <= 125),
                Ok(Some(Message::Close(_, r))) => assert!(r.len() <= 123),
                Ok(None) => {
                    // Only one frame (header + at most LIMIT payload) plus the last piece waits.
                    assert!(
                        d.buffered() <= LIMIT + 14 + step,
                        "buffered {}",
                        d.buffered()
                    );
                    break;
                }
                Err(_) => return,
            }
        }
    }
});
