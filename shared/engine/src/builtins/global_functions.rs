//! Global functions: `isNaN`, `isFinite`, the URI coding functions (on byte strings), and the
//! Shelly/Smart.js helpers `atob`, `btoa` and `btoh`.

use alloc::vec::Vec;

use crate::value::Value;
use crate::vm::{ErrorKind, Vm};

fn is_nan(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let n = vm.to_number(Vm::arg(args, 0))?;
    Ok(Value::bool(n.is_nan()))
}

fn is_finite(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let n = vm.to_number(Vm::arg(args, 0))?;
    Ok(Value::bool(n.is_finite()))
}

const URI_MARK: &[u8] = b"-_.!~*'()";
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

fn uri_error(vm: &mut Vm, msg: &str) -> Value {
    vm.make_error(ErrorKind::Uri, msg)
}

/// Is `b[i..]` the UTF-8 encoding of a surrogate (`ED A0..BF xx`), i.e. a lone surrogate?
fn is_encoded_surrogate(b: &[u8], i: usize) -> bool {
    b[i] == 0xED && b.get(i + 1).is_some_and(|&c| (0xA0..=0xBF).contains(&c))
}

/// Encode: bytes of the unescaped set are copied, every other byte becomes `%XX`. Lone
/// surrogates (as UTF-8-ish `ED A0..BF xx`) are a URIError, as in the spec; other bytes that are
/// not valid UTF-8 (binary data) are encoded byte by byte.
fn encode(vm: &mut Vm, v: Value, extra: &[u8]) -> Result<Value, Value> {
    let s = vm.to_string(v)?;
    vm.flatten(s);
    let b = vm.flat_bytes(s);
    let mut out = Vec::with_capacity(b.len());
    for i in 0..b.len() {
        let c = b[i];
        if c.is_ascii_alphanumeric() || URI_MARK.contains(&c) || extra.contains(&c) {
            out.push(c);
        } else {
            if is_encoded_surrogate(b, i) {
                return Err(uri_error(vm, "URI malformed"));
            }
            out.push(b'%');
            out.push(HEX_UPPER[(c >> 4) as usize]);
            out.push(HEX_UPPER[(c & 15) as usize]);
        }
        if out.len() > vm.config.max_string_bytes {
            return Err(vm.range_error("Invalid string length"));
        }
    }
    vm.new_string_vec(out)
}

fn encode_uri(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    encode(vm, Vm::arg(args, 0), b";/?:@&=+$,#")
}

fn encode_uri_component(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    encode(vm, Vm::arg(args, 0), b"")
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The byte of `%XX` at `b[i..]`.
fn pct_byte(b: &[u8], i: usize) -> Option<u8> {
    if b.get(i) != Some(&b'%') {
        return None;
    }
    let h = hex_val(*b.get(i + 1)?)?;
    let l = hex_val(*b.get(i + 2)?)?;
    Some(h << 4 | l)
}

/// Decode: `%XX` sequences become bytes; multi-byte sequences must be valid UTF-8. Escapes of
/// characters in `preserve` are kept as they are.
fn decode(vm: &mut Vm, v: Value, preserve: &[u8]) -> Result<Value, Value> {
    let s = vm.to_string(v)?;
    vm.flatten(s);
    let b = vm.flat_bytes(s);
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut bad = false;
    while i < b.len() {
        let c = b[i];
        if c != b'%' {
            out.push(c);
            i += 1;
            continue;
        }
        let Some(first) = pct_byte(b, i) else {
            bad = true;
            break;
        };
        if first < 0x80 {
            if preserve.contains(&first) {
                out.extend_from_slice(&b[i..i + 3]);
            } else {
                out.push(first);
            }
            i += 3;
            continue;
        }
        let n = match first {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => {
                bad = true;
                break;
            }
        };
        let mut seq = [first, 0, 0, 0];
        let mut j = i + 3;
        for slot in seq.iter_mut().take(n).skip(1) {
            match pct_byte(b, j) {
                Some(x) if x & 0xC0 == 0x80 => *slot = x,
                _ => {
                    bad = true;
                    break;
                }
            }
            j += 3;
        }
        if bad {
            break;
        }
        if core::str::from_utf8(&seq[..n]).is_err() {
            bad = true;
            break;
        }
        out.extend_from_slice(&seq[..n]);
        i = j;
    }
    if bad {
        return Err(uri_error(vm, "URI malformed"));
    }
    vm.new_string_vec(out)
}

fn decode_uri(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    decode(vm, Vm::arg(args, 0), b";/?:@&=+$,#")
}

fn decode_uri_component(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    decode(vm, Vm::arg(args, 0), b"")
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn btoa(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let s = vm.to_string(Vm::arg(args, 0))?;
    let len = vm.string_len(s);
    if len / 3 * 4 + 4 > vm.config.max_string_bytes {
        return Err(vm.range_error("Invalid string length"));
    }
    vm.flatten(s);
    let b = vm.flat_bytes(s);
    let mut out = Vec::with_capacity(len.div_ceil(3) * 4);
    for chunk in b.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        out.push(B64[(n >> 18 & 63) as usize]);
        out.push(B64[(n >> 12 & 63) as usize]);
        out.push(if chunk.len() > 1 {
            B64[(n >> 6 & 63) as usize]
        } else {
            b'='
        });
        out.push(if chunk.len() > 2 {
            B64[(n & 63) as usize]
        } else {
            b'='
        });
    }
    vm.new_string_vec(out)
}

fn b64_val(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Forgiving base64 decode (whitespace ignored, padding optional). None if invalid.
fn b64_decode(b: &[u8]) -> Option<Vec<u8>> {
    let mut data: Vec<u8> = b
        .iter()
        .copied()
        .filter(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r'))
        .collect();
    if data.len().is_multiple_of(4) && data.last() == Some(&b'=') {
        data.pop();
        if data.last() == Some(&b'=') {
            data.pop();
        }
    }
    if data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() / 4 * 3 + 2);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in &data {
        acc = acc << 6 | b64_val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn atob(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let s = vm.to_string(Vm::arg(args, 0))?;
    let decoded = b64_decode(vm.string_bytes(s));
    match decoded {
        Some(out) => vm.new_string_vec(out),
        None => Err(vm.make_error(
            ErrorKind::Error,
            "atob: the string to be decoded is not correctly encoded",
        )),
    }
}

fn btoh(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let s = vm.to_string(Vm::arg(args, 0))?;
    let len = vm.string_len(s);
    if len.saturating_mul(2) > vm.config.max_string_bytes {
        return Err(vm.range_error("Invalid string length"));
    }
    vm.flatten(s);
    let b = vm.flat_bytes(s);
    let mut out = Vec::with_capacity(len * 2);
    for &c in b {
        out.push(HEX_LOWER[(c >> 4) as usize]);
        out.push(HEX_LOWER[(c & 15) as usize]);
    }
    vm.new_string_vec(out)
}

pub fn install(vm: &mut Vm) {
    let g = vm.global;
    let fns: [(&str, u32, crate::engine::NativeFn); 9] = [
        ("isNaN", 1, is_nan),
        ("isFinite", 1, is_finite),
        ("encodeURI", 1, encode_uri),
        ("encodeURIComponent", 1, encode_uri_component),
        ("decodeURI", 1, decode_uri),
        ("decodeURIComponent", 1, decode_uri_component),
        ("atob", 1, atob),
        ("btoa", 1, btoa),
        ("btoh", 1, btoh),
    ];
    for (name, arity, f) in fns {
        vm.define_method(g, name, arity, f);
    }
}
