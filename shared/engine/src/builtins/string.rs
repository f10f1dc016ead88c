//! `String`: the constructor, `String.fromCharCode` / `fromCodePoint` / `raw`, and
//! `String.prototype`.
//!
//! Strings are byte strings (UTF-8 by convention): lengths and indices count bytes, `charCodeAt`
//! returns a byte, `String.fromCharCode(n)` with `n < 256` is the single byte `n` (Shelly /
//! Smart.js semantics, see docs/CONFORMANCE.md "Deviations").

use alloc::vec::Vec;

use crate::object::{Key, ObjectKind};
use crate::value::{Kind, Value};
use crate::vm::{trim_js, trim_js_end, trim_js_start, Vm};

use super::regexp;

type R = Result<Value, Value>;

/// Run `f`, then drop every root it pushed (on success and on error).
pub(crate) fn with_roots(vm: &mut Vm, f: impl FnOnce(&mut Vm) -> R) -> R {
    let mark = vm.roots_len();
    let r = f(vm);
    vm.truncate_roots(mark);
    r
}

/// RequireObjectCoercible(this) then ToString(this).
fn this_str(vm: &mut Vm, this: Value, method: &str) -> R {
    if this.is_string() {
        return Ok(this);
    }
    if this.is_nullish() {
        return Err(vm.type_error(&alloc::format!(
            "String.prototype.{method} called on null or undefined"
        )));
    }
    vm.to_string(this)
}

/// thisStringValue (for toString / valueOf).
fn this_string_value(vm: &mut Vm, this: Value, method: &str) -> R {
    if this.is_string() {
        return Ok(this);
    }
    if let Some(h) = this.as_object() {
        if let ObjectKind::String(s) = vm.heap.obj(h).kind {
            return Ok(s);
        }
    }
    Err(vm.type_error(&alloc::format!(
        "String.prototype.{method} requires that 'this' be a String"
    )))
}

/// Bytes `a..b` of the (flat) string `s` as a new string value.
pub(crate) fn substring_value(vm: &mut Vm, s: Value, a: usize, b: usize) -> R {
    vm.flatten(s);
    let len = vm.string_len(s);
    let b = b.min(len);
    if a >= b {
        return Ok(Value::atom(vm.names.empty));
    }
    if a == 0 && b == len {
        return Ok(s);
    }
    if b - a == 1 {
        let c = vm.flat_bytes(s)[a];
        return Ok(vm.intern_bytes(&[c]));
    }
    let v = vm.flat_bytes(s)[a..b].to_vec();
    vm.new_string_vec(v)
}

/// First index ≥ `from` where `n` occurs in `h`.
pub(crate) fn find_bytes(h: &[u8], n: &[u8], from: usize) -> Option<usize> {
    if n.is_empty() {
        return (from <= h.len()).then_some(from);
    }
    if from >= h.len() || n.len() > h.len() - from {
        return None;
    }
    let first = n[0];
    let last_start = h.len() - n.len();
    let mut i = from;
    while i <= last_start {
        match h[i..=last_start].iter().position(|&c| c == first) {
            None => return None,
            Some(p) => {
                i += p;
                if &h[i..i + n.len()] == n {
                    return Some(i);
                }
                i += 1;
            }
        }
    }
    None
}

/// Last index ≤ `from` where `n` occurs in `h`.
fn rfind_bytes(h: &[u8], n: &[u8], from: usize) -> Option<usize> {
    if n.len() > h.len() {
        return None;
    }
    let mut i = from.min(h.len() - n.len());
    loop {
        if &h[i..i + n.len()] == n {
            return Some(i);
        }
        if i == 0 {
            return None;
        }
        i -= 1;
    }
}

/// Decode one UTF-8 (or WTF-8: surrogates allowed) sequence at the start of `b`.
pub(crate) fn decode_wtf8(b: &[u8]) -> Option<(u32, usize)> {
    let c0 = *b.first()? as u32;
    if c0 < 0x80 {
        return Some((c0, 1));
    }
    let (n, init, min) = match c0 {
        0xC2..=0xDF => (2, c0 & 0x1F, 0x80),
        0xE0..=0xEF => (3, c0 & 0x0F, 0x800),
        0xF0..=0xF4 => (4, c0 & 0x07, 0x10000),
        _ => return None,
    };
    if b.len() < n {
        return None;
    }
    let mut cp = init;
    for &c in &b[1..n] {
        if c & 0xC0 != 0x80 {
            return None;
        }
        cp = (cp << 6) | (c as u32 & 0x3F);
    }
    if cp < min || cp > 0x10FFFF {
        return None;
    }
    Some((cp, n))
}

/// Relative index → clamped absolute index (slice / at style).
fn rel_index(rel: f64, len: usize) -> usize {
    let len_f = len as f64;
    if rel < 0.0 {
        let r = len_f + rel;
        if r < 0.0 {
            0
        } else {
            r as usize
        }
    } else if rel > len_f {
        len
    } else {
        rel as usize
    }
}

fn clamp_index(v: f64, len: usize) -> usize {
    if v <= 0.0 {
        0
    } else if v >= len as f64 {
        len
    } else {
        v as usize
    }
}

