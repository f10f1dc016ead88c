//! Ferrite's store partition on the chip's SPI flash: `ferrite-flash-store`'s [`Flash`] over
//! esp-storage's [`FlashStorage`], confined to the `ferrite` data partition of the partition
//! table at 0x8000 (firmware/esp32c3/partitions.csv).
//!
//! The partition is found by reading the table from flash (esp-bootloader-esp-idf checks its
//! MD5) and looking at the raw entries: type data, label `ferrite`. Without it (an image built
//! with espflash's default table), or when it is misplaced, [`open`] says why and the board
//! falls back to RAM storage.
//!
//! The store calls [`Flash::keep_alive`] before each erase and during long scans: here it feeds
//! the task watchdog ([`super::watchdog`]; nothing before it is armed, as during the mount at
//! boot), so one storage call that collects garbage many times is not reset as a hung loop.
//!
//! Reads and writes call the ROM's word functions (esp-storage's `ll`) through
//! `ferrite_flash_store::words`: esp-storage's byte-level `read` and `write_nor` copy through a
//! 4 KiB buffer on the stack (in their frames even when unused), which a script's KVS or
//! `File` call near the engine's stack floor would take from the 10 KiB margin. Erases go
//! through esp-storage.
//!
//! Must never: read, write or erase outside the partition (every offset is checked here;
//! esp-storage checks erases against the flash size it reads from the chip too), or panic on
//! a table read from flash.

use esp_bootloader_esp_idf::partitions::{read_partition_table, PARTITION_TABLE_MAX_LEN};
use esp_hal::peripherals::FLASH;
use esp_storage::{ll, FlashStorage, FlashStorageError};
use ferrite_flash_store::{words, Flash, FlashError};

/// The partition the store lives in (its label in the partition table).
pub const PARTITION_LABEL: &[u8] = b"ferrite";
/// Partition type `data` in the table's raw entries.
const TYPE_DATA: u8 = 0x01;
/// The partition table's type of app partitions (the firmware's own code).
const TYPE_APP: u8 = 0x00;
/// The flash's erase unit and write unit on the ESP32-C3 (esp-storage's sector and word).
const SECTOR: u32 = FlashStorage::SECTOR_SIZE;
const WORD: u32 = FlashStorage::WORD_SIZE;
/// Nothing of the store may sit below the end of the partition table's sector.
const FIRST_DATA_OFFSET: u32 = 0x9000;

/// The `ferrite` partition of the chip's flash, for the store. Offsets are relative to the
/// partition's start.
pub struct PartitionFlash {
    storage: FlashStorage<'static>,
    /// Absolute flash offset of the partition.
    start: u32,
    /// Its size in bytes (a multiple of [`SECTOR`]).
    size: u32,
    /// The flash's write protection is off (the ROM's unlock, once, before the first write).
    unlocked: bool,
}

/// Where the `ferrite` partition is, or why there is none to use.
#[derive(Debug)]
pub enum OpenError {
    /// The partition table at 0x8000 could not be read or is not valid (no MD5 match).
    Table(esp_bootloader_esp_idf::partitions::Error),
    /// The table has no data partition labelled `ferrite`.
    NoPartition,
    /// The partition is there but cannot be used as it is.
    Misplaced {
        start: u32,
        size: u32,
        why: &'static str,
    },
}

impl core::fmt::Display for OpenError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            OpenError::Table(e) => write!(f, "the partition table at 0x8000 is unreadable ({e})"),
            OpenError::NoPartition => f.write_str(
                "the partition table has no `ferrite` data partition (flash the image made \
                 with firmware/esp32c3/partitions.csv)",
            ),
            OpenError::Misplaced { start, size, why } => write!(
                f,
                "the `ferrite` partition ({size:#x} bytes at {start:#x}) {why}"
            ),
        }
    }
}

/// Find the `ferrite` partition in the table on flash and open it for the store.
pub fn open(flash: FLASH<'static>) -> Result<PartitionFlash, OpenError> {
    let mut storage = FlashStorage::new(flash);
    let mut table_bytes = [0u8; PARTITION_TABLE_MAX_LEN];
    let (start, size, over_app) = {
        let table =
            read_partition_table(&mut storage, &mut table_bytes).map_err(OpenError::Table)?;
        // Raw accessors only: `partition_type()` panics on subtypes esp-bootloader-esp-idf has
        // no name for.
        let entry = table
            .iter()
            .find(|e| e.raw_type() == TYPE_DATA && label_is(e.label(), PARTITION_LABEL))
            .ok_or(OpenError::NoPartition)?;
        let (start, size) = (entry.offset(), entry.len());
        let end = u64::from(start) + u64::from(size);
        // A table that lets the store erase the running firmware is refused.
        let over_app = table.iter().any(|e| {
            let app_end = u64::from(e.offset()) + u64::from(e.len());
            e.raw_type() == TYPE_APP && u64::from(e.offset()) < end && u64::from(start) < app_end
        });
        (start, size, over_app)
    };
    let misplaced = |why| OpenError::Misplaced { start, size, why };
    if over_app {
        return Err(misplaced("overlaps an app partition"));
    }
    if start < FIRST_DATA_OFFSET {
        return Err(misplaced("overlaps the bootloader or the partition table"));
    }
    if !start.is_multiple_of(SECTOR) || !size.is_multiple_of(SECTOR) {
        return Err(misplaced("is not made of whole 4 KiB sectors"));
    }
    if size == 0 {
        return Err(misplaced("is empty"));
    }
    let end = u64::from(start) + u64::from(size);
    if end > storage.capacity() as u64 {
        return Err(misplaced("reaches past the end of the flash"));
    }
    Ok(PartitionFlash {
        storage,
        start,
        size,
        unlocked: false,
    })
}

