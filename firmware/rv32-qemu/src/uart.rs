//! Output through the `virt` machine's 16550 UART (QEMU's `-serial stdio`).

use core::fmt::Write;

const UART: *mut u8 = 0x1000_0000 as *mut u8;
/// Line status register: bit 5, the transmit holding register is empty.
const LSR: usize = 5;
const THR_EMPTY: u8 = 1 << 5;

/// Write bytes as they are (a script's output is bytes, UTF-8 by convention).
pub fn write_bytes(bytes: &[u8]) {
    for &b in bytes {
        // SAFETY: the UART's registers, mapped on every `virt` machine.
        unsafe {
            while UART.add(LSR).read_volatile() & THR_EMPTY == 0 {}
            UART.write_volatile(b);
        }
    }
}

struct Uart;

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        write_bytes(s.as_bytes());
        Ok(())
    }
}

pub fn print_fmt(args: core::fmt::Arguments) {
    let _ = Uart.write_fmt(args);
}
