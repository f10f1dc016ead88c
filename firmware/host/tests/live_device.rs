//! What an IDE uses on the virtual device, over real sockets: `Log.Follow` on a `/rpc`
//! WebSocket (NotifyLog and NotifyTelemetry, and nothing of it for plain Shelly clients),
//! `Script.Eval` in the console realm, `FS.*`, and the IDE's static files at `/ide/`.

use std::io::{Read, Write};
use std::net::TcpStream;

use ferrite_protocols::websocket::Message;
use serde_json::{json, Value as Json};

mod support;

use support::ws::WsClient;
use support::{ConsoleDevice, HttpDevice, TempDir, SOH, TIMEOUT};

/// One HTTP request on a fresh connection (`Connection: close`): status, headers, body.
fn http(port: u16, method: &str, target: &str, body: &[u8]) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    let req = format!(
        "{method} {target} HTTP/1.1\r\nHost: d\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let end = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&resp[..end]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, resp[end + 4..].to_vec())
}

fn rpc_ws(ws: &mut WsClient, id: u64, method: &str, params: Json) -> Json {
    ws.send_json(&json!({"id": id, "src": "ide", "method": method, "params": params}));
    ws.recv_json_until(&format!("the answer to {method}"), |j| j["id"] == json!(id))
}

#[test]
fn log_follow_streams_log_and_telemetry_to_followers_only() {
    let d = HttpDevice::start();
    let mut ide = WsClient::connect(d.port, "/rpc");
    let mut shelly = WsClient::connect(d.port, "/rpc");
    // A Shelly client subscribes with `src` as usual.
    let r = rpc_ws(&mut shelly, 1, "Shelly.GetStatus", json!({}));
    assert!(r["result"].is_object(), "{r}");
    let r = rpc_ws(&mut ide, 1, "Log.Follow", json!({"enable": true}));
    assert_eq!(r["result"]["enable"], true, "{r}");
    assert!(r["result"]["seq"].is_u64(), "{r}");
    let r = rpc_ws(&mut ide, 2, "Log.Follow", json!({"enable": "yes"}));
    assert_eq!(r["error"]["code"], -103, "{r}");

    let id = rpc_ws(&mut ide, 3, "Script.Create", json!({"name": "pub"}))["result"]["id"]
        .as_u64()
        .unwrap();
    let code = "print('tick'); MQTT.publish('room/temp', '21.5'); Cloud.store('hum', 40);";
    rpc_ws(
        &mut ide,
        4,
        "Script.PutCode",
        json!({"id": id, "code": code}),
    );
    let r = rpc_ws(&mut ide, 5, "Script.Start", json!({"id": id}));
    assert!(r["result"].is_object(), "{r}");

    let line = ide.recv_json_until("NotifyLog tick", |j| {
        j["method"] == "NotifyLog" && j["params"]["text"] == "tick"
    });
    let p = &line["params"];
    assert_eq!(
        (p["level"].as_str(), p["script"].as_u64()),
        (Some("print"), Some(id))
    );
    assert!(
        p["ts"].is_number() && p["uptime_ms"].is_u64() && p["seq"].is_u64(),
        "{line}"
    );
    assert_eq!(line["dst"], "ide");
    let t = ide.recv_json_until("mqtt telemetry", |j| {
        j["method"] == "NotifyTelemetry" && j["params"]["source"] == "mqtt"
    });
    assert_eq!(t["params"]["name"], "room/temp");
    assert_eq!(t["params"]["value"], 21.5);
    assert_eq!(t["params"]["script"], id);
    let t = ide.recv_json_until("cloud telemetry", |j| {
        j["method"] == "NotifyTelemetry" && j["params"]["source"] == "cloud"
    });
    assert_eq!(
        (t["params"]["name"].as_str(), t["params"]["value"].as_i64()),
        (Some("hum"), Some(40))
    );

    // The Shelly client gets the script's status change, and neither log nor telemetry: ask
    // for something after the script ran and read everything up to the answer.
    rpc_ws(&mut ide, 6, "Script.Stop", json!({"id": id}));
    shelly.send_json(&json!({"id": 99, "src": "shelly", "method": "Sys.GetStatus"}));
    let mut seen = Vec::new();
    loop {
        match shelly.recv() {
            Some(Message::Text(t)) => {
                let j: Json = serde_json::from_str(&t).unwrap();
                if j["id"] == 99 {
                    break;
                }
                seen.push(j);
            }
            Some(_) => {}
            None => panic!("closed"),
        }
    }
    assert!(
        seen.iter().any(|j| j["method"] == "NotifyStatus"),
        "the Shelly client still gets NotifyStatus: {seen:?}"
    );
    assert!(
        seen.iter()
            .all(|j| j["method"] != "NotifyLog" && j["method"] != "NotifyTelemetry"),
        "{seen:?}"
    );

    // Over plain HTTP there is no channel to follow on.
    let (status, _, body) = http(
        d.port,
        "POST",
        "/rpc",
        br#"{"id":1,"method":"Log.Follow","params":{"enable":true}}"#,
    );
    let j: Json = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, j["error"]["code"].as_i64()),
        (503, Some(-114)),
        "{j}"
    );
}

