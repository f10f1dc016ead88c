//! The chip's network code end to end on the host: the RPC server behind smoltcp sockets, with
//! clients connecting over smoltcp's loopback device in the same interface — real TCP
//! (handshake, windows, FIN), only the radio is missing.

mod support;

use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State;

use ferrite_net::{CLIENTS, SLOTS};
use support::{Device, DEVICE_IP};

struct Rig {
    dev: Device,
    /// The link is associated (the radio's view).
    associated: bool,
}

impl Rig {
    fn new() -> Rig {
        Rig {
            dev: Device::boot(|_| {}),
            associated: true,
        }
    }

    /// One round of a target's main loop, 1 ms later.
    fn round(&mut self) {
        self.dev.round(1, self.associated);
    }

    fn client(&mut self, rx_window: usize) -> SocketHandle {
        let stack = self.dev.net.stack();
        let h = stack.add_tcp(rx_window, 8192);
        stack.tcp_connect(h, DEVICE_IP, 80).expect("connect");
        h
    }

    /// Send `request` on a new connection and read until the device closes it.
    fn exchange(&mut self, request: &[u8], rx_window: usize) -> String {
        self.exchange_with(request, rx_window, false)
    }

    /// [`Rig::exchange`]; with `half_close`, the client sends its FIN right behind the request
    /// (as `nc -N`, or a client that shuts down its sending side) and only reads afterwards.
    fn exchange_with(&mut self, request: &[u8], rx_window: usize, half_close: bool) -> String {
        let h = self.client(rx_window);
        let mut sent = 0;
        let mut got = Vec::new();
        for _ in 0..5_000 {
            self.round();
            let socket = self.dev.net.stack().tcp(h);
            if sent < request.len() && socket.can_send() {
                sent += socket.send_slice(&request[sent..]).unwrap();
                if half_close && sent == request.len() {
                    socket.close();
                }
            }
            support::read_into(socket, &mut got);
            if sent == request.len() && !socket.may_recv() && socket.state() != State::SynSent {
                socket.close();
                return String::from_utf8(got).unwrap();
            }
        }
        panic!(
            "no complete answer; got {:?}",
            String::from_utf8_lossy(&got)
        );
    }
}

fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

#[test]
fn shelly_and_rpc_are_answered_over_tcp() {
    let mut rig = Rig::new();
    let r = rig.exchange(
        b"GET /shelly HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n",
        8192,
    );
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    let info: serde_json::Value = serde_json::from_str(body(&r)).unwrap();
    assert_eq!(info["id"], "ferrite-000000000000", "{r}");

    let call = br#"{"id":7,"src":"t","method":"Sys.GetStatus"}"#;
    let mut req = format!(
        "POST /rpc HTTP/1.1\r\nHost: d\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        call.len()
    )
    .into_bytes();
    req.extend_from_slice(call);
    let r = rig.exchange(&req, 8192);
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    let frame: serde_json::Value = serde_json::from_str(body(&r)).unwrap();
    assert_eq!(frame["id"], 7);
    assert_eq!(frame["dst"], "t");
    assert!(frame["result"]["uptime"].is_number(), "{frame}");
}

#[test]
fn sockets_listen_again_after_each_connection() {
    let mut rig = Rig::new();
    // Many more connections than sockets, one after the other, each closed by the device
    // first: every socket must be listening again at once (not after TIME-WAIT's 10 s).
    for i in 0..(3 * SLOTS) {
        let r = rig.exchange(
            b"GET /rpc/Shelly.GetDeviceInfo HTTP/1.1\r\nConnection: close\r\n\r\n",
            8192,
        );
        assert!(r.starts_with("HTTP/1.1 200"), "connection {i}: {r}");
        // Let the closed sockets finish their close handshake.
        for _ in 0..10 {
            rig.round();
        }
    }
}

