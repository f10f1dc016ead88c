//! The `Math` object (ES2023): constants and functions over `libm`, and `Math.random`
//! (xorshift128+, state kept per realm in a hidden cell of `realm_values`).

use alloc::vec::Vec;

use crate::object::{ObjectKind, CONFIGURABLE, METHOD_FLAGS};
use crate::value::Value;
use crate::vm::Vm;

type Unary = fn(f64) -> f64;

macro_rules! unary_fns {
    ($($name:ident => $f:expr;)*) => {
        $(
            fn $name(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
                let x = vm.to_number(Vm::arg(args, 0))?;
                let f: Unary = $f;
                Ok(Value::number(f(x)))
            }
        )*
    };
}

fn js_round(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    if x > 0.0 && x < 0.5 {
        return 0.0;
    }
    if (-0.5..0.0).contains(&x) {
        return -0.0;
    }
    if x.abs() >= 4503599627370496.0 {
        return x;
    }
    let f = libm::floor(x);
    if x - f >= 0.5 {
        f + 1.0
    } else {
        f
    }
}

fn js_sign(x: f64) -> f64 {
    if x.is_nan() || x == 0.0 {
        x
    } else if x > 0.0 {
        1.0
    } else {
        -1.0
    }
}

unary_fns! {
    m_abs => libm::fabs;
    m_acos => libm::acos;
    m_acosh => libm::acosh;
    m_asin => libm::asin;
    m_asinh => |x| if x == 0.0 { x } else { libm::asinh(x) };
    m_atan => libm::atan;
    m_atanh => libm::atanh;
    m_cbrt => libm::cbrt;
    m_ceil => libm::ceil;
    m_cos => libm::cos;
    m_cosh => libm::cosh;
    m_exp => libm::exp;
    m_expm1 => libm::expm1;
    m_floor => libm::floor;
    m_fround => |x| x as f32 as f64;
    m_log => libm::log;
    m_log1p => libm::log1p;
    m_log10 => libm::log10;
    m_log2 => libm::log2;
    m_round => js_round;
    m_sign => js_sign;
    m_sin => libm::sin;
    m_sinh => libm::sinh;
    m_sqrt => libm::sqrt;
    m_tan => libm::tan;
    m_tanh => libm::tanh;
    m_trunc => libm::trunc;
}

fn m_atan2(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let y = vm.to_number(Vm::arg(args, 0))?;
    let x = vm.to_number(Vm::arg(args, 1))?;
    Ok(Value::number(libm::atan2(y, x)))
}

fn m_pow(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let x = vm.to_number(Vm::arg(args, 0))?;
    let y = vm.to_number(Vm::arg(args, 1))?;
    Ok(Value::number(crate::vm::js_pow(x, y)))
}

fn m_clz32(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let n = vm.to_uint32(Vm::arg(args, 0))?;
    Ok(Value::number(n.leading_zeros() as f64))
}

fn m_imul(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let a = vm.to_uint32(Vm::arg(args, 0))?;
    let b = vm.to_uint32(Vm::arg(args, 1))?;
    Ok(Value::number(a.wrapping_mul(b) as i32 as f64))
}

fn coerce_all(vm: &mut Vm, args: &[Value]) -> Result<Vec<f64>, Value> {
    let mut out = Vec::with_capacity(args.len());
    for &a in args {
        out.push(vm.to_number(a)?);
    }
    Ok(out)
}

fn m_max(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let ns = coerce_all(vm, args)?;
    let mut r = f64::NEG_INFINITY;
    for n in ns {
        if n.is_nan() {
            r = f64::NAN;
        } else if r.is_nan() {
            continue;
        } else if n > r || (n == 0.0 && r == 0.0 && r.is_sign_negative()) {
            r = n;
        }
    }
    Ok(Value::number(r))
}

fn m_min(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let ns = coerce_all(vm, args)?;
    let mut r = f64::INFINITY;
    for n in ns {
        if n.is_nan() {
            r = f64::NAN;
        } else if r.is_nan() {
            continue;
        } else if n < r || (n == 0.0 && r == 0.0 && n.is_sign_negative()) {
            r = n;
        }
    }
    Ok(Value::number(r))
}

fn m_hypot(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let ns = coerce_all(vm, args)?;
    if ns.iter().any(|n| n.is_infinite()) {
        return Ok(Value::number(f64::INFINITY));
    }
    if ns.iter().any(|n| n.is_nan()) {
        return Ok(Value::number(f64::NAN));
    }
    let max = ns.iter().fold(0.0f64, |m, n| m.max(n.abs()));
    if max == 0.0 {
        return Ok(Value::number(0.0));
    }
    // Scaled Kahan sum of squares.
    let mut sum = 0.0;
    let mut comp = 0.0;
    for n in ns {
        let v = n / max;
        let y = v * v - comp;
        let t = sum + y;
        comp = (t - sum) - y;
        sum = t;
    }
    Ok(Value::number(libm::sqrt(sum) * max))
}

