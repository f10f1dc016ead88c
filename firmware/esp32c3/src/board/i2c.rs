//! I2C bus 0: the I2C0 controller, at 100 kHz on SDA GPIO5 and SCL GPIO6 unless a script chose
//! other pins before its first use (`pin_plan::PinTable::choose_bus_pins`) or another clock
//! (any time), opened at its first use (its pins stay the bus's until restart).
//!
//! Every call is bounded by a software time limit for the whole call that grows with its length
//! and the clock (`pin_plan::i2c_timeout_ms`: at 100 kHz 50 ms for sensor-sized transfers,
//! 1.5 s for the longest), plus at most 50 ms in which esp-hal clears a busy bus
//! first, so a bus held low by a stuck device returns an error instead of hanging. After a call
//! timed out, calls fail at once with that error for a second (`pin_plan::I2cStuck`), so a
//! script calling in a loop on a stuck bus does not spend its time waiting out timeouts.
//!
//! Must never: wait without a bound, or let a script's loop of calls keep the CPU in timeouts
//! (the 5 s watchdog is fed between script slices, not inside one).

use alloc::string::String;

use esp_hal::gpio::AnyPin;
use esp_hal::i2c::master::{
    AcknowledgeCheckFailedReason, BusTimeout, Config, Error as I2cError, I2c as HalI2c,
    SoftwareTimeout,
};
use esp_hal::peripherals::I2C0;
use esp_hal::time::{Duration, Instant, Rate};
use esp_hal::Blocking;
use ferrite_runtime::board::{BoardError, BoardResult};

use super::pin_plan::{i2c_timeout_message, i2c_timeout_ms, I2cStuck, I2C_HZ};

enum State {
    /// Not used yet: the peripheral, waiting.
    Closed(I2C0<'static>),
    Open(HalI2c<'static, Blocking>),
    /// Setting it up failed (the reason); it stays so until restart.
    Failed(alloc::string::String),
}

pub struct ChipI2c {
    state: State,
    /// The software time limit the controller is configured with (ms).
    timeout_ms: u64,
    /// The bus clock (Hz).
    hz: u32,
    /// The bus's pins for messages ("SDA GPIO5, SCL GPIO6").
    pins: String,
    stuck: I2cStuck,
}

/// The controller's configuration at `hz` with a software time limit of `timeout_ms` for a whole
/// call.
fn config(hz: u32, timeout_ms: u64) -> Config {
    Config::default()
        .with_frequency(Rate::from_hz(hz))
        .with_timeout(BusTimeout::Maximum)
        .with_software_timeout(SoftwareTimeout::Transaction(Duration::from_millis(
            timeout_ms,
        )))
}

fn now_ms() -> u64 {
    Instant::now().duration_since_epoch().as_millis()
}

impl ChipI2c {
    pub fn new(i2c0: I2C0<'static>) -> ChipI2c {
        ChipI2c {
            state: State::Closed(i2c0),
            timeout_ms: i2c_timeout_ms(0, I2C_HZ),
            hz: I2C_HZ,
            pins: String::new(),
            stuck: I2cStuck::new(),
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open(_))
    }

    /// Why setting the controller up failed, if it did (it stays failed until restart).
    pub fn failure(&self) -> Option<BoardError> {
        match &self.state {
            State::Failed(why) => Some(BoardError::Failed(why.clone())),
            _ => None,
        }
    }

    /// Run the bus at `hz` (checked by `pin_plan::check_i2c_hz`): from its first use, or now if
    /// it is open.
    pub fn set_hz(&mut self, hz: u32) -> BoardResult<()> {
        if let State::Open(bus) = &mut self.state {
            let timeout_ms = i2c_timeout_ms(0, hz);
            bus.apply_config(&config(hz, timeout_ms))
                .map_err(|e| BoardError::Failed(alloc::format!("I2C0 at {hz} Hz: {e:?}")))?;
            self.timeout_ms = timeout_ms;
        }
        self.hz = hz;
        Ok(())
    }

    /// Set the controller up on `sda` and `scl` (the pins `ChipPins` gave it; `pins` names them
    /// for messages).
    pub fn open(
        &mut self,
        sda: AnyPin<'static>,
        scl: AnyPin<'static>,
        pins: String,
    ) -> BoardResult<()> {
        self.pins = pins;
        let state = core::mem::replace(&mut self.state, State::Failed("busy".into()));
        self.state = match state {
            State::Closed(p) => {
                self.timeout_ms = i2c_timeout_ms(0, self.hz);
                match HalI2c::new(p, config(self.hz, self.timeout_ms)) {
                    Ok(bus) => State::Open(bus.with_sda(sda).with_scl(scl)),
                    Err(e) => State::Failed(alloc::format!("I2C0 setup failed: {e:?}")),
                }
            }
            other => other,
        };
        self.bus().map(|_| ())
    }

    fn bus(&mut self) -> BoardResult<&mut HalI2c<'static, Blocking>> {
        match &mut self.state {
            State::Open(bus) => Ok(bus),
            State::Closed(_) => Err(BoardError::Failed("I2C bus 0 is not open".into())),
            State::Failed(why) => Err(BoardError::Failed(why.clone())),
        }
    }

    /// The bus, ready for a call moving `bytes` bytes in all: not taken to be stuck, and its
    /// time limit set for that length.
    fn ready(&mut self, bytes: usize) -> BoardResult<&mut HalI2c<'static, Blocking>> {
        self.stuck.check(now_ms()).map_err(BoardError::NoResponse)?;
        let timeout_ms = i2c_timeout_ms(bytes, self.hz);
        let changed = timeout_ms != self.timeout_ms;
        let bus = match &mut self.state {
            State::Open(bus) => bus,
            State::Closed(_) => return Err(BoardError::Failed("I2C bus 0 is not open".into())),
            State::Failed(why) => return Err(BoardError::Failed(why.clone())),
        };
        if changed {
            bus.apply_config(&config(self.hz, timeout_ms))
                .map_err(|e| {
                    BoardError::Failed(alloc::format!("I2C0 time limit {timeout_ms} ms: {e:?}"))
                })?;
            self.timeout_ms = timeout_ms;
        }
        Ok(bus)
    }

