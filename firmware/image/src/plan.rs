//! The plan: which [`Segment`]s to write for a file on the chip that answered, and the merged
//! image of a plan.
//!
//! Must never: return a plan that reaches past the flash, holds an image built for another
//! chip, or writes at an offset that is not sector-aligned.

use ferrite_flasher::image::{patch_header, FlashParams, DEFAULT_APP_OFFSET};
use ferrite_flasher::Chip;

use crate::elf;
use crate::identify::{identify, image_target, FileKind};
use crate::{ImageError, PartitionTable, Segment};

/// Why a raw file cannot be planned without an offset (after "this file" or its name).
pub const RAW_NEEDS_OFFSET: &str = "is neither an ELF nor an ESP image, so where it goes is not \
     known: give the flash offset (e.g. --offset 0x10000)";

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
    plan_with_table(file, chip, flash_size, params, offset, None)
}

/// [`plan`], with the ELF laid out by `table` when one is given instead of espflash's default
/// table: the table at 0x8000, the app at the table's factory (or first app) partition, refused
/// when the app does not fit that partition or a partition reaches past the flash. A table is
/// only for ELF files (an image already holds its layout, or is placed by its offset).
pub fn plan_with_table(
    file: &[u8],
    chip: Chip,
    flash_size: u32,
    params: &FlashParams,
    offset: Option<u32>,
    table: Option<&PartitionTable>,
) -> Result<Vec<Segment>, ImageError> {
    if file.is_empty() {
        return Err(ImageError::new("the file is empty"));
    }
    let kind = identify(file);
    // Before any copy: a file that cannot fit is refused at once (an ELF's image is smaller
    // than the ELF; its plan is checked below).
    let at = match kind {
        FileKind::Elf => None,
        FileKind::MergedImage { .. } => Some(0),
        FileKind::AppImage { .. } => Some(offset.unwrap_or(DEFAULT_APP_OFFSET)),
        FileKind::Raw => offset,
    };
    if let Some(at) = at {
        let end = u64::from(at) + file.len() as u64;
        if end > u64::from(flash_size) {
            return Err(ImageError::new(format!(
                "image too large for the flash: the file ({} bytes at {at:#x}) ends at \
                 {end:#x}, past the end of the {} KiB flash",
                file.len(),
                flash_size >> 10
            )));
        }
    }
    check_target(file, kind, chip)?;
    if table.is_some() && kind != FileKind::Elf {
        return Err(ImageError::new(format!(
            "a partition table is only used with an ELF file; this file is {} and is written \
             as it is",
            kind.label()
        )));
    }
    let segments = match kind {
        FileKind::Elf => {
            if let Some(o) = offset {
                return Err(ImageError::new(format!(
                    "an ELF is placed by its partition table; drop the offset {o:#x} (it is for \
                     .bin files)"
                )));
            }
            elf_segments(file, chip, flash_size, params, table)?
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
                return Err(ImageError::new(format!("this file {RAW_NEEDS_OFFSET}")));
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

/// Refuse an image (app or merged) that is not for `chip`: an ESP32-family image must name the
/// chip's id in its extended header, an ESP8266 image (no extended header) only goes to an
/// ESP8266, and an image whose chip id ferrite does not know goes nowhere.
fn check_target(file: &[u8], kind: FileKind, chip: Chip) -> Result<(), ImageError> {
    let image = match kind {
        FileKind::AppImage { .. } => file,
        FileKind::MergedImage { .. } => {
            let boot = if image_target(file).is_some_and(|(_, end)| end <= 0x8000) {
                0
            } else {
                0x1000
            };
            file.get(boot..).unwrap_or_default()
        }
        FileKind::Elf | FileKind::Raw => return Ok(()),
    };
    let Some((target, _)) = image_target(image) else {
        return Ok(());
    };
    if target.chip() == Some(chip) {
        return Ok(());
    }
    Err(ImageError::new(format!(
        "wrong chip: the {} is built for {}, the chip is an {}",
        kind.label(),
        target.describe(),
        chip.name()
    )))
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

/// espflash's layout (or `table`'s) with esptool's frequency codes set in both headers.
fn elf_segments(
    elf_bytes: &[u8],
    chip: Chip,
    flash_size: u32,
    params: &FlashParams,
    table: Option<&PartitionTable>,
) -> Result<Vec<Segment>, ImageError> {
    let mut segments = elf::build(elf_bytes, chip, flash_size, params)?;
    if let Some(table) = table {
        table.apply(
            &mut segments,
            params.size.unwrap_or(flash_size).min(flash_size),
        )?;
    }
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
    elf_to_app_image_with_table(elf, chip, flash_size, params, None)
}

/// [`elf_to_app_image`] for the app partition of `table` (when given): refused when the app
/// does not fit that partition or the table does not fit the flash. The image itself does not
/// depend on where it goes (app partitions are 64 KiB-aligned).
pub fn elf_to_app_image_with_table(
    elf: &[u8],
    chip: Chip,
    flash_size: u32,
    params: &FlashParams,
    table: Option<&PartitionTable>,
) -> Result<Vec<u8>, ImageError> {
    elf_segments(elf, chip, flash_size, params, table)?
        .into_iter()
        .find(|s| s.what == "app")
        .map(|s| s.data)
        .ok_or_else(|| ImageError::new("espflash made no app segment of the ELF"))
}

/// One image of the flash from offset 0 holding every segment (gaps are erased flash, 0xFF; a
/// later segment wins where two overlap). Refused when the image would be larger than
/// [`MAX_MERGED`] (no flash is), so any segments can be passed, not only a plan's.
pub fn merge(segments: &[Segment]) -> Result<Vec<u8>, ImageError> {
    let len = segments.iter().map(Segment::end).max().unwrap_or(0);
    if len > MAX_MERGED {
        return Err(ImageError::new(format!(
            "a merged image up to {len:#x} is larger than any flash ({} MiB)",
            MAX_MERGED >> 20
        )));
    }
    let len = usize::try_from(len)
        .map_err(|_| ImageError::new("a merged image larger than this machine's memory"))?;
    let mut out = vec![0xFF; len];
    for s in segments {
        let at = s.offset as usize;
        if let Some(dst) = at
            .checked_add(s.data.len())
            .and_then(|end| out.get_mut(at..end))
        {
            dst.copy_from_slice(&s.data);
        }
    }
    Ok(out)
}

/// The largest merged image [`merge`] makes: the largest flash an ESP image header can name.
pub const MAX_MERGED: u64 = 128 << 20;
