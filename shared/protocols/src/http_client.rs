//! The HTTP/1.1 client of scripts, sans-IO: [`Url::parse`] (plain `http://` only),
//! [`request_bytes`] (the whole request a script asked for, `Connection: close`) and
//! [`ResponseParser`] (the answer, fed as it arrives, framed by `Content-Length`, chunked or the
//! end of the connection). The host drives it over a blocking std socket on a worker thread, the
//! ESP32-C3 over smoltcp sockets (`ferrite-net`'s `HttpLink`).
//!
//! Must never: let a script's method or header names write its own request head, buffer more
//! than the parser's limits, or panic on any response.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::http::{header_value, is_token};

/// The parts of an `http://host[:port]/path` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    /// Path and query, at least `/`.
    pub target: String,
}

impl Url {
    /// Parse an `http://` URL; any other scheme (`https://` included) is an error that says so.
    pub fn parse(url: &str) -> Result<Url, String> {
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

/// The bytes of a request: head (with `Host`, `Content-Length` when there is a body or the
/// method sends one, `Connection: close`) and body. The caller's `Content-Length` and
/// `Connection` headers are replaced by these; CR and LF are taken out of header values.
/// Errors when the method or a header name is not an HTTP token (it would split the head).
pub fn request_bytes(
    method: &str,
    url: &Url,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Vec<u8>, String> {
    if !is_token(method) {
        return Err(format!("invalid method {method:?}"));
    }
    if let Some((k, _)) = headers.iter().find(|(k, _)| !is_token(k)) {
        return Err(format!("invalid header name {k:?}"));
    }
    let mut head = format!(
        "{} {} HTTP/1.1\r\n",
        method.to_ascii_uppercase(),
        url.target
    );
    let has = |n: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
    if !has("host") {
        if url.port == 80 {
            head.push_str(&format!("Host: {}\r\n", url.host));
        } else {
            head.push_str(&format!("Host: {}:{}\r\n", url.host, url.port));
        }
    }
    for (k, v) in headers {
        if k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("connection") {
            continue;
        }
        head.push_str(&format!("{k}: {}\r\n", header_value(v)));
    }
    if !body.is_empty() || method.eq_ignore_ascii_case("POST") || method.eq_ignore_ascii_case("PUT")
    {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    Ok(bytes)
}

/// A complete response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub code: u16,
    pub message: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Longest chunk-size line (or line ending a chunk); extensions beyond it are refused.
const MAX_CHUNK_LINE: usize = 1024;

/// Where the parser is in the response.
#[derive(Debug, PartialEq)]
enum Stage {
    /// Collecting the head in `line`.
    Head,
    /// `Content-Length`: this many body bytes still to come.
    Length(usize),
    /// A chunk-size line, collected in `line`.
    ChunkSize,
    /// Inside a chunk: this many bytes still to come.
    ChunkData(usize),
    /// The line ending a chunk (must be empty), collected in `line`.
    ChunkEnd,
    /// The body lasts until the connection closes.
    UntilEof,
    /// The response is complete, not yet handed out.
    Complete,
    /// The response was handed out.
    Returned,
}

/// An HTTP/1.1 response, parsed as it arrives: every byte is looked at once, and only the body
/// (up to `max_body`) and one incomplete line (the head, up to `max_head`) are kept.
pub struct ResponseParser {
    max_head: usize,
    max_body: usize,
    stage: Stage,
    /// The head, or the chunk line, received so far.
    line: Vec<u8>,
    code: u16,
    message: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl ResponseParser {
    /// A parser that refuses heads longer than `max_head` and bodies longer than `max_body`.
    pub fn new(max_head: usize, max_body: usize) -> ResponseParser {
        ResponseParser {
            max_head,
            max_body,
            stage: Stage::Head,
            line: Vec::new(),
            code: 0,
            message: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Add received bytes (`eof`: the connection closed after them). `Ok(Some)` once the
    /// response is complete (bytes after its end are ignored), `Ok(None)` while more is needed;
    /// an error for a malformed or too large response, or one cut short by `eof`.
    pub fn feed(&mut self, bytes: &[u8], eof: bool) -> Result<Option<Response>, String> {
        if self.stage == Stage::Returned {
            return Err("the response was already complete".into());
        }
        let mut input = bytes;
        if self.stage == Stage::Head {
            // Back up 3 bytes: the blank line may straddle two reads.
            let from = self.line.len().saturating_sub(3);
            let room = (self.max_head + 1).saturating_sub(self.line.len());
            let take = input.len().min(room);
            self.line.extend_from_slice(&input[..take]);
            let found = self.line[from..]
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|i| from + i + 4);
            match found {
                Some(end) => {
                    // What follows the head in this read: the body's first bytes.
                    let used = end - (self.line.len() - take);
                    input = &input[used..];
                    let head = core::mem::take(&mut self.line);
                    self.parse_head(&head[..end])?;
                }
                None if self.line.len() > self.max_head => {
                    return Err(format!("response head larger than {} bytes", self.max_head))
                }
                None if eof => return Err("malformed response: no end of headers".into()),
                None => return Ok(None),
            }
        }
        while !input.is_empty() && self.stage != Stage::Complete {
            input = self.body_bytes(input)?;
        }
        if self.stage == Stage::Complete {
            return Ok(Some(self.take()));
        }
        if !eof {
            return Ok(None);
        }
        match self.stage {
            Stage::UntilEof => Ok(Some(self.take())),
            Stage::Length(_) => Err("the connection closed before the body was complete".into()),
            _ => Err("the connection closed inside a chunked body".into()),
        }
    }

    /// Consume body bytes from the front of `input` for the current stage; returns the rest.
    fn body_bytes<'a>(&mut self, input: &'a [u8]) -> Result<&'a [u8], String> {
        match self.stage {
            Stage::Length(left) => {
                let n = left.min(input.len());
                self.body.extend_from_slice(&input[..n]);
                self.stage = if n == left {
                    Stage::Complete
                } else {
                    Stage::Length(left - n)
                };
                Ok(&input[n..])
            }
            Stage::UntilEof => {
                self.reserve(input.len())?;
                self.body.extend_from_slice(input);
                Ok(&[])
            }
            Stage::ChunkData(left) => {
                let n = left.min(input.len());
                self.body.extend_from_slice(&input[..n]);
                self.stage = if n == left {
                    Stage::ChunkEnd
                } else {
                    Stage::ChunkData(left - n)
                };
                Ok(&input[n..])
            }
            Stage::ChunkSize | Stage::ChunkEnd => {
                let Some(eol) = input.iter().position(|b| *b == b'\n') else {
                    self.push_line(input)?;
                    return Ok(&[]);
                };
                self.push_line(&input[..=eol])?;
                let line = core::mem::take(&mut self.line);
                let text = core::str::from_utf8(&line)
                    .map_err(|_| String::from("malformed chunk size"))?
                    .trim_end_matches(['\r', '\n']);
                if self.stage == Stage::ChunkEnd {
                    if !text.is_empty() {
                        return Err("malformed chunked body: no line end after a chunk".into());
                    }
                    self.stage = Stage::ChunkSize;
                } else {
                    let size_text = text.split(';').next().unwrap_or("").trim();
                    let size = usize::from_str_radix(size_text, 16)
                        .map_err(|_| format!("malformed chunk size `{size_text}`"))?;
                    self.stage = if size == 0 {
                        // Trailers, if any, are not waited for: the connection closes anyway.
                        Stage::Complete
                    } else {
                        self.reserve(size)?;
                        Stage::ChunkData(size)
                    };
                }
                Ok(&input[eol + 1..])
            }
            Stage::Head | Stage::Complete | Stage::Returned => Ok(&[]),
        }
    }

    /// Add to the chunk line, within its bound.
    fn push_line(&mut self, bytes: &[u8]) -> Result<(), String> {
        if self.line.len() + bytes.len() > MAX_CHUNK_LINE {
            return Err("malformed chunk size line".into());
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    /// Check that `more` body bytes stay within the limit.
    fn reserve(&self, more: usize) -> Result<(), String> {
        if self.body.len().saturating_add(more) > self.max_body {
            return Err(format!("response larger than {} bytes", self.max_body));
        }
        Ok(())
    }

    fn take(&mut self) -> Response {
        self.stage = Stage::Returned;
        Response {
            code: self.code,
            message: core::mem::take(&mut self.message),
            headers: core::mem::take(&mut self.headers),
            body: core::mem::take(&mut self.body),
        }
    }

    /// Parse the head (`head` ends with the blank line) and pick the body's framing.
    fn parse_head(&mut self, head: &[u8]) -> Result<(), String> {
        let text =
            core::str::from_utf8(head).map_err(|_| String::from("malformed response head"))?;
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
        let stage = if header("transfer-encoding")
            .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
        {
            Stage::ChunkSize
        } else if let Some(len) = header("content-length") {
            let len: usize = len
                .parse()
                .map_err(|_| format!("invalid Content-Length `{len}`"))?;
            self.reserve(len)?;
            if len == 0 {
                Stage::Complete
            } else {
                Stage::Length(len)
            }
        } else if code == 204 || code == 304 || (100..200).contains(&code) {
            Stage::Complete
        } else {
            Stage::UntilEof
        };
        self.code = code;
        self.message = message;
        self.headers = headers;
        self.stage = stage;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const MAX: usize = 1024 * 1024;

    /// Parse a whole response in one go (`eof`: the connection closed after `data`).
    fn parse_response(data: &[u8], eof: bool) -> Result<Option<Response>, String> {
        ResponseParser::new(16 * 1024, MAX).feed(data, eof)
    }

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
        assert!(Url::parse("http://u:p@h/").is_err());
        assert!(Url::parse("http:///x").is_err());
    }

    #[test]
    fn requests() {
        let url = Url::parse("http://h:8080/x?y=1").unwrap();
        let headers = vec![
            ("Content-Type".to_string(), "text/plain".to_string()),
            ("Content-Length".to_string(), "99".to_string()),
            ("X-A".to_string(), "b\r\nX-Evil: 1".to_string()),
        ];
        let r = request_bytes("post", &url, &headers, b"ping").unwrap();
        assert_eq!(
            core::str::from_utf8(&r).unwrap(),
            "POST /x?y=1 HTTP/1.1\r\nHost: h:8080\r\nContent-Type: text/plain\r\n\
             X-A: bX-Evil: 1\r\nContent-Length: 4\r\nConnection: close\r\n\r\nping"
        );
        let url = Url::parse("http://h/").unwrap();
        let r = request_bytes("GET", &url, &[("host".into(), "o".into())], b"").unwrap();
        assert_eq!(
            core::str::from_utf8(&r).unwrap(),
            "GET / HTTP/1.1\r\nhost: o\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn methods_and_header_names_must_be_tokens() {
        let url = Url::parse("http://h/x").unwrap();
        for (m, h) in [
            ("GET /evil HTTP/1.1\r\nX-A: b\r\n\r\nGET", "X-Ok"),
            ("", "X-Ok"),
            ("GET", "X-A: b\r\nX-Evil"),
            ("GET", "Bad Name"),
            ("GET", ""),
        ] {
            let e = request_bytes(m, &url, &[(h.into(), "v".into())], b"").unwrap_err();
            assert!(e.starts_with("invalid "), "{e}");
        }
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
        let r = parse_response(b"HTTP/1.1 204 No Content\r\n\r\n", false)
            .unwrap()
            .unwrap();
        assert_eq!((r.code, r.body.len()), (204, 0));
        assert!(parse_response(b"SSH-2.0\r\n\r\n", true).is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n", true).is_err());
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi", true)
                .unwrap_err()
                .contains("before the body was complete")
        );
        assert!(parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiX\r\n",
            false
        )
        .is_err());
        assert!(parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            false
        )
        .is_err());
    }

    #[test]
    fn limits() {
        let mut p = ResponseParser::new(64, 4);
        assert!(p
            .feed(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false)
            .unwrap_err()
            .contains("larger than 4"));
        let mut p = ResponseParser::new(64, 4);
        p.feed(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
            false,
        )
        .unwrap();
        assert!(p.feed(b"2\r\n", false).unwrap_err().contains("larger"));
        let mut p = ResponseParser::new(64, 4);
        p.feed(b"HTTP/1.1 200 OK\r\n\r\nabc", false).unwrap();
        assert!(p.feed(b"de", false).unwrap_err().contains("larger"));
        let mut p = ResponseParser::new(64, 4);
        let long = [b'a'; 70];
        assert!(p.feed(&long, false).unwrap_err().contains("head larger"));
        let mut p = ResponseParser::new(64, 4);
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        p.feed(head, false).unwrap();
        assert!(p.feed(&[b'1'; 2000], false).is_err());
    }

    #[test]
    fn responses_fed_a_byte_at_a_time() {
        let whole: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n2\r\nhi\r\n3;x\r\n!!!\r\n0\r\n\r\n";
        let mut p = ResponseParser::new(16 * 1024, MAX);
        let mut done = None;
        for (i, b) in whole.iter().enumerate() {
            let r = p.feed(&[*b], false).unwrap();
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
        let mut p = ResponseParser::new(16 * 1024, MAX);
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert!(p.feed(head, false).unwrap().is_none());
        assert!(p.feed(b"2\r\nhi\r\n1", false).unwrap().is_none());
        assert_eq!(
            (&p.stage, p.body.as_slice()),
            (&Stage::ChunkSize, &b"hi"[..])
        );
        assert!(p.feed(b"\r\n!\r\n0\r\n", false).unwrap().unwrap().body == b"hi!");
        // Content-Length split over reads; a body until EOF.
        let mut p = ResponseParser::new(16 * 1024, MAX);
        assert!(p
            .feed(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r", false)
            .unwrap()
            .is_none());
        assert!(p.feed(b"\n\r\nab", false).unwrap().is_none());
        assert_eq!(p.feed(b"c", false).unwrap().unwrap().body, b"abc");
        let mut p = ResponseParser::new(16 * 1024, MAX);
        assert!(p
            .feed(b"HTTP/1.0 200 OK\r\n\r\nab", false)
            .unwrap()
            .is_none());
        assert_eq!(p.feed(b"", true).unwrap().unwrap().body, b"ab");
        assert!(p.feed(b"x", false).is_err(), "handed out once");
    }
}
