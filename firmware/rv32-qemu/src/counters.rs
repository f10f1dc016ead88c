//! The instructions the CPU has retired (`minstret`): under `qemu -icount shift=0` an exact
//! count of the engine's work, the same whatever the host machine's speed.

pub fn instructions() -> u64 {
    loop {
        let (hi, lo, hi2): (u32, u32, u32);
        // SAFETY: reading the counters has no side effects.
        unsafe {
            core::arch::asm!("csrr {0}, minstreth", "csrr {1}, minstret", "csrr {2}, minstreth",
                out(reg) hi, out(reg) lo, out(reg) hi2);
        }
        if hi == hi2 {
            return (u64::from(hi) << 32) | u64::from(lo);
        }
    }
}
