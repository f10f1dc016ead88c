//! `input:<id>`: a button (single, double, triple and long push detection) or a switch input.

use alloc::string::String;
use alloc::vec::Vec;

use crate::json::{json, Json};

/// Held at least this long: a long push.
pub const LONG_PUSH_MS: u64 = 1000;
/// A following press within this time after a release joins the same multi-push.
pub const MULTI_PUSH_GAP_MS: u64 = 500;

#[derive(Clone, Debug)]
pub struct Input {
    pub id: u32,
    pub state: bool,
    pub name: Option<String>,
    /// `button` or `switch`.
    pub kind: String,
    pub invert: bool,
    down_at: Option<u64>,
    long_fired: bool,
    pushes: u32,
    window_end: Option<u64>,
    pending: Vec<&'static str>,
}

impl Input {
    pub fn new(id: u32) -> Input {
        Input {
            id,
            state: false,
            name: None,
            kind: "button".into(),
            invert: false,
            down_at: None,
            long_fired: false,
            pushes: 0,
            window_end: None,
            pending: Vec::new(),
        }
    }

    /// The physical level changed at `now`. Events come out of [`Input::tick`].
    pub fn set_level(&mut self, now: u64, level: bool) {
        let level = level != self.invert;
        if level == self.state {
            return;
        }
        self.state = level;
        if self.kind == "switch" {
            self.pending
                .push(if level { "toggle_on" } else { "toggle_off" });
            return;
        }
        if level {
            self.pending.push("btn_down");
            self.down_at = Some(now);
            self.long_fired = false;
        } else {
            self.pending.push("btn_up");
            if !self.long_fired {
                self.pushes += 1;
                self.window_end = Some(now + MULTI_PUSH_GAP_MS);
            }
            self.down_at = None;
        }
    }

    /// Events that are due at `now`.
    pub fn tick(&mut self, now: u64) -> Vec<&'static str> {
        let mut out = core::mem::take(&mut self.pending);
        if let Some(d) = self.down_at {
            if !self.long_fired && now >= d + LONG_PUSH_MS {
                self.long_fired = true;
                self.pushes = 0;
                self.window_end = None;
                out.push("long_push");
            }
        }
        if self.down_at.is_none() {
            if let Some(end) = self.window_end {
                if now >= end {
                    out.push(match self.pushes {
                        1 => "single_push",
                        2 => "double_push",
                        _ => "triple_push",
                    });
                    self.pushes = 0;
                    self.window_end = None;
                }
            }
        }
        out
    }

    pub fn deadline(&self) -> Option<u64> {
        if !self.pending.is_empty() {
            return Some(0);
        }
        match self.down_at {
            Some(d) if !self.long_fired => Some(d + LONG_PUSH_MS),
            Some(_) => None,
            None => self.window_end,
        }
    }

    pub fn status(&self) -> Json {
        if self.kind == "switch" {
            json!({"id": self.id, "state": self.state})
        } else {
            json!({"id": self.id, "state": null})
        }
    }

    pub fn config_json(&self) -> Json {
        json!({"id": self.id, "name": self.name, "type": self.kind, "invert": self.invert, "enable": true})
    }

    pub fn set_config(&mut self, cfg: &Json) -> Result<(), String> {
        let Some(m) = cfg.as_object() else {
            return Err("config must be an object".into());
        };
        for (k, v) in m {
            match k.as_str() {
                "name" => self.name = v.as_str().map(String::from),
                "type" => match v.as_str() {
                    Some(s @ ("button" | "switch")) => self.kind = s.into(),
                    _ => return Err("type must be button or switch".into()),
                },
                "invert" => self.invert = v.as_bool().ok_or("invert must be a boolean")?,
                "id" | "enable" => {}
                other => return Err(alloc::format!("unknown config field {other}")),
            }
        }
        Ok(())
    }
}
