//! HTTP/1.1 for the device's RPC server, sans-IO: an incremental request parser
//! ([`RequestParser`]: fed bytes as they arrive, yields whole [`Request`]s, keeps what follows a
//! request for the next one on a keep-alive connection) and a response serializer
//! ([`write_response`]).
//!
//! Bodies are delimited by `Content-Length` only; a chunked request is refused
//! ([`HttpError::LengthRequired`], answered with 411). Every request has a total size limit —
//! request line, headers and body — that the caller chooses per path (Shelly allows 3072 bytes
//! for script endpoints; `/rpc` needs more for `Script.PutCode`).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

/// Most headers one request may have.
pub const MAX_HEADERS: usize = 64;

/// Why a request was rejected. The connection cannot be used after any of these (the parser
/// does not know where the next request would start).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpError {
    /// The request (head + body) exceeds the limit for its path, or the head alone exceeds the
    /// largest limit. `limit` is the one that applied.
    TooLarge { limit: usize },
    /// Not HTTP/1.x syntax; the text says what was wrong.
    BadRequest(&'static str),
    /// `Transfer-Encoding` (chunked) bodies are not supported: send a `Content-Length`.
    LengthRequired,
    /// A version other than HTTP/1.0 and HTTP/1.1.
    VersionNotSupported,
}

impl HttpError {
    /// The status code to answer with (if the caller answers at all).
    pub fn status(&self) -> u16 {
        match self {
            HttpError::TooLarge { .. } => 413,
            HttpError::BadRequest(_) => 400,
            HttpError::LengthRequired => 411,
            HttpError::VersionNotSupported => 505,
        }
    }
}

impl core::fmt::Display for HttpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HttpError::TooLarge { limit } => write!(f, "request larger than {limit} bytes"),
            HttpError::BadRequest(why) => write!(f, "bad request: {why}"),
            HttpError::LengthRequired => f.write_str("chunked request bodies are not supported"),
            HttpError::VersionNotSupported => f.write_str("only HTTP/1.0 and HTTP/1.1"),
        }
    }
}

/// One parsed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// As sent (`GET`, `POST`, …; methods are case-sensitive).
    pub method: String,
    /// The request target as sent: path and optional `?query`.
    pub target: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    /// Header names as sent; look them up with [`Request::header`].
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Bytes this request took on the wire (head and body).
    pub wire_len: usize,
}

impl Request {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether header `name` holds `token` in its comma-separated list (case-insensitive),
    /// as `Connection: keep-alive, Upgrade` holds `upgrade`.
    pub fn header_has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// The path part of the target (before `?`).
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The query part of the target (after `?`), if any.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// Whether the connection stays open after the answer: HTTP/1.1 unless
    /// `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    pub fn keep_alive(&self) -> bool {
        if self.header_has_token("connection", "close") {
            return false;
        }
        self.minor_version >= 1 || self.header_has_token("connection", "keep-alive")
    }
}

/// Which parse phase the parser is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Looking for the blank line that ends the head; bytes before `scanned` have no end.
    Head { scanned: usize },
    /// Head parsed; waiting for `total` bytes in the buffer.
    Body { total: usize },
    /// An error was returned; nothing more is parsed.
    Failed,
}

/// An incremental request parser for one connection.
pub struct RequestParser {
    buf: Vec<u8>,
    phase: Phase,
    /// The head being completed while in [`Phase::Body`].
    pending: Option<Request>,
    max: usize,
    limit_for: fn(&str) -> usize,
}

fn no_path_limit(_: &str) -> usize {
    usize::MAX
}

impl RequestParser {
    /// A parser accepting requests up to `max` bytes in total.
    pub fn new(max: usize) -> RequestParser {
        RequestParser {
            buf: Vec::new(),
            phase: Phase::Head { scanned: 0 },
            pending: None,
            max,
            limit_for: no_path_limit,
        }
    }

    /// Also limit each request to `limit_for(path)` bytes (never more than `max`).
    pub fn with_path_limits(mut self, limit_for: fn(&str) -> usize) -> RequestParser {
        self.limit_for = limit_for;
        self
    }

