//! GPIO pins a script uses: outputs as LEDs (PWM as brightness and duty), inputs as a
//! momentary button (pressed: the level opposite its pull) plus a checkbox that holds the pin
//! high, analog inputs as a slider of the raw reading.

use ferrite_ide_core::protocol::{BoardAction, PinView};
use leptos::prelude::*;

use crate::controller::use_ctx;
use crate::util::dom;

/// What decides a pin's controls (a change rebuilds its card).
#[derive(Clone, PartialEq, Eq, Hash)]
struct Shape {
    pin: u32,
    input: bool,
    analog: bool,
    pwm: bool,
}

fn shape(p: &PinView) -> Shape {
    Shape {
        pin: p.pin,
        input: p.mode == "input",
        analog: p.analog_used,
        pwm: p.pwm.is_some(),
    }
}

#[component]
pub fn Pins() -> impl IntoView {
    super::cards(
        |s| s.pins.iter().map(shape).collect(),
        |s| view! { <PinCard pin=s.pin input=s.input analog=s.analog pwm=s.pwm /> },
    )
}

#[component]
fn PinCard(pin: u32, input: bool, analog: bool, pwm: bool) -> impl IntoView {
    let ctx = use_ctx();
    let view_of = Memo::new(move |_| {
        ctx.snapshot
            .with(|s| s.pins.iter().find(|p| p.pin == pin).cloned())
    });
    let get =
        move |f: fn(&PinView) -> String| view_of.with(|v| v.as_ref().map(f).unwrap_or_default());
    let level = move || view_of.with(|v| v.as_ref().is_some_and(|p| p.level));
    let name = format!("GPIO {pin}");
    let title = name.clone();

    let output = (!input).then(|| {
        let duty = move || {
            view_of.with(|v| {
                v.as_ref()
                    .and_then(|p| p.pwm.map(|(_, d)| f64::from(d) / f64::from(p.pwm_max.max(1))))
            })
        };
        let lit = move || match duty() {
            Some(d) => d > 0.0,
            None => level(),
        };
        let brightness = move || match duty() {
            Some(d) => format!("{:.2}", 0.15 + 0.85 * d),
            None => if level() { "1" } else { "0.15" }.to_string(),
        };
        view! {
            <span
                class="led"
                class:on=lit
                role="img"
                aria-label=move || format!("LED GPIO {pin} {}", if lit() { "on" } else { "off" })
                style:opacity=brightness
            ></span>
            {pwm
                .then(|| {
                    view! {
                        <span class="value">
                            {move || {
                                let hz = get(|p| p.pwm.map(|(hz, _)| hz.to_string()).unwrap_or_default());
                                format!("PWM {:.0}% · {hz} Hz", duty().unwrap_or(0.0) * 100.0)
                            }}
                        </span>
                    }
                })}
        }
    });

    let controls = input.then(|| {
        let hold = RwSignal::new(false);
        // Called from pointer and key events, which can come after the card is gone: disposed
        // signals are read with `try_` and then change nothing.
        let pull_up = move || {
            view_of
                .try_with_untracked(|v| v.as_ref().is_some_and(|p| p.pull == "up"))
                .unwrap_or(false)
        };
        let drive = move |level: Option<bool>| ctx.board(BoardAction::Pin { pin, level });
        let press = move |down: bool| {
            let Some(held_high) = hold.try_get_untracked() else {
                return;
            };
            if down {
                drive(Some(!pull_up()));
            } else if held_high {
                drive(Some(true));
            } else {
                drive(None);
            }
        };
        let is_press_key = |ev: &leptos::ev::KeyboardEvent| ev.key() == " " || ev.key() == "Enter";
        view! {
            <button
                class="btn small"
                class:pressed=move || view_of.with(|v| v.as_ref().is_some_and(|p| p.driven.is_some()))
                on:pointerdown=move |ev| {
                    dom::capture_pointer(&ev);
                    press(true)
                }
                on:pointerup=move |_| press(false)
                on:pointercancel=move |_| press(false)
                on:lostpointercapture=move |_| press(false)
                on:keydown=move |ev| {
                    if is_press_key(&ev) && !ev.repeat() {
                        press(true)
                    }
                }
                on:keyup=move |ev| {
                    if is_press_key(&ev) {
                        press(false)
                    }
                }
            >
                {format!("Press GPIO {pin}")}
            </button>
            <label class="check">
                <input
                    type="checkbox"
                    prop:checked=move || hold.get()
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        hold.set(on);
                        drive(if on { Some(true) } else { None });
                    }
                />
                {format!("Hold GPIO {pin} high")}
            </label>
        }
    });

    let slider = analog.then(|| {
        let raw = Memo::new(move |_| view_of.with(|v| v.as_ref().map_or(0, |p| p.analog)));
        let max = move || view_of.with(|v| v.as_ref().map_or(4095, |p| p.analog_max));
        view! {
            <label class="slider-row">
                <span class="muted small">"ADC"</span>
                <input
                    type="range"
                    min="0"
                    max=move || max().to_string()
                    step="1"
                    aria-label=format!("Analog GPIO {pin}")
                    prop:value=move || raw.get().to_string()
                    on:input=move |ev| {
                        if let Ok(raw) = event_target_value(&ev).parse::<u32>() {
                            ctx.board(BoardAction::Analog { pin, raw });
                        }
                    }
                />
                <span class="value">{move || raw.get().to_string()}</span>
            </label>
        }
    });

    view! {
        <div class="card pin" role="group" aria-label=name.clone()>
            <div class="card-head">
                <span class="card-title">{title}</span>
                <span class="muted small">
                    {move || {
                        let mode = get(|p| p.mode.replace('_', " "));
                        let pull = get(|p| p.pull.clone());
                        if pull == "none" || pull.is_empty() { mode } else { format!("{mode} · pull {pull}") }
                    }}
                </span>
                <span class="spacer"></span>
                <span class="level" class:high=level>{move || if level() { "HIGH" } else { "LOW" }}</span>
            </div>
            <div class="btn-row">{output} {controls}</div>
            {slider}
        </div>
    }
}