fn int_arg(vm: &mut Vm, args: &[Value], i: usize) -> Result<f64, Value> {
    let v = Vm::arg(args, i);
    if let Some(n) = v.as_number() {
        if n.is_nan() {
            return Ok(0.0);
        }
        if n.is_infinite() {
            return Ok(n);
        }
        return Ok(libm::trunc(n) + 0.0);
    }
    vm.to_integer_or_infinity(v)
}

fn invalid_length(vm: &mut Vm) -> Value {
    vm.range_error("Invalid string length")
}

// ----- constructor and static methods -----

fn symbol_descriptive_string(vm: &mut Vm, h: crate::heap::Handle) -> R {
    let d = vm.heap.symbol(h).description;
    let mut out = b"Symbol(".to_vec();
    if d.is_string() {
        out.extend_from_slice(vm.string_bytes(d));
    }
    out.push(b')');
    vm.new_string_vec(out)
}

fn string_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let nt = vm.new_target();
    let s = if args.is_empty() {
        Value::atom(vm.names.empty)
    } else {
        let v = args[0];
        match v.kind() {
            Kind::Symbol(h) if nt.is_undefined() => return symbol_descriptive_string(vm, h),
            _ => vm.to_string(v)?,
        }
    };
    if nt.is_undefined() {
        return Ok(s);
    }
    with_roots(vm, |vm| {
        vm.push_root(s);
        let fallback = vm.intr.string_prototype;
        let proto = vm.proto_from_new_target(nt, fallback)?;
        let o = vm.alloc_object(proto, ObjectKind::String(s))?;
        let len = vm.string_len(s);
        let lk = Key::atom(vm.names.length);
        vm.define_value(o.as_object().unwrap(), lk, Value::number(len as f64), 0);
        Ok(o)
    })
}

fn from_char_code(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    if args.len() == 1 {
        if let Some(n) = args[0].as_number() {
            let u = crate::vm::f64_to_int32(n) as u32 & 0xFFFF;
            if u < 256 {
                return Ok(vm.intern_bytes(&[u as u8]));
            }
        }
    }
    let mut units = Vec::with_capacity(args.len());
    for &a in args {
        units.push(vm.to_uint32(a)? & 0xFFFF);
    }
    let mut out = Vec::with_capacity(units.len());
    let mut i = 0;
    while i < units.len() {
        let u = units[i];
        if u < 256 {
            out.push(u as u8);
        } else if (0xD800..0xDC00).contains(&u)
            && i + 1 < units.len()
            && (0xDC00..0xE000).contains(&units[i + 1])
        {
            let cp = 0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00);
            crate::lexer::push_code_point(&mut out, cp);
            i += 1;
        } else {
            crate::lexer::push_code_point(&mut out, u);
        }
        i += 1;
    }
    vm.new_string_vec(out)
}

fn from_code_point(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let mut out = Vec::with_capacity(args.len());
    for &a in args {
        let n = vm.to_number(a)?;
        if n.is_nan() || !(0.0..=1114111.0).contains(&n) || libm::trunc(n) != n {
            let d = crate::lexer::number_to_string(n);
            return Err(vm.range_error(&alloc::format!("Invalid code point {d}")));
        }
        crate::lexer::push_code_point(&mut out, n as u32);
        if out.len() > vm.config.max_string_bytes {
            return Err(invalid_length(vm));
        }
    }
    vm.new_string_vec(out)
}

fn string_raw(vm: &mut Vm, _this: Value, args: &[Value]) -> R {
    let cooked = vm.to_object(Vm::arg(args, 0))?;
    with_roots(vm, |vm| {
        vm.push_root(cooked);
        let rk = Key::atom(vm.names.raw);
        let raw = vm.get(cooked, rk)?;
        let raw = vm.to_object(raw)?;
        vm.push_root(raw);
        let lk = Key::atom(vm.names.length);
        let lv = vm.get(raw, lk)?;
        let len = vm.to_length(lv)?;
        let mut out = Vec::new();
        let mut i = 0f64;
        while i < len {
            let seg = vm.get_index(raw, i as u32)?;
            let seg = vm.to_string(seg)?;
            out.extend_from_slice(vm.string_bytes(seg));
            if out.len() > vm.config.max_string_bytes {
                return Err(invalid_length(vm));
            }
            if i + 1.0 >= len {
                break;
            }
            let k = i as usize + 1;
            if k < args.len() {
                let sub = vm.to_string(args[k])?;
                out.extend_from_slice(vm.string_bytes(sub));
            }
            i += 1.0;
        }
        vm.new_string_vec(out)
    })
}

// ----- prototype methods -----

fn to_string_m(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    this_string_value(vm, this, "toString")
}

fn value_of(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    this_string_value(vm, this, "valueOf")
}

/// Smart.js `s.at(i)`: the byte value at `i`, or NaN when out of range.
/// Deliberately NOT ES2022 `String.prototype.at` (see docs/CONFORMANCE.md, Deviations).
fn at(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let s = this_str(vm, this, "at")?;
    let k = with_roots(vm, |vm| {
        vm.push_root(s);
        Ok(Value::number(int_arg(vm, args, 0)?))
    })?
    .as_number()
    .unwrap_or(0.0);
    let len = vm.string_len(s);
    if k < 0.0 || k >= len as f64 {
        return Ok(Value::NAN);
    }
    Ok(Value::number(vm.string_bytes(s)[k as usize] as f64))
}

