//! `HTTPServer.registerEndpoint(name, callback[, userdata])`: a script's HTTP endpoint at
//! `/script/<id>/<name>` (at most 5 per script). The target's HTTP server hands requests to
//! [`http_endpoint_request`]; the callback gets `(request, response, userdata)` and answers by
//! setting `response.code`, `.body`, `.headers` (`[[name, value], …]`) and calling
//! `response.send()`; the transport takes the answers with [`take_http_responses`].
//! A transaction not answered within 10 seconds gets `504` (and `send` then returns false); at
//! most 5 transactions are open at once, further requests get `503`.
//! Requests larger than 3072 bytes and `multipart/*` bodies are the transport's to refuse
//! (reset, `415`); this module also answers `415` to a multipart request it is given.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use ferrite_engine::heap::Handle;
use ferrite_engine::{Value, Vm};

use crate::device::Device;
use crate::host::{ctx, pin_function, pin_userdata, unpin_all};
use crate::script::{Arg, ListenerKind, NO_PIN};

type R = Result<Value, Value>;

/// Host-object tag of response objects (`"HRSP"`); the id is the transaction token.
pub const RESPONSE_TAG: u32 = 0x4852_5350;
/// How long a transaction may stay unanswered.
pub const TIMEOUT_MS: u64 = 10_000;
/// Transactions open at once (device-wide).
pub const MAX_TRANSACTIONS: usize = 5;
/// Longest endpoint name.
pub const NAME_MAX: usize = 64;

/// A request for a script endpoint, as the transport parsed it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The query string without `?` (empty if none).
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What [`http_endpoint_request`] says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointReply {
    /// No running script `id` with such an endpoint: answer 404.
    NotFound,
    /// The answer comes later from [`take_http_responses`] under this token.
    Pending(u32),
}

/// The answer to a transaction. `Content-Type` is `text/plain` unless the script set one; the
/// transport adds `Content-Length` and `Connection: close` (replacing the script's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointResponse {
    pub code: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl EndpointResponse {
    fn status(code: u16, text: &str) -> EndpointResponse {
        EndpointResponse {
            code,
            headers: alloc::vec![("Content-Type".into(), "text/plain".into())],
            body: text.as_bytes().to_vec(),
        }
    }
}

/// An open transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transaction {
    pub token: u32,
    pub script: u32,
    pub deadline_ms: u64,
}

#[derive(Debug, Default)]
pub struct HttpServerState {
    pub transactions: Vec<Transaction>,
    /// Answers waiting for the transport: (token, response).
    pub http_responses: VecDeque<(u32, EndpointResponse)>,
}

/// A request for endpoint `name` of script `script_id`.
pub fn http_endpoint_request(
    rt: &mut crate::Runtime,
    script_id: u32,
    name: &str,
    request: EndpointRequest,
) -> EndpointReply {
    let Some(state) = rt.script_state(script_id) else {
        return EndpointReply::NotFound;
    };
    let listener = state
        .borrow()
        .listeners
        .iter()
        .find(|l| matches!(&l.kind, ListenerKind::HttpEndpoint { name: n } if n == name))
        .cloned();
    let Some(listener) = listener else {
        return EndpointReply::NotFound;
    };
    let (_, response_proto) = super::realm_pins(&state);
    let dev = rt.device_ref().clone();
    let mut d = dev.borrow_mut();
    let token = d.new_token();
    let multipart = matches!(request.method.as_str(), "POST" | "PUT")
        && request.headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("content-type")
                && v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("multipart/")
        });
    if multipart {
        d.extras.http.http_responses.push_back((
            token,
            EndpointResponse::status(415, "Unsupported Media Type"),
        ));
        return EndpointReply::Pending(token);
    }
    let (Some(proto), true) = (
        response_proto,
        d.extras.http.transactions.len() < MAX_TRANSACTIONS,
    ) else {
        d.extras
            .http
            .http_responses
            .push_back((token, EndpointResponse::status(503, "Service Unavailable")));
        return EndpointReply::Pending(token);
    };
    let limit = d.limits.job_queue;
    let headers: Vec<crate::json::Json> = request
        .headers
        .iter()
        .map(|(k, v)| serde_json::json!([k, v]))
        .collect();
    let req = Arg::Object(alloc::vec![
        ("method".into(), Arg::Str(request.method.into_bytes())),
        ("query".into(), Arg::Str(request.query.into_bytes())),
        (
            "headers".into(),
            Arg::Json(crate::json::Json::Array(headers))
        ),
        ("body".into(), Arg::Str(request.body)),
    ]);
    let res = Arg::HostObject {
        tag: RESPONSE_TAG,
        id: token,
        proto,
    };
    let queued = {
        let mut st = state.borrow_mut();
        let dropped = st.dropped_jobs;
        st.call_listener(&listener, alloc::vec![req, res], limit, false);
        st.dropped_jobs == dropped
    };
    if queued {
        let deadline_ms = d.now_ms() + TIMEOUT_MS;
        d.extras.http.transactions.push(Transaction {
            token,
            script: script_id,
            deadline_ms,
        });
    } else {
        d.extras
            .http
            .http_responses
            .push_back((token, EndpointResponse::status(503, "Service Unavailable")));
    }
    EndpointReply::Pending(token)
}