/// A 16-byte label (NUL- or 0xFF-padded) naming `name`.
fn label_is(label: &[u8], name: &[u8]) -> bool {
    label.len() >= name.len()
        && &label[..name.len()] == name
        && label[name.len()..].iter().all(|b| *b == 0 || *b == 0xFF)
}

impl PartitionFlash {
    /// The partition's absolute flash offset and size (for the boot report).
    pub fn placement(&self) -> (u32, u32) {
        (self.start, self.size)
    }

    /// The absolute offset of `len` bytes at `offset` in the partition, if they are inside it.
    fn absolute(&self, offset: u32, len: usize) -> Result<u32, FlashError> {
        let end = u64::from(offset) + len as u64;
        if end > u64::from(self.size) {
            return Err(FlashError("outside the ferrite partition"));
        }
        Ok(self.start + offset)
    }
}

fn flash_error(e: FlashStorageError) -> FlashError {
    FlashError(match e {
        FlashStorageError::IoError => "SPI flash I/O error",
        FlashStorageError::IoTimeout => "SPI flash timed out",
        FlashStorageError::CantUnlock => "SPI flash could not be unlocked for writing",
        FlashStorageError::NotAligned => "SPI flash access not aligned",
        FlashStorageError::OutOfBounds => "SPI flash access past the flash size",
        FlashStorageError::NotSupported => "SPI flash operation not supported",
        _ => "SPI flash error",
    })
}

/// An error code of the ROM's flash functions (1: failed, 2: timed out).
fn rom_error(code: i32) -> FlashError {
    FlashError(match code {
        2 => "SPI flash timed out",
        _ => "SPI flash I/O error",
    })
}

impl Flash for PartitionFlash {
    const SECTOR: u32 = SECTOR;
    const WRITE_UNIT: u32 = WORD;

    fn capacity(&self) -> u32 {
        self.size
    }

    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), FlashError> {
        let at = self.absolute(offset, buf.len())?;
        // Any alignment. Whole words around the bytes are read: the partition is whole sectors.
        words::read_bytes(at, buf, |from, words| {
            // SAFETY: `from` is word-aligned and the words are inside the partition, which
            // `open` checked is inside the flash; `words` is word-aligned memory of that size,
            // borrowed exclusively; `self.storage` (the flash peripheral) is ours alone.
            unsafe { ll::spiflash_read(from, words.as_mut_ptr(), (words.len() * 4) as u32) }
                .map_err(rom_error)
        })
    }

    fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), FlashError> {
        let at = self.absolute(offset, data.len())?;
        if !at.is_multiple_of(WORD) || !data.len().is_multiple_of(WORD as usize) {
            return Err(FlashError("write not aligned to the 4-byte write unit"));
        }
        if !self.unlocked {
            // SAFETY: the ROM's unlock clears the flash's write protection; the peripheral is
            // ours alone.
            unsafe { ll::spiflash_unlock() }
                .map_err(|_| FlashError("SPI flash could not be unlocked for writing"))?;
            self.unlocked = true;
        }
        // NOR semantics (bits only go from 1 to 0, no erase): the store erases when it must.
        words::write_bytes(at, data, |to, words| {
            // SAFETY: `to` is word-aligned and the words are inside the partition (checked
            // above), which `open` checked is inside the flash; `words` is word-aligned memory
            // of that size; the peripheral is ours alone.
            unsafe { ll::spiflash_write(to, words.as_ptr(), (words.len() * 4) as u32) }
                .map_err(rom_error)
        })
    }

    fn erase(&mut self, offset: u32) -> Result<(), FlashError> {
        if !offset.is_multiple_of(SECTOR) {
            return Err(FlashError("erase not at a sector boundary"));
        }
        let at = self.absolute(offset, SECTOR as usize)?;
        self.storage.erase(at, at + SECTOR).map_err(flash_error)
    }

    fn keep_alive(&mut self) {
        super::watchdog::feed();
    }
}
