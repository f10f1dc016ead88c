use super::BoardResult;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinMode {
    Input,
    Output,
    /// Output that can also be read back (Smart.js mode 0).
    InputOutput,
    OpenDrain,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pull {
    None,
    Up,
    Down,
}

/// Which edges raise a [`super::BoardEvent::GpioEdge`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    None,
    Rising,
    Falling,
    Any,
}

pub trait Gpio {
    fn pin_count(&self) -> u32;
    fn set_mode(&mut self, pin: u32, mode: PinMode, pull: Pull) -> BoardResult<()>;
    fn read(&mut self, pin: u32) -> BoardResult<bool>;
    fn write(&mut self, pin: u32, level: bool) -> BoardResult<()>;
    fn set_interrupt(&mut self, pin: u32, edge: Edge) -> BoardResult<()>;
}

pub trait Adc {
    /// Bits of resolution of readings (e.g. 12).
    fn resolution_bits(&self) -> u8;
    fn read(&mut self, pin: u32) -> BoardResult<u32>;
}

pub trait Pwm {
    /// Bits of resolution of the duty value.
    fn resolution_bits(&self) -> u8;
    /// Start or change PWM on `pin`: `duty` in `0..=2^bits-1`.
    fn set(&mut self, pin: u32, hz: u32, duty: u32) -> BoardResult<()>;
    fn stop(&mut self, pin: u32) -> BoardResult<()>;
}
