//! What kind of file a person handed over, from its bytes alone (the name may lie).
//!
//! Must never: fail — anything that is not recognised is [`FileKind::Raw`].

use ferrite_flasher::image::{self as header, has_partition_table, parse_header};
use ferrite_flasher::Chip;

/// What a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// An ELF executable (to be made into an app image).
    Elf,
    /// An ESP image (`0xE9` header) on its own: an app (or a bootloader) image. `chip`: the chip
    /// its extended header names (`None` for ESP8266 images, which have no chip id).
    AppImage { chip: Option<Chip> },
    /// A whole flash from offset 0: a bootloader image at the bootloader offset and a
    /// partition table at 0x8000. `chip`: the chip the bootloader's header names.
    MergedImage { chip: Option<Chip> },
    /// Bytes to write as they are, at an offset the person gives.
    Raw,
}

impl FileKind {
    /// A short name: "elf", "app", "merged", "raw".
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Elf => "elf",
            FileKind::AppImage { .. } => "app",
            FileKind::MergedImage { .. } => "merged",
            FileKind::Raw => "raw",
        }
    }

    /// The chip the image's header names, if it is an image that names one.
    pub fn chip(self) -> Option<Chip> {
        match self {
            FileKind::AppImage { chip } | FileKind::MergedImage { chip } => chip,
            FileKind::Elf | FileKind::Raw => None,
        }
    }
}

/// A well-formed ESP image at the start of `bytes`: `Some(chip named)` (inner `None`: an image
/// without a chip id, the ESP8266's), `None` if there is no image.
fn image_at(bytes: &[u8]) -> Option<Option<Chip>> {
    if let Some(h) = parse_header(bytes) {
        if header::data_len(bytes, true).is_some() && h.chip().is_some() {
            return Some(h.chip());
        }
    }
    header::data_len(bytes, false).map(|_| None)
}

/// Tell an ELF, an app image, a merged image and raw bytes apart.
pub fn identify(bytes: &[u8]) -> FileKind {
    if bytes.starts_with(b"\x7fELF") {
        return FileKind::Elf;
    }
    if has_partition_table(bytes) {
        // The bootloader sits at 0 (ESP8266, S3, C2, C3, C6, H2) or, after erased bytes, at
        // 0x1000 (ESP32, S2).
        if let Some(chip) = image_at(bytes) {
            return FileKind::MergedImage { chip };
        }
        let (gap, rest) = bytes.split_at(0x1000);
        if gap.iter().all(|b| *b == 0xFF) {
            if let Some(chip) = image_at(rest) {
                return FileKind::MergedImage { chip };
            }
        }
        return FileKind::Raw;
    }
    match image_at(bytes) {
        Some(chip) => FileKind::AppImage { chip },
        None => FileKind::Raw,
    }
}
