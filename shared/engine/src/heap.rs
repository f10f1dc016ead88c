//! The garbage-collected heap: a slot table of [`Cell`]s addressed by [`Handle`]s, a byte budget,
//! and a precise mark-sweep collector.
//!
//! The table is a list of chunks of [`CHUNK_SLOTS`] slots, each one allocation made whole and
//! never moved: the table grows by a chunk without copying what it holds, and its largest
//! block is one chunk (8 KiB on a 32-bit target, as `boot_heap.rs` measures) rather than the
//! whole table — a realm's largest allocation, which on a microcontroller's fragmented heap is
//! what fails first.
//!
//! The heap knows how to trace cells but not where the roots are: the VM passes its roots to
//! [`Heap::collect`]. Collection only happens when the VM asks for it at a safe point, so Rust code
//! between safe points may hold `Value`s freely (see the rooting rule in [`crate::engine::NativeFn`]).

use alloc::vec::Vec;

use crate::object::Object;
use crate::string::JsStr;
use crate::value::Value;

/// A handle to a heap cell: an index into the heap's slot table.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Handle(pub u32);

/// A closure environment: the variables of one scope that inner functions capture.
pub struct Env {
    pub parent: Option<Handle>,
    pub slots: Vec<Value>,
}

/// A symbol: its description (a string value or undefined) and, for `Symbol.for`, its registry key.
pub struct Symbol {
    pub description: Value,
    pub registered: bool,
}

/// An accessor property's getter and setter (each a function object or undefined).
pub struct Accessor {
    pub get: Value,
    pub set: Value,
}

pub enum Cell {
    Free(u32),
    Str(JsStr),
    Obj(Object),
    Sym(Symbol),
    Env(Env),
    Accessor(Accessor),
}

struct Slot {
    cell: Cell,
    marked: bool,
}

const NO_FREE: u32 = u32::MAX;
/// Don't collect before the heap holds at least this much.
const MIN_THRESHOLD: usize = 256 * 1024;

/// The allocation failed: the heap budget would be exceeded (or the target's heap floor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory;

/// What a realm must leave free of a target's one fixed heap, which the device's own parts
/// (a radio's buffers, network answers) share with every realm: a realm's growth fails like one
/// past its budget when it would leave the target's allocator fewer than `keep` bytes free.
/// `free` says how many bytes it has free now; it is asked every [`FLOOR_STEP`] bytes of growth.
#[derive(Clone, Copy, Debug)]
pub struct HeapFloor {
    pub free: fn() -> usize,
    pub keep: usize,
}

/// Growth between two looks at the [`HeapFloor`].
pub const FLOOR_STEP: usize = 1024;

/// Within this much of the floor, the next safe point collects garbage first: a script that
/// churns garbage gets room back before the floor fails it.
const FLOOR_COLLECT_MARGIN: usize = 16 * 1024;

pub struct Heap {
    /// The slot table: `len` slots in use, the first in `chunks[0]`; the last chunk's slots from
    /// `len` on are not in use yet (free, but not on the free list).
    chunks: Vec<Chunk>,
    /// Slots in the table (live and free).
    len: usize,
    free_head: u32,
    live_cells: usize,
    budget: usize,
    /// Bytes in use: the exact live size after the last collection plus what was added since.
    used: usize,
    /// Collect at the next safe point once `used` passes this.
    threshold: usize,
    pub collections: usize,
    mark_stack: Vec<Handle>,
    /// Allow allocations into a small reserve beyond the budget (to build the out-of-memory error).
    pub reserve_active: bool,
    /// Collect at every safe point (testing aid).
    pub stress: bool,
    floor: Option<HeapFloor>,
    /// Look at the floor once `used` reaches this (`usize::MAX` without one).
    floor_check_at: usize,
    /// A charge that keeps `used` at most this is taken at once: below the budget and below
    /// `floor_check_at` (the one comparison on the hot path; everything else is in
    /// [`Heap::charge_slow`]).
    fast_limit: usize,
    /// The last failed charge failed at the floor, not at the budget.
    pub floor_hit: bool,
}

/// Bytes beyond the budget usable while `reserve_active` (reporting out-of-memory).
const RESERVE: usize = 16 * 1024;

