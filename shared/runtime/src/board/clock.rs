/// Time as the target keeps it. On a device it is real time; in the simulator it is virtual
/// time that the page can pause and fast-forward.
pub trait Clock {
    /// Milliseconds since boot; never goes backwards.
    fn now_ms(&self) -> u64;
    /// Wall-clock time (milliseconds since the Unix epoch), if the target knows it.
    fn unix_time_ms(&self) -> Option<f64>;
}