#[test]
fn a_request_followed_at_once_by_the_clients_fin_is_answered() {
    let mut rig = Rig::new();
    rig.round();
    // Twice per socket, so a socket left stuck would show.
    for i in 0..(2 * SLOTS) {
        // The handshake, the request and the client's FIN all reach the device's socket
        // before the listener looks at it (one poll of the stack handles every queued frame,
        // as on the radio): it is in CLOSE-WAIT when the listener first sees it.
        let h = rig.client(8192);
        let now = rig.dev.now();
        let stack = rig.dev.net.stack();
        for _ in 0..10 {
            stack.transmit(now);
        }
        let socket = stack.tcp(h);
        assert_eq!(socket.state(), State::Established);
        socket.send_slice(b"GET /shelly HTTP/1.1\r\n\r\n").unwrap();
        socket.close();
        for _ in 0..10 {
            stack.transmit(now);
        }
        let mut got = Vec::new();
        for _ in 0..1_000 {
            rig.round();
            let socket = rig.dev.net.stack().tcp(h);
            support::read_into(socket, &mut got);
            if !socket.may_recv() {
                break;
            }
        }
        let r = String::from_utf8_lossy(&got);
        assert!(r.starts_with("HTTP/1.1 200"), "connection {i}: {r:?}");
        for _ in 0..10 {
            rig.round();
        }
    }
}

#[test]
fn a_full_device_closes_its_least_recently_active_idle_client_for_a_new_one() {
    let mut rig = Rig::new();
    // As many clients as the device serves, connected and idle (a browser's kept-alive
    // connections), the first one longest.
    let idle: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let h = rig.client(8192);
            for _ in 0..5 {
                rig.round();
            }
            h
        })
        .collect();
    for &h in &idle {
        assert_eq!(rig.dev.net.stack().tcp(h).state(), State::Established);
    }
    // One more: answered, and the oldest idle client was closed for it.
    let r = rig.exchange(b"GET /shelly HTTP/1.1\r\nConnection: close\r\n\r\n", 8192);
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert!(!rig.dev.net.stack().tcp(idle[0]).may_recv());
    for &h in &idle[1..] {
        assert_eq!(rig.dev.net.stack().tcp(h).state(), State::Established);
    }
}

#[test]
fn pipelined_requests_before_the_fin_are_all_answered() {
    let mut rig = Rig::new();
    // Three requests and the FIN in one go: the server must read all three before it hears
    // that the client is done.
    let one = "GET /rpc/Sys.GetStatus HTTP/1.1\r\n\r\n";
    let r = rig.exchange_with(one.repeat(3).as_bytes(), 8192, true);
    assert_eq!(r.matches("HTTP/1.1 200").count(), 3, "{r}");
}

