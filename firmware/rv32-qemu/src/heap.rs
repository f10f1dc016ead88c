//! The heap: the firmware's allocator (`esp-alloc`, its default linked-list algorithm) over the
//! RAM between the stack and the runner's inputs, so that what the engine takes here is what it
//! takes on the chip (the linked-list allocator keeps no block headers; it rounds each block to
//! 8 bytes).

use esp_alloc::{HeapRegion, MemoryCapability, HEAP};

extern "C" {
    static __heap_start: u8;
    static __heap_end: u8;
}

pub fn init() {
    // SAFETY: the link script reserves this range for the heap alone; it is handed over once.
    unsafe {
        let start = (&raw const __heap_start) as usize;
        let end = (&raw const __heap_end) as usize;
        HEAP.add_region(HeapRegion::new(
            start as *mut u8,
            end - start,
            MemoryCapability::Internal.into(),
        ));
    }
}

/// Bytes in use now, block overheads included.
pub fn used() -> usize {
    HEAP.used()
}

/// The most bytes in use at once so far.
pub fn peak() -> usize {
    HEAP.stats().max_usage
}
