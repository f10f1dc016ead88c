//! `SimBoard`: the board of the virtual device and of the in-tab simulator. Virtual pins that
//! the outside drives and observes, analog inputs, PWM outputs, a UART loopback, an I2C bus with
//! simulated parts, and pluggable clock, storage, system and network (the host device plugs in
//! real time, a data directory and real sockets; the simulator virtual time and mocks).
//!
//! The runtime owns the board; the outside keeps a [`SimHandle`] to the same state.

mod clock;
mod storage;
mod system;

pub mod mqtt_loopback;
pub mod parts;
pub mod wifi;

pub use clock::VirtualClock;
pub use storage::MemStorage;
pub use system::SimSystem;

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

use crate::board::{
    Adc, Board, BoardError, BoardEvent, BoardResult, Clock, Edge, Gpio, HttpClient, I2c, Mqtt,
    PinMode, Pull, Pwm, Sockets, Spi, Storage, System, Uart, Wifi,
};

/// A simulated I2C peripheral at one address.
pub trait I2cDevice {
    /// A write transaction (register address and data, as the part defines).
    fn write(&mut self, data: &[u8]) -> BoardResult<()>;
    /// A read transaction.
    fn read(&mut self, buf: &mut [u8]) -> BoardResult<()>;
    /// What the outside may change (`temperature`, `humidity`, pin levels …), for panels.
    fn set(&mut self, _what: &str, _value: f64) -> bool {
        false
    }
    /// Everything observable, for panels and tests (name → value).
    fn observe(&self) -> Vec<(&'static str, f64)> {
        Vec::new()
    }
    /// Pin changes an expander reports (pin, level), drained by the board into events.
    fn take_interrupts(&mut self) -> Vec<(u32, bool)> {
        Vec::new()
    }
}

/// One virtual pin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pin {
    pub mode: PinMode,
    pub pull: Pull,
    /// Level the outside drives (a button, a sensor), if any.
    pub driven: Option<bool>,
    /// Level the script writes when the pin is an output.
    pub output: bool,
    pub interrupt: Edge,
    /// PWM (hz, duty) if running.
    pub pwm: Option<(u32, u32)>,
    /// Raw ADC reading.
    pub analog: u32,
    /// A script read this pin's ADC (panels show analog inputs only when used).
    pub analog_used: bool,
}

impl Pin {
    fn new() -> Pin {
        Pin {
            mode: PinMode::Input,
            pull: Pull::None,
            driven: None,
            output: false,
            interrupt: Edge::None,
            pwm: None,
            analog: 0,
            analog_used: false,
        }
    }

    /// The level a read sees.
    pub fn level(&self) -> bool {
        match self.mode {
            PinMode::Output | PinMode::InputOutput => self.driven.unwrap_or(self.output),
            PinMode::OpenDrain => self.output && self.driven.unwrap_or(true),
            PinMode::Input => self.driven.unwrap_or(self.pull == Pull::Up),
        }
    }
}

/// How many of the newest bytes written to a UART the simulator keeps for the outside to take
/// ([`SimHandle::uart_take`]); older ones are dropped, as a line nobody listens to loses them.
pub const UART_OUT_KEPT: usize = 16 * 1024;

/// The simulated hardware state, shared between the board and its handles.
pub struct SimState {
    pub pins: Vec<Pin>,
    pub i2c: BTreeMap<(u32, u8), Box<dyn I2cDevice>>,
    /// Bytes the script wrote to each UART (drained by the outside; the newest
    /// [`UART_OUT_KEPT`] bytes of a port when nobody does).
    pub uart_out: BTreeMap<u32, Vec<u8>>,
    /// Bytes waiting to be read by the script on each UART.
    pub uart_in: BTreeMap<u32, VecDeque<u8>>,
    /// UART ports wired TX→RX (loopback).
    pub uart_loopback: bool,
    /// Bytes every SPI transfer answers with (a loopback when empty).
    pub spi_answers: VecDeque<u8>,
    pub events: VecDeque<BoardEvent>,
    pub adc_bits: u8,
    pub pwm_bits: u8,
}

impl SimState {
    fn pin(&mut self, pin: u32) -> BoardResult<&mut Pin> {
        let n = self.pins.len();
        self.pins.get_mut(pin as usize).ok_or_else(|| {
            BoardError::InvalidArgument(format!("pin {pin} does not exist (0..{n})"))
        })
    }

