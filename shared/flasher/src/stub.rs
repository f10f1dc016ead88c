//! The flasher stubs: small programs the ROM loader runs from RAM that speak the same protocol
//! faster and with more commands (erase, fast read, bigger blocks). They are Espressif's
//! esptool stubs as shipped by the `espflash` crate; `build.rs` takes them from that crate's
//! sources at build time — they are never stored in this repository.

use crate::chip::Chip;

/// One stub: two segments to load into RAM and the address to jump to.
#[derive(Clone, Copy, Debug)]
pub struct Stub {
    pub entry: u32,
    pub text_start: u32,
    pub text: &'static [u8],
    pub data_start: u32,
    pub data: &'static [u8],
}

mod generated {
    use super::Stub;
    include!(concat!(env!("OUT_DIR"), "/stubs.rs"));
}

/// The stub for `chip`, if espflash ships one (it has none for the ESP8266).
pub fn for_chip(chip: Chip) -> Option<&'static Stub> {
    Some(match chip {
        Chip::Esp32 => &generated::ESP32,
        Chip::Esp32s2 => &generated::ESP32S2,
        Chip::Esp32s3 => &generated::ESP32S3,
        Chip::Esp32c2 => &generated::ESP32C2,
        Chip::Esp32c3 => &generated::ESP32C3,
        Chip::Esp32c6 => &generated::ESP32C6,
        Chip::Esp32h2 => &generated::ESP32H2,
        Chip::Esp8266 => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_esp32_family_chip_has_a_stub() {
        for chip in Chip::ALL {
            match for_chip(chip) {
                Some(s) => {
                    assert!(!s.text.is_empty(), "{chip:?}");
                    assert!(s.entry >= s.text_start, "{chip:?}");
                    assert!(s.entry < s.text_start + s.text.len() as u32, "{chip:?}");
                }
                None => assert_eq!(chip, Chip::Esp8266),
            }
        }
    }
}
