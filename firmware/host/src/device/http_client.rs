//! The HTTP/1.1 client of scripts (`HTTP.GET` / `HTTP.Request` / `Shelly.call("HTTP.…")`) on
//! the host: each request runs on its own worker thread with a blocking [`TcpStream`] and a
//! deadline; the result comes back through a channel as [`BoardEvent::HttpDone`], which the
//! device's network backend polls with [`HostHttpClient::poll_event`]. Plain `http://` only. The
//! URL, the request's bytes and the response parser are `ferrite_protocols::http_client`'s,
//! which the ESP32-C3 drives over smoltcp (`ferrite-net`'s `HttpLink`): only the I/O is here.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

use ferrite_protocols::http_client::{request_bytes, Response, ResponseParser, Url};

use super::worker::WakeHandle;
use ferrite_runtime::board::{
    BoardError, BoardEvent, BoardResult, HttpClient, HttpRequest, HttpResponse,
};

/// Largest response body kept (Shelly's own limit for script HTTP responses is far lower).
const MAX_RESPONSE: usize = 1024 * 1024;
/// Longest response head.
const MAX_HEAD: usize = 16 * 1024;
/// Requests running at once.
const MAX_IN_FLIGHT: usize = 8;

pub struct HostHttpClient {
    next_id: u32,
    in_flight: usize,
    /// Wakes the device loop when a request finished.
    wake: WakeHandle,
    tx: Sender<(u32, Result<HttpResponse, String>)>,
    rx: Receiver<(u32, Result<HttpResponse, String>)>,
}

impl Default for HostHttpClient {
    fn default() -> Self {
        HostHttpClient::new()
    }
}

impl HostHttpClient {
    pub fn new() -> HostHttpClient {
        let (tx, rx) = channel();
        HostHttpClient {
            next_id: 1,
            in_flight: 0,
            wake: WakeHandle::none(),
            tx,
            rx,
        }
    }

    /// Wake the device loop through `wake` when a request finishes.
    pub fn set_waker(&mut self, wake: WakeHandle) {
        self.wake = wake;
    }

    /// A finished request, if any.
    pub fn poll_event(&mut self) -> Option<BoardEvent> {
        let (id, result) = self.rx.try_recv().ok()?;
        self.in_flight = self.in_flight.saturating_sub(1);
        Some(BoardEvent::HttpDone { id, result })
    }
}

impl HttpClient for HostHttpClient {
    fn start(&mut self, request: HttpRequest) -> BoardResult<u32> {
        if self.in_flight >= MAX_IN_FLIGHT {
            return Err(BoardError::Failed(format!(
                "too many HTTP requests in progress ({MAX_IN_FLIGHT})"
            )));
        }
        let url = Url::parse(&request.url).map_err(BoardError::InvalidArgument)?;
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let tx = self.tx.clone();
        let wake = self.wake.clone();
        std::thread::Builder::new()
            .name(format!("http-{id}"))
            .spawn(move || {
                let r = perform(&url, &request);
                let _ = tx.send((id, r));
                wake.wake();
            })
            .map_err(|e| BoardError::Failed(format!("cannot start the request: {e}")))?;
        self.in_flight += 1;
        Ok(id)
    }
}

/// Run one request to completion or its deadline.
fn perform(url: &Url, req: &HttpRequest) -> Result<HttpResponse, String> {
    // Checked before connecting: a method or header name with CR, LF, spaces or colons would
    // let a script write its own request head.
    let request = request_bytes(&req.method, url, &req.headers, &req.body)?;
    let timeout = Duration::from_millis(u64::from(req.timeout_ms.max(1)));
    let deadline = Instant::now() + timeout;
    let addr = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", url.host))?
        .next()
        .ok_or_else(|| format!("no address for {}", url.host))?;
    let mut s = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| format!("cannot connect to {}:{}: {e}", url.host, url.port))?;
    let left = || {
        deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    };
    s.set_write_timeout(Some(left()))
        .map_err(|e| e.to_string())?;
    s.write_all(&request)
        .map_err(|e| format!("sending the request failed: {e}"))?;
    let mut parser = ResponseParser::new(MAX_HEAD, MAX_RESPONSE);
    let mut buf = [0u8; 8192];
    loop {
        if Instant::now() >= deadline {
            return Err(format!("timeout after {} ms", req.timeout_ms));
        }
        s.set_read_timeout(Some(left()))
            .map_err(|e| e.to_string())?;
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if let Some(resp) = parser.feed(&buf[..n], false)? {
                    return Ok(into_board(resp));
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(format!("timeout after {} ms", req.timeout_ms));
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("receiving the response failed: {e}")),
        }
    }
    parser
        .feed(&[], true)?
        .map(into_board)
        .ok_or_else(|| "the connection closed before the response was complete".into())
}

