//! Serial port 1: UART1, 8N1, on TX GPIO0 and RX GPIO1 unless a script chose other pins before
//! (TC53 `Serial`'s `transmit`/`receive`, `pin_plan::PinTable::choose_bus_pins`), opened by the
//! first `configure` with its baud rate (its pins stay the port's until restart).
//!
//! Writes go to a bounded software queue that [`ChipUart1::poll`] feeds into the 128-byte
//! hardware FIFO as it drains; a write is taken whole or not at all
//! (`pin_plan::uart_write_take`), and [`ChipUart1::take_drained`] says when the queue has
//! emptied after writes, for one `UartWritable` event (TC53's `onWritable`).
//!
//! Received bytes are moved out of the FIFO by UART1's interrupt (`uart_rx`) into a buffer of
//! [`RX_BUFFER`] bytes, allocated when the port opens (the oldest dropped when it is full), and
//! `poll` says when new ones arrived, for one `UartData` event. So receiving keeps up while a
//! script runs, whatever the baud rate.
//!
//! Must never: block (esp-hal's `write` waits for FIFO room, so it is called only when there is
//! some), or hold more than [`TX_QUEUE`] + [`RX_BUFFER`] bytes.

use alloc::collections::VecDeque;

use esp_hal::gpio::AnyPin;
use esp_hal::handler;
use esp_hal::peripherals::UART1;
use esp_hal::uart::Uart as HalUart;
use ferrite_runtime::board::{BoardError, BoardResult};

use super::pin_plan::uart_write_take;
use super::uart_rx::{self, RxPort, Slot};

/// Bytes waiting to go out at most (a write that does not fit is refused whole).
pub const TX_QUEUE: usize = 1024;
/// Received bytes kept until read at most.
pub const RX_BUFFER: usize = 4096;

/// The open port and what it received (see `uart_rx`).
static PORT: Slot = uart_rx::empty_slot();

#[handler]
fn on_uart1_interrupt() {
    uart_rx::on_interrupt(&PORT);
}

enum State {
    Closed(UART1<'static>),
    Open(RxPort),
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
        matches!(self.state, State::Open(_))
    }

    /// Why setting the controller up failed, if it did (it stays failed until restart).
    pub fn failure(&self) -> Option<BoardError> {
        match &self.state {
            State::Failed(why) => Some(BoardError::Failed(why.clone())),
            _ => None,
        }
    }

    /// The open port; why there is none otherwise.
    fn port(&self) -> BoardResult<&RxPort> {
        match &self.state {
            State::Open(port) => Ok(port),
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
            State::Closed(p) => match HalUart::new(p, uart_rx::config(115_200)) {
                Ok(u) => {
                    let uart = u.with_tx(tx).with_rx(rx);
                    match RxPort::set_up(&PORT, uart, on_uart1_interrupt, RX_BUFFER) {
                        Ok(port) => State::Open(port),
                        Err(why) => State::Failed(alloc::format!("UART1: {why}")),
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
        if baud == self.baud {
            return self.port().map(|_| ());
        }
        self.port()?
            .reconfigure(&uart_rx::config(baud))
            .map_err(|e| {
                BoardError::InvalidArgument(alloc::format!("UART1 at {baud} baud: {e:?}"))
            })?;
        self.baud = baud;
        Ok(())
    }

    /// Queue `data`: all of it, or nothing (0) when the queue has no room for all of it; only a
    /// write longer than the whole queue takes what fits.
    pub fn write(&mut self, data: &[u8]) -> BoardResult<usize> {
        self.port()?;
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
        Ok(self.port()?.read(buf))
    }

    /// Feed the transmit FIFO; true if bytes arrived since the last poll.
    pub fn poll(&mut self) -> bool {
        self.pump_tx();
        let State::Open(port) = &self.state else {
            return false;
        };
        port.take_arrived()
    }

    fn pump_tx(&mut self) {
        let State::Open(port) = &self.state else {
            return;
        };
        // At most the whole queue: each round writes at least one byte or stops.
        for _ in 0..TX_QUEUE {
            if self.tx.is_empty() {
                break;
            }
            let (front, _) = self.tx.as_slices();
            match port.write(front) {
                0 => break,
                k => {
                    self.tx.drain(..k.min(self.tx.len()));
                }
            }
        }
    }
}
