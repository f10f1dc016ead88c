//! A partition table given for an ELF's layout, instead of espflash's default one: ESP-IDF's
//! CSV or its binary form, parsed by `esp-idf-part` (the crate espflash itself uses), written at
//! 0x8000, with the app placed at the table's factory partition (or its first app partition).
//!
//! `esp-idf-part` 0.6 panics on some input (an app or data subtype it has no name for, such as
//! a data partition of subtype 0x40; flag bits it does not know; an offset plus size past 4 GiB;
//! more entries than the table holds), so [`PartitionTable::parse`] screens for those first.
//!
//! Must never: panic on a table from outside, or accept one whose partitions overlap the
//! bootloader or the table itself, or (in [`PartitionTable::apply`]) let an app larger than its
//! partition or a partition past the end of the flash through.

use esp_idf_part::{AppType, SubType, Type};

use crate::{ImageError, Segment};

/// Where the second-stage bootloader reads the partition table (ESP-IDF's default, and what
/// espflash's bundled bootloaders read).
pub const PARTITION_TABLE_OFFSET: u32 = 0x8000;
/// The table's sector: partitions start after it.
const TABLE_END: u32 = PARTITION_TABLE_OFFSET + 0x1000;
/// One entry of the binary table.
const ENTRY_LEN: usize = 32;
/// The binary table has 0xC00 bytes: at most 95 partitions and the MD5 entry.
const MAX_ENTRIES: usize = 0xC00 / ENTRY_LEN - 1;
/// The binary entry's magic, the MD5 entry's first 16 bytes.
const ENTRY_MAGIC: [u8; 2] = [0xAA, 0x50];
const MD5_MAGIC: [u8; 16] = [
    0xEB, 0xEB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
];
/// The flag bits ESP-IDF defines (encrypted, readonly).
const KNOWN_FLAGS: u32 = 0b11;

/// One partition, for people and for placing the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionInfo {
    pub name: String,
    /// `app/factory`, `data/nvs`, `data/undefined`, `0x40/0x01`, …
    pub kind: String,
    pub offset: u32,
    pub size: u32,
}

impl PartitionInfo {
    /// The offset just past the partition.
    pub fn end(&self) -> u64 {
        u64::from(self.offset) + u64::from(self.size)
    }
}

/// A parsed, checked partition table and its binary form (what goes to 0x8000).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionTable {
    partitions: Vec<PartitionInfo>,
    /// Index of the app partition the ELF's app goes to.
    app: usize,
    bin: Vec<u8>,
}

impl PartitionTable {
    /// Parse a table: binary (starts with `AA 50`) or ESP-IDF CSV text.
    pub fn parse(bytes: &[u8]) -> Result<PartitionTable, ImageError> {
        let parsed = if bytes.starts_with(&ENTRY_MAGIC) {
            screen_binary(bytes)?;
            esp_idf_part::PartitionTable::try_from_bytes(bytes)
        } else {
            let text = std::str::from_utf8(bytes).map_err(|_| {
                ImageError::new(
                    "the partition table is neither binary (starting with AA 50) nor CSV text \
                     (it is not UTF-8)",
                )
            })?;
            screen_csv(text)?;
            esp_idf_part::PartitionTable::try_from_str(text)
        }
        .map_err(|e| ImageError::new(format!("the partition table is not valid: {e}")))?;
        let bin = parsed.to_bin().map_err(|e| {
            ImageError::new(format!(
                "the partition table cannot be written in binary: {e}"
            ))
        })?;
        let partitions: Vec<PartitionInfo> = parsed
            .partitions()
            .iter()
            .map(|p| PartitionInfo {
                name: p.name(),
                kind: format!("{}/{}", p.ty(), p.subtype()),
                offset: p.offset(),
                size: p.size(),
            })
            .collect();
        for p in &partitions {
            if p.offset < TABLE_END {
                return Err(ImageError::new(format!(
                    "the partition table's {} partition starts at {:#x}, inside the bootloader \
                     or the partition table itself (partitions start at {TABLE_END:#x} or later)",
                    p.name, p.offset
                )));
            }
            if p.size == 0 {
                return Err(ImageError::new(format!(
                    "the partition table's {} partition is empty",
                    p.name
                )));
            }
        }
        // ESP-IDF's bootloader boots the factory app when there is no OTA data; espflash puts
        // the app there too, else into the first app partition.
        let app = parsed
            .partitions()
            .iter()
            .position(|p| p.ty() == Type::App && p.subtype() == SubType::App(AppType::Factory))
            .or_else(|| parsed.partitions().iter().position(|p| p.ty() == Type::App))
            .ok_or_else(|| ImageError::new("the partition table has no app partition"))?;
        Ok(PartitionTable {
            partitions,
            app,
            bin,
        })
    }

    /// The partitions in table order.
    pub fn partitions(&self) -> &[PartitionInfo] {
        &self.partitions
    }

    /// The partition the app goes to: the factory app, else the first app partition.
    pub fn app_partition(&self) -> &PartitionInfo {
        &self.partitions[self.app]
    }

