//! Routing: what a complete request or WebSocket message does. `OPTIONS` (CORS), WebSocket
//! upgrades on `/rpc` and `/debug/log`, the driver's static files, `GET /shelly`,
//! `POST /rpc`, `GET|POST /rpc/<Method>`, `/script/<id>/<name>`, else 404 / 405; on a `/rpc`
//! WebSocket, request frames (and `Log.Follow`).
//!
//! Must never run a request that needs credentials without them: everything but `GET /shelly`,
//! `OPTIONS`, static files, `Shelly.GetDeviceInfo` and the `/rpc` upgrade (whose frames carry
//! their own `auth`) is checked first.

use alloc::format;
use alloc::string::{String, ToString};

use ferrite_console::rpc_frame::{self, response_frame, RequestFrame};
use ferrite_protocols::http::{write_response, Request};
use ferrite_protocols::websocket::{self, opcode, Decoder, Message};
use ferrite_runtime::api::shelly_extras::{http_endpoint_request, EndpointReply, EndpointRequest};
use ferrite_runtime::json::{json, Json};
use ferrite_runtime::rpc::{code, RpcError};
use ferrite_runtime::Runtime;

use crate::auth::{self, is_open_method};
use crate::conn::{Conn, Mode};
use crate::frames;
use crate::server::Shared;
use crate::transactions::Answer;

impl Conn {
    /// Handle every complete request or message that is buffered.
    pub(crate) fn process(&mut self, sh: &mut Shared, rt: &mut Runtime) -> bool {
        let mut did = false;
        while !self.dead && !self.closing {
            match &mut self.mode {
                Mode::Http { parser, waiting } => {
                    if *waiting || self.body.is_some() {
                        break;
                    }
                    match parser.next_request() {
                        Ok(Some(req)) => {
                            did = true;
                            self.http_request(sh, rt, req);
                        }
                        Ok(None) => break,
                        Err(e) => {
                            did = true;
                            self.http_error(e);
                        }
                    }
                }
                Mode::Rpc { decoder, .. } | Mode::Log { decoder, .. } => {
                    match decoder.next_message() {
                        Ok(Some(m)) => {
                            did = true;
                            self.ws_message(sh, rt, m);
                        }
                        Ok(None) => break,
                        Err(e) => {
                            did = true;
                            websocket::encode_close(
                                &mut self.out,
                                e.close_code(),
                                &e.to_string(),
                                None,
                            );
                            self.closing = true;
                        }
                    }
                }
            }
        }
        did
    }

    fn http_request(&mut self, sh: &mut Shared, rt: &mut Runtime, req: Request) {
        let keep_alive = req.keep_alive();
        let path = req.path().to_string();
        let now = sh.now_ms;
        if req.method == "OPTIONS" {
            write_response(
                &mut self.out,
                204,
                &[
                    ("Access-Control-Allow-Origin", "*"),
                    ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                    ("Access-Control-Allow-Headers", "*"),
                ],
                b"",
                keep_alive,
            );
            self.closing |= !keep_alive;
            return;
        }
        if websocket::is_upgrade(&req) && (path == "/rpc" || path == "/debug/log") {
            if path == "/debug/log" {
                if let Err(challenge) = sh.auth.check_http(rt, &sh.device_id, &req, now) {
                    self.unauthorized(&challenge, false);
                    return;
                }
            }
            self.upgrade(rt, &req, &path, sh.config.ws_message_limit);
            return;
        }
        if let Some(files) = sh.files.as_mut().filter(|f| f.claims(&path)) {
            // No authentication: the files are no secret; everything the IDE does on the
            // device goes through RPC, which needs it.
            self.body = files.serve(&req, keep_alive, &mut self.out);
            self.closing |= !keep_alive;
            return;
        }
        match (req.method.as_str(), path.as_str()) {
            ("GET", "/shelly") => {
                let info = ferrite_runtime::rpc::device_info(&rt.device().borrow());
                self.respond(200, &[], &info, keep_alive);
            }
            ("POST", "/rpc") => {
                let frame = match rpc_frame::parse_request(&req.body) {
                    Ok(f) => f,
                    Err((id, src, e)) => {
                        let body =
                            response_frame(&id, &sh.device_id, src.as_deref(), &Err(e.clone()));
                        self.respond(frames::http_status(&e), &[], &body, keep_alive);
                        return;
                    }
                };
                // Credentials in the frame or in the header.
                let authed = match &frame.auth {
                    _ if is_open_method(&frame.method) => Ok(()),
                    Some(a) => sh.auth.check_frame(rt, &sh.device_id, a, now),
                    None => sh
                        .auth
                        .check_http(rt, &sh.device_id, &req, now)
                        .map_err(|_| false),
                };
                if let Err(stale) = authed {
                    let (body, header) =
                        sh.auth.rpc_unauthorized(&sh.device_id, &frame, stale, now);
                    self.respond(401, &[("WWW-Authenticate", &header)], &body, keep_alive);
                    return;
                }
                let dst = frame.src.clone();
                self.run(sh, rt, frame, Answer::Frame { keep_alive, dst });
            }
            ("GET" | "POST", p) if p.starts_with("/rpc/") => {
                let open = is_open_method(&p[5..]);
                let checked = sh.auth.check_http(rt, &sh.device_id, &req, now);
                if let (false, Err(challenge)) = (open, checked) {
                    self.unauthorized(&challenge, keep_alive);
                    return;
                }
                let method =
                    ferrite_protocols::http::percent_decode(&p[5..], false).unwrap_or_default();
                let params = if req.method == "POST" && !req.body.is_empty() {
                    match ferrite_runtime::json::parse(&req.body) {
                        Ok(p @ (Json::Object(_) | Json::Null)) => Ok(p),
                        Ok(_) => Err(RpcError::invalid("params must be an object")),
                        Err(e) => Err(RpcError::new(
                            code::PARSE_ERROR,
                            format!("Invalid JSON: {e}"),
                        )),
                    }
                } else {
                    frames::query_params(req.query())
                };
                let params = match params {
                    Ok(p) => p,
                    Err(e) => {
                        self.respond(
                            frames::http_status(&e),
                            &[],
                            &frames::error_object(&e),
                            keep_alive,
                        );
                        return;
                    }
                };
                let frame = RequestFrame {
                    id: Json::Null,
                    src: None,
                    method,
                    params,
                    auth: None,
                };
                self.run(sh, rt, frame, Answer::Bare { keep_alive });
            }
            (_, p) if p.starts_with("/script/") => {
                if let Err(challenge) = sh.auth.check_http(rt, &sh.device_id, &req, now) {
                    self.unauthorized(&challenge, false);
                    return;
                }
                self.script_endpoint(sh, rt, req);
            }
            ("GET" | "POST", _) => {
                let body = json!({"code": 404, "message": format!("not found: {path}")});
                self.respond(404, &[], &body, keep_alive);
            }
            _ => {
                let body =
                    json!({"code": 405, "message": format!("method {} not allowed", req.method)});
                self.respond(405, &[("Allow", "GET, POST, OPTIONS")], &body, keep_alive);
            }
        }
    }