impl Heap {
    pub fn new(budget: usize) -> Heap {
        Heap {
            chunks: Vec::new(),
            len: 0,
            free_head: NO_FREE,
            live_cells: 0,
            budget,
            used: 0,
            threshold: MIN_THRESHOLD.min(budget / 2),
            collections: 0,
            mark_stack: Vec::new(),
            reserve_active: false,
            stress: false,
            floor: None,
            floor_check_at: usize::MAX,
            fast_limit: budget,
            floor_hit: false,
        }
    }

    fn refresh_fast_limit(&mut self) {
        self.fast_limit = self.budget.min(self.floor_check_at.saturating_sub(1));
    }

    /// From now on, growth must leave `floor.keep` bytes of the target's heap free.
    pub fn set_floor(&mut self, floor: HeapFloor) {
        self.floor = Some(floor);
        self.floor_check_at = self.used;
        self.refresh_fast_limit();
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    /// From now on the budget is what is in use plus `allowance`: a realm's built-ins do not
    /// count against what its script may allocate.
    pub fn rebase_budget(&mut self, allowance: usize) {
        self.budget = self.used.saturating_add(allowance);
        self.refresh_fast_limit();
        self.threshold = self.used + (allowance / 2).min(MIN_THRESHOLD);
    }
    /// Move the budget by `bytes` (more room, or less), for memory that is the realm's and not
    /// the script's: a built-in method made on first use (`Vm::resolve_lazy`).
    pub fn move_budget(&mut self, bytes: isize) {
        self.budget = self.budget.saturating_add_signed(bytes);
        self.refresh_fast_limit();
    }
    pub fn used(&self) -> usize {
        self.used
    }
    pub fn live_cells(&self) -> usize {
        self.live_cells
    }

    /// Account for `bytes` more memory (a growing vector inside a cell). Fails past the budget
    /// (or the floor).
    #[inline]
    /// Account bytes already allocated where failing is not possible (a rope flattened in place
    /// by a read). `used` goes up to the budget at most, so that the next allocation fails with
    /// the out-of-memory error, which the reserve beyond the budget can still build; a
    /// collection then counts the bytes exactly.
    pub fn charge_unrefusable(&mut self, bytes: usize) {
        let cap = self.budget.max(self.used);
        self.used = self.used.saturating_add(bytes).min(cap);
    }

    pub fn charge(&mut self, bytes: usize) -> Result<(), OutOfMemory> {
        if self.used + bytes > self.fast_limit {
            return self.charge_slow(bytes);
        }
        self.used += bytes;
        Ok(())
    }

    /// A charge past the budget (allowed into [`RESERVE`] while building the out-of-memory
    /// error) or due a look at the [`HeapFloor`] (not while building that error).
    #[cold]
    #[inline(never)]
    fn charge_slow(&mut self, bytes: usize) -> Result<(), OutOfMemory> {
        let limit = if self.reserve_active {
            self.budget + RESERVE
        } else {
            self.budget
        };
        if self.used + bytes > limit {
            self.floor_hit = false;
            return Err(OutOfMemory);
        }
        if let Some(floor) = self.floor.filter(|_| !self.reserve_active) {
            if self.used + bytes >= self.floor_check_at {
                let free = (floor.free)();
                if free
                    < floor
                        .keep
                        .saturating_add(bytes)
                        .saturating_add(FLOOR_COLLECT_MARGIN)
                {
                    // Collect at the next safe point (garbage may give the room back).
                    self.threshold = self.threshold.min(self.used.saturating_sub(1));
                }
                if free < floor.keep.saturating_add(bytes) {
                    self.floor_hit = true;
                    return Err(OutOfMemory);
                }
                self.floor_check_at = self.used.saturating_add(bytes).saturating_add(FLOOR_STEP);
                self.refresh_fast_limit();
            }
        }
        self.used += bytes;
        Ok(())
    }

    /// True if the VM should collect at its next safe point.
    #[inline(always)]
    pub fn wants_collection(&self) -> bool {
        self.used > self.threshold || self.stress
    }

    pub fn alloc(&mut self, cell: Cell) -> Result<Handle, OutOfMemory> {
        let size = SLOT_SIZE + cell_payload_size(&cell);
        self.charge(size)?;
        self.live_cells += 1;
        if self.free_head != NO_FREE {
            let i = self.free_head;
            let slot = self.slot_mut(i);
            let next = match slot.cell {
                Cell::Free(next) => next,
                _ => NO_FREE,
            };
            slot.cell = cell;
            slot.marked = false;
            self.free_head = next;
            return Ok(Handle(i));
        }
        if self.len >= (u32::MAX >> 1) as usize {
            self.live_cells -= 1;
            self.used -= size;
            self.floor_hit = false;
            return Err(OutOfMemory);
        }
        if self.len == self.chunks.len() * CHUNK_SLOTS {
            // A new chunk (one allocation of `CHUNK_BYTES`, of which this cell is charged its
            // slot): it must leave the floor too.
            if let Some(floor) = self.floor.filter(|_| !self.reserve_active) {
                if (floor.free)() < floor.keep.saturating_add(CHUNK_BYTES) {
                    self.live_cells -= 1;
                    self.used -= size;
                    self.floor_hit = true;
                    return Err(OutOfMemory);
                }
            }
            // If even that does not fit, the script gets an out-of-memory error, not the
            // target's allocation-failure panic.
            let Some(chunk) = new_chunk().filter(|_| self.chunks.try_reserve(1).is_ok()) else {
                self.live_cells -= 1;
                self.used -= size;
                // The target's own heap is full, whatever the budget says.
                self.floor_hit = true;
                return Err(OutOfMemory);
            };
            self.chunks.push(chunk);
        }
        let i = self.len as u32;
        self.len += 1;
        *self.slot_mut(i) = Slot {
            cell,
            marked: false,
        };
        Ok(Handle(i))
    }

    #[inline(always)]
    fn slot(&self, i: u32) -> &Slot {
        &self.chunks[(i >> CHUNK_SHIFT) as usize][i as usize & CHUNK_MASK]
    }
    #[inline(always)]
    fn slot_mut(&mut self, i: u32) -> &mut Slot {
        &mut self.chunks[(i >> CHUNK_SHIFT) as usize][i as usize & CHUNK_MASK]
    }
    /// The slots in use.
    fn slots_mut(&mut self) -> impl Iterator<Item = &mut Slot> {
        let len = self.len;
        self.chunks.iter_mut().flat_map(|c| c.iter_mut()).take(len)
    }

    /// Give back the spare capacity of every object's property table (a realm calls this once
    /// its built-ins are in place), then count `used` exactly. The slot table has no spare
    /// capacity to give back but the last chunk's rest, which the script's first cells take.
    pub fn compact(&mut self) {
        let mut live_bytes = 0usize;
        for slot in self.slots_mut() {
            if let Cell::Obj(o) = &mut slot.cell {
                o.props.shrink_to_fit();
            }
            if !matches!(slot.cell, Cell::Free(_)) {
                live_bytes += SLOT_SIZE + cell_payload_size(&slot.cell);
            }
        }
        self.chunks.shrink_to_fit();
        self.used = live_bytes;
    }

    #[inline(always)]
    pub fn get(&self, h: Handle) -> &Cell {
        &self.slot(h.0).cell
    }
    #[inline(always)]
    pub fn get_mut(&mut self, h: Handle) -> &mut Cell {
        &mut self.slot_mut(h.0).cell
    }

    #[inline(always)]
    pub fn obj(&self, h: Handle) -> &Object {
        match &self.slot(h.0).cell {
            Cell::Obj(o) => o,
            _ => unreachable_cell(),
        }
    }
    #[inline(always)]
    pub fn obj_mut(&mut self, h: Handle) -> &mut Object {
        match &mut self.slot_mut(h.0).cell {
            Cell::Obj(o) => o,
            _ => unreachable_cell(),
        }
    }
    #[inline(always)]
    pub fn env(&self, h: Handle) -> &Env {
        match &self.slot(h.0).cell {
            Cell::Env(e) => e,
            _ => unreachable_cell(),
        }
    }
    #[inline(always)]
    pub fn env_mut(&mut self, h: Handle) -> &mut Env {
        match &mut self.slot_mut(h.0).cell {
            Cell::Env(e) => e,
            _ => unreachable_cell(),
        }
    }
    #[inline(always)]
    pub fn str(&self, h: Handle) -> &JsStr {
        match &self.slot(h.0).cell {
            Cell::Str(s) => s,
            _ => unreachable_cell(),
        }
    }
    #[inline(always)]
    pub fn str_mut(&mut self, h: Handle) -> &mut JsStr {
        match &mut self.slot_mut(h.0).cell {
            Cell::Str(s) => s,
            _ => unreachable_cell(),
        }
    }
    pub fn symbol(&self, h: Handle) -> &Symbol {
        match &self.slot(h.0).cell {
            Cell::Sym(s) => s,
            _ => unreachable_cell(),
        }
    }
    pub fn accessor(&self, h: Handle) -> &Accessor {
        match &self.slot(h.0).cell {
            Cell::Accessor(a) => a,
            _ => unreachable_cell(),
        }
    }

    /// Mark everything reachable from `roots`, free the rest, and recompute the byte count.
    pub fn collect(
        &mut self,
        roots: impl Iterator<Item = Value>,
        handle_roots: impl Iterator<Item = Handle>,
    ) {
        self.collections += 1;
        let mut stack = core::mem::take(&mut self.mark_stack);
        for v in roots {
            if let Some(h) = v.heap_handle() {
                stack.push(h);
            }
        }
        stack.extend(handle_roots);
        while let Some(h) = stack.pop() {
            let slot = self.slot_mut(h.0);
            if slot.marked {
                continue;
            }
            slot.marked = true;
            trace_cell(&slot.cell, &mut stack);
        }
        self.mark_stack = stack;
        // Sweep.
        let mut live_bytes = 0usize;
        let mut live = 0usize;
        let mut free_head = self.free_head;
        for (i, slot) in self.slots_mut().enumerate() {
            if slot.marked {
                slot.marked = false;
                live += 1;
                live_bytes += SLOT_SIZE + cell_payload_size(&slot.cell);
            } else if !matches!(slot.cell, Cell::Free(_)) {
                slot.cell = Cell::Free(free_head);
                free_head = i as u32;
            }
        }
        self.free_head = free_head;
        self.live_cells = live;
        self.used = live_bytes;
        if self.floor.is_some() {
            self.floor_check_at = live_bytes.saturating_add(FLOOR_STEP);
            self.refresh_fast_limit();
        }
        let headroom = self.budget.saturating_sub(live_bytes);
        self.threshold = (live_bytes * 2)
            .max(MIN_THRESHOLD)
            .min(live_bytes + headroom / 2);
    }
}

#[cold]
#[inline(never)]
fn unreachable_cell() -> ! {
    panic!("heap cell of unexpected kind (engine bug)")
}

/// Slots per chunk of the table (a power of two: 128 slots of 64 bytes are 8 KiB on a 32-bit
/// target).
const CHUNK_SHIFT: u32 = 7;
const CHUNK_SLOTS: usize = 1 << CHUNK_SHIFT;
/// One chunk's allocation.
const CHUNK_BYTES: usize = CHUNK_SLOTS * core::mem::size_of::<Slot>();
const CHUNK_MASK: usize = CHUNK_SLOTS - 1;

/// One chunk of the slot table: a fixed-size array, so that indexing it with a masked index
/// needs no bounds check.
type Chunk = alloc::boxed::Box<[Slot; CHUNK_SLOTS]>;

/// A chunk of free slots, or `None` when the allocator has no room for one.
fn new_chunk() -> Option<Chunk> {
    let mut slots = Vec::new();
    slots.try_reserve_exact(CHUNK_SLOTS).ok()?;
    slots.resize_with(CHUNK_SLOTS, || Slot {
        cell: Cell::Free(NO_FREE),
        marked: false,
    });
    slots.into_boxed_slice().try_into().ok()
}

const SLOT_SIZE: usize = core::mem::size_of::<Slot>();
/// Bytes of one heap slot (for footprint reports).
pub const SLOT_BYTES: usize = SLOT_SIZE;

fn cell_payload_size(cell: &Cell) -> usize {
    match cell {
        Cell::Free(_) | Cell::Sym(_) | Cell::Accessor(_) => 0,
        Cell::Str(s) => s.payload_size(),
        Cell::Obj(o) => o.payload_size(),
        Cell::Env(e) => e.slots.capacity() * 8,
    }
}

fn push_value(stack: &mut Vec<Handle>, v: Value) {
    if let Some(h) = v.heap_handle() {
        stack.push(h);
    }
}

fn trace_cell(cell: &Cell, stack: &mut Vec<Handle>) {
    match cell {
        Cell::Free(_) => {}
        Cell::Str(s) => s.trace(&mut |v| push_value(stack, v)),
        Cell::Obj(o) => o.trace(&mut |v| push_value(stack, v)),
        Cell::Sym(s) => push_value(stack, s.description),
        Cell::Env(e) => {
            if let Some(p) = e.parent {
                stack.push(p);
            }
            for v in &e.slots {
                push_value(stack, *v);
            }
        }
        Cell::Accessor(a) => {
            push_value(stack, a.get);
            push_value(stack, a.set);
        }
    }
}

#[cfg(test)]
mod floor_tests {
    use core::sync::atomic::{AtomicUsize, Ordering};

