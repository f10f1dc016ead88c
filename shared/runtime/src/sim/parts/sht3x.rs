//! An SHT3x-style temperature and humidity sensor: a single-shot measurement command
//! (`0x24 0x00`, or any other single-shot code) makes the next reads return
//! `T_msb T_lsb CRC H_msb H_lsb CRC`, with Sensirion's CRC-8 (polynomial 0x31, init 0xFF).
//! Reading without a measurement pending is not acknowledged, as on the part.

use alloc::format;
use alloc::vec::Vec;

use crate::board::{BoardError, BoardResult};
use crate::sim::I2cDevice;

/// Sensirion's CRC-8: polynomial 0x31, initial value 0xFF, no reflection, no final XOR.
pub fn crc8(data: &[u8]) -> u8 {
    let mut crc: u8 = 0xFF;
    for b in data {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x31
            } else {
                crc << 1
            };
        }
    }
    crc
}

pub struct Sht3x {
    /// Degrees Celsius the sensor measures (-45..=130).
    pub temperature: f64,
    /// Relative humidity in percent (0..=100).
    pub humidity: f64,
    /// Bytes of the last measurement (or status read) not yet read.
    pending: Vec<u8>,
    /// Measurements made, for panels.
    measurements: u32,
}

impl Default for Sht3x {
    fn default() -> Self {
        Sht3x::new()
    }
}

impl Sht3x {
    pub fn new() -> Sht3x {
        Sht3x {
            temperature: 22.5,
            humidity: 45.0,
            pending: Vec::new(),
            measurements: 0,
        }
    }

    fn word(v: u16) -> [u8; 3] {
        let b = v.to_be_bytes();
        [b[0], b[1], crc8(&b)]
    }

    fn measure(&mut self) {
        let t = crate::num::round((self.temperature.clamp(-45.0, 130.0) + 45.0) / 175.0 * 65535.0)
            as u16;
        let h = crate::num::round(self.humidity.clamp(0.0, 100.0) / 100.0 * 65535.0) as u16;
        self.pending.clear();
        self.pending.extend_from_slice(&Self::word(t));
        self.pending.extend_from_slice(&Self::word(h));
        self.measurements += 1;
    }
}

impl I2cDevice for Sht3x {
    fn write(&mut self, data: &[u8]) -> BoardResult<()> {
        match data {
            // An address-only probe.
            [] => Ok(()),
            // Single shot, clock stretching on (0x2C) or off (0x24), any repeatability.
            [0x24, 0x00 | 0x0B | 0x16] | [0x2C, 0x06 | 0x0D | 0x10] => {
                self.measure();
                Ok(())
            }
            // Soft reset, clear status.
            [0x30, 0xA2] | [0x30, 0x41] => {
                self.pending.clear();
                Ok(())
            }
            // Read the status register: no alert, last command processed, checksum ok.
            [0xF3, 0x2D] => {
                self.pending = Self::word(0x0000).to_vec();
                Ok(())
            }
            _ => Err(BoardError::NoResponse(format!(
                "SHT3x does not know command {data:02x?}"
            ))),
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> BoardResult<()> {
        if self.pending.is_empty() {
            return Err(BoardError::NoResponse(
                "SHT3x has no measurement to read (send 0x24 0x00 first)".into(),
            ));
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        // Reading past the data returns what the bus floats to.
        buf[n..].fill(0xFF);
        self.pending.drain(..n);
        Ok(())
    }

    fn set(&mut self, what: &str, value: f64) -> bool {
        if !value.is_finite() {
            return false;
        }
        match what {
            "temperature" => self.temperature = value,
            "humidity" => self.humidity = value,
            _ => return false,
        }
        true
    }

    fn observe(&self) -> Vec<(&'static str, f64)> {
        alloc::vec![
            ("temperature", self.temperature),
            ("humidity", self.humidity),
            ("measurements", self.measurements as f64),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_of_datasheet_example() {
        // The SHT3x datasheet: CRC of 0xBEEF is 0x92.
        assert_eq!(crc8(&[0xBE, 0xEF]), 0x92);
    }

    #[test]
    fn measurement_round_trip() {
        let mut s = Sht3x::new();
        assert!(s.set("temperature", 30.0));
        assert!(s.set("humidity", 60.0));
        assert!(!s.set("pressure", 1.0));
        let mut buf = [0u8; 6];
        assert!(s.read(&mut buf).is_err(), "no measurement yet");
        s.write(&[0x24, 0x00]).unwrap();
        s.read(&mut buf).unwrap();
        assert_eq!(crc8(&buf[0..2]), buf[2]);
        assert_eq!(crc8(&buf[3..5]), buf[5]);
        let t = -45.0 + 175.0 * u16::from_be_bytes([buf[0], buf[1]]) as f64 / 65535.0;
        let h = 100.0 * u16::from_be_bytes([buf[3], buf[4]]) as f64 / 65535.0;
        assert!((t - 30.0).abs() < 0.01, "{t}");
        assert!((h - 60.0).abs() < 0.01, "{h}");
        assert!(s.read(&mut buf).is_err(), "data is read once");
        assert!(s.write(&[0x12]).is_err());
    }

    #[test]
    fn byte_by_byte_reads_continue() {
        let mut s = Sht3x::new();
        s.write(&[0x2C, 0x06]).unwrap();
        let mut all = [0u8; 6];
        for b in all.iter_mut() {
            let mut one = [0u8; 1];
            s.read(&mut one).unwrap();
            *b = one[0];
        }
        assert_eq!(crc8(&all[0..2]), all[2]);
    }
}
