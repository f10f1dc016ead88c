//! A simulated NOR flash for the tests: enforces the NOR rules (a write may only clear bits, in
//! whole aligned units; erase sets a sector to 0xFF) and can cut the power after a number of
//! programmed units or erases. At the cut, the unit being programmed gets a random part of its
//! intended zero bits, a sector being erased is left in 64-byte parts each erased, as it was or
//! random (a torn erase), and every later operation fails until the test restores power. It can also fail one step with the power on
//! (an I/O error or timeout, as esp-storage reports them): that unit or sector is left the same
//! way, the call returns an error, and everything after it works. It counts the reads and
//! programs between two calls of `keep_alive`, and erases not directly preceded by one.
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
    /// The step (counted like `budget`) that fails with the power on; cleared when it has.
    pub fail_at: Option<u64>,
    /// Reads and programs since the last `keep_alive`, and the most seen between two.
    pub since_keep_alive: u64,
    pub most_between_keep_alives: u64,
    pub keep_alives: u64,
    /// Erases with a read or program since the last `keep_alive`.
    pub erases_without_keep_alive: u64,
    /// The step number and offset of every erase since power-on (a cut at one of those steps
    /// tears that erase).
    pub erase_steps: Vec<(u64, u32)>,
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
                fail_at: None,
                since_keep_alive: 0,
                most_between_keep_alives: 0,
                keep_alives: 0,
                erases_without_keep_alive: 0,
                erase_steps: Vec::new(),
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
        s.erase_steps.clear();
    }
    /// Fail the step `after` steps from now with an I/O error, the power staying on.
    pub fn fail_after(&self, after: u64) {
        let mut s = self.state.borrow_mut();
        s.fail_at = Some(s.steps + after);
    }
    /// Whether the injected failure has happened.
    pub fn failed(&self) -> bool {
        self.state.borrow().fail_at.is_none()
    }
    pub fn steps(&self) -> u64 {
        self.state.borrow().steps
    }
    /// The step number and offset of each erase since power-on.
    pub fn erase_steps(&self) -> Vec<(u64, u32)> {
        self.state.borrow().erase_steps.clone()
    }
    /// Seed the randomness of what cut-short programs and erases leave.
    pub fn reseed(&self, seed: u64) {
        self.state.borrow_mut().rng = Rng(seed | 1);
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

/// What happens at one step.
#[derive(PartialEq)]
enum Step {
    Done,
    /// The power fails.
    Cut,
    /// An I/O error with the power on.
    Fail,
}

impl SimState {
    /// Count a step and say whether it completes.
    fn step(&mut self) -> Step {
        let cut = self.budget.is_some_and(|b| self.steps >= b);
        let fail = self.fail_at == Some(self.steps);
        self.steps += 1;
        if cut {
            self.dead = true;
            Step::Cut
        } else if fail {
            self.fail_at = None;
            Step::Fail
        } else {
            Step::Done
        }
    }

    /// Count a read or program for the `keep_alive` checks.
    fn access(&mut self) {
        self.since_keep_alive += 1;
        self.most_between_keep_alives = self.most_between_keep_alives.max(self.since_keep_alive);
    }
}

fn step_error(step: Step) -> FlashError {
    FlashError(if step == Step::Cut {
        "power cut"
    } else {
        "I/O error (injected)"
    })
}

pub const WRITE_UNIT: u32 = 4;
/// The parts a cut-short erase leaves each erased, as they were, or random.
const TORN_ERASE_BLOCK: usize = 64;

impl<const SECTOR: u32> Flash for SimFlash<SECTOR> {
    const SECTOR: u32 = SECTOR;
    const WRITE_UNIT: u32 = WRITE_UNIT;
    fn capacity(&self) -> u32 {
        self.state.borrow().mem.len() as u32
    }
    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), FlashError> {
        let mut s = self.state.borrow_mut();
        s.access();
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
        s.access();
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
            let step = s.step();
            if step != Step::Done {
                for (i, &b) in unit.iter().enumerate() {
                    let noise = s.rng.next() as u8;
                    s.mem[base + i] &= b | noise;
                }
                return Err(step_error(step));
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
        if s.since_keep_alive > 0 {
            s.erases_without_keep_alive += 1;
        }
        let at = offset as usize;
        let n = s.steps;
        s.erase_steps.push((n, offset));
        let step = s.step();
        if step == Step::Done {
            s.mem[at..at + SECTOR as usize].fill(0xFF);
            return Ok(());
        }
        // Cut short: each block of the sector is erased, still as it was, or anything (a chip
        // may erase a sector in parts, and a cell half-way holds any level).
        for block in (at..at + SECTOR as usize).step_by(TORN_ERASE_BLOCK) {
            let kind = s.rng.below(3);
            for i in block..block + TORN_ERASE_BLOCK {
                match kind {
                    0 => s.mem[i] = 0xFF,
                    1 => {}
                    _ => s.mem[i] = s.rng.next() as u8,
                }
            }
        }
        Err(step_error(step))
    }
    fn keep_alive(&mut self) {
        let mut s = self.state.borrow_mut();
        s.since_keep_alive = 0;
        s.keep_alives += 1;
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