fn blen(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    let s = match this.as_object().map(|h| &vm.heap.obj(h).kind) {
        Some(ObjectKind::String(s)) => *s,
        _ => this_str(vm, this, "blen")?,
    };
    Ok(Value::number(vm.string_len(s) as f64))
}

/// ToString(this) rooted, then the integer argument `i`.
fn str_and_int(
    vm: &mut Vm,
    this: Value,
    args: &[Value],
    name: &str,
) -> Result<(Value, f64), Value> {
    let s = this_str(vm, this, name)?;
    if let Some(n) = Vm::arg(args, 0).as_number() {
        let k = if n.is_nan() {
            0.0
        } else {
            libm::trunc(n) + 0.0
        };
        return Ok((s, k));
    }
    let mark = vm.push_root(s);
    let r = int_arg(vm, args, 0);
    vm.truncate_roots(mark);
    Ok((s, r?))
}

fn char_at(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let (s, k) = str_and_int(vm, this, args, "charAt")?;
    if k < 0.0 || k >= vm.string_len(s) as f64 {
        return Ok(Value::atom(vm.names.empty));
    }
    let b = vm.string_bytes(s)[k as usize];
    Ok(vm.intern_bytes(&[b]))
}

fn char_code_at(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let (s, k) = str_and_int(vm, this, args, "charCodeAt")?;
    if k < 0.0 || k >= vm.string_len(s) as f64 {
        return Ok(Value::NAN);
    }
    Ok(Value::number(vm.string_bytes(s)[k as usize] as f64))
}

fn code_point_at(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let (s, k) = str_and_int(vm, this, args, "codePointAt")?;
    if k < 0.0 || k >= vm.string_len(s) as f64 {
        return Ok(Value::UNDEFINED);
    }
    let b = &vm.string_bytes(s)[k as usize..];
    Ok(Value::number(match decode_wtf8(b) {
        Some((cp, _)) => cp as f64,
        None => b[0] as f64,
    }))
}

fn concat(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let s = this_str(vm, this, "concat")?;
    with_roots(vm, |vm| {
        let mut acc = s;
        vm.push_root(acc);
        for &a in args {
            let t = vm.to_string(a)?;
            acc = vm.concat(acc, t)?;
            vm.push_root(acc);
        }
        Ok(acc)
    })
}

/// The (this string, search string) pair of includes / startsWith / endsWith / indexOf, with
/// the position argument converted; `no_regexp` rejects RegExp search values.
fn search_args(
    vm: &mut Vm,
    this: Value,
    args: &[Value],
    name: &str,
    no_regexp: bool,
) -> Result<(Value, Value, Value), Value> {
    let s = this_str(vm, this, name)?;
    let mark = vm.push_root(s);
    let r = (|| -> Result<Value, Value> {
        let sv = Vm::arg(args, 0);
        if no_regexp && regexp::is_regexp(vm, sv)? {
            return Err(vm.type_error(&alloc::format!(
                "First argument to String.prototype.{name} must not be a regular expression"
            )));
        }
        let search = vm.to_string(sv)?;
        vm.push_root(search);
        Ok(search)
    })();
    let search = match r {
        Ok(v) => v,
        Err(e) => {
            vm.truncate_roots(mark);
            return Err(e);
        }
    };
    let _ = search;
    // Leave both rooted for the caller's position conversion; the caller truncates.
    Ok((s, search, Value::number(mark as f64)))
}

fn end_search(vm: &mut Vm, mark: Value) {
    vm.truncate_roots(mark.as_number().unwrap_or(0.0) as usize);
}

fn includes(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let (s, search, mark) = search_args(vm, this, args, "includes", true)?;
    let pos = int_arg(vm, args, 1);
    end_search(vm, mark);
    let len = vm.string_len(s);
    let start = clamp_index(pos?, len);
    vm.flatten(s);
    vm.flatten(search);
    Ok(Value::bool(
        find_bytes(vm.flat_bytes(s), vm.flat_bytes(search), start).is_some(),
    ))
}

fn starts_with(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let (s, search, mark) = search_args(vm, this, args, "startsWith", true)?;
    let pos = int_arg(vm, args, 1);
    end_search(vm, mark);
    let len = vm.string_len(s);
    let start = clamp_index(pos?, len);
    vm.flatten(s);
    vm.flatten(search);
    let h = vm.flat_bytes(s);
    let n = vm.flat_bytes(search);
    Ok(Value::bool(
        h.len() - start >= n.len() && &h[start..start + n.len()] == n,
    ))
}

fn ends_with(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let (s, search, mark) = search_args(vm, this, args, "endsWith", true)?;
    let len = vm.string_len(s);
    let end_pos = Vm::arg(args, 1);
    let end = if end_pos.is_undefined() {
        Ok(len as f64)
    } else {
        vm.to_integer_or_infinity(end_pos)
    };
    end_search(vm, mark);
    let end = clamp_index(end?, len);
    vm.flatten(s);
    vm.flatten(search);
    let h = vm.flat_bytes(s);
    let n = vm.flat_bytes(search);
    Ok(Value::bool(end >= n.len() && &h[end - n.len()..end] == n))
}

