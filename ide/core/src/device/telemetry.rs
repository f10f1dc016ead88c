//! Numbers scripts publish, as live charts: `print` lines of `name=value` tokens and
//! `NotifyTelemetry` values (`MQTT.publish`, `Cloud.store`) kept as bounded time series, and the
//! SVG path of a series' sparkline.
//!
//! It never keeps more than `max_series` series of `max_points` points each; non-finite values
//! are not stored.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use serde_json::Value;

/// Longest series name (bytes).
pub const MAX_NAME: usize = 64;

/// The `name=value` tokens of a print line: tokens separated by spaces or commas, each a name
/// (`[A-Za-z_][A-Za-z0-9_.:/-]{0,63}`) `=` a finite number. Other tokens are ignored, so
/// `temp=21.5 hum=40` gives two pairs and `x = 1` none.
pub fn parse_print_line(text: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for token in text.split([' ', ',', '\t']) {
        let Some((name, value)) = token.split_once('=') else {
            continue;
        };
        if !is_name(name) {
            continue;
        }
        if let Some(v) = parse_number(value) {
            out.push((name.into(), v));
        }
    }
    out
}

fn is_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_NAME
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b':' | b'/' | b'-'))
}

/// A finite number written as JSON or JavaScript would (`-1.5`, `2e3`, `+3`; not `NaN`, `inf`,
/// `0x10` or an empty string).
fn parse_number(text: &str) -> Option<f64> {
    let t = text.strip_prefix('+').unwrap_or(text);
    let ok = !t.is_empty()
        && t.bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'e' | b'E' | b'+'))
        && t.bytes().any(|c| c.is_ascii_digit());
    if !ok {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A telemetry value as a number: a JSON number, or a string that is one (MQTT payloads).
pub fn numeric_value(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64().filter(|v| v.is_finite()),
        Value::String(s) => parse_number(s.trim()),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// One series: its latest points (time in seconds, value), oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub points: VecDeque<(f64, f64)>,
    /// Smallest and largest value of `points`.
    pub min: f64,
    pub max: f64,
    /// The latest value.
    pub last: f64,
}

impl Series {
    fn new() -> Series {
        Series {
            points: VecDeque::new(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            last: 0.0,
        }
    }

    fn push(&mut self, ts: f64, value: f64, max_points: usize) {
        self.points.push_back((ts, value));
        let mut evicted = None;
        while self.points.len() > max_points {
            evicted = self.points.pop_front();
        }
        self.last = value;
        match evicted {
            // The evicted point may have held the minimum or maximum.
            Some((_, v)) if v <= self.min || v >= self.max => self.recompute(),
            _ => {
                self.min = self.min.min(value);
                self.max = self.max.max(value);
            }
        }
    }

    fn recompute(&mut self) {
        self.min = f64::INFINITY;
        self.max = f64::NEG_INFINITY;
        for &(_, v) in &self.points {
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        }
    }
}

/// The series, in the order their names first came.
#[derive(Clone, Debug)]
pub struct TelemetryStore {
    max_series: usize,
    max_points: usize,
    series: Vec<(String, Series)>,
    /// Values dropped because the series limit was reached.
    dropped: u64,
}

impl Default for TelemetryStore {
    fn default() -> Self {
        TelemetryStore::new(16, 600)
    }
}

impl TelemetryStore {
    pub fn new(max_series: usize, max_points: usize) -> TelemetryStore {
        TelemetryStore {
            max_series: max_series.max(1),
            max_points: max_points.max(1),
            series: Vec::new(),
            dropped: 0,
        }
    }

    /// Add a point. `false` when it was not kept: a non-finite value or time, a bad name, or
    /// a new name beyond the series limit.
    pub fn ingest(&mut self, name: &str, ts: f64, value: f64) -> bool {
        if !value.is_finite() || !ts.is_finite() || name.is_empty() || name.len() > 256 {
            return false;
        }
        if let Some((_, s)) = self.series.iter_mut().find(|(n, _)| n == name) {
            s.push(ts, value, self.max_points);
            return true;
        }
        if self.series.len() >= self.max_series {
            self.dropped += 1;
            return false;
        }
        let mut s = Series::new();
        s.push(ts, value, self.max_points);
        self.series.push((name.into(), s));
        true
    }

    pub fn series(&self) -> impl Iterator<Item = (&str, &Series)> {
        self.series.iter().map(|(n, s)| (n.as_str(), s))
    }

    pub fn get(&self, name: &str) -> Option<&Series> {
        self.series.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    pub fn len(&self) -> usize {
        self.series.len()
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Values dropped for the series limit.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn clear(&mut self) {
        self.series.clear();
        self.dropped = 0;
    }
}

/// The SVG path (`M x y L x y …`) of a series drawn in a `width` × `height` box: time left to
/// right over the series' span, values bottom (min) to top (max); a flat line in the middle
/// when all values are equal. Empty for an empty series.
pub fn sparkline_path(series: &Series, width: f64, height: f64) -> String {
    let mut out = String::new();
    let (Some(first), Some(last)) = (series.points.front(), series.points.back()) else {
        return out;
    };
    let (t0, t1) = (first.0, last.0);
    let span_t = t1 - t0;
    let span_v = series.max - series.min;
    let n = series.points.len();
    for (i, &(t, v)) in series.points.iter().enumerate() {
        let x = if span_t > 0.0 {
            (t - t0) / span_t * width
        } else if n > 1 {
            i as f64 / (n - 1) as f64 * width
        } else {
            0.0
        };
        let y = if span_v > 0.0 {
            height - (v - series.min) / span_v * height
        } else {
            height / 2.0
        };
        let cmd = if i == 0 { 'M' } else { 'L' };
        let _ = write!(
            out,
            "{}{cmd}{} {}",
            if i == 0 { "" } else { " " },
            fmt(x),
            fmt(y)
        );
    }
    if n == 1 {
        // One point: a flat line across the box.
        out.push_str(&format!(" L{} {}", fmt(width), fmt(height / 2.0)));
    }
    out
}

/// A coordinate with at most 2 decimals and no trailing zeros.
fn fmt(v: f64) -> String {
    let s = format!("{:.2}", v.clamp(-1e9, 1e9));
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".into()
    } else {
        s.into()
    }
}
