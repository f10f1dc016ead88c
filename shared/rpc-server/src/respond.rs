//! How a connection's answers are written: JSON and plain HTTP responses (with the CORS and
//! `Server` headers every answer carries), 401 challenges, request errors, WebSocket text
//! frames.
//!
//! Must never write anything but complete responses and frames to a connection's output.

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use ferrite_protocols::http::{write_response, HttpError};
use ferrite_protocols::websocket::{self, opcode};
use ferrite_runtime::json::{json, Json};

use crate::conn::{Conn, Mode};
use crate::limits::SCRIPT_REQUEST_LIMIT;

impl Conn {
    /// Queue an HTTP response with a JSON body.
    pub(crate) fn respond(
        &mut self,
        status: u16,
        headers: &[(&str, &str)],
        body: &Json,
        keep_alive: bool,
    ) {
        let mut h: Vec<(&str, &str)> = vec![
            ("Content-Type", "application/json"),
            ("Access-Control-Allow-Origin", "*"),
            ("Server", "Ferrite"),
        ];
        h.extend_from_slice(headers);
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        write_response(&mut self.out, status, &h, &bytes, keep_alive);
        if !keep_alive {
            self.closing = true;
        }
    }

    /// Queue a response with a non-JSON body; the connection closes after it (as Shelly
    /// answers script endpoints).
    pub(crate) fn respond_text(&mut self, status: u16, headers: &[(String, String)], body: &[u8]) {
        let mut h: Vec<(&str, &str)> =
            vec![("Access-Control-Allow-Origin", "*"), ("Server", "Ferrite")];
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            h.push(("Content-Type", "text/plain"));
        }
        h.extend(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        write_response(&mut self.out, status, &h, body, false);
        if let Mode::Http { waiting, .. } = &mut self.mode {
            *waiting = false;
        }
        self.closing = true;
    }

    /// Queue a 401 answer with the digest `challenge` (a `WWW-Authenticate` value).
    pub(crate) fn unauthorized(&mut self, challenge: &str, keep_alive: bool) {
        let body = json!({"code": 401, "message": "unauthorized"});
        self.respond(401, &[("WWW-Authenticate", challenge)], &body, keep_alive);
    }

    /// Answer a request the parser refused, and close.
    pub(crate) fn http_error(&mut self, e: HttpError) {
        match e {
            // Shelly resets script-endpoint connections that send too much.
            HttpError::TooLarge { limit } if limit == SCRIPT_REQUEST_LIMIT => {
                self.out.clear();
                self.dead = true;
            }
            e => {
                let body = json!({"code": e.status(), "message": e.to_string()});
                self.respond(e.status(), &[], &body, false);
                self.closing = true;
            }
        }
    }

    /// Queue a WebSocket text frame with `frame` as JSON.
    pub(crate) fn ws_send(&mut self, frame: &Json) {
        let bytes = serde_json::to_vec(frame).unwrap_or_default();
        websocket::encode_frame(&mut self.out, opcode::TEXT, &bytes, None);
    }
}