fn index_of(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    // Fast path: both strings, position absent or a number.
    let sv = Vm::arg(args, 0);
    if this.is_string() && sv.is_string() {
        if let Some(p) = match Vm::arg(args, 1) {
            v if v.is_undefined() => Some(0.0),
            v => v.as_number(),
        } {
            let len = vm.string_len(this);
            let start = clamp_index(if p.is_nan() { 0.0 } else { p }, len);
            vm.flatten(this);
            vm.flatten(sv);
            let r = find_bytes(vm.flat_bytes(this), vm.flat_bytes(sv), start);
            return Ok(Value::number(r.map_or(-1.0, |i| i as f64)));
        }
    }
    let (s, search, mark) = search_args(vm, this, args, "indexOf", false)?;
    let pos = int_arg(vm, args, 1);
    end_search(vm, mark);
    let len = vm.string_len(s);
    let start = clamp_index(pos?, len);
    vm.flatten(s);
    vm.flatten(search);
    let r = find_bytes(vm.flat_bytes(s), vm.flat_bytes(search), start);
    Ok(Value::number(r.map_or(-1.0, |i| i as f64)))
}

fn last_index_of(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let (s, search, mark) = search_args(vm, this, args, "lastIndexOf", false)?;
    let num = vm.to_number(Vm::arg(args, 1));
    end_search(vm, mark);
    let num = num?;
    let pos = if num.is_nan() {
        f64::INFINITY
    } else {
        libm::trunc(num)
    };
    let len = vm.string_len(s);
    let start = clamp_index(pos, len);
    vm.flatten(s);
    vm.flatten(search);
    let r = rfind_bytes(vm.flat_bytes(s), vm.flat_bytes(search), start);
    Ok(Value::number(r.map_or(-1.0, |i| i as f64)))
}

fn locale_compare(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let s = this_str(vm, this, "localeCompare")?;
    with_roots(vm, |vm| {
        vm.push_root(s);
        let t = vm.to_string(Vm::arg(args, 0))?;
        vm.flatten(s);
        vm.flatten(t);
        let o = vm.flat_bytes(s).cmp(vm.flat_bytes(t));
        Ok(Value::number(match o {
            core::cmp::Ordering::Less => -1.0,
            core::cmp::Ordering::Equal => 0.0,
            core::cmp::Ordering::Greater => 1.0,
        }))
    })
}

fn normalize(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let s = this_str(vm, this, "normalize")?;
    with_roots(vm, |vm| {
        vm.push_root(s);
        let f = Vm::arg(args, 0);
        if !f.is_undefined() {
            let f = vm.to_string(f)?;
            let ok = matches!(vm.string_bytes(f), b"NFC" | b"NFD" | b"NFKC" | b"NFKD");
            if !ok {
                return Err(
                    vm.range_error("The normalization form should be one of NFC, NFD, NFKC, NFKD.")
                );
            }
        }
        // Normalization tables do not fit a microcontroller: the string is returned unchanged.
        Ok(s)
    })
}

fn pad(vm: &mut Vm, this: Value, args: &[Value], at_start: bool) -> R {
    let s = this_str(vm, this, if at_start { "padStart" } else { "padEnd" })?;
    with_roots(vm, |vm| {
        vm.push_root(s);
        let ml = vm.to_length(Vm::arg(args, 0))?;
        let len = vm.string_len(s);
        if ml <= len as f64 {
            return Ok(s);
        }
        let fv = Vm::arg(args, 1);
        let fill = if fv.is_undefined() {
            alloc::vec![b' ']
        } else {
            vm.to_byte_vec(fv)?
        };
        if fill.is_empty() {
            return Ok(s);
        }
        if ml > vm.config.max_string_bytes as f64 {
            return Err(invalid_length(vm));
        }
        let ml = ml as usize;
        let fill_len = ml - len;
        let mut out = Vec::with_capacity(ml);
        if !at_start {
            out.extend_from_slice(vm.string_bytes(s));
        }
        while out.len() < fill_len + if at_start { 0 } else { len } {
            let need = fill_len + if at_start { 0 } else { len } - out.len();
            out.extend_from_slice(&fill[..need.min(fill.len())]);
        }
        if at_start {
            out.extend_from_slice(vm.string_bytes(s));
        }
        vm.new_string_vec(out)
    })
}

fn pad_start(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    pad(vm, this, args, true)
}
fn pad_end(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    pad(vm, this, args, false)
}

fn repeat(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let (s, n) = str_and_int(vm, this, args, "repeat")?;
    if n < 0.0 || n.is_infinite() {
        return Err(vm.range_error(&alloc::format!(
            "Invalid count value: {}",
            crate::lexer::number_to_string(n)
        )));
    }
    let len = vm.string_len(s);
    if n == 0.0 || len == 0 {
        return Ok(Value::atom(vm.names.empty));
    }
    if n == 1.0 {
        return Ok(s);
    }
    if (len as f64) * n > vm.config.max_string_bytes as f64 {
        return Err(invalid_length(vm));
    }
    let n = n as usize;
    let b = vm.string_bytes(s).to_vec();
    let mut out = Vec::with_capacity(len * n);
    for _ in 0..n {
        out.extend_from_slice(&b);
    }
    vm.new_string_vec(out)
}

