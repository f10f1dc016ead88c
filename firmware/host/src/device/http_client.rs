//! The HTTP/1.1 client of scripts (`HTTP.GET` / `HTTP.Request` / `Shelly.call("HTTP.…")`) on
//! the host: each request runs on its own worker thread with a blocking [`TcpStream`] and a
//! deadline; the result comes back through a channel as [`BoardEvent::HttpDone`], which the
//! device's network backend polls with [`HostHttpClient::poll_event`]. Plain `http://` only.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

use ferrite_protocols::http::{header_value, is_token};

use super::worker::WakeHandle;
use ferrite_runtime::board::{
    BoardError, BoardEvent, BoardResult, HttpClient, HttpRequest, HttpResponse,
};

/// Largest response body kept (Shelly's own limit for script HTTP responses is far lower).
const MAX_RESPONSE: usize = 1024 * 1024;
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

/// The parts of an `http://host[:port]/path` URL.
#[derive(Debug, PartialEq)]
struct Url {
    host: String,
    port: u16,
    /// Path and query, at least `/`.
    target: String,
}

impl Url {
    fn parse(url: &str) -> Result<Url, String> {
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(format!("{scheme}:// is not supported (only http://)"))
            }
            None => return Err(format!("`{url}` is not an http:// URL")),
        };
        let (authority, target) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        if authority.contains('@') {
            return Err("credentials in the URL are not supported".into());
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => {
                let port = p.parse().map_err(|_| format!("invalid port `{p}`"))?;
                (h, port)
            }
            _ => (authority, 80),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(format!("no host in `{url}`"));
        }
        Ok(Url {
            host: host.into(),
            port,
            target: target.chars().filter(|c| !c.is_whitespace()).collect(),
        })
    }
}

