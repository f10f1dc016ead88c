//! Reset and traps on QEMU's `virt` machine, in machine mode: `_start` sets the stack, clears
//! `.bss`, guards the stack's bottom and calls [`crate::main`]; a trap (a fault, an illegal
//! instruction, the stack run into its guard) prints its cause and ends QEMU with
//! [`Exit::Trap`]; the end of a run is [`exit`], through the machine's test device.

use core::arch::global_asm;

global_asm!(
    r#"
    .section .text.start, "ax"
    .globl _start
_start:
    la sp, __stack_top
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sw zero, 0(t0)
    addi t0, t0, 4
    j 1b
2:  la t0, trap_entry
    csrw mtvec, t0
    call {main}
3:  j 3b

    .balign 4
trap_entry:
    la sp, __stack_top
    call {trap}
4:  j 4b
    "#,
    main = sym start_main,
    trap = sym trap_report,
);

extern "C" {
    static __stack_guard: u8;
}

/// How a run ends: QEMU's exit status.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Exit {
    /// The runner did its work (the script's own errors are in its output).
    Done = 0,
    /// The inputs were not what the runner expects (src/inputs.rs).
    BadInput = 2,
    /// A CPU trap: a fault, an illegal instruction, the stack overflowed.
    Trap = 3,
    /// A Rust panic in the engine or the runner (also the allocator out of blocks, which the
    /// engine's budget should prevent).
    Panic = 4,
}

/// The `virt` machine's test device (SiFive's): a write ends QEMU with an exit status.
const TEST_DEVICE: *mut u32 = 0x0010_0000 as *mut u32;

/// End QEMU with this status.
pub fn exit(code: Exit) -> ! {
    let word = match code {
        Exit::Done => 0x5555,
        other => ((other as u32) << 16) | 0x3333,
    };
    // SAFETY: the test device's register, mapped on every `virt` machine.
    unsafe { TEST_DEVICE.write_volatile(word) };
    loop {
        core::hint::spin_loop();
    }
}

/// The guard under the stack: bytes that take no access, also from machine mode (a locked PMP
/// entry), so an overflow traps instead of overwriting `.bss` (no frame of the engine is near its
/// size, and nothing probes the stack, so a frame could step over a smaller one).
pub const GUARD_BYTES: usize = 64 * 1024;

/// Guard the stack's bottom (see [`GUARD_BYTES`]).
fn guard_stack() {
    // The guard's address comes from the link script, aligned to its size.
    let base = (&raw const __stack_guard) as usize;
    // NAPOT: the base's address bits over 4, with the low bits saying the size.
    let addr = (base >> 2) | ((GUARD_BYTES >> 3) - 1);
    // L (locked, so machine mode is checked too) | A = NAPOT | no R, W or X.
    let cfg: usize = 0x80 | 0x18;
    // SAFETY: PMP entry 0 is this runner's; nothing else configures PMP.
    unsafe {
        core::arch::asm!("csrw pmpaddr0, {0}", "csrw pmpcfg0, {1}", in(reg) addr, in(reg) cfg);
    }
}

extern "C" fn start_main() -> ! {
    guard_stack();
    crate::heap::init();
    let code = crate::main();
    exit(code)
}

extern "C" fn trap_report() -> ! {
    let (cause, epc, tval): (usize, usize, usize);
    // SAFETY: reading machine-mode trap CSRs has no side effects.
    unsafe {
        core::arch::asm!("csrr {0}, mcause", "csrr {1}, mepc", "csrr {2}, mtval",
            out(reg) cause, out(reg) epc, out(reg) tval);
    }
    crate::uart::print_fmt(format_args!(
        "\n@@ trap: mcause {cause:#x}, mepc {epc:#010x}, mtval {tval:#010x}\n"
    ));
    exit(Exit::Trap)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    crate::uart::print_fmt(format_args!("\n@@ panic: {}\n", info.message()));
    exit(Exit::Panic)
}