    /// Bytes received and not yet returned as part of a request.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Take bytes from the connection. Call [`RequestParser::next_request`] after.
    pub fn feed(&mut self, data: &[u8]) {
        if self.phase != Phase::Failed {
            self.buf.extend_from_slice(data);
        }
    }

    /// The next complete request, `Ok(None)` if more bytes are needed, or why the stream is
    /// not acceptable (after an error, every call returns the same kind of error).
    pub fn next_request(&mut self) -> Result<Option<Request>, HttpError> {
        let r = self.step();
        if r.is_err() {
            self.phase = Phase::Failed;
            self.buf = Vec::new();
            self.pending = None;
        }
        r
    }

    fn step(&mut self) -> Result<Option<Request>, HttpError> {
        loop {
            match self.phase {
                Phase::Failed => return Err(HttpError::BadRequest("connection already failed")),
                Phase::Head { scanned } => {
                    // Ignore blank lines before a request (RFC 9112 §2.2).
                    let lead = self
                        .buf
                        .iter()
                        .take_while(|&&b| b == b'\r' || b == b'\n')
                        .count();
                    if lead > 0 {
                        self.buf.drain(..lead);
                        self.phase = Phase::Head { scanned: 0 };
                        continue;
                    }
                    let Some(end) = find_head_end(&self.buf, scanned) else {
                        if self.buf.len() > self.max {
                            return Err(HttpError::TooLarge { limit: self.max });
                        }
                        self.phase = Phase::Head {
                            scanned: self.buf.len().saturating_sub(3),
                        };
                        return Ok(None);
                    };
                    let req = parse_head(&self.buf[..end])?;
                    let len = content_length(&req)?;
                    let limit = (self.limit_for)(req.path()).min(self.max);
                    let total = end.checked_add(len).ok_or(HttpError::TooLarge { limit })?;
                    if total > limit {
                        return Err(HttpError::TooLarge { limit });
                    }
                    self.pending = Some(req);
                    self.phase = Phase::Body { total };
                }
                Phase::Body { total } => {
                    if self.buf.len() < total {
                        return Ok(None);
                    }
                    let Some(mut req) = self.pending.take() else {
                        return Err(HttpError::BadRequest("internal parser state"));
                    };
                    let head_len = total - content_length(&req)?;
                    req.body = self.buf[head_len..total].to_vec();
                    req.wire_len = total;
                    self.buf.drain(..total);
                    self.phase = Phase::Head { scanned: 0 };
                    return Ok(Some(req));
                }
            }
        }
    }

    /// Give back the bytes after the last request (a WebSocket upgrade hands them to the
    /// frame decoder).
    pub fn take_rest(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.buf)
    }
}

/// The index just past the blank line ending the head (`\r\n\r\n` or `\n\n`), searching from
/// `from`.
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < buf.len() {
        if buf[i] == b'\n' {
            if buf.get(i + 1) == Some(&b'\n') {
                return Some(i + 2);
            }
            if buf.get(i + 1) == Some(&b'\r') && buf.get(i + 2) == Some(&b'\n') {
                return Some(i + 3);
            }
        }
        i += 1;
    }
    None
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether `s` is an HTTP token (RFC 9110 §5.6.2), as a method or a header name must be.
pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// A header value with CR and LF removed: a value must never split the head.
pub fn header_value(v: &str) -> String {
    v.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}

