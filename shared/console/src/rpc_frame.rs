//! JSON-RPC frames as every transport of the device reads and writes them (HTTP `POST /rpc`,
//! WebSocket `/rpc`, the serial console): one request parser with one set of error codes, and
//! response frames with the optional `dst` (the requester's `src`).
//!
//! Request frames are `{id?, src?, method, params?, auth?}`. Errors:
//! - not JSON: `-32700` (parse error), with id `null`;
//! - JSON but not an object, or `method` missing / not a non-empty string: `-32600` (invalid
//!   request), with the frame's id when it has one;
//! - `params` present but not an object (or null): `-103` (invalid argument).

use alloc::format;
use alloc::string::String;

use ferrite_runtime::json::{json, Json};
use ferrite_runtime::rpc::{code, RpcError};

/// JSON-RPC 2.0 "invalid request": the frame is JSON but not a request.
pub const INVALID_REQUEST: i32 = -32600;

/// A JSON-RPC request as received.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestFrame {
    /// `null` when the frame had no id (or a null one): a notification, which the WebSocket
    /// and the console do not answer.
    pub id: Json,
    /// The requester's name; answers carry it as `dst`.
    pub src: Option<String>,
    pub method: String,
    /// An object, or `Json::Null` when absent.
    pub params: Json,
    /// The frame's `auth` object, if any.
    pub auth: Option<Json>,
}

/// Parse the text of a request frame. Errors carry the frame's id (`null` when it could not be
/// read) and its `src` (for the answer's `dst`).
pub fn parse_request(text: &[u8]) -> Result<RequestFrame, (Json, Option<String>, RpcError)> {
    let v: Json = ferrite_runtime::json::parse(text).map_err(|e| {
        (
            Json::Null,
            None,
            RpcError::new(code::PARSE_ERROR, format!("Invalid JSON: {e}")),
        )
    })?;
    let Json::Object(mut o) = v else {
        return Err((
            Json::Null,
            None,
            RpcError::new(INVALID_REQUEST, "a request frame must be a JSON object"),
        ));
    };
    let id = o.remove("id").unwrap_or(Json::Null);
    let src = match o.remove("src") {
        Some(Json::String(s)) => Some(s),
        _ => None,
    };
    let method = match o.remove("method") {
        Some(Json::String(m)) if !m.is_empty() => m,
        _ => {
            let e = RpcError::new(INVALID_REQUEST, "method must be a non-empty string");
            return Err((id, src, e));
        }
    };
    let params = match o.remove("params") {
        None | Some(Json::Null) => Json::Null,
        Some(p @ Json::Object(_)) => p,
        Some(_) => return Err((id, src, RpcError::invalid("params must be an object"))),
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

/// A response frame `{id, src, dst?, result}` / `{id, src, dst?, error: {code, message}}`;
/// `src` is the device id, `dst` the requester's `src` when it sent one.
pub fn response_frame(
    id: &Json,
    device_id: &str,
    dst: Option<&str>,
    result: &Result<Json, RpcError>,
) -> Json {
    let mut f = ferrite_runtime::rpc::response_frame(id, device_id, result);
    if let Some(d) = dst {
        f["dst"] = json!(d);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_frames_and_their_errors() {
        let f = parse_request(
            br#"{"id":7,"src":"cli","method":"Switch.Set","params":{"id":0,"on":true}}"#,
        )
        .unwrap();
        assert_eq!(f.id, json!(7));
        assert_eq!(f.src.as_deref(), Some("cli"));
        assert_eq!(f.params, json!({"id":0,"on":true}));
        let e = parse_request(b"{nope").unwrap_err();
        assert_eq!((e.0, e.2.code), (Json::Null, code::PARSE_ERROR));
        let e = parse_request(br#"{"id":3,"src":"c","method":5}"#).unwrap_err();
        assert_eq!(
            (e.0, e.1, e.2.code),
            (json!(3), Some("c".into()), INVALID_REQUEST)
        );
        let e = parse_request(br#"{"id":4}"#).unwrap_err();
        assert_eq!((e.0, e.2.code), (json!(4), INVALID_REQUEST));
        let e = parse_request(br#"{"id":3,"method":"X","params":[1]}"#).unwrap_err();
        assert_eq!(e.2.code, code::INVALID_ARGUMENT);
        assert_eq!(parse_request(b"[1]").unwrap_err().2.code, INVALID_REQUEST);
    }

    #[test]
    fn response_frames_with_and_without_dst() {
        let ok = response_frame(&json!(1), "dev", Some("cli"), &Ok(json!({"a": 1})));
        assert_eq!(
            ok,
            json!({"id": 1, "src": "dev", "dst": "cli", "result": {"a": 1}})
        );
        let err = response_frame(&json!(2), "dev", None, &Err(RpcError::invalid("x")));
        assert_eq!(
            err,
            json!({"id": 2, "src": "dev", "error": {"code": -103, "message": "x"}})
        );
    }
}
