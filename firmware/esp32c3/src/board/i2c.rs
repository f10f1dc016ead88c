//! I2C bus 0: the I2C0 controller at 100 kHz on SDA GPIO5 and SCL GPIO6, opened at its first use
//! (its pins stay the bus's until restart). Every operation is bounded: the controller's SCL
//! timeout (the longest it has) and a software timeout per operation, so a bus held low by a
//! stuck device returns an error instead of hanging.
//!
//! Must never: wait without a bound (the longest legal transfer, 4096 bytes at 100 kHz, takes
//! under 0.4 s; the 5 s watchdog must never see an I2C call).

use esp_hal::gpio::AnyPin;
use esp_hal::i2c::master::{
    AcknowledgeCheckFailedReason, BusTimeout, Config, Error as I2cError, I2c as HalI2c,
    SoftwareTimeout,
};
use esp_hal::peripherals::I2C0;
use esp_hal::time::{Duration, Rate};
use esp_hal::Blocking;
use ferrite_runtime::board::{BoardError, BoardResult};

/// The bus clock.
const BUS_HZ: u32 = 100_000;
/// The longest one write or read of a transaction may take.
const OPERATION_TIMEOUT: Duration = Duration::from_millis(500);

enum State {
    /// Not used yet: the peripheral, waiting.
    Closed(I2C0<'static>),
    Open(HalI2c<'static, Blocking>),
    /// Setting it up failed (the reason); it stays so until restart.
    Failed(alloc::string::String),
}

pub struct ChipI2c {
    state: State,
}

impl ChipI2c {
    pub fn new(i2c0: I2C0<'static>) -> ChipI2c {
        ChipI2c {
            state: State::Closed(i2c0),
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open(_))
    }

    /// Set the controller up on `sda` and `scl` (the pins `ChipPins` gave it).
    pub fn open(&mut self, sda: AnyPin<'static>, scl: AnyPin<'static>) -> BoardResult<()> {
        let state = core::mem::replace(&mut self.state, State::Failed("busy".into()));
        self.state = match state {
            State::Closed(p) => {
                let config = Config::default()
                    .with_frequency(Rate::from_hz(BUS_HZ))
                    .with_timeout(BusTimeout::Maximum)
                    .with_software_timeout(SoftwareTimeout::Transaction(OPERATION_TIMEOUT));
                match HalI2c::new(p, config) {
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

    pub fn write(&mut self, addr: u8, data: &[u8]) -> BoardResult<()> {
        let r = self.bus()?.write(addr, data);
        r.map_err(|e| error(addr, e))
    }

    /// Read `buf.len()` bytes; reading nothing only checks that the device answers.
    pub fn read(&mut self, addr: u8, buf: &mut [u8]) -> BoardResult<()> {
        let bus = self.bus()?;
        let r = if buf.is_empty() {
            bus.write(addr, &[])
        } else {
            bus.read(addr, buf)
        };
        r.map_err(|e| error(addr, e))
    }

    /// Write then read with a repeated start.
    pub fn write_read(&mut self, addr: u8, data: &[u8], buf: &mut [u8]) -> BoardResult<()> {
        let bus = self.bus()?;
        let r = match (data.is_empty(), buf.is_empty()) {
            (_, true) => bus.write(addr, data),
            (true, false) => bus.read(addr, buf),
            (false, false) => bus.write_read(addr, data, buf),
        };
        r.map_err(|e| error(addr, e))
    }
}

/// esp-hal's I2C error as the board's.
fn error(addr: u8, e: I2cError) -> BoardError {
    match e {
        I2cError::AcknowledgeCheckFailed(AcknowledgeCheckFailedReason::Data) => {
            BoardError::NoResponse(alloc::format!(
                "the I2C device at 0x{addr:02x} on bus 0 did not acknowledge the data"
            ))
        }
        I2cError::AcknowledgeCheckFailed(_) => BoardError::NoResponse(alloc::format!(
            "no I2C device at 0x{addr:02x} on bus 0 (SDA GPIO5, SCL GPIO6)"
        )),
        I2cError::Timeout => BoardError::NoResponse(alloc::format!(
            "I2C bus 0 timed out talking to 0x{addr:02x} (a device holding SDA or SCL low? \
             missing pull-ups?)"
        )),
        other => BoardError::Failed(alloc::format!("I2C bus 0, device 0x{addr:02x}: {other}")),
    }
}
