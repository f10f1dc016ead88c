//! A 24C32 EEPROM: 4 KiB, a 2-byte memory address (the top 4 bits ignored), page writes of up
//! to 32 bytes that wrap within their page, and sequential reads that wrap at the end of memory.
//! Erased bytes read 0xFF; the write cycle completes at once.

use alloc::vec;
use alloc::vec::Vec;

use crate::board::BoardResult;
use crate::sim::I2cDevice;

/// Bytes of memory.
pub const SIZE: usize = 4096;
/// Bytes of a write page.
pub const PAGE: usize = 32;

pub struct Eeprom24c32 {
    mem: Vec<u8>,
    /// The address counter (next byte read or written).
    addr: usize,
    /// Bytes written since power-up, for panels.
    written: u32,
}

impl Default for Eeprom24c32 {
    fn default() -> Self {
        Eeprom24c32::new()
    }
}

impl Eeprom24c32 {
    pub fn new() -> Eeprom24c32 {
        Eeprom24c32 {
            mem: vec![0xFF; SIZE],
            addr: 0,
            written: 0,
        }
    }

    /// The memory, for tests and panels.
    pub fn contents(&self) -> &[u8] {
        &self.mem
    }
}

impl I2cDevice for Eeprom24c32 {
    fn write(&mut self, data: &[u8]) -> BoardResult<()> {
        // A probe, or only the high address byte: the address counter is not loaded.
        if data.len() < 2 {
            return Ok(());
        }
        let start = (u16::from_be_bytes([data[0], data[1]]) as usize) % SIZE;
        let page = start - start % PAGE;
        let mut off = start % PAGE;
        for b in &data[2..] {
            self.mem[page + off] = *b;
            off = (off + 1) % PAGE;
            self.written = self.written.wrapping_add(1);
        }
        self.addr = page + off;
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> BoardResult<()> {
        for b in buf.iter_mut() {
            *b = self.mem[self.addr];
            self.addr = (self.addr + 1) % SIZE;
        }
        Ok(())
    }

    fn observe(&self) -> Vec<(&'static str, f64)> {
        vec![
            ("address", self.addr as f64),
            ("bytes_written", self.written as f64),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_random_and_sequential_read() {
        let mut e = Eeprom24c32::new();
        e.write(&[0x01, 0x00, b'h', b'i', b'!']).unwrap();
        let mut buf = [0u8; 4];
        e.write(&[0x01, 0x00]).unwrap();
        e.read(&mut buf).unwrap();
        assert_eq!(&buf, b"hi!\xff");
        // Current-address reads continue where the last one stopped.
        e.write(&[0x00, 0xFF]).unwrap();
        let mut one = [0u8; 1];
        e.read(&mut one).unwrap();
        assert_eq!(one[0], 0xFF);
        e.read(&mut one).unwrap();
        assert_eq!(one[0], b'h');
    }

    #[test]
    fn page_write_wraps_within_the_page() {
        let mut e = Eeprom24c32::new();
        // Start 2 bytes before the end of page 1 (0x20..0x40) and write 4 bytes.
        e.write(&[0x00, 0x3E, 1, 2, 3, 4]).unwrap();
        assert_eq!(&e.contents()[0x3E..0x40], &[1, 2]);
        assert_eq!(&e.contents()[0x20..0x22], &[3, 4]);
        assert_eq!(e.contents()[0x40], 0xFF, "the next page is untouched");
    }

    #[test]
    fn addresses_wrap_at_4k_and_reads_wrap_at_the_end() {
        let mut e = Eeprom24c32::new();
        // 0xF000 | 0x0FFF: the top bits are ignored.
        e.write(&[0xFF, 0xFF, 0xAB]).unwrap();
        assert_eq!(e.contents()[SIZE - 1], 0xAB);
        e.write(&[0x0F, 0xFF]).unwrap();
        let mut buf = [0u8; 2];
        e.read(&mut buf).unwrap();
        assert_eq!(buf, [0xAB, 0xFF]);
        assert_eq!(e.observe()[0], ("address", 1.0));
    }
}
