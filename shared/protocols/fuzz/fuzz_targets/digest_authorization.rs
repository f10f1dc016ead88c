//! Parsing and verifying an `Authorization` header (any UTF-8 text a client sends), and
//! checking its nonce and nonce count, must never panic.
#![no_main]
use ferrite_protocols::digest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let mut nonces = digest::Nonces::new([7; 32], 30 * 60 * 1000, 4);
    let issued = nonces.issue(u64::from(data.len() as u32) * 1000);
    if let Ok(c) = digest::parse_authorization(text) {
        let _ = digest::verify(&c, "00", "realm", "GET", |n| n == "1");
        let _ = nonces.use_count(&c.nonce, &c.nc, 5_000);
        let _ = nonces.use_count(&issued.to_string(), &c.nc, u64::MAX);
    }
    let _ = nonces.valid(text, 0);
    let _ = nonces.use_count(text, text, 1_000);
});
