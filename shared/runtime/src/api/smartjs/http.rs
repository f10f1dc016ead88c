//! Smart.js `Http.get(url, cb)` and `Http.post(url, data, cb)` over the board's HTTP client:
//! `cb(data, error)` runs when the answer comes (an `HttpRequest` listener). `error` is
//! undefined for a 2xx answer, `"HTTP <code> <message>"` for others (with the body as data),
//! and the failure's text when there was no answer (including boards without HTTP).

use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use ferrite_engine::{Value, Vm};

use super::{entry, SmartState, EXT};
use crate::api::description::ApiEntry;
use crate::board::{HttpRequest, HttpResponse};
use crate::host::{ctx, pin_function};
use crate::script::{Arg, ListenerKind, ScriptState, NO_PIN};

/// How long a request may take.
pub const TIMEOUT_MS: u32 = 10_000;

fn request(vm: &mut Vm, args: &[Value], post: bool) -> Result<Value, Value> {
    let what = if post { "Http.post" } else { "Http.get" };
    let url = Vm::arg(args, 0);
    if !url.is_string() {
        return Err(vm.type_error(&format!("{what}: url must be a string")));
    }
    let url = String::from_utf8_lossy(vm.string_bytes(url)).into_owned();
    let body = if post {
        let d = Vm::arg(args, 1);
        if d.is_string() {
            vm.string_bytes(d).to_vec()
        } else {
            // "passing d as body (stringified)".
            vm.json_stringify(d)?.unwrap_or_default()
        }
    } else {
        Vec::new()
    };
    let cb = pin_function(vm, args, if post { 2 } else { 1 }, &format!("{what}: cb"))?;
    let host = ctx(vm)?;
    let limit = host.device.borrow().limits.rpc_calls;
    let job_limit = host.device.borrow().limits.job_queue;
    // Refuse before the board starts the request: it cannot cancel one started in vain.
    let family = ListenerKind::HttpRequest { id: 0 }.family();
    if host.state.borrow().count(family) >= limit {
        vm.unpin(cb);
        return Err(vm.range_error(&format!(
            "{what}: too many {family}: a script may have at most {limit}"
        )));
    }
    let started = {
        let mut d = host.device.borrow_mut();
        match d.board.http() {
            Some(h) => h.start(HttpRequest {
                method: if post { "POST" } else { "GET" }.into(),
                url,
                headers: if post {
                    alloc::vec![("Content-Type".into(), "application/json".into())]
                } else {
                    Vec::new()
                },
                body,
                timeout_ms: TIMEOUT_MS,
            }),
            None => Err(crate::board::BoardError::Unsupported("the HTTP client")),
        }
    };
    let mut st = host.state.borrow_mut();
    match started {
        Ok(id) => {
            match st.add_listener(ListenerKind::HttpRequest { id }, cb, NO_PIN, NO_PIN, limit) {
                Ok(h) => {
                    if let Some(s) = st.extensions.get::<SmartState>(EXT) {
                        s.http.insert(id, h);
                    }
                    Ok(Value::bool(true))
                }
                Err(msg) => {
                    drop(st);
                    vm.unpin(cb);
                    Err(vm.range_error(&format!("{what}: {msg}")))
                }
            }
        }
        Err(e) => {
            super::call_later_with_error(&mut st, cb, format!("{e}"), job_limit);
            Ok(Value::bool(false))
        }
    }
}

/// `Http.get(url, cb)` → true if the request started (else `cb` gets the error).
fn get(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    request(vm, args, false)
}

/// `Http.post(url, data, cb)`.
fn post(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    request(vm, args, true)
}

/// The answer to board request `id`: to the script that made it (true if one did).
pub(super) fn route_done(
    scripts: &[Rc<RefCell<ScriptState>>],
    id: u32,
    result: &Result<HttpResponse, String>,
    limit: usize,
) -> bool {
    for s in scripts {
        let mut st = s.borrow_mut();
        let Some(h) = st
            .extensions
            .get::<SmartState>(EXT)
            .and_then(|sm| sm.http.remove(&id))
        else {
            continue;
        };
        let Some(l) = st.take_listener(h) else {
            return true;
        };
        let args = match result {
            Ok(r) if (200..300).contains(&r.code) => {
                alloc::vec![Arg::Str(r.body.clone()), Arg::Undefined]
            }
            Ok(r) => alloc::vec![
                Arg::Str(r.body.clone()),
                Arg::Str(format!("HTTP {} {}", r.code, r.message).into_bytes())
            ],
            Err(e) => alloc::vec![Arg::Undefined, Arg::Str(e.clone().into_bytes())],
        };
        st.call_listener(&l, args, limit, true);
        return true;
    }
    false
}

pub fn install(vm: &mut Vm) {
    vm.define_native_path("Http.get", 2, get);
    vm.define_native_path("Http.post", 3, post);
}

pub const DESCRIPTION: &[ApiEntry] = &[
    entry(
        "Http.get",
        "(url: string, cb: (data: string | undefined, error: string | undefined) => void) => boolean",
        "GET url; cb(data, error) when done (error: `HTTP <code> <message>` for non-2xx answers, the failure otherwise).",
    ),
    entry(
        "Http.post",
        "(url: string, data: any, cb: (data: string | undefined, error: string | undefined) => void) => boolean",
        "POST data (a string as is, anything else as JSON) to url; cb as for Http.get.",
    ),
];
