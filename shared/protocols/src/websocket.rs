//! WebSocket (RFC 6455), sans-IO: the server side of the opening handshake
//! ([`accept_key`], [`handshake_response`]), a frame decoder that reassembles fragmented
//! messages up to a size limit ([`Decoder`]), and a frame encoder ([`encode_frame`]).

use alloc::string::String;
use alloc::vec::Vec;

use crate::http::{write_response, Request};
use crate::sha::Sha1;

/// The GUID RFC 6455 appends to the client's key.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Largest message (after reassembly) the decoder accepts by default.
pub const DEFAULT_MESSAGE_LIMIT: usize = 64 * 1024;

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
pub fn accept_key(client_key: &str) -> String {
    let mut h = Sha1::new();
    h.update(client_key.trim().as_bytes());
    h.update(GUID.as_bytes());
    crate::base64::encode(&h.finish())
}

/// Whether `req` asks to switch to WebSocket (`Upgrade: websocket`).
pub fn is_upgrade(req: &Request) -> bool {
    req.header_has_token("upgrade", "websocket")
}

/// Why an upgrade request cannot be accepted (answered with 400, or 426 for the version).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeError {
    NotGet,
    MissingConnectionUpgrade,
    MissingKey,
    /// Only version 13 exists; the answer must name it.
    UnsupportedVersion,
}

impl HandshakeError {
    pub fn message(&self) -> &'static str {
        match self {
            HandshakeError::NotGet => "a WebSocket upgrade must be a GET",
            HandshakeError::MissingConnectionUpgrade => "Connection: Upgrade is missing",
            HandshakeError::MissingKey => "Sec-WebSocket-Key is missing or invalid",
            HandshakeError::UnsupportedVersion => "only Sec-WebSocket-Version 13 is supported",
        }
    }
}

/// Check an upgrade request and append the `101 Switching Protocols` answer to `out`.
/// A requested subprotocol `json-rpc` is echoed back (Shelly's clients may ask for it).
pub fn handshake_response(req: &Request, out: &mut Vec<u8>) -> Result<(), HandshakeError> {
    if req.method != "GET" {
        return Err(HandshakeError::NotGet);
    }
    if !req.header_has_token("connection", "upgrade") {
        return Err(HandshakeError::MissingConnectionUpgrade);
    }
    if req.header("sec-websocket-version").map(str::trim) != Some("13") {
        return Err(HandshakeError::UnsupportedVersion);
    }
    let key = req.header("sec-websocket-key").unwrap_or("").trim();
    match crate::base64::decode(key.as_bytes()) {
        Ok(k) if k.len() == 16 => {}
        _ => return Err(HandshakeError::MissingKey),
    }
    let accept = accept_key(key);
    let mut head = String::from("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ");
    head.push_str(&accept);
    head.push_str("\r\n");
    if req.header_has_token("sec-websocket-protocol", "json-rpc") {
        head.push_str("Sec-WebSocket-Protocol: json-rpc\r\n");
    }
    head.push_str("\r\n");
    out.extend_from_slice(head.as_bytes());
    Ok(())
}

/// Append the answer to a failed handshake.
pub fn handshake_error_response(err: HandshakeError, out: &mut Vec<u8>) {
    let (status, headers): (u16, &[(&str, &str)]) = match err {
        HandshakeError::UnsupportedVersion => (426, &[("Sec-WebSocket-Version", "13")]),
        _ => (400, &[]),
    };
    write_response(out, status, headers, err.message().as_bytes(), false);
}

/// Frame opcodes.
pub mod opcode {
    pub const CONTINUATION: u8 = 0x0;
    pub const TEXT: u8 = 0x1;
    pub const BINARY: u8 = 0x2;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xA;
}

/// Close status codes used here.
pub mod close_code {
    pub const NORMAL: u16 = 1000;
    pub const PROTOCOL_ERROR: u16 = 1002;
    pub const INVALID_DATA: u16 = 1007;
    pub const TOO_BIG: u16 = 1009;
}

/// A whole message or control frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// The peer closes: status code (if given) and reason.
    Close(Option<u16>, String),
}

/// Why the stream was rejected; [`WsError::close_code`] is what to send back before closing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsError {
    Protocol(&'static str),
    TooBig { limit: usize },
    InvalidUtf8,
}

impl WsError {
    pub fn close_code(&self) -> u16 {
        match self {
            WsError::Protocol(_) => close_code::PROTOCOL_ERROR,
            WsError::TooBig { .. } => close_code::TOO_BIG,
            WsError::InvalidUtf8 => close_code::INVALID_DATA,
        }
    }
}