/// Parse the request line and headers (`head` ends with the blank line).
fn parse_head(head: &[u8]) -> Result<Request, HttpError> {
    let text =
        core::str::from_utf8(head).map_err(|_| HttpError::BadRequest("head is not UTF-8"))?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let line = lines.next().unwrap_or("");
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::BadRequest(
            "request line is not `METHOD target HTTP/1.x`",
        ));
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(HttpError::BadRequest("invalid method"));
    }
    if target.is_empty() || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(HttpError::BadRequest("invalid request target"));
    }
    let minor_version = match version {
        "HTTP/1.1" => 1,
        "HTTP/1.0" => 0,
        v if v.starts_with("HTTP/") => return Err(HttpError::VersionNotSupported),
        _ => return Err(HttpError::BadRequest("invalid HTTP version")),
    };
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            return Err(HttpError::BadRequest("folded header lines are not allowed"));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(HttpError::BadRequest("header line without `:`"));
        };
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(HttpError::BadRequest("invalid header name"));
        }
        if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(HttpError::BadRequest("control character in a header value"));
        }
        if headers.len() >= MAX_HEADERS {
            return Err(HttpError::BadRequest("too many headers"));
        }
        headers.push((String::from(name), String::from(value.trim())));
    }
    Ok(Request {
        method: method.into(),
        target: target.into(),
        minor_version,
        headers,
        body: Vec::new(),
        wire_len: 0,
    })
}

/// The body length the head announces (0 without `Content-Length`).
fn content_length(req: &Request) -> Result<usize, HttpError> {
    if req.header("transfer-encoding").is_some() {
        return Err(HttpError::LengthRequired);
    }
    let mut len: Option<usize> = None;
    for (_, v) in req
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) || v.len() > 12 {
            return Err(HttpError::BadRequest("invalid Content-Length"));
        }
        let n: usize = v
            .parse()
            .map_err(|_| HttpError::BadRequest("invalid Content-Length"))?;
        if len.is_some_and(|l| l != n) {
            return Err(HttpError::BadRequest("conflicting Content-Length headers"));
        }
        len = Some(n);
    }
    Ok(len.unwrap_or(0))
}

/// The standard reason phrase of `status`.
pub fn reason(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        426 => "Upgrade Required",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// Append a whole response to `out`: status line, `headers`, `Content-Length` (any
/// `Content-Length` or `Connection` in `headers` is dropped in favour of the computed one and
/// `keep_alive`), and the body.
pub fn write_response(
    out: &mut Vec<u8>,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
    keep_alive: bool,
) {
    let mut head = String::new();
    let _ = write!(head, "HTTP/1.1 {} {}\r\n", status, reason(status));
    for (k, v) in headers {
        // Names that are not tokens (they could split the head) are left out.
        if k.eq_ignore_ascii_case("content-length")
            || k.eq_ignore_ascii_case("connection")
            || !is_token(k)
        {
            continue;
        }
        let _ = write!(head, "{k}: {}\r\n", header_value(v));
    }
    let _ = write!(
        head,
        "Content-Length: {}\r\nConnection: {}\r\n\r\n",
        body.len(),
        if keep_alive { "keep-alive" } else { "close" }
    );
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(body);
}

/// Decode `%XX` escapes (and `+` as a space when `plus_is_space`, as in query strings).
/// Invalid escapes are kept as written; the result must be UTF-8.
pub fn percent_decode(s: &str, plus_is_space: bool) -> Result<String, HttpError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' && i + 2 < b.len() {
            let hex = |x: u8| (x as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(if c == b'+' && plus_is_space { b' ' } else { c });
        i += 1;
    }
    String::from_utf8(out).map_err(|_| HttpError::BadRequest("escaped text is not UTF-8"))
}

