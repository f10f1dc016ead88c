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
//! caller; [`Nonces`] makes and checks them.

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

/// Bits of a nonce that hold its issue time (uptime seconds, wrapping after 48 days).
const NONCE_TIME_BITS: u32 = 22;
/// Bits of a nonce that hold the MAC of its issue time (so a nonce is below 2^53 and JSON
/// clients read it exactly).
const NONCE_MAC_BITS: u32 = 31;

/// Stateless digest nonces: a nonce is its issue time followed by an HMAC-SHA256 of that time
/// under a secret key (taken once from the system's random source). Any nonce the device
/// issued in the last `lifetime_ms` is accepted, however many were issued since, so clients
/// that ask for challenges cannot push others' nonces out.
///
/// Header credentials (HTTP `Authorization`) also carry a nonce count `nc`, which must grow
/// with every use of a nonce ([`Nonces::use_count`]): a captured header cannot be sent again.
/// The counts live in a table of at most `capacity` nonces; when it is full, the nonce issued
/// earliest is forgotten and every nonce issued up to that time is refused from then on (its
/// client gets a `stale` challenge and retries with a fresh nonce).
pub struct Nonces {
    key: [u8; 32],
    lifetime_ms: u64,
    /// `(nonce, issue second, highest nc used)` of header-authenticated nonces.
    counts: Vec<(u64, u64, u32)>,
    capacity: usize,
    /// Nonces issued at or before this second are refused (their counts were forgotten).
    floor_s: Option<u64>,
}

impl Nonces {
    pub fn new(key: [u8; 32], lifetime_ms: u64, capacity: usize) -> Nonces {
        Nonces {
            key,
            lifetime_ms,
            counts: Vec::new(),
            capacity: capacity.max(1),
            floor_s: None,
        }
    }

    fn mac(&self, t: u64) -> u64 {
        let m = crate::sha::hmac_sha256(&self.key, &t.to_be_bytes());
        let m = u64::from_be_bytes([m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]]);
        m & ((1 << NONCE_MAC_BITS) - 1)
    }

    /// A nonce issued at `now_ms` (a monotonic clock in milliseconds).
    pub fn issue(&self, now_ms: u64) -> u64 {
        let t = (now_ms / 1000) & ((1 << NONCE_TIME_BITS) - 1);
        (t << NONCE_MAC_BITS) | self.mac(t)
    }

    /// The issue second of `nonce` (decimal text) if this key made it, it is younger than the
    /// lifetime at `now_ms` and it was not refused by a table eviction.
    fn issued_at(&self, nonce: &str, now_ms: u64) -> Option<u64> {
        let n: u64 = nonce.parse().ok()?;
        let t = n >> NONCE_MAC_BITS;
        if t >> NONCE_TIME_BITS != 0 || n & ((1 << NONCE_MAC_BITS) - 1) != self.mac(t) {
            return None;
        }
        let now_s = now_ms / 1000;
        let age = (now_s.wrapping_sub(t)) & ((1 << NONCE_TIME_BITS) - 1);
        if age > now_s || age.saturating_mul(1000) >= self.lifetime_ms {
            return None;
        }
        let issued = now_s - age;
        if self.floor_s.is_some_and(|f| issued <= f) {
            return None;
        }
        Some(issued)
    }

    /// Whether `nonce` (decimal text) was issued by this device and is still valid at `now_ms`.
    pub fn valid(&self, nonce: &str, now_ms: u64) -> bool {
        self.issued_at(nonce, now_ms).is_some()
    }

    /// Record a use of `nonce` with nonce count `nc` (hex, as in the header; empty means 1).
    /// `false` if the nonce is not valid or `nc` is not above every count used with it before.
    pub fn use_count(&mut self, nonce: &str, nc: &str, now_ms: u64) -> bool {
        let Some(issued) = self.issued_at(nonce, now_ms) else {
            return false;
        };
        let nc = if nc.is_empty() {
            Some(1)
        } else {
            u32::from_str_radix(nc, 16).ok()
        };
        let (Some(nc), Ok(n)) = (nc, nonce.parse::<u64>()) else {
            return false;
        };
        let life_s = self.lifetime_ms / 1000;
        let now_s = now_ms / 1000;
        self.counts
            .retain(|(_, t, _)| now_s.saturating_sub(*t) < life_s.max(1));
        if let Some(e) = self.counts.iter_mut().find(|e| e.0 == n) {
            if nc <= e.2 {
                return false;
            }
            e.2 = nc;
            return true;
        }
        if self.counts.len() >= self.capacity {
            let Some(oldest) = (0..self.counts.len()).min_by_key(|i| self.counts[*i].1) else {
                return false;
            };
            let (_, t, _) = self.counts.remove(oldest);
            self.floor_s = Some(self.floor_s.map_or(t, |f| f.max(t)));
            if issued <= t {
                return false;
            }
        }
        self.counts.push((n, issued, nc));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

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
    fn nonces_are_stateless_and_expire() {
        let n = Nonces::new([7; 32], 30 * 60 * 1000, 4);
        let a = n.issue(5_000).to_string();
        assert!(a.parse::<u64>().unwrap() < 1 << 53);
        // However many nonces are issued in between, the first stays valid.
        for i in 0..1000 {
            let _ = n.issue(5_000 + i);
        }
        assert!(n.valid(&a, 5_000));
        assert!(n.valid(&a, 5_000 + 30 * 60 * 1000 - 1000));
        assert!(!n.valid(&a, 5_000 + 30 * 60 * 1000));
        // Another key's nonce, a forged one and garbage are refused.
        let other = Nonces::new([8; 32], 30 * 60 * 1000, 4);
        assert!(!n.valid(&other.issue(5_000).to_string(), 5_000));
        let forged = (a.parse::<u64>().unwrap() ^ 1).to_string();
        assert!(!n.valid(&forged, 5_000));
        for g in ["", "x", "-1", "99999999999999999999"] {
            assert!(!n.valid(g, 5_000), "{g}");
        }
        // A nonce from the future (uptime went backwards: another boot) is refused.
        assert!(!n.valid(&n.issue(50_000).to_string(), 5_000));
    }

    #[test]
    fn nonce_counts_must_grow_and_the_table_is_bounded() {
        let mut n = Nonces::new([1; 32], 60_000, 2);
        let a = n.issue(1_000).to_string();
        assert!(n.use_count(&a, "00000001", 1_500));
        // The same header again: refused.
        assert!(!n.use_count(&a, "00000001", 1_600));
        assert!(n.use_count(&a, "00000002", 1_700));
        assert!(!n.use_count(&a, "zz", 1_700));
        let b = n.issue(2_000).to_string();
        let c = n.issue(3_000).to_string();
        assert!(n.use_count(&b, "1", 3_000));
        // The table is full: `a` (issued first) is forgotten and refused from now on, so its
        // count can never start again at 1.
        assert!(n.use_count(&c, "1", 3_000));
        assert!(!n.valid(&a, 3_000));
        assert!(!n.use_count(&a, "00000001", 3_000));
        assert!(!n.use_count(&b, "1", 3_000));
        assert!(n.use_count(&b, "2", 3_000));
        // Expired nonces are refused.
        assert!(!n.use_count(&c, "5", 63_000));
    }
}
