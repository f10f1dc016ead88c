//! The console splitter must split any byte stream into events without panicking, and never
//! hold a line or frame beyond its limit.
#![no_main]
use ferrite_protocols::frame::{Event, Splitter, TextMode};
use libfuzzer_sys::fuzz_target;

const MAX: usize = 256;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let step = usize::from(sel & 0x3f) + 1;
    let mode = if sel & 0x80 != 0 {
        TextMode::Keys
    } else {
        TextMode::Lines
    };
    let mut s = Splitter::with_limits(mode, MAX, MAX);
    for (i, piece) in rest.chunks(step).enumerate() {
        if sel & 0x40 != 0 && i % 7 == 3 {
            s.set_mode(if s.mode() == TextMode::Keys {
                TextMode::Lines
            } else {
                TextMode::Keys
            });
        }
        s.feed(piece);
        while let Some(ev) = s.next_event() {
            match ev {
                Event::Line(l) => assert!(l.len() <= MAX * 3),
                Event::Frame(f) => {
                    assert!(f.len() <= MAX);
                    assert!(!f.contains(&b'\n') && !f.contains(&b'\r'));
                }
                _ => {}
            }
        }
    }
    s.finish();
    while s.next_event().is_some() {}
});