/// Two integer arguments (start, end) after ToString(this); `end` undefined → `len`.
fn two_ints(
    vm: &mut Vm,
    this: Value,
    args: &[Value],
    name: &str,
) -> Result<(Value, f64, Option<f64>), Value> {
    let s = this_str(vm, this, name)?;
    let a0 = Vm::arg(args, 0);
    let a1 = Vm::arg(args, 1);
    if let (Some(x), true) = (a0.as_number(), a1.is_undefined() || a1.is_number()) {
        let fix = |n: f64| {
            if n.is_nan() {
                0.0
            } else {
                libm::trunc(n) + 0.0
            }
        };
        return Ok((s, fix(x), a1.as_number().map(fix)));
    }
    let mark = vm.push_root(s);
    let r = (|| -> Result<(f64, Option<f64>), Value> {
        let a = vm.to_integer_or_infinity(a0)?;
        let b = if a1.is_undefined() {
            None
        } else {
            Some(vm.to_integer_or_infinity(a1)?)
        };
        Ok((a, b))
    })();
    vm.truncate_roots(mark);
    let (a, b) = r?;
    Ok((s, a, b))
}

fn slice(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let (s, a, b) = two_ints(vm, this, args, "slice")?;
    let len = vm.string_len(s);
    let from = rel_index(a, len);
    let to = rel_index(b.unwrap_or(len as f64), len);
    substring_value(vm, s, from, to)
}

fn substring(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let (s, a, b) = two_ints(vm, this, args, "substring")?;
    let len = vm.string_len(s);
    let x = clamp_index(a, len);
    let y = clamp_index(b.unwrap_or(len as f64), len);
    substring_value(vm, s, x.min(y), x.max(y))
}

fn substr(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let (s, a, b) = two_ints(vm, this, args, "substr")?;
    let len = vm.string_len(s);
    let start = rel_index(a, len);
    let l = match b {
        None => len as f64,
        Some(l) => l,
    };
    let l = l.clamp(0.0, len as f64) as usize;
    let end = (start + l).min(len);
    substring_value(vm, s, start, end)
}

