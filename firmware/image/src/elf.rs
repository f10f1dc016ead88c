//! ELF → the ESP-IDF flash layout (bootloader, partition table, app image), built by `espflash`
//! with its bundled second-stage bootloader and its default partition table for the flash size.
//!
//! espflash trusts the ELF's layout (it indexes and subtracts without checks), so [`check`]
//! looks at the ELF first: 32-bit, the chip's architecture (and the chip esp-hal's metadata
//! names, when present), loadable sections that do not overlap or wrap, an app descriptor of
//! full size in flash, at most [`MAX_IMAGE_SEGMENTS`] image segments once adjacent sections
//! are merged (as espflash merges them), and an image that fits the flash even with each flash
//! segment padded to its MMU page. What espflash builds is checked too: the app image must
//! parse, with at most 16 segments (ESP-IDF's bootloader boots no more).
//!
//! Must never: hand espflash an ELF that [`check`] did not accept, or return an app image
//! that does not parse.

use espflash::flasher::{FlashData, FlashSettings};
use espflash::image_format::idf::IdfBootloaderFormat;
use ferrite_flasher::image::{data_len, parse_header, FlashParams};
use ferrite_flasher::Chip;
use object::elf::{EM_RISCV, EM_XTENSA, PT_LOAD, SHT_INIT_ARRAY, SHT_PROGBITS};
use object::read::elf::{ElfFile32, FileHeader, ProgramHeader, SectionHeader};
use object::{Endianness, Object, ObjectSection};

use crate::chip_map::{espflash_chip, espflash_mode, espflash_size};
use crate::{ImageError, Segment};

/// `sizeof(esp_app_desc_t)`.
const APP_DESC_LEN: u64 = 256;
/// Where `esp_app_desc_t.mmu_page_size` (log2 of the page size, 0: not given) sits in it.
const APP_DESC_MMU_PAGE_SIZE: usize = 0xB4;
/// ESP-IDF's bootloader loads at most this many segments of an app image
/// (`ESP_IMAGE_MAX_SEGMENTS`).
pub const MAX_IMAGE_SEGMENTS: usize = 16;
/// The largest padding espflash puts before a flash segment (one MMU page).
const MAX_PAGE_PADDING: u64 = 64 * 1024;

/// What [`check`] found: the image segments espflash will make (before its padding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Segments after merging adjacent sections, flash and RAM.
    pub segments: usize,
    /// Of those, the ones in flash (each may get up to a page of padding).
    pub flash_segments: usize,
    /// Bytes of all sections.
    pub bytes: u64,
}

fn is_riscv(chip: Chip) -> bool {
    matches!(
        chip,
        Chip::Esp32c2 | Chip::Esp32c3 | Chip::Esp32c6 | Chip::Esp32h2
    )
}

