//! The HTTP client RPC methods: `HTTP.GET {url, timeout?, ssl_ca?}`, `HTTP.POST {url, body,
//! content_type?, timeout?, ssl_ca?}` and `HTTP.Request {method, url, headers?, body?, body_b64?,
//! timeout?, ssl_ca?}`. The request goes to the board's HTTP client; the answer comes later
//! (the core completes the pending call with [`crate::rpc::http_result`]: `{code, message,
//! headers, body | body_b64}`). `timeout` is in seconds (default 10). `ssl_ca` is checked but
//! the board's client decides how TLS peers are verified.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::board::HttpRequest;
use crate::json::{field, Json};
use crate::rpc::{code, RpcError, RpcReply};

pub const METHODS: &[&str] = &["HTTP.GET", "HTTP.POST", "HTTP.Request"];

/// Default `timeout`, in seconds.
pub const DEFAULT_TIMEOUT_S: f64 = 10.0;

fn str_param<'a>(params: &'a Json, key: &str) -> Result<Option<&'a str>, RpcError> {
    match field(params, key) {
        None => Ok(None),
        Some(v) => v
            .as_str()
            .map(Some)
            .ok_or_else(|| RpcError::invalid(format!("{key} must be a string"))),
    }
}

/// HTTP requests started by RPC in flight at once; beyond, `HTTP.*` answers -107.
pub const MAX_IN_FLIGHT: usize = 5;

/// A header a caller gives must not split the request: no CR, LF or NUL anywhere, and the name
/// is a non-empty token (no separators such as `:` or white space).
fn check_header(name: &str, value: &str) -> Result<(), RpcError> {
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
    if !name_ok {
        return Err(RpcError::invalid(format!(
            "header name {name:?} is not a valid token"
        )));
    }
    if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(RpcError::invalid(format!(
            "header {name} must not contain CR, LF or NUL"
        )));
    }
    Ok(())
}

/// The board request for one of the methods.
fn build(lower: &str, params: &Json) -> Result<HttpRequest, RpcError> {
    let url = str_param(params, "url")?.ok_or_else(|| RpcError::invalid("url is required"))?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(RpcError::invalid("url must start with http:// or https://"));
    }
    str_param(params, "ssl_ca")?;
    let timeout = match field(params, "timeout") {
        None => DEFAULT_TIMEOUT_S,
        Some(t) => t
            .as_f64()
            .filter(|t| *t > 0.0 && *t <= 3600.0)
            .ok_or_else(|| RpcError::invalid("timeout must be a number of seconds (0-3600]"))?,
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut body = Vec::new();
    let method = match lower {
        "http.get" => String::from("GET"),
        "http.post" => {
            body = str_param(params, "body")?
                .ok_or_else(|| RpcError::invalid("body is required"))?
                .as_bytes()
                .to_vec();
            let ct = str_param(params, "content_type")?.unwrap_or("application/json");
            check_header("Content-Type", ct)?;
            headers.push(("Content-Type".into(), ct.into()));
            String::from("POST")
        }
        _ => {
            let m = str_param(params, "method")?
                .unwrap_or("GET")
                .to_ascii_uppercase();
            if !matches!(
                m.as_str(),
                "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS"
            ) {
                return Err(RpcError::invalid(format!("method {m} is not supported")));
            }
            if let Some(h) = field(params, "headers") {
                let o = h
                    .as_object()
                    .ok_or_else(|| RpcError::invalid("headers must be an object"))?;
                for (k, v) in o {
                    let v = v
                        .as_str()
                        .ok_or_else(|| RpcError::invalid(format!("header {k} must be a string")))?;
                    check_header(k, v)?;
                    headers.push((k.clone(), v.into()));
                }
            }
            match (str_param(params, "body")?, str_param(params, "body_b64")?) {
                (Some(_), Some(_)) => {
                    return Err(RpcError::invalid("give body or body_b64, not both"));
                }
                (Some(b), None) => body = b.as_bytes().to_vec(),
                (None, Some(b)) => {
                    body = crate::codec::base64_decode(b)
                        .ok_or_else(|| RpcError::invalid("body_b64 is not base64"))?;
                }
                (None, None) => {}
            }
            m
        }
    };
    Ok(HttpRequest {
        method,
        url: url.into(),
        headers,
        body,
        timeout_ms: (timeout * 1000.0) as u32,
    })
}