fn change_case(vm: &mut Vm, this: Value, upper: bool, name: &str) -> R {
    let s = this_str(vm, this, name)?;
    let b = vm.string_bytes(s);
    if b.is_ascii() {
        let changed = if upper {
            b.iter().any(|c| c.is_ascii_lowercase())
        } else {
            b.iter().any(|c| c.is_ascii_uppercase())
        };
        if !changed {
            return Ok(s);
        }
        let out: Vec<u8> = if upper {
            b.to_ascii_uppercase()
        } else {
            b.to_ascii_lowercase()
        };
        return vm.new_string_vec(out);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut buf = [0u8; 4];
    while i < b.len() {
        match core::str::from_utf8(&b[i..]) {
            Ok(rest) => {
                push_case(&mut out, rest, upper, &mut buf);
                break;
            }
            Err(e) => {
                let good = e.valid_up_to();
                // SAFETY-free: the prefix is valid UTF-8 per `valid_up_to`.
                if let Ok(prefix) = core::str::from_utf8(&b[i..i + good]) {
                    push_case(&mut out, prefix, upper, &mut buf);
                }
                i += good;
                let bad = e.error_len().unwrap_or(b.len() - i).max(1);
                out.extend_from_slice(&b[i..(i + bad).min(b.len())]);
                i += bad;
            }
        }
    }
    vm.new_string_vec(out)
}

fn is_cased(c: char) -> bool {
    c.is_lowercase() || c.is_uppercase()
}

/// Approximation of Unicode Case_Ignorable (enough for the final-sigma rule).
fn is_case_ignorable(c: char) -> bool {
    matches!(
        c,
        '\'' | '.' | ':' | '^' | '`' | '\u{AD}' | '\u{B7}' | '\u{180E}' | '\u{2019}'
    ) || ('\u{300}'..='\u{36F}').contains(&c)
        || ('\u{200B}'..='\u{200F}').contains(&c)
}

/// Final sigma: Σ preceded by a cased letter and not followed by one lowers to ς.
fn is_final_sigma(s: &str, i: usize) -> bool {
    let before = s[..i].chars().rev().find(|&c| !is_case_ignorable(c));
    let after = s[i + 2..].chars().find(|&c| !is_case_ignorable(c));
    before.is_some_and(is_cased) && !after.is_some_and(is_cased)
}

fn push_case(out: &mut Vec<u8>, s: &str, upper: bool, buf: &mut [u8; 4]) {
    for (i, c) in s.char_indices() {
        if !upper && c == '\u{3A3}' {
            out.extend_from_slice(if is_final_sigma(s, i) { "ς" } else { "σ" }.as_bytes());
            continue;
        }
        if upper {
            for u in c.to_uppercase() {
                out.extend_from_slice(u.encode_utf8(buf).as_bytes());
            }
        } else {
            for u in c.to_lowercase() {
                out.extend_from_slice(u.encode_utf8(buf).as_bytes());
            }
        }
    }
}

fn to_lower_case(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    change_case(vm, this, false, "toLowerCase")
}
fn to_upper_case(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    change_case(vm, this, true, "toUpperCase")
}
fn to_locale_lower_case(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    change_case(vm, this, false, "toLocaleLowerCase")
}
fn to_locale_upper_case(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    change_case(vm, this, true, "toLocaleUpperCase")
}

fn trim_with(vm: &mut Vm, this: Value, name: &str, f: fn(&[u8]) -> &[u8]) -> R {
    let s = this_str(vm, this, name)?;
    let b = vm.string_bytes(s);
    let t = f(b);
    if t.len() == b.len() {
        return Ok(s);
    }
    let t = t.to_vec();
    vm.new_string_vec(t)
}

fn trim(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    trim_with(vm, this, "trim", trim_js)
}
fn trim_start(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    trim_with(vm, this, "trimStart", trim_js_start)
}
fn trim_end(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    trim_with(vm, this, "trimEnd", trim_js_end)
}

fn is_well_formed(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    let s = this_str(vm, this, "isWellFormed")?;
    Ok(Value::bool(
        core::str::from_utf8(vm.string_bytes(s)).is_ok(),
    ))
}

fn to_well_formed(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    let s = this_str(vm, this, "toWellFormed")?;
    let b = vm.string_bytes(s);
    if core::str::from_utf8(b).is_ok() {
        return Ok(s);
    }
    let out = alloc::string::String::from_utf8_lossy(b).into_owned();
    vm.new_string_vec(out.into_bytes())
}

fn string_iterator(vm: &mut Vm, this: Value, _args: &[Value]) -> R {
    let s = this_str(vm, this, "[Symbol.iterator]")?;
    super::iterator::new_string_iterator(vm, s)
}

/// GetMethod(v, @@sym) for an object `v`: Some(method) if not nullish.
fn get_symbol_method(
    vm: &mut Vm,
    v: Value,
    sym: crate::heap::Handle,
) -> Result<Option<Value>, Value> {
    if !v.is_object() {
        return Ok(None);
    }
    let m = vm.get(v, Key::symbol(sym))?;
    if m.is_nullish() {
        return Ok(None);
    }
    if !vm.is_callable(m) {
        return Err(vm.type_error("Symbol method is not a function"));
    }
    Ok(Some(m))
}

/// RequireObjectCoercible(this) with the method name in the message.
fn require_coercible(vm: &mut Vm, this: Value, name: &str) -> Result<(), Value> {
    if this.is_nullish() {
        return Err(vm.type_error(&alloc::format!(
            "String.prototype.{name} called on null or undefined"
        )));
    }
    Ok(())
}

/// match / search: delegate to `regexp[@@sym]`, else create a RegExp and invoke it.
fn regexp_delegate(
    vm: &mut Vm,
    this: Value,
    args: &[Value],
    sym: crate::heap::Handle,
    name: &str,
    flags: Option<&str>,
) -> R {
    require_coercible(vm, this, name)?;
    let rv = Vm::arg(args, 0);
    if let Some(m) = get_symbol_method(vm, rv, sym)? {
        return vm.call(m, rv, &[this]);
    }
    let s = vm.to_string(this)?;
    with_roots(vm, |vm| {
        vm.push_root(s);
        let f = match flags {
            Some(f) => vm.intern(f),
            None => Value::UNDEFINED,
        };
        let rx = regexp::regexp_create_dyn(vm, rv, f)?;
        vm.push_root(rx);
        let m = vm.get(rx, Key::symbol(sym))?;
        vm.call(m, rx, &[s])
    })
}

fn match_(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let sym = vm.sym.match_;
    regexp_delegate(vm, this, args, sym, "match", None)
}

fn search(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    let sym = vm.sym.search;
    regexp_delegate(vm, this, args, sym, "search", None)
}

/// Throw unless the `flags` of a RegExp `rv` include "g" (matchAll / replaceAll).
fn require_global_flag(vm: &mut Vm, rv: Value, name: &str) -> Result<(), Value> {
    if regexp::is_regexp(vm, rv)? {
        let fk = vm.key("flags");
        let flags = vm.get(rv, fk)?;
        if flags.is_nullish() {
            return Err(vm.type_error("RegExp flags is null or undefined"));
        }
        let f = vm.to_string(flags)?;
        if !vm.string_bytes(f).contains(&b'g') {
            return Err(vm.type_error(&alloc::format!(
                "{name} must be called with a global RegExp"
            )));
        }
    }
    Ok(())
}

fn match_all(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    require_coercible(vm, this, "matchAll")?;
    let rv = Vm::arg(args, 0);
    if !rv.is_nullish() {
        require_global_flag(vm, rv, "String.prototype.matchAll")?;
    }
    let sym = vm.sym.match_all;
    regexp_delegate(vm, this, args, sym, "matchAll", Some("g"))
}

/// GetSubstitution over bytes. `captures[i]` is capture i+1; `named` looks up `$<name>`
/// (None when there are no named groups).
pub(crate) fn get_substitution(
    vm: &mut Vm,
    matched: &[u8],
    s: &[u8],
    position: usize,
    captures: &[Option<Vec<u8>>],
    named: Value,
    replacement: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), Value> {
    let m = captures.len();
    let tail_pos = (position + matched.len()).min(s.len());
    let mut i = 0;
    while i < replacement.len() {
        let c = replacement[i];
        if c != b'$' || i + 1 >= replacement.len() {
            // Copy a run of plain bytes.
            let end = replacement[i + 1..]
                .iter()
                .position(|&x| x == b'$')
                .map_or(replacement.len(), |p| i + 1 + p);
            out.extend_from_slice(&replacement[i..end]);
            i = end;
            continue;
        }
        let n = replacement[i + 1];
        match n {
            b'$' => {
                out.push(b'$');
                i += 2;
            }
            b'&' => {
                out.extend_from_slice(matched);
                i += 2;
            }
            b'`' => {
                out.extend_from_slice(&s[..position.min(s.len())]);
                i += 2;
            }
            b'\'' => {
                out.extend_from_slice(&s[tail_pos..]);
                i += 2;
            }
            b'0'..=b'9' => {
                let d1 = (n - b'0') as usize;
                let two = replacement
                    .get(i + 2)
                    .filter(|c| c.is_ascii_digit())
                    .map(|c| d1 * 10 + (c - b'0') as usize);
                if let Some(nn) = two.filter(|&nn| nn >= 1 && nn <= m) {
                    if let Some(Some(cap)) = captures.get(nn - 1) {
                        out.extend_from_slice(cap);
                    }
                    i += 3;
                } else if d1 >= 1 && d1 <= m {
                    if let Some(Some(cap)) = captures.get(d1 - 1) {
                        out.extend_from_slice(cap);
                    }
                    i += 2;
                } else {
                    out.push(b'$');
                    i += 1;
                }
            }
            b'<' => {
                if named.is_undefined() {
                    out.extend_from_slice(b"$<");
                    i += 2;
                    continue;
                }
                let Some(close) = replacement[i + 2..].iter().position(|&x| x == b'>') else {
                    out.extend_from_slice(b"$<");
                    i += 2;
                    continue;
                };
                let name = &replacement[i + 2..i + 2 + close];
                let key = {
                    let kv = vm.new_string(name)?;
                    vm.string_key(kv)
                };
                let v = vm.get(named, key)?;
                if !v.is_undefined() {
                    let sv = vm.to_string(v)?;
                    out.extend_from_slice(vm.string_bytes(sv));
                }
                i += 3 + close;
            }
            _ => {
                out.push(b'$');
                i += 1;
            }
        }
        if out.len() > vm.config.max_string_bytes {
            return Err(invalid_length(vm));
        }
    }
    Ok(())
}

fn replace_impl(vm: &mut Vm, this: Value, args: &[Value], all: bool) -> R {
    let name = if all { "replaceAll" } else { "replace" };
    require_coercible(vm, this, name)?;
    let sv = Vm::arg(args, 0);
    let rv = Vm::arg(args, 1);
    if !sv.is_nullish() {
        if all {
            require_global_flag(vm, sv, "String.prototype.replaceAll")?;
        }
        let sym = vm.sym.replace;
        if let Some(m) = get_symbol_method(vm, sv, sym)? {
            return vm.call(m, sv, &[this, rv]);
        }
    }
    with_roots(vm, |vm| {
        let s = vm.to_string(this)?;
        vm.push_root(s);
        let search = vm.to_string(sv)?;
        vm.push_root(search);
        let functional = vm.is_callable(rv);
        let repl = if functional {
            Value::UNDEFINED
        } else {
            let r = vm.to_string(rv)?;
            vm.push_root(r);
            r
        };
        vm.flatten(s);
        vm.flatten(search);
        let sb_len = vm.string_len(search);
        // Positions of the matches.
        let mut positions = Vec::new();
        {
            let h = vm.flat_bytes(s);
            let n = vm.flat_bytes(search);
            let mut from = 0;
            while let Some(p) = find_bytes(h, n, from) {
                positions.push(p);
                if !all {
                    break;
                }
                from = p + sb_len.max(1);
                if from > h.len() {
                    break;
                }
            }
        }
        if positions.is_empty() {
            return Ok(s);
        }
        let repl_bytes = if functional {
            Vec::new()
        } else {
            vm.string_bytes(repl).to_vec()
        };
        let simple = !functional && !repl_bytes.contains(&b'$');
        let mut out = Vec::new();
        let mut end_of_last = 0;
        for p in positions {
            // Bytes between matches (re-read: callbacks cannot change `s`, it is immutable).
            {
                let h = vm.flat_bytes(s);
                out.extend_from_slice(&h[end_of_last..p]);
            }
            if functional {
                let r = vm.call(rv, Value::UNDEFINED, &[search, Value::number(p as f64), s])?;
                let r = vm.to_string(r)?;
                out.extend_from_slice(vm.string_bytes(r));
            } else if simple {
                out.extend_from_slice(&repl_bytes);
            } else {
                let hb = vm.flat_bytes(s).to_vec();
                let nb = vm.flat_bytes(search).to_vec();
                get_substitution(
                    vm,
                    &nb,
                    &hb,
                    p,
                    &[],
                    Value::UNDEFINED,
                    &repl_bytes,
                    &mut out,
                )?;
            }
            if out.len() > vm.config.max_string_bytes {
                return Err(invalid_length(vm));
            }
            end_of_last = p + sb_len;
        }
        vm.flatten(s);
        let h = vm.flat_bytes(s);
        out.extend_from_slice(&h[end_of_last.min(h.len())..]);
        vm.new_string_vec(out)
    })
}

fn replace(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    replace_impl(vm, this, args, false)
}

fn replace_all(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    replace_impl(vm, this, args, true)
}

/// Split the flat string `s` on the non-empty byte string `sep`, at most `lim` pieces.
pub(crate) fn split_bytes(vm: &mut Vm, s: Value, sep: &[u8], lim: u32) -> R {
    vm.flatten(s);
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    {
        let h = vm.flat_bytes(s);
        let mut start = 0;
        if sep.len() == 1 {
            let c = sep[0];
            for (i, &b) in h.iter().enumerate() {
                if ranges.len() as u32 >= lim {
                    break;
                }
                if b == c {
                    ranges.push((start, i));
                    start = i + 1;
                }
            }
        } else {
            while (ranges.len() as u32) < lim {
                match find_bytes(h, sep, start) {
                    Some(p) => {
                        ranges.push((start, p));
                        start = p + sep.len();
                    }
                    None => break,
                }
            }
        }
        if (ranges.len() as u32) < lim {
            ranges.push((start, h.len()));
        }
    }
    let mut out = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        out.push(substring_value(vm, s, a, b)?);
    }
    vm.new_array(out)
}

