//! Shelly's digest authentication: RFC 7616 with SHA-256, user `admin`, realm = device id,
//! `ha1 = sha256("admin:<realm>:<password>")` stored on the device instead of the password.
//!
//! Two carriers, one check:
//! - HTTP: `Authorization: Digest username=…, realm=…, nonce=…, uri=…, response=…, qop=auth,
//!   nc=…, cnonce=…, algorithm=SHA-256`, with `ha2 = sha256("<method>:<uri>")`;
//!   challenged by `401` + `WWW-Authenticate` ([`www_authenticate`]).
//! - JSON-RPC frames (WebSocket, or the body of `POST /rpc`): an `auth` object
//!   `{realm, username, nonce, cnonce, response, algorithm}` with `nc = 1` and
//!   `ha2 = sha256("dummy_method:dummy_uri")`; challenged by error 401 whose message is the JSON
//!   text of [`rpc_challenge`].
//!
//! In both, `response = sha256("<ha1>:<nonce>:<nc>:<cnonce>:auth:<ha2>")`. Nonces come from the
//! caller (it must remember which it issued, see [`NonceBook`]).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::sha::{hex_lower, Sha256};

/// The only user Shelly devices have.
pub const USER: &str = "admin";

/// Hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    hex_lower(&Sha256::digest(text.as_bytes()))
}

/// `ha1` for a password, as `Shelly.SetAuth` receives it.
pub fn ha1(user: &str, realm: &str, password: &str) -> String {
    sha256_hex(&format!("{user}:{realm}:{password}"))
}

/// The expected `response` for the given parts.
pub fn expected_response(ha1: &str, nonce: &str, nc: &str, cnonce: &str, ha2: &str) -> String {
    sha256_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
}

/// `ha2` of JSON-RPC frame authentication.
pub fn rpc_ha2() -> String {
    sha256_hex("dummy_method:dummy_uri")
}

/// The `WWW-Authenticate` header value of a 401 answer.
pub fn www_authenticate(realm: &str, nonce: &str) -> String {
    format!("Digest qop=\"auth\", realm=\"{realm}\", nonce=\"{nonce}\", algorithm=SHA-256")
}

/// The text of JSON-RPC error 401's `message`: a JSON object the client parses for the nonce.
/// `nonce` is a decimal number (as Shelly devices send it). `stale`: the credentials were right
/// but their nonce expired (the client may retry with the new one without asking the user).
pub fn rpc_challenge(realm: &str, nonce: u64, stale: bool) -> String {
    let realm: String = realm.chars().filter(|c| *c != '"' && *c != '\\').collect();
    let stale = if stale { ", \"stale\": true" } else { "" };
    format!("{{\"auth_type\": \"digest\", \"nonce\": {nonce}, \"nc\": 1, \"realm\": \"{realm}\", \"algorithm\": \"SHA-256\"{stale}}}")
}

/// Credentials a client sent, from either carrier.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub cnonce: String,
    pub nc: String,
    pub response: String,
    /// `uri` of the HTTP header; `None` for JSON-RPC `auth` objects (dummy `ha2`).
    pub uri: Option<String>,
    pub algorithm: String,
    pub qop: String,
}

/// Why credentials were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// Not a `Digest` header, or a field is missing.
    Malformed,
    WrongUser,
    WrongRealm,
    UnsupportedAlgorithm,
    /// The nonce was not issued by this device or has expired.
    StaleNonce,
    WrongResponse,
}

