//! A UART whose receive FIFO an interrupt empties: [`RxPort`], used by the UART0 console
//! (`serial`) and by scripts' serial port 1 (`uart1`).
//!
//! The UART's interrupt moves received bytes out of its 128-byte hardware FIFO when it holds
//! [`RX_FIFO_THRESHOLD`] bytes, and when the line has been quiet for 10 symbols after a byte,
//! into a buffer allocated when the port is set up (the oldest dropped when it is full). So
//! receiving keeps up while a script runs, whatever the main loop is doing. The port and that
//! buffer live in a [`Slot`] (one `static` per UART), which the main loop and the handler
//! share through a critical section (the C3 has one core: the handler never waits for the
//! main loop). Each UART's `#[handler]` calls [`on_interrupt`] with its slot.
//!
//! Must never: allocate in the interrupt handler, leave the receive interrupts pending (they
//! would fire forever), or run esp-hal calls that wait (a baud change waits for the character
//! being sent) inside the critical section, where every interrupt is off.

use alloc::collections::VecDeque;
use alloc::string::String;
use core::cell::RefCell;

use critical_section::Mutex;
use enumset::EnumSet;
use esp_hal::interrupt::InterruptHandler;
use esp_hal::uart::{Config, ConfigError, RxConfig, Uart, UartInterrupt};
use esp_hal::Blocking;

/// Bytes in the 128-byte receive FIFO at which the interrupt empties it: half, so that the
/// handler has 64 bytes' time (0.55 ms at 1 Mbaud) to run while other interrupts (the radio's)
/// go first.
const RX_FIFO_THRESHOLD: u16 = 64;

/// The receive interrupts a port listens to.
const RX_INTERRUPTS: EnumSet<UartInterrupt> =
    enumset::enum_set!(UartInterrupt::RxFifoFull | UartInterrupt::RxTimeout);

/// A port and what it received, shared by the main loop and the UART's interrupt.
pub struct Port {
    uart: Uart<'static, Blocking>,
    /// Received, not yet read: at most `capacity` bytes, its room allocated when the port was
    /// set up (the handler only pushes within it).
    rx: VecDeque<u8>,
    capacity: usize,
    /// Bytes arrived since the main loop last asked.
    arrived: bool,
}

/// Where one UART's port lives: `Some` once set up.
pub type Slot = Mutex<RefCell<Option<Port>>>;

/// An empty slot, for a UART's `static`.
pub const fn empty_slot() -> Slot {
    Mutex::new(RefCell::new(None))
}

/// The interrupt of the UART whose port is in `slot`: clear the receive interrupts (a byte that
/// comes meanwhile raises them again), then move the FIFO's bytes into the buffer.
pub fn on_interrupt(slot: &'static Slot) {
    critical_section::with(|cs| {
        let mut port = slot.borrow_ref_mut(cs);
        let Some(port) = port.as_mut() else {
            return;
        };
        port.uart.clear_interrupts(RX_INTERRUPTS);
        drain_fifo(port);
    });
}

