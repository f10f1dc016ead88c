//! The heap: every byte of the C3's data RAM that neither the firmware's statics nor the main
//! stack need, handed to `esp-alloc` as two regions.
//!
//! - **Main region**, a static array in `.bss` of [`MAIN_HEAP_BYTES`]. esp-hal's linker script
//!   gives the main stack everything of DRAM (313 KiB from 0x3FC8_0000) that `.data` and `.bss`
//!   leave, so this constant trades heap for stack. `.cargo/config.toml` sets
//!   `ESP_HAL_CONFIG_ENSURE_MAIN_STACK_MINIMUM`, so a heap that leaves the stack less than that
//!   fails the link instead of overflowing at run time.
//! - **Reclaimed region** (`dram2_seg`, about 64 KiB below the ROM's data): used by the
//!   second-stage bootloader, free once the app runs.
//!
//! [`layout`] reports the arithmetic (from linker symbols) that the boot banner prints.
//!
//! Must never: be called twice, or hand out memory the stack or the ROM uses.

use esp_alloc::{HeapRegion, MemoryCapability, HEAP};

/// The main region's size. DRAM is 313 KiB; RAM code (39 KiB, most of it the radio's) and
/// `.data` + `.bss` besides the heap (20 KiB) come first; the rest (at least
/// `ESP_HAL_CONFIG_ENSURE_MAIN_STACK_MINIMUM`, 48 KiB; 55 KiB today) is the stack. The
/// engine's parser and interpreter recurse on the native stack (bounded by
/// `ferrite_runtime::SCRIPT_MAX_NESTING`), so the stack is not made smaller than that.
pub const MAIN_HEAP_BYTES: usize = 200 * 1024;

/// The region the bootloader used (`dram2_seg` in esp-hal's memory map: from the end of DRAM to
/// 0x3FCD_E710, where the ROM's data begins).
pub const RECLAIMED_HEAP_BYTES: usize = 0x3FCD_E710 - (0x3FC8_0000 + 313 * 1024);

#[repr(align(4))]
struct Region<const N: usize>([u8; N]);

static mut MAIN_HEAP: core::mem::MaybeUninit<Region<MAIN_HEAP_BYTES>> =
    core::mem::MaybeUninit::uninit();

#[esp_hal::ram(reclaimed)]
static mut RECLAIMED_HEAP: core::mem::MaybeUninit<Region<RECLAIMED_HEAP_BYTES>> =
    core::mem::MaybeUninit::uninit();

/// Hand both regions to the allocator. Call once, first thing after `esp_hal::init`.
pub fn init() {
    // SAFETY: called once at boot before any allocation; the two statics are used by nothing
    // else, and each region is handed to the allocator exactly once.
    unsafe {
        HEAP.add_region(HeapRegion::new(
            (&raw mut MAIN_HEAP).cast::<u8>(),
            MAIN_HEAP_BYTES,
            MemoryCapability::Internal.into(),
        ));
        HEAP.add_region(HeapRegion::new(
            (&raw mut RECLAIMED_HEAP).cast::<u8>(),
            RECLAIMED_HEAP_BYTES,
            MemoryCapability::Internal.into(),
        ));
    }
}

/// How RAM is divided, in bytes, for the banner and `Sys.GetStatus`.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// The heap (both regions).
    pub heap: usize,
    /// The main stack: from the end of `.bss` to the end of DRAM.
    pub stack: usize,
    /// `.data` + `.bss` + the RAM code, without the heap.
    pub statics: usize,
}

/// The division of RAM, read from the linker's symbols.
pub fn layout() -> Layout {
    unsafe extern "C" {
        static _stack_end_cpu0: u32;
        static _stack_start_cpu0: u32;
    }
    let stack_bottom = (&raw const _stack_end_cpu0) as usize;
    let stack_top = (&raw const _stack_start_cpu0) as usize;
    let dram_start = 0x3FC8_0000usize;
    let stack = stack_top - stack_bottom;
    Layout {
        heap: MAIN_HEAP_BYTES + RECLAIMED_HEAP_BYTES,
        stack,
        statics: (stack_bottom - dram_start).saturating_sub(MAIN_HEAP_BYTES),
    }
}