fn split(vm: &mut Vm, this: Value, args: &[Value]) -> R {
    require_coercible(vm, this, "split")?;
    let sepv = Vm::arg(args, 0);
    let limv = Vm::arg(args, 1);
    if !sepv.is_nullish() {
        let sym = vm.sym.split;
        if let Some(m) = get_symbol_method(vm, sepv, sym)? {
            return vm.call(m, sepv, &[this, limv]);
        }
    }
    with_roots(vm, |vm| {
        let s = vm.to_string(this)?;
        vm.push_root(s);
        let lim = if limv.is_undefined() {
            u32::MAX
        } else {
            vm.to_uint32(limv)?
        };
        let sep = vm.to_string(sepv)?;
        if lim == 0 {
            return vm.new_array(Vec::new());
        }
        if sepv.is_undefined() {
            return vm.new_array(alloc::vec![s]);
        }
        let sep_bytes = vm.string_bytes(sep).to_vec();
        let len = vm.string_len(s);
        if sep_bytes.is_empty() {
            let n = len.min(lim as usize);
            let b = vm.string_bytes(s)[..n].to_vec();
            let mut out = Vec::with_capacity(n);
            for c in b {
                out.push(vm.intern_bytes(&[c]));
            }
            return vm.new_array(out);
        }
        if len == 0 {
            return vm.new_array(alloc::vec![s]);
        }
        split_bytes(vm, s, &sep_bytes, lim)
    })
}

