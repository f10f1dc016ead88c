//! Frame digest credentials checked by the device's own verifier
//! (`ferrite_protocols::digest::verify` with the device's stateless nonces), not by a copy of
//! our formula.

mod device_harness;

use device_harness::frame_credentials;
use ferrite_ide_core::device::auth::{cnonce, frame_auth, ha1, seed, Challenge};
use ferrite_protocols::digest::{self, AuthError, Nonces};

#[test]
fn frame_auth_passes_the_devices_verifier() {
    let realm = "ferrite-aabbccddeeff";
    let nonces = Nonces::new([3; 32], 30 * 60 * 1000, 128);
    let nonce = nonces.issue(42_000);
    // The challenge exactly as the device words it.
    let ch = Challenge::parse(&digest::rpc_challenge(realm, nonce, false)).expect("challenge");
    assert_eq!(ch.realm, realm);
    assert_eq!(ch.nonce, nonce.to_string());
    assert!(!ch.stale);

    let stored = digest::ha1(digest::USER, realm, "pässword");
    assert_eq!(ha1(realm, "pässword"), stored);
    let auth = frame_auth(&ha1(realm, "pässword"), &ch, &cnonce(seed("ide", 1.0), 1));
    // Sent as a number, as Shelly clients do.
    assert!(auth["nonce"].is_u64());
    assert_eq!(auth["algorithm"], "SHA-256");
    let c = frame_credentials(&auth).expect("credentials");
    assert_eq!(
        digest::verify(&c, &stored, realm, "", |n| nonces.valid(n, 43_000)),
        Ok(())
    );
    // The wrong password, another realm, an expired nonce.
    let wrong = frame_credentials(&frame_auth(&ha1(realm, "password"), &ch, "1")).unwrap();
    assert_eq!(
        digest::verify(&wrong, &stored, realm, "", |n| nonces.valid(n, 43_000)),
        Err(AuthError::WrongResponse)
    );
    assert_eq!(
        digest::verify(&c, &stored, "other", "", |_| true),
        Err(AuthError::WrongRealm)
    );
    assert_eq!(
        digest::verify(&c, &stored, realm, "", |n| nonces
            .valid(n, 42_000 + 31 * 60 * 1000)),
        Err(AuthError::StaleNonce)
    );
}

#[test]
fn challenges_are_read_leniently_and_refused_when_foreign() {
    let stale = Challenge::parse(&digest::rpc_challenge("dev", 77, true)).unwrap();
    assert!(stale.stale);
    let s = Challenge::parse(r#"{"auth_type":"digest","nonce":"abc","realm":"r"}"#).unwrap();
    assert_eq!(s.nonce, "abc");
    for bad in [
        "not json",
        r#"{"auth_type":"basic","nonce":1,"realm":"r"}"#,
        r#"{"auth_type":"digest","nonce":1,"realm":"r","algorithm":"MD5"}"#,
        r#"{"auth_type":"digest","realm":"r"}"#,
        r#"{"auth_type":"digest","nonce":1}"#,
    ] {
        assert_eq!(Challenge::parse(bad), None, "{bad}");
    }
    // A non-numeric nonce goes back as text.
    let auth = frame_auth("00", &s, "c");
    assert_eq!(auth["nonce"], "abc");
}

#[test]
fn cnonces_differ_per_request_and_session() {
    let a = seed("ferrite-ide-1", 1000.0);
    let b = seed("ferrite-ide-2", 1000.0);
    assert_ne!(a, b);
    assert_ne!(seed("x", 1.0), seed("x", 2.0));
    let c: std::collections::HashSet<String> = (0..100).map(|i| cnonce(a, i)).collect();
    assert_eq!(c.len(), 100);
    assert_ne!(cnonce(a, 1), cnonce(b, 1));
}
