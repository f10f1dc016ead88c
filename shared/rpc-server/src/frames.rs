//! HTTP answers of the RPC server, as Shelly Gen2 devices shape them: the HTTP status for an
//! RPC error, the bare error object and `GET /rpc/<Method>?k=v` query parameters (the frames
//! themselves are [`ferrite_console::rpc_frame`]'s).
//!
//! Must never panic on a request's text: bad queries and credentials are errors or `None`.

use alloc::format;
use alloc::string::{String, ToString};

use ferrite_protocols::digest::Credentials;
use ferrite_protocols::http::query_pairs;
use ferrite_runtime::json::{json, Json, Map};
use ferrite_runtime::rpc::{code, RpcError};

use ferrite_console::rpc_frame::INVALID_REQUEST;

/// The bare error object of `GET /rpc/<Method>` answers.
pub(crate) fn error_object(e: &RpcError) -> Json {
    json!({"code": e.code, "message": e.message})
}

/// The HTTP status for an RPC error.
pub(crate) fn http_status(e: &RpcError) -> u16 {
    match e.code {
        code::PARSE_ERROR | code::INVALID_ARGUMENT | INVALID_REQUEST => 400,
        code::UNAUTHORIZED => 401,
        code::NO_HANDLER | code::NOT_FOUND => 404,
        code::DEADLINE_EXCEEDED => 504,
        code::UNAVAILABLE | code::RESOURCE_EXHAUSTED => 503,
        _ => 500,
    }
}

/// Params of `GET /rpc/<Method>?k=v&…`: each value as JSON if it parses, else as a string.
pub(crate) fn query_params(query: Option<&str>) -> Result<Json, RpcError> {
    let Some(q) = query else {
        return Ok(Json::Null);
    };
    let pairs = query_pairs(q).map_err(|e| RpcError::invalid(format!("query: {e}")))?;
    if pairs.is_empty() {
        return Ok(Json::Null);
    }
    let mut m = Map::new();
    for (k, v) in pairs {
        let val = ferrite_runtime::json::parse(v.as_bytes()).unwrap_or(Json::String(v));
        m.insert(k, val);
    }
    Ok(Json::Object(m))
}

/// Credentials from a frame's `auth` object (`nonce` and `cnonce` may be numbers or strings).
/// Public for clients' tests that check their frames the way the device reads them.
pub fn frame_credentials(auth: &Json) -> Option<Credentials> {
    let text = |k: &str| -> Option<String> {
        match auth.get(k)? {
            Json::String(s) => Some(s.clone()),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    Some(Credentials {
        username: text("username")?,
        realm: text("realm")?,
        nonce: text("nonce")?,
        cnonce: text("cnonce").unwrap_or_default(),
        nc: text("nc").unwrap_or_default(),
        response: text("response")?,
        uri: None,
        algorithm: text("algorithm").unwrap_or_default(),
        qop: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_json_when_they_parse() {
        let p = query_params(Some("id=0&on=true&name=kitchen&code=%22a%22&n=1.5")).unwrap();
        assert_eq!(
            p,
            json!({"id": 0, "on": true, "name": "kitchen", "code": "a", "n": 1.5})
        );
        assert_eq!(query_params(None).unwrap(), Json::Null);
        assert_eq!(query_params(Some("")).unwrap(), Json::Null);
    }

    #[test]
    fn status_mapping() {
        assert_eq!(http_status(&RpcError::no_handler("X.Y")), 404);
        assert_eq!(http_status(&RpcError::invalid("x")), 400);
        assert_eq!(http_status(&RpcError::new(INVALID_REQUEST, "x")), 400);
        assert_eq!(http_status(&RpcError::new(code::INTERNAL, "x")), 500);
    }

    #[test]
    fn frame_auth_numbers_and_strings() {
        let c = frame_credentials(
            &json!({"realm":"r","username":"admin","nonce":17,"cnonce":"5",
            "response":"ab","algorithm":"SHA-256"}),
        )
        .unwrap();
        assert_eq!((c.nonce.as_str(), c.cnonce.as_str()), ("17", "5"));
        assert!(frame_credentials(&json!({"realm":"r"})).is_none());
    }
}
