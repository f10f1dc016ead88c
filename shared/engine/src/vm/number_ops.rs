//! The interpreter's number operators (`+ - * %`, `++ --`, `< <= > >=` on two numbers), with
//! shortcuts for targets without floating-point hardware.
//!
//! On the ESP32-C3 (RV32IMC) every `f64` operation is a library call: an addition about 60
//! instructions, a comparison about 40, `%` through `fmod` hundreds. Scripts mostly count and
//! index with small integers, so there ([`SOFT_FLOAT`]) an operation on two integers below 2^31
//! is done in integer instructions, and comparisons of any two numbers on their bits. The
//! results are exactly IEEE's (−0 included); where the integers overflow or the result is −0,
//! the `f64` operation does it. On targets with an FPU the functions are the plain `f64`
//! operations, so nothing changes there. Tests check both ways against `f64` on every target.
//!
//! Measured with `scripts/rv32.sh --table` (instruction counts on RV32IMC; docs/BENCHMARKS.md).

use crate::value::Value;

/// Whether `f64` arithmetic is done in software on this target, so integer shortcuts pay.
pub const SOFT_FLOAT: bool = cfg!(all(target_arch = "riscv32", not(target_feature = "d")));

const SIGN: u64 = 1 << 63;
const EXP_ALL_ONES: u64 = 0x7FF0_0000_0000_0000;

/// The integer a double holds exactly, if it is one in (−2^31, 2^31) and not −0, from its bits
/// with 32-bit instructions only (the C3 has no 64-bit shifts).
#[inline(always)]
pub fn small_int(bits: u64) -> Option<i32> {
    let hi = (bits >> 32) as u32;
    let lo = bits as u32;
    if hi & 0x7FFF_FFFF == 0 && lo == 0 {
        // +0 (−0 is no integer: 0 - 0 would lose its sign).
        return if hi == 0 { Some(0) } else { None };
    }
    let exp = (hi >> 20) & 0x7FF;
    // |x| in [1, 2^31): 2^shift <= |x| < 2^(shift + 1).
    if !(1023..=1023 + 30).contains(&exp) {
        return None;
    }
    let shift = exp - 1023;
    // The 53-bit significand: 21 bits in `mant_hi` (the leading one in), 32 in `lo`.
    let mant_hi = (hi & 0x000F_FFFF) | 0x0010_0000;
    let magnitude = if shift <= 20 {
        let frac = 20 - shift;
        if lo != 0 || mant_hi & ((1 << frac) - 1) != 0 {
            return None;
        }
        mant_hi >> frac
    } else {
        let frac = 52 - shift;
        if lo & ((1 << frac) - 1) != 0 {
            return None;
        }
        (mant_hi << (shift - 20)) | (lo >> frac)
    };
    let magnitude = magnitude as i32;
    Some(if hi & 0x8000_0000 != 0 {
        -magnitude
    } else {
        magnitude
    })
}

/// A number value from an integer, its double's bits made with 32-bit instructions (the C3 has
/// no count-leading-zeros, and `i as f64` there is a library call of about 80 instructions).
#[inline(always)]
fn from_int(i: i32) -> Value {
    Value::number_not_nan(f64::from_bits(int_to_bits(i)))
}

fn int_to_bits(i: i32) -> u64 {
    if i == 0 {
        return 0;
    }
    let sign = (i as u32) & 0x8000_0000;
    // Normalise the magnitude so that its leading one is bit 31; `e` is then its exponent.
    // (Written out: at `opt-level = "z"` a loop over the steps stays a loop.)
    let mut m = i.unsigned_abs();
    let mut e = 31;
    if m < 1 << 16 {
        m <<= 16;
        e -= 16;
    }
    if m < 1 << 24 {
        m <<= 8;
        e -= 8;
    }
    if m < 1 << 28 {
        m <<= 4;
        e -= 4;
    }
    if m < 1 << 30 {
        m <<= 2;
        e -= 2;
    }
    if m < 1 << 31 {
        m <<= 1;
        e -= 1;
    }
    // Below the leading one: 20 bits of fraction in the high word, 11 at the top of the low.
    let hi = sign | ((e + 1023) << 20) | ((m >> 11) & 0x000F_FFFF);
    let lo = m << 21;
    (u64::from(hi) << 32) | u64::from(lo)
}

/// An operator on two small integers: `None` where the `f64` operation must do it.
type IntOp = fn(i32, i32) -> Option<i32>;

/// The number value of an integer (a literal in the code).
#[inline(always)]
pub fn int(i: i32) -> Value {
    if SOFT_FLOAT {
        from_int(i)
    } else {
        Value::number_not_nan(i as f64)
    }
}

/// The array index a number is (an integer in [0, 2^32 - 2]), if it is one; on a soft-float
/// target a small integer's without `f64` work.
#[inline(always)]
pub fn array_index(n: f64) -> Option<u32> {
    if SOFT_FLOAT {
        if let Some(i) = small_int(n.to_bits()) {
            return u32::try_from(i).ok();
        }
    }
    array_index_by_f64(n)
}

