//! An MCP23017 16-bit I/O expander in IOCON.BANK=0 addressing: registers in A/B pairs, a
//! register pointer that the first byte of a write sets and that advances with every byte
//! read or written (unless IOCON.SEQOP), pull-ups, input polarity, and interrupt-on-change
//! (against the previous level or DEFVAL) with INTF/INTCAP. Pins the outside drives are set
//! with `set("pin<n>", 0|1)` (`-1`: released to the pull-up or low); changes that raise an
//! interrupt are reported through [`I2cDevice::take_interrupts`].

use alloc::vec::Vec;

use crate::board::BoardResult;
use crate::sim::I2cDevice;

pub const IODIRA: u8 = 0x00;
pub const IPOLA: u8 = 0x02;
pub const GPINTENA: u8 = 0x04;
pub const DEFVALA: u8 = 0x06;
pub const INTCONA: u8 = 0x08;
pub const IOCON: u8 = 0x0A;
pub const GPPUA: u8 = 0x0C;
pub const INTFA: u8 = 0x0E;
pub const INTCAPA: u8 = 0x10;
pub const GPIOA: u8 = 0x12;
pub const OLATA: u8 = 0x14;
/// Registers in BANK=0 addressing (0x00..=0x15).
const REGS: u8 = 0x16;
/// IOCON.SEQOP: the register pointer does not advance.
const SEQOP: u8 = 0x20;

const PIN_NAMES: [&str; 16] = [
    "pin0", "pin1", "pin2", "pin3", "pin4", "pin5", "pin6", "pin7", "pin8", "pin9", "pin10",
    "pin11", "pin12", "pin13", "pin14", "pin15",
];

pub struct Mcp23017 {
    /// 16-bit registers, port A in the low byte: direction (1 = input), polarity, interrupt
    /// enable, compare value, interrupt control, pull-ups, flags, captures, latches.
    iodir: u16,
    ipol: u16,
    gpinten: u16,
    defval: u16,
    intcon: u16,
    gppu: u16,
    intf: u16,
    intcap: u16,
    olat: u16,
    iocon: u8,
    /// Levels the outside drives (bit set in `driven_mask`).
    driven: u16,
    driven_mask: u16,
    /// Register pointer.
    ptr: u8,
    /// Interrupts not yet taken: (pin, level).
    irqs: Vec<(u32, bool)>,
    /// Pin levels when last evaluated (for change detection).
    last: u16,
}

impl Default for Mcp23017 {
    fn default() -> Self {
        Mcp23017::new()
    }
}

impl Mcp23017 {
    /// The power-on state: all pins inputs, everything else zero.
    pub fn new() -> Mcp23017 {
        let mut m = Mcp23017 {
            iodir: 0xFFFF,
            ipol: 0,
            gpinten: 0,
            defval: 0,
            intcon: 0,
            gppu: 0,
            intf: 0,
            intcap: 0,
            olat: 0,
            iocon: 0,
            driven: 0,
            driven_mask: 0,
            ptr: 0,
            irqs: Vec::new(),
            last: 0,
        };
        m.last = m.levels();
        m
    }

    /// The electrical level of every pin: outputs drive their latch, inputs read what the
    /// outside drives, else their pull-up (or low).
    pub fn levels(&self) -> u16 {
        let input = (self.driven & self.driven_mask) | (self.gppu & !self.driven_mask);
        (self.olat & !self.iodir) | (input & self.iodir)
    }

    /// What GPIO reads: inputs with their polarity applied.
    fn gpio(&self) -> u16 {
        self.levels() ^ (self.ipol & self.iodir)
    }

    /// Raise interrupts for enabled inputs whose level changed (INTCON=0) or differs from
    /// DEFVAL (INTCON=1).
    fn evaluate(&mut self) {
        let now = self.levels();
        let changed = now ^ self.last;
        let mismatch = now ^ self.defval;
        let enabled = self.gpinten & self.iodir;
        let fire = enabled & ((changed & !self.intcon) | (mismatch & self.intcon & changed));
        if fire != 0 {
            if self.intf == 0 {
                self.intcap = self.gpio();
            }
            self.intf |= fire;
            for pin in 0..16 {
                if fire & (1 << pin) != 0 {
                    self.irqs.push((pin, now & (1 << pin) != 0));
                }
            }
        }
        self.last = now;
    }

    fn pair(&mut self, reg: u8) -> Option<&mut u16> {
        Some(match reg & !1 {
            IODIRA => &mut self.iodir,
            IPOLA => &mut self.ipol,
            GPINTENA => &mut self.gpinten,
            DEFVALA => &mut self.defval,
            INTCONA => &mut self.intcon,
            GPPUA => &mut self.gppu,
            INTFA => &mut self.intf,
            INTCAPA => &mut self.intcap,
            GPIOA | OLATA => &mut self.olat,
            _ => return None,
        })
    }

    fn read_reg(&mut self, reg: u8) -> u8 {
        let shift = (reg & 1) * 8;
        let v = match reg & !1 {
            IOCON => return self.iocon,
            GPIOA => {
                // Reading GPIO or INTCAP clears the port's interrupt flags.
                let v = self.gpio();
                self.intf &= !(0xFF << shift);
                v
            }
            INTCAPA => {
                let v = self.intcap;
                self.intf &= !(0xFF << shift);
                v
            }
            _ => self.pair(reg).map_or(0, |r| *r),
        };
        (v >> shift) as u8
    }