    /// `/script/<id>/<name>`: hand the request to the script's endpoint; the answer comes from
    /// the runtime (which keeps Shelly's limits: 5 transactions, 10 s).
    fn script_endpoint(&mut self, sh: &mut Shared, rt: &mut Runtime, req: Request) {
        let path = req.path();
        let rest = &path["/script/".len()..];
        let target = rest
            .split_once('/')
            .and_then(|(id, name)| Some((id.parse::<u32>().ok()?, name)))
            .filter(|(_, name)| !name.is_empty() && !name.contains('/'));
        let Some((id, name)) = target else {
            self.respond_text(404, &[], b"Not Found");
            return;
        };
        let name: String = name.to_string();
        let request = EndpointRequest {
            method: req.method.clone(),
            query: req.query().unwrap_or("").to_string(),
            headers: req.headers.clone(),
            body: req.body,
        };
        match http_endpoint_request(rt, id, &name, request) {
            EndpointReply::NotFound => self.respond_text(404, &[], b"Not Found"),
            EndpointReply::Pending(token) => {
                if let Mode::Http { waiting, .. } = &mut self.mode {
                    *waiting = true;
                }
                sh.transactions.add_endpoint(token, self.id);
            }
        }
    }

    /// Switch to WebSocket after a valid handshake.
    fn upgrade(&mut self, rt: &Runtime, req: &Request, path: &str, message_limit: usize) {
        let Mode::Http { parser, .. } = &mut self.mode else {
            return;
        };
        let rest = parser.take_rest();
        match websocket::handshake_response(req, &mut self.out) {
            Ok(()) => {
                let mut decoder = Decoder::server(message_limit);
                decoder.feed(&rest);
                self.mode = if path == "/debug/log" {
                    // Start with the recent lines the log still holds.
                    let dev = rt.device();
                    let first = dev.borrow().log.since(0).next().map_or(0, |l| l.seq);
                    Mode::Log {
                        decoder,
                        next: first,
                    }
                } else {
                    Mode::Rpc {
                        decoder,
                        src: None,
                        follow: None,
                    }
                };
            }
            Err(e) => {
                websocket::handshake_error_response(e, &mut self.out);
                self.closing = true;
            }
        }
    }

    fn ws_message(&mut self, sh: &mut Shared, rt: &mut Runtime, m: Message) {
        match m {
            Message::Ping(p) => websocket::encode_frame(&mut self.out, opcode::PONG, &p, None),
            Message::Pong(_) => {}
            Message::Close(code, _) => {
                websocket::encode_close(
                    &mut self.out,
                    code.unwrap_or(websocket::close_code::NORMAL),
                    "",
                    None,
                );
                self.closing = true;
            }
            Message::Binary(_) => {}
            Message::Text(text) => {
                if !matches!(self.mode, Mode::Rpc { .. }) {
                    return;
                }
                let frame = match rpc_frame::parse_request(text.as_bytes()) {
                    Ok(f) => f,
                    Err((id, src, e)) => {
                        // Answered even with id null (a parse error has no id).
                        self.ws_send(&response_frame(&id, &sh.device_id, src.as_deref(), &Err(e)));
                        return;
                    }
                };
                let authed = match &frame.auth {
                    _ if is_open_method(&frame.method) => Ok(()),
                    Some(a) => sh.auth.check_frame(rt, &sh.device_id, a, sh.now_ms),
                    None if auth::required(rt) => Err(false),
                    None => Ok(()),
                };
                if let Err(stale) = authed {
                    let (f, _) = sh
                        .auth
                        .rpc_unauthorized(&sh.device_id, &frame, stale, sh.now_ms);
                    self.ws_send(&f);
                    return;
                }
                // Only an authenticated request subscribes the connection to notifications.
                if let (Some(s), Mode::Rpc { src, .. }) = (&frame.src, &mut self.mode) {
                    *src = Some(s.clone());
                }
                let dst = frame.src.clone();
                if frame.method.eq_ignore_ascii_case("Log.Follow") {
                    let r = self.log_follow(rt, &frame.params);
                    self.answer(&sh.device_id, &frame.id, &Answer::Ws { dst }, &r);
                    return;
                }
                self.run(sh, rt, frame, Answer::Ws { dst });
            }
        }
    }
}
