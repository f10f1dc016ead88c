//! `Date`: time values, the spec's day/time arithmetic (MakeDay, MakeTime, TimeClip), parsing
//! (ISO 8601 and the `toString`/`toUTCString` forms) and formatting.
//!
//! Deviation: the device has no time zone database, so local time is UTC (LocalTZA = 0,
//! `getTimezoneOffset()` is 0, `toString` prints `GMT+0000`).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::object::{Key, ObjectKind, CONFIGURABLE};
use crate::value::Value;
use crate::vm::Vm;

const MS_PER_DAY: f64 = 86_400_000.0;
const MS_PER_HOUR: f64 = 3_600_000.0;
const MS_PER_MINUTE: f64 = 60_000.0;
const MS_PER_SECOND: f64 = 1000.0;

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

// ----- day/time arithmetic -----

/// Days since the epoch of a proleptic Gregorian date (month 1..=12).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// (year, month 1..=12, day 1..=31) of a day number.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 => {
            if is_leap(y) {
                29
            } else {
                28
            }
        }
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The fields of a (finite, clipped) time value.
#[derive(Clone, Copy)]
struct Fields {
    year: i64,
    /// 0..=11
    month: i64,
    date: i64,
    hour: i64,
    min: i64,
    sec: i64,
    ms: i64,
    weekday: i64,
}

fn fields(t: f64) -> Fields {
    let t = t as i64;
    let day = t.div_euclid(86_400_000);
    let in_day = t.rem_euclid(86_400_000);
    let (year, month, date) = civil_from_days(day);
    Fields {
        year,
        month: month - 1,
        date,
        hour: in_day / 3_600_000,
        min: in_day / 60_000 % 60,
        sec: in_day / 1000 % 60,
        ms: in_day % 1000,
        weekday: (day + 4).rem_euclid(7),
    }
}

fn to_integer(n: f64) -> f64 {
    libm::trunc(n) + 0.0
}

pub(crate) fn make_time(hour: f64, min: f64, sec: f64, ms: f64) -> f64 {
    if !(hour.is_finite() && min.is_finite() && sec.is_finite() && ms.is_finite()) {
        return f64::NAN;
    }
    to_integer(hour) * MS_PER_HOUR
        + to_integer(min) * MS_PER_MINUTE
        + to_integer(sec) * MS_PER_SECOND
        + to_integer(ms)
}

pub(crate) fn make_day(year: f64, month: f64, date: f64) -> f64 {
    if !(year.is_finite() && month.is_finite() && date.is_finite()) {
        return f64::NAN;
    }
    let y = to_integer(year);
    let m = to_integer(month);
    let dt = to_integer(date);
    let ym = y + libm::floor(m / 12.0);
    if !ym.is_finite() || ym.abs() > 1e8 {
        return f64::NAN;
    }
    let mn = m - libm::floor(m / 12.0) * 12.0;
    let day = days_from_civil(ym as i64, mn as i64 + 1, 1);
    day as f64 + dt - 1.0
}

pub(crate) fn make_date(day: f64, time: f64) -> f64 {
    if !day.is_finite() || !time.is_finite() {
        return f64::NAN;
    }
    let tv = day * MS_PER_DAY + time;
    if !tv.is_finite() {
        return f64::NAN;
    }
    tv
}

pub(crate) fn time_clip(t: f64) -> f64 {
    if !t.is_finite() || t.abs() > 8.64e15 {
        return f64::NAN;
    }
    to_integer(t)
}

// ----- formatting -----

fn year_string(y: i64) -> String {
    if y < 0 {
        format!("-{:04}", -y)
    } else {
        format!("{y:04}")
    }
}

fn date_part(f: &Fields) -> String {
    format!(
        "{} {} {:02} {}",
        WEEKDAYS[f.weekday as usize],
        MONTHS[f.month as usize],
        f.date,
        year_string(f.year)
    )
}

fn time_part(f: &Fields) -> String {
    format!("{:02}:{:02}:{:02} GMT+0000", f.hour, f.min, f.sec)
}

