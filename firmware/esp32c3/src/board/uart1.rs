//! Serial port 1: UART1, 8N1, on TX GPIO0 and RX GPIO1 unless a script chose other pins before
//! (TC53 `Serial`'s `transmit`/`receive`, `pin_plan::PinTable::choose_bus_pins`), opened by the
//! first `configure` with its baud rate (its pins stay the port's until restart).
//!
//! Writes go to a bounded software queue that [`ChipUart1::poll`] feeds into the 128-byte
//! hardware FIFO as it drains; a write is taken whole or not at all
//! (`pin_plan::uart_write_take`), and [`ChipUart1::take_drained`] says when the queue has
//! emptied after writes, for one `UartWritable` event (TC53's `onWritable`).
//!
//! Received bytes are moved out of the FIFO by UART1's interrupt ([`on_uart1_interrupt`]): when
//! the FIFO holds [`RX_FIFO_THRESHOLD`] bytes, and when the line has been quiet for 10 symbols
//! after a byte. So receiving keeps up while a script runs, whatever the baud rate. They wait
//! in a buffer of [`RX_BUFFER`] bytes, allocated when the port opens (the oldest dropped when
//! it is full), and `poll` says when new ones arrived, for one `UartData` event. The port and
//! that buffer live in [`PORT`], which the main loop and the handler share through a critical
//! section (the C3 has one core: the handler never waits for the main loop).
//!
//! Must never: block (esp-hal's `write` waits for FIFO room, so it is called only when there is
//! some), allocate in the interrupt handler, leave the receive interrupts pending (they would
//! fire forever), or hold more than [`TX_QUEUE`] + [`RX_BUFFER`] bytes.

use alloc::collections::VecDeque;
use core::cell::RefCell;

use critical_section::Mutex;
use enumset::EnumSet;
use esp_hal::gpio::AnyPin;
use esp_hal::handler;
use esp_hal::peripherals::UART1;
use esp_hal::uart::{Config, RxConfig, Uart as HalUart, UartInterrupt};
use esp_hal::Blocking;
use ferrite_runtime::board::{BoardError, BoardResult};

use super::pin_plan::uart_write_take;

/// Bytes waiting to go out at most (a write that does not fit is refused whole).
pub const TX_QUEUE: usize = 1024;
/// Received bytes kept until read at most.
pub const RX_BUFFER: usize = 4096;
/// Bytes in the 128-byte receive FIFO at which the interrupt empties it: half, so that the
/// handler has 64 bytes' time (0.55 ms at 1 Mbaud) to run while other interrupts (the radio's)
/// go first.
const RX_FIFO_THRESHOLD: u16 = 64;

/// The open port and what it received, shared by the main loop and [`on_uart1_interrupt`].
struct Port {
    uart: HalUart<'static, Blocking>,
    /// Received, not yet read: at most [`RX_BUFFER`] bytes, its room allocated at open (the
    /// handler only pushes within it).
    rx: VecDeque<u8>,
    /// Bytes arrived since the main loop last asked.
    arrived: bool,
}

/// `Some` once the port is open (it stays open until restart).
static PORT: Mutex<RefCell<Option<Port>>> = Mutex::new(RefCell::new(None));

/// UART1's interrupt: move the FIFO's bytes into the buffer (the oldest dropped beyond
/// [`RX_BUFFER`]), then clear the receive interrupts.
#[handler]
fn on_uart1_interrupt() {
    critical_section::with(|cs| {
        let mut port = PORT.borrow_ref_mut(cs);
        let Some(port) = port.as_mut() else {
            return;
        };
        // Cleared first: a byte that comes while the FIFO is drained raises them again.
        port.uart.clear_interrupts(RX_INTERRUPTS);
        drain_fifo(port);
    });
}

/// The receive interrupts the port listens to.
const RX_INTERRUPTS: EnumSet<UartInterrupt> =
    enumset::enum_set!(UartInterrupt::RxFifoFull | UartInterrupt::RxTimeout);

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
            if port.rx.len() >= RX_BUFFER {
                port.rx.pop_front();
            }
            port.rx.push_back(b);
        }
    }
}

/// Put the port in the shared place and listen to its receive interrupts.
fn put_back(port: Port) {
    critical_section::with(|cs| {
        let mut slot = PORT.borrow_ref_mut(cs);
        slot.insert(port).uart.listen(RX_INTERRUPTS);
    });
}

/// `f` on the open port, if it is.
fn with_port<R>(f: impl FnOnce(&mut Port) -> R) -> Option<R> {
    critical_section::with(|cs| PORT.borrow_ref_mut(cs).as_mut().map(f))
}

/// The port's configuration at `baud`: 8N1, receive interrupts at [`RX_FIFO_THRESHOLD`] bytes,
/// no receive errors reported (they would only cost the interrupt's drain rounds).
fn config(baud: u32) -> Config {
    Config::default().with_baudrate(baud).with_rx(
        RxConfig::default()
            .with_fifo_full_threshold(RX_FIFO_THRESHOLD)
            .with_reported_errors(EnumSet::empty()),
    )
}

enum State {
    Closed(UART1<'static>),
    /// In [`PORT`].
    Open,
    Failed(alloc::string::String),
}

pub struct ChipUart1 {
    state: State,
    /// The baud rate the port runs at (0 until one was applied).
    baud: u32,
    tx: VecDeque<u8>,
    /// Written to (taken or refused) since the queue last drained.
    wrote: bool,
}

impl ChipUart1 {
    pub fn new(uart1: UART1<'static>) -> ChipUart1 {
        ChipUart1 {
            state: State::Closed(uart1),
            baud: 0,
            tx: VecDeque::new(),
            wrote: false,
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open)
    }

