//! The pins scripts may use (GPIO0-GPIO10) and every driver that can hold one: GPIO
//! ([`gpio`](super::gpio)), the ADC ([`adc`](super::adc)), PWM ([`pwm`](super::pwm)), I2C0
//! ([`i2c`](super::i2c)), SPI2 ([`spi`](super::spi)) and UART1 ([`uart1`](super::uart1)).
//! [`ChipPins`] is the runtime's `Gpio`, `Adc`, `Pwm`, `I2c`, `Spi` and `Uart` at once, so that
//! one place decides who holds a pin (the rules are [`pin_plan`](super::pin_plan)'s, tested on
//! the host) and switches the previous holder off when a pin changes role.
//!
//! Must never: give a pin to two drivers at once, hand a pin outside GPIO0-GPIO10 to anyone
//! (flash, USB and console pins), panic or block on anything a script passes.

use alloc::collections::VecDeque;
use alloc::string::String;

use esp_hal::gpio::{AnyPin, Flex};
use esp_hal::peripherals::{
    ADC1, GPIO0, GPIO1, GPIO10, GPIO2, GPIO3, GPIO4, GPIO5, GPIO6, GPIO7, GPIO8, GPIO9, I2C0,
    IO_MUX, LEDC, SPI2, UART1,
};
use ferrite_runtime::board::{
    Adc, BoardError, BoardEvent, BoardResult, Edge, Gpio, I2c, PinMode, Pull, Pwm, Spi, Uart,
};

use super::adc::ChipAdc;
use super::gpio::ChipGpio;
use super::i2c::ChipI2c;
use super::pin_plan::{
    self, check_bus_number, check_i2c, check_length, check_uart, usable_pin, Bus, Owner, PinTable,
    Take, USABLE_PINS,
};
use super::pwm::ChipPwm;
use super::spi::ChipSpi;
use super::uart1::ChipUart1;

/// What [`ChipPins::new`] takes from esp-hal's `Peripherals`.
pub struct PinPeripherals {
    pub gpio0: GPIO0<'static>,
    pub gpio1: GPIO1<'static>,
    pub gpio2: GPIO2<'static>,
    pub gpio3: GPIO3<'static>,
    pub gpio4: GPIO4<'static>,
    pub gpio5: GPIO5<'static>,
    pub gpio6: GPIO6<'static>,
    pub gpio7: GPIO7<'static>,
    pub gpio8: GPIO8<'static>,
    pub gpio9: GPIO9<'static>,
    pub gpio10: GPIO10<'static>,
    pub io_mux: IO_MUX<'static>,
    pub adc1: ADC1<'static>,
    pub ledc: LEDC<'static>,
    pub i2c0: I2C0<'static>,
    pub spi2: SPI2<'static>,
    pub uart1: UART1<'static>,
}

/// The usable pins and their drivers.
pub struct ChipPins {
    table: PinTable,
    /// GPIO0 … GPIO10, owned here so that nothing else in the firmware can take them; drivers
    /// get copies through [`ChipPins::pin`], one driver per pin as `table` says.
    pins: [AnyPin<'static>; USABLE_PINS],
    gpio: ChipGpio,
    adc: ChipAdc,
    pwm: ChipPwm,
    i2c: ChipI2c,
    spi: ChipSpi,
    uart1: ChipUart1,
    /// Events found by [`ChipPins::poll_event`] and not handed out yet (at most three per pin:
    /// two for its edges, one when its storm pause ends; and two for UART1: data, drained).
    events: VecDeque<BoardEvent>,
}

fn invalid(m: String) -> BoardError {
    BoardError::InvalidArgument(m)
}

impl ChipPins {
    /// Take the pins and peripherals; the ADC switches GPIO0-GPIO4 to analog inputs (floating,
    /// as they are after reset) and the GPIO interrupt handler is installed. Nothing else is
    /// touched until a script asks.
    pub fn new(p: PinPeripherals) -> ChipPins {
        let pins: [AnyPin<'static>; USABLE_PINS] = [
            p.gpio0.into(),
            p.gpio1.into(),
            p.gpio2.into(),
            p.gpio3.into(),
            p.gpio4.into(),
            p.gpio5.into(),
            p.gpio6.into(),
            p.gpio7.into(),
            p.gpio8.into(),
            p.gpio9.into(),
            p.gpio10.into(),
        ];
        ChipPins {
            table: PinTable::new(),
            pins,
            gpio: ChipGpio::new(p.io_mux),
            adc: ChipAdc::new(p.adc1),
            pwm: ChipPwm::new(p.ledc),
            i2c: ChipI2c::new(p.i2c0),
            spi: ChipSpi::new(p.spi2),
            uart1: ChipUart1::new(p.uart1),
            events: VecDeque::new(),
        }
    }