pub fn install(vm: &mut Vm) {
    let sp = vm.intr.string_prototype.expect("String.prototype");
    let (ctor, _) = vm.define_class("String", 1, string_ctor, Some(sp), None);
    vm.define_method(ctor, "fromCharCode", 1, from_char_code);
    vm.define_method(ctor, "fromCodePoint", 1, from_code_point);
    vm.define_method(ctor, "raw", 1, string_raw);

    let methods: &[(&str, u32, crate::engine::NativeFn)] = &[
        ("toString", 0, to_string_m),
        ("valueOf", 0, value_of),
        ("at", 1, at),
        ("charAt", 1, char_at),
        ("charCodeAt", 1, char_code_at),
        ("codePointAt", 1, code_point_at),
        ("concat", 1, concat),
        ("endsWith", 1, ends_with),
        ("includes", 1, includes),
        ("indexOf", 1, index_of),
        ("lastIndexOf", 1, last_index_of),
        ("localeCompare", 1, locale_compare),
        ("match", 1, match_),
        ("matchAll", 1, match_all),
        ("normalize", 0, normalize),
        ("padEnd", 1, pad_end),
        ("padStart", 1, pad_start),
        ("repeat", 1, repeat),
        ("replace", 2, replace),
        ("replaceAll", 2, replace_all),
        ("search", 1, search),
        ("slice", 2, slice),
        ("split", 2, split),
        ("startsWith", 1, starts_with),
        ("substring", 2, substring),
        ("substr", 2, substr),
        ("toLowerCase", 0, to_lower_case),
        ("toUpperCase", 0, to_upper_case),
        ("toLocaleLowerCase", 0, to_locale_lower_case),
        ("toLocaleUpperCase", 0, to_locale_upper_case),
        ("trim", 0, trim),
        ("isWellFormed", 0, is_well_formed),
        ("toWellFormed", 0, to_well_formed),
    ];
    for &(name, arity, f) in methods {
        vm.define_method(sp, name, arity, f);
    }
    let ts = vm.define_method_now(sp, "trimStart", 0, trim_start);
    let te = vm.define_method_now(sp, "trimEnd", 0, trim_end);
    let k = vm.key("trimLeft");
    vm.define_value(sp, k, ts, crate::object::METHOD_FLAGS);
    let k = vm.key("trimRight");
    vm.define_value(sp, k, te, crate::object::METHOD_FLAGS);
    let it = vm.sym.iterator;
    vm.define_symbol_method(sp, it, "[Symbol.iterator]", 0, string_iterator);
    let bk = vm.key("blen");
    vm.define_accessor(sp, bk, "blen", Some(blen), None);
}
