//! "Run on device": put a script on the device under a name and start it —
//! `Script.List` → the script of that name, or `Script.Create` → `Script.Stop` if it runs →
//! `Script.PutCode` in chunks (the first replaces the code, the others append) →
//! `Script.SetConfig {enable}` if asked → `Script.Start` if asked. Progress is reported in
//! bytes sent.
//!
//! Every step is idempotent: after a failure (the device went away mid-upload) running the
//! deploy again starts over and converges to the same result. It never sends a request the
//! device would refuse as too large: chunks are cut so that each encoded request stays well
//! under the 16 KiB frame limit, and on UTF-8 character boundaries.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde_json::{json, Value};

use super::console_stream::MAX_FRAME;
use super::rpc::CallError;
use super::session::{CallId, DeviceSession};

/// Room in a request for everything but the code: id, src, method, the other params and the
/// `auth` object.
const REQUEST_OVERHEAD: usize = 2048;

/// Where the deploy is.
#[derive(Clone, Debug, PartialEq)]
pub enum DeployStep {
    /// `Script.List` (also the step before `start`): looking for the script by name.
    Finding,
    /// `Script.Create`.
    Creating,
    /// `Script.Stop`.
    Stopping,
    /// `Script.PutCode` chunks.
    Uploading,
    /// `Script.SetConfig {enable}`.
    Enabling,
    /// `Script.Start`.
    Starting,
    Done {
        id: u32,
    },
    /// `step`: which step failed, for people ("list", "create", "stop", "upload (chunk 2 of
    /// 3)", "enable", "start"); `message`: why.
    Failed {
        step: String,
        message: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct DeployProgress {
    pub step: DeployStep,
    /// Code bytes acknowledged by the device, of `total`.
    pub sent: usize,
    pub total: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeployOptions {
    /// Start the script after the upload.
    pub start: bool,
    /// Set "enable at boot" to this; `None`: leave it.
    pub enable: Option<bool>,
    /// Code bytes per `Script.PutCode` (an upper bound: a chunk is also cut so its encoded
    /// request stays under the device's 16 KiB frame limit).
    pub chunk_bytes: usize,
}

impl Default for DeployOptions {
    fn default() -> Self {
        DeployOptions {
            start: true,
            enable: None,
            chunk_bytes: 4096,
        }
    }
}

/// One "Run on device". See the module documentation.
pub struct Deploy {
    name: String,
    chunks: Vec<String>,
    total: usize,
    options: DeployOptions,
    step: DeployStep,
    /// The script's id once known.
    id: Option<u32>,
    /// The chunk being sent (index into `chunks`).
    chunk: usize,
    sent: usize,
    /// The call whose answer moves the deploy on.
    waiting: Option<CallId>,
}

impl Deploy {
    pub fn new(name: &str, code: &str, options: DeployOptions) -> Self {
        let budget = MAX_FRAME.saturating_sub(REQUEST_OVERHEAD + name.len());
        Deploy {
            name: name.into(),
            chunks: split_code(code, options.chunk_bytes.max(1), budget),
            total: code.len(),
            options,
            step: DeployStep::Finding,
            id: None,
            chunk: 0,
            sent: 0,
            waiting: None,
        }
    }

    /// Start (or start over after a failure): the first request goes out.
    pub fn start(&mut self, session: &mut DeviceSession, now_ms: f64) {
        self.id = None;
        self.chunk = 0;
        self.sent = 0;
        self.step = DeployStep::Finding;
        self.waiting = Some(session.call("Script.List", Value::Null, now_ms));
    }

    /// Give the deploy a `Reply` the session produced. `true` if it was the deploy's (then the
    /// next request may have been sent).
    pub fn on_reply(
        &mut self,
        call: CallId,
        result: &Result<Value, CallError>,
        session: &mut DeviceSession,
        now_ms: f64,
    ) -> bool {
        if self.waiting != Some(call) {
            return false;
        }
        self.waiting = None;
        let outcome = match result {
            Ok(v) => self.advance(v, session, now_ms),
            Err(e) => self.on_error(e, session, now_ms),
        };
        if let Err(message) = outcome {
            self.step = DeployStep::Failed {
                step: self.step_name(),
                message,
            };
        }
        true
    }

    pub fn progress(&self) -> DeployProgress {
        DeployProgress {
            step: self.step.clone(),
            sent: self.sent,
            total: self.total,
        }
    }

    pub fn is_finished(&self) -> bool {
        matches!(
            self.step,
            DeployStep::Done { .. } | DeployStep::Failed { .. }
        )
    }

    /// The script's name on the device.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many `Script.PutCode` requests the upload takes.
    pub fn chunk_count(&self) -> usize {
        self.chunks.len().max(1)
    }

    fn step_name(&self) -> String {
        match &self.step {
            DeployStep::Finding => "list".into(),
            DeployStep::Creating => "create".into(),
            DeployStep::Stopping => "stop".into(),
            DeployStep::Uploading => format!(
                "upload (chunk {} of {})",
                self.chunk + 1,
                self.chunk_count()
            ),
            DeployStep::Enabling => "enable".into(),
            DeployStep::Starting => "start".into(),
            DeployStep::Done { .. } => "done".into(),
            DeployStep::Failed { step, .. } => step.clone(),
        }
    }

    fn on_error(
        &mut self,
        e: &CallError,
        session: &mut DeviceSession,
        now_ms: f64,
    ) -> Result<(), String> {
        // Stopping a script that already stopped is no failure.
        if self.step == DeployStep::Stopping && e.code == -108 {
            return self.upload_next(session, now_ms);
        }
        Err(format!("{e}"))
    }

    fn advance(
        &mut self,
        v: &Value,
        session: &mut DeviceSession,
        now_ms: f64,
    ) -> Result<(), String> {
        match self.step {
            DeployStep::Finding => {
                let scripts = v
                    .get("scripts")
                    .and_then(Value::as_array)
                    .ok_or("Script.List answered without a scripts list")?;
                let found = scripts
                    .iter()
                    .find(|s| s.get("name").and_then(Value::as_str) == Some(self.name.as_str()));
                match found {
                    Some(s) => {
                        let id = script_id(s).ok_or("Script.List gave a script without an id")?;
                        self.id = Some(id);
                        if s.get("running").and_then(Value::as_bool) == Some(true) {
                            self.step = DeployStep::Stopping;
                            self.waiting =
                                Some(session.call("Script.Stop", json!({"id": id}), now_ms));
                            Ok(())
                        } else {
                            self.upload_next(session, now_ms)
                        }
                    }
                    None => {
                        self.step = DeployStep::Creating;
                        self.waiting =
                            Some(session.call("Script.Create", json!({"name": self.name}), now_ms));
                        Ok(())
                    }
                }
            }
            DeployStep::Creating => {
                let id = script_id(v).ok_or("Script.Create answered without an id")?;
                self.id = Some(id);
                self.upload_next(session, now_ms)
            }
            DeployStep::Stopping => self.upload_next(session, now_ms),
            DeployStep::Uploading => {
                self.sent += self.chunks.get(self.chunk).map_or(0, String::len);
                self.chunk += 1;
                self.upload_next(session, now_ms)
            }
            DeployStep::Enabling => self.start_next(session, now_ms),
            DeployStep::Starting => {
                self.finish();
                Ok(())
            }
            DeployStep::Done { .. } | DeployStep::Failed { .. } => Ok(()),
        }
    }

    /// Send the next chunk, or go on to enabling/starting when all are acknowledged.
    fn upload_next(&mut self, session: &mut DeviceSession, now_ms: f64) -> Result<(), String> {
        let id = self.id.ok_or("no script id")?;
        let first = self.step != DeployStep::Uploading;
        self.step = DeployStep::Uploading;
        if first {
            self.chunk = 0;
            self.sent = 0;
        }
        if self.chunk < self.chunk_count() {
            let code = self.chunks.get(self.chunk).map_or("", String::as_str);
            self.waiting = Some(session.call(
                "Script.PutCode",
                json!({"id": id, "code": code, "append": self.chunk > 0}),
                now_ms,
            ));
            return Ok(());
        }
        if let Some(enable) = self.options.enable {
            self.step = DeployStep::Enabling;
            self.waiting = Some(session.call(
                "Script.SetConfig",
                json!({"id": id, "config": {"enable": enable}}),
                now_ms,
            ));
            return Ok(());
        }
        self.start_next(session, now_ms)
    }

    fn start_next(&mut self, session: &mut DeviceSession, now_ms: f64) -> Result<(), String> {
        let id = self.id.ok_or("no script id")?;
        if self.options.start {
            self.step = DeployStep::Starting;
            self.waiting = Some(session.call("Script.Start", json!({"id": id}), now_ms));
        } else {
            self.finish();
        }
        Ok(())
    }

    fn finish(&mut self) {
        if let Some(id) = self.id {
            self.step = DeployStep::Done { id };
        }
    }
}

fn script_id(v: &Value) -> Option<u32> {
    v.get("id")
        .and_then(Value::as_u64)
        .and_then(|i| u32::try_from(i).ok())
}

/// Bytes a character takes inside a JSON string (as serde_json writes it).
fn json_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// Cut `code` into chunks of at most `max_bytes` bytes whose JSON-encoded form is at most
/// `max_encoded` bytes, on character boundaries. Empty code: no chunks (one empty PutCode is
/// sent).
pub fn split_code(code: &str, max_bytes: usize, max_encoded: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let (mut bytes, mut encoded) = (0usize, 0usize);
    for (i, c) in code.char_indices() {
        let (b, e) = (c.len_utf8(), json_len(c));
        if bytes > 0 && (bytes + b > max_bytes || encoded + e > max_encoded) {
            out.push(code[start..i].into());
            start = i;
            bytes = 0;
            encoded = 0;
        }
        bytes += b;
        encoded += e;
    }
    if start < code.len() {
        out.push(code[start..].into());
    }
    out
}
