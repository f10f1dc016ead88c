//! The ESP image header as esptool reads and patches it: magic `0xE9`, segment count, flash
//! mode (byte 2), flash size and frequency (byte 3, size in the high nibble), the extended
//! header of the ESP32 family (chip id at byte 12, hash-appended flag at byte 23), the segments
//! that follow, the checksum and the SHA-256 appended after them. Also where the second-stage
//! bootloader and the partition table sit in flash.
//!
//! [`patch_header`] does what esptool's `_update_image_flash_params` does for an image written at
//! the chip's bootloader offset: set the flash mode, frequency and size a person asked for, keep
//! the rest, and recompute the appended SHA-256 when the image has one (the ROM checks it).
//!
//! Must never: patch bytes that are not a well-formed image (a header whose segments run past
//! the end is left alone), or panic on any input.

use alloc::format;

use sha2::{Digest, Sha256};

use crate::chip::Chip;
use crate::error::Error;

/// The first byte of every ESP image.
pub const MAGIC: u8 = 0xE9;
/// The common header (magic, segments, mode, size/frequency, entry point).
pub const COMMON_HEADER_LEN: usize = 8;
/// The ESP32 family's extended header that follows the common one.
pub const EXTENDED_HEADER_LEN: usize = 16;
/// Each segment starts with its load address and its length (little-endian u32s).
pub const SEGMENT_HEADER_LEN: usize = 8;
/// Length of the SHA-256 appended when the hash-appended flag is set.
pub const DIGEST_LEN: usize = 32;
/// Where ESP-IDF's partition table sits (`CONFIG_PARTITION_TABLE_OFFSET` default).
pub const PARTITION_TABLE_OFFSET: u32 = 0x8000;
/// The first two bytes of a partition table entry (`ESP_PARTITION_MAGIC`, little-endian 0x50AA).
pub const PARTITION_MAGIC: [u8; 2] = [0xAA, 0x50];
/// Where ESP-IDF's default partition table puts the (factory) app.
pub const DEFAULT_APP_OFFSET: u32 = 0x1_0000;
/// No image has more segments than this (`ESP_IMAGE_MAX_SEGMENTS`).
const MAX_SEGMENTS: u8 = 16;

impl Chip {
    /// Where the ROM looks for the second-stage bootloader (esptool's `BOOTLOADER_FLASH_OFFSET`).
    pub fn bootloader_offset(self) -> u32 {
        match self {
            Chip::Esp32 | Chip::Esp32s2 => 0x1000,
            Chip::Esp8266
            | Chip::Esp32s3
            | Chip::Esp32c2
            | Chip::Esp32c3
            | Chip::Esp32c6
            | Chip::Esp32h2 => 0x0,
        }
    }
}

/// How the flash is read (`esp_image_spi_mode_t`, esptool's `FLASH_MODES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlashMode {
    Qio,
    Qout,
    Dio,
    Dout,
}

impl FlashMode {
    pub const ALL: [FlashMode; 4] = [
        FlashMode::Qio,
        FlashMode::Qout,
        FlashMode::Dio,
        FlashMode::Dout,
    ];

    /// The value in header byte 2.
    pub fn code(self) -> u8 {
        match self {
            FlashMode::Qio => 0,
            FlashMode::Qout => 1,
            FlashMode::Dio => 2,
            FlashMode::Dout => 3,
        }
    }

    pub fn from_code(code: u8) -> Option<FlashMode> {
        FlashMode::ALL.into_iter().find(|m| m.code() == code)
    }

    /// esptool's name: `qio`, `qout`, `dio`, `dout`.
    pub fn name(self) -> &'static str {
        match self {
            FlashMode::Qio => "qio",
            FlashMode::Qout => "qout",
            FlashMode::Dio => "dio",
            FlashMode::Dout => "dout",
        }
    }

    /// Parse esptool's name (any case).
    pub fn from_name(s: &str) -> Option<FlashMode> {
        FlashMode::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s))
    }
}

/// The SPI flash clock. Which ones a chip takes, and how each is encoded, depends on the chip
/// ([`FlashFreq::code`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlashFreq {
    F12m,
    F15m,
    F16m,
    F20m,
    F24m,
    F26m,
    F30m,
    F40m,
    F48m,
    F60m,
    F80m,
}

