//! What the store writes to flash, byte for byte: the sector header and the record header, their
//! encoding and checks, and the geometry derived from the driver's sector and write unit. Pure
//! functions; never touches the flash itself.

use crate::crc32::{crc32, Crc32};
use crate::error::StoreError;
use crate::flash::Flash;

/// Longest file name in bytes (KVS entries are `kvs/k/` + 84 hex digits).
pub const MAX_NAME: usize = 128;
/// Most files the store holds (removed files whose tombstone is still needed do not count).
pub const MAX_FILES: usize = 256;
/// Most removed files whose tombstone is still needed (each costs RAM in the index, at mount
/// too): removing one more first collects sectors, oldest first, until half as many are left.
pub const MAX_REMOVED: usize = 128;
/// Wear levelling moves a sector's data when the erase counts of the sectors drift further apart
/// than this; the measured spread stays within `WEAR_SPREAD + 2` (tests/wear.rs).
pub const WEAR_SPREAD: u32 = 8;
/// Free sectors ordinary writes leave alone: only garbage collection may use the last one.
pub(crate) const RESERVE: usize = 1;

pub(crate) const SECTOR_MAGIC: u32 = 0x3154_5346; // "FST1"
const RECORD_MAGIC: u16 = 0x5E7C;
/// Record header bytes (before alignment).
pub(crate) const HDR: u32 = 24;
/// Smallest chunk worth starting in a nearly full sector.
pub(crate) const MIN_CHUNK: u32 = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A piece of a file version's content (`index`: its position).
    Chunk = 1,
    /// A file version is complete (`index`: its chunk count; data: size and CRC-32 of the content).
    Commit = 2,
    /// The file was removed (no data).
    Tombstone = 3,
}

/// The decoded header of a record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RecordHeader {
    pub kind: Kind,
    pub name_len: u32,
    pub gen: u32,
    pub index: u32,
    pub data_len: u32,
    pub data_crc: u32,
}

impl RecordHeader {
    pub(crate) fn new(kind: Kind, name: &[u8], gen: u32, index: u32, data: &[u8]) -> Self {
        let mut c = Crc32::new();
        c.update(name);
        c.update(data);
        RecordHeader {
            kind,
            name_len: name.len() as u32,
            gen,
            index,
            data_len: data.len() as u32,
            data_crc: c.finish(),
        }
    }

    pub(crate) fn encode(&self) -> [u8; HDR as usize] {
        let mut b = [0u8; HDR as usize];
        b[0..2].copy_from_slice(&RECORD_MAGIC.to_le_bytes());
        b[2] = self.kind as u8;
        b[3] = self.name_len as u8;
        b[4..8].copy_from_slice(&self.gen.to_le_bytes());
        b[8..12].copy_from_slice(&self.index.to_le_bytes());
        b[12..16].copy_from_slice(&self.data_len.to_le_bytes());
        b[16..20].copy_from_slice(&self.data_crc.to_le_bytes());
        let c = crc32(&b[..20]);
        b[20..24].copy_from_slice(&c.to_le_bytes());
        b
    }

    /// `None`: not a record header whose own checksum holds.
    pub(crate) fn decode(b: &[u8; HDR as usize]) -> Option<Self> {
        if u16::from_le_bytes([b[0], b[1]]) != RECORD_MAGIC || word(b, 20) != crc32(&b[..20]) {
            return None;
        }
        let kind = match b[2] {
            1 => Kind::Chunk,
            2 => Kind::Commit,
            3 => Kind::Tombstone,
            _ => return None,
        };
        let h = RecordHeader {
            kind,
            name_len: u32::from(b[3]),
            gen: word(b, 4),
            index: word(b, 8),
            data_len: word(b, 12),
            data_crc: word(b, 16),
        };
        let sane = h.name_len >= 1
            && h.name_len as usize <= MAX_NAME
            && match kind {
                Kind::Chunk => true,
                Kind::Commit => h.data_len == 8,
                Kind::Tombstone => h.data_len == 0,
            };
        sane.then_some(h)
    }
}

pub(crate) fn word(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Sector and record sizes for one flash.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    pub sector: u32,
    /// Everything written starts and ends on this boundary (the write unit, at least 4).
    pub align: u32,
    pub sectors: u32,
    /// Where part B of the sector header (the sequence number) starts.
    pub b_off: u32,
    /// Where records start in a sector.
    pub body_start: u32,
    /// Largest chunk payload.
    pub chunk_max: u32,
}

impl Geometry {
    pub(crate) fn new<F: Flash>(capacity: u32) -> Result<Geometry, StoreError> {
        let unit = F::WRITE_UNIT;
        if unit == 0 || !unit.is_power_of_two() || unit > 64 {
            return Err(StoreError::Geometry(
                "the write unit must be a power of two up to 64",
            ));
        }
        let align = unit.max(4);
        let sector = F::SECTOR;
        if !(512..=1 << 20).contains(&sector) || !sector.is_multiple_of(256) {
            return Err(StoreError::Geometry(
                "the sector must be a multiple of 256 bytes, 512 B to 1 MiB",
            ));
        }
        if !capacity.is_multiple_of(sector) {
            return Err(StoreError::Geometry(
                "the capacity is not a whole number of sectors",
            ));
        }
        let sectors = capacity / sector;
        if !(4..=65_535).contains(&sectors) {
            return Err(StoreError::Geometry("the store needs 4 to 65535 sectors"));
        }
        let b_off = align_up(12, align);
        let body_start = align_up(b_off + 8, align);
        let body = sector - body_start;
        let chunk_max = (body / 8) / align * align;
        if chunk_max == 0 {
            return Err(StoreError::Geometry(
                "the sector is too small for the write unit (no room for a chunk)",
            ));
        }
        Ok(Geometry {
            sector,
            align,
            sectors,
            b_off,
            body_start,
            chunk_max,
        })
    }

