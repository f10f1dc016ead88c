//! `Number`: the constructor, its constants and predicates, `parseInt`/`parseFloat` (also the
//! globals), and `Number.prototype` formatting (`toString(radix)`, `toFixed`, `toExponential`,
//! `toPrecision`) with exact decimal expansion of doubles.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::object::{Key, ObjectKind, METHOD_FLAGS};
use crate::value::Value;
use crate::vm::Vm;

// ----- exact decimal arithmetic -----

/// Multiply a little-endian base-2^32 big integer by a small factor.
fn big_mul_small(limbs: &mut Vec<u32>, m: u32) {
    let mut carry: u64 = 0;
    for l in limbs.iter_mut() {
        let p = *l as u64 * m as u64 + carry;
        *l = p as u32;
        carry = p >> 32;
    }
    if carry != 0 {
        limbs.push(carry as u32);
    }
}

/// Decimal digits of a big integer (no leading zeros; "0" for zero).
fn big_to_decimal(mut limbs: Vec<u32>) -> Vec<u8> {
    let mut chunks: Vec<u32> = Vec::new();
    while limbs.last() == Some(&0) {
        limbs.pop();
    }
    while !limbs.is_empty() {
        let mut rem: u64 = 0;
        for l in limbs.iter_mut().rev() {
            let cur = (rem << 32) | *l as u64;
            *l = (cur / 1_000_000_000) as u32;
            rem = cur % 1_000_000_000;
        }
        chunks.push(rem as u32);
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
    }
    let mut out = Vec::new();
    for (i, c) in chunks.iter().rev().enumerate() {
        let s = alloc::format!("{c}");
        if i > 0 {
            out.resize(out.len() + 9 - s.len().min(9), b'0');
        }
        out.extend_from_slice(s.as_bytes());
    }
    if out.is_empty() {
        out.push(b'0');
    }
    out
}

/// The exact decimal expansion of a finite x > 0: digits (no leading or trailing zeros) and the
/// position of the decimal point, x = 0.DIGITS × 10^point.
pub(crate) fn exact_decimal(x: f64) -> (Vec<u8>, i32) {
    let bits = x.abs().to_bits();
    let bexp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (mant, e) = if bexp == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), bexp - 1075)
    };
    let mut limbs: Vec<u32> = vec![mant as u32, (mant >> 32) as u32];
    let mut k = 0i32;
    if e >= 0 {
        let mut left = e;
        while left > 0 {
            let s = left.min(31);
            big_mul_small(&mut limbs, 1u32 << s);
            left -= s;
        }
    } else {
        k = -e;
        let mut left = k;
        while left > 0 {
            let s = left.min(13);
            big_mul_small(&mut limbs, 5u32.pow(s as u32));
            left -= s;
        }
    }
    let mut digits = big_to_decimal(limbs);
    let point = digits.len() as i32 - k;
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    (digits, point)
}

/// Round x > 0 to `n` ≥ 1 significant digits (ties away from zero): (digits, e) with
/// x ≈ d.ddd × 10^e.
pub(crate) fn round_significant(x: f64, n: usize) -> (Vec<u8>, i32) {
    let (digits, point) = exact_decimal(x);
    let mut e = point - 1;
    let mut out: Vec<u8> = digits.iter().copied().take(n).collect();
    while out.len() < n {
        out.push(b'0');
    }
    if digits.len() > n && digits[n] >= b'5' && increment(&mut out) {
        // 99.9 → 100: one more digit; keep n of them.
        out.insert(0, b'1');
        out.truncate(n);
        e += 1;
    }
    (out, e)
}

/// Add one to a decimal digit string; true if it overflowed (all nines became zeros).
fn increment(d: &mut [u8]) -> bool {
    for c in d.iter_mut().rev() {
        if *c == b'9' {
            *c = b'0';
        } else {
            *c += 1;
            return false;
        }
    }
    true
}

