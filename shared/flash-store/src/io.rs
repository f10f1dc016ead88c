//! Flash access for the store: reading and checking one record, writing a record as one aligned
//! stream, copying a record, sector headers and blank checks; the driver's `keep_alive` before
//! each erase and every [`KEEP_ALIVE_EVERY`] reads or programs. Everything goes through a 256-byte
//! buffer on the stack; nothing here decides what is live.

use crate::crc32::Crc32;
use crate::error::StoreError;
use crate::flash::{Flash, KEEP_ALIVE_EVERY};
use crate::layout::{
    decode_part_a, decode_part_b, encode_part_a, encode_part_b, Kind, RecordHeader, HDR, MAX_NAME,
};
use crate::store::FlashStore;

const BUF: usize = 256;

/// A file name as read from flash.
pub(crate) struct NameBuf {
    bytes: [u8; MAX_NAME],
    len: usize,
}

impl NameBuf {
    pub(crate) fn as_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.bytes[..self.len]).ok()
    }
}

/// What is at one place in a sector's record area.
pub(crate) enum Rec {
    /// Erased bytes (or no room for a header): the end of the sector's records.
    End,
    /// Not a header whose checksum holds: step over one header's length.
    BadHeader,
    /// A good header whose name or data fails its checksum (an interrupted write): skip it.
    Skip(u32),
    /// A complete record: header, name, its length in flash and (for a commit) its 8 data bytes.
    Valid(RecordHeader, NameBuf, u32, [u8; 8]),
}

impl<F: Flash> FlashStore<F> {
    /// Let the driver feed its watchdog (see [`Flash::keep_alive`]).
    fn keep_alive(&mut self) {
        self.flash.keep_alive();
        self.since_keep_alive = 0;
    }

    /// Count one read or program, calling `keep_alive` every [`KEEP_ALIVE_EVERY`].
    fn tick(&mut self) {
        self.since_keep_alive += 1;
        if self.since_keep_alive >= KEEP_ALIVE_EVERY {
            self.keep_alive();
        }
    }

    pub(crate) fn read_at(&mut self, addr: u32, buf: &mut [u8]) -> Result<(), StoreError> {
        self.tick();
        self.flash
            .read(addr, buf)
            .map_err(StoreError::flash("read"))
    }

    /// Program `data` (its length a multiple of the alignment) at `addr`.
    fn program(&mut self, addr: u32, data: &[u8]) -> Result<(), StoreError> {
        self.tick();
        self.flash
            .write(addr, data)
            .map_err(StoreError::flash("write"))
    }

    /// Parse the record at `addr`; `end` is the end of its sector. With `verify`, the name and
    /// data are read and checked against their CRC (mount); without, the header is trusted (the
    /// record was verified at mount or written by this store).
    pub(crate) fn record_at(
        &mut self,
        addr: u32,
        end: u32,
        verify: bool,
    ) -> Result<Rec, StoreError> {
        if addr + HDR > end {
            return Ok(Rec::End);
        }
        let mut h = [0u8; HDR as usize];
        self.read_at(addr, &mut h)?;
        if h.iter().all(|&b| b == 0xFF) {
            return Ok(Rec::End);
        }
        let Some(hdr) = RecordHeader::decode(&h) else {
            return Ok(Rec::BadHeader);
        };
        let len = self
            .geo
            .record_len(hdr.name_len, hdr.data_len.min(self.geo.sector));
        if hdr.data_len > self.geo.sector || u64::from(addr) + u64::from(len) > u64::from(end) {
            return Ok(Rec::BadHeader);
        }
        let mut name = NameBuf {
            bytes: [0; MAX_NAME],
            len: hdr.name_len as usize,
        };
        self.read_at(addr + HDR, &mut name.bytes[..name.len])?;
        let mut small = [0u8; 8];
        if hdr.kind == Kind::Commit {
            self.read_at(addr + HDR + hdr.name_len, &mut small)?;
        }
        if verify {
            let mut crc = Crc32::new();
            crc.update(&name.bytes[..name.len]);
            let mut at = addr + HDR + hdr.name_len;
            let mut left = hdr.data_len;
            let mut buf = [0u8; BUF];
            while left > 0 {
                let n = left.min(BUF as u32);
                self.read_at(at, &mut buf[..n as usize])?;
                crc.update(&buf[..n as usize]);
                at += n;
                left -= n;
            }
            if crc.finish() != hdr.data_crc || name.as_str().is_none() {
                return Ok(Rec::Skip(len));
            }
        }
        Ok(Rec::Valid(hdr, name, len, small))
    }

    /// Write one record (header, name, data, 0xFF padding) at `addr`, in order, as whole
    /// aligned units.
    pub(crate) fn write_record(
        &mut self,
        addr: u32,
        hdr: &RecordHeader,
        name: &[u8],
        data: &[u8],
    ) -> Result<(), StoreError> {
        let head = hdr.encode();
        let mut buf = [0xFFu8; BUF];
        let mut fill = 0usize;
        let mut at = addr;
        for part in [&head[..], name, data] {
            let mut part = part;
            while !part.is_empty() {
                let n = part.len().min(BUF - fill);
                buf[fill..fill + n].copy_from_slice(&part[..n]);
                fill += n;
                part = &part[n..];
                if fill == BUF {
                    self.program(at, &buf)?;
                    at += BUF as u32;
                    fill = 0;
                }
            }
        }
        if fill > 0 {
            let n = self.geo.align_up(fill as u32) as usize;
            buf[fill..n].fill(0xFF);
            self.program(at, &buf[..n])?;
        }
        Ok(())
    }