/// Run one request to completion or its deadline.
fn perform(url: &Url, req: &HttpRequest) -> Result<HttpResponse, String> {
    // A method or header name with CR, LF, spaces or colons would let a script write its own
    // request head.
    if !is_token(&req.method) {
        return Err(format!("invalid method {:?}", req.method));
    }
    if let Some((k, _)) = req.headers.iter().find(|(k, _)| !is_token(k)) {
        return Err(format!("invalid header name {k:?}"));
    }
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
    let mut head = format!(
        "{} {} HTTP/1.1\r\n",
        req.method.to_ascii_uppercase(),
        url.target
    );
    let has = |n: &str| req.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
    if !has("host") {
        if url.port == 80 {
            head.push_str(&format!("Host: {}\r\n", url.host));
        } else {
            head.push_str(&format!("Host: {}:{}\r\n", url.host, url.port));
        }
    }
    for (k, v) in &req.headers {
        if k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("connection") {
            continue;
        }
        head.push_str(&format!("{k}: {}\r\n", header_value(v)));
    }
    if !req.body.is_empty()
        || req.method.eq_ignore_ascii_case("POST")
        || req.method.eq_ignore_ascii_case("PUT")
    {
        head.push_str(&format!("Content-Length: {}\r\n", req.body.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    s.write_all(head.as_bytes())
        .and_then(|_| s.write_all(&req.body))
        .map_err(|e| format!("sending the request failed: {e}"))?;
    let mut parser = ResponseParser::default();
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
                    return Ok(resp);
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
        .ok_or_else(|| "the connection closed before the response was complete".into())
}

/// Longest response head, and longest chunk-size line.
const MAX_HEAD: usize = 16 * 1024;

/// How the body of a response ends.
enum Framing {
    /// `Content-Length`: the body is `data[start..start + len]`.
    Length(usize),
    /// Chunked: `pos` is where the next chunk-size line starts; `body` what is decoded.
    Chunked { pos: usize, body: Vec<u8> },
    /// No body (204, 304, 1xx).
    Empty,
    /// Until the connection closes.
    Eof,
}

/// The parsed head of a response.
struct Head {
    code: u16,
    message: String,
    headers: Vec<(String, String)>,
    /// Where the body starts in the data.
    start: usize,
    framing: Framing,
}

/// An HTTP/1.1 response, parsed as it arrives: every byte is looked at once (the end of the
/// head and chunk boundaries are searched for only in the new bytes).
#[derive(Default)]
struct ResponseParser {
    data: Vec<u8>,
    /// Bytes of `data` already searched for the end of the head.
    scanned: usize,
    head: Option<Head>,
}

impl ResponseParser {
    /// Add received bytes (`eof`: the connection closed). `Ok(Some)` once the response is
    /// complete, `Ok(None)` while more is needed.
    fn feed(&mut self, bytes: &[u8], eof: bool) -> Result<Option<HttpResponse>, String> {
        self.data.extend_from_slice(bytes);
        if self.head.is_none() {
            // Back up 3 bytes: the blank line may straddle two reads.
            let from = self.scanned.saturating_sub(3);
            let found = self.data[from..]
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|i| from + i + 4);
            self.scanned = self.data.len();
            match found {
                Some(end) => self.head = Some(parse_head(&self.data[..end])?),
                None if eof => return Err("malformed response: no end of headers".into()),
                None if self.data.len() > MAX_HEAD => {
                    return Err(format!("response head larger than {MAX_HEAD} bytes"))
                }
                None => return Ok(None),
            }
        }
        let Some(head) = &mut self.head else {
            return Ok(None);
        };
        let rest = &self.data[head.start..];
        let body = match &mut head.framing {
            Framing::Length(len) => {
                if rest.len() < *len {
                    return if eof {
                        Err("the connection closed before the body was complete".into())
                    } else {
                        Ok(None)
                    };
                }
                rest[..*len].to_vec()
            }
            Framing::Chunked { pos, body } => {
                if !dechunk(&self.data, pos, body)? {
                    return if eof {
                        Err("the connection closed inside a chunked body".into())
                    } else {
                        Ok(None)
                    };
                }
                std::mem::take(body)
            }
            Framing::Empty => Vec::new(),
            Framing::Eof if eof => rest.to_vec(),
            Framing::Eof => {
                if rest.len() > MAX_RESPONSE {
                    return Err(format!("response larger than {MAX_RESPONSE} bytes"));
                }
                return Ok(None);
            }
        };
        Ok(Some(HttpResponse {
            code: head.code,
            message: std::mem::take(&mut head.message),
            headers: std::mem::take(&mut head.headers),
            body,
        }))
    }
}

/// Parse a response head (`head` ends with the blank line).
fn parse_head(head: &[u8]) -> Result<Head, String> {
    let text = std::str::from_utf8(head).map_err(|_| "malformed response head".to_string())?;
    let mut lines = text.split("\r\n");
    let status = lines.next().unwrap_or("");
    let mut parts = status.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(format!("malformed status line `{status}`"));
    }
    let code: u16 = parts
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("malformed status line `{status}`"))?;
    let message = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    for l in lines.filter(|l| !l.is_empty()) {
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let header = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    let framing = if header("transfer-encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
    {
        Framing::Chunked {
            pos: head.len(),
            body: Vec::new(),
        }
    } else if let Some(len) = header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| format!("invalid Content-Length `{len}`"))?;
        if len > MAX_RESPONSE {
            return Err(format!("response larger than {MAX_RESPONSE} bytes"));
        }
        Framing::Length(len)
    } else if code == 204 || code == 304 || (100..200).contains(&code) {
        Framing::Empty
    } else {
        Framing::Eof
    };
    Ok(Head {
        code,
        message,
        headers,
        start: head.len(),
        framing,
    })
}

