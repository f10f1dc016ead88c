//! The pure decisions behind the ESP32-C3's pins, kept apart from esp-hal so that a host test
//! (`firmware/esp32c3/host-tests`) compiles this very file and checks them: which GPIOs scripts
//! may use and why the others are refused, which driver holds each pin and when another may take
//! it, the pins of the buses (the defaults, or the ones a script chose before the bus's first
//! use), the LEDC timer and duty resolution for a PWM frequency,
//! the ADC's raw readings, the coalescing of GPIO edges, and the checks of every number a
//! script hands the board (bus, address, length, baud).
//!
//! Must never: touch esp-hal or the runtime (only `core` and `alloc`), panic on any input, or
//! accept a number the hardware cannot honour.

use alloc::format;
use alloc::string::String;

/// GPIO numbers scripts see (as the runtime's `Gpio::pin_count`): GPIO0 … GPIO21, as on the
/// chip and on the simulated board. Only [`USABLE_PINS`] of them can be used.
pub const PIN_COUNT: u32 = 22;

/// GPIO0 … GPIO10: the pins scripts may use.
pub const USABLE_PINS: usize = 11;

/// The ADC's resolution (ADC1, oneshot, 12 bits).
pub const ADC_BITS: u8 = 12;
/// GPIOs with an ADC1 channel (GPIO n is channel n).
pub const ADC_PINS: core::ops::RangeInclusive<u8> = 0..=4;

/// I2C0 ("bus 0") by default: SDA and SCL. Neither is a strapping pin, an ADC pin or an LED.
/// A script may choose others (`new I2C({data, clock})`) before the bus's first use.
pub const I2C0_SDA: u8 = 5;
pub const I2C0_SCL: u8 = 6;
/// SPI2 ("bus 0"): SCK, MOSI, MISO (chip select is a GPIO the script drives).
pub const SPI2_SCK: u8 = 7;
pub const SPI2_MOSI: u8 = 10;
pub const SPI2_MISO: u8 = 4;
/// UART1 ("port 1"): TX and RX.
pub const UART1_TX: u8 = 0;
pub const UART1_RX: u8 = 1;

/// Longest I2C or SPI transfer the board takes at once (the runtime reads at most 4096 bytes).
pub const MAX_BUS_TRANSFER: usize = 4096;
/// UART1's baud rates.
pub const MIN_BAUD: u32 = 300;
pub const MAX_BAUD: u32 = 5_000_000;

/// Why a pin the chip has is not for scripts, or `None` if scripts may use it.
pub fn reserved_reason(pin: u32) -> Option<&'static str> {
    match pin {
        0..=10 => None,
        11 => Some("GPIO11 is VDD_SPI, the SPI flash's supply on most modules"),
        12..=17 => Some("GPIO12-GPIO17 are wired to the SPI flash inside the module"),
        18 | 19 => Some("GPIO18/GPIO19 are the USB-Serial-JTAG D-/D+ (one of the consoles)"),
        20 | 21 => Some("GPIO20/GPIO21 are UART0 RX/TX, the serial console"),
        _ => Some("the ESP32-C3 has GPIO0-GPIO21"),
    }
}

/// `pin` as an index into the usable pins, or why not.
pub fn usable_pin(pin: u32) -> Result<u8, String> {
    match reserved_reason(pin) {
        None => Ok(pin as u8),
        Some(why) => Err(format!(
            "GPIO{pin} cannot be used by scripts: {why} (scripts may use GPIO0-GPIO10)"
        )),
    }
}

/// A bus of the board and its pins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bus {
    I2c0,
    Spi2,
    Uart1,
}

impl Bus {
    /// The bus's pins unless a script chose others, and their signal names.
    pub fn default_pins(self) -> &'static [(u8, &'static str)] {
        match self {
            Bus::I2c0 => &[(I2C0_SDA, "SDA"), (I2C0_SCL, "SCL")],
            Bus::Spi2 => &[(SPI2_SCK, "SCK"), (SPI2_MOSI, "MOSI"), (SPI2_MISO, "MISO")],
            Bus::Uart1 => &[(UART1_TX, "TX"), (UART1_RX, "RX")],
        }
    }

    fn index(self) -> usize {
        match self {
            Bus::I2c0 => 0,
            Bus::Spi2 => 1,
            Bus::Uart1 => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Bus::I2c0 => "I2C bus 0",
            Bus::Spi2 => "SPI bus 0",
            Bus::Uart1 => "UART1 (Serial port 1)",
        }
    }
}

