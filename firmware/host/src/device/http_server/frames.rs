//! JSON-RPC frames and HTTP answers of the RPC server, as Shelly Gen2 devices shape them:
//! request frames `{id, src?, method, params?, auth?}`, response frames
//! `{id, src, result | error}`, the HTTP status for an RPC error, and `GET /rpc/<Method>?k=v`
//! query parameters.

use ferrite_protocols::digest::Credentials;
use ferrite_protocols::http::query_pairs;
use ferrite_runtime::json::{json, Json, Map};
use ferrite_runtime::rpc::{code, RpcError};

/// A JSON-RPC request as received.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestFrame {
    /// `null` when the frame had no id (a notification: no answer is sent over WebSocket).
    pub id: Json,
    pub src: Option<String>,
    pub method: String,
    /// An object, or `Json::Null` when absent.
    pub params: Json,
    /// The frame's `auth` object, if any.
    pub auth: Option<Json>,
}

/// Parse the text of a request frame. Errors carry the frame's id when it could be read.
pub fn parse_request(text: &[u8]) -> Result<RequestFrame, (Json, RpcError)> {
    let v: Json = serde_json::from_slice(text).map_err(|e| {
        (
            Json::Null,
            RpcError::new(code::PARSE_ERROR, format!("Invalid JSON: {e}")),
        )
    })?;
    let Json::Object(mut o) = v else {
        return Err((
            Json::Null,
            RpcError::new(code::PARSE_ERROR, "a request frame must be a JSON object"),
        ));
    };
    let id = o.remove("id").unwrap_or(Json::Null);
    let method = match o.remove("method") {
        Some(Json::String(m)) if !m.is_empty() => m,
        _ => return Err((id, RpcError::invalid("method must be a non-empty string"))),
    };
    let params = match o.remove("params") {
        None | Some(Json::Null) => Json::Null,
        Some(p @ Json::Object(_)) => p,
        Some(_) => return Err((id, RpcError::invalid("params must be an object"))),
    };
    let src = match o.remove("src") {
        Some(Json::String(s)) => Some(s),
        _ => None,
    };
    let auth = o.remove("auth").filter(|a| !a.is_null());
    Ok(RequestFrame {
        id,
        src,
        method,
        params,
        auth,
    })
}

/// A response frame `{id, src, result}` / `{id, src, error: {code, message}}`.
pub fn response(id: &Json, device_id: &str, result: &Result<Json, RpcError>) -> Json {
    ferrite_runtime::rpc::response_frame(id, device_id, result)
}

/// The bare error object of `GET /rpc/<Method>` answers.
pub fn error_object(e: &RpcError) -> Json {
    json!({"code": e.code, "message": e.message})
}

/// The HTTP status for an RPC error.
pub fn http_status(e: &RpcError) -> u16 {
    match e.code {
        code::PARSE_ERROR | code::INVALID_ARGUMENT => 400,
        code::UNAUTHORIZED => 401,
        code::NO_HANDLER | code::NOT_FOUND => 404,
        code::DEADLINE_EXCEEDED => 504,
        code::UNAVAILABLE | code::RESOURCE_EXHAUSTED => 503,
        _ => 500,
    }
}

/// Params of `GET /rpc/<Method>?k=v&…`: each value as JSON if it parses, else as a string.
pub fn query_params(query: Option<&str>) -> Result<Json, RpcError> {
    let Some(q) = query else {
        return Ok(Json::Null);
    };
    let pairs = query_pairs(q).map_err(|e| RpcError::invalid(format!("query: {e}")))?;
    if pairs.is_empty() {
        return Ok(Json::Null);
    }
    let mut m = Map::new();
    for (k, v) in pairs {
        let val = serde_json::from_str::<Json>(&v).unwrap_or(Json::String(v));
        m.insert(k, val);
    }
    Ok(Json::Object(m))
}

/// Credentials from a frame's `auth` object (`nonce` and `cnonce` may be numbers or strings).
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
    fn request_frames() {
        let f = parse_request(
            br#"{"id":7,"src":"cli","method":"Switch.Set","params":{"id":0,"on":true}}"#,
        )
        .unwrap();
        assert_eq!(f.id, json!(7));
        assert_eq!(f.src.as_deref(), Some("cli"));
        assert_eq!(f.params, json!({"id":0,"on":true}));
        let e = parse_request(b"{nope").unwrap_err();
        assert_eq!(e.1.code, code::PARSE_ERROR);
        let e = parse_request(br#"{"id":3,"method":5}"#).unwrap_err();
        assert_eq!((e.0, e.1.code), (json!(3), code::INVALID_ARGUMENT));
        let e = parse_request(br#"{"id":3,"method":"X","params":[1]}"#).unwrap_err();
        assert_eq!(e.1.code, code::INVALID_ARGUMENT);
        assert_eq!(parse_request(b"[1]").unwrap_err().1.code, code::PARSE_ERROR);
    }

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