impl FlashFreq {
    pub const ALL: [FlashFreq; 11] = [
        FlashFreq::F12m,
        FlashFreq::F15m,
        FlashFreq::F16m,
        FlashFreq::F20m,
        FlashFreq::F24m,
        FlashFreq::F26m,
        FlashFreq::F30m,
        FlashFreq::F40m,
        FlashFreq::F48m,
        FlashFreq::F60m,
        FlashFreq::F80m,
    ];

    /// The frequency in MHz.
    pub fn mhz(self) -> u32 {
        match self {
            FlashFreq::F12m => 12,
            FlashFreq::F15m => 15,
            FlashFreq::F16m => 16,
            FlashFreq::F20m => 20,
            FlashFreq::F24m => 24,
            FlashFreq::F26m => 26,
            FlashFreq::F30m => 30,
            FlashFreq::F40m => 40,
            FlashFreq::F48m => 48,
            FlashFreq::F60m => 60,
            FlashFreq::F80m => 80,
        }
    }

    /// Parse esptool's name: `80m`, `40m`, … (also `80mhz`, any case).
    pub fn from_name(s: &str) -> Option<FlashFreq> {
        let lower = s.trim().to_ascii_lowercase();
        let digits = lower
            .strip_suffix("mhz")
            .or_else(|| lower.strip_suffix('m'))?;
        let mhz: u32 = digits.parse().ok()?;
        FlashFreq::ALL.into_iter().find(|f| f.mhz() == mhz)
    }

    /// The low nibble of header byte 3 for this frequency on `chip` (esptool's
    /// `FLASH_FREQUENCY` of each target); `None`: the chip does not take it.
    pub fn code(self, chip: Chip) -> Option<u8> {
        use FlashFreq::*;
        match chip {
            Chip::Esp32c2 => match self {
                F60m => Some(0xF),
                F30m => Some(0x0),
                F20m => Some(0x1),
                F15m => Some(0x2),
                _ => None,
            },
            Chip::Esp32h2 => match self {
                F48m => Some(0xF),
                F24m => Some(0x0),
                F16m => Some(0x1),
                F12m => Some(0x2),
                _ => None,
            },
            // esptool: "80m": 0x0, a workaround for a wrong MSPI divider in the C6 ROM.
            Chip::Esp32c6 => match self {
                F80m | F40m => Some(0x0),
                F20m => Some(0x2),
                _ => None,
            },
            Chip::Esp8266 | Chip::Esp32 | Chip::Esp32s2 | Chip::Esp32s3 | Chip::Esp32c3 => {
                match self {
                    F80m => Some(0xF),
                    F40m => Some(0x0),
                    F26m => Some(0x1),
                    F20m => Some(0x2),
                    _ => None,
                }
            }
        }
    }

    /// The frequencies `chip` takes, in MHz, for messages.
    pub fn supported(chip: Chip) -> impl Iterator<Item = FlashFreq> {
        FlashFreq::ALL
            .into_iter()
            .filter(move |f| f.code(chip).is_some())
    }
}

/// The high nibble of header byte 3 for a flash of `bytes` on `chip` (esptool's `FLASH_SIZES`);
/// `None`: the header cannot say that size.
pub fn flash_size_code(chip: Chip, bytes: u32) -> Option<u8> {
    const MB: u32 = 1 << 20;
    if chip == Chip::Esp8266 {
        return match bytes {
            b if b == MB / 2 => Some(0x0),
            b if b == MB / 4 => Some(0x1),
            b if b == MB => Some(0x2),
            b if b == 2 * MB => Some(0x3),
            b if b == 4 * MB => Some(0x4),
            b if b == 8 * MB => Some(0x8),
            b if b == 16 * MB => Some(0x9),
            _ => None,
        };
    }
    // esptool's ESP32-C2 `FLASH_SIZES` end at 16 MB.
    let most = if chip == Chip::Esp32c2 {
        16 * MB
    } else {
        128 * MB
    };
    if !bytes.is_power_of_two() || !(MB..=most).contains(&bytes) {
        return None;
    }
    Some((bytes / MB).trailing_zeros() as u8)
}

