//! A power-loss-safe, wear-levelling file store on raw NOR flash: the runtime's
//! [`Storage`](ferrite_runtime::board::Storage) (named blobs with atomic writes) on the chip.
//! `no_std` + `alloc`; the driver implements [`Flash`] over one partition.
//!
//! # Design
//!
//! **A log over all sectors.** Every sector starts with a header in two parts, each with its own
//! CRC-32: part A (magic, erase count), written right after the sector is erased, and part B
//! (sequence number), written when the sector joins the log. A sector is *free* (A valid, B
//! erased), *in the log* (both valid) or *dirty* (anything else: an interrupted erase or start,
//! foreign data) — mount erases dirty sectors, keeping the erase count when part A is readable
//! (a headerless sector gets a count above every other, and is erased even if it reads blank,
//! unless no sector has a header at all: a fresh partition).
//! Records are only ever appended to the *head*, the sector in the log that was started last.
//!
//! **Records.** A 24-byte header — magic, kind, name length, version (`gen`, one counter for the
//! whole store), index, data length, CRC-32 of name and data, CRC-32 of the header itself — then
//! the name and the data, padded to the write unit. Kinds: *chunk* (a piece of a version's
//! content; `index` is its position), *commit* (a version is complete: chunk count, size, CRC-32
//! of the whole content) and *tombstone* (the file was removed). A file is written as chunks sized
//! to the room in the head (at most 1/8 of a sector, so a sector never wastes more than one
//! record at its end), then its commit. **A version exists only once its commit is completely
//! written**; until then the old version is the file.
//!
//! **Mount** classifies the sectors, then reads every record in the log, checking both CRCs: a
//! record with a bad header CRC is stepped over by one header length, one with a good header and a
//! bad data CRC (an interrupted write) by its length. For each name, the commit or tombstone with
//! the highest version wins (of identical copies, the one in the newer sector); the scan keeps
//! only that best candidate per name. A commit whose chunk count does not fit its size, or whose
//! size exceeds the store's limit, is ignored (no flash content makes mount allocate for chunks
//! that cannot exist). If the winner's chunks are not all found or their sizes do not add up, a
//! rescan for just the broken names takes their best older version (at most 4 rescans: a
//! name still broken then, which only crafted or decaying flash makes, is given up). The
//! version counter restarts above every record seen, orphans included, so a version number is
//! never reused for a name that still has records. The head continues in the newest sector if its
//! end reads erased, else a free sector is started — never the last one. If a collection cut
//! short by a power loss had taken the reserve, mount collects until a sector is free again.
//!
//! **RAM** is per file, not per record: name, version, size, CRC, the commit's address and one
//! `u32` address per chunk; plus 20 bytes per sector. All flash traffic goes through 256-byte
//! buffers on the stack.
//!
//! **Garbage collection** runs when the head has no room and only the reserve (one free sector)
//! is left, and as soon as no sector is free (while the head still has room to move records
//! into). The victim is the sector with the most reclaimable bytes (ties: fewest erases) whose
//! live data fits where it can go (the head too, once it takes no more records); its live records
//! — those the index points at, the chunks of the version being written included — are copied to
//! the head, and only then is it erased (and part A written with the erase count plus one). A
//! tombstone is copied too, unless no other sector holds a record of its name (one pass over the
//! log answers all of a victim's tombstones). An interrupted collection leaves copies of records
//! that mount treats as the same version, so nothing is lost or duplicated.
//!
//! **Wear.** New heads are the free sectors with the fewest erases. After each collection, if the
//! most-erased sector is more than [`WEAR_SPREAD`] erases ahead of the least-erased sector in the
//! log, that one (static data) is moved out and erased too, so it joins the rotation. Measured:
//! the spread stays within `WEAR_SPREAD + 2` (tests/wear.rs).
//!
//! **Bounds.** Names are 1 to [`MAX_NAME`] bytes, at most [`MAX_FILES`] files, at most
//! [`MAX_REMOVED`] removed files whose tombstone is still needed: a tombstone is needed while an
//! older record of its name may be in another sector, and collection alone (which waits for the
//! free sectors to run out) may take thousands of removes to drop them. So a remove beyond that
//! number first collects sectors oldest first until half as many are needed (older records go
//! before the tombstones that outlive them), and mount refuses a log that names more files than
//! the store can hold (crafted flash) instead of running out of memory. The live record
//! bytes (what `usage` reports) may not exceed every sector but the head and the reserve less one
//! largest record each; a write that would go beyond, counting the old version it replaces (both
//! exist until the commit), is refused up front with "storage full: …". Every error is a value;
//! no flash content makes mount or any operation panic (tests/random_flash.rs).
//!
//! **Flash errors with the power on** (a driver's I/O error or timeout; tests/io_errors.rs). The
//! operation fails and changes nothing in the session; nothing acknowledged is lost. Every record
//! reaches the flash through one path (appends and collection's copies alike): if its program
//! fails, its bytes are programmed to zero, rounded up to whole steps of a scan over a bad header,
//! so every scan steps over them onto the next record and the head continues after them (if
//! that fails too, the head is closed) — nothing is ever programmed over partly-programmed bytes.
//! A commit or tombstone is read back before the change is acknowledged. A sector whose erase
//! or part A program fails is *bad* until the next mount: neither free nor in the log, and while
//! one is, every tombstone is kept. A new head's part A must read back with its erase count (else
//! it is erased again) and its part B must read back before any record is appended.
//!
//! **Keep-alive.** The driver's [`Flash::keep_alive`] is called before every erase and at least
//! every [`KEEP_ALIVE_EVERY`] reads or programs (a target feeds its watchdog there), so neither a
//! write that collects garbage many times nor a mount scanning a full log runs long without it
//! (tests/keep_alive.rs).
//!
//! **Fault model** (tests/power_cut.rs): power may fail at any point; the write unit being
//! programmed then holds some of its intended zero bits, and a sector being erased holds anything,
//! parts of its old content included (tests/torn_erase.rs). So a sector's header is programmed to
//! zeros before every erase: a torn erase can never leave a header that reads valid over records
//! that survived (a removed file's old version without its tombstone), only a dirty sector.
//! A program or erase may also fail with the power on, leaving the same (tests/io_errors.rs).

#![no_std]

extern crate alloc;

mod crc32;
mod error;
mod flash;
mod gc;
mod io;
mod layout;
mod mount;
mod storage;
mod store;
pub mod words;

pub use error::StoreError;
pub use flash::{Flash, FlashError, KEEP_ALIVE_EVERY};
pub use layout::{MAX_FILES, MAX_NAME, MAX_REMOVED, WEAR_SPREAD};
pub use store::FlashStore;