    /// A driver's copy of usable pin `pin` (< [`USABLE_PINS`], checked by the callers).
    fn pin(&self, pin: u8) -> Option<AnyPin<'static>> {
        let p = self.pins.get(pin as usize)?;
        // SAFETY: the pin is owned by `self.pins` (taken from `Peripherals` at init), and the
        // pin table gives each pin to one driver at a time: a copy goes to a driver only after
        // the previous holder's driver was dropped ([`ChipPins::switch_off`]).
        Some(unsafe { p.clone_unchecked() })
    }

    /// Switch `previous`'s driver of `pin` off, leaving the pin an unconnected input.
    fn switch_off(&mut self, pin: u8, previous: Owner) {
        match previous {
            Owner::Gpio { .. } => self.gpio.drop_pin(pin),
            Owner::Adc => self.adc.drop_pin(pin),
            // Never given up silently (pin_plan::Owner::yields).
            Owner::Pwm | Owner::Bus(_) => {}
        }
        self.table.release(pin);
        self.park(pin);
    }

    /// Reset `pin` to a plain GPIO with input and output off and no peripheral signal on it.
    fn park(&self, pin: u8) {
        if let Some(p) = self.pin(pin) {
            // Flex::new resets the pad (output off, GPIO function, signal disconnected).
            let _ = Flex::new(p);
        }
    }

    /// Make `pin` (a pin number from a script) a GPIO, switching off what yields it; a pin that
    /// becomes a GPIO again gets the mode, pull and level scripts last set on it.
    fn take_gpio(&mut self, pin: u32) -> BoardResult<u8> {
        let p = usable_pin(pin).map_err(invalid)?;
        let edges = matches!(self.table.owner(p), Some(Owner::Gpio { edges: true }));
        match self
            .table
            .check(p, Owner::Gpio { edges })
            .map_err(invalid)?
        {
            Take::Same => return Ok(p),
            Take::Replace(prev) => self.switch_off(p, prev),
            Take::Free => {}
        }
        let Some(any) = self.pin(p) else {
            return Err(invalid(alloc::format!("GPIO{pin}: no such pin")));
        };
        self.gpio.open(p, any);
        self.table.set(p, Owner::Gpio { edges: false });
        Ok(p)
    }

    /// Switch off whatever yields `bus`'s pins to it, or say why the bus cannot have them (then
    /// nothing changes). Called before the bus's driver is built on its first use.
    fn clear_bus_pins(&mut self, bus: Bus) -> BoardResult<()> {
        let takes = self.table.check_bus(bus).map_err(invalid)?;
        for (pin, take) in takes {
            if let Take::Replace(prev) = take {
                self.switch_off(pin, prev);
            }
        }
        Ok(())
    }

    /// Record that `bus` holds its pins (until restart).
    fn mark_bus(&mut self, bus: Bus) {
        for (p, _) in self.table.bus_pins(bus) {
            self.table.set(p, Owner::Bus(bus));
        }
    }

    /// The next pin event: GPIO edges recorded by the interrupt handler, then UART1 data and
    /// UART1's output drained.
    pub fn poll_event(&mut self) -> Option<BoardEvent> {
        if let Some(e) = self.events.pop_front() {
            return Some(e);
        }
        self.gpio.collect_edges(&mut self.events);
        if self.uart1.poll() {
            self.events.push_back(BoardEvent::UartData { port: 1 });
        }
        if self.uart1.take_drained() {
            self.events.push_back(BoardEvent::UartWritable { port: 1 });
        }
        self.events.pop_front()
    }
}

impl Gpio for ChipPins {
    fn pin_count(&self) -> u32 {
        pin_plan::PIN_COUNT
    }

    fn set_mode(&mut self, pin: u32, mode: PinMode, pull: Pull) -> BoardResult<()> {
        let p = self.take_gpio(pin)?;
        self.gpio.set_mode(p, mode, pull);
        Ok(())
    }

    fn read(&mut self, pin: u32) -> BoardResult<bool> {
        let p = self.take_gpio(pin)?;
        self.gpio.read(p)
    }

