//! The params of a `NotifyLog` notification (a device log line for tools): the same on the
//! serial console in rpc mode and on a WebSocket that follows the log (`Log.Follow`).

use ferrite_runtime::device::Device;
use ferrite_runtime::json::{json, Json};
use ferrite_runtime::log::Level;

/// `level` as `NotifyLog` names it.
pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warn => "warn",
        Level::Info => "info",
        Level::Script => "print",
    }
}

/// `{ts, uptime_ms, seq, level, script, text}` for a line stamped `ts_ms` (ms since boot).
pub fn params(d: &Device, seq: u64, level: Level, script: u32, ts_ms: u64, text: &str) -> Json {
    let ts = crate::log_time::line_time_s(d.board.clock().unix_time_ms(), d.now_ms(), ts_ms);
    json!({"ts": ts, "uptime_ms": ts_ms, "seq": seq, "level": level_name(level),
           "script": script, "text": text})
}