/// ToDateString(tv).
pub(crate) fn to_date_string(tv: f64) -> String {
    if tv.is_nan() {
        return String::from("Invalid Date");
    }
    let f = fields(tv);
    format!("{} {}", date_part(&f), time_part(&f))
}

fn utc_string(tv: f64) -> String {
    let f = fields(tv);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[f.weekday as usize],
        f.date,
        MONTHS[f.month as usize],
        year_string(f.year),
        f.hour,
        f.min,
        f.sec
    )
}

fn iso_string(tv: f64) -> String {
    let f = fields(tv);
    let y = if (0..=9999).contains(&f.year) {
        format!("{:04}", f.year)
    } else if f.year < 0 {
        format!("-{:06}", -f.year)
    } else {
        format!("+{:06}", f.year)
    };
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        y,
        f.month + 1,
        f.date,
        f.hour,
        f.min,
        f.sec,
        f.ms
    )
}

// ----- parsing -----

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// Exactly `n` digits.
    fn digits(&mut self, n: usize) -> Option<i64> {
        let mut v = 0i64;
        for _ in 0..n {
            let c = self.peek()?;
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + (c - b'0') as i64;
            self.i += 1;
        }
        Some(v)
    }
    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }
}

/// The Date Time String Format (ES §21.4.1.32).
fn parse_iso(s: &[u8]) -> Option<f64> {
    let mut c = Cursor { s, i: 0 };
    let year = match c.peek()? {
        b'+' | b'-' => {
            let neg = c.peek() == Some(b'-');
            c.i += 1;
            let y = c.digits(6)?;
            if neg && y == 0 {
                return None;
            }
            if neg {
                -y
            } else {
                y
            }
        }
        _ => c.digits(4)?,
    };
    let mut month = 1;
    let mut day = 1;
    if c.eat(b'-') {
        month = c.digits(2)?;
        if c.eat(b'-') {
            day = c.digits(2)?;
        }
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let (mut hour, mut min, mut sec, mut ms) = (0, 0, 0, 0);
    let mut offset_min = 0i64;
    // "YYYY-MM-DD HH:mm" (a space for the T) is accepted too, as V8 does.
    let space_sep = c.peek() == Some(b' ') && s.get(c.i + 1).is_some_and(|d| d.is_ascii_digit());
    if c.eat(b'T') || c.eat(b't') || (space_sep && c.eat(b' ')) {
        hour = c.digits(2)?;
        if !c.eat(b':') {
            return None;
        }
        min = c.digits(2)?;
        if c.eat(b':') {
            sec = c.digits(2)?;
            if c.eat(b'.') || c.eat(b',') {
                let start = c.i;
                let mut scale = 100;
                while let Some(d) = c.peek().filter(|d| d.is_ascii_digit()) {
                    ms += (d - b'0') as i64 * scale;
                    scale /= 10;
                    c.i += 1;
                }
                if c.i == start {
                    return None;
                }
            }
        }
        if hour > 24 || min > 59 || sec > 59 || (hour == 24 && (min != 0 || sec != 0 || ms != 0)) {
            return None;
        }
        match c.peek() {
            Some(b'Z') | Some(b'z') => c.i += 1,
            Some(sign @ (b'+' | b'-')) => {
                c.i += 1;
                let oh = c.digits(2)?;
                if !c.eat(b':') {
                    return None;
                }
                let om = c.digits(2)?;
                if oh > 23 || om > 59 {
                    return None;
                }
                offset_min = (oh * 60 + om) * if sign == b'-' { -1 } else { 1 };
            }
            _ => {}
        }
    } else if c.eat(b'Z') {
        // Accept a date-only form with an explicit Z.
    }
    if !c.at_end() {
        return None;
    }
    let d = days_from_civil(year, month, day) as f64;
    let t = make_time(hour as f64, min as f64, sec as f64, ms as f64);
    let tv = make_date(d, t) - offset_min as f64 * MS_PER_MINUTE;
    Some(time_clip(tv))
}

/// Lenient parser for the `toString`/`toUTCString` forms and common variants
/// ("Tue Nov 24 2026 10:00:00 GMT+0000 (UTC)", "Tue, 24 Nov 2026 10:00:00 GMT",
/// "Nov 24, 2026", "11/24/2026 10:00").
fn parse_legacy(s: &[u8]) -> Option<f64> {
    let mut i = 0;
    let mut month: Option<i64> = None;
    let mut nums: Vec<i64> = Vec::new();
    let mut time: Option<(i64, i64, i64, i64)> = None;
    let mut offset: i64 = 0;
    let mut pm: Option<bool> = None;
    let mut slash_date: Option<(i64, i64, i64)> = None;
    let mut seen_tz = false;
    while i < s.len() {
        let c = s[i];
        if c == b'(' {
            // Comment.
            let mut depth = 0;
            while i < s.len() {
                if s[i] == b'(' {
                    depth += 1;
                } else if s[i] == b')' {
                    depth -= 1;
                    if depth == 0 {
                        i += 1;
                        break;
                    }
                }
                i += 1;
            }
            continue;
        }
        if c.is_ascii_whitespace() || c == b',' {
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() {
            let start = i;
            while i < s.len() && s[i].is_ascii_alphabetic() {
                i += 1;
            }
            let w: Vec<u8> = s[start..i].iter().map(|b| b.to_ascii_lowercase()).collect();
            if w == b"gmt" || w == b"utc" || w == b"ut" || w == b"z" {
                seen_tz = true;
                continue;
            }
            if w == b"am" || w == b"pm" {
                pm = Some(w == b"pm");
                continue;
            }
            if w.len() >= 3 {
                if let Some(m) = MONTHS
                    .iter()
                    .position(|m| m.as_bytes().eq_ignore_ascii_case(&w[..3]))
                {
                    month = Some(m as i64);
                    continue;
                }
                if WEEKDAYS
                    .iter()
                    .any(|d| d.as_bytes().eq_ignore_ascii_case(&w[..3]))
                {
                    continue;
                }
            }
            return None;
        }
        if (c == b'+' || c == b'-') && (seen_tz || time.is_some()) {
            let sign = if c == b'-' { -1 } else { 1 };
            i += 1;
            let start = i;
            while i < s.len() && s[i].is_ascii_digit() {
                i += 1;
            }
            let digits = &s[start..i];
            let v = parse_num(digits)?;
            let (h, m) = if i < s.len() && s[i] == b':' {
                i += 1;
                let s2 = i;
                while i < s.len() && s[i].is_ascii_digit() {
                    i += 1;
                }
                (v, parse_num(&s[s2..i])?)
            } else if digits.len() <= 2 {
                (v, 0)
            } else {
                (v / 100, v % 100)
            };
            offset = sign * (h * 60 + m);
            continue;
        }
        if c == b'-' && month.is_some() && nums.is_empty() {
            i += 1;
            continue;
        }
        if c == b'-' && !nums.is_empty() && s.get(i + 1).is_some_and(|d| d.is_ascii_digit()) {
            // A negative year ("Mon Jan 01 -0001").
            i += 1;
            let start = i;
            while i < s.len() && s[i].is_ascii_digit() {
                i += 1;
            }
            nums.push(-parse_num(&s[start..i])?);
            if nums.len() > 3 {
                return None;
            }
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while i < s.len() && s[i].is_ascii_digit() {
                i += 1;
            }
            let v = parse_num(&s[start..i])?;
            if i < s.len() && s[i] == b':' {
                // hh:mm[:ss[.mmm]]
                i += 1;
                let s2 = i;
                while i < s.len() && s[i].is_ascii_digit() {
                    i += 1;
                }
                let mi = parse_num(&s[s2..i])?;
                let mut sec = 0;
                let mut ms = 0;
                if i < s.len() && s[i] == b':' {
                    i += 1;
                    let s3 = i;
                    while i < s.len() && s[i].is_ascii_digit() {
                        i += 1;
                    }
                    sec = parse_num(&s[s3..i])?;
                    if i < s.len() && s[i] == b'.' {
                        i += 1;
                        let mut scale = 100;
                        while i < s.len() && s[i].is_ascii_digit() {
                            ms += (s[i] - b'0') as i64 * scale;
                            scale /= 10;
                            i += 1;
                        }
                    }
                }
                time = Some((v, mi, sec, ms));
                continue;
            }
            if i < s.len() && s[i] == b'/' {
                let sep = s[i];
                i += 1;
                let s2 = i;
                while i < s.len() && s[i].is_ascii_digit() {
                    i += 1;
                }
                let b = parse_num(&s[s2..i])?;
                if i >= s.len() || s[i] != sep {
                    return None;
                }
                i += 1;
                let s3 = i;
                while i < s.len() && s[i].is_ascii_digit() {
                    i += 1;
                }
                let cc = parse_num(&s[s3..i])?;
                let _ = sep;
                slash_date = Some((cc, v - 1, b));
                continue;
            }
            nums.push(v);
            if nums.len() > 3 {
                return None;
            }
            continue;
        }
        return None;
    }
    let (year, mon, day) = if let Some(d) = slash_date {
        d
    } else {
        let m = month?;
        match nums.as_slice() {
            [a, b] => {
                if *a > 31 || *a < 0 {
                    (*a, m, *b)
                } else {
                    (*b, m, *a)
                }
            }
            [a] => (*a, m, 1),
            _ => return None,
        }
    };
    let (mut h, mi, sec, ms) = time.unwrap_or((0, 0, 0, 0));
    if let Some(p) = pm {
        if h > 12 {
            return None;
        }
        if h == 12 {
            h = 0;
        }
        if p {
            h += 12;
        }
    }
    if !(0..12).contains(&mon) || !(1..=31).contains(&day) || h > 24 || mi > 59 || sec > 59 {
        return None;
    }
    let d = make_day(year as f64, mon as f64, day as f64);
    let t = make_time(h as f64, mi as f64, sec as f64, ms as f64);
    Some(time_clip(make_date(d, t) - offset as f64 * MS_PER_MINUTE))
}

fn parse_num(d: &[u8]) -> Option<i64> {
    if d.is_empty() || d.len() > 9 {
        return None;
    }
    let mut v = 0i64;
    for &c in d {
        v = v * 10 + (c - b'0') as i64;
    }
    Some(v)
}

/// Date.parse on bytes.
pub(crate) fn parse_date(s: &[u8]) -> f64 {
    let s = crate::vm::trim_js(s);
    if let Some(t) = parse_iso(s) {
        return t;
    }
    parse_legacy(s).unwrap_or(f64::NAN)
}

// ----- natives -----

fn this_time_value(vm: &mut Vm, this: Value) -> Result<f64, Value> {
    if let Some(h) = this.as_object() {
        if let ObjectKind::Date(t) = vm.heap.obj(h).kind {
            return Ok(t);
        }
    }
    Err(vm.type_error("this is not a Date object."))
}

fn set_time_value(vm: &mut Vm, this: Value, t: f64) {
    if let Some(h) = this.as_object() {
        if let ObjectKind::Date(v) = &mut vm.heap.obj_mut(h).kind {
            *v = t;
        }
    }
}

fn now_value(vm: &Vm) -> f64 {
    let n = time_clip(libm::floor(vm.now_ms()));
    if n.is_nan() {
        0.0
    } else {
        n
    }
}

fn date_ctor(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let nt = vm.new_target();
    if nt.is_undefined() {
        let s = to_date_string(now_value(vm));
        return vm.new_str(&s);
    }
    let tv = match args.len() {
        0 => now_value(vm),
        1 => {
            let v = args[0];
            let date_val = v.as_object().and_then(|h| match vm.heap.obj(h).kind {
                ObjectKind::Date(t) => Some(t),
                _ => None,
            });
            match date_val {
                Some(t) => t,
                None => {
                    let p = vm.to_primitive(v, crate::vm::Hint::Default)?;
                    if p.is_string() {
                        let b = vm.string_bytes(p);
                        parse_date(b)
                    } else {
                        vm.to_number(p)?
                    }
                }
            }
        }
        _ => components_to_time(vm, args)?,
    };
    let tv = time_clip(tv);
    let proto = vm.proto_from_new_target(nt, vm.intr.date_prototype)?;
    vm.alloc_object(proto, ObjectKind::Date(tv))
}

/// The (year, month[, date, hours, minutes, seconds, ms]) form shared by `new Date(...)` and
/// `Date.UTC`.
fn components_to_time(vm: &mut Vm, args: &[Value]) -> Result<f64, Value> {
    let y = vm.to_number(Vm::arg(args, 0))?;
    let mut vals = [0.0, 1.0, 0.0, 0.0, 0.0, 0.0];
    for (i, slot) in vals.iter_mut().enumerate() {
        if let Some(&a) = args.get(i + 1) {
            *slot = vm.to_number(a)?;
        }
    }
    let yr = if y.is_nan() {
        f64::NAN
    } else {
        let yi = to_integer(y);
        if (0.0..=99.0).contains(&yi) {
            1900.0 + yi
        } else {
            y
        }
    };
    Ok(make_date(
        make_day(yr, vals[0], vals[1]),
        make_time(vals[2], vals[3], vals[4], vals[5]),
    ))
}

fn date_utc(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let t = components_to_time(vm, args)?;
    Ok(Value::number(time_clip(t)))
}

fn date_now(vm: &mut Vm, _this: Value, _args: &[Value]) -> Result<Value, Value> {
    Ok(Value::number(now_value(vm)))
}

fn date_parse(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let s = vm.to_string(Vm::arg(args, 0))?;
    let b = vm.string_bytes(s);
    Ok(Value::number(parse_date(b)))
}

macro_rules! getters {
    ($($name:ident => |$f:ident| $e:expr;)*) => {
        $(
            fn $name(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
                let t = this_time_value(vm, this)?;
                if t.is_nan() {
                    return Ok(Value::number(f64::NAN));
                }
                let $f = fields(t);
                Ok(Value::number(($e) as f64))
            }
        )*
    };
}

getters! {
    get_date => |f| f.date;
    get_day => |f| f.weekday;
    get_full_year => |f| f.year;
    get_hours => |f| f.hour;
    get_milliseconds => |f| f.ms;
    get_minutes => |f| f.min;
    get_month => |f| f.month;
    get_seconds => |f| f.sec;
    get_year => |f| f.year - 1900;
}

fn get_time(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let t = this_time_value(vm, this)?;
    Ok(Value::number(t))
}

fn get_timezone_offset(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let t = this_time_value(vm, this)?;
    Ok(Value::number(if t.is_nan() { f64::NAN } else { 0.0 }))
}

fn set_time(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    this_time_value(vm, this)?;
    let t = vm.to_number(Vm::arg(args, 0))?;
    let v = time_clip(t);
    set_time_value(vm, this, v);
    Ok(Value::number(v))
}

/// Field indices for the generic setter: ms, sec, min, hour, date, month, year.
const F_MS: usize = 0;
const F_SEC: usize = 1;
const F_MIN: usize = 2;
const F_HOUR: usize = 3;
const F_DATE: usize = 4;
const F_MONTH: usize = 5;
const F_YEAR: usize = 6;

/// Set `count` fields starting at `first` (going down: hour, min, sec, ms / year, month, date).
fn set_fields(
    vm: &mut Vm,
    this: Value,
    args: &[Value],
    first: usize,
    count: usize,
) -> Result<Value, Value> {
    let t = this_time_value(vm, this)?;
    let mut given: [Option<f64>; 7] = [None; 7];
    for k in 0..count {
        if k == 0 || k < args.len() {
            let n = vm.to_number(Vm::arg(args, k))?;
            given[first - k] = Some(n);
        }
    }
    let t = if t.is_nan() {
        if first == F_YEAR {
            0.0
        } else {
            return Ok(Value::number(f64::NAN));
        }
    } else {
        t
    };
    let f = fields(t);
    let cur = [
        f.ms as f64,
        f.sec as f64,
        f.min as f64,
        f.hour as f64,
        f.date as f64,
        f.month as f64,
        f.year as f64,
    ];
    let v = |i: usize| given[i].unwrap_or(cur[i]);
    let d = make_day(v(F_YEAR), v(F_MONTH), v(F_DATE));
    let tm = make_time(v(F_HOUR), v(F_MIN), v(F_SEC), v(F_MS));
    let u = time_clip(make_date(d, tm));
    set_time_value(vm, this, u);
    Ok(Value::number(u))
}

macro_rules! setters {
    ($($name:ident => ($first:expr, $count:expr);)*) => {
        $(
            fn $name(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
                set_fields(vm, this, args, $first, $count)
            }
        )*
    };
}

setters! {
    set_milliseconds => (F_MS, 1);
    set_seconds => (F_SEC, 2);
    set_minutes => (F_MIN, 3);
    set_hours => (F_HOUR, 4);
    set_date => (F_DATE, 1);
    set_month => (F_MONTH, 2);
    set_full_year => (F_YEAR, 3);
}

fn set_year(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    let t = this_time_value(vm, this)?;
    let y = vm.to_number(Vm::arg(args, 0))?;
    let t = if t.is_nan() { 0.0 } else { t };
    if y.is_nan() {
        set_time_value(vm, this, f64::NAN);
        return Ok(Value::number(f64::NAN));
    }
    let yi = to_integer(y);
    let yyyy = if (0.0..=99.0).contains(&yi) {
        1900.0 + yi
    } else {
        y
    };
    let f = fields(t);
    let d = make_day(yyyy, f.month as f64, f.date as f64);
    let tm = make_time(f.hour as f64, f.min as f64, f.sec as f64, f.ms as f64);
    let u = time_clip(make_date(d, tm));
    set_time_value(vm, this, u);
    Ok(Value::number(u))
}

fn string_result(vm: &mut Vm, this: Value, f: fn(f64) -> String) -> Result<Value, Value> {
    let t = this_time_value(vm, this)?;
    if t.is_nan() {
        return vm.new_str("Invalid Date");
    }
    let s = f(t);
    vm.new_str(&s)
}

fn to_string(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    string_result(vm, this, to_date_string)
}

fn to_date_string_m(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    string_result(vm, this, |t| date_part(&fields(t)))
}

fn to_time_string(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    string_result(vm, this, |t| time_part(&fields(t)))
}

fn to_utc_string(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    string_result(vm, this, utc_string)
}

fn to_iso_string(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let t = this_time_value(vm, this)?;
    if !t.is_finite() {
        return Err(vm.range_error("Invalid time value"));
    }
    let s = iso_string(t);
    vm.new_str(&s)
}

fn to_json(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let o = vm.to_object(this)?;
    let mark = vm.push_root(o);
    let r = (|| {
        let tv = vm.to_primitive(o, crate::vm::Hint::Number)?;
        if let Some(n) = tv.as_number() {
            if !n.is_finite() {
                return Ok(Value::NULL);
            }
        }
        let k = vm.key("toISOString");
        let f = vm.get(o, k)?;
        if !vm.is_callable(f) {
            return Err(vm.type_error("toISOString is not a function"));
        }
        vm.call(f, o, &[])
    })();
    vm.truncate_roots(mark);
    r
}

fn value_of(vm: &mut Vm, this: Value, _args: &[Value]) -> Result<Value, Value> {
    let t = this_time_value(vm, this)?;
    Ok(Value::number(t))
}

fn to_primitive(vm: &mut Vm, this: Value, args: &[Value]) -> Result<Value, Value> {
    if !this.is_object() {
        return Err(vm.type_error("Date.prototype[Symbol.toPrimitive] called on non-object"));
    }
    let hint = Vm::arg(args, 0);
    let try_string = if hint.is_string() {
        match vm.string_bytes(hint) {
            b"string" | b"default" => Some(true),
            b"number" => Some(false),
            _ => None,
        }
    } else {
        None
    };
    let Some(try_string) = try_string else {
        return Err(vm.type_error("Invalid hint"));
    };
    let order = if try_string {
        [vm.names.to_string, vm.names.value_of]
    } else {
        [vm.names.value_of, vm.names.to_string]
    };
    for name in order {
        let f = vm.get(this, Key::atom(name))?;
        if vm.is_callable(f) {
            let r = vm.call(f, this, &[])?;
            if !r.is_object() {
                return Ok(r);
            }
        }
    }
    Err(vm.type_error("Cannot convert object to primitive value"))
}

pub fn install(vm: &mut Vm) {
    let proto = vm.intr.date_prototype;
    let (ctor, p) = vm.define_class("Date", 7, date_ctor, proto, None);
    vm.define_method(ctor, "now", 0, date_now);
    vm.define_method(ctor, "parse", 1, date_parse);
    vm.define_method(ctor, "UTC", 7, date_utc);

    let methods: [(&str, u32, crate::engine::NativeFn); 22] = [
        ("getDate", 0, get_date),
        ("getDay", 0, get_day),
        ("getFullYear", 0, get_full_year),
        ("getHours", 0, get_hours),
        ("getMilliseconds", 0, get_milliseconds),
        ("getMinutes", 0, get_minutes),
        ("getMonth", 0, get_month),
        ("getSeconds", 0, get_seconds),
        ("getTime", 0, get_time),
        ("getTimezoneOffset", 0, get_timezone_offset),
        ("getUTCDate", 0, get_date),
        ("getUTCDay", 0, get_day),
        ("getUTCFullYear", 0, get_full_year),
        ("getUTCHours", 0, get_hours),
        ("getUTCMilliseconds", 0, get_milliseconds),
        ("getUTCMinutes", 0, get_minutes),
        ("getUTCMonth", 0, get_month),
        ("getUTCSeconds", 0, get_seconds),
        ("getYear", 0, get_year),
        ("setTime", 1, set_time),
        ("setYear", 1, set_year),
        ("valueOf", 0, value_of),
    ];
    for (name, arity, f) in methods {
        vm.define_method(p, name, arity, f);
    }
    let setters: [(&str, u32, crate::engine::NativeFn); 7] = [
        ("Date", 1, set_date),
        ("FullYear", 3, set_full_year),
        ("Hours", 4, set_hours),
        ("Milliseconds", 1, set_milliseconds),
        ("Minutes", 3, set_minutes),
        ("Month", 2, set_month),
        ("Seconds", 2, set_seconds),
    ];
    for (name, arity, f) in setters {
        vm.define_method(p, &format!("set{name}"), arity, f);
        vm.define_method(p, &format!("setUTC{name}"), arity, f);
    }
    vm.define_method(p, "toDateString", 0, to_date_string_m);
    vm.define_method(p, "toISOString", 0, to_iso_string);
    vm.define_method(p, "toJSON", 1, to_json);
    vm.define_method(p, "toLocaleDateString", 0, to_date_string_m);
    vm.define_method(p, "toLocaleString", 0, to_string);
    vm.define_method(p, "toLocaleTimeString", 0, to_time_string);
    vm.define_method(p, "toString", 0, to_string);
    vm.define_method(p, "toTimeString", 0, to_time_string);
    let utc = vm.define_method_now(p, "toUTCString", 0, to_utc_string);
    let k = vm.key("toGMTString");
    vm.define_value(p, k, utc, crate::object::METHOD_FLAGS);
    let f = vm.new_native("[Symbol.toPrimitive]", 1, to_primitive);
    vm.define_value(p, Key::symbol(vm.sym.to_primitive), f, CONFIGURABLE);
}