/// The flash size a header's size nibble means on `chip`.
pub fn flash_size_from_code(chip: Chip, code: u8) -> Option<u32> {
    const MB: u32 = 1 << 20;
    if chip == Chip::Esp8266 {
        return match code {
            0x0 => Some(MB / 2),
            0x1 => Some(MB / 4),
            0x2 => Some(MB),
            0x3 | 0x5 => Some(2 * MB),
            0x4 | 0x6 => Some(4 * MB),
            0x8 => Some(8 * MB),
            0x9 => Some(16 * MB),
            _ => None,
        };
    }
    let most = if chip == Chip::Esp32c2 { 4 } else { 7 };
    (code <= most).then(|| MB << code)
}

/// Whether the image at the start of `image`, whose checksum byte ends at `data_end`
/// ([`data_len`]), has the right XOR checksum (0xEF xor every segment byte) and, when the header
/// says one is appended, the right SHA-256 — esptool's `verify()` before it patches.
fn checksum_and_digest_ok(image: &[u8], extended: bool, data_end: usize) -> bool {
    let Some(&segments) = image.get(1) else {
        return false;
    };
    let mut at = COMMON_HEADER_LEN + if extended { EXTENDED_HEADER_LEN } else { 0 };
    let mut sum = 0xEFu8;
    for _ in 0..segments {
        let Some(len) = u32_at(image, at + 4) else {
            return false;
        };
        let start = at + SEGMENT_HEADER_LEN;
        let Some(data) = image.get(start..start + len as usize) else {
            return false;
        };
        sum = data.iter().fold(sum, |a, b| a ^ b);
        at = start + len as usize;
    }
    if image.get(data_end - 1) != Some(&sum) {
        return false;
    }
    if extended && image.get(23) == Some(&1) {
        let Some(stored) = image.get(data_end..data_end + DIGEST_LEN) else {
            return false;
        };
        return Sha256::digest(&image[..data_end]).as_slice() == stored;
    }
    true
}

/// What to set in an image header; `None` keeps what the image has (esptool's `keep`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FlashParams {
    pub mode: Option<FlashMode>,
    pub freq: Option<FlashFreq>,
    /// The flash size in bytes.
    pub size: Option<u32>,
}

impl FlashParams {
    /// Everything kept.
    pub fn is_keep(&self) -> bool {
        self.mode.is_none() && self.freq.is_none() && self.size.is_none()
    }
}

/// An image header as read from the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub segments: u8,
    /// Header byte 2 (a [`FlashMode`] code, unless the image is odd).
    pub mode: u8,
    /// High nibble of byte 3.
    pub size_code: u8,
    /// Low nibble of byte 3.
    pub freq_code: u8,
    pub entry: u32,
    /// The extended header's chip id (meaningful for the ESP32 family only: ESP8266 images have
    /// no extended header, and these bytes are theirs to use otherwise).
    pub chip_id: u16,
    /// The extended header says a SHA-256 follows the checksum.
    pub hash_appended: bool,
}

impl Header {
    pub fn mode(&self) -> Option<FlashMode> {
        FlashMode::from_code(self.mode)
    }