    fn edge(&mut self, pin: u32, before: bool, after: bool) {
        if before == after {
            return;
        }
        let p = self.pins[pin as usize];
        let fire = match p.interrupt {
            Edge::None => false,
            Edge::Any => true,
            Edge::Rising => after,
            Edge::Falling => !after,
        };
        if fire {
            self.events
                .push_back(BoardEvent::GpioEdge { pin, level: after });
        }
    }
}

/// The outside's handle on a [`SimBoard`]'s hardware.
#[derive(Clone)]
pub struct SimHandle(pub Rc<RefCell<SimState>>);

impl SimHandle {
    /// Drive input `pin` to `level` (`None`: let it float to its pull).
    pub fn drive(&self, pin: u32, level: Option<bool>) -> BoardResult<()> {
        let mut s = self.0.borrow_mut();
        let before = s.pin(pin)?.level();
        s.pin(pin)?.driven = level;
        let after = s.pins[pin as usize].level();
        s.edge(pin, before, after);
        Ok(())
    }

    pub fn pin(&self, pin: u32) -> Option<Pin> {
        self.0.borrow().pins.get(pin as usize).copied()
    }

    pub fn set_analog(&self, pin: u32, raw: u32) -> BoardResult<()> {
        self.0.borrow_mut().pin(pin)?.analog = raw;
        Ok(())
    }

    /// Queue an event as if the hardware raised it (button of `input:0`, BLE advertisement …).
    pub fn inject(&self, ev: BoardEvent) {
        self.0.borrow_mut().events.push_back(ev);
    }

    pub fn uart_feed(&self, port: u32, data: &[u8]) {
        let mut s = self.0.borrow_mut();
        s.uart_in
            .entry(port)
            .or_default()
            .extend(data.iter().copied());
        s.events.push_back(BoardEvent::UartData { port });
    }

    pub fn uart_take(&self, port: u32) -> Vec<u8> {
        self.0
            .borrow_mut()
            .uart_out
            .remove(&port)
            .unwrap_or_default()
    }

    /// Attach a simulated part at `addr` on I2C `bus`.
    pub fn attach_i2c(&self, bus: u32, addr: u8, dev: Box<dyn I2cDevice>) {
        self.0.borrow_mut().i2c.insert((bus, addr), dev);
    }

    /// Change a reading of the part at `addr` (e.g. `temperature`).
    pub fn set_part(&self, bus: u32, addr: u8, what: &str, value: f64) -> bool {
        self.0
            .borrow_mut()
            .i2c
            .get_mut(&(bus, addr))
            .is_some_and(|d| d.set(what, value))
    }
}

/// The network side a target plugs into a [`SimBoard`].
pub trait NetBackend {
    fn sockets(&mut self) -> Option<&mut dyn Sockets> {
        None
    }
    fn http(&mut self) -> Option<&mut dyn HttpClient> {
        None
    }
    fn mqtt(&mut self) -> Option<&mut dyn Mqtt> {
        None
    }
    fn wifi(&mut self) -> Option<&mut dyn Wifi> {
        None
    }
    fn poll_event(&mut self) -> Option<BoardEvent> {
        None
    }
    /// Events already waiting (see [`Board::has_pending_events`]).
    fn has_pending_events(&self) -> bool {
        false
    }
}

pub struct SimBoard {
    state: Rc<RefCell<SimState>>,
    clock: Box<dyn Clock>,
    storage: Box<dyn Storage>,
    system: Box<dyn System>,
    net: Option<Box<dyn NetBackend>>,
}

/// Pins of the simulated board (as many as an ESP32-C3 has GPIOs).
pub const SIM_PINS: u32 = 22;

impl SimBoard {
    pub fn new(
        clock: Box<dyn Clock>,
        storage: Box<dyn Storage>,
        system: Box<dyn System>,
    ) -> SimBoard {
        let state = SimState {
            pins: (0..SIM_PINS).map(|_| Pin::new()).collect(),
            i2c: BTreeMap::new(),
            uart_out: BTreeMap::new(),
            uart_in: BTreeMap::new(),
            uart_loopback: false,
            spi_answers: VecDeque::new(),
            events: VecDeque::new(),
            adc_bits: 12,
            pwm_bits: 10,
        };
        SimBoard {
            state: Rc::new(RefCell::new(state)),
            clock,
            storage,
            system,
            net: None,
        }
    }