/// Parse an `Authorization: Digest …` header value.
pub fn parse_authorization(value: &str) -> Result<Credentials, AuthError> {
    let rest = value.trim();
    let (scheme, rest) = rest.split_once(' ').ok_or(AuthError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("digest") {
        return Err(AuthError::Malformed);
    }
    let mut c = Credentials::default();
    for (k, v) in parse_params(rest).ok_or(AuthError::Malformed)? {
        let slot = match k.to_ascii_lowercase().as_str() {
            "username" => &mut c.username,
            "realm" => &mut c.realm,
            "nonce" => &mut c.nonce,
            "cnonce" => &mut c.cnonce,
            "nc" => &mut c.nc,
            "response" => &mut c.response,
            "algorithm" => &mut c.algorithm,
            "qop" => &mut c.qop,
            "uri" => {
                c.uri = Some(v);
                continue;
            }
            _ => continue,
        };
        *slot = v;
    }
    if c.uri.is_none() || c.nonce.is_empty() || c.response.is_empty() {
        return Err(AuthError::Malformed);
    }
    Ok(c)
}

/// `k=v, k="quoted, with \" escapes"` pairs; `None` on broken quoting.
fn parse_params(s: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] == b' ' || b[i] == b',' || b[i] == b'\t') {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let ks = i;
        while i < b.len() && b[i] != b'=' {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        let key = s[ks..i].trim();
        i += 1;
        let mut val = String::new();
        if b.get(i) == Some(&b'"') {
            i += 1;
            let mut closed = false;
            while i < b.len() {
                match b[i] {
                    b'\\' if i + 1 < b.len() => {
                        // The escaped character may be non-ASCII: copy it whole.
                        let ch = s[i + 1..].chars().next()?;
                        val.push(ch);
                        i += 1 + ch.len_utf8();
                    }
                    b'"' => {
                        i += 1;
                        closed = true;
                        break;
                    }
                    _ => {
                        // Copy one UTF-8 character.
                        let ch = s[i..].chars().next()?;
                        val.push(ch);
                        i += ch.len_utf8();
                    }
                }
            }
            if !closed {
                return None;
            }
        } else {
            let vs = i;
            while i < b.len() && b[i] != b',' {
                i += 1;
            }
            val.push_str(s[vs..i].trim());
        }
        out.push((String::from(key), val));
    }
    Some(out)
}