/// Refuse what espflash would mishandle, with the reason; the layout it will build.
pub fn check(elf_bytes: &[u8], chip: Chip) -> Result<Layout, ImageError> {
    let ef_chip = espflash_chip(chip)?;
    let elf = ElfFile32::<Endianness>::parse(elf_bytes).map_err(|e| {
        ImageError::new(format!(
            "not a 32-bit ELF an ESP chip runs ({e}); is it an ELF for an ESP chip?"
        ))
    })?;
    let endian = elf.endian();
    if endian != Endianness::Little {
        return Err(ImageError::new(
            "the ELF is big-endian; ESP chips are little-endian",
        ));
    }
    let machine = elf.elf_header().e_machine(endian);
    let arch = match machine {
        EM_RISCV => "RISC-V (ESP32-C2, -C3, -C6, -H2)",
        EM_XTENSA => "Xtensa (ESP32, -S2, -S3)",
        _ => {
            return Err(ImageError::new(format!(
                "the ELF is for machine {machine}, neither RISC-V nor Xtensa: not an ESP program"
            )))
        }
    };
    if (machine == EM_RISCV) != is_riscv(chip) {
        return Err(ImageError::new(format!(
            "wrong chip: the ELF is built for {arch}, the chip is an {}",
            chip.name()
        )));
    }
    // esp-hal programs name their chip in `.espressif.metadata`.
    let metadata = espflash::image_format::Metadata::from_bytes(Some(elf_bytes));
    if let Some(named) = metadata.chip_name().and_then(Chip::from_name) {
        if named != chip {
            return Err(ImageError::new(format!(
                "wrong chip: the ELF is built for the {}, the chip is an {}",
                named.name(),
                chip.name()
            )));
        }
    }
    // The sections espflash puts into the image (its `segments` filter), at the address it
    // uses (the load address when that is not in flash).
    let mut spans: Vec<(u64, u64, String)> = Vec::new();
    // espflash takes the first section of this name as the app descriptor and requires it
    // inside a flash segment.
    let app_desc = elf.section_by_name(".flash.appdesc").map(|s| s.index());
    let mut app_desc_loaded = false;
    for section in elf.sections() {
        let header = section.elf_section_header();
        let sh_type = header.sh_type(endian);
        let flags = header.sh_flags(endian);
        if section.size() == 0
            || !(sh_type == SHT_PROGBITS || sh_type == SHT_INIT_ARRAY)
            || header.sh_offset(endian) == 0
            || section.address() == 0
            || flags.0 == 0
        {
            continue;
        }
        let name = section.name().unwrap_or("<unnamed>").to_string();
        let data = section.data().map_err(|e| {
            ImageError::new(format!("the ELF's section {name} cannot be read: {e}"))
        })?;
        let vaddr = section.address();
        let lma = elf
            .elf_program_headers()
            .iter()
            .filter(|p| p.p_type(endian) == PT_LOAD)
            .find(|p| {
                let start = u64::from(p.p_vaddr(endian));
                (start..start + u64::from(p.p_memsz(endian))).contains(&vaddr)
            })
            .map(|p| u64::from(p.p_paddr(endian)) + (vaddr - u64::from(p.p_vaddr(endian))));
        let addr = match lma {
            Some(lma) if lma != vaddr && lma <= u64::from(u32::MAX) => {
                if ef_chip.addr_is_flash(lma as u32) {
                    vaddr
                } else {
                    lma
                }
            }
            Some(lma) if lma != vaddr => {
                return Err(ImageError::new(format!(
                    "the ELF's section {name} loads at {lma:#x}, past 4 GiB"
                )))
            }
            _ => vaddr,
        };
        let end = addr + data.len() as u64;
        if end > u64::from(u32::MAX) - 0x1_0000 {
            return Err(ImageError::new(format!(
                "the ELF's section {name} at {addr:#x} runs past the 32-bit address space"
            )));
        }
        if Some(section.index()) == app_desc {
            if addr != vaddr || !ef_chip.addr_is_flash(addr as u32) {
                return Err(ImageError::new(format!(
                    "the ELF's app descriptor (.flash.appdesc) is at {addr:#x}, not in flash"
                )));
            }
            if (data.len() as u64) < APP_DESC_LEN {
                return Err(ImageError::new(format!(
                    "the ELF's app descriptor (.flash.appdesc) has {} bytes, not {APP_DESC_LEN}",
                    data.len()
                )));
            }
            let log2 = data[APP_DESC_MMU_PAGE_SIZE];
            if log2 >= 32 {
                return Err(ImageError::new(format!(
                    "the ELF's app descriptor gives an MMU page size of 2^{log2} bytes"
                )));
            }
            app_desc_loaded = true;
        }
        spans.push((addr, end, name));
    }
    if app_desc.is_some() && !app_desc_loaded {
        return Err(ImageError::new(
            "the ELF's app descriptor (.flash.appdesc) is not a section loaded into flash",
        ));
    }
    if spans.is_empty() {
        return Err(ImageError::new(
            "the ELF has no sections to load (no code or data with an address)",
        ));
    }
    spans.sort();
    for pair in spans.windows(2) {
        let ((_, end_a, a), (start_b, _, b)) = (&pair[0], &pair[1]);
        if start_b < end_a {
            return Err(ImageError::new(format!(
                "the ELF's sections {a} and {b} overlap (at {start_b:#x})"
            )));
        }
    }
    if !spans
        .iter()
        .any(|(addr, _, _)| ef_chip.addr_is_flash(*addr as u32))
    {
        return Err(ImageError::new(format!(
            "the ELF has nothing in the {}'s flash address ranges (IROM/DROM): is it for this \
             chip?",
            chip.name()
        )));
    }
    // espflash merges sections that touch (or would touch after 4-byte alignment) into one
    // image segment, flash and RAM ones separately.
    let mut merged: Vec<(u64, u64, bool)> = Vec::new();
    for (start, end, _) in &spans {
        let in_flash = ef_chip.addr_is_flash(*start as u32);
        match merged.last_mut() {
            Some((_, last_end, last_flash))
                if *last_flash == in_flash && *last_end + (4 - *last_end % 4) % 4 >= *start =>
            {
                *last_end = *end;
            }
            _ => merged.push((*start, *end, in_flash)),
        }
    }
    let layout = Layout {
        segments: merged.len(),
        flash_segments: merged.iter().filter(|m| m.2).count(),
        bytes: spans.iter().map(|(s, e, _)| e - s).sum(),
    };
    if layout.segments > MAX_IMAGE_SEGMENTS {
        return Err(ImageError::new(format!(
            "the ELF makes {} image segments (its loadable sections, adjacent ones merged); \
             ESP-IDF's bootloader boots at most {MAX_IMAGE_SEGMENTS}",
            layout.segments
        )));
    }
    Ok(layout)
}

