//! The two serial ports the console is served on, behind one non-blocking interface:
//! USB-Serial-JTAG (the C3's built-in USB port, `/dev/ttyACM*` on the host) and UART0
//! (GPIO21 TX, GPIO20 RX, 115200 8N1, usually behind a USB-UART bridge on dev boards).
//!
//! [`SerialPort::write`] puts into the hardware FIFO what fits now and says how much that was.
//! USB-Serial-JTAG only drains while a host reads the port, so a caller must expect 0 for as
//! long as nobody listens (the console link drops output then, see `console_link`).
//!
//! UART0's received bytes are moved out of its 128-byte FIFO by its interrupt (`uart_rx`) into
//! a buffer of [`UART0_RX_BUFFER`] bytes, so a console line or an RPC frame sent while a script
//! runs is not lost when the main loop's round is long. USB-Serial-JTAG needs none: the host
//! retries a USB packet the device has no room for. Not covered: a flash write or erase, during
//! which esp-storage keeps interrupts off (a sector erase takes tens of ms; the FIFO lasts 11 ms
//! at 115200 baud). The IDE's deploy sends each step after the last one's answer, which
//! follows its write; a frame that arrives during another write can lose bytes (docs/FIRMWARE.md).
//!
//! Must never: block (esp-hal's blocking `write` on USB-Serial-JTAG spins until a host reads,
//! forever with no cable), or buffer output.

use alloc::string::String;

use esp_hal::handler;
use esp_hal::uart::Uart;
use esp_hal::usb::usb_serial_jtag::UsbSerialJtag;
use esp_hal::Blocking;

use super::clock;
use super::uart_rx::{self, RxPort, Slot};

/// Bytes UART0 keeps received until the console reads them: 178 ms of input at 115200 baud.
pub const UART0_RX_BUFFER: usize = 2048;

/// UART0's port and what it received (see `uart_rx`).
static UART0: Slot = uart_rx::empty_slot();

#[handler]
fn on_uart0_interrupt() {
    uart_rx::on_interrupt(&UART0);
}

enum Hardware {
    UsbJtag(UsbSerialJtag<'static, Blocking>),
    Uart(RxPort),
}

/// One console port.
pub struct SerialPort {
    hw: Hardware,
}

impl SerialPort {
    pub fn usb_jtag(port: UsbSerialJtag<'static, Blocking>) -> SerialPort {
        SerialPort {
            hw: Hardware::UsbJtag(port),
        }
    }

    /// UART0, configured with `uart_rx::config`; fails only when there is no memory for its
    /// receive buffer.
    pub fn uart0(port: Uart<'static, Blocking>) -> Result<SerialPort, String> {
        let port = RxPort::set_up(&UART0, port, on_uart0_interrupt, UART0_RX_BUFFER)?;
        Ok(SerialPort {
            hw: Hardware::Uart(port),
        })
    }

    /// Bytes received since the last call (at most `buf.len()`); 0 when none.
    pub fn read(&mut self, buf: &mut [u8]) -> usize {
        match &mut self.hw {
            Hardware::UsbJtag(p) => {
                let mut n = 0;
                while n < buf.len() {
                    match p.read_byte() {
                        Ok(b) => {
                            buf[n] = b;
                            n += 1;
                        }
                        Err(_) => break,
                    }
                }
                n
            }
            // Beyond the buffer the oldest bytes are lost; the console's framing recovers at
            // the next frame start.
            Hardware::Uart(p) => p.read(buf),
        }
    }

    /// Put as much of `data` into the transmit FIFO as fits now; returns how many bytes.
    pub fn write(&mut self, data: &[u8]) -> usize {
        match &mut self.hw {
            Hardware::UsbJtag(p) => {
                let mut n = 0;
                for &b in data {
                    if p.write_byte_nb(b).is_err() {
                        break;
                    }
                    n += 1;
                }
                if n > 0 {
                    // Send what is in the FIFO as a packet now (not only when 64 bytes are in).
                    let _ = p.flush_tx_nb();
                }
                n
            }
            Hardware::Uart(p) => p.write(data),
        }
    }

    /// Before a restart: wait until what the port took has left the chip (a reset clears the
    /// transmit FIFO, and with it the end of `Shelly.Reboot`'s answer or a panic's message).
    /// UART0's FIFO drains by itself (128 bytes take 11 ms at 115200 baud); USB's waits for
    /// the host to poll it, so at most `DRAIN_USB_MS` (no host may be there).
    pub fn drain(&mut self) {
        match &mut self.hw {
            Hardware::UsbJtag(p) => {
                let start = clock::boot_ms();
                while p.flush_tx_nb().is_err() && clock::boot_ms() - start < DRAIN_USB_MS {}
            }
            Hardware::Uart(p) => p.drain_tx(),
        }
    }
}

/// How long [`SerialPort::drain`] waits for a USB host to take the last packet.
const DRAIN_USB_MS: u64 = 50;