impl core::fmt::Display for WsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            WsError::Protocol(m) => write!(f, "WebSocket protocol error: {m}"),
            WsError::TooBig { limit } => write!(f, "WebSocket message larger than {limit} bytes"),
            WsError::InvalidUtf8 => f.write_str("WebSocket text message is not UTF-8"),
        }
    }
}

/// Reassembles messages from frames fed in any pieces.
pub struct Decoder {
    buf: Vec<u8>,
    /// Opcode and payload of a fragmented message in progress.
    partial: Option<(u8, Vec<u8>)>,
    limit: usize,
    /// Frames must be masked (a server decoding a client) or must not (a client).
    expect_masked: bool,
    failed: bool,
}

impl Decoder {
    /// A server's decoder: client frames must be masked.
    pub fn server(limit: usize) -> Decoder {
        Decoder {
            buf: Vec::new(),
            partial: None,
            limit,
            expect_masked: true,
            failed: false,
        }
    }

    /// A client's decoder: server frames must not be masked.
    pub fn client(limit: usize) -> Decoder {
        Decoder {
            expect_masked: false,
            ..Decoder::server(limit)
        }
    }

    /// Bytes buffered and not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    pub fn feed(&mut self, data: &[u8]) {
        if !self.failed {
            self.buf.extend_from_slice(data);
        }
    }

    /// The next message, `Ok(None)` if more bytes are needed, or why the stream is broken
    /// (then every later call fails too).
    pub fn next_message(&mut self) -> Result<Option<Message>, WsError> {
        if self.failed {
            return Err(WsError::Protocol("stream already failed"));
        }
        let r = self.step();
        if r.is_err() {
            self.failed = true;
            self.buf = Vec::new();
            self.partial = None;
        }
        r
    }

    fn step(&mut self) -> Result<Option<Message>, WsError> {
        loop {
            let Some((fin, op, payload)) = self.next_frame()? else {
                return Ok(None);
            };
            match op {
                opcode::PING => return Ok(Some(Message::Ping(payload))),
                opcode::PONG => return Ok(Some(Message::Pong(payload))),
                opcode::CLOSE => {
                    if payload.len() == 1 {
                        return Err(WsError::Protocol("close frame with a 1-byte payload"));
                    }
                    let code =
                        (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
                    let reason = core::str::from_utf8(payload.get(2..).unwrap_or(&[]))
                        .map_err(|_| WsError::InvalidUtf8)?;
                    return Ok(Some(Message::Close(code, reason.into())));
                }
                opcode::TEXT | opcode::BINARY => {
                    if self.partial.is_some() {
                        return Err(WsError::Protocol("new message inside a fragmented one"));
                    }
                    if fin {
                        return finish(op, payload).map(Some);
                    }
                    self.partial = Some((op, payload));
                }
                opcode::CONTINUATION => {
                    let Some((first, mut data)) = self.partial.take() else {
                        return Err(WsError::Protocol("continuation without a message"));
                    };
                    if data.len() + payload.len() > self.limit {
                        return Err(WsError::TooBig { limit: self.limit });
                    }
                    data.extend_from_slice(&payload);
                    if fin {
                        return finish(first, data).map(Some);
                    }
                    self.partial = Some((first, data));
                }
                _ => return Err(WsError::Protocol("reserved opcode")),
            }
        }
    }

    /// Decode one frame from the buffer: (fin, opcode, unmasked payload).
    fn next_frame(&mut self) -> Result<Option<(bool, u8, Vec<u8>)>, WsError> {
        let b = &self.buf;
        if b.len() < 2 {
            return Ok(None);
        }
        let fin = b[0] & 0x80 != 0;
        if b[0] & 0x70 != 0 {
            return Err(WsError::Protocol(
                "reserved bits set (no extension was negotiated)",
            ));
        }
        let op = b[0] & 0x0F;
        let masked = b[1] & 0x80 != 0;
        if masked != self.expect_masked {
            return Err(WsError::Protocol(if self.expect_masked {
                "client frames must be masked"
            } else {
                "server frames must not be masked"
            }));
        }
        let (len, mut pos) = match b[1] & 0x7F {
            126 => {
                if b.len() < 4 {
                    return Ok(None);
                }
                (u64::from(u16::from_be_bytes([b[2], b[3]])), 4)
            }
            127 => {
                if b.len() < 10 {
                    return Ok(None);
                }
                let mut n = [0u8; 8];
                n.copy_from_slice(&b[2..10]);
                (u64::from_be_bytes(n), 10)
            }
            n => (u64::from(n), 2),
        };
        let control = op & 0x8 != 0;
        if control && (len > 125 || !fin) {
            return Err(WsError::Protocol(
                "control frames must be short and unfragmented",
            ));
        }
        let pending = self.partial.as_ref().map_or(0, |(_, d)| d.len()) as u64;
        // Saturating: a 64-bit length near u64::MAX plus a pending fragment must not wrap
        // around below the limit.
        if !control && len.saturating_add(pending) > self.limit as u64 {
            return Err(WsError::TooBig { limit: self.limit });
        }
        let len = len as usize;
        let mask = if masked {
            if b.len() < pos + 4 {
                return Ok(None);
            }
            let m = [b[pos], b[pos + 1], b[pos + 2], b[pos + 3]];
            pos += 4;
            Some(m)
        } else {
            None
        };
        if b.len() < pos + len {
            return Ok(None);
        }
        let mut payload = b[pos..pos + len].to_vec();
        if let Some(m) = mask {
            for (i, x) in payload.iter_mut().enumerate() {
                *x ^= m[i % 4];
            }
        }
        self.buf.drain(..pos + len);
        Ok(Some((fin, op, payload)))
    }
}

