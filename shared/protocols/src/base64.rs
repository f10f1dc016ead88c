//! Base64 (RFC 4648): the standard alphabet with `=` padding (the WebSocket accept key, HTTP
//! headers that carry binary data) and the URL-safe alphabet without padding (§5: the IDE's
//! share links).

use alloc::string::String;
use alloc::vec::Vec;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode_with(data: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// Encode `data` with padding.
pub fn encode(data: &[u8]) -> String {
    encode_with(data, ALPHABET, true)
}

/// Encode `data` with the URL-safe alphabet (`-`, `_`), without padding.
pub fn encode_url(data: &[u8]) -> String {
    encode_with(data, URL_ALPHABET, false)
}

/// Decode URL-safe base64 without padding (as [`encode_url`] writes it).
pub fn decode_url(text: &[u8]) -> Result<Vec<u8>, DecodeError> {
    if text.len() % 4 == 1 {
        return Err(DecodeError::InvalidLength);
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for (qi, q) in text.chunks(4).enumerate() {
        let mut n = 0u32;
        for (i, &c) in q.iter().enumerate() {
            let v = url_value(c).ok_or(DecodeError::InvalidByte(qi * 4 + i))?;
            n |= v << (18 - 6 * i);
        }
        for i in 0..q.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Ok(out)
}

fn url_value(c: u8) -> Option<u32> {
    match c {
        b'-' => Some(62),
        b'_' => Some(63),
        b'+' | b'/' => None,
        c => value(c),
    }
}

/// Why [`decode`] rejected its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// A byte outside the alphabet, at this offset.
    InvalidByte(usize),
    /// The length is not a multiple of 4, or padding is misplaced.
    InvalidLength,
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DecodeError::InvalidByte(at) => write!(f, "invalid base64 character at offset {at}"),
            DecodeError::InvalidLength => f.write_str("invalid base64 length or padding"),
        }
    }
}

fn value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Decode padded base64.
pub fn decode(text: &[u8]) -> Result<Vec<u8>, DecodeError> {
    if !text.len().is_multiple_of(4) {
        return Err(DecodeError::InvalidLength);
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let quads = text.len() / 4;
    for (qi, q) in text.chunks_exact(4).enumerate() {
        let last = qi + 1 == quads;
        let pad = q.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return Err(DecodeError::InvalidLength);
        }
        let mut n = 0u32;
        for (i, &c) in q.iter().enumerate() {
            let v = if i >= 4 - pad {
                0
            } else {
                value(c).ok_or(DecodeError::InvalidByte(qi * 4 + i))?
            };
            n = (n << 6) | v;
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: &[(&str, &str)] = &[
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn rfc4648_vectors() {
        for (plain, enc) in VECTORS {
            assert_eq!(encode(plain.as_bytes()), *enc);
            assert_eq!(decode(enc.as_bytes()).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn url_safe_round_trips_every_length_without_padding() {
        for len in 0..40usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 251) as u8).collect();
            let text = encode_url(&data);
            assert!(!text.contains(['=', '+', '/']), "{text}");
            assert_eq!(decode_url(text.as_bytes()).unwrap(), data, "len {len}");
        }
        assert_eq!(encode_url(&[0xfb, 0xff]), "-_8");
        assert_eq!(decode_url(b"Zm9v+"), Err(DecodeError::InvalidLength));
        assert_eq!(decode_url(b"Zm9/"), Err(DecodeError::InvalidByte(3)));
    }

    #[test]
    fn all_bytes_round_trip() {
        let data: Vec<u8> = (0..=255u8).collect();
        assert_eq!(decode(encode(&data).as_bytes()).unwrap(), data);
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(decode(b"Zm9"), Err(DecodeError::InvalidLength));
        assert_eq!(decode(b"Zm=v"), Err(DecodeError::InvalidByte(2)));
        assert_eq!(decode(b"Zg==Zg=="), Err(DecodeError::InvalidLength));
        assert_eq!(decode(b"Z==="), Err(DecodeError::InvalidLength));
        assert_eq!(decode(b"Zm9v!A=="), Err(DecodeError::InvalidByte(4)));
    }
}