/// Who holds a pin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A plain GPIO; `edges`: its edge interrupt is on (a script listens to it).
    Gpio { edges: bool },
    /// An ADC input.
    Adc,
    /// A PWM (LEDC) output.
    Pwm,
    /// A bus, from its first use until restart (the board traits have no way to close one).
    Bus(Bus),
}

impl Owner {
    /// What holds `pin`; `signal` names the pin's signal when a bus holds it.
    fn describe(self, pin: u8, signal: &str) -> String {
        match self {
            Owner::Gpio { edges: true } => format!(
                "GPIO{pin} is a digital input with an edge interrupt a script listens to \
                 (remove the listener first)"
            ),
            Owner::Gpio { edges: false } => format!("GPIO{pin} is a digital pin"),
            Owner::Adc => format!("GPIO{pin} is an analog input"),
            Owner::Pwm => format!("GPIO{pin} is a PWM output (close or stop it first)"),
            Owner::Bus(b) => format!(
                "GPIO{pin} is the {signal} of {}, which holds it from its first use until \
                 restart",
                b.name()
            ),
        }
    }

    /// Is this holder given up silently when another wants the pin? A plain GPIO and an ADC
    /// input are: the runtime never says when a script is done with them (no `release` in the
    /// board traits), so holding them would lock the pin until restart.
    fn yields(self) -> bool {
        matches!(self, Owner::Gpio { edges: false } | Owner::Adc)
    }

    fn same_kind(self, other: Owner) -> bool {
        match (self, other) {
            (Owner::Gpio { .. }, Owner::Gpio { .. }) => true,
            (a, b) => a == b,
        }
    }
}

/// What taking a pin means for its previous holder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Take {
    /// Nobody held it.
    Free,
    /// The same kind of holder already has it (nothing to set up again).
    Same,
    /// This holder must be switched off first (drop its driver).
    Replace(Owner),
}

/// Who holds each usable pin, and the pins each bus uses.
#[derive(Clone, Debug, Default)]
pub struct PinTable {
    owners: [Option<Owner>; USABLE_PINS],
    /// The pins a script chose for each bus ([`Bus::default_pins`]' order), if it did.
    chosen: [Option<[u8; 3]>; 3],
}

impl PinTable {
    pub fn new() -> PinTable {
        PinTable::default()
    }

    pub fn owner(&self, pin: u8) -> Option<Owner> {
        self.owners.get(pin as usize).copied().flatten()
    }

    /// May `want` take `pin` (a usable pin)? What it replaces, or why not.
    pub fn check(&self, pin: u8, want: Owner) -> Result<Take, String> {
        if pin as usize >= USABLE_PINS {
            return usable_pin(pin as u32).map(|_| Take::Free);
        }
        if want == Owner::Adc && !ADC_PINS.contains(&pin) {
            return Err(format!(
                "GPIO{pin} has no ADC channel: the ADC (ADC1) is on GPIO0-GPIO4"
            ));
        }
        match self.owner(pin) {
            None => Ok(Take::Free),
            Some(have) if have.same_kind(want) => Ok(Take::Same),
            Some(have) if have.yields() => Ok(Take::Replace(have)),
            Some(have) => Err(have.describe(pin, self.signal_of(pin, have))),
        }
    }