    use super::{Heap, HeapFloor, OutOfMemory, FLOOR_STEP};

    static FREE: AtomicUsize = AtomicUsize::new(0);
    static LOOKS: AtomicUsize = AtomicUsize::new(0);

    fn free() -> usize {
        LOOKS.fetch_add(1, Ordering::SeqCst);
        FREE.load(Ordering::SeqCst)
    }

    #[test]
    fn growth_is_checked_against_the_floor_every_step_and_fails_below_it() {
        let mut heap = Heap::new(1 << 20);
        heap.rebase_budget(1 << 20);
        FREE.store(100_000, Ordering::SeqCst);
        heap.set_floor(HeapFloor { free, keep: 50_000 });
        let looks = || LOOKS.load(Ordering::SeqCst);
        // The first charge looks; charges within the next step do not.
        assert_eq!(heap.charge(100), Ok(()));
        assert_eq!(looks(), 1);
        for _ in 0..FLOOR_STEP / 100 {
            assert_eq!(heap.charge(100), Ok(()));
        }
        assert_eq!(looks(), 1);
        // The next step looks again: the target's heap has gone below the floor.
        FREE.store(50_050, Ordering::SeqCst);
        assert_eq!(heap.charge(100), Err(OutOfMemory));
        assert!(heap.floor_hit);
        assert_eq!(looks(), 2);
        // While the out-of-memory error is built, the floor does not apply.
        heap.reserve_active = true;
        assert_eq!(heap.charge(100), Ok(()));
        heap.reserve_active = false;
        // Room again: the charge goes through; one beyond what is left above the floor fails.
        FREE.store(60_000, Ordering::SeqCst);
        assert_eq!(heap.charge(100), Ok(()));
        assert_eq!(heap.charge(20_000), Err(OutOfMemory));
        // The budget's failure is told apart from the floor's.
        assert_eq!(heap.charge(2 << 20), Err(OutOfMemory));
        assert!(!heap.floor_hit);
    }