/// `HTTP.*`: start the request; the answer is pending under a token.
pub fn rpc(rt: &mut crate::Runtime, lower: &str, method: &str, params: &Json) -> RpcReply {
    if !METHODS.iter().any(|m| m.eq_ignore_ascii_case(lower)) {
        return Err(RpcError::no_handler(method)).into();
    }
    let req = match build(lower, params) {
        Ok(r) => r,
        Err(e) => return Err(e).into(),
    };
    let dev = rt.device_ref().clone();
    let mut d = dev.borrow_mut();
    if d.http_rpc.len() >= MAX_IN_FLIGHT {
        return Err(RpcError::new(
            code::RESOURCE_EXHAUSTED,
            format!("{method}: at most {MAX_IN_FLIGHT} HTTP requests may be in flight"),
        ))
        .into();
    }
    let started = match d.board.http() {
        None => {
            return Err(RpcError::new(
                code::UNAVAILABLE,
                "this board has no HTTP client",
            ))
            .into()
        }
        Some(http) => http.start(req),
    };
    match started {
        Ok(id) => {
            let token = d.new_token();
            d.http_rpc.insert(id, token);
            RpcReply::Pending(token)
        }
        Err(e) => Err(RpcError::new(code::UNAVAILABLE, format!("{method}: {e}"))).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::{BoardEvent, BoardResult, HttpClient, HttpResponse};
    use crate::rpc::Origin;
    use crate::sim::{MemStorage, NetBackend, SimBoard, SimSystem, VirtualClock};
    use crate::{Runtime, RuntimeConfig};
    use alloc::boxed::Box;
    use alloc::collections::VecDeque;
    use alloc::rc::Rc;
    use core::cell::RefCell;

    /// A client that records requests and answers each with `200 <method> <url>`.
    #[derive(Clone, Default)]
    struct Echo(Rc<RefCell<(Vec<HttpRequest>, VecDeque<BoardEvent>)>>);

    impl HttpClient for Echo {
        fn start(&mut self, request: HttpRequest) -> BoardResult<u32> {
            let mut s = self.0.borrow_mut();
            let id = s.0.len() as u32 + 7;
            let body = format!("{} {}", request.method, request.url).into_bytes();
            s.0.push(request);
            s.1.push_back(BoardEvent::HttpDone {
                id,
                result: Ok(HttpResponse {
                    code: 200,
                    message: "OK".into(),
                    headers: alloc::vec![("X".into(), "y".into())],
                    body,
                }),
            });
            Ok(id)
        }
    }

    impl NetBackend for Echo {
        fn http(&mut self) -> Option<&mut dyn HttpClient> {
            Some(self)
        }
        fn poll_event(&mut self) -> Option<BoardEvent> {
            self.0.borrow_mut().1.pop_front()
        }
    }

    /// A booted runtime whose HTTP client is an [`Echo`].
    fn booted() -> (Echo, Runtime) {
        let echo = Echo::default();
        let board = SimBoard::new(
            Box::new(VirtualClock::new(None)),
            Box::new(MemStorage::new(1 << 16)),
            Box::new(SimSystem::new(1, [1, 2, 3, 4, 5, 6])),
        )
        .with_net(Box::new(echo.clone()));
        let mut rt = Runtime::new(Box::new(board), RuntimeConfig::default());
        rt.boot();
        (echo, rt)
    }

    #[test]
    fn requests_go_to_the_board_and_complete() {
        let (echo, mut rt) = booted();
        let p = serde_json::json!({"method": "put", "url": "http://h/x",
            "headers": {"A": "b"}, "body_b64": "AP8=", "timeout": 2});
        let RpcReply::Pending(t) = rt.rpc("HTTP.Request", p, Origin::Transport) else {
            panic!("not pending")
        };
        rt.poll();
        let done = rt.take_rpc_done();
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].0, t);
        let r = done[0].1.clone().unwrap();
        assert_eq!(r["code"], 200);
        assert_eq!(r["body"], "PUT http://h/x");
        let sent = echo.0.borrow().0[0].clone();
        assert_eq!(sent.body, b"\x00\xff");
        assert_eq!(sent.headers, alloc::vec![("A".into(), "b".into())]);
        assert_eq!(sent.timeout_ms, 2000);
        let RpcReply::Done(Err(e)) = rt.rpc(
            "HTTP.GET",
            serde_json::json!({"url": "ftp://x"}),
            Origin::Transport,
        ) else {
            panic!("accepted a bad url")
        };
        assert_eq!(e.code, code::INVALID_ARGUMENT);
        let RpcReply::Pending(_) = rt.rpc(
            "HTTP.POST",
            serde_json::json!({"url": "https://h/p", "body": "{}"}),
            Origin::Transport,
        ) else {
            panic!("POST not pending")
        };
        let sent = echo.0.borrow().0[1].clone();
        assert_eq!(sent.method, "POST");
        assert_eq!(
            sent.headers,
            alloc::vec![("Content-Type".into(), "application/json".into())]
        );
    }

    /// Review: headers with CR/LF (request splitting) are refused with -103, and RPC-started
    /// requests beyond [`MAX_IN_FLIGHT`] answer -107 without reaching the board.
    #[test]
    fn review_header_injection_and_in_flight_cap() {
        let (echo, mut rt) = booted();
        let code_of = |r: RpcReply| match r {
            RpcReply::Done(Err(e)) => e.code,
            RpcReply::Done(Ok(_)) => 0,
            RpcReply::Pending(_) => 1,
        };
        for headers in [
            serde_json::json!({"A": "b\r\nX-Evil: 1"}),
            serde_json::json!({"A\r\nB": "c"}),
            serde_json::json!({"A: b": "c"}),
            serde_json::json!({"": "c"}),
        ] {
            let p = serde_json::json!({"url": "http://h/", "headers": headers});
            assert_eq!(
                code_of(rt.rpc("HTTP.Request", p, Origin::Transport)),
                code::INVALID_ARGUMENT
            );
        }
        let p = serde_json::json!({"url": "http://h/", "body": "", "content_type": "a\nb"});
        assert_eq!(
            code_of(rt.rpc("HTTP.POST", p, Origin::Transport)),
            code::INVALID_ARGUMENT
        );
        assert!(echo.0.borrow().0.is_empty());
        let get = || serde_json::json!({"url": "http://h/"});
        for _ in 0..MAX_IN_FLIGHT {
            assert_eq!(code_of(rt.rpc("HTTP.GET", get(), Origin::Transport)), 1);
        }
        assert_eq!(
            code_of(rt.rpc("HTTP.GET", get(), Origin::Transport)),
            code::RESOURCE_EXHAUSTED
        );
        assert_eq!(echo.0.borrow().0.len(), MAX_IN_FLIGHT);
        rt.poll();
        assert_eq!(rt.take_rpc_done().len(), MAX_IN_FLIGHT);
        assert_eq!(code_of(rt.rpc("HTTP.GET", get(), Origin::Transport)), 1);
    }
}