    /// The standard parts of the seeds' examples on I2C bus 0: a temperature/humidity sensor at
    /// 0x44, a 24C32 EEPROM at 0x50 and an MCP23017 expander at 0x20.
    pub fn with_standard_parts(self) -> SimBoard {
        parts::attach_standard(&self.handle());
        self
    }

    pub fn with_net(mut self, net: Box<dyn NetBackend>) -> SimBoard {
        self.net = Some(net);
        self
    }

    pub fn handle(&self) -> SimHandle {
        SimHandle(self.state.clone())
    }
}

impl Board for SimBoard {
    fn has_pending_events(&self) -> bool {
        !self.state.borrow().events.is_empty()
            || self.net.as_ref().is_some_and(|n| n.has_pending_events())
    }
    fn clock(&self) -> &dyn Clock {
        &*self.clock
    }
    fn storage(&mut self) -> &mut dyn Storage {
        &mut *self.storage
    }
    fn system(&mut self) -> &mut dyn System {
        &mut *self.system
    }
    fn gpio(&mut self) -> Option<&mut dyn Gpio> {
        Some(self)
    }
    fn adc(&mut self) -> Option<&mut dyn Adc> {
        Some(self)
    }
    fn pwm(&mut self) -> Option<&mut dyn Pwm> {
        Some(self)
    }
    fn i2c(&mut self) -> Option<&mut dyn I2c> {
        Some(self)
    }
    fn spi(&mut self) -> Option<&mut dyn Spi> {
        Some(self)
    }
    fn uart(&mut self) -> Option<&mut dyn Uart> {
        Some(self)
    }
    fn sockets(&mut self) -> Option<&mut dyn Sockets> {
        self.net.as_mut()?.sockets()
    }
    fn http(&mut self) -> Option<&mut dyn HttpClient> {
        self.net.as_mut()?.http()
    }
    fn mqtt(&mut self) -> Option<&mut dyn Mqtt> {
        self.net.as_mut()?.mqtt()
    }
    fn wifi(&mut self) -> Option<&mut dyn Wifi> {
        self.net.as_mut()?.wifi()
    }
    fn poll_event(&mut self) -> Option<BoardEvent> {
        {
            let mut s = self.state.borrow_mut();
            // Expander pins that changed become GPIO events on virtual pins 100+.
            let mut irqs = Vec::new();
            for ((_, addr), d) in s.i2c.iter_mut() {
                for (pin, level) in d.take_interrupts() {
                    irqs.push((*addr, pin, level));
                }
            }
            for (addr, pin, level) in irqs {
                s.events.push_back(BoardEvent::GpioEdge {
                    pin: parts::expander_pin(addr, pin),
                    level,
                });
            }
            if let Some(e) = s.events.pop_front() {
                return Some(e);
            }
        }
        self.net.as_mut()?.poll_event()
    }
}

impl Gpio for SimBoard {
    fn pin_count(&self) -> u32 {
        SIM_PINS
    }
    fn set_mode(&mut self, pin: u32, mode: PinMode, pull: Pull) -> BoardResult<()> {
        let mut s = self.state.borrow_mut();
        let before = s.pin(pin)?.level();
        let p = s.pin(pin)?;
        p.mode = mode;
        p.pull = pull;
        let after = p.level();
        s.edge(pin, before, after);
        Ok(())
    }
    fn read(&mut self, pin: u32) -> BoardResult<bool> {
        Ok(self.state.borrow_mut().pin(pin)?.level())
    }
    fn write(&mut self, pin: u32, level: bool) -> BoardResult<()> {
        let mut s = self.state.borrow_mut();
        let before = s.pin(pin)?.level();
        let p = s.pin(pin)?;
        if p.mode == PinMode::Input {
            // As on real chips, writing an input only sets the output latch.
            p.output = level;
            return Ok(());
        }
        p.output = level;
        let after = p.level();
        s.edge(pin, before, after);
        Ok(())
    }
    fn set_interrupt(&mut self, pin: u32, edge: Edge) -> BoardResult<()> {
        self.state.borrow_mut().pin(pin)?.interrupt = edge;
        Ok(())
    }
}

