//! The HTTP request parser must accept or reject any byte stream, fed in any pieces, without
//! panicking and without buffering more than its limit (plus the last piece fed).
#![no_main]
use ferrite_protocols::http::RequestParser;
use libfuzzer_sys::fuzz_target;

const MAX: usize = 2048;

fn limit(path: &str) -> usize {
    if path.starts_with("/script/") {
        512
    } else {
        MAX
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the piece size, so splits are explored too.
    let Some((&step, rest)) = data.split_first() else {
        return;
    };
    let step = usize::from(step % 64) + 1;
    let mut p = RequestParser::new(MAX).with_path_limits(limit);
    for piece in rest.chunks(step) {
        p.feed(piece);
        loop {
            match p.next_request() {
                Ok(Some(r)) => {
                    assert!(r.wire_len <= MAX);
                    let _ = r.keep_alive();
                    let _ = r.query().map(ferrite_protocols::http::query_pairs);
                }
                Ok(None) => {
                    assert!(p.buffered() <= MAX + step, "buffered {}", p.buffered());
                    break;
                }
                Err(_) => return,
            }
        }
    }
});
