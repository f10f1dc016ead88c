//! What kind of file a person handed over, from its bytes alone (the name may lie).
//!
//! Must never: fail — anything that is not recognised is [`FileKind::Raw`].

use ferrite_flasher::image::{
    self as header, has_partition_table, parse_header, DIGEST_LEN, PARTITION_TABLE_OFFSET,
};
use ferrite_flasher::Chip;

/// What a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// An ELF executable (to be made into an app image).
    Elf,
    /// An ESP image (`0xE9` header) on its own: an app (or a bootloader) image. `chip`: the chip
    /// it is built for — [`Chip::Esp8266`] for an image without the ESP32 family's extended
    /// header, `None` for an ESP32-family image whose chip id ferrite does not know
    /// ([`image_target`] has the id).
    AppImage { chip: Option<Chip> },
    /// A whole flash from offset 0: a bootloader image at the bootloader offset that ends before
    /// the partition table, and a partition table at 0x8000. `chip`: the chip the bootloader's
    /// header names, as for [`FileKind::AppImage`].
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

    /// What it is, for people: "ELF", "app image", "merged image", "raw binary".
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Elf => "ELF",
            FileKind::AppImage { .. } => "app image",
            FileKind::MergedImage { .. } => "merged image",
            FileKind::Raw => "raw binary",
        }
    }

    /// The chip the image's header names, if it is an image that names one it knows.
    pub fn chip(self) -> Option<Chip> {
        match self {
            FileKind::AppImage { chip } | FileKind::MergedImage { chip } => chip,
            FileKind::Elf | FileKind::Raw => None,
        }
    }
}

/// Which chips an ESP image at the start of some bytes is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageTarget {
    /// An image without the extended header: the ESP8266's layout.
    Esp8266,
    /// An ESP32-family image whose extended header names this chip id (esptool's
    /// `IMAGE_CHIP_ID`; `Chip::from_chip_id` may not know it).
    Esp32Family { chip_id: u16 },
}

impl ImageTarget {
    /// The chip, if ferrite knows it.
    pub fn chip(self) -> Option<Chip> {
        match self {
            ImageTarget::Esp8266 => Some(Chip::Esp8266),
            ImageTarget::Esp32Family { chip_id } => Chip::ALL
                .into_iter()
                .find(|c| *c != Chip::Esp8266 && c.chip_id() == Some(u32::from(chip_id))),
        }
    }

    /// For people: "the ESP32-C3", "chip id 18 (not a chip ferrite knows)".
    pub fn describe(self) -> String {
        match self.chip() {
            Some(c) => format!("the {}", c.name()),
            None => match self {
                ImageTarget::Esp32Family { chip_id } => {
                    format!("chip id {chip_id} (not a chip ferrite knows)")
                }
                ImageTarget::Esp8266 => "the ESP8266".into(),
            },
        }
    }
}

/// A well-formed ESP image at the start of `bytes`: what it is for, and where it ends (the
/// appended digest included). An ESP32-family image has the extended header (its reserved
/// bytes 19..23 zero and a hash-appended flag of 0 or 1, as esptool checks) and segments that
/// fit; otherwise a well-formed image in the ESP8266 layout is one.
pub fn image_target(bytes: &[u8]) -> Option<(ImageTarget, usize)> {
    if let Some(h) = parse_header(bytes) {
        let reserved_zero = bytes[19..23].iter().all(|b| *b == 0) && bytes[23] <= 1;
        if reserved_zero {
            if let Some(len) = header::data_len(bytes, true) {
                let end = len + if h.hash_appended { DIGEST_LEN } else { 0 };
                if end <= bytes.len() {
                    return Some((ImageTarget::Esp32Family { chip_id: h.chip_id }, end));
                }
            }
        }
    }
    header::data_len(bytes, false).map(|end| (ImageTarget::Esp8266, end))
}

/// A partition table's first entry at 0x8000 that looks like ESP-IDF's: the magic, and an
/// offset at or past 0x9000 on a sector boundary.
fn partition_table_at_0x8000(bytes: &[u8]) -> bool {
    let at = PARTITION_TABLE_OFFSET as usize;
    let Some(entry) = bytes.get(at..at + 12) else {
        return false;
    };
    let offset = u32::from_le_bytes([entry[4], entry[5], entry[6], entry[7]]);
    has_partition_table(bytes) && offset >= PARTITION_TABLE_OFFSET + 0x1000 && offset % 0x1000 == 0
}

/// Tell an ELF, an app image, a merged image and raw bytes apart.
pub fn identify(bytes: &[u8]) -> FileKind {
    if bytes.starts_with(b"\x7fELF") {
        return FileKind::Elf;
    }
    if partition_table_at_0x8000(bytes) {
        // The bootloader sits at 0 (ESP8266, S3, C2, C3, C6, H2) or, after erased bytes, at
        // 0x1000 (ESP32, S2), and ends before the partition table (an app image carrying
        // AA 50 at 0x8000 by chance spans its whole file, so it is not taken for one).
        let limit = PARTITION_TABLE_OFFSET as usize;
        if let Some((target, end)) = image_target(bytes) {
            if end <= limit {
                return FileKind::MergedImage {
                    chip: target.chip(),
                };
            }
        }
        let (gap, rest) = bytes.split_at(0x1000);
        if gap.iter().all(|b| *b == 0xFF) {
            if let Some((target, end)) = image_target(rest) {
                if 0x1000 + end <= limit {
                    return FileKind::MergedImage {
                        chip: target.chip(),
                    };
                }
            }
        }
    }
    match image_target(bytes) {
        Some((target, _)) => FileKind::AppImage {
            chip: target.chip(),
        },
        None => FileKind::Raw,
    }
}