/// The hidden realm cell that holds the generator state (two u64 in an unreachable buffer).
fn rng_cell(vm: &mut Vm) -> Option<crate::heap::Handle> {
    let is_rng = |vm: &Vm, v: Value| {
        v.as_object().is_some_and(|h| {
            let o = vm.heap.obj(h);
            o.proto().is_none()
                && matches!(&o.kind, ObjectKind::ArrayBuffer { data, detached: true } if data.len() == 16)
        })
    };
    if let Some(&v) = vm.realm_values.first() {
        if is_rng(vm, v) {
            return v.as_object();
        }
    }
    let found = vm.realm_values.iter().copied().find(|&v| is_rng(vm, v));
    if let Some(v) = found {
        return v.as_object();
    }
    let v = vm
        .alloc_object(
            None,
            ObjectKind::ArrayBuffer {
                data: alloc::vec![0; 16],
                detached: true,
            },
        )
        .ok()?;
    vm.realm_values.push(v);
    v.as_object()
}

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E3779B97F4A7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
    z ^ (z >> 31)
}

fn m_random(vm: &mut Vm, _this: Value, _args: &[Value]) -> Result<Value, Value> {
    let now = vm.now_ms();
    let Some(h) = rng_cell(vm) else {
        return Ok(Value::number(0.5));
    };
    let ObjectKind::ArrayBuffer { data, .. } = &mut vm.heap.obj_mut(h).kind else {
        return Ok(Value::number(0.5));
    };
    let mut s0 = u64::from_le_bytes(data[0..8].try_into().unwrap_or([0; 8]));
    let mut s1 = u64::from_le_bytes(data[8..16].try_into().unwrap_or([0; 8]));
    if s0 == 0 && s1 == 0 {
        let mut seed = now.to_bits() ^ (h.0 as u64).rotate_left(32) ^ 0x5DEECE66D;
        s0 = splitmix(&mut seed);
        s1 = splitmix(&mut seed);
        if s0 == 0 && s1 == 0 {
            s1 = 1;
        }
    }
    // xorshift128+
    let mut x = s0;
    let y = s1;
    s0 = y;
    x ^= x << 23;
    x ^= x >> 17;
    x ^= y ^ (y >> 26);
    s1 = x;
    let r = s0.wrapping_add(s1);
    data[0..8].copy_from_slice(&s0.to_le_bytes());
    data[8..16].copy_from_slice(&s1.to_le_bytes());
    Ok(Value::number((r >> 11) as f64 / (1u64 << 53) as f64))
}

pub fn install(vm: &mut Vm) {
    let math = vm.new_object().expect("out of memory");
    let m = math.as_object().unwrap();
    let consts: [(&str, f64); 8] = [
        ("E", core::f64::consts::E),
        ("LN10", core::f64::consts::LN_10),
        ("LN2", core::f64::consts::LN_2),
        ("LOG10E", core::f64::consts::LOG10_E),
        ("LOG2E", core::f64::consts::LOG2_E),
        ("PI", core::f64::consts::PI),
        ("SQRT1_2", core::f64::consts::FRAC_1_SQRT_2),
        ("SQRT2", core::f64::consts::SQRT_2),
    ];
    for (name, v) in consts {
        let k = vm.key(name);
        vm.define_value(m, k, Value::number(v), 0);
    }
    let fns: [(&str, u32, crate::engine::NativeFn); 36] = [
        ("abs", 1, m_abs),
        ("acos", 1, m_acos),
        ("acosh", 1, m_acosh),
        ("asin", 1, m_asin),
        ("asinh", 1, m_asinh),
        ("atan", 1, m_atan),
        ("atanh", 1, m_atanh),
        ("atan2", 2, m_atan2),
        ("cbrt", 1, m_cbrt),
        ("ceil", 1, m_ceil),
        ("clz32", 1, m_clz32),
        ("cos", 1, m_cos),
        ("cosh", 1, m_cosh),
        ("exp", 1, m_exp),
        ("expm1", 1, m_expm1),
        ("floor", 1, m_floor),
        ("fround", 1, m_fround),
        ("hypot", 2, m_hypot),
        ("imul", 2, m_imul),
        ("log", 1, m_log),
        ("log1p", 1, m_log1p),
        ("log10", 1, m_log10),
        ("log2", 1, m_log2),
        ("max", 2, m_max),
        ("min", 2, m_min),
        ("pow", 2, m_pow),
        ("random", 0, m_random),
        ("round", 1, m_round),
        ("sign", 1, m_sign),
        ("sin", 1, m_sin),
        ("sinh", 1, m_sinh),
        ("sqrt", 1, m_sqrt),
        ("tan", 1, m_tan),
        ("tanh", 1, m_tanh),
        ("trunc", 1, m_trunc),
        ("abs", 1, m_abs),
    ];
    for (name, arity, f) in fns {
        vm.define_method(m, name, arity, f);
    }
    let tag = vm.intern("Math");
    vm.define_value(
        m,
        crate::object::Key::symbol(vm.sym.to_string_tag),
        tag,
        CONFIGURABLE,
    );
    let g = vm.global;
    let k = vm.key("Math");
    vm.define_value(g, k, math, METHOD_FLAGS);
    // Create the generator cell now so it sits at a stable place in the realm.
    let _ = rng_cell(vm);
}