    /// The binary table (0xC00 bytes) written at [`PARTITION_TABLE_OFFSET`].
    pub fn to_bin(&self) -> &[u8] {
        &self.bin
    }

    /// Lay espflash's segments (bootloader, default partition table, app) out by this table: the
    /// table replaces the default one, the app moves to the app partition. Refused when a
    /// partition reaches past the `flash_size`-byte flash or the app does not fit its partition.
    pub(crate) fn apply(
        &self,
        segments: &mut [Segment],
        flash_size: u32,
    ) -> Result<(), ImageError> {
        for p in &self.partitions {
            if p.end() > u64::from(flash_size) {
                return Err(ImageError::new(format!(
                    "the partition table does not fit the flash: its {} partition ({:#x} bytes \
                     at {:#x}) ends at {:#x}, past the end of the {} KiB flash",
                    p.name,
                    p.size,
                    p.offset,
                    p.end(),
                    flash_size >> 10
                )));
            }
        }
        let app_part = self.app_partition();
        for s in segments.iter_mut() {
            match s.what {
                "partition table" => {
                    s.offset = PARTITION_TABLE_OFFSET;
                    s.data = self.bin.clone();
                }
                "app" => {
                    if s.data.len() as u64 > u64::from(app_part.size) {
                        return Err(ImageError::new(format!(
                            "the app image ({} bytes, {} KiB) does not fit the partition table's \
                             {} partition ({} bytes, {} KiB, at {:#x}): make the partition \
                             larger or the app smaller",
                            s.data.len(),
                            s.data.len().div_ceil(1024),
                            app_part.name,
                            app_part.size,
                            app_part.size >> 10,
                            app_part.offset
                        )));
                    }
                    s.offset = app_part.offset;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// App subtypes ESP-IDF (and esp-idf-part) name: factory, ota_0…ota_15, test.
fn known_app_subtype(s: u8) -> bool {
    matches!(s, 0x00 | 0x10..=0x20)
}

/// Data subtypes esp-idf-part names: ota, phy, nvs, coredump, nvs_keys, efuse, undefined,
/// esphttpd, fat, spiffs, littlefs.
fn known_data_subtype(s: u8) -> bool {
    matches!(s, 0x00..=0x06 | 0x80..=0x83)
}

fn unknown_subtype(name: &str, ty: u8, subtype: u8) -> ImageError {
    let hint = if ty == 0 {
        "app partitions take factory, ota_0 … ota_15 or test"
    } else {
        "data partitions take ota, phy, nvs, coredump, nvs_keys, efuse, undefined, fat, spiffs \
         or littlefs here (for your own data use `undefined`, or a custom type 0x40-0xFE)"
    };
    ImageError::new(format!(
        "the partition table's {name} partition has subtype {subtype:#04x}, which the partition \
         tools do not know: {hint}"
    ))
}

/// What esp-idf-part would panic on in a binary table.
fn screen_binary(bytes: &[u8]) -> Result<(), ImageError> {
    let mut entries = 0;
    for (i, entry) in bytes.chunks_exact(ENTRY_LEN).enumerate() {
        if entry.iter().all(|b| *b == 0xFF) {
            return Ok(());
        }
        if entry.starts_with(&MD5_MAGIC) {
            continue;
        }
        if !entry.starts_with(&ENTRY_MAGIC) {
            return Err(ImageError::new(format!(
                "the binary partition table's entry {i} (at byte {:#x}) is neither a partition \
                 (AA 50), the MD5 entry nor the end (FF …)",
                i * ENTRY_LEN
            )));
        }
        entries += 1;
        if entries > MAX_ENTRIES {
            return Err(ImageError::new(format!(
                "the partition table has more than {MAX_ENTRIES} partitions"
            )));
        }
        let (ty, subtype) = (entry[2], entry[3]);
        let word = |at: usize| {
            u32::from_le_bytes([entry[at], entry[at + 1], entry[at + 2], entry[at + 3]])
        };
        let (offset, size, flags) = (word(4), word(8), word(28));
        let name = String::from_utf8_lossy(&entry[12..28])
            .trim_end_matches('\0')
            .to_string();
        if (ty == 0 && !known_app_subtype(subtype)) || (ty == 1 && !known_data_subtype(subtype)) {
            return Err(unknown_subtype(&name, ty, subtype));
        }
        if flags & !KNOWN_FLAGS != 0 {
            return Err(ImageError::new(format!(
                "the partition table's {name} partition has flags {flags:#x}; only encrypted \
                 (0x1) and readonly (0x2) exist"
            )));
        }
        if offset.checked_add(size).is_none() {
            return Err(ImageError::new(format!(
                "the partition table's {name} partition ({size:#x} bytes at {offset:#x}) runs \
                 past 4 GiB"
            )));
        }
    }
    // No end marker: esp-idf-part says so.
    Ok(())
}

/// A size or offset as ESP-IDF's CSV writes it: `0x9000`, `36864`, `24K`, `1M`.
fn csv_number(field: &str) -> Option<u32> {
    let lower = field.to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix("0x") {
        return u32::from_str_radix(hex, 16).ok();
    }
    let (digits, unit) = match lower.strip_suffix('k') {
        Some(d) => (d, 1 << 10),
        None => match lower.strip_suffix('m') {
            Some(d) => (d, 1 << 20),
            None => (lower.as_str(), 1),
        },
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u32>().ok()?.checked_mul(unit)
}

/// A type or subtype number (`0x40`, `64`).
fn csv_byte(field: &str) -> Option<u8> {
    let lower = field.to_ascii_lowercase();
    match lower.strip_prefix("0x") {
        Some(hex) => u8::from_str_radix(hex, 16).ok(),
        None => lower.parse().ok(),
    }
}

fn csv_subtype(field: &str) -> Option<u8> {
    const NAMED: &[(&str, u8)] = &[
        ("factory", 0x00),
        ("test", 0x20),
        ("ota", 0x00),
        ("phy", 0x01),
        ("nvs", 0x02),
        ("coredump", 0x03),
        ("nvs_keys", 0x04),
        ("efuse", 0x05),
        ("undefined", 0x06),
        ("esphttpd", 0x80),
        ("fat", 0x81),
        ("spiffs", 0x82),
        ("littlefs", 0x83),
    ];
    if let Some(n) = field
        .strip_prefix("ota_")
        .and_then(|n| n.parse::<u8>().ok())
        .filter(|n| *n < 16)
    {
        return Some(0x10 + n);
    }
    NAMED
        .iter()
        .find(|(name, _)| *name == field)
        .map(|(_, v)| *v)
        .or_else(|| csv_byte(field))
}

/// What esp-idf-part would panic on in a CSV table: a subtype it has no name for under `app` or
/// `data` (also a named subtype of the other type, e.g. `app, nvs`), an offset or size that
/// overflows, more rows than the binary table holds. Rows it would refuse anyway are left to it.
fn screen_csv(text: &str) -> Result<(), ImageError> {
    // esp-idf-part places a row without an offset after the previous one, from 0x9000.
    let mut next = TABLE_END;
    let mut rows = 0;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = n + 1;
        if line.contains('"') {
            return Err(ImageError::new(format!(
                "the partition table's line {at} has quotes; write its fields without them"
            )));
        }
        rows += 1;
        if rows > MAX_ENTRIES {
            return Err(ImageError::new(format!(
                "the partition table has more than {MAX_ENTRIES} partitions"
            )));
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() < 5 {
            return Err(ImageError::new(format!(
                "the partition table's line {at} has {} fields; each row is Name, Type, SubType, \
                 Offset, Size[, Flags]",
                fields.len()
            )));
        }
        let name = fields[0];
        let ty = match fields[1] {
            "app" => 0,
            "data" => 1,
            other => csv_byte(other).ok_or_else(|| {
                ImageError::new(format!(
                    "the partition table's {name} partition (line {at}) has type `{other}`: \
                     write app, data or a number (0x40-0xFE for your own types)"
                ))
            })?,
        };
        if ty <= 1 {
            let named_other = match (ty, fields[2]) {
                (0, f) => matches!(
                    f,
                    "ota"
                        | "phy"
                        | "nvs"
                        | "coredump"
                        | "nvs_keys"
                        | "efuse"
                        | "undefined"
                        | "esphttpd"
                        | "fat"
                        | "spiffs"
                        | "littlefs"
                ),
                (_, f) => f == "factory" || f == "test" || f.starts_with("ota_"),
            };
            if named_other {
                return Err(ImageError::new(format!(
                    "the partition table's {name} partition (line {at}) is of type {} with \
                     subtype {}, which belongs to the other type",
                    fields[1], fields[2]
                )));
            }
            let Some(subtype) = csv_subtype(fields[2]) else {
                return Err(ImageError::new(format!(
                    "the partition table's {name} partition (line {at}) has subtype `{}`: write \
                     a subtype name or a number such as 0x06",
                    fields[2]
                )));
            };
            let known = if ty == 0 {
                known_app_subtype(subtype)
            } else {
                known_data_subtype(subtype)
            };
            if !known {
                return Err(unknown_subtype(name, ty, subtype));
            }
        }
        let bad_number = |what: &str, v: &str| {
            ImageError::new(format!(
                "the partition table's {name} partition (line {at}) has {what} `{v}`: write it \
                 as 0x10000, 65536, 64K or 1M"
            ))
        };
        let size = csv_number(fields[4]).ok_or_else(|| bad_number("the size", fields[4]))?;
        let offset = if fields[3].is_empty() {
            let align = if ty == 0 { 0x10000 } else { 4 };
            next.checked_next_multiple_of(align)
        } else {
            Some(csv_number(fields[3]).ok_or_else(|| bad_number("the offset", fields[3]))?)
        };
        next = offset.and_then(|o| o.checked_add(size)).ok_or_else(|| {
            ImageError::new(format!(
                "the partition table's {name} partition (line {at}) runs past 4 GiB"
            ))
        })?;
    }
    Ok(())
}
