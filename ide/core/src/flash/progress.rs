//! Progress of a flash job over all its segments: bytes written of bytes to write, the write
//! rate over a sliding window, the time left, the stage and the segment — what the Flash page's
//! progress bar shows.
//!
//! The total shrinks as the job learns: a segment counts its full length until it has been
//! compared with the flash, then only the bytes that differ (a re-flash of an unchanged image
//! ends with a total of 0). Compare and verify are stages of their own (their counters are
//! `stage_done`/`stage_total`), not bytes written.
//!
//! Must never: read a clock (time comes in as milliseconds), or keep samples without a bound
//! (only those of the last window are kept).

use alloc::collections::VecDeque;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::protocol::ProgressMsg;

/// The rate is measured over the writing of the last this many milliseconds.
pub const RATE_WINDOW_MS: u64 = 2_000;
/// A rate over less time than this is noise: not reported.
pub const MIN_RATE_SPAN_MS: u64 = 100;
/// Progress messages of one stage and segment are sent at most this often.
pub const REPORT_INTERVAL_MS: u64 = 100;

#[derive(Clone, Debug)]
struct SegmentCount {
    what: String,
    len: u64,
    /// Bytes that differ from the flash, once compared.
    to_write: Option<u64>,
    /// Bytes written so far.
    written: u64,
}

/// One sample of the writing: at `t`, `done` bytes were written in all.
#[derive(Clone, Copy, Debug)]
struct Sample {
    t: u64,
    done: u64,
}

/// The job's progress; fed by the job, read as [`ProgressMsg`]s.
#[derive(Clone, Debug)]
pub struct ProgressTracker {
    segments: Vec<SegmentCount>,
    current: Option<usize>,
    stage: &'static str,
    stage_done: u64,
    stage_total: u64,
    samples: VecDeque<Sample>,
    /// (time, stage, segment) of the last message handed out.
    last_report: Option<(u64, &'static str, Option<usize>)>,
}

impl Default for ProgressTracker {
    fn default() -> ProgressTracker {
        ProgressTracker::new()
    }
}

impl ProgressTracker {
    pub fn new() -> ProgressTracker {
        ProgressTracker {
            segments: Vec::new(),
            current: None,
            stage: "connect",
            stage_done: 0,
            stage_total: 0,
            samples: VecDeque::new(),
            last_report: None,
        }
    }

