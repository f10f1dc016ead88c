//! Analog inputs: ADC1 on GPIO0-GPIO4 (channel n on GPIO n), oneshot, 12 bits, 11 dB
//! attenuation (measures 0-2.5 V well; raw, not scaled to volts: 4095 is about 2.9 V and varies
//! by chip), with esp-hal's basic calibration (the zero offset from eFuse) where the chip has
//! it. A reading polls the
//! conversion a bounded number of times, so a conversion that never finishes is an error, not a
//! hang; after one, reads fail at once for a second (`pin_plan::ADC_STUCK_MS`) instead of
//! polling 5 ms each, so a script reading in a loop cannot spend seconds waiting.
//!
//! Must never: wait without a bound, or switch a pin to analog that
//! [`ChipPins`](super::pins::ChipPins) did not give it.

use esp_hal::analog::adc::{
    Adc as HalAdc, AdcCalBasic, AdcCalScheme, AdcConfig, AdcPin, Attenuation,
};
use esp_hal::efuse::{rtc_calib_init_code, AdcCalibUnit};
use esp_hal::peripherals::{ADC1, GPIO0, GPIO1, GPIO2, GPIO3, GPIO4};
use esp_hal::time::{Duration, Instant};
use esp_hal::Blocking;
use ferrite_runtime::board::{BoardError, BoardResult};

use super::pin_plan::{adc_value, backing_off, ADC_STUCK_MS};

/// Polls of an unfinished conversion before giving up (one takes a few microseconds).
const MAX_POLLS: u32 = 20_000;
/// And at most this long.
const MAX_WAIT: Duration = Duration::from_millis(5);
const ATTENUATION: Attenuation = Attenuation::_11dB;

type Calibrated = AdcCalBasic<ADC1<'static>>;

/// An ADC input: its pin switched to analog, with calibration scheme `C`.
enum Input<C> {
    G0(AdcPin<GPIO0<'static>, ADC1<'static>, C>),
    G1(AdcPin<GPIO1<'static>, ADC1<'static>, C>),
    G2(AdcPin<GPIO2<'static>, ADC1<'static>, C>),
    G3(AdcPin<GPIO3<'static>, ADC1<'static>, C>),
    G4(AdcPin<GPIO4<'static>, ADC1<'static>, C>),
}

/// An input with the chip's eFuse offset calibration, or raw on chips without one. (esp-hal's
/// fallback, measuring the offset, waits for the ADC without a bound, so it is never used.)
enum AnyInput {
    Calibrated(Input<Calibrated>),
    Raw(Input<()>),
}

/// ADC1 and the inputs scripts read.
pub struct ChipAdc {
    adc: HalAdc<'static, ADC1<'static>, Blocking>,
    inputs: [Option<AnyInput>; 5],
    /// The chip has the ADC's calibration in eFuse.
    calibrated: bool,
    /// A pin whose conversion timed out: esp-hal keeps that conversion running and answers
    /// "not yet" for every other channel until it is read, so the next reading finishes it.
    unfinished: Option<u8>,
    /// The input of that conversion if its pin went to another driver meanwhile: kept, because
    /// only a read on that channel ends esp-hal's wait for it.
    orphan: Option<AnyInput>,
    /// When a conversion last did not finish (ms since boot), until one does.
    timed_out_ms: Option<u64>,
}

fn now_ms() -> u64 {
    Instant::now().duration_since_epoch().as_millis()
}

/// Switch GPIO `pin` (0-4) to an analog input of `config` with calibration `C`.
fn enable<C: AdcCalScheme<ADC1<'static>>>(
    config: &mut AdcConfig<ADC1<'static>>,
    pin: u8,
) -> Option<Input<C>> {
    // SAFETY: `ChipPins` owns GPIO0-GPIO4 and gives a pin to the ADC only when no other driver
    // holds it (and at init, before any driver exists); the ADC then is its only user.
    Some(unsafe {
        match pin {
            0 => Input::G0(config.enable_pin_with_cal(GPIO0::steal(), ATTENUATION)),
            1 => Input::G1(config.enable_pin_with_cal(GPIO1::steal(), ATTENUATION)),
            2 => Input::G2(config.enable_pin_with_cal(GPIO2::steal(), ATTENUATION)),
            3 => Input::G3(config.enable_pin_with_cal(GPIO3::steal(), ATTENUATION)),
            4 => Input::G4(config.enable_pin_with_cal(GPIO4::steal(), ATTENUATION)),
            _ => return None,
        }
    })
}

/// One poll of the conversion on `input` (the first starts it); `None` while it runs. In a
/// critical section: starting a conversion writes the ADC's analog registers over the
/// chip's internal I2C bus (esp-hal's calibration and init code, read-modify-write), which
/// the radio's PHY code uses too; a preemption in between would corrupt a value. A poll
/// takes microseconds.
fn poll<C: AdcCalScheme<ADC1<'static>>>(
    adc: &mut HalAdc<'static, ADC1<'static>, Blocking>,
    input: &mut Input<C>,
) -> Option<u16> {
    // The only error esp-hal's oneshot read has is "not finished yet".
    critical_section::with(|_| match input {
        Input::G0(p) => adc.read_oneshot(p),
        Input::G1(p) => adc.read_oneshot(p),
        Input::G2(p) => adc.read_oneshot(p),
        Input::G3(p) => adc.read_oneshot(p),
        Input::G4(p) => adc.read_oneshot(p),
    })
    .ok()
}