    /// The signal `pin` carries for `owner` ("a pin" when it is not a bus's).
    fn signal_of(&self, pin: u8, owner: Owner) -> &'static str {
        let Owner::Bus(bus) = owner else {
            return "a pin";
        };
        self.bus_pins(bus)
            .into_iter()
            .find(|(p, _)| *p == pin)
            .map_or("a pin", |(_, s)| s)
    }

    /// `bus`'s pins and their signal names: the ones a script chose, else the defaults.
    pub fn bus_pins(&self, bus: Bus) -> alloc::vec::Vec<(u8, &'static str)> {
        let defaults = bus.default_pins();
        match self.chosen[bus.index()] {
            Some(pins) => pins
                .iter()
                .zip(defaults)
                .map(|(p, (_, signal))| (*p, *signal))
                .collect(),
            None => defaults.to_vec(),
        }
    }

    /// `bus`'s pins for a message: "SDA GPIO5, SCL GPIO6".
    pub fn describe_bus_pins(&self, bus: Bus) -> String {
        let parts: alloc::vec::Vec<String> = self
            .bus_pins(bus)
            .iter()
            .map(|(p, signal)| format!("{signal} GPIO{p}"))
            .collect();
        parts.join(", ")
    }

    /// Does `bus` hold its pins (it was used)?
    pub fn holds(&self, bus: Bus) -> bool {
        self.owners.contains(&Some(Owner::Bus(bus)))
    }

    /// A script chose `pins` (GPIO numbers, in [`Bus::default_pins`]' order) for `bus`: they are
    /// the ones its first use takes. Refused, with nothing changed, when a pin is not usable,
    /// named twice or held by something that does not give it up, or when the bus already
    /// holds other pins (a bus keeps its pins from its first use until restart).
    pub fn choose_bus_pins(&mut self, bus: Bus, pins: &[u32]) -> Result<(), String> {
        let signals = bus.default_pins();
        if pins.len() != signals.len() {
            return Err(format!(
                "{} has {} pins, {} were given",
                bus.name(),
                signals.len(),
                pins.len()
            ));
        }
        let mut chosen = [u8::MAX; 3];
        for (i, (pin, (_, signal))) in pins.iter().zip(signals).enumerate() {
            let p = usable_pin(*pin).map_err(|why| format!("{} {signal}: {why}", bus.name()))?;
            if let Some(((_, other), _)) = signals[..i].iter().zip(&chosen).find(|(_, c)| **c == p)
            {
                return Err(format!(
                    "{}: {other} and {signal} cannot both be GPIO{p}",
                    bus.name()
                ));
            }
            chosen[i] = p;
        }
        let same = self
            .bus_pins(bus)
            .iter()
            .zip(&chosen)
            .all(|((p, _), c)| p == c);
        if same {
            return Ok(());
        }
        if self.holds(bus) {
            return Err(format!(
                "{} already uses {} (a bus keeps its pins from its first use until restart)",
                bus.name(),
                self.describe_bus_pins(bus)
            ));
        }
        for (p, (_, signal)) in chosen.iter().zip(signals) {
            self.check(*p, Owner::Bus(bus))
                .map_err(|why| format!("{} {signal} on GPIO{p}: {why}", bus.name()))?;
        }
        self.chosen[bus.index()] = Some(chosen);
        Ok(())
    }

    /// Record that `owner` holds `pin` (after [`PinTable::check`] allowed it).
    pub fn set(&mut self, pin: u8, owner: Owner) {
        if let Some(slot) = self.owners.get_mut(pin as usize) {
            *slot = Some(owner);
        }
    }

    /// Nobody holds `pin` any more.
    pub fn release(&mut self, pin: u8) {
        if let Some(slot) = self.owners.get_mut(pin as usize) {
            *slot = None;
        }
    }

    /// May `bus` take all its pins? For each, what it replaces; or why not (then none is taken).
    pub fn check_bus(&self, bus: Bus) -> Result<[(u8, Take); 3], String> {
        let mut out = [(u8::MAX, Take::Same); 3];
        for (i, (pin, _)) in self.bus_pins(bus).iter().enumerate() {
            let take = self
                .check(*pin, Owner::Bus(bus))
                .map_err(|why| format!("{} needs GPIO{pin}: {why}", bus.name()))?;
            if let Some(slot) = out.get_mut(i) {
                *slot = (*pin, take);
            }
        }
        Ok(out)
    }
}