/// The integer n closest to x × 10^f (ties: the larger), as decimal digits. x ≥ 0 finite.
fn fixed_integer(x: f64, f: i32) -> Vec<u8> {
    if x == 0.0 {
        return vec![b'0'];
    }
    let (digits, point) = exact_decimal(x);
    let keep = point + f;
    if keep < 0 {
        return vec![b'0'];
    }
    if keep == 0 {
        return vec![if digits[0] >= b'5' { b'1' } else { b'0' }];
    }
    let keep = keep as usize;
    let mut out: Vec<u8> = digits.iter().copied().take(keep).collect();
    while out.len() < keep {
        out.push(b'0');
    }
    if digits.len() > keep && digits[keep] >= b'5' && increment(&mut out) {
        out.insert(0, b'1');
    }
    out
}

/// `Number.prototype.toFixed` body for finite |x| < 1e21 (f in 0..=100).
pub(crate) fn to_fixed_string(x: f64, f: usize) -> String {
    let mut s = String::new();
    let mut x = x;
    if x < 0.0 {
        s.push('-');
        x = -x;
    }
    let mut m = fixed_integer(x, f as i32);
    if f != 0 {
        let mut k = m.len();
        if k <= f {
            let mut z = vec![b'0'; f + 1 - k];
            z.extend_from_slice(&m);
            m = z;
            k = f + 1;
        }
        let (a, b) = m.split_at(k - f);
        s.push_str(core::str::from_utf8(a).unwrap_or(""));
        s.push('.');
        s.push_str(core::str::from_utf8(b).unwrap_or(""));
    } else {
        s.push_str(core::str::from_utf8(&m).unwrap_or(""));
    }
    s
}

fn exponent_suffix(s: &mut String, e: i32) {
    s.push('e');
    s.push(if e < 0 { '-' } else { '+' });
    s.push_str(&alloc::format!("{}", e.unsigned_abs()));
}

/// The shortest round-trip digits of x > 0 and its exponent (x ≈ d.ddd × 10^e).
fn shortest_digits(x: f64) -> (Vec<u8>, i32) {
    let sci = alloc::format!("{x:e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: Vec<u8> = mant.bytes().filter(|c| c.is_ascii_digit()).collect();
    (digits, exp.parse().unwrap_or(0))
}

/// Number::toString in a radix 2..=36 (V8's algorithm: shortest digits that round-trip).
pub(crate) fn to_radix_string(value: f64, radix: u32) -> String {
    if value.is_nan() {
        return String::from("NaN");
    }
    if value == 0.0 {
        return String::from("0");
    }
    if value.is_infinite() {
        return String::from(if value > 0.0 { "Infinity" } else { "-Infinity" });
    }
    const CHARS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let negative = value < 0.0;
    let value = value.abs();
    let r = radix as f64;
    let mut integer = libm::floor(value);
    let mut fraction = value - integer;
    let next = f64::from_bits(value.to_bits() + 1);
    let mut delta = 0.5 * (next - value);
    let min_pos = f64::from_bits(1);
    if delta.is_nan() || delta <= min_pos {
        delta = min_pos;
    }
    let mut frac_digits: Vec<u8> = Vec::new();
    if fraction >= delta {
        loop {
            fraction *= r;
            delta *= r;
            let digit = fraction as usize;
            frac_digits.push(CHARS[digit.min(35)]);
            fraction -= digit as f64;
            if (fraction > 0.5 || (fraction == 0.5 && (digit & 1) == 1)) && fraction + delta > 1.0 {
                // Round up, propagating carries.
                loop {
                    match frac_digits.pop() {
                        None => {
                            integer += 1.0;
                            break;
                        }
                        Some(c) => {
                            let d = if c > b'9' {
                                (c - b'a' + 10) as u32
                            } else {
                                (c - b'0') as u32
                            };
                            if d + 1 < radix {
                                frac_digits.push(CHARS[(d + 1) as usize]);
                                break;
                            }
                        }
                    }
                }
                break;
            }
            if fraction < delta || frac_digits.len() > 1100 {
                break;
            }
        }
    }
    // Integer digits; digits below the double's precision are zeros.
    let mut int_digits: Vec<u8> = Vec::new();
    let exponent_of = |x: f64| ((x.to_bits() >> 52) & 0x7ff) as i32 - 1075;
    while exponent_of(integer / r) > 0 {
        integer /= r;
        int_digits.push(b'0');
    }
    loop {
        let rem = libm::fmod(integer, r);
        int_digits.push(CHARS[(rem as usize).min(35)]);
        integer = (integer - rem) / r;
        if integer <= 0.0 {
            break;
        }
    }
    let mut s = String::new();
    if negative {
        s.push('-');
    }
    for &c in int_digits.iter().rev() {
        s.push(c as char);
    }
    if !frac_digits.is_empty() {
        s.push('.');
        for &c in &frac_digits {
            s.push(c as char);
        }
    }
    s
}

// ----- natives -----

fn this_number_value(vm: &mut Vm, this: Value, method: &str) -> Result<f64, Value> {
    if let Some(n) = this.as_number() {
        return Ok(n);
    }
    if let Some(h) = this.as_object() {
        if let ObjectKind::Number(n) = vm.heap.obj(h).kind {
            return Ok(n);
        }
    }
    let msg = alloc::format!("Number.prototype.{method} requires that 'this' be a Number");
    Err(vm.type_error(&msg))
}

fn number_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let n = if args.is_empty() {
        0.0
    } else {
        vm.to_numeric(args[0])?
    };
    let nt = vm.new_target();
    if nt.is_undefined() {
        return Ok(Value::number(n));
    }
    let proto = vm.proto_from_new_target(nt, vm.intr.number_prototype)?;
    vm.alloc_object(proto, ObjectKind::Number(n))
}