    /// Read the record just written at `addr` back: it must be complete, `len` bytes long and
    /// carry `hdr` (a flash that failed without saying so must not get a change acknowledged).
    pub(crate) fn check_written(
        &mut self,
        addr: u32,
        len: u32,
        hdr: &RecordHeader,
    ) -> Result<(), StoreError> {
        match self.record_at(addr, addr + len, true)? {
            Rec::Valid(h, _, l, _)
                if l == len
                    && h.kind == hdr.kind
                    && h.gen == hdr.gen
                    && h.index == hdr.index
                    && h.data_crc == hdr.data_crc =>
            {
                Ok(())
            }
            _ => Err(StoreError::Flash(
                "write",
                "a record does not read back as written",
            )),
        }
    }

    /// Copy `len` bytes (a whole record) from `from` to the erased place `to`.
    pub(crate) fn copy_record(&mut self, from: u32, to: u32, len: u32) -> Result<(), StoreError> {
        let mut buf = [0u8; BUF];
        let mut done = 0;
        while done < len {
            let n = (len - done).min(BUF as u32);
            self.read_at(from + done, &mut buf[..n as usize])?;
            self.program(to + done, &buf[..n as usize])?;
            done += n;
        }
        Ok(())
    }

    /// Program zeros over `len` bytes at `addr` (both aligned), whatever they hold.
    pub(crate) fn zero_fill(&mut self, addr: u32, len: u32) -> Result<(), StoreError> {
        let zeros = [0u8; BUF];
        let mut done = 0;
        while done < len {
            let n = (len - done).min(BUF as u32);
            self.program(addr + done, &zeros[..n as usize])?;
            done += n;
        }
        Ok(())
    }

    /// Whether `from..to` reads as erased.
    pub(crate) fn is_blank(&mut self, from: u32, to: u32) -> Result<bool, StoreError> {
        let mut buf = [0u8; BUF];
        let mut at = from;
        while at < to {
            let n = (to - at).min(BUF as u32);
            self.read_at(at, &mut buf[..n as usize])?;
            if buf[..n as usize].iter().any(|&b| b != 0xFF) {
                return Ok(false);
            }
            at += n;
        }
        Ok(true)
    }

    /// The sector's erase count from part A of its header, if it is valid.
    pub(crate) fn read_part_a(&mut self, s: u32) -> Result<Option<u32>, StoreError> {
        let mut a = [0u8; 12];
        self.read_at(s * self.geo.sector, &mut a)?;
        Ok(decode_part_a(&a))
    }

    /// The sequence number in part B of sector `s`'s header, if it is valid.
    pub(crate) fn read_part_b(&mut self, s: u32) -> Result<Option<u32>, StoreError> {
        let mut b = [0u8; 8];
        self.read_at(s * self.geo.sector + self.geo.b_off, &mut b)?;
        Ok(decode_part_b(&b, self.sectors[s as usize].erase_count))
    }

    /// Erase sector `s` (unless `skip_erase`: it reads blank already) and write part A of its
    /// header with `erase_count`; the sector is then free. If the erase or the program fails,
    /// the sector is marked bad (neither free nor in the log) until the next mount, which finds
    /// its header incomplete and erases it again.
    pub(crate) fn erase_sector(
        &mut self,
        s: u32,
        erase_count: u32,
        skip_erase: bool,
    ) -> Result<(), StoreError> {
        let base = s * self.geo.sector;
        let info = &mut self.sectors[s as usize];
        info.erase_count = erase_count;
        info.seq = None;
        info.used = self.geo.body_start;
        info.live = 0;
        info.bad = true;
        if !skip_erase {
            // Zero the header first. An erase cut short may leave any part of the sector as it
            // was; a header that still read valid would put the sector back in the log with
            // whatever records survived — a removed file's old version without its tombstone,
            // say. Zeros turn into a valid header only by being programmed again, so a torn
            // erase leaves a dirty sector, which mount erases. Best effort: if this program
            // fails with the power on, the erase still runs (and a failed erase marks the
            // sector bad).
            let zeros = [0u8; 128];
            let _ = self.program(base, &zeros[..self.geo.body_start as usize]);
            self.keep_alive();
            self.flash.erase(base).map_err(StoreError::flash("erase"))?;
        }
        let mut buf = [0xFFu8; 64];
        buf[..12].copy_from_slice(&encode_part_a(erase_count));
        let n = self.geo.align_up(12) as usize;
        self.program(base, &buf[..n])?;
        self.sectors[s as usize].bad = false;
        Ok(())
    }

    /// Write part B of sector `s`'s header: it joins the log with sequence number `seq`.
    pub(crate) fn write_part_b(&mut self, s: u32, seq: u32) -> Result<(), StoreError> {
        let mut buf = [0xFFu8; 64];
        buf[..8].copy_from_slice(&encode_part_b(seq, self.sectors[s as usize].erase_count));
        let n = self.geo.align_up(8) as usize;
        self.program(s * self.geo.sector + self.geo.b_off, &buf[..n])
    }
}
