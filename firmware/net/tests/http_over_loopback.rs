//! Scripts' HTTP client on the chip, end to end on the host: `SharedHttp` (the runtime's
//! `HttpClient`) and `HttpLink` over smoltcp sockets, talking to an HTTP server played by the
//! test on listening sockets in the same interface, over smoltcp's loopback device.

mod support;

use ferrite_net::{CHIP_HTTP_LIMITS, HTTP_SOCKETS, ON_LINK_ANSWER_MS};
use ferrite_runtime::board::{BoardEvent, HttpClient, HttpRequest, HttpResponse, Sockets};
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State;

use support::Device;

const PORT: u16 = 8080;
/// Nothing listens here.
const CLOSED_PORT: u16 = 8081;
/// Rounds of 10 ms before a test gives up waiting (60 s of virtual time).
const ROUNDS: usize = 6_000;

struct Rig {
    dev: Device,
    /// The server's listening sockets (one connection each).
    servers: Vec<SocketHandle>,
    /// What each server socket received.
    inbox: Vec<Vec<u8>>,
    /// `HttpDone` events, as (id, result).
    done: Vec<(u32, Result<HttpResponse, String>)>,
}

impl Rig {
    fn new() -> Rig {
        let mut servers = Vec::new();
        let dev = Device::boot(|stack| {
            for _ in 0..HTTP_SOCKETS {
                let h = stack.add_tcp(4096, 4096);
                stack.tcp(h).listen(PORT).unwrap();
                servers.push(h);
            }
        });
        let inbox = vec![Vec::new(); servers.len()];
        Rig {
            dev,
            servers,
            inbox,
            done: Vec::new(),
        }
    }

    fn round(&mut self) {
        self.round_on(true);
    }

    fn round_on(&mut self, associated: bool) {
        self.dev.round(10, associated);
        while let Some(e) = self.dev.http.take_event() {
            match e {
                BoardEvent::HttpDone { id, result } => self.done.push((id, result)),
                other => panic!("unexpected event {other:?}"),
            }
        }
        for (i, h) in self.servers.iter().enumerate() {
            support::read_into(self.dev.net.stack().tcp(*h), &mut self.inbox[i]);
        }
    }

    fn start(&mut self, method: &str, path: &str, body: &[u8], timeout_ms: u32) -> u32 {
        self.dev
            .http
            .start(request(
                method,
                &format!("http://127.0.0.1:{PORT}{path}"),
                body,
                timeout_ms,
            ))
            .unwrap()
    }

    /// Run until a server socket holds a whole request (head, and body by its
    /// Content-Length); returns the socket's index and the request.
    fn server_reads(&mut self) -> (usize, String) {
        for _ in 0..ROUNDS {
            for (i, inbox) in self.inbox.iter_mut().enumerate() {
                let Some(end) = inbox.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8(inbox[..end + 4].to_vec()).unwrap();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .map_or(0, |n| n.parse::<usize>().unwrap());
                if inbox.len() >= end + 4 + len {
                    let text = String::from_utf8(inbox.drain(..end + 4 + len).collect()).unwrap();
                    return (i, text);
                }
            }
            self.round();
        }
        panic!("the server got no request; inboxes {:?}", self.inbox);
    }

    /// Send `data` from server socket `i`, as its buffer takes it.
    fn server_sends(&mut self, i: usize, data: &[u8]) {
        let mut sent = 0;
        for _ in 0..ROUNDS {
            let socket = self.dev.net.stack().tcp(self.servers[i]);
            if socket.can_send() {
                sent += socket.send_slice(&data[sent..]).unwrap();
            }
            if sent == data.len() {
                return;
            }
            self.round();
        }
        let state = self.dev.net.stack().tcp(self.servers[i]).state();
        panic!(
            "the server could send only {sent} of {} bytes on {i} ({state}); done {:?}",
            data.len(),
            self.done
        );
    }

    /// Close server socket `i`'s connection and listen again.
    fn server_closes(&mut self, i: usize) {
        self.dev.net.stack().tcp(self.servers[i]).close();
    }

    fn server_relistens(&mut self, i: usize) {
        let socket = self.dev.net.stack().tcp(self.servers[i]);
        socket.abort();
        socket.listen(PORT).unwrap();
    }