/// The bus number scripts give for the board's only I2C or SPI bus.
pub fn check_bus_number(bus: u32, what: &str, pins: &str) -> Result<(), String> {
    if bus == 0 {
        Ok(())
    } else {
        Err(format!(
            "{what} bus {bus} does not exist: this board has one, bus 0 ({pins})"
        ))
    }
}

/// An I2C address and transfer length from a script.
pub fn check_i2c(addr: u8, len: usize) -> Result<(), String> {
    if addr > 0x7F {
        return Err(format!(
            "I2C address 0x{addr:02x} is not a 7-bit address (0x00-0x7f)"
        ));
    }
    check_length(len, "I2C")
}

/// A transfer length from a script.
pub fn check_length(len: usize, what: &str) -> Result<(), String> {
    if len > MAX_BUS_TRANSFER {
        Err(format!(
            "{what} transfer of {len} bytes: at most {MAX_BUS_TRANSFER} bytes at once"
        ))
    } else {
        Ok(())
    }
}

/// A UART port and baud rate from a script: only port 1 (UART1) is for scripts.
pub fn check_uart(port: u32, baud: Option<u32>) -> Result<(), String> {
    match port {
        1 => {}
        0 => {
            return Err(
                "UART0 is the serial console (GPIO20/GPIO21); scripts have port 1 (UART1)".into(),
            )
        }
        _ => {
            return Err(format!(
                "UART {port} does not exist: the ESP32-C3 has UART0 (the console) and UART1 \
                 (port 1)"
            ))
        }
    }
    match baud {
        Some(b) if !(MIN_BAUD..=MAX_BAUD).contains(&b) => {
            Err(format!("{b} baud: UART1 does {MIN_BAUD}-{MAX_BAUD} baud"))
        }
        _ => Ok(()),
    }
}

/// How many bytes of a `len`-byte write a transmit queue of `capacity` bytes holding `queued`
/// takes: all of them if they fit, none if not (a TC53 `Serial.write` is all or nothing, and a
/// script told "nothing written" can simply try again). Only a write longer than the whole
/// queue, which could never fit, takes what fits.
pub fn uart_write_take(len: usize, queued: usize, capacity: usize) -> usize {
    let free = capacity.saturating_sub(queued);
    if len <= free {
        len
    } else if len > capacity {
        free
    } else {
        0
    }
}

/// An ADC reading (esp-hal's oneshot value) as the runtime's 12-bit value.
pub fn adc_value(raw: u16) -> u32 {
    u32::from(raw).min((1 << ADC_BITS) - 1)
}

// ---- PWM (LEDC) ----

/// The duty resolution scripts see: `Pwm::resolution_bits`.
pub const PWM_BITS: u8 = 10;
/// The widest duty resolution used. The ESP32-C3's LEDC has 14 bits, but at 14 bits a duty of
/// 2^14 (always on) cannot be set, a hardware bug Espressif documents (ESP-IDF's LEDC guide:
/// "100% duty cycle is not reachable" at the maximum resolution); at 13 bits it can.
pub const LEDC_MAX_BITS: u8 = 13;
/// The LEDC's clock (APB).
pub const LEDC_CLOCK_HZ: u64 = 80_000_000;
/// LEDC low-speed timers and channels on the ESP32-C3.
pub const LEDC_TIMERS: usize = 4;
pub const LEDC_CHANNELS: usize = 6;
/// The divisor's range as esp-hal checks it (8 fractional bits: 1.0 … 1023.996).
const DIVISOR_MIN: u64 = 256;
const DIVISOR_MAX: u64 = 0x3FFFF;

/// The LEDC divisor esp-hal computes for `hz` at `bits`, if in range.
fn divisor(hz: u32, bits: u8) -> Option<u64> {
    if hz == 0 {
        return None;
    }
    let d = (LEDC_CLOCK_HZ << 8) / u64::from(hz) / (1u64 << bits);
    (DIVISOR_MIN..=DIVISOR_MAX).contains(&d).then_some(d)
}