/// The `key=value` pairs of a query string, decoded (`a&b=` gives `("a","")`, `("b","")`).
pub fn query_pairs(query: &str) -> Result<Vec<(String, String)>, HttpError> {
    let mut out = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        out.push((percent_decode(k, true)?, percent_decode(v, true)?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const POST: &[u8] = b"POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"id\":1,\"a\":2}";

    fn parse_all(parser: &mut RequestParser, data: &[u8]) -> Result<Vec<Request>, HttpError> {
        parser.feed(data);
        let mut out = vec![];
        while let Some(r) = parser.next_request()? {
            out.push(r);
        }
        Ok(out)
    }

    #[test]
    fn tokens_and_header_values() {
        assert!(is_token("GET") && is_token("X-Custom_1"));
        for bad in ["", "GET /", "A\r\nB", "a:b", "é"] {
            assert!(!is_token(bad), "{bad:?}");
        }
        assert_eq!(header_value("a\r\nX-Evil: 1"), "aX-Evil: 1");
        let mut out = Vec::new();
        write_response(
            &mut out,
            200,
            &[("X-Ok", "1"), ("Bad\r\nX-Evil", "1"), ("X-V", "a\r\nb")],
            b"",
            false,
        );
        let text = core::str::from_utf8(&out).unwrap();
        assert!(
            text.contains("X-Ok: 1\r\n") && text.contains("X-V: ab\r\n"),
            "{text}"
        );
        assert!(!text.contains("Evil"), "{text}");
    }

    #[test]
    fn parses_post_with_body() {
        let mut p = RequestParser::new(16384);
        let data = b"POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Length: 14\r\n\r\n{\"id\":1,\"a\":2}";
        let r = parse_all(&mut p, data).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].method, "POST");
        assert_eq!(r[0].path(), "/rpc");
        assert_eq!(r[0].header("content-length"), Some("14"));
        assert_eq!(r[0].body, b"{\"id\":1,\"a\":2}");
        assert!(r[0].keep_alive());
        assert_eq!(r[0].wire_len, data.len());
        assert_eq!(p.buffered(), 0);
    }

    #[test]
    fn split_at_every_byte_gives_the_same_requests() {
        let mut stream = Vec::new();
        stream.extend_from_slice(
            b"GET /rpc/Shelly.GetStatus?id=1&x=%22a%20b%22 HTTP/1.1\r\nHost: h\r\n\r\n",
        );
        stream.extend_from_slice(POST);
        stream.extend_from_slice(b"\r\nGET /shelly HTTP/1.0\nConnection: keep-alive\n\n");
        let mut whole = RequestParser::new(4096);
        let expect = parse_all(&mut whole, &stream).unwrap();
        assert_eq!(expect.len(), 3);
        assert_eq!(expect[1].body, b"{\"id\":1,\"a\":2}");
        assert!(expect[2].keep_alive());
        assert_eq!(expect[2].minor_version, 0);
        // Every split point, and byte by byte.
        for cut in 0..stream.len() {
            let mut p = RequestParser::new(4096);
            let mut got = parse_all(&mut p, &stream[..cut]).unwrap();
            got.extend(parse_all(&mut p, &stream[cut..]).unwrap());
            assert_eq!(got, expect, "split at {cut}");
        }
        let mut p = RequestParser::new(4096);
        let mut got = vec![];
        for b in &stream {
            got.extend(parse_all(&mut p, core::slice::from_ref(b)).unwrap());
        }
        assert_eq!(got, expect);
    }

    #[test]
    fn query_decoding() {
        let pairs = query_pairs("id=1&x=%22a%20b%22&flag&y=a+b&bad=%zz").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("id".into(), "1".into()),
                ("x".into(), "\"a b\"".into()),
                ("flag".into(), "".into()),
                ("y".into(), "a b".into()),
                ("bad".into(), "%zz".into()),
            ]
        );
        assert!(query_pairs("x=%ff").is_err());
        assert_eq!(percent_decode("%4", false).unwrap(), "%4");
        assert_eq!(percent_decode("a%41", false).unwrap(), "aA");
    }

    #[test]
    fn size_limits_per_path() {
        fn limit(path: &str) -> usize {
            if path.starts_with("/script/") {
                3072
            } else {
                16384
            }
        }
        let mut req = Vec::new();
        req.extend_from_slice(b"POST /script/1/ep HTTP/1.1\r\nContent-Length: 3100\r\n\r\n");
        req.extend_from_slice(&[b'a'; 3100]);
        let mut p = RequestParser::new(16384).with_path_limits(limit);
        assert_eq!(
            parse_all(&mut p, &req),
            Err(HttpError::TooLarge { limit: 3072 })
        );
        // The same body to /rpc fits.
        let mut req = Vec::new();
        req.extend_from_slice(b"POST /rpc HTTP/1.1\r\nContent-Length: 3100\r\n\r\n");
        req.extend_from_slice(&[b'a'; 3100]);
        let mut p = RequestParser::new(16384).with_path_limits(limit);
        assert_eq!(parse_all(&mut p, &req).unwrap().len(), 1);
        // A head that never ends is cut at the maximum.
        let mut p = RequestParser::new(1024);
        let mut err = None;
        for _ in 0..100 {
            p.feed(b"X-Long: aaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
            if let Err(e) = p.next_request() {
                err = Some(e);
                break;
            }
        }
        assert_eq!(err, Some(HttpError::TooLarge { limit: 1024 }));
        // A Content-Length beyond the limit fails before the body arrives.
        let mut p = RequestParser::new(16384);
        assert_eq!(
            parse_all(
                &mut p,
                b"POST /rpc HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n"
            ),
            Err(HttpError::TooLarge { limit: 16384 })
        );
    }

    #[test]
    fn rejects_bad_requests() {
        let cases: &[(&[u8], HttpError)] = &[
            (
                b"GET /\r\n\r\n",
                HttpError::BadRequest("request line is not `METHOD target HTTP/1.x`"),
            ),
            (b"GET / HTTP/2.0\r\n\r\n", HttpError::VersionNotSupported),
            (
                b"GET / FTP\r\n\r\n",
                HttpError::BadRequest("invalid HTTP version"),
            ),
            (
                b"G(T / HTTP/1.1\r\n\r\n",
                HttpError::BadRequest("invalid method"),
            ),
            (
                b"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
                HttpError::BadRequest("header line without `:`"),
            ),
            (
                b"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
                HttpError::BadRequest("folded header lines are not allowed"),
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                HttpError::BadRequest("invalid Content-Length"),
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                HttpError::BadRequest("conflicting Content-Length headers"),
            ),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                HttpError::LengthRequired,
            ),
            (
                b"GET /\xff HTTP/1.1\r\n\r\n",
                HttpError::BadRequest("head is not UTF-8"),
            ),
        ];
        for (input, err) in cases {
            let mut p = RequestParser::new(4096);
            assert_eq!(parse_all(&mut p, input).as_ref(), Err(err), "{input:?}");
            // The parser stays failed.
            p.feed(b"GET / HTTP/1.1\r\n\r\n");
            assert!(p.next_request().is_err());
        }
    }

    #[test]
    fn garbage_never_panics() {
        // A deterministic pseudo-random byte soup, with HTTP-ish fragments mixed in.
        let mut x: u32 = 0x1234_5678;
        let frags: [&[u8]; 6] = [
            b"GET ",
            b" HTTP/1.1",
            b"\r\n",
            b":",
            b"Content-Length: 5",
            b"\n\n",
        ];
        for round in 0..300 {
            let mut p = RequestParser::new(512);
            for _ in 0..200 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                if x.is_multiple_of(3) {
                    p.feed(frags[(x as usize / 3) % frags.len()]);
                } else {
                    p.feed(&x.to_le_bytes()[..(x as usize % 4)]);
                }
                match p.next_request() {
                    Ok(Some(r)) => assert!(r.wire_len <= 512),
                    Ok(None) => assert!(p.buffered() <= 512 + 20, "round {round}"),
                    Err(_) => break,
                }
            }
        }
    }

    #[test]
    fn keep_alive_rules() {
        let mut p = RequestParser::new(4096);
        let r = parse_all(
            &mut p,
            b"GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\nConnection: Keep-Alive, Upgrade\r\n\r\n",
        )
        .unwrap();
        assert!(!r[0].keep_alive());
        assert!(!r[1].keep_alive());
        assert!(r[2].keep_alive());
        assert!(r[2].header_has_token("connection", "upgrade"));
    }

    #[test]
    fn response_serialization() {
        let mut out = Vec::new();
        write_response(
            &mut out,
            200,
            &[
                ("Content-Type", "application/json"),
                ("Content-Length", "99"),
                ("X-Evil", "a\r\nb"),
            ],
            b"{}",
            true,
        );
        assert_eq!(
            core::str::from_utf8(&out).unwrap(),
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Evil: ab\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}"
        );
        out.clear();
        write_response(&mut out, 503, &[], b"", false);
        assert_eq!(
            core::str::from_utf8(&out).unwrap(),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    }
}