#[test]
fn large_requests_and_answers_pass_through_small_windows() {
    let mut rig = Rig::new();
    let r = rig.exchange(
        &post(r#"{"id":1,"method":"Script.Create","params":{"name":"big"}}"#),
        8192,
    );
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    // 12 KB of code: six times the device socket's receive window.
    let code = "let x = 1;\n".repeat(1_100);
    let call = format!(
        r#"{{"id":2,"method":"Script.PutCode","params":{{"id":1,"code":{}}}}}"#,
        serde_json::to_string(&code).unwrap()
    );
    let r = rig.exchange(&post(&call), 8192);
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    // The answer through a client window of 256 bytes: sent in many pieces, whole.
    let r = rig.exchange(
        b"GET /rpc/Script.GetCode?id=1&offset=0&len=2048 HTTP/1.1\r\nConnection: close\r\n\r\n",
        256,
    );
    let got: serde_json::Value = serde_json::from_str(body(&r)).unwrap();
    assert_eq!(got["data"].as_str().unwrap(), &code[..2048]);
    assert_eq!(got["left"], code.len() - 2048);
}

fn post(call: &str) -> Vec<u8> {
    format!(
        "POST /rpc HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{call}",
        call.len()
    )
    .into_bytes()
}

#[test]
fn a_websocket_client_is_answered_on_one_long_lived_connection() {
    use ferrite_protocols::websocket::{encode_frame, opcode, Decoder, Message};
    let mut rig = Rig::new();
    let h = rig.client(8192);
    let mut out = b"GET /rpc HTTP/1.1\r\nHost: d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        .to_vec();
    for id in 1..=3 {
        let call = format!(r#"{{"id":{id},"src":"ws-test","method":"Sys.GetStatus"}}"#);
        encode_frame(&mut out, opcode::TEXT, call.as_bytes(), Some([1, 2, 3, 4]));
    }
    let mut sent = 0;
    let mut head = Vec::new();
    let mut upgraded = false;
    let mut decoder = Decoder::client(64 * 1024);
    let mut answers = Vec::new();
    for _ in 0..2_000 {
        rig.round();
        let socket = rig.dev.net.stack().tcp(h);
        if sent < out.len() && socket.can_send() {
            sent += socket.send_slice(&out[sent..]).unwrap();
        }
        let mut data = Vec::new();
        support::read_into(socket, &mut data);
        if upgraded {
            decoder.feed(&data);
        } else {
            head.extend_from_slice(&data);
            if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                assert!(
                    head.starts_with(b"HTTP/1.1 101"),
                    "{}",
                    String::from_utf8_lossy(&head)
                );
                decoder.feed(&head[end + 4..]);
                upgraded = true;
            }
        }
        while let Ok(Some(m)) = decoder.next_message() {
            if let Message::Text(t) = m {
                let frame: serde_json::Value = serde_json::from_str(&t).unwrap();
                if frame["dst"] == "ws-test" && frame["result"]["uptime"].is_number() {
                    answers.push(frame["id"].as_u64().unwrap());
                }
            }
        }
        if answers.len() == 3 {
            assert_eq!(answers, [1, 2, 3]);
            // Still open: WebSockets are not closed after an answer.
            assert_eq!(rig.dev.net.stack().tcp(h).state(), State::Established);
            return;
        }
    }
    panic!("answers: {answers:?}");
}

#[test]
fn losing_the_link_drops_connections_and_the_address() {
    let mut rig = Rig::new();
    let h = rig.client(8192);
    for _ in 0..20 {
        rig.round();
    }
    assert_eq!(rig.dev.net.stack().tcp(h).state(), State::Established);
    // A link that goes down ends every connection the server had (the device's side is
    // aborted; its reset reaches the client once the link is back).
    rig.associated = false;
    rig.round();
    rig.associated = true;
    for _ in 0..20 {
        rig.round();
    }
    assert_ne!(rig.dev.net.stack().tcp(h).state(), State::Established);
    // New connections are served again.
    let r = rig.exchange(b"GET /shelly HTTP/1.1\r\nConnection: close\r\n\r\n", 8192);
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
}

#[test]
fn output_to_connections_the_link_dropped_is_not_waited_for() {
    let mut rig = Rig::new();
    // A client that reads nothing: the device's answer fills its 64-byte window and waits in
    // the device's socket.
    let h = rig.client(64);
    let request = b"GET /rpc/Shelly.GetDeviceInfo HTTP/1.1\r\n\r\n";
    let mut sent = 0;
    for _ in 0..50 {
        rig.round();
        let socket = rig.dev.net.stack().tcp(h);
        if sent < request.len() && socket.can_send() {
            sent += socket.send_slice(&request[sent..]).unwrap();
        }
    }
    assert_eq!(sent, request.len());
    assert!(rig.dev.net.pending(), "the answer is on its way");
    // The link drops: the connection is aborted, and what it held can never go out. A reboot
    // that waits for output to be acknowledged (the chip's `Sys.Reboot`) must not wait on it.
    rig.associated = false;
    rig.round();
    assert!(
        !rig.dev.net.pending(),
        "an aborted connection's output is not pending"
    );
}
