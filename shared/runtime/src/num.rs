//! Float helpers that work without `std` (no `f64::round` in `core`).

/// `x` rounded half away from zero.
pub fn round(x: f64) -> f64 {
    libm::round(x)
}

/// Is `x` a whole number (and finite)?
pub fn is_whole(x: f64) -> bool {
    x.is_finite() && libm::trunc(x) == x
}

/// `x` rounded to `digits` decimal places (for readings in statuses).
pub fn round_to(x: f64, digits: i32) -> f64 {
    let m = libm::pow(10.0, digits as f64);
    libm::round(x * m) / m
}