#[test]
fn script_eval_in_the_console_realm_and_files_over_websocket() {
    let d = HttpDevice::start();
    let mut ws = WsClient::connect(d.port, "/rpc");
    rpc_ws(&mut ws, 1, "Log.Follow", json!({}));
    let r = rpc_ws(
        &mut ws,
        2,
        "Script.Eval",
        json!({"id": 0, "code": "var g = 6; print('p'); g * 7"}),
    );
    assert_eq!(r["result"], json!({"result": "42"}), "{r}");
    let r = rpc_ws(&mut ws, 3, "Script.Eval", json!({"id": 0, "code": "g"}));
    assert_eq!(r["result"]["result"], "6", "globals persist: {r}");
    let r = rpc_ws(
        &mut ws,
        4,
        "Script.Eval",
        json!({"id": 0, "code": "throw new Error('boom')"}),
    );
    assert_eq!(r["error"]["code"], -113, "{r}");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("boom"),
        "{r}"
    );
    let id = rpc_ws(&mut ws, 5, "Script.Create", json!({"name": "f"}))["result"]["id"]
        .as_u64()
        .unwrap();
    rpc_ws(
        &mut ws,
        6,
        "Script.PutCode",
        json!({"id": id, "code": "let x = 1;"}),
    );
    let r = rpc_ws(&mut ws, 7, "FS.List", json!({"prefix": "scripts/"}));
    let files = r["result"]["files"].as_array().unwrap();
    assert!(
        files.contains(&json!({"name": format!("scripts/{id}.js"), "size": 10})),
        "{r}"
    );
    let r = rpc_ws(
        &mut ws,
        8,
        "FS.Get",
        json!({"name": format!("scripts/{id}.js")}),
    );
    assert_eq!(r["result"]["data"], "let x = 1;", "{r}");
    let r = rpc_ws(&mut ws, 9, "FS.Get", json!({"name": "../.ferrite-lock"}));
    assert_eq!(r["error"]["code"], -103, "{r}");
    let r = rpc_ws(&mut ws, 10, "FS.Get", json!({"name": ".ferrite-lock"}));
    assert_eq!(
        r["error"]["code"], -103,
        "the lock file is the device's own: {r}"
    );
}

#[test]
fn console_in_rpc_mode_gets_telemetry_and_evals_in_its_realm() {
    let data = TempDir::new("console-telemetry");
    let mut dev = ConsoleDevice::start(data.path(), &[]);
    dev.request(1, "Console.SetMode", json!({"mode": "rpc"}));
    let r = dev.request(
        2,
        "Script.Eval",
        json!({"id": 0, "code": "MQTT.publish('t/x', 'on'); 1 + 1"}),
    );
    assert_eq!(r["result"]["result"], "2", "{r}");
    let t = dev.wait_frame("NotifyTelemetry", |f| f["method"] == "NotifyTelemetry");
    assert_eq!(
        (
            t["params"]["name"].as_str(),
            t["params"]["value"].as_str(),
            t["params"]["script"].as_u64()
        ),
        (Some("t/x"), Some("on"), Some(0)),
        "{t}"
    );
    // In human mode no frames are sent for it.
    dev.request(3, "Console.SetMode", json!({"mode": "human"}));
    let before = dev.output().matches("NotifyTelemetry").count();
    let r = dev.request(
        4,
        "Script.Eval",
        json!({"id": 0, "code": "MQTT.publish('t/y', '1'); 'done'"}),
    );
    assert_eq!(r["result"]["result"], "done");
    dev.request(5, "Console.GetMode", json!({}));
    assert_eq!(dev.output().matches("NotifyTelemetry").count(), before);
    assert!(dev.output().contains(SOH), "frames were seen");
}

