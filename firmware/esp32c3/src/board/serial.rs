//! The two serial ports the console is served on, behind one non-blocking interface:
//! USB-Serial-JTAG (the C3's built-in USB port, `/dev/ttyACM*` on the host) and UART0
//! (GPIO21 TX, GPIO20 RX, 115200 8N1, usually behind a USB-UART bridge on dev boards).
//!
//! [`SerialPort::write`] puts into the hardware FIFO what fits now and says how much that was.
//! USB-Serial-JTAG only drains while a host reads the port, so a caller must expect 0 for as
//! long as nobody listens (the console link drops output then, see `console_link`).
//!
//! Must never: block (esp-hal's blocking `write` on USB-Serial-JTAG spins until a host reads,
//! forever with no cable), or buffer.

use esp_hal::uart::Uart;
use esp_hal::usb::usb_serial_jtag::UsbSerialJtag;
use esp_hal::Blocking;

enum Hardware {
    UsbJtag(UsbSerialJtag<'static, Blocking>),
    Uart(Uart<'static, Blocking>),
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

    pub fn uart(port: Uart<'static, Blocking>) -> SerialPort {
        SerialPort {
            hw: Hardware::Uart(port),
        }
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
            // A FIFO overflow or a framing error loses bytes; the console's framing
            // recovers at the next frame start, so the error itself is not reported.
            Hardware::Uart(p) => p.read_buffered(buf).unwrap_or(0),
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
            Hardware::Uart(p) => {
                let mut n = 0;
                // `write` waits for room, so it is only called when there is some.
                while n < data.len() && p.write_ready() {
                    match p.write(&data[n..]) {
                        Ok(k) if k > 0 => n += k,
                        _ => break,
                    }
                }
                n
            }
        }
    }
}
