//! The scripts' HTTP client's response parser (what a server, any server, sends back): any
//! byte stream, cut into any pieces, must end in a response within the limits or an error —
//! never a panic, never a body beyond its limit — and nothing is accepted after the end. URLs
//! from scripts are parsed too.
#![no_main]
use ferrite_protocols::http_client::{ResponseParser, Url};
use libfuzzer_sys::fuzz_target;

const MAX_HEAD: usize = 512;
const MAX_BODY: usize = 1024;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    if sel & 0x80 != 0 {
        if let Ok(text) = core::str::from_utf8(rest) {
            let _ = Url::parse(text);
        }
        return;
    }
    let step = usize::from(sel & 0x3f) + 1;
    let mut parser = ResponseParser::new(MAX_HEAD, MAX_BODY);
    let pieces: Vec<&[u8]> = rest.chunks(step).collect();
    for (i, piece) in pieces.iter().enumerate() {
        let eof = sel & 0x40 != 0 && i + 1 == pieces.len();
        match parser.feed(piece, eof) {
            Ok(Some(response)) => {
                assert!(response.body.len() <= MAX_BODY);
                // Complete: more input is an error, not a second response.
                assert!(parser.feed(b"x", false).is_err());
                return;
            }
            Ok(None) => {}
            Err(_) => return,
        }
    }
});
