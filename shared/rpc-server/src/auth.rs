//! Digest authentication (docs/PROTOCOL.md §4.4): nonces, the HTTP `Authorization` header, a
//! frame's `auth` object, the challenges, and `Shelly.SetAuth` which sets the password.
//!
//! Nonces are stateless (an HMAC of their issue time under the driver's random key), so any
//! number of clients may ask for challenges; only the `nc` of header credentials is tracked, for
//! a bounded number of nonces. Must never accept a header whose `uri` is not the request's
//! target, nor a header `nc` that is not higher than before with the same nonce.

use alloc::format;
use alloc::string::{String, ToString};

use ferrite_console::rpc_frame::{response_frame, RequestFrame};
use ferrite_protocols::digest::{self, Nonces};
use ferrite_protocols::http::Request;
use ferrite_runtime::json::Json;
use ferrite_runtime::rpc::{code, RpcError};
use ferrite_runtime::Runtime;

use crate::frames;
use crate::limits::{NONCE_COUNTS, NONCE_LIFETIME_MS};

/// The server's authentication state: the nonce key and the header `nc`s seen.
pub(crate) struct Auth {
    nonces: Nonces,
}

/// The stored password hash, if a password is set.
fn stored_ha1(rt: &Runtime) -> Option<String> {
    rt.device().borrow().components.sys.auth_ha1.clone()
}

/// Whether requests need credentials (a password is set).
pub(crate) fn required(rt: &Runtime) -> bool {
    stored_ha1(rt).is_some()
}

/// Methods that never need authentication (as on Shelly: clients learn the realm from it).
pub(crate) fn is_open_method(method: &str) -> bool {
    method.eq_ignore_ascii_case("Shelly.GetDeviceInfo")
}

impl Auth {
    pub(crate) fn new(nonce_key: [u8; 32]) -> Auth {
        Auth {
            nonces: Nonces::new(nonce_key, NONCE_LIFETIME_MS, NONCE_COUNTS),
        }
    }

    /// The refusal of a request frame without valid credentials: the response frame (error 401,
    /// its message the JSON challenge with a fresh nonce; `stale` if only the nonce was old)
    /// and the same nonce as a `WWW-Authenticate` header value.
    pub(crate) fn rpc_unauthorized(
        &self,
        device_id: &str,
        frame: &RequestFrame,
        stale: bool,
        now_ms: u64,
    ) -> (Json, String) {
        let nonce = self.nonces.issue(now_ms);
        let e = RpcError::new(
            code::UNAUTHORIZED,
            digest::rpc_challenge(device_id, nonce, stale),
        );
        let body = response_frame(&frame.id, device_id, frame.src.as_deref(), &Err(e));
        (
            body,
            digest::www_authenticate(device_id, &nonce.to_string()),
        )
    }

    /// Check an `Authorization` header when a password is set. `Err` holds the
    /// `WWW-Authenticate` challenge to send.
    pub(crate) fn check_http(
        &mut self,
        rt: &Runtime,
        device_id: &str,
        req: &Request,
        now_ms: u64,
    ) -> Result<(), String> {
        let Some(ha1) = stored_ha1(rt) else {
            return Ok(());
        };
        let ok = req
            .header("authorization")
            .and_then(|h| digest::parse_authorization(h).ok())
            // The digest covers `uri`: it must be this request's target, or a header captured
            // for one request would authorize any other (RFC 7616 §3.4.6).
            .filter(|c| c.uri.as_deref() == Some(req.target.as_str()))
            .is_some_and(|c| {
                // Each use of a nonce in a header needs a higher `nc`: no replays.
                let nonces = &mut self.nonces;
                digest::verify(&c, &ha1, device_id, &req.method, |n| {
                    nonces.use_count(n, &c.nc, now_ms)
                })
                .is_ok()
            });
        if ok {
            Ok(())
        } else {
            let nonce = self.nonces.issue(now_ms);
            Err(digest::www_authenticate(device_id, &nonce.to_string()))
        }
    }

    /// Check a JSON-RPC frame's `auth` object when a password is set. `Err(stale)`: refused;
    /// `stale` if only the nonce was too old.
    pub(crate) fn check_frame(
        &self,
        rt: &Runtime,
        device_id: &str,
        auth: &Json,
        now_ms: u64,
    ) -> Result<(), bool> {
        let Some(ha1) = stored_ha1(rt) else {
            return Ok(());
        };
        let c = frames::frame_credentials(auth).ok_or(false)?;
        // As on Shelly, frames always carry `nc = 1`: the nonce's lifetime bounds replays.
        let nonces = &self.nonces;
        digest::verify(&c, &ha1, device_id, "", |n| nonces.valid(n, now_ms))
            .map_err(|e| e == digest::AuthError::StaleNonce)
    }
}

/// `Shelly.SetAuth {user: "admin", realm: <device id>, ha1: <hex sha256> | null}`.
pub(crate) fn set_auth(rt: &mut Runtime, params: &Json) -> Result<Json, RpcError> {
    let dev = rt.device();
    let mut dev = dev.borrow_mut();
    match params.get("user").and_then(Json::as_str) {
        Some(digest::USER) => {}
        Some(_) => return Err(RpcError::invalid("user must be \"admin\"")),
        None => return Err(RpcError::invalid("user is required")),
    }
    match params.get("realm").and_then(Json::as_str) {
        Some(r) if r == dev.info.id => {}
        Some(_) => {
            return Err(RpcError::invalid(format!(
                "realm must be the device id {}",
                dev.info.id
            )))
        }
        None => return Err(RpcError::invalid("realm is required")),
    }
    let ha1 = match params.get("ha1") {
        None | Some(Json::Null) => None,
        Some(Json::String(h)) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Some(h.to_ascii_lowercase())
        }
        Some(_) => {
            return Err(RpcError::invalid(
                "ha1 must be 64 hexadecimal digits or null",
            ))
        }
    };
    dev.components.sys.auth_ha1 = ha1;
    ferrite_runtime::persist::save_component_config(&mut dev, "sys");
    Ok(Json::Null)
}