/// The lowest and highest frequency PWM takes: at least [`PWM_BITS`] of real resolution.
pub fn pwm_hz_range() -> (u32, u32) {
    // hz * 2^bits must be within [clock*256/DIVISOR_MAX, clock*256/DIVISOR_MIN].
    let lo = ((LEDC_CLOCK_HZ << 8) / DIVISOR_MAX / (1u64 << LEDC_MAX_BITS)) as u32;
    let lo = (lo..lo + 2).find(|h| divisor(*h, LEDC_MAX_BITS).is_some());
    let hi = (LEDC_CLOCK_HZ / (1u64 << PWM_BITS)) as u32;
    (lo.unwrap_or(u32::MAX), hi)
}

/// The timer's duty resolution for `hz`: the widest the LEDC can run at that frequency, never
/// below [`PWM_BITS`] (the resolution reported to scripts stays true), or why `hz` is refused.
pub fn ledc_bits(hz: u32) -> Result<u8, String> {
    (PWM_BITS..=LEDC_MAX_BITS)
        .rev()
        .find(|b| divisor(hz, *b).is_some())
        .ok_or_else(|| {
            let (lo, hi) = pwm_hz_range();
            format!("PWM frequency {hz} Hz: this board does {lo}-{hi} Hz (at {PWM_BITS} bits)")
        })
}

/// A script's duty (`0 ..= 2^PWM_BITS-1`, the top meaning always on) as the LEDC's duty at
/// `hw_bits` (`0 ..= 2^hw_bits`, the top meaning always on), or why not.
pub fn ledc_duty(duty: u32, hw_bits: u8) -> Result<u32, String> {
    let max = (1u32 << PWM_BITS) - 1;
    if duty > max {
        return Err(format!("PWM duty {duty}: the duty is 0-{max}"));
    }
    let full = 1u64 << hw_bits;
    Ok(((u64::from(duty) * full + u64::from(max) / 2) / u64::from(max)) as u32)
}

/// What the LEDC must do for `Pwm::set`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedcStep {
    pub channel: u8,
    pub timer: u8,
    /// The timer must be (re)configured for `hz` at `bits` before use.
    pub configure_timer: bool,
    /// The channel is new on this pin, or moves to another timer: (re)configure it.
    pub configure_channel: bool,
    pub bits: u8,
}

/// Which LEDC channel drives which pin and which timer runs at which frequency.
#[derive(Clone, Debug, Default)]
pub struct LedcPlan {
    /// Per channel: (pin, timer).
    channels: [Option<(u8, u8)>; LEDC_CHANNELS],
    /// Per timer: (hz, bits) while a channel uses it.
    timers: [Option<(u32, u8)>; LEDC_TIMERS],
}

impl LedcPlan {
    pub fn new() -> LedcPlan {
        LedcPlan::default()
    }

    pub fn channel_of(&self, pin: u8) -> Option<u8> {
        self.channels
            .iter()
            .position(|c| matches!(c, Some((p, _)) if *p == pin))
            .map(|i| i as u8)
    }

    fn users(&self, timer: u8) -> usize {
        self.channels
            .iter()
            .filter(|c| matches!(c, Some((_, t)) if *t == timer))
            .count()
    }

    fn free_unused_timers(&mut self) {
        for t in 0..LEDC_TIMERS {
            if self.users(t as u8) == 0 {
                self.timers[t] = None;
            }
        }
    }