    #[test]
    fn near_the_floor_the_next_safe_point_collects_and_a_new_chunk_must_fit_above_it() {
        static FREE2: AtomicUsize = AtomicUsize::new(0);
        fn free2() -> usize {
            FREE2.load(Ordering::SeqCst)
        }
        let sym = || {
            super::Cell::Sym(super::Symbol {
                description: crate::value::Value::UNDEFINED,
                registered: false,
            })
        };
        let mut heap = Heap::new(1 << 20);
        heap.rebase_budget(1 << 20);
        FREE2.store(1 << 20, Ordering::SeqCst);
        heap.set_floor(HeapFloor {
            free: free2,
            keep: 50_000,
        });
        assert!(!heap.wants_collection());
        // Room for a cell's slot but not for the chunk the first cell needs.
        FREE2.store(50_000 + super::CHUNK_BYTES - 1, Ordering::SeqCst);
        assert!(heap.alloc(sym()).is_err());
        assert!(heap.floor_hit);
        assert_eq!(heap.used(), 0, "the refused cell is not counted");
        // Room for the chunk, but within the margin: it goes, and the next safe point collects.
        FREE2.store(50_000 + super::CHUNK_BYTES + 100, Ordering::SeqCst);
        assert!(heap.alloc(sym()).is_ok());
        assert!(heap.wants_collection());
    }
}