    pub(crate) fn body(&self) -> u32 {
        self.sector - self.body_start
    }

    pub(crate) fn align_up(&self, n: u32) -> u32 {
        align_up(n, self.align)
    }

    /// Bytes a record takes in flash, header to padding.
    pub(crate) fn record_len(&self, name_len: u32, data_len: u32) -> u32 {
        self.align_up(HDR + name_len + data_len)
    }

    /// The largest record: what may be left unused at the end of a sector.
    pub(crate) fn max_record(&self) -> u32 {
        self.record_len(MAX_NAME as u32, self.chunk_max)
    }

    /// Live record bytes the store accepts: every sector but the head and the reserve, less the
    /// largest record each (what may stay unused at a sector's end). With no more live data than
    /// this, some sector always has a record's worth of garbage to collect.
    pub(crate) fn limit(&self) -> u64 {
        u64::from(self.sectors - 2) * u64::from(self.body() - self.max_record())
    }

    /// Upper bound of the record bytes a file version takes (chunks, their headers, the commit).
    pub(crate) fn version_cost(&self, name_len: u32, size: u64) -> u64 {
        let chunk_max = u64::from(self.chunk_max);
        let chunks = size.div_ceil(chunk_max) + size.div_ceil(u64::from(self.body())) + 1;
        chunks * u64::from(self.align_up(HDR + name_len) + self.align)
            + size
            + u64::from(self.record_len(name_len, 8))
    }
}

pub(crate) fn align_up(n: u32, align: u32) -> u32 {
    n.div_ceil(align) * align
}

/// Part A of a sector header (written right after the erase): magic, erase count, CRC.
pub(crate) fn encode_part_a(erase_count: u32) -> [u8; 12] {
    let mut b = [0u8; 12];
    b[0..4].copy_from_slice(&SECTOR_MAGIC.to_le_bytes());
    b[4..8].copy_from_slice(&erase_count.to_le_bytes());
    let c = crc32(&b[..8]);
    b[8..12].copy_from_slice(&c.to_le_bytes());
    b
}

/// The erase count, if `b` is a valid part A.
pub(crate) fn decode_part_a(b: &[u8]) -> Option<u32> {
    (word(b, 0) == SECTOR_MAGIC && word(b, 8) == crc32(&b[..8])).then(|| word(b, 4))
}

/// Part B of a sector header (written when the sector joins the log): sequence number, CRC.
pub(crate) fn encode_part_b(seq: u32, erase_count: u32) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[0..4].copy_from_slice(&seq.to_le_bytes());
    let mut c = Crc32::new();
    c.update(&seq.to_le_bytes());
    c.update(&erase_count.to_le_bytes());
    b[4..8].copy_from_slice(&c.finish().to_le_bytes());
    b
}

pub(crate) fn decode_part_b(b: &[u8], erase_count: u32) -> Option<u32> {
    let seq = word(b, 0);
    (encode_part_b(seq, erase_count) == b[..8]).then_some(seq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flash::FlashError;

    /// A flash that is never accessed: only its geometry matters here.
    struct Shape<const SECTOR: u32, const UNIT: u32>;

    impl<const SECTOR: u32, const UNIT: u32> Flash for Shape<SECTOR, UNIT> {
        const SECTOR: u32 = SECTOR;
        const WRITE_UNIT: u32 = UNIT;
        fn capacity(&self) -> u32 {
            SECTOR * 8
        }
        fn read(&mut self, _: u32, _: &mut [u8]) -> Result<(), FlashError> {
            unreachable!()
        }
        fn write(&mut self, _: u32, _: &[u8]) -> Result<(), FlashError> {
            unreachable!()
        }
        fn erase(&mut self, _: u32) -> Result<(), FlashError> {
            unreachable!()
        }
    }

    /// A 512-byte sector with a 64-byte write unit left chunks of 0 bytes: the first write
    /// divided by zero. Such a geometry is refused; the smallest sector for that unit works.
    #[test]
    fn a_geometry_without_room_for_chunks_is_refused() {
        assert!(matches!(
            Geometry::new::<Shape<512, 64>>(512 * 8),
            Err(StoreError::Geometry(_))
        ));
        let geo = Geometry::new::<Shape<1024, 64>>(1024 * 8).unwrap();
        assert_eq!(geo.chunk_max, 64);
        assert!(geo.version_cost(1, 10_000) > 10_000);
        let geo = Geometry::new::<Shape<4096, 4>>(4096 * 240).unwrap();
        assert_eq!((geo.body_start, geo.chunk_max), (20, 508));
    }
}