    fn write(&mut self, pin: u32, level: bool) -> BoardResult<()> {
        let p = self.take_gpio(pin)?;
        self.gpio.write(p, level)
    }

    fn set_interrupt(&mut self, pin: u32, edge: Edge) -> BoardResult<()> {
        if edge == Edge::None {
            // Switching off an interrupt the pin does not have is no error (the runtime does
            // it for every pin a stopped script listened to, expander pins included).
            let Ok(p) = usable_pin(pin) else {
                return Ok(());
            };
            if let Some(Owner::Gpio { edges: true }) = self.table.owner(p) {
                self.gpio.disarm(p);
                self.table.set(p, Owner::Gpio { edges: false });
            }
            return Ok(());
        }
        let p = self.take_gpio(pin)?;
        self.gpio.arm(p, edge)?;
        self.table.set(p, Owner::Gpio { edges: true });
        Ok(())
    }
}

impl Adc for ChipPins {
    fn resolution_bits(&self) -> u8 {
        pin_plan::ADC_BITS
    }

    fn read(&mut self, pin: u32) -> BoardResult<u32> {
        let p = usable_pin(pin).map_err(invalid)?;
        match self.table.check(p, Owner::Adc).map_err(invalid)? {
            Take::Same => {}
            Take::Replace(prev) => {
                self.switch_off(p, prev);
                self.adc.open(p)?;
                self.table.set(p, Owner::Adc);
            }
            Take::Free => {
                self.adc.open(p)?;
                self.table.set(p, Owner::Adc);
            }
        }
        self.adc.read(p)
    }
}

impl Pwm for ChipPins {
    fn resolution_bits(&self) -> u8 {
        pin_plan::PWM_BITS
    }

    fn set(&mut self, pin: u32, hz: u32, duty: u32) -> BoardResult<()> {
        let p = usable_pin(pin).map_err(invalid)?;
        let bits = pin_plan::ledc_bits(hz).map_err(invalid)?;
        let hw_duty = pin_plan::ledc_duty(duty, bits).map_err(invalid)?;
        let take = self.table.check(p, Owner::Pwm).map_err(invalid)?;
        let step = self.pwm.plan(p, hz).map_err(invalid)?;
        if let Take::Replace(prev) = take {
            self.switch_off(p, prev);
        }
        let any = match take {
            Take::Same => None,
            _ => self.pin(p),
        };
        match self.pwm.apply(p, hz, step, hw_duty, any) {
            Ok(()) => {
                self.table.set(p, Owner::Pwm);
                Ok(())
            }
            Err(e) => {
                // Leave the pin free rather than half set up.
                self.pwm.stop(p);
                self.table.release(p);
                self.park(p);
                Err(e)
            }
        }
    }

    fn stop(&mut self, pin: u32) -> BoardResult<()> {
        let p = usable_pin(pin).map_err(invalid)?;
        if self.table.owner(p) == Some(Owner::Pwm) {
            self.pwm.stop(p);
            self.table.release(p);
            self.park(p);
        }
        Ok(())
    }
}

const SPI_PINS: &str = "SCK GPIO7, MOSI GPIO10, MISO GPIO4";

impl ChipPins {
    /// A script's I2C bus number: bus 0 is the only one.
    fn check_i2c_bus(&self, bus: u32) -> BoardResult<()> {
        let pins = self.table.describe_bus_pins(Bus::I2c0);
        check_bus_number(bus, "I2C", &pins).map_err(invalid)
    }

    /// Check a script's I2C call and open I2C0 on its pins at the first one.
    fn i2c_ready(&mut self, bus: u32, addr: u8, len: usize) -> BoardResult<()> {
        self.check_i2c_bus(bus)?;
        check_i2c(addr, len).map_err(invalid)?;
        if self.i2c.is_open() {
            return Ok(());
        }
        // A bus that failed to set up takes nobody's pins on later tries.
        if let Some(e) = self.i2c.failure() {
            return Err(e);
        }
        self.clear_bus_pins(Bus::I2c0)?;
        let pins = self.table.bus_pins(Bus::I2c0);
        let (Some(sda), Some(scl)) = (
            pins.first().and_then(|(p, _)| self.pin(*p)),
            pins.get(1).and_then(|(p, _)| self.pin(*p)),
        ) else {
            return Err(BoardError::Failed("I2C0: pins missing".into()));
        };
        let names = self.table.describe_bus_pins(Bus::I2c0);
        self.i2c.open(sda, scl, names)?;
        self.mark_bus(Bus::I2c0);
        Ok(())
    }

