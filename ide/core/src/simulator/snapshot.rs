//! The observable device as a [`Snapshot`] for the board panel: the pins a script uses, the
//! relay with its power meter, the inputs, the I2C parts with their knobs, the virtual
//! components and the scripts. It only reads the device; it never changes it (except that
//! reading a switch's status brings its energy counter up to date, as `Switch.GetStatus` does).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use ferrite_runtime::board::{Edge, PinMode, Pull};
use ferrite_runtime::sim::parts::{EEPROM_ADDR, EXPANDER_ADDR, SHT3X_ADDR};
use ferrite_runtime::sim::Pin;

use super::device::SimDevice;
use crate::protocol::{
    InputView, PartKnob, PartView, PinView, ScriptView, Snapshot, Speed, SwitchView, VirtualView,
    WifiView,
};

pub fn take(dev: &SimDevice, speed: Speed, sim_rate: f64) -> Snapshot {
    Snapshot {
        now_ms: dev.now_ms(),
        speed,
        sim_rate,
        pins: pins(dev),
        switches: switches(dev),
        inputs: inputs(dev),
        parts: parts(dev),
        virtuals: virtuals(dev),
        scripts: scripts(dev),
        wifi: wifi(dev),
    }
}

fn wifi(dev: &SimDevice) -> WifiView {
    let w = dev.wifi.0.borrow();
    let s = w.status();
    WifiView {
        state: s.state().into(),
        ssid: s.ssid,
        ip: s.ip,
        error: s.error,
        in_range: w.in_range,
    }
}

/// A pin some script touched: not in its reset state, or driven, or read as analog.
fn used(p: &Pin) -> bool {
    p.mode != PinMode::Input
        || p.pull != Pull::None
        || p.interrupt != Edge::None
        || p.pwm.is_some()
        || p.driven.is_some()
        || p.analog_used
}

fn pins(dev: &SimDevice) -> Vec<PinView> {
    let s = dev.sim.0.borrow();
    let pwm_max = (1u32 << s.pwm_bits) - 1;
    let analog_max = (1u32 << s.adc_bits) - 1;
    s.pins
        .iter()
        .enumerate()
        .filter(|(_, p)| used(p))
        .map(|(i, p)| PinView {
            pin: i as u32,
            mode: match p.mode {
                PinMode::Input => "input",
                PinMode::Output => "output",
                PinMode::InputOutput => "input_output",
                PinMode::OpenDrain => "open_drain",
            }
            .into(),
            pull: match p.pull {
                Pull::None => "none",
                Pull::Up => "up",
                Pull::Down => "down",
            }
            .into(),
            level: p.level(),
            driven: p.driven,
            interrupt: p.interrupt != Edge::None,
            pwm: p.pwm,
            pwm_max,
            analog_used: p.analog_used,
            analog: p.analog.min(analog_max),
            analog_max,
        })
        .collect()
}

fn switches(dev: &SimDevice) -> Vec<SwitchView> {
    let d = dev.rt.device();
    let mut d = d.borrow_mut();
    let now = d.now_ms();
    d.components
        .switches
        .iter_mut()
        .map(|s| {
            // Brings the energy counter up to `now`.
            let _ = s.status(now);
            let apower = s.apower();
            SwitchView {
                id: s.id,
                output: s.output,
                apower,
                voltage: s.voltage,
                current: if s.voltage > 0.0 {
                    apower / s.voltage
                } else {
                    0.0
                },
                energy_wh: s.energy_wh,
                load_w: s.load_watts,
            }
        })
        .collect()
}

fn inputs(dev: &SimDevice) -> Vec<InputView> {
    let d = dev.rt.device();
    let d = d.borrow();
    d.components
        .inputs
        .iter()
        .map(|i| InputView {
            id: i.id,
            input_type: i.kind.clone(),
            state: Some(i.state),
        })
        .collect()
}

fn knob(what: &str, value: f64, min: f64, max: f64, step: f64, unit: &str) -> PartKnob {
    PartKnob {
        what: what.into(),
        value,
        min,
        max,
        step,
        unit: unit.into(),
    }
}

fn parts(dev: &SimDevice) -> Vec<PartView> {
    let s = dev.sim.0.borrow();
    s.i2c
        .iter()
        .map(|((bus, addr), part)| {
            let seen = part.observe();
            let get = |k: &str| seen.iter().find(|(n, _)| *n == k).map_or(0.0, |(_, v)| *v);
            let (name, knobs, readings): (&str, Vec<PartKnob>, Vec<(String, f64)>) = match *addr {
                SHT3X_ADDR => (
                    "SHT31 temperature/humidity",
                    alloc::vec![
                        knob("temperature", get("temperature"), -40.0, 125.0, 0.1, "°C"),
                        knob("humidity", get("humidity"), 0.0, 100.0, 0.5, "%"),
                    ],
                    alloc::vec![("measurements".to_string(), get("measurements"))],
                ),
                EXPANDER_ADDR => {
                    // Pins configured as inputs (IODIR bit set) can be driven from the panel.
                    let iodir = get("iodir") as u32;
                    let mut knobs = Vec::new();
                    let mut readings = Vec::new();
                    for pin in 0..16u32 {
                        let what = alloc::format!("pin{pin}");
                        let level = get(&what);
                        if iodir & (1 << pin) != 0 {
                            knobs.push(knob(&what, level, 0.0, 1.0, 1.0, ""));
                        } else {
                            readings.push((what, level));
                        }
                    }
                    readings.push(("iodir".into(), get("iodir")));
                    readings.push(("olat".into(), get("olat")));
                    ("MCP23017 expander", knobs, readings)
                }
                EEPROM_ADDR => (
                    "24C32 EEPROM",
                    Vec::new(),
                    seen.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
                ),
                _ => (
                    "I2C part",
                    Vec::new(),
                    seen.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
                ),
            };
            PartView {
                bus: *bus,
                addr: *addr,
                name: name.into(),
                knobs,
                readings,
            }
        })
        .collect()
}

fn virtuals(dev: &SimDevice) -> Vec<VirtualView> {
    let d = dev.rt.device();
    let d = d.borrow();
    let mut v: Vec<VirtualView> = d
        .extras
        .virtuals
        .comps
        .iter()
        .map(|c| VirtualView {
            key: c.key(),
            kind: c.vtype.name().into(),
            id: c.id,
            name: c.config["name"].as_str().unwrap_or("").into(),
            value: c.value.clone(),
            options: c.config["options"]
                .as_array()
                .map(|o| {
                    o.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            min: c.config["min"].as_f64(),
            max: c.config["max"].as_f64(),
        })
        .collect();
    v.sort_by(|a, b| a.key.cmp(&b.key));
    v
}

fn scripts(dev: &SimDevice) -> Vec<ScriptView> {
    let allowance = dev.rt.limits().script_heap as u64;
    let d = dev.rt.device();
    let d = d.borrow();
    d.scripts
        .iter()
        .map(|r| {
            // A running realm's budget is its built-ins plus the script's allowance.
            let (used, budget) = dev
                .rt
                .heap_stats(r.id)
                .map_or((r.mem_used as u64, r.mem_used as u64 + allowance), |s| {
                    (s.used as u64, s.budget as u64)
                });
            ScriptView {
                id: r.id,
                file: dev.file_of(r.id).unwrap_or(&r.name).into(),
                running: r.running,
                errors: r.errors.clone(),
                heap_used: used,
                heap_budget: budget,
            }
        })
        .collect()
}