impl Adc for SimBoard {
    fn resolution_bits(&self) -> u8 {
        self.state.borrow().adc_bits
    }
    fn read(&mut self, pin: u32) -> BoardResult<u32> {
        let mut s = self.state.borrow_mut();
        let max = (1u32 << s.adc_bits) - 1;
        let p = s.pin(pin)?;
        p.analog_used = true;
        Ok(p.analog.min(max))
    }
}

impl Pwm for SimBoard {
    fn resolution_bits(&self) -> u8 {
        self.state.borrow().pwm_bits
    }
    fn set(&mut self, pin: u32, hz: u32, duty: u32) -> BoardResult<()> {
        if hz == 0 || hz > 40_000_000 {
            return Err(BoardError::InvalidArgument(format!(
                "PWM frequency {hz} Hz"
            )));
        }
        let mut s = self.state.borrow_mut();
        let max = (1u32 << s.pwm_bits) - 1;
        s.pin(pin)?.pwm = Some((hz, duty.min(max)));
        Ok(())
    }
    fn stop(&mut self, pin: u32) -> BoardResult<()> {
        self.state.borrow_mut().pin(pin)?.pwm = None;
        Ok(())
    }
}

impl I2c for SimBoard {
    fn write(&mut self, bus: u32, addr: u8, data: &[u8]) -> BoardResult<()> {
        let mut s = self.state.borrow_mut();
        match s.i2c.get_mut(&(bus, addr)) {
            Some(d) => d.write(data),
            None => Err(BoardError::NoResponse(format!(
                "no I2C device at 0x{addr:02x} on bus {bus}"
            ))),
        }
    }
    fn read(&mut self, bus: u32, addr: u8, buf: &mut [u8]) -> BoardResult<()> {
        let mut s = self.state.borrow_mut();
        match s.i2c.get_mut(&(bus, addr)) {
            Some(d) => d.read(buf),
            None => Err(BoardError::NoResponse(format!(
                "no I2C device at 0x{addr:02x} on bus {bus}"
            ))),
        }
    }
    fn write_read(&mut self, bus: u32, addr: u8, data: &[u8], buf: &mut [u8]) -> BoardResult<()> {
        I2c::write(self, bus, addr, data)?;
        I2c::read(self, bus, addr, buf)
    }
}

impl Spi for SimBoard {
    fn transfer(&mut self, _bus: u32, buf: &mut [u8]) -> BoardResult<()> {
        let mut s = self.state.borrow_mut();
        for b in buf.iter_mut() {
            if let Some(a) = s.spi_answers.pop_front() {
                *b = a;
            }
        }
        Ok(())
    }
}

impl Uart for SimBoard {
    fn configure(&mut self, port: u32, baud: u32) -> BoardResult<()> {
        if port > 2 || baud == 0 {
            return Err(BoardError::InvalidArgument(format!(
                "UART {port} at {baud} baud"
            )));
        }
        Ok(())
    }
    /// The simulated line sends at once: the whole write is taken, and the port says it is
    /// writable again (one pending [`BoardEvent::UartWritable`] per port) as a chip's does
    /// once its queue has drained.
    fn write(&mut self, port: u32, data: &[u8]) -> BoardResult<usize> {
        let mut s = self.state.borrow_mut();
        let out = s.uart_out.entry(port).or_default();
        out.extend_from_slice(data);
        if out.len() > UART_OUT_KEPT {
            let extra = out.len() - UART_OUT_KEPT;
            out.drain(..extra);
        }
        if s.uart_loopback {
            s.uart_in
                .entry(port)
                .or_default()
                .extend(data.iter().copied());
            s.events.push_back(BoardEvent::UartData { port });
        }
        let writable = BoardEvent::UartWritable { port };
        if !s.events.contains(&writable) {
            s.events.push_back(writable);
        }
        Ok(data.len())
    }
    fn read(&mut self, port: u32, buf: &mut [u8]) -> BoardResult<usize> {
        let mut s = self.state.borrow_mut();
        let q = s.uart_in.entry(port).or_default();
        let n = buf.len().min(q.len());
        for b in buf.iter_mut().take(n) {
            *b = q.pop_front().unwrap_or(0);
        }
        Ok(n)
    }
}