/// Answers for the transport: (token, response).
pub fn take_http_responses(rt: &mut crate::Runtime) -> Vec<(u32, EndpointResponse)> {
    let dev = rt.device_ref().clone();
    let mut d = dev.borrow_mut();
    tick(&mut d);
    d.extras.http.http_responses.drain(..).collect()
}

/// Transactions past their deadline, or whose script stopped, get 504.
pub fn tick(d: &mut Device) {
    if d.extras.http.transactions.is_empty() {
        return;
    }
    let now = d.now_ms();
    let mut expired = Vec::new();
    let alive: Vec<bool> = d
        .extras
        .http
        .transactions
        .iter()
        .map(|t| d.extras.realm_alive(t.script))
        .collect();
    let mut i = 0;
    d.extras.http.transactions.retain(|t| {
        let keep = now < t.deadline_ms && alive[i];
        i += 1;
        if !keep {
            expired.push(t.token);
        }
        keep
    });
    for token in expired {
        d.extras
            .http
            .http_responses
            .push_back((token, EndpointResponse::status(504, "Gateway Timeout")));
    }
}

pub fn next_deadline(d: &Device) -> Option<u64> {
    d.extras
        .http
        .transactions
        .iter()
        .map(|t| t.deadline_ms)
        .min()
}

// ----- the script API -----

fn endpoint_name(vm: &mut Vm, args: &[Value]) -> Result<String, Value> {
    if !Vm::arg(args, 0).is_string() {
        return Err(vm.type_error("HTTPServer.registerEndpoint: endpoint_name must be a string"));
    }
    let name: String = vm.arg_as(args, 0)?;
    let ok = !name.is_empty()
        && name.len() <= NAME_MAX
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'~'));
    if !ok {
        return Err(vm.type_error(&format!(
            "HTTPServer.registerEndpoint: endpoint_name must be 1-{NAME_MAX} letters, digits, '_', '-', '.' or '~'"
        )));
    }
    Ok(name)
}

/// `HTTPServer.registerEndpoint(name, callback[, userdata])` → `/script/<id>/<name>`.
/// Registering a name again replaces its callback.
fn register_endpoint(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let name = endpoint_name(vm, args)?;
    let cb = pin_function(vm, args, 1, "HTTPServer.registerEndpoint: callback")?;
    let ud = pin_userdata(vm, args, 2);
    let host = ctx(vm)?;
    let limit = host.device.borrow().limits.http_endpoints;
    let mut st = host.state.borrow_mut();
    let old = st
        .listeners
        .iter()
        .find(|l| matches!(&l.kind, ListenerKind::HttpEndpoint { name: n } if *n == name))
        .map(|l| l.handle);
    if let Some(h) = old {
        st.remove_listener(h, |_| true);
    }
    let r = st.add_listener(
        ListenerKind::HttpEndpoint { name: name.clone() },
        cb,
        ud,
        NO_PIN,
        limit,
    );
    drop(st);
    match r {
        Ok(_) => vm.to_js(format!("/script/{}/{name}", host.id)),
        Err(msg) => {
            unpin_all(vm, &[cb, ud]);
            Err(vm.range_error(&format!("HTTPServer.registerEndpoint: {msg}")))
        }
    }
}

