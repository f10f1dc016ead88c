//! `switch:<id>`: a relay with a power meter (Shelly Plus 1PM style). The meter's readings come
//! from the board (`BoardEvent::PowerSample`) or, on boards without one, from the configured
//! simulated load.

use alloc::string::String;

use crate::json::{json, Json};

#[derive(Clone, Debug)]
pub struct Switch {
    pub id: u32,
    pub output: bool,
    /// What last changed the output (`init`, `WS_in`, `script`, `timer`, `button` …).
    pub source: String,
    /// Watts drawn while on (board sample or simulated load).
    pub load_watts: f64,
    pub voltage: f64,
    /// Energy in watt-hours since boot.
    pub energy_wh: f64,
    last_energy_ms: u64,
    /// When the auto on/off timer flips the output.
    timer_at: Option<u64>,
    timer_started: u64,
    pub config: SwitchConfig,
}

#[derive(Clone, Debug)]
pub struct SwitchConfig {
    pub name: Option<String>,
    /// `on`, `off`, `restore_last`, `match_input`.
    pub initial_state: String,
    pub auto_on: bool,
    pub auto_on_delay: f64,
    pub auto_off: bool,
    pub auto_off_delay: f64,
    /// `momentary`, `follow`, `flip`, `detached`.
    pub in_mode: String,
    pub power_limit: f64,
}

impl Switch {
    pub fn new(id: u32) -> Switch {
        Switch {
            id,
            output: false,
            source: "init".into(),
            load_watts: 60.0,
            voltage: 230.0,
            energy_wh: 0.0,
            last_energy_ms: 0,
            timer_at: None,
            timer_started: 0,
            config: SwitchConfig {
                name: None,
                initial_state: "off".into(),
                auto_on: false,
                auto_on_delay: 60.0,
                auto_off: false,
                auto_off_delay: 60.0,
                in_mode: "follow".into(),
                power_limit: 4480.0,
            },
        }
    }

    fn accumulate(&mut self, now: u64) {
        if self.output {
            let dt_h = now.saturating_sub(self.last_energy_ms) as f64 / 3_600_000.0;
            self.energy_wh += self.load_watts * dt_h;
        }
        self.last_energy_ms = now;
    }

    pub fn apower(&self) -> f64 {
        if self.output {
            self.load_watts
        } else {
            0.0
        }
    }

    /// Set the output; `toggle_after` (seconds) flips it back later. Returns `was_on`.
    pub fn set(&mut self, now: u64, on: bool, source: &str, toggle_after: Option<f64>) -> bool {
        self.accumulate(now);
        let was = self.output;
        self.output = on;
        self.source = source.into();
        let delay = match toggle_after {
            Some(s) => Some(s),
            None if on && self.config.auto_off => Some(self.config.auto_off_delay),
            None if !on && self.config.auto_on => Some(self.config.auto_on_delay),
            None => None,
        };
        self.timer_started = now;
        self.timer_at = delay.map(|s| now + (s.max(0.0) * 1000.0) as u64);
        was
    }

    pub fn status(&mut self, now: u64) -> Json {
        self.accumulate(now);
        let p = self.apower();
        let mut s = json!({
            "id": self.id,
            "source": self.source,
            "output": self.output,
            "apower": p,
            "voltage": self.voltage,
            "current": if self.voltage > 0.0 { crate::num::round_to(p / self.voltage, 3) } else { 0.0 },
            "aenergy": {"total": crate::num::round_to(self.energy_wh, 3)},
            "temperature": {"tC": 41.2, "tF": 106.2},
        });
        if let Some(at) = self.timer_at {
            s["timer_started_at"] = json!(self.timer_started as f64 / 1000.0);
            s["timer_duration"] = json!(at.saturating_sub(self.timer_started) as f64 / 1000.0);
        }
        s
    }

    pub fn config_json(&self) -> Json {
        let c = &self.config;
        json!({
            "id": self.id, "name": c.name, "initial_state": c.initial_state,
            "auto_on": c.auto_on, "auto_on_delay": c.auto_on_delay,
            "auto_off": c.auto_off, "auto_off_delay": c.auto_off_delay,
            "in_mode": c.in_mode, "power_limit": c.power_limit,
        })
    }

    /// Apply a `Switch.SetConfig` config object. Errors name the bad field.
    pub fn set_config(&mut self, cfg: &Json) -> Result<(), String> {
        let Some(m) = cfg.as_object() else {
            return Err("config must be an object".into());
        };
        for (k, v) in m {
            let c = &mut self.config;
            match k.as_str() {
                "name" => c.name = v.as_str().map(String::from),
                "initial_state" => match v.as_str() {
                    Some(s @ ("on" | "off" | "restore_last" | "match_input")) => {
                        c.initial_state = s.into()
                    }
                    _ => {
                        return Err(
                            "initial_state must be on, off, restore_last or match_input".into()
                        )
                    }
                },
                "in_mode" => match v.as_str() {
                    Some(s @ ("momentary" | "follow" | "flip" | "detached")) => {
                        c.in_mode = s.into()
                    }
                    _ => return Err("in_mode must be momentary, follow, flip or detached".into()),
                },
                "auto_on" => c.auto_on = v.as_bool().ok_or("auto_on must be a boolean")?,
                "auto_off" => c.auto_off = v.as_bool().ok_or("auto_off must be a boolean")?,
                "auto_on_delay" => {
                    c.auto_on_delay = v.as_f64().ok_or("auto_on_delay must be a number")?
                }
                "auto_off_delay" => {
                    c.auto_off_delay = v.as_f64().ok_or("auto_off_delay must be a number")?
                }
                "power_limit" => {
                    c.power_limit = v.as_f64().ok_or("power_limit must be a number")?
                }
                "id" => {}
                other => return Err(alloc::format!("unknown config field {other}")),
            }
        }
        Ok(())
    }

    pub fn deadline(&self) -> Option<u64> {
        self.timer_at
    }

    /// Flip the output when its timer is due; returns the status delta.
    pub fn tick(&mut self, now: u64) -> Option<Json> {
        let at = self.timer_at?;
        if now < at {
            return None;
        }
        self.timer_at = None;
        self.accumulate(now);
        self.output = !self.output;
        self.source = "timer".into();
        Some(
            json!({"id": self.id, "output": self.output, "source": "timer", "apower": self.apower()}),
        )
    }
}