    /// The chip the extended header names, among the ESP32 family.
    pub fn chip(&self) -> Option<Chip> {
        Chip::ALL
            .into_iter()
            .find(|c| *c != Chip::Esp8266 && c.chip_id() == Some(u32::from(self.chip_id)))
    }
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Read the header of the ESP32-family image at the start of `image` (with the extended header);
/// `None` if it does not start with one.
pub fn parse_header(image: &[u8]) -> Option<Header> {
    if image.len() < COMMON_HEADER_LEN + EXTENDED_HEADER_LEN || image[0] != MAGIC {
        return None;
    }
    Some(Header {
        segments: image[1],
        mode: image[2],
        size_code: image[3] >> 4,
        freq_code: image[3] & 0x0F,
        entry: u32_at(image, 4)?,
        chip_id: u16::from_le_bytes([image[12], image[13]]),
        hash_appended: image[23] == 1,
    })
}

/// Where the checksum-and-padding of the image at the start of `image` ends, that is where the
/// appended SHA-256 (if any) starts (esptool's `data_length`): the headers, every segment, the
/// padding to 16 bytes and the checksum byte. `extended`: the image has the ESP32 family's
/// extended header. `None` if the segments run past the end or the header is not an image's.
pub fn data_len(image: &[u8], extended: bool) -> Option<usize> {
    if image.first() != Some(&MAGIC) {
        return None;
    }
    let segments = *image.get(1)?;
    if segments == 0 || segments > MAX_SEGMENTS {
        return None;
    }
    let mut at = COMMON_HEADER_LEN + if extended { EXTENDED_HEADER_LEN } else { 0 };
    for _ in 0..segments {
        let len = u32_at(image, at + 4)? as usize;
        at = at
            .checked_add(SEGMENT_HEADER_LEN)?
            .checked_add(len)
            .filter(|end| *end <= image.len())?;
    }
    // Pad so that the checksum byte is the last of a 16-byte line.
    at += 15 - at % 16;
    at += 1;
    (at <= image.len()).then_some(at)
}

/// Whether `flash` (an image of the flash from offset 0, or at least its first 36 KiB) holds an
/// ESP-IDF partition table at [`PARTITION_TABLE_OFFSET`].
pub fn has_partition_table(flash: &[u8]) -> bool {
    let at = PARTITION_TABLE_OFFSET as usize;
    flash.get(at..at + 2) == Some(&PARTITION_MAGIC[..])
}

/// Set the flash mode, frequency and size of `params` in the header of the image at the start of
/// `image`, which the caller writes at `chip`'s [bootloader offset](Chip::bootloader_offset) (as
/// esptool, images elsewhere are not patched: the caller does not call this for them). The
/// appended SHA-256 is recomputed when the header says there is one. Returns whether anything
/// changed: `false` when all is kept, or `image` is not a well-formed image, or its checksum
/// or appended SHA-256 do not validate — as esptool, which verifies the image before patching
/// and writes one that fails unchanged (an encrypted image, or bytes that merely start with
/// 0xE9); such an image is left as it is.
///
/// Errors: a frequency or size the chip's header cannot express.
pub fn patch_header(image: &mut [u8], chip: Chip, params: &FlashParams) -> Result<bool, Error> {
    let freq = match params.freq {
        Some(f) => Some(f.code(chip).ok_or_else(|| {
            let mut known = alloc::string::String::new();
            for f in FlashFreq::supported(chip) {
                if !known.is_empty() {
                    known.push_str(", ");
                }
                known.push_str(&format!("{}m", f.mhz()));
            }
            Error::Invalid(format!(
                "the {} does not take a flash frequency of {} MHz (it takes {known})",
                chip.name(),
                f.mhz()
            ))
        })?),
        None => None,
    };
    let size = match params.size {
        Some(s) => Some(flash_size_code(chip, s).ok_or_else(|| {
            Error::Invalid(format!(
                "an image header for the {} cannot say a flash size of {s} bytes (1, 2, 4, 8, \
                 16, 32, 64 or 128 MB{})",
                chip.name(),
                match chip {
                    Chip::Esp8266 => "; 256 KB, 512 KB on the ESP8266, but not over 16 MB",
                    Chip::Esp32c2 => "; not over 16 MB on the ESP32-C2",
                    _ => "",
                }
            ))
        })?),
        None => None,
    };
    if params.is_keep() {
        return Ok(false);
    }
    let extended = chip != Chip::Esp8266;
    let Some(data_end) = data_len(image, extended) else {
        return Ok(false);
    };
    let old = [image[2], image[3]];
    let mode = params.mode.map_or(old[0], FlashMode::code);
    let size_freq = (size.unwrap_or(old[1] >> 4) << 4) | freq.unwrap_or(old[1] & 0x0F);
    if [mode, size_freq] == old {
        return Ok(false);
    }
    let hash_appended = extended && image.get(23) == Some(&1);
    if !checksum_and_digest_ok(image, extended, data_end) {
        // A cut-off digest, a bad checksum or digest: not an image to touch.
        return Ok(false);
    }
    image[2] = mode;
    image[3] = size_freq;
    if hash_appended {
        let digest = Sha256::digest(&image[..data_end]);
        image[data_end..data_end + DIGEST_LEN].copy_from_slice(&digest);
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// A well-formed C3 image: header, two segments, checksum, SHA-256 (when `hash`).
    fn image(hash: bool) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&[MAGIC, 2, FlashMode::Dio.code(), 0x20]);
        v.extend_from_slice(&0x4038_0000u32.to_le_bytes());
        let mut ext = [0u8; 16];
        ext[0] = 0xEE;
        ext[4] = 5; // chip id: C3
        ext[15] = u8::from(hash);
        v.extend_from_slice(&ext);
        let mut sum = 0xEFu8;
        for (addr, len) in [(0x3C00_0020u32, 12u32), (0x3FC8_0000, 7)] {
            v.extend_from_slice(&addr.to_le_bytes());
            v.extend_from_slice(&len.to_le_bytes());
            v.extend((0..len).map(|i| i as u8 + 1));
            sum = (0..len).fold(sum, |a, i| a ^ (i as u8 + 1));
        }
        while v.len() % 16 != 15 {
            v.push(0);
        }
        v.push(sum);
        if hash {
            let d = Sha256::digest(&v);
            v.extend_from_slice(&d);
        }
        v
    }

