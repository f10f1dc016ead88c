//! Our chips and flash parameters as `espflash` names them.
//!
//! Must never: guess — a chip or value espflash has no equivalent for is an [`ImageError`].

use espflash::flasher::{FlashMode as EfMode, FlashSize as EfSize};
use espflash::target::Chip as EfChip;
use ferrite_flasher::image::FlashMode;
use ferrite_flasher::Chip;

use crate::ImageError;

/// The `espflash` chip for building images; the ESP8266 has none (espflash builds ESP-IDF
/// images for the ESP32 family only).
pub fn espflash_chip(chip: Chip) -> Result<EfChip, ImageError> {
    Ok(match chip {
        Chip::Esp8266 => {
            return Err(ImageError::new(
                "building an image from an ELF is not supported for the ESP8266 (only for the \
                 ESP32 family); flash a .bin made by the ESP8266 SDK instead",
            ))
        }
        Chip::Esp32 => EfChip::Esp32,
        Chip::Esp32s2 => EfChip::Esp32s2,
        Chip::Esp32s3 => EfChip::Esp32s3,
        Chip::Esp32c2 => EfChip::Esp32c2,
        Chip::Esp32c3 => EfChip::Esp32c3,
        Chip::Esp32c6 => EfChip::Esp32c6,
        Chip::Esp32h2 => EfChip::Esp32h2,
    })
}

pub fn espflash_mode(mode: FlashMode) -> EfMode {
    match mode {
        FlashMode::Qio => EfMode::Qio,
        FlashMode::Qout => EfMode::Qout,
        FlashMode::Dio => EfMode::Dio,
        FlashMode::Dout => EfMode::Dout,
    }
}

pub fn espflash_size(bytes: u32) -> Result<EfSize, ImageError> {
    const KB: u32 = 1 << 10;
    const MB: u32 = 1 << 20;
    Ok(match bytes {
        b if b == 256 * KB => EfSize::_256Kb,
        b if b == 512 * KB => EfSize::_512Kb,
        b if b == MB => EfSize::_1Mb,
        b if b == 2 * MB => EfSize::_2Mb,
        b if b == 4 * MB => EfSize::_4Mb,
        b if b == 8 * MB => EfSize::_8Mb,
        b if b == 16 * MB => EfSize::_16Mb,
        b if b == 32 * MB => EfSize::_32Mb,
        b if b == 64 * MB => EfSize::_64Mb,
        b if b == 128 * MB => EfSize::_128Mb,
        b if b == 256 * MB => EfSize::_256Mb,
        _ => {
            return Err(ImageError::new(format!(
                "a flash size of {bytes} bytes is not one an image can be built for (1, 2, 4, \
                 8, 16, 32, 64, 128 or 256 MB)"
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_esp32_family_chip_maps_to_the_same_image_chip_id() {
        for chip in Chip::ALL {
            match espflash_chip(chip) {
                Ok(ef) => assert_eq!(Some(u32::from(ef.id())), chip.chip_id(), "{chip:?}"),
                Err(e) => {
                    assert_eq!(chip, Chip::Esp8266);
                    assert!(e.message().contains("ESP8266"), "{e}");
                }
            }
        }
        assert_eq!(espflash_size(4 << 20).unwrap().size(), 4 << 20);
        assert!(espflash_size(3 << 20).is_err());
    }
}
