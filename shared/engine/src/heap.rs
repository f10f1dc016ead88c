//! The garbage-collected heap: a slot table of [`Cell`]s addressed by [`Handle`]s, a byte budget,
//! and a precise mark-sweep collector.
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

/// The allocation failed: the heap budget would be exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory;

pub struct Heap {
    slots: Vec<Slot>,
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
}

/// Bytes beyond the budget usable while `reserve_active` (reporting out-of-memory).
const RESERVE: usize = 16 * 1024;

impl Heap {
    pub fn new(budget: usize) -> Heap {
        Heap {
            slots: Vec::new(),
            free_head: NO_FREE,
            live_cells: 0,
            budget,
            used: 0,
            threshold: MIN_THRESHOLD.min(budget / 2),
            collections: 0,
            mark_stack: Vec::new(),
            reserve_active: false,
            stress: false,
        }
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    /// From now on the budget is what is in use plus `allowance`: a realm's built-ins do not
    /// count against what its script may allocate.
    pub fn rebase_budget(&mut self, allowance: usize) {
        self.budget = self.used.saturating_add(allowance);
        self.threshold = self.used + (allowance / 2).min(MIN_THRESHOLD);
    }
    pub fn used(&self) -> usize {
        self.used
    }
    pub fn live_cells(&self) -> usize {
        self.live_cells
    }

    /// Account for `bytes` more memory (a growing vector inside a cell). Fails past the budget.
    #[inline]
    pub fn charge(&mut self, bytes: usize) -> Result<(), OutOfMemory> {
        let limit = if self.reserve_active {
            self.budget + RESERVE
        } else {
            self.budget
        };
        if self.used + bytes > limit {
            return Err(OutOfMemory);
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
            let slot = &mut self.slots[i as usize];
            self.free_head = match slot.cell {
                Cell::Free(next) => next,
                _ => NO_FREE,
            };
            slot.cell = cell;
            slot.marked = false;
            return Ok(Handle(i));
        }
        if self.slots.len() >= (u32::MAX >> 1) as usize {
            return Err(OutOfMemory);
        }
        if self.slots.len() == self.slots.capacity() {
            // Grow by a quarter, not double: the table is the largest allocation of a realm,
            // and on a microcontroller a doubling (old and new table live at once) is what
            // fails first. If even that does not fit, the script gets an out-of-memory error,
            // not the target's allocation-failure panic.
            let more = (self.slots.len() / 4).max(MIN_SLOT_GROWTH);
            if self.slots.try_reserve_exact(more).is_err() {
                self.live_cells -= 1;
                self.used -= size;
                return Err(OutOfMemory);
            }
        }
        self.slots.push(Slot {
            cell,
            marked: false,
        });
        Ok(Handle(self.slots.len() as u32 - 1))
    }

    /// Give back the spare capacity of the slot table and of every object's property table
    /// (a realm calls this once its built-ins are in place), then count `used` exactly.
    pub fn compact(&mut self) {
        let mut live_bytes = 0usize;
        for slot in self.slots.iter_mut() {
            if let Cell::Obj(o) = &mut slot.cell {
                o.props.shrink_to_fit();
            }
            if !matches!(slot.cell, Cell::Free(_)) {
                live_bytes += SLOT_SIZE + cell_payload_size(&slot.cell);
            }
        }
        // Keep room for the script's first cells: growing the table right away would need
        // the old and the new one at once.
        let slack = (self.slots.len() / 8).max(MIN_SLOT_GROWTH);
        self.slots.shrink_to(self.slots.len() + slack);
        self.used = live_bytes;
    }

    #[inline(always)]
    pub fn get(&self, h: Handle) -> &Cell {
        &self.slots[h.0 as usize].cell
    }
    #[inline(always)]
    pub fn get_mut(&mut self, h: Handle) -> &mut Cell {
        &mut self.slots[h.0 as usize].cell
    }

    #[inline(always)]
    pub fn obj(&self, h: Handle) -> &Object {
        match &self.slots[h.0 as usize].cell {
            Cell::Obj(o) => o,
            _ => unreachable_cell(),
        }
    }
    #[inline(always)]
    pub fn obj_mut(&mut self, h: Handle) -> &mut Object {
        match &mut self.slots[h.0 as usize].cell {
            Cell::Obj(o) => o,
            _ => unreachable_cell(),
        }
    }
    #[inline(always)]
    pub fn env(&self, h: Handle) -> &Env {
        match &self.slots[h.0 as usize].cell {
            Cell::Env(e) => e,
            _ => unreachable_cell(),
        }
    }
    #[inline(always)]
    pub fn env_mut(&mut self, h: Handle) -> &mut Env {
        match &mut self.slots[h.0 as usize].cell {
            Cell::Env(e) => e,
            _ => unreachable_cell(),
        }
    }
    #[inline(always)]
    pub fn str(&self, h: Handle) -> &JsStr {
        match &self.slots[h.0 as usize].cell {
            Cell::Str(s) => s,
            _ => unreachable_cell(),
        }
    }
    #[inline(always)]
    pub fn str_mut(&mut self, h: Handle) -> &mut JsStr {
        match &mut self.slots[h.0 as usize].cell {
            Cell::Str(s) => s,
            _ => unreachable_cell(),
        }
    }
    pub fn symbol(&self, h: Handle) -> &Symbol {
        match &self.slots[h.0 as usize].cell {
            Cell::Sym(s) => s,
            _ => unreachable_cell(),
        }
    }
    pub fn accessor(&self, h: Handle) -> &Accessor {
        match &self.slots[h.0 as usize].cell {
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
            let slot = &mut self.slots[h.0 as usize];
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
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if slot.marked {
                slot.marked = false;
                live += 1;
                live_bytes += SLOT_SIZE + cell_payload_size(&slot.cell);
            } else if !matches!(slot.cell, Cell::Free(_)) {
                slot.cell = Cell::Free(self.free_head);
                self.free_head = i as u32;
            }
        }
        self.live_cells = live;
        self.used = live_bytes;
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

/// Slots the table grows by at least.
const MIN_SLOT_GROWTH: usize = 64;

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
