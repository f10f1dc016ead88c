//! PWM outputs on the LEDC: low-speed, 6 channels on 4 timers, APB clock. Pins at one
//! frequency share a timer; each timer runs at the widest duty resolution its frequency allows,
//! never below the 10 bits reported to scripts nor above 13 (at the LEDC's 14 bits it cannot be
//! always on; `pin_plan::ledc_bits`, `ledc_duty`), so 10 Hz to 78.125 kHz.
//!
//! esp-hal's LEDC channel keeps a `&dyn TimerIFace` to its timer for its whole life; the timers
//! are reconfigured while channels exist, so channels get a [`TimerShim`] (a static that says
//! the timer's number and resolution) and the real timers stay in [`ChipPwm`].
//!
//! Must never: report a resolution the hardware does not have, or drive a pin
//! [`ChipPins`](super::pins::ChipPins) did not give it.

use core::sync::atomic::{AtomicU32, Ordering};

use esp_hal::gpio::{AnyPin, DriveMode};
use esp_hal::ledc::channel::{self, Channel, ChannelHW, ChannelIFace};
use esp_hal::ledc::timer::{self, config::Duty, LSClockSource, Timer, TimerIFace};
use esp_hal::ledc::{LSGlobalClkSource, Ledc, LowSpeed};
use esp_hal::peripherals::LEDC;
use esp_hal::time::Rate;
use ferrite_runtime::board::{BoardError, BoardResult};

use super::pin_plan::{LedcPlan, LedcStep, LEDC_CHANNELS, LEDC_CLOCK_HZ, LEDC_TIMERS};

/// What a channel needs to know of its timer: number and duty resolution (bits, 0 while
/// unconfigured).
pub struct TimerShim {
    number: timer::Number,
    bits: AtomicU32,
    hz: AtomicU32,
}

impl TimerShim {
    const fn new(number: timer::Number) -> TimerShim {
        TimerShim {
            number,
            bits: AtomicU32::new(0),
            hz: AtomicU32::new(0),
        }
    }
}

impl TimerIFace<LowSpeed> for TimerShim {
    fn freq(&self) -> Option<Rate> {
        Some(Rate::from_hz(LEDC_CLOCK_HZ as u32))
    }
    fn configure(&mut self, _: timer::config::Config<LSClockSource>) -> Result<(), timer::Error> {
        // Channels never configure their timer; `ChipPwm` configures the real one.
        Err(timer::Error::FrequencyUnset)
    }
    fn is_configured(&self) -> bool {
        self.bits.load(Ordering::Relaxed) != 0
    }
    fn duty(&self) -> Option<Duty> {
        Duty::try_from(self.bits.load(Ordering::Relaxed)).ok()
    }
    fn number(&self) -> timer::Number {
        self.number
    }
    fn frequency(&self) -> u32 {
        self.hz.load(Ordering::Relaxed)
    }
}

static SHIMS: [TimerShim; LEDC_TIMERS] = [
    TimerShim::new(timer::Number::Timer0),
    TimerShim::new(timer::Number::Timer1),
    TimerShim::new(timer::Number::Timer2),
    TimerShim::new(timer::Number::Timer3),
];

const CHANNEL_NUMBERS: [channel::Number; LEDC_CHANNELS] = [
    channel::Number::Channel0,
    channel::Number::Channel1,
    channel::Number::Channel2,
    channel::Number::Channel3,
    channel::Number::Channel4,
    channel::Number::Channel5,
];

/// The LEDC, its timers and the channels driving pins.
pub struct ChipPwm {
    ledc: Ledc<'static>,
    timers: [Timer<'static, LowSpeed>; LEDC_TIMERS],
    channels: [Option<Channel<'static, LowSpeed>>; LEDC_CHANNELS],
    plan: LedcPlan,
}

impl ChipPwm {
    pub fn new(ledc: LEDC<'static>) -> ChipPwm {
        let mut ledc = Ledc::new(ledc);
        ledc.set_global_slow_clock(LSGlobalClkSource::APBClk);
        let timers = [
            ledc.timer(timer::Number::Timer0),
            ledc.timer(timer::Number::Timer1),
            ledc.timer(timer::Number::Timer2),
            ledc.timer(timer::Number::Timer3),
        ];
        ChipPwm {
            ledc,
            timers,
            channels: [const { None }; LEDC_CHANNELS],
            plan: LedcPlan::new(),
        }
    }

    /// Plan PWM at `hz` on `pin` (nothing changes on refusal).
    pub fn plan(&mut self, pin: u8, hz: u32) -> Result<LedcStep, alloc::string::String> {
        self.plan.assign(pin, hz)
    }

    /// Carry out `step` for `pin`: configure the timer and the channel as planned (`any`: the
    /// pin, when the channel is new on it) and set the LEDC duty `hw_duty`.
    pub fn apply(
        &mut self,
        pin: u8,
        hz: u32,
        step: LedcStep,
        hw_duty: u32,
        any: Option<AnyPin<'static>>,
    ) -> BoardResult<()> {
        let t = step.timer as usize;
        let c = step.channel as usize;
        let (Some(timer), Some(shim), Some(number)) =
            (self.timers.get_mut(t), SHIMS.get(t), CHANNEL_NUMBERS.get(c))
        else {
            return Err(BoardError::Failed(alloc::format!(
                "PWM: no LEDC timer {t} or channel {c}"
            )));
        };
        if step.configure_timer {
            let duty = Duty::try_from(u32::from(step.bits)).map_err(|_| {
                BoardError::Failed(alloc::format!("PWM: no {}-bit LEDC resolution", step.bits))
            })?;
            timer
                .configure(timer::config::Config {
                    duty,
                    clock_source: LSClockSource::APBClk,
                    frequency: Rate::from_hz(hz),
                })
                .map_err(|e| {
                    BoardError::Failed(alloc::format!("PWM: LEDC timer at {hz} Hz: {e:?}"))
                })?;
            shim.bits.store(u32::from(step.bits), Ordering::Relaxed);
            shim.hz.store(hz, Ordering::Relaxed);
        }
        let slot = &mut self.channels[c];
        if let Some(any) = any {
            *slot = Some(self.ledc.channel(*number, any));
        }
        let Some(ch) = slot.as_mut() else {
            return Err(BoardError::Failed(alloc::format!(
                "PWM: GPIO{pin} has no LEDC channel"
            )));
        };
        if step.configure_channel || step.configure_timer {
            ch.configure(channel::config::Config {
                timer: shim,
                duty_pct: 0,
                drive_mode: DriveMode::PushPull,
            })
            .map_err(|e| BoardError::Failed(alloc::format!("PWM: LEDC channel {c}: {e:?}")))?;
        }
        ch.set_duty_hw(hw_duty);
        Ok(())
    }

    /// Stop PWM on `pin` (the caller parks the pin, which disconnects the LEDC from it).
    pub fn stop(&mut self, pin: u8) {
        if let Some(c) = self.plan.release(pin) {
            if let Some(ch) = self.channels.get_mut(c as usize).and_then(|c| c.take()) {
                ch.set_duty_hw(0);
            }
        }
    }
}