/// Check credentials against the stored `ha1` for `realm`. `method` is the HTTP method (used
/// only when the credentials carry a `uri`). `nonce_ok` says whether the nonce is one this
/// device issued and still accepts; it is asked only when everything else is right, so
/// [`AuthError::StaleNonce`] means "right password, old nonce".
pub fn verify(
    c: &Credentials,
    stored_ha1: &str,
    realm: &str,
    method: &str,
    nonce_ok: impl FnOnce(&str) -> bool,
) -> Result<(), AuthError> {
    if c.username != USER {
        return Err(AuthError::WrongUser);
    }
    if c.realm != realm {
        return Err(AuthError::WrongRealm);
    }
    if !(c.algorithm.is_empty() || c.algorithm.eq_ignore_ascii_case("SHA-256")) {
        return Err(AuthError::UnsupportedAlgorithm);
    }
    let ha2 = match &c.uri {
        Some(uri) => sha256_hex(&format!("{method}:{uri}")),
        None => rpc_ha2(),
    };
    let nc = if c.nc.is_empty() { "1" } else { c.nc.as_str() };
    let want = expected_response(stored_ha1, &c.nonce, nc, &c.cnonce, &ha2);
    if !constant_time_eq(want.as_bytes(), c.response.to_ascii_lowercase().as_bytes()) {
        return Err(AuthError::WrongResponse);
    }
    // Checked last: a stale nonce with the right password is worth telling the client.
    if !nonce_ok(&c.nonce) {
        return Err(AuthError::StaleNonce);
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The nonces a device issued recently: accepted until `lifetime_ms` after issue; at most
/// `capacity` remembered (the oldest is forgotten first).
pub struct NonceBook {
    issued: Vec<(u64, u64)>,
    capacity: usize,
    lifetime_ms: u64,
}

impl NonceBook {
    pub fn new(capacity: usize, lifetime_ms: u64) -> NonceBook {
        NonceBook {
            issued: Vec::new(),
            capacity: capacity.max(1),
            lifetime_ms,
        }
    }

    /// Remember `nonce` (chosen by the caller: unpredictable, never 0) issued at `now_ms`.
    pub fn issue(&mut self, nonce: u64, now_ms: u64) -> u64 {
        if self.issued.len() >= self.capacity {
            self.issued.remove(0);
        }
        self.issued.push((nonce, now_ms));
        nonce
    }

    /// Whether `nonce` (decimal text) was issued and has not expired at `now_ms`.
    pub fn valid(&mut self, nonce: &str, now_ms: u64) -> bool {
        let life = self.lifetime_ms;
        self.issued
            .retain(|(_, t)| now_ms.saturating_sub(*t) < life);
        let Ok(n) = nonce.parse::<u64>() else {
            return false;
        };
        self.issued.iter().any(|(x, _)| *x == n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_ha2_constant() {
        // The constant Shelly's own sample code embeds.
        assert_eq!(
            rpc_ha2(),
            "6370ec69915103833b5222b368555393393f098bfbfbb59f47e0590af135f062"
        );
    }

    #[test]
    fn rpc_frame_auth_round_trip() {
        let realm = "ferrite-aabbccddeeff";
        let h1 = ha1(USER, realm, "secret");
        let resp = expected_response(&h1, "1700000000", "1", "42", &rpc_ha2());
        let c = Credentials {
            username: USER.into(),
            realm: realm.into(),
            nonce: "1700000000".into(),
            cnonce: "42".into(),
            response: resp.clone(),
            algorithm: "SHA-256".into(),
            ..Default::default()
        };
        assert_eq!(
            verify(&c, &h1, realm, "POST", |n| n == "1700000000"),
            Ok(())
        );
        assert_eq!(
            verify(&c, &h1, realm, "POST", |_| false),
            Err(AuthError::StaleNonce)
        );
        let wrong = ha1(USER, realm, "other");
        assert_eq!(
            verify(&c, &wrong, realm, "POST", |_| true),
            Err(AuthError::WrongResponse)
        );
        let mut bad_user = c.clone();
        bad_user.username = "root".into();
        assert_eq!(
            verify(&bad_user, &h1, realm, "POST", |_| true),
            Err(AuthError::WrongUser)
        );
        let mut md5 = c.clone();
        md5.algorithm = "MD5".into();
        assert_eq!(
            verify(&md5, &h1, realm, "POST", |_| true),
            Err(AuthError::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn http_header_round_trip() {
        let realm = "dev1";
        let h1 = ha1(USER, realm, "pw");
        let ha2 = sha256_hex("GET:/rpc/Shelly.GetStatus?id=1");
        let resp = expected_response(&h1, "77", "00000001", "abc", &ha2);
        let header = format!(
            "Digest username=\"admin\", realm=\"dev1\", nonce=\"77\", uri=\"/rpc/Shelly.GetStatus?id=1\", \
             algorithm=SHA-256, response=\"{resp}\", qop=auth, nc=00000001, cnonce=\"abc\""
        );
        let c = parse_authorization(&header).unwrap();
        assert_eq!(c.uri.as_deref(), Some("/rpc/Shelly.GetStatus?id=1"));
        assert_eq!(c.nc, "00000001");
        assert_eq!(verify(&c, &h1, realm, "GET", |n| n == "77"), Ok(()));
        assert_eq!(
            verify(&c, &h1, realm, "POST", |_| true),
            Err(AuthError::WrongResponse)
        );
    }

    #[test]
    fn malformed_headers() {
        for h in [
            "",
            "Basic YWRtaW46cHc=",
            "Digest username=\"admin",
            "Digest username",
            "Digest username=\"admin\", nonce=\"1\"",
        ] {
            assert_eq!(parse_authorization(h), Err(AuthError::Malformed), "{h}");
        }
        let c =
            parse_authorization("Digest username=\"a\\\"b\", nonce=1, uri=\"/\", response=\"x\"")
                .unwrap();
        assert_eq!(c.username, "a\"b");
    }

    #[test]
    fn escaped_non_ascii_characters_do_not_panic() {
        // A backslash before a multi-byte character used to split it and panic on slicing.
        let c =
            parse_authorization("Digest username=\"\\é\\€x\", nonce=1, uri=\"/\", response=\"x\"")
                .unwrap();
        assert_eq!(c.username, "é€x");
        for h in [
            "Digest a=\"\\é",
            "Digest a=\"\\\u{1F600}\\",
            "Digest a=\"é\\",
        ] {
            assert_eq!(parse_authorization(h), Err(AuthError::Malformed), "{h}");
        }
    }

    #[test]
    fn challenges() {
        assert_eq!(
            www_authenticate("dev1", "77"),
            "Digest qop=\"auth\", realm=\"dev1\", nonce=\"77\", algorithm=SHA-256"
        );
        assert_eq!(
            rpc_challenge("dev1", 77, false),
            "{\"auth_type\": \"digest\", \"nonce\": 77, \"nc\": 1, \"realm\": \"dev1\", \"algorithm\": \"SHA-256\"}"
        );
        assert!(rpc_challenge("dev1", 77, true).ends_with(", \"stale\": true}"));
    }

    #[test]
    fn nonce_book_expiry_and_capacity() {
        let mut b = NonceBook::new(2, 1000);
        b.issue(5, 0);
        assert!(b.valid("5", 999));
        assert!(!b.valid("5", 1000));
        assert!(!b.valid("x", 0));
        b.issue(6, 2000);
        b.issue(7, 2000);
        b.issue(8, 2000);
        assert!(!b.valid("6", 2001));
        assert!(b.valid("7", 2001) && b.valid("8", 2001));
    }
}
