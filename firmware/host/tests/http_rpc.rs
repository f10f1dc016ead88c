//! The virtual device's HTTP/WebSocket RPC server over real loopback sockets: a
//! `ferrite device --http 127.0.0.1:0` process per test, driven with plain `TcpStream`s.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use ferrite_protocols::sha::{hex_lower, Sha256};
use ferrite_protocols::websocket::{self, opcode, Decoder, Message};
use serde_json::{json, Value as Json};

mod support;

use support::HttpDevice as Device;

fn start() -> Device {
    Device::start()
}

fn restart(d: Device) -> Device {
    d.restart()
}

/// One HTTP response.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Json {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A keep-alive HTTP connection.
struct Http {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Http {
    fn connect(d: &Device) -> Http {
        let s = TcpStream::connect(("127.0.0.1", d.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.set_nodelay(true).unwrap();
        Http { s, buf: Vec::new() }
    }

    fn send(&mut self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) {
        let mut req = format!("{method} {target} HTTP/1.1\r\nHost: device\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.s.write_all(&bytes).unwrap();
    }

    /// Read one response; `None` if the connection closed first.
    fn read(&mut self) -> Option<Resp> {
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8(self.buf[..end].to_vec()).unwrap();
                let mut lines = head.split("\r\n");
                let status: u16 = lines
                    .next()
                    .unwrap()
                    .split(' ')
                    .nth(1)
                    .unwrap()
                    .parse()
                    .unwrap();
                let headers: Vec<(String, String)> = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .collect();
                let len: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .map_or(0, |(_, v)| v.parse().unwrap());
                if self.buf.len() >= end + 4 + len {
                    let body = self.buf[end + 4..end + 4 + len].to_vec();
                    self.buf.drain(..end + 4 + len);
                    return Some(Resp {
                        status,
                        headers,
                        body,
                    });
                }
            }
            let mut chunk = [0u8; 8192];
            match self.s.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    fn call(&mut self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        self.send(method, target, headers, body);
        self.read().expect("a response")
    }

    /// `POST /rpc` with a frame; the response frame.
    fn rpc(&mut self, method: &str, params: Json) -> (u16, Json) {
        let frame = json!({"id": 1, "src": "test", "method": method, "params": params});
        let r = self.call(
            "POST",
            "/rpc",
            &[("Content-Type", "application/json")],
            frame.to_string().as_bytes(),
        );
        let j = r.json();
        (r.status, j)
    }
}

fn result(d: &Device, method: &str, params: Json) -> Json {
    let (status, frame) = Http::connect(d).rpc(method, params);
    assert_eq!(status, 200, "{method}: {frame}");
    frame["result"].clone()
}

#[test]
fn device_info_over_post_get_and_shelly() {
    let d = start();
    let mut c = Http::connect(&d);
    let (status, frame) = c.rpc("Shelly.GetDeviceInfo", Json::Null);
    assert_eq!(status, 200);
    let id = frame["result"]["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("ferrite-"), "{frame}");
    assert_eq!(frame["id"], 1);
    assert_eq!(frame["src"], id.as_str());
    // Addressed to the request's src, as over WebSocket and the console.
    assert_eq!(frame["dst"], "test");
    assert_eq!(frame["result"]["gen"], 2);
    // Same connection (keep-alive), GET form: the bare result.
    let r = c.call("GET", "/rpc/Shelly.GetDeviceInfo", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json()["id"], id.as_str());
    let r = c.call("GET", "/shelly", &[], b"");
    assert_eq!(r.json()["id"], id.as_str());
    assert_eq!(r.json()["auth_en"], false);
    let r = c.call("GET", "/nothing/here", &[], b"");
    assert_eq!(r.status, 404);
    // A client that closes its sending side after the request still gets the answer.
    let mut c = Http::connect(&d);
    c.send("GET", "/shelly", &[("Connection", "close")], b"");
    c.s.shutdown(std::net::Shutdown::Write).unwrap();
    let r = c.read().expect("an answer after the half-close");
    assert_eq!((r.status, r.header("connection")), (200, Some("close")));
    assert!(c.read().is_none());
}

#[test]
fn switch_set_then_status() {
    let d = start();
    let mut c = Http::connect(&d);
    let (status, frame) = c.rpc("Switch.Set", json!({"id": 0, "on": true}));
    assert_eq!(status, 200, "{frame}");
    assert_eq!(frame["result"]["was_on"], false);
    let r = c.call("GET", "/rpc/Switch.GetStatus?id=0", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["output"], true);
    // Query values that parse as JSON are JSON: `on=false` is a boolean.
    let r = c.call("GET", "/rpc/Switch.Set?id=0&on=false", &[], b"");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["was_on"], true);
    // POST /rpc/<Method> with params in the body.
    let r = c.call("POST", "/rpc/Switch.GetStatus", &[], br#"{"id":0}"#);
    assert_eq!(r.json()["output"], false);
}

/// `Wifi.Scan` is answered when the scan ends (the virtual device's one network is the host's),
/// and the method is listed.
#[test]
fn wifi_scan_is_answered_when_the_scan_ends() {
    let d = start();
    let results = result(&d, "Wifi.Scan", Json::Null)["results"].clone();
    assert_eq!(
        results,
        json!([{"ssid": "host", "bssid": "02:00:00:00:00:01", "auth": 0, "channel": 1, "rssi": -40}])
    );
    let r = Http::connect(&d).call("GET", "/rpc/Wifi.Scan", &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["results"][0]["ssid"], "host");
    let methods = result(&d, "Shelly.ListMethods", Json::Null)["methods"].clone();
    assert!(
        methods.as_array().unwrap().iter().any(|m| m == "Wifi.Scan"),
        "{methods}"
    );
}

#[test]
fn script_lifecycle_with_chunked_put_code() {
    let d = start();
    let mut c = Http::connect(&d);
    let (_, f) = c.rpc("Script.Create", json!({"name": "counter"}));
    let id = f["result"]["id"].as_u64().unwrap_or_else(|| panic!("{f}"));
    let code = "let n = 0;\nfunction tick() { n++; }\nTimer.set(50, true, tick);\n// padding "
        .to_string()
        + &"x".repeat(3000)
        + "\nprint('started');\n";
    for (i, chunk) in code.as_bytes().chunks(1024).enumerate() {
        let (status, f) = c.rpc(
            "Script.PutCode",
            json!({"id": id, "code": std::str::from_utf8(chunk).unwrap(), "append": i > 0}),
        );
        assert_eq!(status, 200, "{f}");
    }
    // GetCode pages (as Shelly: `offset`, and `left` says how much remains).
    let mut back = String::new();
    loop {
        let (_, f) = c.rpc("Script.GetCode", json!({"id": id, "offset": back.len()}));
        back.push_str(f["result"]["data"].as_str().expect("data"));
        if f["result"]["left"].as_u64().unwrap_or(0) == 0 {
            break;
        }
    }
    assert!(
        back == code,
        "the code read back differs ({} vs {} bytes)",
        back.len(),
        code.len()
    );
    let (status, f) = c.rpc("Script.Start", json!({"id": id}));
    assert_eq!(status, 200, "{f}");
    let (_, f) = c.rpc("Script.GetStatus", json!({"id": id}));
    assert_eq!(f["result"]["running"], true, "{f}");
    let (_, f) = c.rpc("Script.Stop", json!({"id": id}));
    assert_eq!(f["result"]["was_running"], true, "{f}");
    let (_, f) = c.rpc("Script.GetStatus", json!({"id": id}));
    assert_eq!(f["result"]["running"], false, "{f}");
}

#[test]
fn errors_malformed_unknown_wrong_types_oversized() {
    let d = start();
    let mut c = Http::connect(&d);
    let r = c.call("POST", "/rpc", &[], b"{\"id\":1,\"method\":");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], -32700);
    // A frame without a method: the same code as on the console and WebSocket.
    let r = c.call("POST", "/rpc", &[], b"{\"id\":7,\"src\":\"me\"}");
    assert_eq!(r.status, 400);
    let f = r.json();
    assert_eq!(
        (f["id"].as_i64(), f["error"]["code"].as_i64()),
        (Some(7), Some(-32600)),
        "{f}"
    );
    assert_eq!(f["dst"], "me");
    let (status, f) = c.rpc("Foo.Bar", Json::Null);
    assert_eq!(status, 404);
    assert_eq!(f["error"]["code"], 404);
    assert_eq!(f["error"]["message"], "No handler for Foo.Bar");
    let (status, f) = c.rpc("Switch.Set", json!({"id": "zero", "on": true}));
    assert_eq!(
        (status, f["error"]["code"].as_i64()),
        (400, Some(-103)),
        "{f}"
    );
    let r = c.call("GET", "/rpc/Switch.Set?id=0&on=yes", &[], b"");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["code"], -103);
    let r = c.call("GET", "/rpc/No.Such", &[], b"");
    assert_eq!((r.status, r.json()["code"].as_i64()), (404, Some(404)));
    // The connection still works after RPC errors.
    assert_eq!(c.rpc("Shelly.GetStatus", Json::Null).0, 200);

    // Over 16 KiB on /rpc: 413, then the connection closes.
    let big = format!(
        "{{\"id\":1,\"method\":\"Shelly.GetStatus\",\"params\":{{\"pad\":\"{}\"}}}}",
        "a".repeat(20_000)
    );
    let mut c = Http::connect(&d);
    c.send("POST", "/rpc", &[], big.as_bytes());
    let r = c.read().expect("413");
    assert_eq!(r.status, 413);
    assert!(c.read().is_none());
    // Over 3072 bytes on a script endpoint: reset, no answer (as Shelly).
    let mut c = Http::connect(&d);
    let body = vec![b'a'; 4000];
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        c.send("POST", "/script/1/ep", &[], &body)
    }));
    assert!(c.read().is_none());
    // A garbage request line: 400.
    let mut c = Http::connect(&d);
    c.s.write_all(b"\x16\x03\x01 hello\r\n\r\n").unwrap();
    assert_eq!(c.read().unwrap().status, 400);
}

