//! A simulated NOR flash for the tests: enforces the NOR rules (a write may only clear bits, in
//! whole aligned units; erase sets a sector to 0xFF) and can cut the power after a number of
//! programmed units or erases. At the cut, the unit being programmed gets a random part of its
//! intended zero bits, a sector being erased is left holding random bytes, and every later
//! operation fails until the test restores power.
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

use ferrite_flash_store::{Flash, FlashError};

pub struct SimState {
    pub mem: Vec<u8>,
    /// Steps (programmed units and erases) allowed before the power fails; `None`: never.
    pub budget: Option<u64>,
    /// Steps done since the budget was set.
    pub steps: u64,
    pub dead: bool,
    pub rng: Rng,
}

#[derive(Clone)]
pub struct SimFlash<const SECTOR: u32> {
    pub state: Rc<RefCell<SimState>>,
}

impl<const SECTOR: u32> SimFlash<SECTOR> {
    /// Erased flash of `sectors` sectors.
    pub fn new(sectors: u32, seed: u64) -> Self {
        Self::with_content(vec![0xFF; (sectors * SECTOR) as usize], seed)
    }
    pub fn with_content(mem: Vec<u8>, seed: u64) -> Self {
        SimFlash {
            state: Rc::new(RefCell::new(SimState {
                mem,
                budget: None,
                steps: 0,
                dead: false,
                rng: Rng(seed | 1),
            })),
        }
    }
    /// Another handle on the same chip (what a reboot mounts).
    pub fn handle(&self) -> Self {
        self.clone()
    }
    /// Power on again, with the power failing after `budget` more steps (`None`: never).
    pub fn power_on(&self, budget: Option<u64>) {
        let mut s = self.state.borrow_mut();
        s.dead = false;
        s.budget = budget;
        s.steps = 0;
    }
    pub fn steps(&self) -> u64 {
        self.state.borrow().steps
    }
    pub fn is_dead(&self) -> bool {
        self.state.borrow().dead
    }
    pub fn image(&self) -> Vec<u8> {
        self.state.borrow().mem.clone()
    }
    pub fn set_image(&self, mem: &[u8]) {
        self.state.borrow_mut().mem.copy_from_slice(mem);
    }
}

impl SimState {
    /// Count a step; `true` when the power fails at this one.
    fn cut_now(&mut self) -> bool {
        let cut = self.budget.is_some_and(|b| self.steps >= b);
        self.steps += 1;
        if cut {
            self.dead = true;
        }
        cut
    }
}

pub const WRITE_UNIT: u32 = 4;

impl<const SECTOR: u32> Flash for SimFlash<SECTOR> {
    const SECTOR: u32 = SECTOR;
    const WRITE_UNIT: u32 = WRITE_UNIT;
    fn capacity(&self) -> u32 {
        self.state.borrow().mem.len() as u32
    }
    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), FlashError> {
        let s = self.state.borrow();
        if s.dead {
            return Err(FlashError("power cut"));
        }
        let at = offset as usize;
        assert!(
            at + buf.len() <= s.mem.len(),
            "read beyond the flash at {at}"
        );
        buf.copy_from_slice(&s.mem[at..at + buf.len()]);
        Ok(())
    }
    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), FlashError> {
        let mut s = self.state.borrow_mut();
        if s.dead {
            return Err(FlashError("power cut"));
        }
        assert!(
            offset.is_multiple_of(WRITE_UNIT),
            "misaligned write at {offset}"
        );
        assert!(
            data.len().is_multiple_of(WRITE_UNIT as usize),
            "write of {} bytes",
            data.len()
        );
        let at = offset as usize;
        assert!(
            at + data.len() <= s.mem.len(),
            "write beyond the flash at {at}"
        );
        for (u, unit) in data.chunks(WRITE_UNIT as usize).enumerate() {
            let base = at + u * WRITE_UNIT as usize;
            for (i, &b) in unit.iter().enumerate() {
                let old = s.mem[base + i];
                assert!(
                    old & b == b,
                    "0->1 write without erase at {}: {old:#04x} <- {b:#04x}",
                    base + i
                );
            }
            if s.cut_now() {
                for (i, &b) in unit.iter().enumerate() {
                    let noise = s.rng.next() as u8;
                    s.mem[base + i] &= b | noise;
                }
                return Err(FlashError("power cut"));
            }
            for (i, &b) in unit.iter().enumerate() {
                s.mem[base + i] &= b;
            }
        }
        Ok(())
    }
    fn erase(&mut self, offset: u32) -> Result<(), FlashError> {
        let mut s = self.state.borrow_mut();
        if s.dead {
            return Err(FlashError("power cut"));
        }
        assert!(
            offset.is_multiple_of(SECTOR),
            "misaligned erase at {offset}"
        );
        let at = offset as usize;
        let cut = s.cut_now();
        for i in at..at + SECTOR as usize {
            s.mem[i] = if cut { s.rng.next() as u8 } else { 0xFF };
        }
        if cut {
            return Err(FlashError("power cut"));
        }
        Ok(())
    }
}

/// xorshift64*: deterministic test randomness.
#[derive(Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}
