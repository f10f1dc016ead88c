//! The chips the ROM loader protocol reaches, and the facts about each that the protocol needs.
//! Values are esptool's (`esptool/targets/*.py`, esptool 5.6): detection magic values and
//! image chip ids, where the MAC address sits in the efuses, which ROMs take the 5-word
//! FLASH_BEGIN and compressed writes.

use alloc::vec::Vec;

/// Where esptool reads the detection magic value (the same ROM address on every chip).
pub const MAGIC_REG: u32 = 0x4000_1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Chip {
    Esp8266,
    Esp32,
    Esp32s2,
    Esp32s3,
    Esp32c2,
    Esp32c3,
    Esp32c6,
    Esp32h2,
}

impl Chip {
    pub const ALL: [Chip; 8] = [
        Chip::Esp8266,
        Chip::Esp32,
        Chip::Esp32s2,
        Chip::Esp32s3,
        Chip::Esp32c2,
        Chip::Esp32c3,
        Chip::Esp32c6,
        Chip::Esp32h2,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Chip::Esp8266 => "ESP8266",
            Chip::Esp32 => "ESP32",
            Chip::Esp32s2 => "ESP32-S2",
            Chip::Esp32s3 => "ESP32-S3",
            Chip::Esp32c2 => "ESP32-C2",
            Chip::Esp32c3 => "ESP32-C3",
            Chip::Esp32c6 => "ESP32-C6",
            Chip::Esp32h2 => "ESP32-H2",
        }
    }

    /// Parse a name such as `esp32c3`, `ESP32-C3`.
    pub fn from_name(s: &str) -> Option<Chip> {
        let norm: Vec<u8> = s
            .bytes()
            .filter(|b| *b != b'-' && *b != b'_')
            .map(|b| b.to_ascii_lowercase())
            .collect();
        Chip::ALL.into_iter().find(|c| {
            let n: Vec<u8> = c
                .name()
                .bytes()
                .filter(|b| *b != b'-')
                .map(|b| b.to_ascii_lowercase())
                .collect();
            n == norm
        })
    }

    /// The value at [`MAGIC_REG`] on chips esptool detects that way (`USES_MAGIC_VALUE`).
    pub fn magic_value(self) -> Option<u32> {
        match self {
            Chip::Esp8266 => Some(0xFFF0_C101),
            Chip::Esp32 => Some(0x00F0_1D83),
            Chip::Esp32s2 => Some(0x0000_07C6),
            _ => None,
        }
    }

    /// The chip id in GET_SECURITY_INFO and in app image headers (`IMAGE_CHIP_ID`).
    pub fn chip_id(self) -> Option<u32> {
        match self {
            Chip::Esp8266 => None,
            Chip::Esp32 => Some(0),
            Chip::Esp32s2 => Some(2),
            Chip::Esp32c3 => Some(5),
            Chip::Esp32s3 => Some(9),
            Chip::Esp32c2 => Some(12),
            Chip::Esp32c6 => Some(13),
            Chip::Esp32h2 => Some(16),
        }
    }

    /// The chip whose magic value this is.
    pub fn from_magic(value: u32) -> Option<Chip> {
        Chip::ALL
            .into_iter()
            .find(|c| c.magic_value() == Some(value))
    }

    /// The chip with this security-info chip id, among those not detected by magic value (as
    /// esptool's `detect_chip` does).
    pub fn from_chip_id(id: u32) -> Option<Chip> {
        Chip::ALL
            .into_iter()
            .find(|c| c.magic_value().is_none() && c.chip_id() == Some(id))
    }

    /// Registers to read for the base MAC address, in order.
    pub fn mac_registers(self) -> &'static [u32] {
        match self {
            // ESP_OTP_MAC0, MAC1, MAC3
            Chip::Esp8266 => &[0x3FF0_0050, 0x3FF0_0054, 0x3FF0_005C],
            // read_efuse(2), read_efuse(1) from EFUSE_RD_REG_BASE 0x3FF5A000
            Chip::Esp32 => &[0x3FF5_A008, 0x3FF5_A004],
            // MAC_EFUSE_REG, MAC_EFUSE_REG + 4
            Chip::Esp32s2 => &[0x3F41_A044, 0x3F41_A048],
            Chip::Esp32s3 => &[0x6000_7044, 0x6000_7048],
            Chip::Esp32c2 => &[0x6000_8840, 0x6000_8844],
            Chip::Esp32c3 => &[0x6000_8844, 0x6000_8848],
            Chip::Esp32c6 | Chip::Esp32h2 => &[0x600B_0844, 0x600B_0848],
        }
    }

    /// The MAC address from the values of [`Chip::mac_registers`] (esptool's `read_mac`).
    pub fn decode_mac(self, words: &[u32]) -> Option<[u8; 6]> {
        match self {
            Chip::Esp8266 => {
                let (mac0, mac1, mac3) = (*words.first()?, *words.get(1)?, *words.get(2)?);
                let oui = if mac3 != 0 {
                    [(mac3 >> 16) as u8, (mac3 >> 8) as u8, mac3 as u8]
                } else if (mac1 >> 16) & 0xFF == 0 {
                    [0x18, 0xFE, 0x34]
                } else if (mac1 >> 16) & 0xFF == 1 {
                    [0xAC, 0xD0, 0x74]
                } else {
                    return None;
                };
                Some([
                    oui[0],
                    oui[1],
                    oui[2],
                    (mac1 >> 8) as u8,
                    mac1 as u8,
                    (mac0 >> 24) as u8,
                ])
            }
            Chip::Esp32 => {
                // struct.pack(">II", efuse2, efuse1)[2:8]
                let (hi, lo) = (*words.first()?, *words.get(1)?);
                let b = [hi.to_be_bytes(), lo.to_be_bytes()];
                Some([b[0][2], b[0][3], b[1][0], b[1][1], b[1][2], b[1][3]])
            }
            _ => {
                // struct.pack(">II", mac1, mac0)[2:]
                let (mac0, mac1) = (*words.first()?, *words.get(1)?);
                let b = [mac1.to_be_bytes(), mac0.to_be_bytes()];
                Some([b[0][2], b[0][3], b[1][0], b[1][1], b[1][2], b[1][3]])
            }
        }
    }

    /// The SPI flash controller's registers esptool drives for a raw SPI command
    /// (`run_spiflash_command`).
    pub fn spi_registers(self) -> SpiRegisters {
        let (base, usr, usr1, usr2, dlen, w0) = match self {
            Chip::Esp8266 => (0x6000_0200, 0x1C, 0x20, 0x24, None, 0x40),
            Chip::Esp32 => (0x3FF4_2000, 0x1C, 0x20, 0x24, Some((0x28, 0x2C)), 0x80),
            Chip::Esp32s2 => (0x3F40_2000, 0x18, 0x1C, 0x20, Some((0x24, 0x28)), 0x58),
            Chip::Esp32s3 | Chip::Esp32c2 | Chip::Esp32c3 => {
                (0x6000_2000, 0x18, 0x1C, 0x20, Some((0x24, 0x28)), 0x58)
            }
            Chip::Esp32c6 | Chip::Esp32h2 => {
                (0x6000_3000, 0x18, 0x1C, 0x20, Some((0x24, 0x28)), 0x58)
            }
        };
        SpiRegisters {
            cmd: base,
            usr: base + usr,
            usr1: base + usr1,
            usr2: base + usr2,
            mosi_miso_dlen: dlen.map(|(m, i)| (base + m, base + i)),
            w0: base + w0,
        }
    }

    /// Whether the ROM loader (not the stub) takes FLASH_BEGIN / FLASH_DEFL_BEGIN with the 5th
    /// word (encrypted write flag): every ROM but the ESP32's and ESP8266's.
    pub fn rom_takes_encrypt_flag(self) -> bool {
        !matches!(self, Chip::Esp32 | Chip::Esp8266)
    }

    /// Whether the ROM loader has compressed writes, MD5 and CHANGE_BAUDRATE (not the ESP8266's).
    pub fn rom_has_deflate(self) -> bool {
        self != Chip::Esp8266
    }

    /// The ROM erase size for FLASH_BEGIN: the ESP8266 ROM erases too much and needs esptool's
    /// `get_erase_size` workaround; the others take the size as it is.
    pub fn rom_erase_size(self, offset: u32, size: u32) -> u32 {
        if self != Chip::Esp8266 {
            return size;
        }
        const SECTORS_PER_BLOCK: u32 = 16;
        const SECTOR: u32 = 0x1000;
        let num_sectors = size.div_ceil(SECTOR);
        let start_sector = offset / SECTOR;
        let mut head = SECTORS_PER_BLOCK - (start_sector % SECTORS_PER_BLOCK);
        if num_sectors < head {
            head = num_sectors;
        }
        if num_sectors < 2 * head {
            num_sectors.div_ceil(2) * SECTOR
        } else {
            (num_sectors - head) * SECTOR
        }
    }
}