fn is_finite_static(_vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let v = Vm::arg(args, 0);
    Ok(Value::bool(v.as_number().is_some_and(|n| n.is_finite())))
}

fn is_nan_static(_vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let v = Vm::arg(args, 0);
    Ok(Value::bool(v.as_number().is_some_and(|n| n.is_nan())))
}

fn is_integral(n: f64) -> bool {
    n.is_finite() && libm::trunc(n) == n
}

fn is_integer_static(_vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let v = Vm::arg(args, 0);
    Ok(Value::bool(v.as_number().is_some_and(is_integral)))
}

fn is_safe_integer_static(_vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let v = Vm::arg(args, 0);
    Ok(Value::bool(v.as_number().is_some_and(|n| {
        is_integral(n) && n.abs() <= 9007199254740991.0
    })))
}

/// The longest prefix of `s` that is a StrDecimalLiteral, parsed (None if there is none).
pub(crate) fn parse_float_prefix(s: &[u8]) -> Option<f64> {
    let mut i = 0;
    let mut neg = false;
    if let Some(&c) = s.first() {
        if c == b'+' || c == b'-' {
            neg = c == b'-';
            i = 1;
        }
    }
    if s[i..].starts_with(b"Infinity") {
        return Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    let start = i;
    let mut int_digits = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
        int_digits += 1;
    }
    let mut frac_digits = 0;
    if i < s.len() && s[i] == b'.' {
        let mut j = i + 1;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
            frac_digits += 1;
        }
        if int_digits > 0 || frac_digits > 0 {
            i = j;
        }
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        let mut j = i + 1;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        let ds = j;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        if j > ds {
            i = j;
        }
    }
    let text = core::str::from_utf8(&s[start..i]).ok()?;
    let mut v: f64 = text.parse().ok()?;
    if neg {
        v = -v;
    }
    Some(v)
}

fn parse_float(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let s = vm.to_string(Vm::arg(args, 0))?;
    let b = vm.string_bytes(s);
    let t = crate::vm::trim_js_start(b);
    Ok(Value::number(parse_float_prefix(t).unwrap_or(f64::NAN)))
}