/// The parsed response as the runtime takes it.
fn into_board(r: Response) -> HttpResponse {
    HttpResponse {
        code: r.code,
        message: r.message,
        headers: r.headers,
        body: r.body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn methods_and_header_names_must_be_tokens() {
        // Nothing may be sent: the listener would see a connection.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let url = Url::parse(&format!("http://{}/x", l.local_addr().unwrap())).unwrap();
        let req = |method: &str, name: &str| HttpRequest {
            method: method.into(),
            url: String::new(),
            headers: vec![(name.into(), "v".into())],
            body: vec![],
            timeout_ms: 500,
        };
        for (m, h) in [
            ("GET /evil HTTP/1.1\r\nX-A: b\r\n\r\nGET", "X-Ok"),
            ("", "X-Ok"),
            ("GET", "X-A: b\r\nX-Evil"),
            ("GET", "Bad Name"),
            ("GET", ""),
        ] {
            let e = perform(&url, &req(m, h)).unwrap_err();
            assert!(e.starts_with("invalid "), "{e}");
        }
        assert!(l.accept().is_err(), "nothing was sent");
    }

    fn wait(c: &mut HostHttpClient) -> BoardEvent {
        let t = Instant::now();
        loop {
            if let Some(e) = c.poll_event() {
                return e;
            }
            assert!(t.elapsed() < Duration::from_secs(10), "no answer");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn request_round_trip_and_timeout() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            // First connection: answer. Second: say nothing (timeout).
            let (mut s, _) = l.accept().unwrap();
            let mut buf = [0u8; 4096];
            let mut got = Vec::new();
            while !got.windows(4).any(|w| w == b"\r\n\r\n") || !got.ends_with(b"ping") {
                let n = s.read(&mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
            }
            s.write_all(b"HTTP/1.1 201 Created\r\nX-A: b\r\nContent-Length: 4\r\n\r\npong")
                .unwrap();
            let (s2, _) = l.accept().unwrap();
            std::thread::sleep(Duration::from_millis(600));
            drop(s2);
            String::from_utf8(got).unwrap()
        });
        let mut c = HostHttpClient::new();
        let id = c
            .start(HttpRequest {
                method: "POST".into(),
                url: format!("http://127.0.0.1:{port}/x?y=1"),
                headers: vec![("Content-Type".into(), "text/plain".into())],
                body: b"ping".to_vec(),
                timeout_ms: 5000,
            })
            .unwrap();
        let BoardEvent::HttpDone { id: got_id, result } = wait(&mut c) else {
            panic!()
        };
        assert_eq!(got_id, id);
        let r = result.unwrap();
        assert_eq!((r.code, r.body.as_slice()), (201, &b"pong"[..]));
        assert_eq!(r.headers[0], ("X-A".to_string(), "b".to_string()));
        let id2 = c
            .start(HttpRequest {
                method: "GET".into(),
                url: format!("http://127.0.0.1:{port}/slow"),
                headers: vec![],
                body: vec![],
                timeout_ms: 200,
            })
            .unwrap();
        let BoardEvent::HttpDone { id: got2, result } = wait(&mut c) else {
            panic!()
        };
        assert_eq!(got2, id2);
        assert!(result.unwrap_err().contains("timeout"));
        let sent = server.join().unwrap();
        assert!(sent.starts_with("POST /x?y=1 HTTP/1.1\r\n"), "{sent}");
        assert!(sent.contains(&format!("Host: 127.0.0.1:{port}\r\n")));
        assert!(sent.contains("Content-Length: 4\r\n"));
        // Nothing listens on a closed port.
        let closed = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        c.start(HttpRequest {
            method: "GET".into(),
            url: format!("http://127.0.0.1:{closed}/"),
            headers: vec![],
            body: vec![],
            timeout_ms: 1000,
        })
        .unwrap();
        let BoardEvent::HttpDone { result, .. } = wait(&mut c) else {
            panic!()
        };
        assert!(result.unwrap_err().contains("cannot connect"));
    }
}
