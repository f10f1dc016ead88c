//! SPI bus 0: the SPI2 controller as master, 1 MHz, mode 0, MSB first, on SCK GPIO7, MOSI
//! GPIO10 and MISO GPIO4, opened at its first use (its pins stay the bus's until restart).
//! Chip select is up to the script (any GPIO). Transfers are full duplex: the buffer goes out
//! and is replaced by what came in.
//!
//! Must never: take a transfer longer than 4096 bytes (about 33 ms at 1 MHz; the master clocks
//! every byte itself, so a transfer always ends).

use esp_hal::gpio::AnyPin;
use esp_hal::peripherals::SPI2;
use esp_hal::spi::master::{Config, Spi as HalSpi};
use esp_hal::spi::Mode;
use esp_hal::time::Rate;
use esp_hal::Blocking;
use ferrite_runtime::board::{BoardError, BoardResult};

/// The bus clock.
const BUS_HZ: u32 = 1_000_000;

enum State {
    Closed(SPI2<'static>),
    Open(HalSpi<'static, Blocking>),
    Failed(alloc::string::String),
}

pub struct ChipSpi {
    state: State,
}

impl ChipSpi {
    pub fn new(spi2: SPI2<'static>) -> ChipSpi {
        ChipSpi {
            state: State::Closed(spi2),
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

    /// Set the controller up on the pins `ChipPins` gave it.
    pub fn open(
        &mut self,
        sck: AnyPin<'static>,
        mosi: AnyPin<'static>,
        miso: AnyPin<'static>,
    ) -> BoardResult<()> {
        let state = core::mem::replace(&mut self.state, State::Failed("busy".into()));
        self.state = match state {
            State::Closed(p) => {
                let config = Config::default()
                    .with_frequency(Rate::from_hz(BUS_HZ))
                    .with_mode(Mode::_0);
                match HalSpi::new(p, config) {
                    Ok(bus) => State::Open(bus.with_sck(sck).with_mosi(mosi).with_miso(miso)),
                    Err(e) => State::Failed(alloc::format!("SPI2 setup failed: {e:?}")),
                }
            }
            other => other,
        };
        match &self.state {
            State::Open(_) => Ok(()),
            State::Closed(_) => Err(BoardError::Failed("SPI bus 0 is not open".into())),
            State::Failed(why) => Err(BoardError::Failed(why.clone())),
        }
    }

    /// Full-duplex transfer of `buf` (at most 4096 bytes, checked by the caller).
    pub fn transfer(&mut self, buf: &mut [u8]) -> BoardResult<()> {
        let State::Open(bus) = &mut self.state else {
            return Err(BoardError::Failed("SPI bus 0 is not open".into()));
        };
        if buf.is_empty() {
            return Ok(());
        }
        bus.transfer(buf)
            .map_err(|e| BoardError::Failed(alloc::format!("SPI bus 0: {e:?}")))
    }
}