    /// Plan PWM at `hz` on `pin`: the channel and timer to use and what to configure, or why
    /// not (nothing changes then).
    pub fn assign(&mut self, pin: u8, hz: u32) -> Result<LedcStep, String> {
        let bits = ledc_bits(hz)?;
        let current = self.channel_of(pin);
        let channel = match current {
            Some(c) => c,
            None => match self.channels.iter().position(|c| c.is_none()) {
                Some(c) => c as u8,
                None => {
                    return Err(format!(
                        "all {LEDC_CHANNELS} PWM channels are in use (close a PWM first)"
                    ))
                }
            },
        };
        let old_timer = current.and_then(|c| self.channels[c as usize].map(|(_, t)| t));
        // Same frequency as now: nothing to change.
        if let Some(t) = old_timer {
            if self.timers[t as usize] == Some((hz, bits)) {
                return Ok(LedcStep {
                    channel,
                    timer: t,
                    configure_timer: false,
                    configure_channel: false,
                    bits,
                });
            }
        }
        // Another timer already at this frequency: share it.
        let shared = self
            .timers
            .iter()
            .position(|t| *t == Some((hz, bits)))
            .map(|t| t as u8);
        let (timer, configure_timer) = match shared {
            Some(t) => (t, false),
            None => {
                // This channel's own timer when nobody else uses it, else a free one.
                let own = old_timer.filter(|t| self.users(*t) == 1);
                let free = || {
                    self.timers
                        .iter()
                        .position(|t| t.is_none())
                        .map(|t| t as u8)
                };
                match own.or_else(free) {
                    Some(t) => (t, true),
                    None => {
                        let used: alloc::vec::Vec<String> = self
                            .timers
                            .iter()
                            .flatten()
                            .map(|(h, _)| format!("{h} Hz"))
                            .collect();
                        return Err(format!(
                            "PWM at {hz} Hz needs a timer, and all {LEDC_TIMERS} PWM timers run \
                             at other frequencies ({}): use one of those or close a PWM",
                            used.join(", ")
                        ));
                    }
                }
            }
        };
        self.channels[channel as usize] = Some((pin, timer));
        self.timers[timer as usize] = Some((hz, bits));
        self.free_unused_timers();
        Ok(LedcStep {
            channel,
            timer,
            configure_timer,
            configure_channel: old_timer != Some(timer),
            bits,
        })
    }

    /// Stop PWM on `pin`: the channel it had, if any.
    pub fn release(&mut self, pin: u8) -> Option<u8> {
        let c = self.channel_of(pin)?;
        self.channels[c as usize] = None;
        self.free_unused_timers();
        Some(c)
    }
}

// ---- GPIO edges ----

/// The edges a pin's interrupt watches (the runtime's `Edge` without `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sense {
    Rising,
    Falling,
    Any,
}

/// The events to report for a pin whose interrupt fired `fired` times since the last report
/// (wrapping counter difference), the last with the level `last` read by the interrupt handler:
/// at most two, in order, each the level after its edge. `fired` counts the handler's runs, not
/// edges (edges microseconds apart, a bouncing contact's, set the status once), so for both
/// edges it is compared with `reported`, the level last reported: a different level is one
/// change (`[last]`, its bounces left out), the same level a pulse shorter than a loop round (a
/// press and a release: `[!last, last]`).
pub fn edge_events(fired: u32, last: bool, reported: bool, sense: Sense) -> ([bool; 2], usize) {
    match (fired, sense) {
        (0, _) => ([false; 2], 0),
        (_, Sense::Any) if last != reported => ([last, false], 1),
        (_, Sense::Any) => ([!last, last], 2),
        (1, Sense::Rising) => ([true, false], 1),
        (_, Sense::Rising) => ([true, true], 2),
        (1, Sense::Falling) => ([false, false], 1),
        (_, Sense::Falling) => ([false, false], 2),
    }
}

/// The event to report when a pin's interrupt resumes after a storm pause (its edges in the
/// pause were not counted): when the pad's level `pad` differs from `last`, the level last
/// reported, one event with it if `sense` watches that edge; else none. So a signal that
/// settled during the pause is still reported at its final level.
pub fn resume_event(last: bool, pad: bool, sense: Sense) -> Option<bool> {
    if pad == last {
        return None;
    }
    match sense {
        Sense::Any => Some(pad),
        Sense::Rising => pad.then_some(true),
        Sense::Falling => (!pad).then_some(false),
    }
}

// ---- Failing fast after a timeout ----

/// Whether a driver whose operation timed out at `timed_out_ms` (ms since boot, if it did)
/// still fails at once at `now_ms`, for `window_ms` after the timeout: how long ago it was, if
/// so. A driver that waits out a timeout on every call would let a script's loop of calls
/// spend seconds in one slice (the watchdog is fed between slices).
pub fn backing_off(timed_out_ms: Option<u64>, now_ms: u64, window_ms: u64) -> Option<u64> {
    let ago = now_ms.saturating_sub(timed_out_ms?);
    (ago < window_ms).then_some(ago)
}

