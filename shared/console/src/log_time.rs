//! The time of a device log line as the log streams show it (`/debug/log` frames and the
//! console's `NotifyLog`): Unix seconds when the clock is set, else seconds since boot.

/// The time of a line stamped `line_ms` (ms since boot), when it is `now_ms` since boot and the
/// clock says `unix_ms` (`None`: not set). Rounded to 10 ms.
pub fn line_time_s(unix_ms: Option<f64>, now_ms: u64, line_ms: u64) -> f64 {
    match unix_ms {
        Some(unix) => libm::round((unix - now_ms.saturating_sub(line_ms) as f64) / 10.0) / 100.0,
        None => libm::round(line_ms as f64 / 10.0) / 100.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_clock_or_uptime() {
        // A line from 1.5 s ago, the clock at 1000 s.
        assert_eq!(line_time_s(Some(1_000_000.0), 5_000, 3_500), 998.5);
        assert_eq!(line_time_s(None, 5_000, 3_504), 3.5);
        // A line stamped after "now" (clock races) is not in the future.
        assert_eq!(line_time_s(Some(1_000_000.0), 5_000, 6_000), 1000.0);
    }
}