    #[test]
    fn header_fields() {
        let img = image(true);
        let h = parse_header(&img).unwrap();
        assert_eq!(h.segments, 2);
        assert_eq!(h.mode(), Some(FlashMode::Dio));
        assert_eq!((h.size_code, h.freq_code), (2, 0));
        assert_eq!(h.entry, 0x4038_0000);
        assert_eq!(h.chip(), Some(Chip::Esp32c3));
        assert!(h.hash_appended);
        assert_eq!(data_len(&img, true), Some(img.len() - DIGEST_LEN));
        assert_eq!(parse_header(&[0u8; 30]), None);
        assert_eq!(parse_header(&img[..10]), None);
    }

    #[test]
    fn an_image_whose_checksum_or_digest_fails_is_not_patched() {
        let params = FlashParams {
            mode: Some(FlashMode::Qio),
            ..FlashParams::default()
        };
        // The sound image is patched (the check can pass) ...
        let mut good = image(false);
        assert_eq!(patch_header(&mut good, Chip::Esp32c3, &params), Ok(true));
        // ... one with a wrong checksum byte is not, nor one whose digest is wrong.
        let mut bad_sum = image(false);
        let last = bad_sum.len() - 1;
        bad_sum[last] ^= 1;
        let before = bad_sum.clone();
        assert_eq!(
            patch_header(&mut bad_sum, Chip::Esp32c3, &params),
            Ok(false)
        );
        assert_eq!(bad_sum, before);
        let mut bad_digest = image(true);
        let last = bad_digest.len() - 1;
        bad_digest[last] ^= 1;
        let before = bad_digest.clone();
        assert_eq!(
            patch_header(&mut bad_digest, Chip::Esp32c3, &params),
            Ok(false)
        );
        assert_eq!(bad_digest, before);
    }

    #[test]
    fn the_c2_header_names_no_flash_over_16_mb() {
        assert_eq!(flash_size_code(Chip::Esp32c2, 16 << 20), Some(4));
        assert_eq!(flash_size_code(Chip::Esp32c2, 32 << 20), None);
        assert_eq!(flash_size_code(Chip::Esp32c3, 32 << 20), Some(5));
        assert_eq!(flash_size_from_code(Chip::Esp32c2, 5), None);
        let e = patch_header(
            &mut image(false),
            Chip::Esp32c2,
            &FlashParams {
                size: Some(32 << 20),
                ..FlashParams::default()
            },
        );
        assert!(matches!(e, Err(Error::Invalid(t)) if t.contains("not over 16 MB")));
    }

    #[test]
    fn patch_sets_fields_and_recomputes_the_digest() {
        let mut img = image(true);
        let params = FlashParams {
            mode: Some(FlashMode::Qio),
            freq: Some(FlashFreq::F80m),
            size: Some(16 << 20),
        };
        assert_eq!(patch_header(&mut img, Chip::Esp32c3, &params), Ok(true));
        assert_eq!(img[2], 0);
        assert_eq!(img[3], 0x4F);
        let end = img.len() - DIGEST_LEN;
        assert_eq!(&img[end..], &Sha256::digest(&img[..end])[..]);
        // The same again: nothing changes.
        let before = img.clone();
        assert_eq!(patch_header(&mut img, Chip::Esp32c3, &params), Ok(false));
        assert_eq!(img, before);
    }

    #[test]
    fn keep_leaves_fields() {
        let mut img = image(false);
        let before = img.clone();
        assert_eq!(
            patch_header(&mut img, Chip::Esp32c3, &FlashParams::default()),
            Ok(false)
        );
        let only_size = FlashParams {
            size: Some(2 << 20),
            ..FlashParams::default()
        };
        assert_eq!(patch_header(&mut img, Chip::Esp32c3, &only_size), Ok(true));
        assert_eq!((img[2], img[3]), (2, 0x10));
        // Without the hash flag nothing after the checksum is touched.
        assert_eq!(img.len(), before.len());
        assert_eq!(img[4..], before[4..]);
    }