#[inline(always)]
fn array_index_by_f64(n: f64) -> Option<u32> {
    let i = n as u32;
    (i as f64 == n && i != u32::MAX).then_some(i)
}

/// On a soft-float target, `op` on the two integers `x` and `y` hold, if both are small
/// integers and `op` gives an exact result (`None` leaves it to the `f64` operation).
#[inline(always)]
fn int_shortcut(x: Value, y: Value, op: IntOp) -> Option<Value> {
    if !SOFT_FLOAT {
        return None;
    }
    let r = op(small_int(x.bits())?, small_int(y.bits())?)?;
    Some(from_int(r))
}

fn int_add(a: i32, b: i32) -> Option<i32> {
    a.checked_add(b)
}

fn int_sub(a: i32, b: i32) -> Option<i32> {
    a.checked_sub(b)
}

/// A zero product with a negative factor is −0: left to the `f64` operation.
fn int_mul(a: i32, b: i32) -> Option<i32> {
    a.checked_mul(b).filter(|&r| r != 0 || (a >= 0 && b >= 0))
}

/// `a` is above `i32::MIN` (see [`small_int`]), so no overflow; a zero remainder of a negative
/// dividend is −0: left to the `f64` operation.
fn int_rem(a: i32, b: i32) -> Option<i32> {
    if b == 0 {
        return None;
    }
    let r = a % b;
    (r != 0 || a >= 0).then_some(r)
}

/// `x + y` for two number values (`fx`, `fy` their doubles).
#[inline(always)]
pub fn add(x: Value, y: Value, fx: f64, fy: f64) -> Value {
    int_shortcut(x, y, int_add).unwrap_or_else(|| number(fx + fy))
}

/// `x - y` for two number values.
#[inline(always)]
pub fn sub(x: Value, y: Value, fx: f64, fy: f64) -> Value {
    int_shortcut(x, y, int_sub).unwrap_or_else(|| number(fx - fy))
}

/// `x * y` for two number values.
#[inline(always)]
pub fn mul(x: Value, y: Value, fx: f64, fy: f64) -> Value {
    int_shortcut(x, y, int_mul).unwrap_or_else(|| number(fx * fy))
}

/// `x % y` for two number values.
#[inline(always)]
pub fn rem(x: Value, y: Value, fx: f64, fy: f64) -> Value {
    int_shortcut(x, y, int_rem).unwrap_or_else(|| number(super::interp::js_rem(fx, fy)))
}

/// `x + 1` (`++`) for a number value.
#[inline(always)]
pub fn inc(x: Value, fx: f64) -> Value {
    add(x, Value::number_not_nan(1.0), fx, 1.0)
}

/// `x - 1` (`--`) for a number value.
#[inline(always)]
pub fn dec(x: Value, fx: f64) -> Value {
    sub(x, Value::number_not_nan(1.0), fx, 1.0)
}

#[inline(always)]
fn is_nan_bits(bits: u64) -> bool {
    bits & !SIGN > EXP_ALL_ONES
}

/// A key whose unsigned order is the doubles' order (−0 below +0; NaNs excluded by the caller).
#[inline(always)]
fn order_key(bits: u64) -> u64 {
    if bits & SIGN != 0 {
        !bits
    } else {
        bits | SIGN
    }
}

#[inline(always)]
fn both_zero(a: u64, b: u64) -> bool {
    (a | b) & !SIGN == 0
}

#[inline(always)]
fn lt_bits(a: u64, b: u64) -> bool {
    !is_nan_bits(a) && !is_nan_bits(b) && !both_zero(a, b) && order_key(a) < order_key(b)
}

#[inline(always)]
fn le_bits(a: u64, b: u64) -> bool {
    !is_nan_bits(a) && !is_nan_bits(b) && (both_zero(a, b) || order_key(a) <= order_key(b))
}

/// `x < y` for two numbers.
#[inline(always)]
pub fn lt(x: f64, y: f64) -> bool {
    if SOFT_FLOAT {
        lt_bits(x.to_bits(), y.to_bits())
    } else {
        x < y
    }
}

/// `x <= y` for two numbers.
#[inline(always)]
pub fn le(x: f64, y: f64) -> bool {
    if SOFT_FLOAT {
        le_bits(x.to_bits(), y.to_bits())
    } else {
        x <= y
    }
}

/// [`Value::number`] with the NaN check on the bits where that is cheaper than a float
/// comparison (only here: at every `Value::number` it would cost the firmware 2 KiB of flash).
#[inline(always)]
fn number(x: f64) -> Value {
    if is_nan(x) {
        Value::NAN
    } else {
        Value::number_not_nan(x)
    }
}