/// The chip id in an ESP app or bootloader image's extended header (magic `0xE9`, the id a
/// little-endian u16 at byte 12), for the ESP32 family; `None` if `image` is not one.
pub fn image_chip_id(image: &[u8]) -> Option<u32> {
    if image.len() < 24 || image[0] != 0xE9 {
        return None;
    }
    Some(u32::from(u16::from_le_bytes([image[12], image[13]])))
}

/// Absolute addresses of the SPI controller's registers on one chip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpiRegisters {
    pub cmd: u32,
    pub usr: u32,
    pub usr1: u32,
    pub usr2: u32,
    /// MOSI and MISO data-length registers (the ESP8266 has the lengths in USR1 instead).
    pub mosi_miso_dlen: Option<(u32, u32)>,
    pub w0: u32,
}

/// The flash size a JEDEC id (RDID, 0x9F: manufacturer, type, capacity) means, as esptool's
/// `DETECTED_FLASH_SIZES` (and the Adesto table for manufacturer 0x1F) say.
pub fn flash_size_from_id(id: u32) -> Option<u32> {
    const ADESTO: u32 = 0x1F;
    if id & 0xFF == ADESTO {
        let size_id = (id >> 8) & 0x1F;
        return (0x04..=0x09)
            .contains(&size_id)
            .then(|| 1 << (size_id + 15));
    }
    let size_id = (id >> 16) & 0xFF;
    match size_id {
        0x12..=0x1C => Some(1 << size_id),
        0x20..=0x22 => Some(1 << (size_id - 0x20 + 26)),
        0x32..=0x3A => Some(1 << (size_id - 0x20)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_values() {
        assert_eq!(Chip::from_magic(0x00F0_1D83), Some(Chip::Esp32));
        assert_eq!(Chip::from_magic(0xFFF0_C101), Some(Chip::Esp8266));
        assert_eq!(Chip::from_magic(0x0000_07C6), Some(Chip::Esp32s2));
        assert_eq!(Chip::from_chip_id(5), Some(Chip::Esp32c3));
        assert_eq!(Chip::from_chip_id(9), Some(Chip::Esp32s3));
        assert_eq!(Chip::from_chip_id(13), Some(Chip::Esp32c6));
        assert_eq!(Chip::from_chip_id(16), Some(Chip::Esp32h2));
        assert_eq!(Chip::from_chip_id(12), Some(Chip::Esp32c2));
        // ESP32 and S2 are found by magic value, not by chip id.
        assert_eq!(Chip::from_chip_id(0), None);
        assert_eq!(Chip::from_chip_id(2), None);
        assert_eq!(Chip::from_name("esp32c3"), Some(Chip::Esp32c3));
        assert_eq!(Chip::from_name("ESP32-S3"), Some(Chip::Esp32s3));
        assert_eq!(Chip::from_name("esp32x"), None);
    }

    #[test]
    fn mac_decoding_matches_esptool() {
        // esp32-mock-bootloader's synthetic MAC for esp32c3 is 24:0a:c4:1f:67:7d; efuse words
        // as esptool reads them: mac0 = bytes 2..6, mac1 low half = bytes 0..2.
        let mac0 = u32::from_be_bytes([0xc4, 0x1f, 0x67, 0x7d]);
        let mac1 = 0x0000_240a;
        assert_eq!(
            Chip::Esp32c3.decode_mac(&[mac0, mac1]),
            Some([0x24, 0x0a, 0xc4, 0x1f, 0x67, 0x7d])
        );
        let e2 = 0x1234_240a;
        let e1 = u32::from_be_bytes([0xc4, 0xe2, 0x95, 0x26]);
        assert_eq!(
            Chip::Esp32.decode_mac(&[e2, e1]),
            Some([0x24, 0x0a, 0xc4, 0xe2, 0x95, 0x26])
        );
        assert_eq!(Chip::Esp32.decode_mac(&[1]), None);
    }

    #[test]
    fn flash_sizes_from_jedec_ids() {
        // esp32-mock-bootloader's id: 4 MiB.
        assert_eq!(flash_size_from_id(0x0016_4020), Some(4 << 20));
        assert_eq!(flash_size_from_id(0x0012_0000), Some(256 << 10));
        assert_eq!(flash_size_from_id(0x0018_40EF), Some(16 << 20));
        assert_eq!(flash_size_from_id(0x0020_0000), Some(64 << 20));
        assert_eq!(flash_size_from_id(0x0036_0000), Some(4 << 20));
        assert_eq!(flash_size_from_id(0x0000_071F), Some(4 << 20));
        assert_eq!(flash_size_from_id(0x00FF_FFFF), None);
    }

    #[test]
    fn esp8266_erase_size_workaround() {
        assert_eq!(Chip::Esp32.rom_erase_size(0, 5000), 5000);
        // 16 sectors from a block boundary: fewer than 2*head → half, rounded up.
        assert_eq!(Chip::Esp8266.rom_erase_size(0, 16 * 0x1000), 8 * 0x1000);
        assert_eq!(Chip::Esp8266.rom_erase_size(0, 40 * 0x1000), 24 * 0x1000);
    }
}