fn parse_int(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let s = vm.to_string(Vm::arg(args, 0))?;
    let radix = vm.to_int32(Vm::arg(args, 1))?;
    let bytes = vm.string_bytes(s);
    let mut t = crate::vm::trim_js_start(bytes);
    let mut sign = 1.0;
    if let Some(&c) = t.first() {
        if c == b'-' {
            sign = -1.0;
        }
        if c == b'-' || c == b'+' {
            t = &t[1..];
        }
    }
    let mut r = radix;
    let mut strip_prefix = true;
    if r != 0 {
        if !(2..=36).contains(&r) {
            return Ok(Value::number(f64::NAN));
        }
        if r != 16 {
            strip_prefix = false;
        }
    } else {
        r = 10;
    }
    if strip_prefix && t.len() >= 2 && t[0] == b'0' && (t[1] == b'x' || t[1] == b'X') {
        t = &t[2..];
        r = 16;
    }
    let r = r as u32;
    let end = t
        .iter()
        .position(|&c| (c as char).to_digit(r).is_none())
        .unwrap_or(t.len());
    let z = &t[..end];
    if z.is_empty() {
        return Ok(Value::number(f64::NAN));
    }
    let v = if r == 10 {
        core::str::from_utf8(z)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    } else if r.is_power_of_two() {
        radix_pow2_value(z, r)
    } else {
        let mut v = 0f64;
        for &c in z {
            v = v * r as f64 + (c as char).to_digit(r).unwrap_or(0) as f64;
        }
        v
    };
    Ok(Value::number(sign * v))
}

/// Digits in a power-of-two radix, correctly rounded (round half to even on the bits).
fn radix_pow2_value(z: &[u8], r: u32) -> f64 {
    let bits_per = r.trailing_zeros();
    // Collect the bits, most significant first, skipping leading zeros.
    let mut bits: Vec<u8> = Vec::new();
    for &c in z {
        let d = (c as char).to_digit(r).unwrap_or(0);
        for k in (0..bits_per).rev() {
            let b = ((d >> k) & 1) as u8;
            if bits.is_empty() && b == 0 {
                continue;
            }
            bits.push(b);
        }
    }
    if bits.is_empty() {
        return 0.0;
    }
    if bits.len() <= 53 {
        let mut v = 0u64;
        for &b in &bits {
            v = (v << 1) | b as u64;
        }
        return v as f64;
    }
    let mut m = 0u64;
    for &b in &bits[..53] {
        m = (m << 1) | b as u64;
    }
    let round = bits[53] == 1;
    let sticky = bits[54..].contains(&1);
    if round && (sticky || m & 1 == 1) {
        m += 1;
    }
    let shift = (bits.len() - 53) as i32;
    if shift > 1100 {
        return f64::INFINITY;
    }
    m as f64 * libm::pow(2.0, shift as f64)
}

fn proto_to_string(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let x = this_number_value(vm, this, "toString")?;
    let rv = Vm::arg(args, 0);
    let radix = if rv.is_undefined() {
        10.0
    } else {
        vm.to_integer_or_infinity(rv)?
    };
    if !(2.0..=36.0).contains(&radix) {
        return Err(vm.range_error("toString() radix must be between 2 and 36"));
    }
    if radix == 10.0 {
        return Ok(vm.number_to_string_value(x));
    }
    let s = to_radix_string(x, radix as u32);
    vm.new_str(&s)
}

fn proto_to_locale_string(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let x = this_number_value(vm, this, "toLocaleString")?;
    Ok(vm.number_to_string_value(x))
}

fn proto_value_of(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let x = this_number_value(vm, this, "valueOf")?;
    Ok(Value::number(x))
}

fn proto_to_fixed(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let x = this_number_value(vm, this, "toFixed")?;
    let f = vm.to_integer_or_infinity(Vm::arg(args, 0))?;
    if !f.is_finite() || !(0.0..=100.0).contains(&f) {
        return Err(vm.range_error("toFixed() digits argument must be between 0 and 100"));
    }
    if !x.is_finite() || x.abs() >= 1e21 {
        return Ok(vm.number_to_string_value(x));
    }
    let s = to_fixed_string(x, f as usize);
    vm.new_str(&s)
}

