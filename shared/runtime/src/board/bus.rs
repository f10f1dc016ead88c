use super::BoardResult;

/// An I2C controller. Addresses are 7-bit.
pub trait I2c {
    /// A script names the pins of bus `bus` (`sda`, `scl`: GPIO numbers) and perhaps its clock
    /// (`hz`), as `new I2C(...)` does. A board whose buses sit on fixed or chosen pins checks
    /// them here and says why it cannot use them; the default accepts any, for a board whose
    /// I2C devices do not depend on pins (the simulator's).
    fn configure(&mut self, bus: u32, sda: u32, scl: u32, hz: Option<u32>) -> BoardResult<()> {
        let _ = (bus, sda, scl, hz);
        Ok(())
    }
    fn write(&mut self, bus: u32, addr: u8, data: &[u8]) -> BoardResult<()>;
    fn read(&mut self, bus: u32, addr: u8, buf: &mut [u8]) -> BoardResult<()>;
    /// Write then read with a repeated start.
    fn write_read(&mut self, bus: u32, addr: u8, data: &[u8], buf: &mut [u8]) -> BoardResult<()>;
}

pub trait Spi {
    /// Full-duplex transfer: `buf` is sent and replaced by what was received.
    fn transfer(&mut self, bus: u32, buf: &mut [u8]) -> BoardResult<()>;
}

pub trait Uart {
    /// A script names the pins of `port` (`tx`, `rx`: GPIO numbers), as TC53 `Serial`'s
    /// `transmit` and `receive` do, before [`Uart::configure`] opens it. A board whose ports sit
    /// on fixed or chosen pins checks them here and says why it cannot use them; the default
    /// accepts any, for a board whose UARTs do not depend on pins (the simulator's).
    fn set_pins(&mut self, port: u32, tx: u32, rx: u32) -> BoardResult<()> {
        let _ = (port, tx, rx);
        Ok(())
    }
    fn configure(&mut self, port: u32, baud: u32) -> BoardResult<()>;
    fn write(&mut self, port: u32, data: &[u8]) -> BoardResult<usize>;
    /// Bytes received so far (non-blocking; may return 0).
    fn read(&mut self, port: u32, buf: &mut [u8]) -> BoardResult<usize>;
}