    /// Run until request `id` is done; it must be done exactly once.
    fn wait_done(&mut self, id: u32) -> Result<HttpResponse, String> {
        for _ in 0..ROUNDS {
            if let Some(i) = self.done.iter().position(|(d, _)| *d == id) {
                let (_, result) = self.done.remove(i);
                return result;
            }
            self.round();
        }
        panic!("request {id} never finished; done: {:?}", self.done);
    }

    /// A few more rounds: nothing else may finish.
    fn assert_quiet(&mut self) {
        for _ in 0..50 {
            self.round();
        }
        assert!(self.done.is_empty(), "extra events {:?}", self.done);
    }
}

fn request(method: &str, url: &str, body: &[u8], timeout_ms: u32) -> HttpRequest {
    HttpRequest {
        method: method.into(),
        url: url.into(),
        headers: vec![("X-Test".into(), "1".into())],
        body: body.to_vec(),
        timeout_ms,
    }
}

#[test]
fn get_with_content_length_through_small_windows() {
    let mut rig = Rig::new();
    let id = rig.start("GET", "/status?x=1", b"", 5_000);
    let (i, req) = rig.server_reads();
    assert!(req.starts_with("GET /status?x=1 HTTP/1.1\r\n"), "{req}");
    assert!(req.contains("Host: 127.0.0.1:8080\r\n"), "{req}");
    assert!(req.contains("X-Test: 1\r\n"), "{req}");
    assert!(req.contains("Connection: close\r\n"), "{req}");
    assert!(!req.contains("Content-Length"), "{req}");
    // Larger than both sockets' buffers: it takes many rounds. The server keeps the
    // connection open: the length alone ends the answer.
    let body: Vec<u8> = (0..10_000u32).map(|n| b'a' + (n % 26) as u8).collect();
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\nX-A: b\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    rig.server_sends(i, &answer);
    let r = rig.wait_done(id).unwrap();
    assert_eq!((r.code, r.message.as_str()), (200, "OK"));
    assert_eq!(r.headers[0], ("X-A".to_string(), "b".to_string()));
    assert_eq!(r.body, body);
    rig.assert_quiet();
}

#[test]
fn chunked_response_in_pieces() {
    let mut rig = Rig::new();
    let id = rig.start("GET", "/", b"", 5_000);
    let (i, req) = rig.server_reads();
    assert!(req.starts_with("GET / HTTP/1.1\r\n"), "{req}");
    rig.server_sends(
        i,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
    );
    for _ in 0..5 {
        rig.round();
    }
    assert!(rig.done.is_empty(), "complete too early: {:?}", rig.done);
    rig.server_sends(i, b"lo\r\n7;ext=1\r\n, world\r\n0\r\n\r\n");
    let r = rig.wait_done(id).unwrap();
    assert_eq!((r.code, r.body.as_slice()), (200, &b"hello, world"[..]));
    rig.assert_quiet();
}

#[test]
fn post_with_body_and_an_answer_until_close() {
    let mut rig = Rig::new();
    let id = rig.start("POST", "/rpc", b"{\"ping\":1}", 5_000);
    let (i, req) = rig.server_reads();
    assert!(req.starts_with("POST /rpc HTTP/1.1\r\n"), "{req}");
    assert!(req.contains("Content-Length: 10\r\n"), "{req}");
    assert!(req.ends_with("\r\n\r\n{\"ping\":1}"), "{req}");
    // No length: the answer lasts until the server closes.
    rig.server_sends(i, b"HTTP/1.0 201 Created\r\n\r\npong");
    for _ in 0..5 {
        rig.round();
    }
    assert!(
        rig.done.is_empty(),
        "complete before the close: {:?}",
        rig.done
    );
    rig.server_closes(i);
    let r = rig.wait_done(id).unwrap();
    assert_eq!((r.code, r.message.as_str()), (201, "Created"));
    assert_eq!(r.body, b"pong");
    rig.assert_quiet();
}

