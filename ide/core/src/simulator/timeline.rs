//! How virtual time follows wall time for each [`Speed`]: an anchor (wall, virtual) pair taken
//! at every speed change; at a finite factor the virtual time may reach
//! `anchor_virtual + factor × (wall − anchor_wall)` and no further. It only computes targets; it
//! never moves the clock itself.

use crate::protocol::Speed;

#[derive(Clone, Copy, Debug)]
pub struct Timeline {
    pub speed: Speed,
    anchor_wall: f64,
    anchor_virtual: u64,
}

impl Timeline {
    pub fn new(speed: Speed, wall_ms: f64, virtual_ms: u64) -> Timeline {
        Timeline {
            speed,
            anchor_wall: wall_ms,
            anchor_virtual: virtual_ms,
        }
    }

    /// Change the speed at wall time `wall_ms` when the device is at `virtual_ms`.
    pub fn set_speed(&mut self, speed: Speed, wall_ms: f64, virtual_ms: u64) {
        *self = Timeline::new(speed, wall_ms, virtual_ms);
    }

    /// The furthest virtual time allowed at `wall_ms` (`None`: unbounded, `Max`).
    pub fn target(&self, wall_ms: f64) -> Option<u64> {
        let factor = self.speed.factor()?;
        let elapsed = (wall_ms - self.anchor_wall).max(0.0);
        Some(self.anchor_virtual + (factor * elapsed) as u64)
    }

    /// Wall milliseconds until virtual time `deadline` is allowed, from virtual `now`
    /// (`None` while paused).
    pub fn wall_until(&self, now: u64, deadline: u64) -> Option<f64> {
        match self.speed.factor() {
            None => Some(0.0),
            Some(f) if f <= 0.0 => None,
            Some(f) => Some(deadline.saturating_sub(now) as f64 / f),
        }
    }

    /// Re-anchor when the device fell far behind its target (a busy script at ×1 for a long
    /// time): it then continues from where it is instead of racing to catch up.
    pub fn limit_lag(&mut self, wall_ms: f64, virtual_ms: u64, max_lag_wall_ms: f64) {
        if let (Some(target), Some(f)) = (self.target(wall_ms), self.speed.factor()) {
            if f > 0.0 && target.saturating_sub(virtual_ms) as f64 > max_lag_wall_ms * f {
                self.anchor_wall = wall_ms - max_lag_wall_ms;
                self.anchor_virtual = virtual_ms;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_follow_the_factor() {
        let mut t = Timeline::new(Speed::Realtime, 1000.0, 0);
        assert_eq!(t.target(1500.0), Some(500));
        t.set_speed(Speed::X10, 1500.0, 500);
        assert_eq!(t.target(1600.0), Some(1500));
        t.set_speed(Speed::Paused, 1600.0, 1500);
        assert_eq!(t.target(99_999.0), Some(1500));
        assert_eq!(t.wall_until(1500, 2000), None);
        t.set_speed(Speed::Max, 1600.0, 1500);
        assert_eq!(t.target(1700.0), None);
        t.set_speed(Speed::X100, 0.0, 0);
        assert_eq!(t.wall_until(0, 1000), Some(10.0));
        t.limit_lag(100_000.0, 0, 1000.0);
        assert_eq!(t.target(100_000.0), Some(100_000));
    }
}
