//! SLIP framing (RFC 1055) as the ROM loader uses it: every packet starts and ends with `0xC0`;
//! `0xC0` and `0xDB` inside are escaped as `0xDB 0xDC` and `0xDB 0xDD`.
//!
//! [`Decoder`] is bounded: a frame longer than its limit is dropped and reported. Bytes outside
//! frames (the ROM's boot messages) are skipped.

use alloc::vec::Vec;

pub const END: u8 = 0xC0;
pub const ESC: u8 = 0xDB;
pub const ESC_END: u8 = 0xDC;
pub const ESC_ESC: u8 = 0xDD;

/// Append `payload` as one SLIP frame to `out`.
pub fn encode_into(payload: &[u8], out: &mut Vec<u8>) {
    out.reserve(payload.len() + 2 + payload.len() / 16);
    out.push(END);
    for &b in payload {
        match b {
            END => out.extend_from_slice(&[ESC, ESC_END]),
            ESC => out.extend_from_slice(&[ESC, ESC_ESC]),
            _ => out.push(b),
        }
    }
    out.push(END);
}

/// `payload` as one SLIP frame.
pub fn encode(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(payload, &mut out);
    out
}

/// What one received byte completed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    Frame(Vec<u8>),
    /// A frame longer than the limit ended; its bytes were dropped.
    Oversized,
    /// An escape byte followed by something other than `0xDC`/`0xDD`: the frame was dropped.
    BadEscape,
}

/// Splits a received byte stream into SLIP frames.
#[derive(Debug)]
pub struct Decoder {
    buf: Vec<u8>,
    in_frame: bool,
    escaped: bool,
    broken: Option<Decoded>,
    max: usize,
}

impl Decoder {
    /// A decoder that accepts frames of up to `max` decoded bytes.
    pub fn new(max: usize) -> Decoder {
        Decoder {
            buf: Vec::new(),
            in_frame: false,
            escaped: false,
            broken: None,
            max,
        }
    }

    /// Forget a partly received frame (after a baud change the line carries garbage).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.in_frame = false;
        self.escaped = false;
        self.broken = None;
    }

    /// Take one byte; returns what it completed, if anything.
    pub fn push(&mut self, b: u8) -> Option<Decoded> {
        if b == END {
            if !self.in_frame {
                self.in_frame = true;
                return None;
            }
            self.escaped = false;
            if let Some(why) = self.broken.take() {
                self.buf.clear();
                return Some(why);
            }
            if self.buf.is_empty() {
                // Two ENDs in a row: the second one starts the next frame.
                return None;
            }
            return Some(Decoded::Frame(core::mem::take(&mut self.buf)));
        }
        if !self.in_frame || self.broken.is_some() {
            return None;
        }
        let byte = if self.escaped {
            self.escaped = false;
            match b {
                ESC_END => END,
                ESC_ESC => ESC,
                _ => {
                    self.broken = Some(Decoded::BadEscape);
                    return None;
                }
            }
        } else if b == ESC {
            self.escaped = true;
            return None;
        } else {
            b
        };
        if self.buf.len() >= self.max {
            self.broken = Some(Decoded::Oversized);
            self.buf.clear();
            return None;
        }
        self.buf.push(byte);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn decode_all(d: &mut Decoder, bytes: &[u8]) -> Vec<Decoded> {
        bytes.iter().filter_map(|&b| d.push(b)).collect()
    }

    #[test]
    fn round_trip_with_escapes() {
        let payload = [1, END, 2, ESC, 3, ESC_END, ESC_ESC];
        let wire = encode(&payload);
        assert_eq!(
            wire,
            vec![END, 1, ESC, ESC_END, 2, ESC, ESC_ESC, 3, ESC_END, ESC_ESC, END]
        );
        let mut d = Decoder::new(64);
        assert_eq!(
            decode_all(&mut d, &wire),
            vec![Decoded::Frame(payload.to_vec())]
        );
    }

    #[test]
    fn noise_between_frames_and_split_input() {
        let mut wire = b"ets Jun  8 2016 boot\r\n".to_vec();
        wire.extend(encode(b"ab"));
        wire.extend(encode(b"cd"));
        let mut d = Decoder::new(64);
        let mut got = Vec::new();
        for chunk in wire.chunks(3) {
            got.extend(decode_all(&mut d, chunk));
        }
        assert_eq!(
            got,
            vec![
                Decoded::Frame(b"ab".to_vec()),
                Decoded::Frame(b"cd".to_vec())
            ]
        );
    }

    #[test]
    fn oversized_and_bad_escape_are_dropped() {
        let mut d = Decoder::new(4);
        let mut wire = encode(b"123456");
        wire.extend([END, ESC, 0x01, END]);
        wire.extend(encode(b"ok"));
        assert_eq!(
            decode_all(&mut d, &wire),
            vec![
                Decoded::Oversized,
                Decoded::BadEscape,
                Decoded::Frame(b"ok".to_vec())
            ]
        );
    }
}
