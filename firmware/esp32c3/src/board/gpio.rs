//! Digital pins: an esp-hal `Flex` per pin a script uses as a GPIO, made at runtime from the pin
//! number, and edge interrupts. The GPIO interrupt handler ([`on_gpio_interrupt`]) only counts
//! the edges of armed pins and notes the level after them, in atomics it alone writes;
//! [`ChipGpio::collect_edges`], called from `Board::poll_event`, turns new counts into
//! `GpioEdge` events (at most two per pin and poll: see `pin_plan::edge_events`). A pin that
//! fires [`STORM_EDGES`] times between two polls has its interrupt paused by the handler until
//! the next poll, so no signal can keep the CPU in the handler; when it resumes, a level the
//! signal settled at during the pause is reported (`pin_plan::resume_event`). What scripts last
//! set on a pin (mode, pull, output level) is remembered, so a pin another driver borrowed
//! comes back as it was.
//!
//! Must never: call the runtime or allocate from the interrupt handler, leave a pin's interrupt
//! enabled that the handler does not clear (it would fire forever), or touch a pin that
//! [`ChipPins`](super::pins::ChipPins) did not give it.

use alloc::collections::VecDeque;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use esp_hal::gpio::{
    AnyPin, DriveMode, Event, Flex, InputConfig, Io, Level, OutputConfig, Pull as HalPull,
};
use esp_hal::handler;
use esp_hal::peripherals::{GPIO, IO_MUX};
use ferrite_runtime::board::{BoardError, BoardEvent, BoardResult, Edge, PinMode, Pull};

use super::pin_plan::{edge_events, resume_event, Sense, USABLE_PINS};

/// Reads of a pin's level, when its interrupt is switched on, that take back an interrupt
/// pending from an edge the read saw ([`listen_and_settle`]).
const RESUME_READS: usize = 3;
/// Pins whose interrupt is on (bit n: GPIO n). Written by the main loop only: set before a
/// pin's interrupt is enabled, cleared after it is disabled.
static ARMED: AtomicU32 = AtomicU32::new(0);
/// Edges seen per pin (wrapping). Written by the interrupt handler only.
static FIRED: [AtomicU32; USABLE_PINS] = [const { AtomicU32::new(0) }; USABLE_PINS];
/// The level of each pin right after its last edge (bit n: GPIO n). Written by the handler only.
static LEVELS: AtomicU32 = AtomicU32::new(0);
/// `FIRED` of each pin when its edges were last collected. Written by the main loop only.
static COLLECTED: [AtomicU32; USABLE_PINS] = [const { AtomicU32::new(0) }; USABLE_PINS];
/// Pins whose interrupt the handler switched off because they fired [`STORM_EDGES`] times
/// between two collections. Set by the handler (only while the pin's interrupt is on), cleared
/// by the main loop (only while it is off), which then switches the interrupt on again.
static STORMED: [AtomicBool; USABLE_PINS] = [const { AtomicBool::new(false) }; USABLE_PINS];
/// Edges of one pin between two collections beyond which its interrupt pauses until the next:
/// a pin toggling at a high rate must not keep the CPU in the handler (the watchdog would bite).
const STORM_EDGES: u32 = 64;

/// The GPIO interrupt: clear the status of every pending pin (so that none fires again for the
/// same edge), then count the edges of armed pins and note their levels.
#[handler]
fn on_gpio_interrupt() {
    let regs = GPIO::regs();
    let pending = regs.pcpu_int().read().bits();
    // SAFETY: write-1-to-clear of interrupt status bits; only pending bits are written.
    regs.status_w1tc().write(|w| unsafe { w.bits(pending) });
    // The levels after the clear: an edge from now on sets the status again (and fires again),
    // so the level read here is never older than the last edge whose status was cleared.
    let levels = regs.in_().read().bits();
    let armed = pending & ARMED.load(Ordering::Relaxed);
    if armed == 0 {
        return;
    }
    // The handler is the only writer of FIRED and LEVELS (load + store is no race here).
    let old = LEVELS.load(Ordering::Relaxed);
    LEVELS.store((old & !armed) | (levels & armed), Ordering::Relaxed);
    for (pin, count) in FIRED.iter().enumerate() {
        if armed & (1 << pin) == 0 {
            continue;
        }
        let now = count.load(Ordering::Relaxed).wrapping_add(1);
        count.store(now, Ordering::Release);
        let since = now.wrapping_sub(COLLECTED[pin].load(Ordering::Relaxed));
        if since >= STORM_EDGES {
            // SAFETY: clears the interrupt enable of this pin only; the handler runs inside
            // esp-hal's GPIO lock, as every other change of this register does.
            regs.pin(pin).modify(|_, w| unsafe { w.int_ena().bits(0) });
            STORMED[pin].store(true, Ordering::Relaxed);
        }
    }
}