fn proto_to_exponential(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let x = this_number_value(vm, this, "toExponential")?;
    let fv = Vm::arg(args, 0);
    let f = vm.to_integer_or_infinity(fv)?;
    if !x.is_finite() {
        return Ok(vm.number_to_string_value(x));
    }
    if !(0.0..=100.0).contains(&f) {
        return Err(vm.range_error("toExponential() argument must be between 0 and 100"));
    }
    let mut s = String::new();
    let mut x = x;
    if x < 0.0 {
        s.push('-');
        x = -x;
    }
    let (digits, e) = if x == 0.0 {
        let n = if fv.is_undefined() { 1 } else { f as usize + 1 };
        (vec![b'0'; n], 0)
    } else if fv.is_undefined() {
        shortest_digits(x)
    } else {
        round_significant(x, f as usize + 1)
    };
    s.push(digits[0] as char);
    if digits.len() > 1 {
        s.push('.');
        s.push_str(core::str::from_utf8(&digits[1..]).unwrap_or(""));
    }
    exponent_suffix(&mut s, e);
    vm.new_str(&s)
}

fn proto_to_precision(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let x = this_number_value(vm, this, "toPrecision")?;
    let pv = Vm::arg(args, 0);
    if pv.is_undefined() {
        return Ok(vm.number_to_string_value(x));
    }
    let p = vm.to_integer_or_infinity(pv)?;
    if !x.is_finite() {
        return Ok(vm.number_to_string_value(x));
    }
    if !(1.0..=100.0).contains(&p) {
        return Err(vm.range_error("toPrecision() argument must be between 1 and 100"));
    }
    let p = p as usize;
    let mut s = String::new();
    let mut x = x;
    if x < 0.0 {
        s.push('-');
        x = -x;
    }
    let (m, e) = if x == 0.0 {
        (vec![b'0'; p], 0)
    } else {
        round_significant(x, p)
    };
    let ms = core::str::from_utf8(&m).unwrap_or("");
    if x != 0.0 && (e < -6 || e >= p as i32) {
        s.push_str(&ms[..1]);
        if p != 1 {
            s.push('.');
            s.push_str(&ms[1..]);
        }
        exponent_suffix(&mut s, e);
    } else if e == p as i32 - 1 {
        s.push_str(ms);
    } else if e >= 0 {
        let k = e as usize + 1;
        s.push_str(&ms[..k]);
        s.push('.');
        s.push_str(&ms[k..]);
    } else {
        s.push_str("0.");
        for _ in 0..(-(e + 1)) {
            s.push('0');
        }
        s.push_str(ms);
    }
    vm.new_str(&s)
}

pub fn install(vm: &mut Vm) {
    let proto = vm.intr.number_prototype;
    let (ctor, proto) = vm.define_class("Number", 1, number_ctor, proto, None);
    let consts: [(&str, f64); 8] = [
        ("EPSILON", f64::EPSILON),
        ("MAX_SAFE_INTEGER", 9007199254740991.0),
        ("MIN_SAFE_INTEGER", -9007199254740991.0),
        ("MAX_VALUE", f64::MAX),
        ("MIN_VALUE", f64::from_bits(1)),
        ("NaN", f64::NAN),
        ("NEGATIVE_INFINITY", f64::NEG_INFINITY),
        ("POSITIVE_INFINITY", f64::INFINITY),
    ];
    for (name, v) in consts {
        let k = vm.key(name);
        vm.define_value(ctor, k, Value::number(v), 0);
    }
    vm.define_method(ctor, "isFinite", 1, is_finite_static);
    vm.define_method(ctor, "isInteger", 1, is_integer_static);
    vm.define_method(ctor, "isNaN", 1, is_nan_static);
    vm.define_method(ctor, "isSafeInteger", 1, is_safe_integer_static);
    let g = vm.global;
    let pf = vm.define_method_now(g, "parseFloat", 1, parse_float);
    let pi = vm.define_method_now(g, "parseInt", 2, parse_int);
    let k = vm.key("parseFloat");
    vm.define_value(ctor, k, pf, METHOD_FLAGS);
    let k = vm.key("parseInt");
    vm.define_value(ctor, k, pi, METHOD_FLAGS);

    vm.define_method(proto, "toExponential", 1, proto_to_exponential);
    vm.define_method(proto, "toFixed", 1, proto_to_fixed);
    vm.define_method(proto, "toLocaleString", 0, proto_to_locale_string);
    vm.define_method(proto, "toPrecision", 1, proto_to_precision);
    vm.define_method(proto, "toString", 1, proto_to_string);
    vm.define_method(proto, "valueOf", 0, proto_value_of);
    let _ = Key::atom;
}