    /// Why setting the controller up failed, if it did (it stays failed until restart).
    pub fn failure(&self) -> Option<BoardError> {
        match &self.state {
            State::Failed(why) => Some(BoardError::Failed(why.clone())),
            _ => None,
        }
    }

    /// Whether the port is open; why not otherwise.
    fn check_open(&self) -> BoardResult<()> {
        match &self.state {
            State::Open => Ok(()),
            State::Closed(_) => Err(BoardError::InvalidArgument(
                "Serial port 1 is not configured yet (give it a baud rate first)".into(),
            )),
            State::Failed(why) => Err(BoardError::Failed(why.clone())),
        }
    }

    /// Set UART1 up at `baud` (checked by the caller) on the pins `ChipPins` gave it. It opens
    /// at esp-hal's default (115200 8N1), so that a baud rate esp-hal refuses is an error of this
    /// call only, not of the port.
    pub fn open(&mut self, tx: AnyPin<'static>, rx: AnyPin<'static>, baud: u32) -> BoardResult<()> {
        let state = core::mem::replace(&mut self.state, State::Failed("busy".into()));
        self.state = match state {
            State::Closed(p) => match HalUart::new(p, config(115_200)) {
                Ok(u) => {
                    let mut uart = u.with_tx(tx).with_rx(rx);
                    uart.set_interrupt_handler(on_uart1_interrupt);
                    let mut rx = VecDeque::new();
                    if rx.try_reserve_exact(RX_BUFFER).is_ok() {
                        put_back(Port {
                            uart,
                            rx,
                            arrived: false,
                        });
                        State::Open
                    } else {
                        State::Failed(alloc::format!(
                            "UART1: no memory for its {RX_BUFFER}-byte receive buffer"
                        ))
                    }
                }
                Err(e) => State::Failed(alloc::format!("UART1 setup failed: {e:?}")),
            },
            other => other,
        };
        self.set_baud(baud)
    }

    /// Change the baud rate. Nothing changes at the rate the port already runs at. Otherwise
    /// esp-hal resets both hardware FIFOs: received bytes are moved to the buffer first, but up
    /// to 128 bytes in the transmit FIFO not sent yet are lost; the software queue goes out at
    /// the new rate.
    pub fn set_baud(&mut self, baud: u32) -> BoardResult<()> {
        self.check_open()?;
        if baud == self.baud {
            return Ok(());
        }
        // Out of the shared place (its interrupts off) while esp-hal applies the rate: that
        // waits for the character being sent, up to 33 ms at 300 baud, which must not run
        // with every interrupt off as the critical section has them.
        let taken = critical_section::with(|cs| {
            let mut slot = PORT.borrow_ref_mut(cs);
            let port = slot.as_mut()?;
            drain_fifo(port);
            port.uart.unlisten(RX_INTERRUPTS);
            port.uart.clear_interrupts(RX_INTERRUPTS);
            slot.take()
        });
        let Some(mut port) = taken else {
            return self.check_open();
        };
        let applied = port.uart.apply_config(&config(baud));
        put_back(port);
        applied.map_err(|e| {
            BoardError::InvalidArgument(alloc::format!("UART1 at {baud} baud: {e:?}"))
        })?;
        self.baud = baud;
        Ok(())
    }

    /// Queue `data`: all of it, or nothing (0) when the queue has no room for all of it; only a
    /// write longer than the whole queue takes what fits.
    pub fn write(&mut self, data: &[u8]) -> BoardResult<usize> {
        self.check_open()?;
        let n = uart_write_take(data.len(), self.tx.len(), TX_QUEUE);
        self.tx.extend(data.iter().take(n));
        self.wrote = true;
        self.pump_tx();
        Ok(n)
    }

    /// True once after writes, when the software queue has emptied into the FIFO (so the port
    /// can take a whole TC53 output buffer again).
    pub fn take_drained(&mut self) -> bool {
        let drained = self.wrote && self.tx.is_empty();
        if drained {
            self.wrote = false;
        }
        drained
    }

    /// Received bytes into `buf`; 0 when none.
    pub fn read(&mut self, buf: &mut [u8]) -> BoardResult<usize> {
        self.check_open()?;
        let n = with_port(|port| {
            // Also what is in the FIFO below the interrupt's threshold, not yet quiet long
            // enough for its timeout.
            drain_fifo(port);
            let n = buf.len().min(port.rx.len());
            for (b, r) in buf.iter_mut().zip(port.rx.drain(..n)) {
                *b = r;
            }
            n
        });
        Ok(n.unwrap_or(0))
    }

    /// Feed the transmit FIFO; true if bytes arrived since the last poll.
    pub fn poll(&mut self) -> bool {
        if !self.is_open() {
            return false;
        }
        self.pump_tx();
        // Bytes `read` already handed out leave nothing to announce.
        with_port(|port| core::mem::take(&mut port.arrived) && !port.rx.is_empty()).unwrap_or(false)
    }

    fn pump_tx(&mut self) {
        let tx = &mut self.tx;
        with_port(|port| {
            // At most the whole queue: each round writes at least one byte or stops.
            for _ in 0..TX_QUEUE {
                if tx.is_empty() || !port.uart.write_ready() {
                    break;
                }
                let (front, _) = tx.as_slices();
                match port.uart.write(front) {
                    Ok(k) if k > 0 => {
                        tx.drain(..k.min(tx.len()));
                    }
                    _ => break,
                }
            }
        });
    }
}