/// Whether a double is NaN, from its bits where that is cheaper than a float comparison.
#[inline(always)]
fn is_nan(x: f64) -> bool {
    if SOFT_FLOAT {
        is_nan_bits(x.to_bits())
    } else {
        x.is_nan()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Doubles at every edge the shortcuts have: zeros, integers near 2^20, 2^21, 2^31 and 2^53,
    /// halves, the smallest and largest, infinities, NaN.
    fn samples() -> alloc::vec::Vec<f64> {
        let mut v = alloc::vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            1.5,
            3.0,
            7.0,
            -7.0,
            1e-300,
            f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            f64::MAX,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            9007199254740991.0,
            9007199254740992.0,
            -9007199254740993.0,
            1e15 + 0.5,
        ];
        for p in [1, 2, 19, 20, 21, 22, 30, 31, 32, 52, 53] {
            let base = (1u64 << p) as f64;
            for d in [-1.0, 0.0, 1.0, 0.5, -0.5] {
                v.push(base + d);
                v.push(-(base + d));
            }
        }
        v
    }

    fn small_int_by_f64(x: f64) -> Option<i32> {
        let fits = x == x.trunc() && x.abs() < 2147483648.0 && !(x == 0.0 && x.is_sign_negative());
        fits.then_some(x as i32)
    }

    #[test]
    fn int_to_bits_is_the_conversion_to_f64() {
        let mut ints = alloc::vec![
            0,
            1,
            -1,
            2,
            3,
            7,
            -7,
            1000003,
            i32::MAX,
            i32::MIN,
            i32::MIN + 1
        ];
        for p in 0..31 {
            ints.extend([
                1 << p,
                (1 << p) - 1,
                (1 << p) + 1,
                -(1 << p),
                -((1 << p) + 1),
            ]);
        }
        for i in ints {
            assert_eq!(int_to_bits(i), (i as f64).to_bits(), "{i}");
        }
    }

    /// A small integer's index (the C3's way) is the index `f64` finds.
    #[test]
    fn array_index_of_small_integers_is_the_f64_one() {
        for x in samples() {
            if let Some(i) = small_int(x.to_bits()) {
                assert_eq!(u32::try_from(i).ok(), array_index_by_f64(x), "{x}");
            }
        }
        assert_eq!(array_index(-0.0), Some(0));
        assert_eq!(array_index(4294967294.0), Some(4294967294));
        assert_eq!(array_index(4294967295.0), None);
    }

    #[test]
    fn small_int_is_exactly_the_integers_below_2_pow_31() {
        for x in samples() {
            assert_eq!(small_int(x.to_bits()), small_int_by_f64(x), "{x:e}");
        }
        for i in [
            0,
            1,
            -1,
            1 << 20,
            (1 << 21) + 1,
            i32::MAX,
            i32::MIN + 1,
            -(1 << 30) - 3,
        ] {
            assert_eq!(small_int((i as f64).to_bits()), Some(i), "{i}");
        }
        assert_eq!(small_int((i32::MIN as f64).to_bits()), None);
    }

    fn same(a: Value, b: f64) -> bool {
        a.bits() == Value::number(b).bits()
    }

    /// The integer shortcuts (the C3's path, run here whatever the target) equal the f64
    /// operations bit for bit wherever they give a result, and the operators equal f64.
    #[test]
    fn shortcuts_equal_f64_arithmetic() {
        let rem = super::super::interp::js_rem;
        let xs = samples();
        for &x in &xs {
            for &y in &xs {
                let (vx, vy) = (Value::number(x), Value::number(y));
                if let (Some(a), Some(b)) = (small_int(vx.bits()), small_int(vy.bits())) {
                    let cases: [(IntOp, f64, &str); 4] = [
                        (int_add, x + y, "+"),
                        (int_sub, x - y, "-"),
                        (int_mul, x * y, "*"),
                        (int_rem, rem(x, y), "%"),
                    ];
                    for (op, expected, name) in cases {
                        if let Some(r) = op(a, b) {
                            assert!(same(from_int(r), expected), "{x} {name} {y}");
                        }
                    }
                }
                assert!(same(add(vx, vy, x, y), x + y), "{x} + {y}");
                assert!(same(sub(vx, vy, x, y), x - y), "{x} - {y}");
                assert!(same(mul(vx, vy, x, y), x * y), "{x} * {y}");
                assert!(same(super::rem(vx, vy, x, y), rem(x, y)), "{x} % {y}");
            }
        }
        // The shortcuts refuse what would lose −0 or overflow.
        assert_eq!(int_mul(0, -3), None);
        assert_eq!(int_rem(-4, 2), None);
        assert_eq!(int_rem(4, 0), None);
        assert_eq!(int_add(i32::MAX, 1), None);
    }

    /// The comparisons on bits (what the C3 runs) equal the f64 comparisons on every pair.
    #[test]
    fn bit_comparisons_equal_f64_comparisons() {
        let xs = samples();
        for &x in &xs {
            assert_eq!(is_nan_bits(x.to_bits()), x.is_nan(), "{x}");
            for &y in &xs {
                let (a, b) = (x.to_bits(), y.to_bits());
                assert_eq!(lt_bits(a, b), x < y, "{x} < {y}");
                assert_eq!(le_bits(a, b), x <= y, "{x} <= {y}");
                assert_eq!(lt(x, y), x < y, "{x} < {y}");
                assert_eq!(le(x, y), x <= y, "{x} <= {y}");
            }
        }
    }
}
