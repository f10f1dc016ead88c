//! What WebSocket clients get without asking each time: the device log (`/debug/log` as
//! `{ts, level, data}`, `/rpc` after `Log.Follow` as `NotifyLog`) and the runtime's
//! notifications (`NotifyStatus` / `NotifyEvent` to `/rpc` clients that sent a `src` or follow;
//! `NotifyTelemetry` to followers only, so Shelly clients see what a Shelly sends).
//!
//! Must never let a slow follower grow without bound: a log line is queued only while the
//! connection's output stays within [`Config::follow_output_limit`]; the others are skipped and
//! the gap shows in `seq`.

use alloc::format;
use alloc::vec::Vec;

use ferrite_protocols::websocket::{self, opcode};
use ferrite_runtime::device::Notification;
use ferrite_runtime::json::{json, Json};
use ferrite_runtime::log::Level;
use ferrite_runtime::rpc::{code, RpcError};
use ferrite_runtime::Runtime;

use crate::conn::{Conn, Mode};
use crate::limits::Config;

/// Queue new log lines for a `/debug/log` client (`{ts, level, data}`) or a follower of
/// `/rpc` (`NotifyLog`). A line is queued only while the output stays within the follow limit
/// (a line longer than that alone goes out only when nothing else waits, and only up to the
/// output limit); the others are skipped. Returns whether any were queued.
fn stream_log(
    rt: &Runtime,
    config: &Config,
    next: &mut u64,
    out: &mut Vec<u8>,
    notify: Option<(&str, Option<&str>)>,
) -> bool {
    let dev = rt.device();
    let dev = dev.borrow();
    if dev.log.next_seq() <= *next {
        return false;
    }
    let epoch = dev.board.clock().unix_time_ms();
    let uptime = dev.now_ms();
    let mut queued = false;
    let mut frame_bytes = Vec::new();
    for line in dev.log.since(*next) {
        if out.len() >= config.follow_output_limit {
            break; // the rest is skipped
        }
        let frame = match notify {
            Some((device_id, dst)) => {
                let params = ferrite_console::notify_log::params(
                    &dev,
                    line.seq,
                    line.level,
                    line.script,
                    line.ts_ms,
                    &line.text,
                );
                let mut f = json!({"src": device_id, "method": "NotifyLog", "params": params});
                if let Some(dst) = dst {
                    f["dst"] = json!(dst);
                }
                f
            }
            None => {
                let ts = ferrite_console::log_time::line_time_s(epoch, uptime, line.ts_ms);
                let level = match line.level {
                    Level::Error => 0,
                    Level::Warn => 1,
                    Level::Info | Level::Script => 2,
                };
                let data = if line.script == 0 {
                    format!("{}\n", line.text)
                } else {
                    format!("script:{}: {}\n", line.script, line.text)
                };
                json!({"ts": ts, "level": level, "data": data})
            }
        };
        frame_bytes.clear();
        websocket::encode_frame(
            &mut frame_bytes,
            opcode::TEXT,
            &serde_json::to_vec(&frame).unwrap_or_default(),
            None,
        );
        let fits = out.len() + frame_bytes.len() <= config.follow_output_limit
            || (out.is_empty() && frame_bytes.len() <= config.max_output);
        if fits {
            out.extend_from_slice(&frame_bytes);
            queued = true;
        }
    }
    *next = dev.log.next_seq();
    queued
}

impl Conn {
    /// Queue the log lines this connection follows (a `/debug/log` stream, or a `/rpc`
    /// WebSocket after `Log.Follow`).
    pub(crate) fn stream_log(&mut self, rt: &Runtime, config: &Config, device_id: &str) -> bool {
        match &mut self.mode {
            Mode::Log { next, .. } => stream_log(rt, config, next, &mut self.out, None),
            Mode::Rpc {
                follow: Some(next),
                src,
                ..
            } => stream_log(
                rt,
                config,
                next,
                &mut self.out,
                Some((device_id, src.as_deref())),
            ),
            _ => false,
        }
    }

    /// `Log.Follow {enable}` on a `/rpc` WebSocket: from now on (or no more) the connection
    /// gets the device log as `NotifyLog`, telemetry as `NotifyTelemetry`, and the status and
    /// event notifications.
    pub(crate) fn log_follow(&mut self, rt: &Runtime, params: &Json) -> Result<Json, RpcError> {
        let enable = match params.get("enable") {
            None | Some(Json::Null) => true,
            Some(Json::Bool(b)) => *b,
            Some(_) => return Err(RpcError::invalid("enable must be a boolean")),
        };
        let Mode::Rpc { follow, .. } = &mut self.mode else {
            return Err(RpcError::new(code::UNAVAILABLE, "not a /rpc WebSocket"));
        };
        let seq = rt.device().borrow().log.next_seq();
        *follow = if enable { Some(seq) } else { None };
        Ok(json!({"enable": enable, "seq": seq}))
    }

    /// Queue the notifications this connection subscribed to (a `/rpc` WebSocket that sent a
    /// `src`, or follows the log).
    pub(crate) fn notify(&mut self, device_id: &str, notifications: &[Notification]) {
        let Mode::Rpc { src, follow, .. } = &self.mode else {
            return;
        };
        if src.is_none() && follow.is_none() {
            return;
        }
        let dst = src.clone();
        let following = follow.is_some();
        for n in notifications {
            // Telemetry is for followers only: Shelly clients never see it.
            if n.followers_only() && !following {
                continue;
            }
            let mut frame = json!({"src": device_id, "method": n.method, "params": n.params});
            if let Some(dst) = &dst {
                frame["dst"] = json!(dst);
            }
            self.ws_send(&frame);
        }
    }
}
