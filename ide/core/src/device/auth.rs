//! SHA-256 digest credentials for JSON-RPC frames, as Shelly Gen2 devices and ours check them
//! (docs/PROTOCOL.md §4.4): a 401 error whose message is the JSON challenge
//! `{"auth_type": "digest", "nonce", "nc": 1, "realm", "algorithm": "SHA-256", "stale"?}` is
//! answered by repeating the request with an `auth` object
//! `{realm, username: "admin", nonce, cnonce, response, algorithm: "SHA-256"}` where
//! `ha1 = sha256("admin:<realm>:<password>")`, `ha2 = sha256("dummy_method:dummy_uri")` and
//! `response = sha256("<ha1>:<nonce>:1:<cnonce>:auth:<ha2>")`.
//!
//! It never keeps the password itself longer than the caller does and never draws randomness:
//! the `cnonce` is given by the caller.

use alloc::string::String;

use ferrite_protocols::digest;
use serde_json::{json, Value};

/// The only user of a Shelly-style device.
pub const USER: &str = digest::USER;

/// A digest challenge, read from a 401 error's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    /// The nonce as the device sent it (a decimal number; kept as text).
    pub nonce: String,
    /// The device accepted the credentials but their nonce was too old: retry with this one
    /// without asking the user again.
    pub stale: bool,
}

impl Challenge {
    /// Parse the message of error 401. `None` when it is not a SHA-256 digest challenge.
    pub fn parse(message: &str) -> Option<Challenge> {
        let v: Value = serde_json::from_str(message).ok()?;
        if let Some(t) = v.get("auth_type").and_then(Value::as_str) {
            if !t.eq_ignore_ascii_case("digest") {
                return None;
            }
        }
        if let Some(a) = v.get("algorithm").and_then(Value::as_str) {
            if !a.eq_ignore_ascii_case("SHA-256") {
                return None;
            }
        }
        let realm = v.get("realm")?.as_str()?.into();
        let nonce = match v.get("nonce")? {
            Value::Number(n) => n.to_string(),
            Value::String(s) if !s.is_empty() => s.clone(),
            _ => return None,
        };
        let stale = v.get("stale").and_then(Value::as_bool).unwrap_or(false);
        Some(Challenge {
            realm,
            nonce,
            stale,
        })
    }
}

/// `ha1 = sha256("admin:<realm>:<password>")` (what `Shelly.SetAuth` stores).
pub fn ha1(realm: &str, password: &str) -> String {
    digest::ha1(USER, realm, password)
}

/// The `auth` object of a request frame answering `challenge` with `ha1`.
pub fn frame_auth(ha1: &str, challenge: &Challenge, cnonce: &str) -> Value {
    let response =
        digest::expected_response(ha1, &challenge.nonce, "1", cnonce, &digest::rpc_ha2());
    // The nonce goes back as the device sent it: a number when it is one (as Shelly's own
    // clients do), else as text.
    let nonce = challenge
        .nonce
        .parse::<u64>()
        .ok()
        .filter(|n| *n < (1u64 << 53))
        .map_or_else(|| Value::String(challenge.nonce.clone()), Value::from);
    json!({
        "realm": challenge.realm,
        "username": USER,
        "nonce": nonce,
        "cnonce": cnonce,
        "response": response,
        "algorithm": "SHA-256",
    })
}

/// A client nonce from a seed and a counter (no randomness: unique per request of a session
/// is all the protocol needs, as frames always carry `nc = 1`).
pub fn cnonce(seed: u64, counter: u64) -> String {
    let text = alloc::format!("{seed:x}:{counter:x}");
    let h = digest::sha256_hex(&text);
    h[..16].into()
}

/// A seed for [`cnonce`] from text (the session's `src`) and a time in ms.
pub fn seed(text: &str, now_ms: f64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes().chain(now_ms.to_bits().to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