/// The bootloader, partition table and app of `elf` for `chip` with a flash of `flash_size`
/// bytes (its size in the headers and the app partition's size), the flash mode of `params`
/// (`None`: the bootloader's own, DIO) and its size if given. The frequency is set by the caller
/// ([`ferrite_flasher::image::patch_header`], esptool's per-chip codes).
pub fn build(
    elf: &[u8],
    chip: Chip,
    flash_size: u32,
    params: &FlashParams,
) -> Result<Vec<Segment>, ImageError> {
    let layout = check(elf, chip)?;
    let ef_chip = espflash_chip(chip)?;
    let image_flash = params.size.unwrap_or(flash_size);
    let most = layout.bytes + MAX_PAGE_PADDING * layout.flash_segments as u64;
    if most > u64::from(image_flash) {
        return Err(ImageError::new(format!(
            "the ELF's sections ({} bytes in {} segments, up to {most} bytes with the page \
             padding of its flash segments) do not fit a {} KiB flash",
            layout.bytes,
            layout.segments,
            image_flash >> 10
        )));
    }
    let size = espflash_size(image_flash)?;
    let settings = FlashSettings::new(params.mode.map(espflash_mode), Some(size), None);
    let data = FlashData::new(settings, 0, None, ef_chip, ef_chip.default_xtal_frequency());
    let format = IdfBootloaderFormat::new(elf, &data, None, None, None, None)
        .map_err(|e| ImageError::new(format!("cannot build an app image from the ELF: {e}")))?;
    let whats = ["bootloader", "partition table", "app"];
    let segments: Vec<Segment> = format
        .flash_segments()
        .zip(whats)
        .map(|(s, what)| Segment {
            offset: s.addr,
            data: s.data.into_owned(),
            what,
        })
        .collect();
    if segments.len() != whats.len() {
        return Err(ImageError::new(format!(
            "espflash made {} flash segments of the ELF, expected bootloader, partition table \
             and app",
            segments.len()
        )));
    }
    check_app_image(&segments[2].data)?;
    Ok(segments)
}

/// What espflash built must be an image ESP-IDF's bootloader loads: it parses (segments,
/// checksum, digest in place) and has at most [`MAX_IMAGE_SEGMENTS`] segments.
pub fn check_app_image(app: &[u8]) -> Result<(), ImageError> {
    let Some(header) = parse_header(app) else {
        return Err(ImageError::new(
            "espflash built an app image without a header",
        ));
    };
    if usize::from(header.segments) > MAX_IMAGE_SEGMENTS {
        return Err(ImageError::new(format!(
            "the ELF makes {} image segments (with espflash's padding); ESP-IDF's bootloader \
             boots at most {MAX_IMAGE_SEGMENTS}",
            header.segments
        )));
    }
    if data_len(app, true).is_none() {
        return Err(ImageError::new(
            "espflash built an app image whose segments do not parse",
        ));
    }
    Ok(())
}