/// Read `response.code`, `.body`, `.headers` (script code may run in getters: no borrows held).
fn read_response(vm: &mut Vm, this: Value) -> Result<EndpointResponse, Value> {
    let k = vm.key("code");
    let code = vm.get(this, k)?;
    let code = if code.is_undefined() {
        200
    } else {
        match crate::host::whole_in(code, 100.0, 599.0) {
            Some(n) => n as u16,
            None => {
                return Err(vm.type_error("response.send: code must be an HTTP status (100-599)"))
            }
        }
    };
    let k = vm.key("body");
    let body = vm.get(this, k)?;
    let body: Vec<u8> = if body.is_nullish() {
        Vec::new()
    } else {
        vm.to_byte_vec(body)?
    };
    let k = vm.key("headers");
    let hv = vm.get(this, k)?;
    let mut headers = Vec::new();
    if !hv.is_nullish() {
        if !vm.is_array(hv) {
            return Err(vm.type_error(BAD_HEADERS));
        }
        // Getters may run script code (and collect garbage): keep what is held rooted.
        let mark = vm.push_root(hv);
        let r = read_headers(vm, hv);
        vm.truncate_roots(mark);
        headers = r?;
    }
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), "text/plain".into()));
    }
    Ok(EndpointResponse {
        code,
        headers,
        body,
    })
}

const BAD_HEADERS: &str = "response.send: headers must be a list of [name, value] pairs";

/// The `[name, value]` pairs of the (rooted) array `hv`.
fn read_headers(vm: &mut Vm, hv: Value) -> Result<Vec<(String, String)>, Value> {
    let mut headers = Vec::new();
    let lk = vm.key("length");
    let n = vm.get(hv, lk)?.as_number().unwrap_or(0.0) as u32;
    for i in 0..n {
        let pair = vm.get_index(hv, i)?;
        if !vm.is_array(pair) {
            return Err(vm.type_error(BAD_HEADERS));
        }
        vm.push_root(pair);
        let name = vm.get_index(pair, 0)?;
        if !name.is_string() {
            return Err(vm.type_error(BAD_HEADERS));
        }
        let name = vm.to_string_lossy(name)?;
        let value = vm.get_index(pair, 1)?;
        let value = vm.to_string_lossy(value)?;
        if name.contains(['\r', '\n', ':']) || value.contains(['\r', '\n']) {
            return Err(vm.type_error("response.send: header names and values must be one line"));
        }
        headers.push((name, value));
    }
    Ok(headers)
}

/// `response.send()`: true if the answer went out, false if the transaction is over.
fn send(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    let token = match vm.host_object(this) {
        Some((RESPONSE_TAG, t)) => t,
        _ => return Err(vm.type_error("send: not an HTTP response object")),
    };
    let response = read_response(vm, this)?;
    let host = ctx(vm)?;
    let mut d = host.device.borrow_mut();
    tick(&mut d);
    let Some(i) = d
        .extras
        .http
        .transactions
        .iter()
        .position(|t| t.token == token && t.script == host.id)
    else {
        return Ok(Value::bool(false));
    };
    d.extras.http.transactions.remove(i);
    d.extras.http.http_responses.push_back((token, response));
    Ok(Value::bool(true))
}