/// One GPIO a script uses.
struct DigitalPin {
    flex: Flex<'static>,
    /// The edges its interrupt watches, if on, and esp-hal's event for them.
    sense: Option<(Sense, Event)>,
    /// `FIRED` of this pin when its edges were last collected.
    seen: u32,
    /// The level last reported (at arming: the pad's), which the next edges are compared with
    /// (`pin_plan::edge_events`).
    reported: bool,
}

/// What scripts last set on a digital pin: kept while another driver borrows the pin (an ADC
/// read, PWM, a bus) and set again when the pin becomes a GPIO again, as the simulator keeps a
/// pin's mode, pull and output level whatever else uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Setting {
    mode: PinMode,
    pull: Pull,
    /// The output latch.
    high: bool,
}

impl Setting {
    /// A pin no script set anything on: a floating input, latch low.
    const RESET: Setting = Setting {
        mode: PinMode::Input,
        pull: Pull::None,
        high: false,
    };
}

/// The GPIOs scripts use (the pin table in `pins` says which).
pub struct ChipGpio {
    pins: [Option<DigitalPin>; USABLE_PINS],
    /// Per pin, what scripts last set on it (outside `pins`: it survives
    /// [`ChipGpio::drop_pin`]).
    settings: [Setting; USABLE_PINS],
    /// Holds the IO_MUX, whose interrupt handler this driver installed.
    _io: Io<'static>,
}

impl ChipGpio {
    pub fn new(io_mux: IO_MUX<'static>) -> ChipGpio {
        let mut io = Io::new(io_mux);
        io.set_interrupt_handler(on_gpio_interrupt);
        ChipGpio {
            pins: [const { None }; USABLE_PINS],
            settings: [Setting::RESET; USABLE_PINS],
            _io: io,
        }
    }

    /// Make `any` (GPIO `pin`) a digital pin with the mode, pull and output level scripts last
    /// set on it (a floating input, latch low, if none): a pin another driver borrowed goes on
    /// driving what it drove before.
    pub fn open(&mut self, pin: u8, any: AnyPin<'static>) {
        let setting = self
            .settings
            .get(pin as usize)
            .copied()
            .unwrap_or(Setting::RESET);
        let mut flex = Flex::new(any);
        // The latch first, so that an output starts at its level without a glitch.
        flex.set_level(Level::from(setting.high));
        configure(&mut flex, setting.mode, setting.pull);
        if let Some(slot) = self.pins.get_mut(pin as usize) {
            *slot = Some(DigitalPin {
                flex,
                sense: None,
                seen: 0,
                reported: false,
            });
        }
    }

    fn get(&mut self, pin: u8) -> BoardResult<&mut DigitalPin> {
        self.pins
            .get_mut(pin as usize)
            .and_then(|p| p.as_mut())
            .ok_or_else(|| BoardError::Failed(alloc::format!("GPIO{pin} is not open")))
    }

    /// Drop the driver of `pin` (its interrupt off first).
    pub fn drop_pin(&mut self, pin: u8) {
        self.disarm(pin);
        if let Some(slot) = self.pins.get_mut(pin as usize) {
            *slot = None;
        }
    }

    pub fn set_mode(&mut self, pin: u8, mode: PinMode, pull: Pull) {
        let Ok(p) = self.get(pin) else {
            return;
        };
        configure(&mut p.flex, mode, pull);
        if let Some(s) = self.settings.get_mut(pin as usize) {
            s.mode = mode;
            s.pull = pull;
        }
    }

    pub fn read(&mut self, pin: u8) -> BoardResult<bool> {
        Ok(self.get(pin)?.flex.is_high())
    }

    /// Set the output latch (it drives the pad only in an output mode, as on the simulator).
    pub fn write(&mut self, pin: u8, level: bool) -> BoardResult<()> {
        self.get(pin)?.flex.set_level(Level::from(level));
        if let Some(s) = self.settings.get_mut(pin as usize) {
            s.high = level;
        }
        Ok(())
    }

    /// Turn the interrupt of `pin` on for `edge` (not `Edge::None`).
    pub fn arm(&mut self, pin: u8, edge: Edge) -> BoardResult<()> {
        let (sense, event) = match edge {
            Edge::Rising => (Sense::Rising, Event::RisingEdge),
            Edge::Falling => (Sense::Falling, Event::FallingEdge),
            Edge::Any => (Sense::Any, Event::AnyEdge),
            Edge::None => {
                self.disarm(pin);
                return Ok(());
            }
        };
        let p = self.get(pin)?;
        let changed = p.sense.map(|(s, _)| s) != Some(sense);
        p.sense = Some((sense, event));
        ARMED.store(
            ARMED.load(Ordering::Relaxed) | (1 << pin),
            Ordering::Relaxed,
        );
        if changed {
            // Edges from before arming (or under another edge kind) are not reported; the
            // level now is the one the next edges are compared with.
            listen_and_settle(p, pin, event);
        } else {
            p.flex.listen(event);
        }
        Ok(())
    }