#[test]
fn a_server_that_never_answers_times_out() {
    let mut rig = Rig::new();
    let started = rig.dev.now();
    let id = rig.start("GET", "/slow", b"", 300);
    let (i, _) = rig.server_reads();
    let e = rig.wait_done(id).unwrap_err();
    assert_eq!(e, "timeout after 300 ms");
    let took = rig.dev.now() - started;
    assert!((300..=330).contains(&took), "timed out after {took} ms");
    // The link dropped the connection: the server sees it reset.
    for _ in 0..5 {
        rig.round();
    }
    let state = rig.dev.net.stack().tcp(rig.servers[i]).state();
    assert!(matches!(state, State::Closed | State::Listen), "{state}");
    rig.assert_quiet();
}

/// Requests to a host that went away (on the subnet, its address no longer resolves) time out,
/// and the sockets they held take the next requests: smoltcp retries their resets for good,
/// as nothing can be sent to that host.
#[test]
fn requests_to_a_host_that_went_away_free_their_sockets() {
    let mut rig = Rig::new();
    let gone: Vec<u32> = (0..HTTP_SOCKETS)
        .map(|_| {
            rig.dev
                .http
                .start(request("GET", "http://127.0.0.9:8080/", b"", 300))
                .unwrap()
        })
        .collect();
    for id in gone {
        assert_eq!(rig.wait_done(id).unwrap_err(), "timeout after 300 ms");
    }
    // Idle, the sockets give their resets up too: they would hold up every other socket's
    // ARP requests (the interface sends one a second), here a script's connection's.
    for _ in 0..150 {
        rig.round();
    }
    let c = rig.dev.sockets.tcp_connect("127.0.0.1", PORT).unwrap();
    let deadline = rig.dev.now() + 5_000;
    assert!(
        rig.dev.connects_by(c, deadline),
        "the script's connection got no ARP answer"
    );
    rig.dev.sockets.close(c);
    for i in 0..HTTP_SOCKETS {
        rig.server_relistens(i);
    }
    for _ in 0..HTTP_SOCKETS {
        let id = rig.start("GET", "/after", b"", 5_000);
        let (i, _) = rig.server_reads();
        rig.server_sends(i, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assert_eq!(rig.wait_done(id).unwrap().body, b"ok");
        rig.server_relistens(i);
    }
    rig.assert_quiet();
}

/// A request to a host on the local network that is not there (no answer to the address
/// lookup, ARP) fails after 3 s with its reason, not at its own 10 s limit: until then its
/// lookups come first for the interface's one ARP request a second.
#[test]
fn a_request_to_an_absent_host_on_the_local_network_fails_in_three_seconds() {
    let mut rig = Rig::new();
    let started = rig.dev.now();
    let id = rig
        .dev
        .http
        .start(request("GET", "http://127.0.0.9:8080/", b"", 10_000))
        .unwrap();
    assert_eq!(
        rig.wait_done(id).unwrap_err(),
        "cannot connect to 127.0.0.9:8080: no answer on the local network in 3 s (is it on?)"
    );
    let took = rig.dev.now() - started;
    assert!(
        (ON_LINK_ANSWER_MS..ON_LINK_ANSWER_MS + 100).contains(&took),
        "failed after {took} ms"
    );
    rig.assert_quiet();
}

#[test]
fn a_refused_connection_and_bad_requests_are_errors() {
    let mut rig = Rig::new();
    let id = rig
        .dev
        .http
        .start(request(
            "GET",
            &format!("http://127.0.0.1:{CLOSED_PORT}/"),
            b"",
            5_000,
        ))
        .unwrap();
    let e = rig.wait_done(id).unwrap_err();
    assert!(e.starts_with("cannot connect to 127.0.0.1:8081"), "{e}");
    // Refused at once: not https, no URL.
    let e = rig
        .dev
        .http
        .start(request("GET", "https://127.0.0.1/", b"", 5_000))
        .unwrap_err();
    assert!(format!("{e:?}").contains("only http://"), "{e:?}");
    // A method that would write its own head: the request's own answer, nothing sent.
    let id = rig
        .dev
        .http
        .start(request(
            "GET / HTTP/1.1\r\nX: y\r\n\r\nGET",
            "http://127.0.0.1:8080/",
            b"",
            5_000,
        ))
        .unwrap();
    let e = rig.wait_done(id).unwrap_err();
    assert!(e.starts_with("invalid method"), "{e}");
    rig.assert_quiet();
    assert!(rig.inbox.iter().all(Vec::is_empty), "{:?}", rig.inbox);
}

#[test]
fn an_answer_larger_than_the_limit_is_an_error() {
    let mut rig = Rig::new();
    let id = rig.start("GET", "/big", b"", 5_000);
    let (i, _) = rig.server_reads();
    let too_big = CHIP_HTTP_LIMITS.max_body + 1;
    rig.server_sends(
        i,
        format!("HTTP/1.1 200 OK\r\nContent-Length: {too_big}\r\n\r\n").as_bytes(),
    );
    let e = rig.wait_done(id).unwrap_err();
    assert!(e.contains("larger than 16384"), "{e}");
    rig.assert_quiet();
}

#[test]
fn more_requests_than_sockets_wait_then_the_rest_are_busy() {
    let mut rig = Rig::new();
    let capacity = HTTP_SOCKETS + CHIP_HTTP_LIMITS.max_waiting;
    let ids: Vec<u32> = (0..capacity)
        .map(|n| rig.start("GET", &format!("/n{n}"), b"", 10_000))
        .collect();
    let e = rig
        .dev
        .http
        .start(request("GET", "http://127.0.0.1:8080/over", b"", 10_000))
        .unwrap_err();
    assert!(format!("{e:?}").contains("busy"), "{e:?}");
    // Each is answered as it reaches the server, one socket freeing the next.
    let mut seen = Vec::new();
    for _ in 0..capacity {
        let (i, req) = rig.server_reads();
        let path = req.split(' ').nth(1).unwrap().to_string();
        let body = format!("answer {path}");
        rig.server_sends(
            i,
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
        // Once answered, the client drops the connection: listen again for the next one.
        for _ in 0..ROUNDS {
            let state = rig.dev.net.stack().tcp(rig.servers[i]).state();
            if state != State::Established {
                break;
            }
            rig.round();
        }
        rig.server_relistens(i);
        seen.push(path);
    }
    seen.sort();
    assert_eq!(seen, ["/n0", "/n1", "/n2", "/n3"]);
    for (n, id) in ids.iter().enumerate() {
        let r = rig.wait_done(*id).unwrap();
        assert_eq!(r.body, format!("answer /n{n}").into_bytes());
    }
    rig.assert_quiet();
    // Room again.
    let id = rig.start("GET", "/again", b"", 10_000);
    let (i, _) = rig.server_reads();
    rig.server_sends(i, b"HTTP/1.1 204 No Content\r\n\r\n");
    assert_eq!(rig.wait_done(id).unwrap().code, 204);
}

#[test]
fn every_request_ends_once_when_the_link_drops() {
    let mut rig = Rig::new();
    let capacity = HTTP_SOCKETS + CHIP_HTTP_LIMITS.max_waiting;
    let ids: Vec<u32> = (0..capacity)
        .map(|n| rig.start("GET", &format!("/n{n}"), b"", 10_000))
        .collect();
    rig.server_reads();
    rig.round_on(false);
    let mut errors: Vec<(u32, String)> = rig
        .done
        .drain(..)
        .map(|(id, r)| (id, r.unwrap_err()))
        .collect();
    errors.sort();
    assert_eq!(errors.len(), capacity, "{errors:?}");
    for ((id, e), want) in errors.iter().zip(&ids) {
        assert_eq!(id, want);
        assert!(
            e == "the network connection was lost" || e == "no network (Wi-Fi is not connected)",
            "{e}"
        );
    }
    for _ in 0..50 {
        rig.round_on(false);
    }
    assert!(rig.done.is_empty(), "{:?}", rig.done);
}

#[test]
fn a_name_that_cannot_be_looked_up_is_an_error() {
    // The loopback network has no DNS server: the lookup fails, the request says which name.
    let mut rig = Rig::new();
    let id = rig
        .dev
        .http
        .start(request("GET", "http://device.invalid/", b"", 5_000))
        .unwrap();
    let e = rig.wait_done(id).unwrap_err();
    assert!(e.starts_with("cannot resolve device.invalid: "), "{e}");
    rig.assert_quiet();
}
