//! Parsing and verifying an `Authorization` header (any UTF-8 text a client sends) must never
//! panic.
#![no_main]
use ferrite_protocols::digest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = digest::parse_authorization(text) {
        let _ = digest::verify(&c, "00", "realm", "GET", |n| n == "1");
    }
});
