//! The HTTP/1.1 client of scripts (`HTTP.GET` / `HTTP.Request` / `Shelly.call("HTTP.…")`) on
//! the host: each request runs on its own worker thread with a blocking [`TcpStream`] and a
//! deadline; the result comes back through a channel as [`BoardEvent::HttpDone`], which the
//! device's network backend polls with [`HostHttpClient::poll_event`]. Plain `http://` only.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

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
            tx,
            rx,
        }
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
        std::thread::Builder::new()
            .name(format!("http-{id}"))
            .spawn(move || {
                let r = perform(&url, &request);
                let _ = tx.send((id, r));
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
        let v: String = v.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        head.push_str(&format!("{k}: {v}\r\n"));
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
    let mut data = Vec::new();
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
                data.extend_from_slice(&buf[..n]);
                if data.len() > MAX_RESPONSE + 16 * 1024 {
                    return Err(format!("response larger than {MAX_RESPONSE} bytes"));
                }
                if let Some(resp) = parse_response(&data, false)? {
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
    parse_response(&data, true)?
        .ok_or_else(|| "the connection closed before the response was complete".into())
}

/// Parse a response from `data`: `Ok(None)` if more is needed (`eof`: the connection closed,
/// so a body without length ends here).
fn parse_response(data: &[u8], eof: bool) -> Result<Option<HttpResponse>, String> {
    let Some(end) = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
    else {
        return if eof {
            Err("malformed response: no end of headers".into())
        } else {
            Ok(None)
        };
    };
    let head =
        std::str::from_utf8(&data[..end]).map_err(|_| "malformed response head".to_string())?;
    let mut lines = head.split("\r\n");
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
    let rest = &data[end..];
    let body = if header("transfer-encoding")
        .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
    {
        match dechunk(rest)? {
            Some(b) => b,
            None if eof => return Err("the connection closed inside a chunked body".into()),
            None => return Ok(None),
        }
    } else if let Some(len) = header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| format!("invalid Content-Length `{len}`"))?;
        if len > MAX_RESPONSE {
            return Err(format!("response larger than {MAX_RESPONSE} bytes"));
        }
        if rest.len() < len {
            return if eof {
                Err("the connection closed before the body was complete".into())
            } else {
                Ok(None)
            };
        }
        rest[..len].to_vec()
    } else if code == 204 || code == 304 || (100..200).contains(&code) {
        Vec::new()
    } else if eof {
        rest.to_vec()
    } else {
        return Ok(None);
    };
    Ok(Some(HttpResponse {
        code,
        message,
        headers,
        body,
    }))
}

/// Decode a chunked body; `Ok(None)` if incomplete.
fn dechunk(mut data: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let size_text = std::str::from_utf8(&data[..eol]).map_err(|_| "malformed chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("malformed chunk size `{size_text}`"))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(Some(out));
        }
        if out.len() + size > MAX_RESPONSE {
            return Err(format!("response larger than {MAX_RESPONSE} bytes"));
        }
        if data.len() < size + 2 {
            return Ok(None);
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
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