/// Define `HTTPServer`; returns the prototype of response objects.
pub fn install(vm: &mut Vm) -> Handle {
    vm.define_native_path("HTTPServer.registerEndpoint", 3, register_endpoint);
    let proto = vm
        .new_object()
        .ok()
        .and_then(|p| p.as_object())
        .expect("out of memory creating the HTTP response prototype");
    vm.define_method(proto, "send", 0, send);
    proto
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::{Origin, RpcReply};
    use crate::sim::{MemStorage, SimBoard, SimSystem, VirtualClock};
    use crate::{Runtime, RuntimeConfig};
    use alloc::boxed::Box;

    fn runtime(code: &str) -> (Runtime, VirtualClock) {
        let clock = VirtualClock::new(None);
        let board = SimBoard::new(
            Box::new(clock.clone()),
            Box::new(MemStorage::new(1 << 20)),
            Box::new(SimSystem::new(1, [1, 2, 3, 4, 5, 6])),
        );
        // Collect garbage at every safe point: request objects and responses must be rooted.
        let config = RuntimeConfig {
            gc_stress: true,
            ..Default::default()
        };
        let mut rt = Runtime::new(Box::new(board), config);
        rt.boot();
        let rpc =
            |rt: &mut Runtime, m: &str, p: serde_json::Value| match rt.rpc(m, p, Origin::Transport)
            {
                RpcReply::Done(r) => r.unwrap(),
                RpcReply::Pending(_) => panic!("pending"),
            };
        rpc(&mut rt, "Script.Create", serde_json::json!({"name": "t"}));
        rpc(
            &mut rt,
            "Script.PutCode",
            serde_json::json!({"id": 1, "code": code}),
        );
        rpc(&mut rt, "Script.Start", serde_json::json!({"id": 1}));
        run(&mut rt);
        (rt, clock)
    }

    fn run(rt: &mut Runtime) {
        for _ in 0..100 {
            if !rt.poll().busy {
                break;
            }
        }
    }

    fn req(method: &str, query: &str, body: &[u8]) -> EndpointRequest {
        EndpointRequest {
            method: method.into(),
            query: query.into(),
            headers: alloc::vec![("X-Test".into(), "1".into())],
            body: body.to_vec(),
        }
    }

    #[test]
    fn transaction_answered_by_send() {
        let (mut rt, _clock) = runtime(
            r#"HTTPServer.registerEndpoint("echo", function (req, res, ud) {
                 res.code = 201;
                 res.headers = [["X-Method", req.method], ["X-H", req.headers[0][0] + "=" + req.headers[0][1]]];
                 res.body = ud + ":" + req.query + ":" + btoh(req.body);
                 print("send", res.send(), "again", res.send());
               }, "ud");"#,
        );
        assert_eq!(
            http_endpoint_request(&mut rt, 1, "nope", req("GET", "", b"")),
            EndpointReply::NotFound
        );
        assert_eq!(
            http_endpoint_request(&mut rt, 2, "echo", req("GET", "", b"")),
            EndpointReply::NotFound
        );
        let EndpointReply::Pending(t) =
            http_endpoint_request(&mut rt, 1, "echo", req("POST", "a=1", b"\x00\xff"))
        else {
            panic!("not pending")
        };
        run(&mut rt);
        let r = take_http_responses(&mut rt);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].0, t);
        assert_eq!(r[0].1.code, 201);
        assert_eq!(r[0].1.body, b"ud:a=1:00ff");
        assert_eq!(
            r[0].1.headers,
            alloc::vec![
                ("X-Method".into(), "POST".into()),
                ("X-H".into(), "X-Test=1".into()),
                ("Content-Type".into(), "text/plain".into())
            ]
        );
        let log: Vec<String> = rt
            .device()
            .borrow()
            .log
            .since(0)
            .map(|l| l.text.clone())
            .collect();
        assert!(log.iter().any(|l| l == "send true again false"), "{log:?}");
    }

    #[test]
    fn timeout_limit_and_multipart() {
        let (mut rt, clock) = runtime(
            r#"let kept = [];
               HTTPServer.registerEndpoint("slow", function (req, res) { kept.push(res); });
               Timer.set(20000, false, function () { print("late send", kept[0].send()); });"#,
        );
        let mut tokens = Vec::new();
        for _ in 0..6 {
            match http_endpoint_request(&mut rt, 1, "slow", req("GET", "", b"")) {
                EndpointReply::Pending(t) => tokens.push(t),
                EndpointReply::NotFound => panic!("not found"),
            }
        }
        run(&mut rt);
        // The sixth is over the limit of 5 open transactions.
        let r = take_http_responses(&mut rt);
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].0, r[0].1.code), (tokens[5], 503));
        let mut mp = req("POST", "", b"--x");
        mp.headers.push((
            "Content-Type".into(),
            "multipart/form-data; boundary=x".into(),
        ));
        let EndpointReply::Pending(t) = http_endpoint_request(&mut rt, 1, "slow", mp) else {
            panic!()
        };
        assert_eq!(
            take_http_responses(&mut rt)[0],
            (t, EndpointResponse::status(415, "Unsupported Media Type"))
        );
        // After 10 s all five time out with 504.
        assert_eq!(rt.poll().next_deadline_ms, Some(TIMEOUT_MS));
        clock.set(TIMEOUT_MS);
        run(&mut rt);
        let r = take_http_responses(&mut rt);
        assert_eq!(r.len(), 5);
        assert!(r.iter().all(|(_, x)| x.code == 504));
        clock.set(20_000);
        run(&mut rt);
        let log: Vec<String> = rt
            .device()
            .borrow()
            .log
            .since(0)
            .map(|l| l.text.clone())
            .collect();
        assert!(log.iter().any(|l| l == "late send false"), "{log:?}");
        assert!(take_http_responses(&mut rt).is_empty());
    }
}
