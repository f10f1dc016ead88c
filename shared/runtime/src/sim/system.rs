use alloc::vec::Vec;

use crate::board::System;

/// A simulated chip: a seeded PRNG (reproducible runs), a crash marker in memory.
pub struct SimSystem {
    seed: u64,
    marker: Vec<u8>,
    mac: [u8; 6],
    pub reboot_requested: bool,
}

impl SimSystem {
    pub fn new(seed: u64, mac: [u8; 6]) -> SimSystem {
        SimSystem {
            seed: seed | 1,
            marker: Vec::new(),
            mac,
            reboot_requested: false,
        }
    }
}

impl System for SimSystem {
    fn random(&mut self, buf: &mut [u8]) {
        for b in buf {
            // xorshift64*
            self.seed ^= self.seed >> 12;
            self.seed ^= self.seed << 25;
            self.seed ^= self.seed >> 27;
            *b = (self.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8;
        }
    }
    fn crash_marker(&mut self) -> Option<Vec<u8>> {
        (!self.marker.is_empty()).then(|| self.marker.clone())
    }
    fn set_crash_marker(&mut self, marker: &[u8]) {
        self.marker = marker.to_vec();
    }
    fn request_reboot(&mut self) {
        self.reboot_requested = true;
    }
    fn mac(&self) -> [u8; 6] {
        self.mac
    }
}