/// After an ADC conversion did not finish, reads fail at once for this long.
pub const ADC_STUCK_MS: u64 = 1_000;

// ---- I2C ----

/// I2C bus 0's clock unless a script chose another (TC53's `hz`).
pub const I2C_HZ: u32 = 100_000;
/// The clocks a script may choose: up to the controller's 800 kHz, and at least one at which
/// the longest call's time limit (about 3 s) stays well inside the 5 s watchdog.
pub const I2C_MIN_HZ: u32 = 50_000;
pub const I2C_MAX_HZ: u32 = 800_000;

/// An I2C clock from a script.
pub fn check_i2c_hz(hz: u32) -> Result<(), String> {
    if (I2C_MIN_HZ..=I2C_MAX_HZ).contains(&hz) {
        Ok(())
    } else {
        Err(format!(
            "I2C at {hz} Hz: I2C bus 0 runs at {I2C_MIN_HZ}-{I2C_MAX_HZ} Hz"
        ))
    }
}
/// The fixed part of an I2C call's time limit (start, stop, a little clock stretching).
const I2C_TIMEOUT_BASE_US: u64 = 20_000;
/// I2C time limits are whole multiples of this, so that calls of similar lengths share one
/// controller configuration (changing it resets the controller).
pub const I2C_TIMEOUT_STEP_MS: u64 = 50;
/// After an I2C call timed out, further calls fail at once for this long.
pub const I2C_STUCK_MS: u64 = 1_000;

/// The time limit of one I2C call (a write, a read, or a write then read) moving `bytes` data
/// bytes in all at `hz`: the fixed part plus twice the time the bytes and the address bytes take
/// on the wire (9 clocks a byte), rounded up to [`I2C_TIMEOUT_STEP_MS`]. The longest legal call
/// (4096 bytes written and 4096 read) gets 1.5 s at 100 kHz, 3 s at [`I2C_MIN_HZ`].
pub fn i2c_timeout_ms(bytes: usize, hz: u32) -> u64 {
    let wire_bytes = (bytes as u64).saturating_add(2);
    let wire_us = wire_bytes.saturating_mul(9 * 1_000_000) / u64::from(hz.max(1));
    let us = I2C_TIMEOUT_BASE_US.saturating_add(wire_us.saturating_mul(2));
    let ms = us.div_ceil(1_000);
    ms.div_ceil(I2C_TIMEOUT_STEP_MS)
        .saturating_mul(I2C_TIMEOUT_STEP_MS)
}

/// The error of an I2C call to `addr` that ran out of time.
pub fn i2c_timeout_message(addr: u8) -> String {
    format!(
        "I2C bus 0 timed out talking to 0x{addr:02x} (a device holding SDA or SCL low? missing \
         pull-ups?)"
    )
}

/// Whether I2C bus 0 is taken to be stuck: after a call timed out, calls fail at once for
/// [`I2C_STUCK_MS`] with the timeout's error instead of waiting out their time limit again, so
/// that a script calling in a loop spends its time in the script, not in timeouts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct I2cStuck {
    /// When the last call timed out (ms since boot) and the address it talked to.
    timed_out: Option<(u64, u8)>,
}

impl I2cStuck {
    pub fn new() -> I2cStuck {
        I2cStuck::default()
    }

    /// Before a call at `now_ms`: the error it fails with at once, if the bus is taken to be
    /// stuck.
    pub fn check(&self, now_ms: u64) -> Result<(), String> {
        let Some((at, addr)) = self.timed_out else {
            return Ok(());
        };
        let Some(ago) = backing_off(Some(at), now_ms, I2C_STUCK_MS) else {
            return Ok(());
        };
        Err(format!(
            "{} {ago} ms ago; I2C calls fail at once until {I2C_STUCK_MS} ms after a timeout",
            i2c_timeout_message(addr)
        ))
    }

    /// After a call to `addr` that ended at `now_ms`: `timed_out` if it ran out of time. Any
    /// other end (success, or a device that did not answer) means the bus moves again.
    pub fn record(&mut self, now_ms: u64, addr: u8, timed_out: bool) {
        self.timed_out = timed_out.then_some((now_ms, addr));
    }
}