#[test]
fn the_device_serves_the_ide_at_slash_ide() {
    // DIR/site is served; DIR/secret-outside and DIR/outside/passwd are where escapes lead.
    let dir = TempDir::new("ide-site");
    let site = TempDir(dir.path().join("site"));
    std::fs::create_dir_all(site.path().join("assets")).unwrap();
    std::fs::write(
        site.path().join("index.html"),
        "<!doctype html><title>IDE</title>",
    )
    .unwrap();
    let wasm = vec![0u8; 700 * 1024]; // larger than the connection's output limit at once
    std::fs::write(site.path().join("assets/app_bg.wasm"), &wasm).unwrap();
    std::fs::write(site.path().join("assets/app.js"), "export {}").unwrap();
    std::fs::write(dir.path().join("secret-outside"), "root").unwrap();
    std::fs::create_dir_all(dir.path().join("outside")).unwrap();
    std::fs::write(dir.path().join("outside/passwd"), "root").unwrap();
    let d = HttpDevice::start_with(&["--ide", site.path().to_str().unwrap()]);
    // A password on the device does not lock the IDE's files.
    let id = {
        let (_, _, b) = http(d.port, "GET", "/shelly", b"");
        serde_json::from_slice::<Json>(&b).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let ha1 = ferrite_protocols::sha::hex_lower(&ferrite_protocols::sha::Sha256::digest(
        format!("admin:{id}:pw").as_bytes(),
    ));
    let set = json!({"id": 1, "method": "Shelly.SetAuth", "params": {"user": "admin", "realm": id, "ha1": ha1}});
    let (status, _, _) = http(d.port, "POST", "/rpc", set.to_string().as_bytes());
    assert_eq!(status, 200);

    let (status, head, body) = http(d.port, "GET", "/ide/", b"");
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("Content-Type: text/html"), "{head}");
    assert_eq!(body, b"<!doctype html><title>IDE</title>");
    let (status, head, body) = http(d.port, "GET", "/ide/assets/app_bg.wasm", b"");
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("Content-Type: application/wasm"), "{head}");
    assert_eq!(body.len(), wasm.len());
    let (_, head, _) = http(d.port, "GET", "/ide/assets/app.js?v=3", b"");
    assert!(head.contains("Content-Type: text/javascript"), "{head}");
    let (status, head, body) = http(d.port, "HEAD", "/ide/assets/app_bg.wasm", b"");
    assert_eq!(status, 200);
    assert!(
        head.contains(&format!("Content-Length: {}", wasm.len())),
        "{head}"
    );
    assert!(body.is_empty());
    let (status, head, _) = http(d.port, "GET", "/ide", b"");
    assert_eq!(status, 301);
    assert!(head.contains("Location: /ide/"), "{head}");
    let (status, _, _) = http(d.port, "GET", "/ide/missing.js", b"");
    assert_eq!(status, 404);
    // A directory without its slash: redirected, so its relative URLs resolve inside it.
    let (status, head, _) = http(d.port, "GET", "/ide/assets", b"");
    assert_eq!(status, 301);
    assert!(head.contains("Location: /ide/assets/"), "{head}");
    // Each of these would reach an existing file outside the site if the check were broken.
    for bad in [
        "/ide/../secret-outside",
        "/ide/%2e%2e/secret-outside",
        "/ide/..%2fsecret-outside",
        "/ide/..%2foutside/passwd",
        "/ide/assets/%2e%2e/%2e%2e/outside/passwd",
        "/ide/%2e%2e/%2e%2e/etc/passwd",
    ] {
        let (status, _, body) = http(d.port, "GET", bad, b"");
        assert_eq!(status, 403, "{bad}");
        assert_ne!(body, b"root", "{bad}");
    }
    let (status, _, _) = http(d.port, "POST", "/ide/index.html", b"x");
    assert_eq!(status, 405);
    // RPC still needs the password.
    let (status, _, _) = http(d.port, "GET", "/rpc/Script.List", b"");
    assert_eq!(status, 401);

    // Several requests on one keep-alive connection, the big file in the middle.
    let mut s = TcpStream::connect(("127.0.0.1", d.port)).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    s.write_all(
        b"GET /ide/assets/app_bg.wasm HTTP/1.1\r\nHost: d\r\n\r\n\
          GET /ide/assets/app.js HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    assert!(
        all.ends_with(b"export {}"),
        "the second answer follows the whole first one"
    );
    assert!(all.len() > wasm.len());
}