#[test]
fn at_most_five_transactions() {
    let d = start();
    let (_, f) = Http::connect(&d).rpc("Script.Create", json!({"name": "busy"}));
    let id = f["result"]["id"].as_u64().unwrap();
    result(
        &d,
        "Script.PutCode",
        json!({"id": id, "code": "let z = 1;"}),
    );
    result(&d, "Script.Start", json!({"id": id}));
    // Script.Eval answers later; a busy loop keeps each one pending for a while.
    let busy = "let t0 = Date.now(); while (Date.now() - t0 < 400) {} 1";
    let mut conns: Vec<Http> = (0..6).map(|_| Http::connect(&d)).collect();
    for c in conns.iter_mut() {
        let frame = json!({"id": 1, "method": "Script.Eval", "params": {"id": id, "code": busy}});
        c.send("POST", "/rpc", &[], frame.to_string().as_bytes());
        // Let the device read each before the next arrives.
        std::thread::sleep(Duration::from_millis(30));
    }
    let statuses: Vec<u16> = conns.iter_mut().map(|c| c.read().unwrap().status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 503).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(statuses[5], 503, "{statuses:?}");
}

/// A WebSocket client over a `TcpStream`.
struct Ws {
    s: TcpStream,
    dec: Decoder,
}

impl Ws {
    fn connect(d: &Device, path: &str, extra: &[(&str, &str)]) -> Ws {
        let mut s = TcpStream::connect(("127.0.0.1", d.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut req = format!(
            "GET {path} HTTP/1.1\r\nHost: d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        );
        for (k, v) in extra {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).unwrap();
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(s.read(&mut b).unwrap(), 1, "closed during the handshake");
            head.push(b[0]);
        }
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
        assert!(
            head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            "{head}"
        );
        Ws {
            s,
            dec: Decoder::client(1 << 20),
        }
    }

    fn send(&mut self, frame: &Json) {
        let mut out = Vec::new();
        websocket::encode_frame(
            &mut out,
            opcode::TEXT,
            frame.to_string().as_bytes(),
            Some([7, 1, 9, 3]),
        );
        self.s.write_all(&out).unwrap();
    }

    fn recv(&mut self) -> Json {
        loop {
            match self.dec.next_message().unwrap() {
                Some(Message::Text(t)) => return serde_json::from_str(&t).unwrap(),
                Some(other) => panic!("unexpected {other:?}"),
                None => {}
            }
            let mut chunk = [0u8; 4096];
            let n = self.s.read(&mut chunk).expect("a WebSocket frame in time");
            assert!(n > 0, "the device closed the WebSocket");
            self.dec.feed(&chunk[..n]);
        }
    }

    /// Frames until one satisfies `pred`.
    fn recv_until(&mut self, pred: impl Fn(&Json) -> bool) -> Json {
        for _ in 0..100 {
            let f = self.recv();
            if pred(&f) {
                return f;
            }
        }
        panic!("no matching frame");
    }
}

#[test]
fn websocket_answers_and_notify_status() {
    let d = start();
    let mut ws = Ws::connect(&d, "/rpc", &[]);
    ws.send(&json!({"id": 5, "src": "wsclient", "method": "Switch.Toggle", "params": {"id": 0}}));
    let answer = ws.recv_until(|f| f["id"] == 5);
    assert_eq!(answer["result"]["was_on"], false, "{answer}");
    assert_eq!(answer["dst"], "wsclient");
    let note = ws.recv_until(|f| f["method"] == "NotifyStatus");
    assert_eq!(note["dst"], "wsclient");
    assert!(note["src"].as_str().unwrap().starts_with("ferrite-"));
    assert_eq!(note["params"]["switch:0"]["output"], true, "{note}");
    // A change made over HTTP is notified too.
    result(&d, "Switch.Set", json!({"id": 0, "on": false}));
    let note = ws.recv_until(|f| f["method"] == "NotifyStatus");
    assert_eq!(note["params"]["switch:0"]["output"], false, "{note}");
    // Errors come back as frames; ping gets pong.
    ws.send(&json!({"id": 6, "method": "Nope.Nope"}));
    let e = ws.recv_until(|f| f["id"] == 6);
    assert_eq!(e["error"]["code"], 404);
    ws.send(&json!({"id": 8, "src": "wsclient"}));
    let e = ws.recv_until(|f| f["id"] == 8);
    assert_eq!(
        (e["error"]["code"].as_i64(), e["dst"].as_str()),
        (Some(-32600), Some("wsclient"))
    );
    let mut ping = Vec::new();
    websocket::encode_frame(&mut ping, opcode::PING, b"hi", Some([1, 2, 3, 4]));
    ws.s.write_all(&ping).unwrap();
    let mut chunk = [0u8; 64];
    let n = ws.s.read(&mut chunk).unwrap();
    ws.dec.feed(&chunk[..n]);
    assert_eq!(
        ws.dec.next_message().unwrap(),
        Some(Message::Pong(b"hi".to_vec()))
    );
}

/// The station switched off and on over RPC: subscribers get the `wifi` status change at
/// once (the virtual device's loop sleeps until something happens).
#[test]
fn wifi_changes_are_notified() {
    let d = start();
    let mut ws = Ws::connect(&d, "/rpc", &[]);
    ws.send(&json!({"id": 1, "src": "wsclient", "method": "Wifi.GetStatus"}));
    let answer = ws.recv_until(|f| f["id"] == 1);
    assert_eq!(answer["result"]["status"], "got ip", "{answer}");
    let off = json!({"config": {"sta": {"ssid": "host", "enable": false}}});
    result(&d, "Wifi.SetConfig", off);
    let note =
        ws.recv_until(|f| f["method"] == "NotifyStatus" && f["params"].get("wifi").is_some());
    assert_eq!(note["params"]["wifi"]["status"], "disconnected", "{note}");
    let on = json!({"config": {"sta": {"ssid": "host", "enable": true}}});
    result(&d, "Wifi.SetConfig", on);
    let note =
        ws.recv_until(|f| f["method"] == "NotifyStatus" && f["params"].get("wifi").is_some());
    assert_eq!(note["params"]["wifi"]["status"], "got ip", "{note}");
}

#[test]
fn debug_log_stream() {
    let d = start();
    let mut log = Ws::connect(&d, "/debug/log", &[]);
    let (_, f) = Http::connect(&d).rpc("Script.Create", json!({"name": "talker"}));
    let id = f["result"]["id"].as_u64().unwrap();
    result(
        &d,
        "Script.PutCode",
        json!({"id": id, "code": "print('hello from the log');"}),
    );
    result(&d, "Script.Start", json!({"id": id}));
    let line = log.recv_until(|f| {
        f["data"]
            .as_str()
            .is_some_and(|s| s.contains("hello from the log"))
    });
    assert!(
        line["ts"].is_number() && line["level"].is_number(),
        "{line}"
    );
}

#[test]
fn thousand_keep_alive_round_trips() {
    let d = start();
    let mut c = Http::connect(&d);
    let t = Instant::now();
    for i in 0..1000 {
        let frame = json!({"id": i, "method": "Switch.GetStatus", "params": {"id": 0}});
        let r = c.call("POST", "/rpc", &[], frame.to_string().as_bytes());
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["id"], i);
    }
    let took = t.elapsed();
    eprintln!("1000 POST /rpc round trips on one connection: {took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

fn sha256_hex(s: &str) -> String {
    hex_lower(&Sha256::digest(s.as_bytes()))
}

/// The `key="value"` fields of a `WWW-Authenticate: Digest …` header.
fn challenge_field(header: &str, key: &str) -> String {
    let start = header.find(&format!("{key}=\"")).unwrap() + key.len() + 2;
    header[start..].split('"').next().unwrap().to_string()
}

/// A device with the password `s3cret`: it, its id (the realm) and the `ha1`.
fn start_with_password() -> (Device, String, String) {
    let d = start();
    let device_id = result(&d, "Shelly.GetDeviceInfo", Json::Null)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ha1 = sha256_hex(&format!("admin:{device_id}:s3cret"));
    let (status, f) = Http::connect(&d).rpc(
        "Shelly.SetAuth",
        json!({"user": "admin", "realm": device_id, "ha1": ha1}),
    );
    assert_eq!(status, 200, "{f}");
    (d, device_id, ha1)
}

#[test]
fn digest_authentication() {
    let (d, device_id, ha1) = start_with_password();
    let mut c = Http::connect(&d);

    // Without credentials: 401 with a challenge, for POST and GET; /shelly stays open.
    let (status, f) = c.rpc("Shelly.GetStatus", Json::Null);
    assert_eq!(status, 401);
    assert_eq!(f["error"]["code"], 401);
    let r = c.call("GET", "/rpc/Shelly.GetStatus", &[], b"");
    assert_eq!(r.status, 401);
    let www = r.header("www-authenticate").unwrap().to_string();
    assert!(
        www.starts_with("Digest ") && www.contains("algorithm=SHA-256"),
        "{www}"
    );
    assert_eq!(challenge_field(&www, "realm"), device_id);
    let r = c.call("GET", "/shelly", &[], b"");
    assert_eq!((r.status, r.json()["auth_en"].as_bool()), (200, Some(true)));
    // Shelly.GetDeviceInfo is open too: clients learn the realm from it.
    let (status, f) = c.rpc("Shelly.GetDeviceInfo", Json::Null);
    assert_eq!(
        (status, f["result"]["auth_domain"].as_str()),
        (200, Some(device_id.as_str()))
    );

    // HTTP digest with the challenge's nonce.
    let nonce = challenge_field(&www, "nonce");
    let uri = "/rpc/Switch.GetStatus?id=0";
    let ha2 = sha256_hex(&format!("GET:{uri}"));
    let response = sha256_hex(&format!("{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}"));
    let auth = format!(
        "Digest username=\"admin\", realm=\"{device_id}\", nonce=\"{nonce}\", uri=\"{uri}\", \
         response=\"{response}\", qop=auth, nc=00000001, cnonce=\"c0ffee\", algorithm=SHA-256"
    );
    let r = c.call("GET", uri, &[("Authorization", &auth)], b"");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["id"], 0);
    // A wrong password does not pass.
    let bad_ha1 = sha256_hex(&format!("admin:{device_id}:wrong"));
    let bad = sha256_hex(&format!("{bad_ha1}:{nonce}:00000001:c0ffee:auth:{ha2}"));
    let r = c.call(
        "GET",
        uri,
        &[("Authorization", &auth.replace(&response, &bad))],
        b"",
    );
    assert_eq!(r.status, 401);

    // JSON-RPC `auth` object (as aioshelly sends it) in a POST body, nonce from error 401.
    let (_, f) = c.rpc("Shelly.GetStatus", Json::Null);
    let challenge: Json = serde_json::from_str(f["error"]["message"].as_str().unwrap()).unwrap();
    let nonce = challenge["nonce"].as_u64().unwrap();
    let frame_auth = |nonce: u64| {
        let ha2 = sha256_hex("dummy_method:dummy_uri");
        json!({"realm": device_id, "username": "admin", "nonce": nonce, "cnonce": 12345,
               "response": sha256_hex(&format!("{ha1}:{nonce}:1:12345:auth:{ha2}")), "algorithm": "SHA-256"})
    };
    let frame = json!({"id": 2, "method": "Switch.GetStatus", "params": {"id": 0}, "auth": frame_auth(nonce)});
    let r = c.call("POST", "/rpc", &[], frame.to_string().as_bytes());
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // A nonce the device never issued is refused; with the right password the challenge says
    // `stale` (the client may retry with the new nonce).
    let frame = json!({"id": 3, "method": "Switch.GetStatus", "params": {"id": 0}, "auth": frame_auth(nonce ^ 1)});
    let r = c.call("POST", "/rpc", &[], frame.to_string().as_bytes());
    assert_eq!(r.status, 401);
    let challenge: Json =
        serde_json::from_str(r.json()["error"]["message"].as_str().unwrap()).unwrap();
    assert_eq!(challenge["stale"], true, "{challenge}");

    // WebSocket: the upgrade is open, each frame needs `auth`.
    let mut ws = Ws::connect(&d, "/rpc", &[]);
    ws.send(&json!({"id": 1, "src": "w", "method": "Shelly.GetConfig"}));
    let e = ws.recv_until(|f| f["id"] == 1);
    assert_eq!(e["error"]["code"], 401, "{e}");
    let challenge: Json = serde_json::from_str(e["error"]["message"].as_str().unwrap()).unwrap();
    let nonce = challenge["nonce"].as_u64().unwrap();
    ws.send(&json!({"id": 2, "src": "w", "method": "Shelly.GetConfig", "auth": frame_auth(nonce)}));
    let ok = ws.recv_until(|f| f["id"] == 2);
    assert!(ok["result"]["sys"].is_object(), "{ok}");

    // Removing the password (authenticated) opens the device again.
    ws.send(&json!({"id": 3, "src": "w", "method": "Shelly.SetAuth",
        "params": {"user": "admin", "realm": device_id, "ha1": null}, "auth": frame_auth(nonce)}));
    let ok = ws.recv_until(|f| f["id"] == 3);
    assert!(ok.get("error").is_none(), "{ok}");
    assert_eq!(Http::connect(&d).rpc("Shelly.GetStatus", Json::Null).0, 200);
}

#[test]
fn digest_nonces_survive_a_flood_and_headers_cannot_be_replayed() {
    let (d, device_id, ha1) = start_with_password();
    let mut c = Http::connect(&d);
    let r = c.call("GET", "/rpc/Shelly.GetStatus", &[], b"");
    let nonce = challenge_field(r.header("www-authenticate").unwrap(), "nonce");
    // An unauthenticated client asks for hundreds of challenges: the first nonce stays valid.
    for _ in 0..300 {
        assert_eq!(c.call("GET", "/rpc/Shelly.GetStatus", &[], b"").status, 401);
    }
    let uri = "/rpc/Switch.GetStatus?id=0";
    let ha2 = sha256_hex(&format!("GET:{uri}"));
    let header = |nc: &str| {
        let response = sha256_hex(&format!("{ha1}:{nonce}:{nc}:c0ffee:auth:{ha2}"));
        format!(
            "Digest username=\"admin\", realm=\"{device_id}\", nonce=\"{nonce}\", uri=\"{uri}\", \
             response=\"{response}\", qop=auth, nc={nc}, cnonce=\"c0ffee\", algorithm=SHA-256"
        )
    };
    let first = header("00000001");
    let r = c.call("GET", uri, &[("Authorization", &first)], b"");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // The same header again (a capture replayed): refused.
    let r = c.call("GET", uri, &[("Authorization", &first)], b"");
    assert_eq!(r.status, 401);
    // The next count passes.
    let r = c.call("GET", uri, &[("Authorization", &header("00000002"))], b"");
    assert_eq!(r.status, 200);
}

#[test]
fn digest_header_is_bound_to_its_uri_and_garbage_is_refused() {
    let (d, device_id, ha1) = start_with_password();
    let mut c = Http::connect(&d);
    let r = c.call("GET", "/rpc/Shelly.GetStatus", &[], b"");
    let nonce = challenge_field(r.header("www-authenticate").unwrap(), "nonce");
    let uri = "/rpc/Switch.GetStatus?id=0";
    let ha2 = sha256_hex(&format!("GET:{uri}"));
    let response = sha256_hex(&format!("{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}"));
    let auth = format!(
        "Digest username=\"admin\", realm=\"{device_id}\", nonce=\"{nonce}\", uri=\"{uri}\", \
         response=\"{response}\", qop=auth, nc=00000001, cnonce=\"c0ffee\", algorithm=SHA-256"
    );
    assert_eq!(
        c.call("GET", uri, &[("Authorization", &auth)], b"").status,
        200
    );
    // The same header (a captured one) does not authorize another request.
    let r = c.call(
        "GET",
        "/rpc/Shelly.Reboot",
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(r.status, 401, "{}", String::from_utf8_lossy(&r.body));
    // A backslash before a non-ASCII character once crashed the device.
    let r = c.call(
        "GET",
        uri,
        &[("Authorization", "Digest username=\"\\é\", uri=\"/\"")],
        b"",
    );
    assert_eq!(r.status, 401);
    assert_eq!(
        Http::connect(&d).call("GET", "/shelly", &[], b"").status,
        200
    );
}

#[test]
fn unauthenticated_websocket_gets_no_notifications() {
    let (d, device_id, ha1) = start_with_password();
    // A client without the password sends a request with `src`: refused.
    let mut ws = Ws::connect(&d, "/rpc", &[]);
    ws.send(&json!({"id": 1, "src": "spy", "method": "Switch.GetStatus", "params": {"id": 0}}));
    let e = ws.recv_until(|f| f["id"] == 1);
    assert_eq!(
        (e["error"]["code"].as_i64(), e["dst"].as_str()),
        (Some(401), Some("spy"))
    );
    let challenge: Json = serde_json::from_str(e["error"]["message"].as_str().unwrap()).unwrap();
    let nonce = challenge["nonce"].as_u64().unwrap();
    // Someone with the password changes the switch.
    let ha2 = sha256_hex("dummy_method:dummy_uri");
    let auth = json!({"realm": device_id, "username": "admin", "nonce": nonce, "cnonce": 7,
        "response": sha256_hex(&format!("{ha1}:{nonce}:1:7:auth:{ha2}")), "algorithm": "SHA-256"});
    let frame =
        json!({"id": 2, "method": "Switch.Set", "params": {"id": 0, "on": true}, "auth": auth});
    let r = Http::connect(&d).call("POST", "/rpc", &[], frame.to_string().as_bytes());
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // The refused client must not have been subscribed: the next frame it gets is its answer
    // (sent after the notification had time to go out).
    std::thread::sleep(Duration::from_millis(300));
    ws.send(&json!({"id": 3, "method": "Switch.GetStatus", "params": {"id": 0}}));
    let next = ws.recv();
    assert_eq!(next["id"], 3, "an unauthenticated client received {next}");
}

#[test]
fn a_request_trickling_in_gets_408() {
    let d = start();
    let mut s = TcpStream::connect(("127.0.0.1", d.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    s.write_all(b"POST /rpc HTTP/1.1\r\nX-Slow: ").unwrap();
    let t = Instant::now();
    let mut got = Vec::new();
    // One byte a second keeps the connection from being idle, but the request never ends.
    while t.elapsed() < Duration::from_secs(16) {
        let _ = s.write_all(b"a");
        let mut buf = [0u8; 1024];
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 408 "), "{text:?}");
    assert!(t.elapsed() < Duration::from_secs(13), "{:?}", t.elapsed());
}

#[test]
fn the_password_survives_a_restart() {
    let (d, _, ha1) = start_with_password();
    let d = restart(d);
    let (status, f) = Http::connect(&d).rpc("Shelly.GetStatus", Json::Null);
    assert_eq!(
        status, 401,
        "a restarted device must still require the password: {f}"
    );
    // The hash never shows up in the configuration.
    let r = Http::connect(&d).call("GET", "/shelly", &[], b"");
    assert_eq!(r.json()["auth_en"], true);
    let cfg = std::fs::read_to_string(d.dir.join("config/sys.json")).unwrap_or_default();
    assert!(cfg.contains(&ha1), "persisted in the data directory");
}

#[test]
fn script_http_endpoint() {
    let d = start();
    let (_, f) = Http::connect(&d).rpc("Script.Create", json!({"name": "web"}));
    let id = f["result"]["id"].as_u64().unwrap();
    let code = r#"
HTTPServer.registerEndpoint("echo", function (req, res, ud) {
  res.code = 201;
  res.body = ud + ":" + req.method + ":" + req.query + ":" + req.body;
  res.headers = [["X-Script", "yes"]];
  res.send();
}, "ud");
"#;
    result(&d, "Script.PutCode", json!({"id": id, "code": code}));
    result(&d, "Script.Start", json!({"id": id}));
    let mut c = Http::connect(&d);
    let r = c.call("POST", &format!("/script/{id}/echo?a=1"), &[], b"hello");
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.body, b"ud:POST:a=1:hello");
    assert_eq!(r.header("x-script"), Some("yes"));
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.header("connection"), Some("close"));
    assert!(
        c.read().is_none(),
        "the connection closes after a script answer"
    );
    let r = Http::connect(&d).call("GET", &format!("/script/{id}/nope"), &[], b"");
    assert_eq!(r.status, 404);
    let r = Http::connect(&d).call("GET", "/script/99/echo", &[], b"");
    assert_eq!(r.status, 404);
}

/// aioshelly (Home Assistant's Shelly library) against the device, if Python has it.
#[test]
fn aioshelly_rpc_device() {
    let probe = Command::new("python3")
        .args(["-c", "import aioshelly, aiohttp"])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        Ok(_) => {
            support::skip_without_peer("python3 has no aioshelly (pip install aioshelly)");
            return;
        }
        Err(e) => {
            support::skip_without_peer(&format!("no python3 ({e})"));
            return;
        }
    }
    let d = start();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/aioshelly_compat.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(d.port.to_string())
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "aioshelly_compat.py failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("ok: wrong password refused"), "{stdout}");
}

#[test]
fn websocket_message_limit_closes_with_1009() {
    let d = start();
    let mut ws = Ws::connect(&d, "/rpc", &[]);
    let big = json!({"id": 1, "method": "Shelly.GetStatus", "params": {"pad": "a".repeat(70_000)}});
    let mut out = Vec::new();
    websocket::encode_frame(
        &mut out,
        opcode::TEXT,
        big.to_string().as_bytes(),
        Some([1, 2, 3, 4]),
    );
    // The device may close while we still write; what it sent before closing is what counts.
    let _ = ws.s.write_all(&out);
    let mut chunk = [0u8; 4096];
    loop {
        match ws.dec.next_message().unwrap() {
            Some(Message::Close(code, _)) => {
                assert_eq!(code, Some(1009));
                break;
            }
            Some(other) => panic!("unexpected {other:?}"),
            None => {}
        }
        let n = ws.s.read(&mut chunk).expect("a close frame");
        assert!(n > 0, "closed without a close frame");
        ws.dec.feed(&chunk[..n]);
    }
}

#[test]
fn unanswered_script_endpoint_gets_504_after_10_seconds() {
    let d = start();
    let (_, f) = Http::connect(&d).rpc("Script.Create", json!({"name": "mute"}));
    let id = f["result"]["id"].as_u64().unwrap();
    let code = r#"HTTPServer.registerEndpoint("mute", function (req, res) {});"#;
    result(&d, "Script.PutCode", json!({"id": id, "code": code}));
    result(&d, "Script.Start", json!({"id": id}));
    let t = Instant::now();
    let r = Http::connect(&d).call("GET", &format!("/script/{id}/mute"), &[], b"");
    assert_eq!(r.status, 504);
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(9_900) && took < Duration::from_secs(13),
        "{took:?}"
    );
}

/// `HTTP.GET` through the device's HTTP client: a real answer, then a peer that never answers
/// (the transaction times out after 10 s with 504 before the request's own 30 s timeout).
#[test]
fn http_get_rpc_and_transaction_timeout() {
    let peer = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let peer_port = peer.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for (i, s) in peer.incoming().enumerate() {
            let Ok(mut s) = s else { break };
            if i == 0 {
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf);
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
            } else {
                held.push(s); // Never answer.
            }
        }
    });
    let d = start();
    let mut c = Http::connect(&d);
    let url = format!("http://127.0.0.1:{peer_port}/x");
    let (status, f) = c.rpc("HTTP.GET", json!({"url": url}));
    assert_eq!(status, 200, "{f}");
    assert_eq!(
        (f["result"]["code"].as_u64(), f["result"]["body"].as_str()),
        (Some(200), Some("hello"))
    );
    let t = Instant::now();
    let (status, f) = c.rpc("HTTP.GET", json!({"url": url, "timeout": 30}));
    let took = t.elapsed();
    assert_eq!(status, 504, "{f}");
    assert_eq!(f["error"]["code"], -104);
    assert!(
        took >= Duration::from_millis(9_900) && took < Duration::from_secs(13),
        "{took:?}"
    );
}