/// One bounded conversion on `input`; `None` if it did not finish. The last poll comes after
/// the time is up, so a conversion that finished while this thread was preempted (the radio's
/// tasks run in between) is read, not taken for a stuck one.
fn convert<C: AdcCalScheme<ADC1<'static>>>(
    adc: &mut HalAdc<'static, ADC1<'static>, Blocking>,
    input: &mut Input<C>,
) -> Option<u16> {
    let start = Instant::now();
    for _ in 0..MAX_POLLS {
        if let Some(v) = poll(adc, input) {
            return Some(v);
        }
        if start.elapsed() > MAX_WAIT {
            break;
        }
    }
    poll(adc, input)
}

/// [`convert`] on either kind of input.
fn convert_any(
    adc: &mut HalAdc<'static, ADC1<'static>, Blocking>,
    input: &mut AnyInput,
) -> Option<u16> {
    match input {
        AnyInput::Calibrated(input) => convert(adc, input),
        AnyInput::Raw(input) => convert(adc, input),
    }
}

impl ChipAdc {
    /// Set ADC1 up with all five channels (esp-hal takes the channels' attenuations only here),
    /// which switches GPIO0-GPIO4 to floating analog inputs; the inputs are dropped again, and
    /// a pin becomes an input of the ADC when a script reads it.
    pub fn new(adc1: ADC1<'static>) -> ChipAdc {
        let mut config = AdcConfig::new();
        for pin in 0..5 {
            let _ = enable::<()>(&mut config, pin);
        }
        ChipAdc {
            adc: HalAdc::new(adc1, config),
            inputs: [const { None }; 5],
            calibrated: rtc_calib_init_code(AdcCalibUnit::ADC1, ATTENUATION).is_some(),
            unfinished: None,
            orphan: None,
            timed_out_ms: None,
        }
    }

    /// Make GPIO `pin` (0-4) an analog input.
    pub fn open(&mut self, pin: u8) -> BoardResult<()> {
        let mut config = AdcConfig::new();
        let input = if self.calibrated {
            enable(&mut config, pin).map(AnyInput::Calibrated)
        } else {
            enable(&mut config, pin).map(AnyInput::Raw)
        };
        match (self.inputs.get_mut(pin as usize), input) {
            (Some(slot), Some(input)) => {
                *slot = Some(input);
                Ok(())
            }
            _ => Err(BoardError::InvalidArgument(alloc::format!(
                "GPIO{pin} has no ADC channel: the ADC (ADC1) is on GPIO0-GPIO4"
            ))),
        }
    }

    /// Forget the input on `pin` (another driver takes the pin). If its conversion timed out,
    /// it is finished first, or its input kept for the next reading to finish.
    pub fn drop_pin(&mut self, pin: u8) {
        let Some(input) = self.inputs.get_mut(pin as usize).and_then(Option::take) else {
            return;
        };
        if self.unfinished == Some(pin) {
            let mut input = input;
            if convert_any(&mut self.adc, &mut input).is_some() {
                self.unfinished = None;
            } else {
                self.orphan = Some(input);
            }
        }
    }

    /// One bounded conversion on `pin`; `None` if it did not finish.
    fn convert(&mut self, pin: u8) -> Option<u16> {
        convert_any(&mut self.adc, self.inputs.get_mut(pin as usize)?.as_mut()?)
    }

    /// Finish the timed-out conversion on `stuck` (through its input, or the one kept when the
    /// pin went to another driver); whether it finished.
    fn finish(&mut self, stuck: u8) -> bool {
        let input = match self.inputs.get_mut(stuck as usize).and_then(Option::as_mut) {
            Some(input) => Some(input),
            None => self.orphan.as_mut(),
        };
        match input {
            Some(input) => convert_any(&mut self.adc, input).is_some(),
            // Cannot happen: a timed-out pin keeps an input until its conversion ends.
            None => true,
        }
    }

    /// The 12-bit reading of analog input `pin`.
    pub fn read(&mut self, pin: u8) -> BoardResult<u32> {
        if let Some(ago) = backing_off(self.timed_out_ms, now_ms(), ADC_STUCK_MS) {
            let on = self.unfinished.map_or(alloc::string::String::new(), |p| {
                alloc::format!(" on GPIO{p}")
            });
            return Err(BoardError::Failed(alloc::format!(
                "an ADC conversion{on} did not finish {ago} ms ago; ADC reads fail at once until \
                 {ADC_STUCK_MS} ms after that"
            )));
        }
        if let Some(stuck) = self.unfinished {
            // On the same pin, the conversion below finishes it.
            if stuck != pin && !self.finish(stuck) {
                self.timed_out_ms = Some(now_ms());
                return Err(BoardError::Failed(alloc::format!(
                    "the ADC is still busy with a conversion on GPIO{stuck} that did not finish"
                )));
            }
            self.unfinished = None;
            self.orphan = None;
        }
        match self.convert(pin) {
            Some(raw) => {
                self.timed_out_ms = None;
                Ok(adc_value(raw))
            }
            None => {
                self.unfinished = Some(pin);
                self.timed_out_ms = Some(now_ms());
                Err(BoardError::Failed(alloc::format!(
                    "the ADC conversion on GPIO{pin} did not finish within {} ms",
                    MAX_WAIT.as_millis()
                )))
            }
        }
    }
}