    #[test]
    fn what_is_not_an_image_is_left_alone() {
        let params = FlashParams {
            mode: Some(FlashMode::Dout),
            ..FlashParams::default()
        };
        let mut junk = alloc::vec![0xE9u8, 3, 2, 0x20, 0, 0, 0, 0];
        junk.extend_from_slice(&[0xFF; 40]);
        let before = junk.clone();
        assert_eq!(patch_header(&mut junk, Chip::Esp32c3, &params), Ok(false));
        assert_eq!(junk, before);
        // The promised digest cut off.
        let mut img = image(true);
        img.truncate(img.len() - 1);
        let before = img.clone();
        assert_eq!(patch_header(&mut img, Chip::Esp32c3, &params), Ok(false));
        assert_eq!(img, before);
        // Cut off in the middle of a segment.
        let mut img = image(true);
        img.truncate(40);
        assert_eq!(patch_header(&mut img, Chip::Esp32c3, &params), Ok(false));
        assert_eq!(patch_header(&mut [], Chip::Esp32c3, &params), Ok(false));
    }

    #[test]
    fn per_chip_codes() {
        assert_eq!(FlashFreq::F80m.code(Chip::Esp32), Some(0xF));
        assert_eq!(FlashFreq::F80m.code(Chip::Esp32c6), Some(0x0));
        assert_eq!(FlashFreq::F48m.code(Chip::Esp32h2), Some(0xF));
        assert_eq!(FlashFreq::F80m.code(Chip::Esp32h2), None);
        assert_eq!(FlashFreq::F15m.code(Chip::Esp32c2), Some(0x2));
        assert_eq!(FlashFreq::from_name("80m"), Some(FlashFreq::F80m));
        assert_eq!(FlashFreq::from_name("26MHz"), Some(FlashFreq::F26m));
        assert_eq!(FlashFreq::from_name("81m"), None);
        assert_eq!(FlashMode::from_name("QIO"), Some(FlashMode::Qio));
        assert_eq!(FlashMode::from_name("keep"), None);
        assert_eq!(flash_size_code(Chip::Esp32, 4 << 20), Some(2));
        assert_eq!(flash_size_code(Chip::Esp32s3, 1 << 20), Some(0));
        assert_eq!(flash_size_code(Chip::Esp32s3, 128 << 20), Some(7));
        assert_eq!(flash_size_code(Chip::Esp32s3, 3 << 20), None);
        assert_eq!(flash_size_code(Chip::Esp32s3, 512 << 10), None);
        assert_eq!(flash_size_code(Chip::Esp8266, 512 << 10), Some(0));
        assert_eq!(flash_size_code(Chip::Esp8266, 4 << 20), Some(4));
        for chip in Chip::ALL {
            for mb in [1u32, 2, 4, 8, 16] {
                let code = flash_size_code(chip, mb << 20).unwrap();
                assert_eq!(flash_size_from_code(chip, code), Some(mb << 20));
            }
        }
        let bad = FlashParams {
            freq: Some(FlashFreq::F80m),
            ..FlashParams::default()
        };
        let err = patch_header(&mut image(true), Chip::Esp32h2, &bad).unwrap_err();
        assert!(
            format!("{err}").contains("takes 12m, 16m, 24m, 48m"),
            "{err}"
        );
        let bad = FlashParams {
            size: Some(3 << 20),
            ..FlashParams::default()
        };
        assert!(patch_header(&mut image(true), Chip::Esp32c3, &bad).is_err());
    }

    #[test]
    fn bootloader_offsets_and_partition_table() {
        assert_eq!(Chip::Esp32.bootloader_offset(), 0x1000);
        assert_eq!(Chip::Esp32s2.bootloader_offset(), 0x1000);
        assert_eq!(Chip::Esp32c3.bootloader_offset(), 0);
        assert_eq!(Chip::Esp8266.bootloader_offset(), 0);
        let mut flash = alloc::vec![0xFFu8; 0x9000];
        assert!(!has_partition_table(&flash));
        flash[0x8000] = 0xAA;
        flash[0x8001] = 0x50;
        assert!(has_partition_table(&flash));
        assert!(!has_partition_table(&flash[..0x8001]));
    }
}