fn finish(op: u8, data: Vec<u8>) -> Result<Message, WsError> {
    if op == opcode::TEXT {
        String::from_utf8(data)
            .map(Message::Text)
            .map_err(|_| WsError::InvalidUtf8)
    } else {
        Ok(Message::Binary(data))
    }
}

/// Append one frame to `out` (`fin` set). A client passes a `mask`; a server passes `None`.
pub fn encode_frame(out: &mut Vec<u8>, op: u8, payload: &[u8], mask: Option<[u8; 4]>) {
    encode_fragment(out, true, op, payload, mask);
}

/// Append one frame with an explicit `fin` bit (fragmented messages: the first frame carries
/// the opcode, the others [`opcode::CONTINUATION`]).
pub fn encode_fragment(
    out: &mut Vec<u8>,
    fin: bool,
    op: u8,
    payload: &[u8],
    mask: Option<[u8; 4]>,
) {
    out.push(if fin { 0x80 } else { 0 } | (op & 0x0F));
    let m = if mask.is_some() { 0x80 } else { 0 };
    let len = payload.len();
    if len < 126 {
        out.push(m | len as u8);
    } else if len <= 0xFFFF {
        out.push(m | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    match mask {
        Some(k) => {
            out.extend_from_slice(&k);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
}

/// Append a close frame with `code` and `reason` (cut to fit a control frame).
pub fn encode_close(out: &mut Vec<u8>, code: u16, reason: &str, mask: Option<[u8; 4]>) {
    let mut p = Vec::from(code.to_be_bytes());
    let mut r = reason.as_bytes();
    if r.len() > 123 {
        r = &r[..123];
    }
    p.extend_from_slice(r);
    encode_frame(out, opcode::CLOSE, &p, mask);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::RequestParser;
    use alloc::vec;

    #[test]
    fn rfc6455_accept_key() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn handshake() {
        let mut p = RequestParser::new(4096);
        p.feed(b"GET /rpc HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        let req = p.next_request().unwrap().unwrap();
        assert!(is_upgrade(&req));
        let mut out = vec![];
        handshake_response(&req, &mut out).unwrap();
        let text = core::str::from_utf8(&out).unwrap();
        assert!(text.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
        assert!(text.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
        assert!(text.ends_with("\r\n\r\n"));

        let mut p = RequestParser::new(4096);
        p.feed(b"GET /rpc HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n");
        let req = p.next_request().unwrap().unwrap();
        assert_eq!(
            handshake_response(&req, &mut out),
            Err(HandshakeError::UnsupportedVersion)
        );
        let mut p = RequestParser::new(4096);
        p.feed(b"GET /rpc HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n");
        let req = p.next_request().unwrap().unwrap();
        assert_eq!(
            handshake_response(&req, &mut out),
            Err(HandshakeError::MissingKey)
        );
    }

    #[test]
    fn rfc6455_examples() {
        // A single-frame masked text message "Hello" (RFC 6455 §5.7).
        let mut d = Decoder::server(1024);
        d.feed(&[
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ]);
        assert_eq!(
            d.next_message().unwrap(),
            Some(Message::Text("Hello".into()))
        );
        // Unmasked, fragmented "Hel" + "lo", for a client decoder.
        let mut d = Decoder::client(1024);
        d.feed(&[0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]);
        assert_eq!(
            d.next_message().unwrap(),
            Some(Message::Text("Hello".into()))
        );
        // An unmasked frame to a server is a protocol error.
        let mut d = Decoder::server(1024);
        d.feed(&[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        assert!(matches!(d.next_message(), Err(WsError::Protocol(_))));
    }

    #[test]
    fn round_trip_split_everywhere_with_interleaved_ping() {
        let mask = Some([1, 2, 3, 4]);
        let big = vec![b'x'; 70_000];
        let mut stream = vec![];
        encode_fragment(&mut stream, false, opcode::TEXT, b"{\"id\":", mask);
        encode_frame(&mut stream, opcode::PING, b"p", mask);
        encode_fragment(&mut stream, true, opcode::CONTINUATION, b"1}", mask);
        encode_frame(&mut stream, opcode::BINARY, &big[..300], mask);
        encode_frame(&mut stream, opcode::BINARY, &big[..60_000], mask);
        encode_close(&mut stream, 1000, "bye", mask);
        let expect = vec![
            Message::Ping(b"p".to_vec()),
            Message::Text("{\"id\":1}".into()),
            Message::Binary(big[..300].to_vec()),
            Message::Binary(big[..60_000].to_vec()),
            Message::Close(Some(1000), "bye".into()),
        ];
        for cut in (0..stream.len()).step_by(97).chain(0..40) {
            let mut d = Decoder::server(DEFAULT_MESSAGE_LIMIT);
            let mut got = vec![];
            d.feed(&stream[..cut]);
            while let Some(m) = d.next_message().unwrap() {
                got.push(m);
            }
            d.feed(&stream[cut..]);
            while let Some(m) = d.next_message().unwrap() {
                got.push(m);
            }
            assert_eq!(got, expect, "cut at {cut}");
        }
    }

    #[test]
    fn huge_64_bit_length_after_a_fragment_is_too_big() {
        // Found by fuzzing: the length plus the pending fragment overflowed (a panic in debug
        // builds, a wrap past the limit check and a slicing panic in release builds).
        let mut s = vec![];
        encode_fragment(&mut s, false, opcode::TEXT, b"a", None);
        s.extend_from_slice(&[0x00, 127, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        s.extend_from_slice(&[0; 16]);
        let mut d = Decoder::client(4096);
        d.feed(&s);
        assert_eq!(d.next_message(), Err(WsError::TooBig { limit: 4096 }));
    }

    #[test]
    fn limits_and_errors() {
        let mask = Some([9, 8, 7, 6]);
        let big = vec![b'x'; 70_000];
        let mut s = vec![];
        encode_frame(&mut s, opcode::BINARY, &big, mask);
        let mut d = Decoder::server(DEFAULT_MESSAGE_LIMIT);
        // The header alone is enough to refuse it.
        d.feed(&s[..14]);
        assert_eq!(d.next_message(), Err(WsError::TooBig { limit: 65536 }));
        // Fragments adding up beyond the limit.
        let mut s = vec![];
        encode_fragment(&mut s, false, opcode::TEXT, &big[..40_000], mask);
        encode_fragment(&mut s, true, opcode::CONTINUATION, &big[..40_000], mask);
        let mut d = Decoder::server(DEFAULT_MESSAGE_LIMIT);
        d.feed(&s);
        assert_eq!(d.next_message(), Err(WsError::TooBig { limit: 65536 }));
        // Invalid UTF-8 text, stray continuation, long ping, reserved bits.
        let cases: Vec<Vec<u8>> = vec![
            {
                let mut s = vec![];
                encode_frame(&mut s, opcode::TEXT, &[0xff, 0xfe], mask);
                s
            },
            {
                let mut s = vec![];
                encode_frame(&mut s, opcode::CONTINUATION, b"x", mask);
                s
            },
            {
                let mut s = vec![];
                encode_frame(&mut s, opcode::PING, &[0; 126], mask);
                s
            },
            vec![0xC1, 0x80, 0, 0, 0, 0],
            vec![0x83, 0x80, 0, 0, 0, 0],
        ];
        for c in cases {
            let mut d = Decoder::server(1024);
            d.feed(&c);
            assert!(d.next_message().is_err(), "{c:?}");
            assert!(d.next_message().is_err());
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut x: u32 = 0xdead_beef;
        for _ in 0..500 {
            let mut d = Decoder::server(4096);
            for _ in 0..50 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                d.feed(&x.to_le_bytes());
                if d.next_message().is_err() {
                    break;
                }
                assert!(d.buffered() <= 4096 + 14 + 4);
            }
        }
    }
}