/// Decode the chunks of `data` from `*pos` into `out`, advancing `*pos` past each whole chunk.
/// `Ok(true)` once the last chunk arrived.
fn dechunk(data: &[u8], pos: &mut usize, out: &mut Vec<u8>) -> Result<bool, String> {
    loop {
        let line = &data[*pos..];
        let Some(eol) = line.windows(2).position(|w| w == b"\r\n") else {
            if line.len() > MAX_HEAD {
                return Err("malformed chunk size line".into());
            }
            return Ok(false);
        };
        let size_text = std::str::from_utf8(&line[..eol]).map_err(|_| "malformed chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("malformed chunk size `{size_text}`"))?;
        if size == 0 {
            return Ok(true);
        }
        if out.len().saturating_add(size) > MAX_RESPONSE {
            return Err(format!("response larger than {MAX_RESPONSE} bytes"));
        }
        let chunk = &line[eol + 2..];
        if chunk.len() < size + 2 {
            return Ok(false);
        }
        out.extend_from_slice(&chunk[..size]);
        *pos += eol + 2 + size + 2;
    }
}

/// Parse a whole response in one go (`eof`: the connection closed after `data`).
#[cfg(test)]
fn parse_response(data: &[u8], eof: bool) -> Result<Option<HttpResponse>, String> {
    ResponseParser::default().feed(data, eof)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn urls() {
        let u = Url::parse("http://example.com:8080/a?b=1").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.target.as_str()),
            ("example.com", 8080, "/a?b=1")
        );
        let u = Url::parse("http://10.0.0.1").unwrap();
        assert_eq!((u.port, u.target.as_str()), (80, "/"));
        let u = Url::parse("http://h?x=1").unwrap();
        assert_eq!(u.target, "/?x=1");
        assert!(Url::parse("https://h/")
            .unwrap_err()
            .contains("only http://"));
        assert!(Url::parse("h/").is_err());
        assert!(Url::parse("http://h:x/").is_err());
    }

    #[test]
    fn responses() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", false)
            .unwrap()
            .unwrap();
        assert_eq!(
            (r.code, r.message.as_str(), r.body.as_slice()),
            (200, "OK", &b"hi"[..])
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi", false).unwrap(),
            None
        );
        let r = parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n3;x\r\n!!!\r\n0\r\n\r\n", false)
            .unwrap()
            .unwrap();
        assert_eq!(r.body, b"hi!!!");
        let r = parse_response(b"HTTP/1.0 404 Not Found\r\n\r\ngone", true)
            .unwrap()
            .unwrap();
        assert_eq!((r.code, r.body.as_slice()), (404, &b"gone"[..]));
        assert!(parse_response(b"SSH-2.0\r\n\r\n", true).is_err());
    }

    #[test]
    fn responses_fed_a_byte_at_a_time() {
        let whole: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n2\r\nhi\r\n3;x\r\n!!!\r\n0\r\n\r\n";
        let mut p = ResponseParser::default();
        let mut done = None;
        for (i, b) in whole.iter().enumerate() {
            let r = p.feed(&[*b], false).unwrap();
            // The head is searched for once per byte, not from the start.
            assert!(p.head.is_some() || p.scanned == i + 1);
            if r.is_some() {
                assert_eq!(
                    i,
                    whole.len() - 3,
                    "complete at the end of the last chunk line"
                );
                done = r;
                break;
            }
        }
        let r = done.unwrap();
        assert_eq!((r.code, r.body.as_slice()), (200, &b"hi!!!"[..]));
        assert_eq!(r.headers[1], ("X-A".to_string(), "b".to_string()));
        // Decoded chunks are kept: the next read continues after them.
        let mut p = ResponseParser::default();
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert!(p.feed(head, false).unwrap().is_none());
        assert!(p.feed(b"2\r\nhi\r\n1", false).unwrap().is_none());
        let Some(Head {
            framing: Framing::Chunked { pos, body },
            ..
        }) = &p.head
        else {
            panic!("not chunked");
        };
        assert_eq!((*pos, body.as_slice()), (head.len() + 7, &b"hi"[..]));
        // Content-Length split over reads; a body until EOF.
        let mut p = ResponseParser::default();
        assert!(p
            .feed(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r", false)
            .unwrap()
            .is_none());
        assert!(p.feed(b"\n\r\nab", false).unwrap().is_none());
        assert_eq!(p.feed(b"c", false).unwrap().unwrap().body, b"abc");
        let mut p = ResponseParser::default();
        assert!(p
            .feed(b"HTTP/1.0 200 OK\r\n\r\nab", false)
            .unwrap()
            .is_none());
        assert_eq!(p.feed(b"", true).unwrap().unwrap().body, b"ab");
    }

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