    /// Note how a call to `addr` ended (a timeout makes the bus count as stuck for a while)
    /// and turn its error into the board's.
    fn finish(&mut self, addr: u8, r: Result<(), I2cError>) -> BoardResult<()> {
        let timed_out = matches!(r, Err(I2cError::Timeout | I2cError::ExecutionIncomplete));
        self.stuck.record(now_ms(), addr, timed_out);
        r.map_err(|e| error(addr, &self.pins, e))
    }

    pub fn write(&mut self, addr: u8, data: &[u8]) -> BoardResult<()> {
        let r = self.ready(data.len())?.write(addr, data);
        self.finish(addr, r)
    }

    /// Read `buf.len()` bytes; reading nothing only checks that the device answers.
    pub fn read(&mut self, addr: u8, buf: &mut [u8]) -> BoardResult<()> {
        let bus = self.ready(buf.len())?;
        let r = if buf.is_empty() {
            bus.write(addr, &[])
        } else {
            bus.read(addr, buf)
        };
        self.finish(addr, r)
    }

    /// Write then read with a repeated start.
    pub fn write_read(&mut self, addr: u8, data: &[u8], buf: &mut [u8]) -> BoardResult<()> {
        let bus = self.ready(data.len().saturating_add(buf.len()))?;
        let r = match (data.is_empty(), buf.is_empty()) {
            (_, true) => bus.write(addr, data),
            (true, false) => bus.read(addr, buf),
            (false, false) => bus.write_read(addr, data, buf),
        };
        self.finish(addr, r)
    }
}

/// esp-hal's I2C error as the board's (`pins` names the bus's pins).
fn error(addr: u8, pins: &str, e: I2cError) -> BoardError {
    match e {
        I2cError::AcknowledgeCheckFailed(AcknowledgeCheckFailedReason::Data) => {
            BoardError::NoResponse(alloc::format!(
                "the I2C device at 0x{addr:02x} on bus 0 did not acknowledge the data"
            ))
        }
        I2cError::AcknowledgeCheckFailed(AcknowledgeCheckFailedReason::Address) => {
            BoardError::NoResponse(alloc::format!(
                "no I2C device at 0x{addr:02x} on bus 0 ({pins})"
            ))
        }
        // The C3's controller cannot tell which byte was refused (esp-hal estimates the reason
        // only on later chips): the address, or a register or command byte after it.
        I2cError::AcknowledgeCheckFailed(_) => BoardError::NoResponse(alloc::format!(
            "the I2C device at 0x{addr:02x} on bus 0 ({pins}) did not acknowledge: no device \
             there, or it refused a byte"
        )),
        I2cError::Timeout | I2cError::ExecutionIncomplete => {
            BoardError::NoResponse(i2c_timeout_message(addr))
        }
        other => BoardError::Failed(alloc::format!("I2C bus 0, device 0x{addr:02x}: {other}")),
    }
}