    /// Turn the interrupt of `pin` off.
    pub fn disarm(&mut self, pin: u8) {
        if let Ok(p) = self.get(pin) {
            p.flex.unlisten();
            p.flex.clear_interrupt();
            p.sense = None;
        }
        if let Some(stormed) = STORMED.get(pin as usize) {
            stormed.store(false, Ordering::Relaxed);
        }
        ARMED.store(
            ARMED.load(Ordering::Relaxed) & !(1u32 << pin),
            Ordering::Relaxed,
        );
    }

    /// Queue `GpioEdge` events for the edges the interrupt handler counted since last time.
    pub fn collect_edges(&mut self, events: &mut VecDeque<BoardEvent>) {
        for (pin, slot) in self.pins.iter_mut().enumerate() {
            let Some(p) = slot else { continue };
            let Some((sense, event)) = p.sense else {
                continue;
            };
            // Count and level as one snapshot: with the interrupt held off between the two
            // loads, the level is the one after exactly the edges counted (were it newer, the
            // next round would report a later edge with the same level twice).
            let (now, levels) =
                critical_section::with(|_| (fired(pin as u8), LEVELS.load(Ordering::Relaxed)));
            let last = levels & (1 << pin) != 0;
            let (seen, n) = edge_events(now.wrapping_sub(p.seen), last, p.reported, sense);
            p.seen = now;
            if n > 0 {
                p.reported = last;
            }
            mark_collected(pin as u8, now);
            for level in seen.iter().take(n) {
                events.push_back(BoardEvent::GpioEdge {
                    pin: pin as u32,
                    level: *level,
                });
            }
            if STORMED.get(pin).is_some_and(|s| s.load(Ordering::Relaxed)) {
                // The handler paused this pin's interrupt (it cannot fire now): resume it, and
                // read the pad before any new edge can be handled, so that a level the signal
                // settled at during the pause is reported before the edges after it.
                if let Some(stormed) = STORMED.get(pin) {
                    stormed.store(false, Ordering::Relaxed);
                }
                let reported = p.reported;
                let pad = listen_and_settle(p, pin as u8, event);
                if let Some(level) = resume_event(reported, pad, sense) {
                    events.push_back(BoardEvent::GpioEdge {
                        pin: pin as u32,
                        level,
                    });
                }
            }
        }
    }
}

/// Set `flex` up as a digital pin in `mode` with `pull` (the latch is left as it is). An
/// open-drain output without a pull gets the internal pull-up, so that a released line reads
/// high as on the simulator instead of floating (TC53's `OutputOpenDrain` has no pull option).
fn configure(f: &mut Flex<'static>, mode: PinMode, pull: Pull) {
    let pull = match (mode, pull) {
        (PinMode::OpenDrain, Pull::None) | (_, Pull::Up) => HalPull::Up,
        (_, Pull::None) => HalPull::None,
        (_, Pull::Down) => HalPull::Down,
    };
    match mode {
        PinMode::Input => {
            f.set_output_enable(false);
            f.apply_input_config(&InputConfig::default().with_pull(pull));
        }
        PinMode::Output | PinMode::InputOutput | PinMode::OpenDrain => {
            let drive = if mode == PinMode::OpenDrain {
                DriveMode::OpenDrain
            } else {
                DriveMode::PushPull
            };
            f.apply_output_config(
                &OutputConfig::default()
                    .with_drive_mode(drive)
                    .with_pull(pull),
            );
            f.set_output_enable(true);
        }
    }
    // Reads see the pad's level in every mode (an output reads back what it drives).
    f.set_input_enable(true);
}

/// Switch `pin`'s interrupt on for `event` and read its level, as one step with interrupts
/// held off: an edge the read saw has its pending interrupt taken back (the handler would count
/// it again), up to [`RESUME_READS`] times for a pin still storming; every run of the handler
/// before is taken as collected (the level read covers them), and the level read is the one
/// the next edges are compared with. An edge after the last read stays pending for the handler.
/// Returns the level read.
fn listen_and_settle(p: &mut DigitalPin, pin: u8, event: Event) -> bool {
    let pad = critical_section::with(|_| {
        p.flex.listen(event);
        let mut pad = p.flex.is_high();
        for _ in 0..RESUME_READS {
            if !p.flex.is_interrupt_set() {
                break;
            }
            p.flex.clear_interrupt();
            pad = p.flex.is_high();
        }
        p.seen = fired(pin);
        mark_collected(pin, p.seen);
        pad
    });
    p.reported = pad;
    pad
}

fn mark_collected(pin: u8, count: u32) {
    if let Some(c) = COLLECTED.get(pin as usize) {
        c.store(count, Ordering::Relaxed);
    }
}

fn fired(pin: u8) -> u32 {
    FIRED
        .get(pin as usize)
        .map_or(0, |c| c.load(Ordering::Acquire))
}
