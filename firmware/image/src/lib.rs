//! # ferrite-esp-image — what to write to an Espressif chip's flash for a file
//!
//! A person hands over a file; this crate says which bytes go where:
//! - an **ELF** (from esp-hal, ESP-IDF, …) becomes an ESP-IDF app image plus the second-stage
//!   bootloader and a default partition table, the ESP-IDF layout, built by the `espflash` crate
//!   with its bundled bootloaders ([`elf_to_app_image`], [`plan`]); or, with a [`PartitionTable`]
//!   given (ESP-IDF CSV or binary), that table at 0x8000 and the app in its factory partition
//!   ([`plan_with_table`], [`elf_to_app_image_with_table`]);
//! - an **app image** (`0xE9` header) goes to 0x10000 unless an offset is given;
//! - a **merged image** (bootloader, partition table at 0x8000 and app in one file from flash
//!   offset 0) goes to 0;
//! - anything else is **raw** and needs an offset.
//!
//! The flash mode, frequency and size in the header at the chip's bootloader offset are set as
//! asked (`None` keeps them), with the appended SHA-256 recomputed ([`ferrite_flasher::image`]);
//! an image built for another chip, or one that does not fit the flash, is refused with a clear
//! [`ImageError`]. [`identify`] tells what a file is; [`merge`] lays a plan out as one image.
//!
//! Used by the `ferrite` CLI (`ferrite flash`, `ferrite image`) and by the IDE's flash worker,
//! so it builds for `wasm32-unknown-unknown`.
//!
//! ## What this crate must never do
//! - Run on the device: it is `std` because `espflash` is; the flasher protocol itself lives in
//!   the `no_std` `ferrite-flasher`.
//! - I/O of any kind (files, ports, clocks): it maps bytes to bytes.
//! - Panic on a file from outside: an ELF is checked before `espflash` sees it (espflash
//!   assumes sane section layouts), and every failure is an [`ImageError`].

mod chip_map;
mod elf;
mod error;
mod identify;
mod partition_table;
mod plan;

pub use elf::MAX_IMAGE_SEGMENTS;
pub use error::ImageError;
pub use ferrite_flasher::image::{FlashFreq, FlashMode, FlashParams};
pub use ferrite_flasher::Chip;
pub use identify::{identify, image_target, FileKind, ImageTarget};
pub use partition_table::{PartitionInfo, PartitionTable, PARTITION_TABLE_OFFSET};
pub use plan::{
    elf_to_app_image, elf_to_app_image_with_table, merge, plan, plan_with_table, MAX_MERGED,
    RAW_NEEDS_OFFSET,
};

/// Bytes to write at one flash offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub offset: u32,
    pub data: Vec<u8>,
    /// What it is, for people: "bootloader", "partition table", "app" or "image".
    pub what: &'static str,
}

impl Segment {
    /// The offset just past the segment's last byte.
    pub fn end(&self) -> u64 {
        u64::from(self.offset) + self.data.len() as u64
    }
}