    /// Check a script's SPI call and open SPI2 on its pins at the first one.
    fn spi_ready(&mut self, bus: u32, len: usize) -> BoardResult<()> {
        check_bus_number(bus, "SPI", SPI_PINS).map_err(invalid)?;
        check_length(len, "SPI").map_err(invalid)?;
        if self.spi.is_open() {
            return Ok(());
        }
        if let Some(e) = self.spi.failure() {
            return Err(e);
        }
        self.clear_bus_pins(Bus::Spi2)?;
        let (Some(sck), Some(mosi), Some(miso)) = (
            self.pin(pin_plan::SPI2_SCK),
            self.pin(pin_plan::SPI2_MOSI),
            self.pin(pin_plan::SPI2_MISO),
        ) else {
            return Err(BoardError::Failed("SPI2: pins missing".into()));
        };
        self.spi.open(sck, mosi, miso)?;
        self.mark_bus(Bus::Spi2);
        Ok(())
    }
}

impl I2c for ChipPins {
    /// The pins take effect at the bus's first use (afterwards only the same ones are
    /// accepted), the clock at once.
    fn configure(&mut self, bus: u32, sda: u32, scl: u32, hz: Option<u32>) -> BoardResult<()> {
        self.check_i2c_bus(bus)?;
        if let Some(hz) = hz {
            pin_plan::check_i2c_hz(hz).map_err(invalid)?;
        }
        self.table
            .choose_bus_pins(Bus::I2c0, &[sda, scl])
            .map_err(invalid)?;
        match hz {
            Some(hz) => self.i2c.set_hz(hz),
            None => Ok(()),
        }
    }

    fn write(&mut self, bus: u32, addr: u8, data: &[u8]) -> BoardResult<()> {
        self.i2c_ready(bus, addr, data.len())?;
        self.i2c.write(addr, data)
    }

    fn read(&mut self, bus: u32, addr: u8, buf: &mut [u8]) -> BoardResult<()> {
        self.i2c_ready(bus, addr, buf.len())?;
        self.i2c.read(addr, buf)
    }

    fn write_read(&mut self, bus: u32, addr: u8, data: &[u8], buf: &mut [u8]) -> BoardResult<()> {
        self.i2c_ready(bus, addr, data.len().max(buf.len()))?;
        self.i2c.write_read(addr, data, buf)
    }
}

impl Spi for ChipPins {
    fn transfer(&mut self, bus: u32, buf: &mut [u8]) -> BoardResult<()> {
        self.spi_ready(bus, buf.len())?;
        self.spi.transfer(buf)
    }
}

impl Uart for ChipPins {
    /// The pins take effect when the port opens (its first `configure`); afterwards only the
    /// same ones are accepted.
    fn set_pins(&mut self, port: u32, tx: u32, rx: u32) -> BoardResult<()> {
        check_uart(port, None).map_err(invalid)?;
        self.table
            .choose_bus_pins(Bus::Uart1, &[tx, rx])
            .map_err(invalid)
    }

    fn configure(&mut self, port: u32, baud: u32) -> BoardResult<()> {
        check_uart(port, Some(baud)).map_err(invalid)?;
        if self.uart1.is_open() {
            return self.uart1.set_baud(baud);
        }
        if let Some(e) = self.uart1.failure() {
            return Err(e);
        }
        self.clear_bus_pins(Bus::Uart1)?;
        let pins = self.table.bus_pins(Bus::Uart1);
        let (Some(tx), Some(rx)) = (
            pins.first().and_then(|(p, _)| self.pin(*p)),
            pins.get(1).and_then(|(p, _)| self.pin(*p)),
        ) else {
            return Err(BoardError::Failed("UART1: pins missing".into()));
        };
        let r = self.uart1.open(tx, rx, baud);
        // Open even when the baud rate was refused: the port holds its pins from now on.
        if self.uart1.is_open() {
            self.mark_bus(Bus::Uart1);
        }
        r
    }

    fn write(&mut self, port: u32, data: &[u8]) -> BoardResult<usize> {
        check_uart(port, None).map_err(invalid)?;
        self.uart1.write(data)
    }

    fn read(&mut self, port: u32, buf: &mut [u8]) -> BoardResult<usize> {
        check_uart(port, None).map_err(invalid)?;
        self.uart1.read(buf)
    }
}