/// Move what the FIFO holds into `port.rx`.
fn drain_fifo(port: &mut Port) {
    let mut buf = [0u8; 128];
    // The FIFO holds 128 bytes: a few rounds empty it even while bytes keep coming. No receive
    // error is reported (`config`): a byte with a framing or parity error is dropped by the
    // hardware, and an overflow resets the FIFO and reads as nothing.
    for _ in 0..4 {
        let n = match port.uart.read_buffered(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        port.arrived = true;
        for &b in &buf[..n] {
            if port.rx.len() >= port.capacity {
                port.rx.pop_front();
            }
            port.rx.push_back(b);
        }
    }
}

/// A port's configuration at `baud`: 8N1, receive interrupts at [`RX_FIFO_THRESHOLD`] bytes,
/// no receive errors reported (they would only cost the interrupt's drain rounds).
pub fn config(baud: u32) -> Config {
    Config::default().with_baudrate(baud).with_rx(
        RxConfig::default()
            .with_fifo_full_threshold(RX_FIFO_THRESHOLD)
            .with_reported_errors(EnumSet::empty()),
    )
}

/// The main loop's handle on a port set up in its slot.
pub struct RxPort {
    slot: &'static Slot,
}

impl RxPort {
    /// Put `uart` (configured with [`config`]) in `slot` with a receive buffer of `capacity`
    /// bytes, `handler` (the UART's, calling [`on_interrupt`] with `slot`) as its interrupt,
    /// and listen. Fails only when there is no memory for the buffer.
    pub fn set_up(
        slot: &'static Slot,
        mut uart: Uart<'static, Blocking>,
        handler: InterruptHandler,
        capacity: usize,
    ) -> Result<RxPort, String> {
        let mut rx = VecDeque::new();
        rx.try_reserve_exact(capacity)
            .map_err(|_| alloc::format!("no memory for a {capacity}-byte serial receive buffer"))?;
        uart.set_interrupt_handler(handler);
        let port = RxPort { slot };
        port.put_back(Port {
            uart,
            rx,
            capacity,
            arrived: false,
        });
        Ok(port)
    }

    /// Put the port in its slot and listen to its receive interrupts.
    fn put_back(&self, port: Port) {
        critical_section::with(|cs| {
            let mut slot = self.slot.borrow_ref_mut(cs);
            slot.insert(port).uart.listen(RX_INTERRUPTS);
        });
    }

    fn with<R>(&self, f: impl FnOnce(&mut Port) -> R) -> Option<R> {
        critical_section::with(|cs| self.slot.borrow_ref_mut(cs).as_mut().map(f))
    }

    /// Received bytes into `buf` (also what is in the FIFO below the interrupt's threshold,
    /// not yet quiet long enough for its timeout); 0 when none.
    pub fn read(&self, buf: &mut [u8]) -> usize {
        self.with(|port| {
            drain_fifo(port);
            let n = buf.len().min(port.rx.len());
            for (b, r) in buf.iter_mut().zip(port.rx.drain(..n)) {
                *b = r;
            }
            n
        })
        .unwrap_or(0)
    }

    /// Whether bytes arrived since the last call that are still waiting to be read.
    pub fn take_arrived(&self) -> bool {
        self.with(|port| core::mem::take(&mut port.arrived) && !port.rx.is_empty())
            .unwrap_or(false)
    }

    /// Put as much of `data` into the transmit FIFO as fits now; returns how many bytes.
    pub fn write(&self, data: &[u8]) -> usize {
        self.with(|port| {
            let mut n = 0;
            // `write` waits for room, so it is only called when there is some.
            while n < data.len() && port.uart.write_ready() {
                match port.uart.write(&data[n..]) {
                    Ok(k) if k > 0 => n += k,
                    _ => break,
                }
            }
            n
        })
        .unwrap_or(0)
    }

    /// Wait until the transmit FIFO has gone out (before a restart; interrupts are off
    /// meanwhile, for the FIFO's 128 bytes at the port's baud rate).
    pub fn drain_tx(&self) {
        self.with(|port| {
            let _ = port.uart.flush();
        });
    }

    /// Apply `config` (a new baud rate: esp-hal resets both FIFOs; what was received is moved
    /// to the buffer first). The port leaves its slot for it, its interrupts off, since esp-hal
    /// waits there for the character being sent (33 ms at 300 baud), which must not run with
    /// every interrupt off.
    pub fn reconfigure(&self, config: &Config) -> Result<(), ConfigError> {
        let taken = critical_section::with(|cs| {
            let mut slot = self.slot.borrow_ref_mut(cs);
            let port = slot.as_mut()?;
            drain_fifo(port);
            port.uart.unlisten(RX_INTERRUPTS);
            port.uart.clear_interrupts(RX_INTERRUPTS);
            slot.take()
        });
        // Always in its slot: only this handle takes it out, and puts it back below.
        let Some(mut port) = taken else {
            return Ok(());
        };
        let applied = port.uart.apply_config(config);
        self.put_back(port);
        applied
    }
}