    /// The plan: what each segment is and how long.
    pub fn set_segments<'a>(&mut self, segments: impl IntoIterator<Item = (&'a str, u64)>) {
        self.segments = segments
            .into_iter()
            .map(|(what, len)| SegmentCount {
                what: what.to_string(),
                len,
                to_write: None,
                written: 0,
            })
            .collect();
        self.current = None;
    }

    /// Work on segment `index` begins.
    pub fn begin_segment(&mut self, index: usize) {
        if index < self.segments.len() {
            self.current = Some(index);
        }
    }

    /// The current stage and its own counter (blocks compared, stub bytes, ranges verified…).
    pub fn stage(&mut self, stage: &'static str, done: u64, total: u64) {
        self.stage = stage;
        self.stage_done = done;
        self.stage_total = total;
    }

    /// Writing the current segment: `done` of its `to_write` differing bytes are written.
    pub fn segment_write(&mut self, done: u64, to_write: u64, now: u64) {
        self.stage("write", done, to_write);
        let Some(seg) = self.current.and_then(|i| self.segments.get_mut(i)) else {
            return;
        };
        seg.to_write = Some(to_write);
        seg.written = done.min(to_write);
        let total_done = self.done();
        self.sample(now, total_done);
    }

    /// The current segment is finished: `written` bytes of it were written (0: it was unchanged).
    pub fn segment_finished(&mut self, written: u64, now: u64) {
        let Some(seg) = self.current.and_then(|i| self.segments.get_mut(i)) else {
            return;
        };
        seg.to_write = Some(written);
        seg.written = written;
        let total_done = self.done();
        self.sample(now, total_done);
    }

    fn sample(&mut self, now: u64, done: u64) {
        if self
            .samples
            .back()
            .is_some_and(|s| s.done == done && s.t == now)
        {
            return;
        }
        self.samples.push_back(Sample { t: now, done });
        self.prune(now);
    }

    /// Drop the samples the window no longer needs: keep one at or before its start as the
    /// baseline.
    fn prune(&mut self, now: u64) {
        let start = now.saturating_sub(RATE_WINDOW_MS);
        while self.samples.len() > 1 && self.samples[1].t <= start {
            self.samples.pop_front();
        }
    }

    /// The stage last reported (`"connect"`, `"compare"`, `"write"`, …).
    pub fn current_stage(&self) -> &'static str {
        self.stage
    }

    /// Bytes written over all segments.
    pub fn done(&self) -> u64 {
        self.segments.iter().map(|s| s.written).sum()
    }

    /// Bytes to write over all segments (full lengths for those not compared yet).
    pub fn total(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| s.to_write.unwrap_or(s.len))
            .sum()
    }

    /// Bytes per second written over the last [`RATE_WINDOW_MS`] up to `now`: it falls while
    /// nothing is written (comparing, verifying). `None` until there is enough to measure.
    pub fn rate(&self, now: u64) -> Option<f64> {
        let start = now.saturating_sub(RATE_WINDOW_MS);
        // The baseline: the last sample at or before the window's start, else the first.
        let base = self
            .samples
            .iter()
            .rev()
            .find(|s| s.t <= start)
            .or_else(|| self.samples.front())?;
        let last = self.samples.back()?;
        let span = now.saturating_sub(base.t);
        if span < MIN_RATE_SPAN_MS {
            return None;
        }
        Some(last.done.saturating_sub(base.done) as f64 * 1000.0 / span as f64)
    }

    /// Milliseconds left for the writing at the current rate (`None` without a rate; 0 when
    /// nothing is left).
    pub fn eta_ms(&self, now: u64) -> Option<u64> {
        let left = self.total().saturating_sub(self.done());
        if left == 0
            && !self.segments.is_empty()
            && self.segments.iter().all(|s| s.to_write.is_some())
        {
            return Some(0);
        }
        let rate = self.rate(now)?;
        if rate <= 0.0 {
            return None;
        }
        Some((left as f64 * 1000.0 / rate) as u64)
    }

    /// The progress as a message.
    pub fn message(&self, now: u64) -> ProgressMsg {
        ProgressMsg {
            stage: self.stage.to_string(),
            done: self.done(),
            total: self.total(),
            rate: self.rate(now).map_or(0, |r| r.round() as u64),
            eta_ms: self.eta_ms(now),
            segment: self
                .current
                .and_then(|i| self.segments.get(i))
                .map(|s| s.what.clone()),
            segment_index: self.current.unwrap_or(0) as u32,
            segments: self.segments.len() as u32,
            stage_done: self.stage_done,
            stage_total: self.stage_total,
        }
    }

    /// The message to send now, if one is due: on a new stage or segment, at the end of a stage
    /// that counts something (a 0/0 stage is not "ended" at every report), else at most every
    /// [`REPORT_INTERVAL_MS`].
    pub fn report(&mut self, now: u64) -> Option<ProgressMsg> {
        let due = match self.last_report {
            None => true,
            Some((t, stage, seg)) => {
                stage != self.stage
                    || seg != self.current
                    || (self.stage_total > 0 && self.stage_done >= self.stage_total)
                    || now.saturating_sub(t) >= REPORT_INTERVAL_MS
            }
        };
        if !due {
            return None;
        }
        self.last_report = Some((now, self.stage, self.current));
        Some(self.message(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker(segments: &[(&str, u64)]) -> ProgressTracker {
        let mut p = ProgressTracker::new();
        p.set_segments(segments.iter().copied());
        p
    }

    #[test]
    fn a_stage_that_counts_nothing_is_throttled_too() {
        let mut p = ProgressTracker::new();
        p.stage("connect", 0, 0);
        assert!(p.report(0).is_some(), "a new stage is reported");
        assert!(p.report(10).is_none(), "0/0 is not the end of the stage");
        assert!(p.report(REPORT_INTERVAL_MS).is_some());
        // A stage that counts reports its end at once.
        p.stage("erase", 0, 1);
        assert!(p.report(REPORT_INTERVAL_MS + 1).is_some());
        p.stage("erase", 1, 1);
        assert!(p.report(REPORT_INTERVAL_MS + 2).is_some());
    }

    #[test]
    fn the_total_is_the_full_length_until_compared_then_what_differs() {
        let mut p = tracker(&[("bootloader", 20_000), ("app", 300_000)]);
        assert_eq!((p.done(), p.total()), (0, 320_000));
        p.begin_segment(0);
        p.stage("compare", 5, 5);
        p.segment_finished(0, 10); // the bootloader was unchanged
        assert_eq!((p.done(), p.total()), (0, 300_000));
        p.begin_segment(1);
        p.segment_write(16_384, 40_960, 20);
        assert_eq!((p.done(), p.total()), (16_384, 40_960));
        p.segment_write(40_960, 40_960, 30);
        p.segment_finished(40_960, 40);
        assert_eq!((p.done(), p.total()), (40_960, 40_960));
        assert_eq!(p.eta_ms(40), Some(0));
    }

    #[test]
    fn rate_is_measured_over_the_last_window() {
        let mut p = tracker(&[("app", 1_000_000)]);
        p.begin_segment(0);
        assert_eq!(p.rate(0), None);
        // 10 kB/s for 3 s, sampled every 250 ms.
        for i in 0..=12u64 {
            p.segment_write(i * 2_500, 1_000_000, i * 250);
        }
        let r = p.rate(3_000).unwrap();
        assert!((r - 10_000.0).abs() < 1.0, "rate {r}");
        // Then 40 kB/s for 2 s: the window sees only the new speed.
        for i in 1..=8u64 {
            p.segment_write(30_000 + i * 10_000, 1_000_000, 3_000 + i * 250);
        }
        let r = p.rate(5_000).unwrap();
        assert!((r - 40_000.0).abs() < 1.0, "rate {r}");
        // 110 kB of 1 MB done at 40 kB/s: 890 kB left, 22.25 s.
        assert_eq!(p.eta_ms(5_000), Some(22_250));
        // The samples kept are bounded by the window.
        assert!(p.samples.len() <= 10, "{} samples", p.samples.len());
    }

    #[test]
    fn the_rate_falls_while_nothing_is_written() {
        let mut p = tracker(&[("app", 100_000)]);
        p.begin_segment(0);
        p.segment_write(0, 100_000, 0);
        p.segment_write(20_000, 100_000, 1_000);
        assert!((p.rate(1_000).unwrap() - 20_000.0).abs() < 1.0);
        // A second without progress halves the measured rate over 2 s.
        let r = p.rate(2_000).unwrap();
        assert!((r - 10_000.0).abs() < 1.0, "rate {r}");
        // Long after: the baseline is the last sample, the rate 0, no ETA.
        assert_eq!(p.rate(10_000), Some(0.0));
        assert_eq!(p.eta_ms(10_000), None);
    }

    #[test]
    fn no_rate_over_a_too_short_span() {
        let mut p = tracker(&[("app", 100_000)]);
        p.begin_segment(0);
        p.segment_write(0, 100_000, 1_000);
        p.segment_write(50_000, 100_000, 1_010);
        assert_eq!(p.rate(1_010), None);
        assert_eq!(p.eta_ms(1_010), None);
        let m = p.message(1_010);
        assert_eq!((m.rate, m.eta_ms), (0, None));
    }

    #[test]
    fn reports_are_throttled_except_on_changes_and_stage_ends() {
        let mut p = tracker(&[("app", 100_000)]);
        p.begin_segment(0);
        p.stage("compare", 1, 25);
        let m = p.report(0).unwrap();
        assert_eq!(
            (m.stage.as_str(), m.stage_done, m.stage_total),
            ("compare", 1, 25)
        );
        assert_eq!(m.segment.as_deref(), Some("app"));
        assert_eq!((m.segment_index, m.segments), (0, 1));
        p.stage("compare", 2, 25);
        assert!(p.report(50).is_none());
        p.stage("compare", 3, 25);
        assert!(p.report(100).is_some());
        p.stage("compare", 25, 25);
        assert!(
            p.report(101).is_some(),
            "the end of a stage is always shown"
        );
        p.segment_write(4_096, 8_192, 102);
        let m = p.report(102).unwrap();
        assert_eq!((m.stage.as_str(), m.done, m.total), ("write", 4_096, 8_192));
    }

    #[test]
    fn before_the_plan_there_are_no_bytes_and_no_segment() {
        let mut p = ProgressTracker::new();
        p.stage("stub", 1_000, 4_000);
        p.segment_write(10, 10, 0); // no segment: ignored for the byte counts
        let m = p.message(0);
        assert_eq!((m.done, m.total, m.segments), (0, 0, 0));
        assert_eq!(m.segment, None);
        assert_eq!(m.eta_ms, None);
    }
}