    fn write_reg(&mut self, reg: u8, v: u8) {
        let shift = (reg & 1) * 8;
        match reg & !1 {
            IOCON => self.iocon = v & 0xFE,
            // Flags and captures are read-only.
            INTFA | INTCAPA => {}
            _ => {
                if let Some(r) = self.pair(reg) {
                    *r = (*r & !(0xFF << shift)) | ((v as u16) << shift);
                }
            }
        }
        self.evaluate();
    }

    fn advance(&mut self) {
        if self.iocon & SEQOP == 0 {
            self.ptr = (self.ptr + 1) % REGS;
        }
    }
}

impl I2cDevice for Mcp23017 {
    fn write(&mut self, data: &[u8]) -> BoardResult<()> {
        let Some((&reg, rest)) = data.split_first() else {
            return Ok(());
        };
        self.ptr = reg % REGS;
        for &b in rest {
            self.write_reg(self.ptr, b);
            self.advance();
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> BoardResult<()> {
        for b in buf.iter_mut() {
            *b = self.read_reg(self.ptr);
            self.advance();
        }
        Ok(())
    }

    fn set(&mut self, what: &str, value: f64) -> bool {
        let Some(pin) = what
            .strip_prefix("pin")
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|p| *p < 16)
        else {
            return false;
        };
        let bit = 1u16 << pin;
        if value < 0.0 {
            self.driven_mask &= !bit;
        } else {
            self.driven_mask |= bit;
            if value != 0.0 {
                self.driven |= bit;
            } else {
                self.driven &= !bit;
            }
        }
        self.evaluate();
        true
    }

    fn observe(&self) -> Vec<(&'static str, f64)> {
        let levels = self.levels();
        let mut v: Vec<(&'static str, f64)> = PIN_NAMES
            .iter()
            .enumerate()
            .map(|(i, n)| (*n, ((levels >> i) & 1) as f64))
            .collect();
        v.push(("iodir", self.iodir as f64));
        v.push(("olat", self.olat as f64));
        v
    }

    fn take_interrupts(&mut self) -> Vec<(u32, bool)> {
        core::mem::take(&mut self.irqs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(m: &mut Mcp23017, r: u8) -> u8 {
        m.write(&[r]).unwrap();
        let mut b = [0u8];
        m.read(&mut b).unwrap();
        b[0]
    }

    #[test]
    fn power_on_and_sequential_registers() {
        let mut m = Mcp23017::new();
        assert_eq!(reg(&mut m, IODIRA), 0xFF);
        assert_eq!(reg(&mut m, IODIRA + 1), 0xFF);
        // One write sets IODIRA and IODIRB (sequential pointer).
        m.write(&[IODIRA, 0x0F, 0xF0]).unwrap();
        m.write(&[IODIRA]).unwrap();
        let mut two = [0u8; 2];
        m.read(&mut two).unwrap();
        assert_eq!(two, [0x0F, 0xF0]);
        // With SEQOP the pointer stays.
        m.write(&[IOCON, SEQOP]).unwrap();
        m.write(&[IODIRA]).unwrap();
        m.read(&mut two).unwrap();
        assert_eq!(two, [0x0F, 0x0F]);
    }

    #[test]
    fn outputs_latch_and_inputs_follow_the_outside() {
        let mut m = Mcp23017::new();
        m.write(&[IODIRA, 0x00]).unwrap(); // port A outputs
        m.write(&[GPIOA, 0xA5]).unwrap(); // writes OLATA
        assert_eq!(reg(&mut m, OLATA), 0xA5);
        assert_eq!(reg(&mut m, GPIOA), 0xA5);
        // Port B inputs: floating reads 0, pull-ups 1, driven pins what is driven.
        assert_eq!(reg(&mut m, GPIOA + 1), 0x00);
        m.write(&[GPPUA + 1, 0x03]).unwrap();
        assert_eq!(reg(&mut m, GPIOA + 1), 0x03);
        assert!(m.set("pin8", 0.0));
        assert!(m.set("pin15", 1.0));
        assert_eq!(reg(&mut m, GPIOA + 1), 0x82);
        // Polarity inverts inputs only.
        m.write(&[IPOLA + 1, 0x80]).unwrap();
        assert_eq!(reg(&mut m, GPIOA + 1), 0x02);
        assert!(!m.set("pin16", 1.0));
        assert!(!m.set("led", 1.0));
    }

    #[test]
    fn interrupt_on_change_sets_flags_and_reports() {
        let mut m = Mcp23017::new();
        m.write(&[GPINTENA, 0x01]).unwrap();
        m.set("pin1", 1.0); // not enabled
        assert!(m.take_interrupts().is_empty());
        m.set("pin0", 1.0);
        assert_eq!(m.take_interrupts(), alloc::vec![(0, true)]);
        assert_eq!(reg(&mut m, INTFA), 0x01);
        // INTCAP holds the port at the interrupt; reading it clears INTF.
        assert_eq!(reg(&mut m, INTCAPA), 0x03);
        assert_eq!(reg(&mut m, INTFA), 0x00);
        m.set("pin0", 0.0);
        assert_eq!(m.take_interrupts(), alloc::vec![(0, false)]);
        // Compare against DEFVAL: only a change away from 0 fires.
        m.write(&[INTCONA, 0x01]).unwrap();
        m.set("pin0", 1.0);
        m.set("pin0", 0.0);
        assert_eq!(m.take_interrupts(), alloc::vec![(0, true)]);
    }
}