/// Stack kept below the engine's floor: the deepest stretch of frames between two of the
/// engine's checks (one parser level, up to about 3 KiB on this build by the frames in its
/// disassembly, then a leaf such as the lexer's number parsing, 1.7 KiB; a native called at
/// the last checked call level is less), interrupt handlers, which run on this stack, and
/// esp-hal's stack guard word 60 bytes above the bottom.
const STACK_MARGIN: usize = 10 * 1024;

/// The lowest address scripts' parsing, compiling and nested calls may reach on the main stack
/// (`RuntimeConfig::stack_floor`): deeper, they fail with "nesting too deep" or "Maximum call
/// stack size exceeded" instead of overflowing into esp-hal's stack guard, a panic and a
/// restart. A parenthesised expression level takes about 2 KiB of this build's stack, so
/// scripts nest about 20 levels deep here, not the 64 `SCRIPT_MAX_NESTING` allows elsewhere.
pub fn stack_floor() -> usize {
    unsafe extern "C" {
        static _stack_end_cpu0: u32;
    }
    (&raw const _stack_end_cpu0) as usize + STACK_MARGIN
}

/// Bytes free in the heap now.
pub fn free() -> usize {
    HEAP.free()
}

/// The least the heap has had free since boot (esp-alloc's `internal-heap-stats`: the most it
/// held at once): what the radio, the network and scripts took at their peak together.
pub fn min_free() -> usize {
    let stats = HEAP.stats();
    stats.size.saturating_sub(stats.max_usage)
}

/// Bytes at the stack's end left unpainted: esp-hal's stack guard word lives there (60 bytes
/// above the end).
const UNPAINTED: usize = 256;
/// What [`paint_stack`] writes: a word the deepest frames overwrite.
const PAINT: u32 = 0x5AA5_C33C;

/// Fill the unused main stack, from [`UNPAINTED`] bytes above its end to a little below this
/// call's frame, with [`PAINT`], so that [`stack_min_free`] can tell how deep the stack has
/// been since. Call once, first thing in `main`, before anything runs deep.
#[inline(never)]
pub fn paint_stack() {
    unsafe extern "C" {
        static _stack_end_cpu0: u32;
    }
    let here = 0u8;
    // A little below this frame: what this function and an interrupt may use while it paints.
    let top = (&raw const here as usize).saturating_sub(512) & !3;
    let bottom = (&raw const _stack_end_cpu0) as usize + UNPAINTED;
    critical_section::with(|_| {
        let mut at = bottom;
        while at < top {
            // SAFETY: `bottom..top` is the main stack below this call's frame: memory no live
            // frame or object uses (interrupts are off meanwhile), word-aligned.
            unsafe { core::ptr::write_volatile(at as *mut u32, PAINT) };
            at += 4;
        }
    });
}

/// Bytes at the main stack's end that no frame has reached since [`paint_stack`] (0 when the
/// deepest frame came within [`UNPAINTED`] bytes of the end): the margin left at the deepest
/// point, for `Sys.GetStatus`'s `stack_min_free`.
pub fn stack_min_free() -> usize {
    unsafe extern "C" {
        static _stack_end_cpu0: u32;
        static _stack_start_cpu0: u32;
    }
    let bottom = (&raw const _stack_end_cpu0) as usize + UNPAINTED;
    let top = (&raw const _stack_start_cpu0) as usize;
    let mut at = bottom;
    // SAFETY: reads of the main stack's words below every live frame of this scan (the
    // first word that is not the paint ends it, at the latest at the deepest point reached);
    // word-aligned and inside DRAM.
    while at < top && unsafe { core::ptr::read_volatile(at as *const u32) } == PAINT {
        at += 4;
    }
    if at == bottom {
        0
    } else {
        at - bottom + UNPAINTED
    }
}

/// Bytes the heap holds in all.
pub fn total() -> usize {
    MAIN_HEAP_BYTES + RECLAIMED_HEAP_BYTES
}
