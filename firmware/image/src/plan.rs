//! The plan: which [`Segment`]s to write for a file on the chip that answered, and the merged
//! image of a plan.
//!
//! Must never: return a plan that reaches past the flash, holds an image built for another
//! chip, or writes at an offset that is not sector-aligned.

use ferrite_flasher::image::{patch_header, FlashParams, DEFAULT_APP_OFFSET};
use ferrite_flasher::Chip;

use crate::elf;
use crate::identify::{identify, FileKind};
use crate::{ImageError, Segment};

/// The flash sector: offsets must be multiples of it.
const SECTOR: u32 = 0x1000;

/// What to write for `file` on `chip` (the chip that answered), with a flash of `flash_size`
/// bytes:
/// - ELF → bootloader + partition table + app (ESP-IDF layout, espflash's bundled bootloader and
///   default partition table for the flash size; `params.size`, when given, is the size built
///   for);
/// - app image → at 0x10000 unless `offset` is given;
/// - merged image → at 0 (an `offset` other than 0 is refused);
/// - raw → `offset` required.
///
/// The header of the image at the chip's bootloader offset is patched per `params` (as esptool
/// does; images elsewhere are written as they are); an image for another chip is refused, and so
/// is a plan that does not fit into `flash_size` bytes.
pub fn plan(
    file: &[u8],
    chip: Chip,
    flash_size: u32,
    params: &FlashParams,
    offset: Option<u32>,
) -> Result<Vec<Segment>, ImageError> {
    if file.is_empty() {
        return Err(ImageError::new("the file is empty"));
    }
    let kind = identify(file);
    if let Some(image_chip) = kind.chip() {
        if image_chip != chip {
            return Err(ImageError::new(format!(
                "wrong chip: the image is built for the {}, the chip is an {}",
                image_chip.name(),
                chip.name()
            )));
        }
    }
    let segments = match kind {
        FileKind::Elf => {
            if let Some(o) = offset {
                return Err(ImageError::new(format!(
                    "an ELF is placed by its partition table; drop the offset {o:#x} (it is for \
                     .bin files)"
                )));
            }
            elf_segments(file, chip, flash_size, params)?
        }
        FileKind::AppImage { .. } => {
            let at = offset.unwrap_or(DEFAULT_APP_OFFSET);
            vec![placed(file, at, "app", chip, params)?]
        }
        FileKind::MergedImage { .. } => {
            if let Some(o) = offset.filter(|o| *o != 0) {
                return Err(ImageError::new(format!(
                    "a merged image (bootloader, partition table and app) starts at flash offset \
                     0, not {o:#x}"
                )));
            }
            let mut data = file.to_vec();
            let boot = chip.bootloader_offset() as usize;
            if let Some(bootloader) = data.get_mut(boot..) {
                patch_header(bootloader, chip, params)?;
            }
            vec![Segment {
                offset: 0,
                data,
                what: "image",
            }]
        }
        FileKind::Raw => {
            let Some(at) = offset else {
                return Err(ImageError::new(
                    "this file is neither an ELF nor an ESP image, so where it goes is not known: \
                     give the flash offset (e.g. --offset 0x10000)",
                ));
            };
            vec![placed(file, at, "image", chip, params)?]
        }
    };
    for s in &segments {
        if !s.offset.is_multiple_of(SECTOR) {
            return Err(ImageError::new(format!(
                "the offset {:#x} is not a multiple of the {SECTOR:#x}-byte flash sector",
                s.offset
            )));
        }
        if s.end() > u64::from(flash_size) {
            return Err(ImageError::new(format!(
                "image too large for the flash: the {} ({} bytes at {:#x}) ends at {:#x}, past \
                 the end of the {} KiB flash",
                s.what,
                s.data.len(),
                s.offset,
                s.end(),
                flash_size >> 10
            )));
        }
    }
    Ok(segments)
}

/// `file` to be written at `at`; its header patched when `at` is the bootloader offset.
fn placed(
    file: &[u8],
    at: u32,
    what: &'static str,
    chip: Chip,
    params: &FlashParams,
) -> Result<Segment, ImageError> {
    let mut data = file.to_vec();
    if at == chip.bootloader_offset() {
        patch_header(&mut data, chip, params)?;
    }
    Ok(Segment {
        offset: at,
        data,
        what,
    })
}

/// espflash's layout with esptool's frequency codes set in both headers.
fn elf_segments(
    elf_bytes: &[u8],
    chip: Chip,
    flash_size: u32,
    params: &FlashParams,
) -> Result<Vec<Segment>, ImageError> {
    let mut segments = elf::build(elf_bytes, chip, flash_size, params)?;
    if params.freq.is_some() {
        let freq_only = FlashParams {
            freq: params.freq,
            ..FlashParams::default()
        };
        for s in segments.iter_mut().filter(|s| s.what != "partition table") {
            patch_header(&mut s.data, chip, &freq_only)?;
        }
    }
    Ok(segments)
}

/// The app image espflash builds from `elf` for `chip` (what goes to the app partition, at
/// 0x10000 in the default partition table), with the flash parameters of `params` in its header.
pub fn elf_to_app_image(
    elf: &[u8],
    chip: Chip,
    flash_size: u32,
    params: &FlashParams,
) -> Result<Vec<u8>, ImageError> {
    elf_segments(elf, chip, flash_size, params)?
        .into_iter()
        .find(|s| s.what == "app")
        .map(|s| s.data)
        .ok_or_else(|| ImageError::new("espflash made no app segment of the ELF"))
}

/// One image of the flash from offset 0 holding every segment (gaps are erased flash, 0xFF; a
/// later segment wins where two overlap).
pub fn merge(segments: &[Segment]) -> Vec<u8> {
    let len = segments.iter().map(Segment::end).max().unwrap_or(0) as usize;
    let mut out = vec![0xFF; len];
    for s in segments {
        let at = s.offset as usize;
        out[at..at + s.data.len()].copy_from_slice(&s.data);
    }
    out
}
