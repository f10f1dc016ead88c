//! The store in RAM: per-sector state, the index of files (one entry per file: its version, its
//! commit record and where its chunks are), and the write path (chunks, then the commit that makes
//! a version visible; tombstones). Never writes anything but appends to the head sector, and
//! never erases a sector that still holds a live record.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ferrite_collections::SortedMap;

use crate::crc32::crc32;
use crate::error::StoreError;
use crate::flash::Flash;
use crate::layout::{
    Geometry, Kind, RecordHeader, HDR, MAX_FILES, MAX_NAME, MAX_REMOVED, MIN_CHUNK, RESERVE,
};

/// A log-structured file store on NOR flash (see the crate docs for the design).
pub struct FlashStore<F: Flash> {
    pub(crate) flash: F,
    pub(crate) geo: Geometry,
    pub(crate) sectors: Vec<SectorInfo>,
    /// The sector records are appended to.
    pub(crate) head: u32,
    pub(crate) files: SortedMap<String, Entry>,
    /// The version being written: its chunks are live (garbage collection moves them) before
    /// its commit exists.
    pub(crate) pending: Option<Pending>,
    pub(crate) next_gen: u64,
    pub(crate) next_seq: u64,
    /// Reads and programs since the driver's `keep_alive` was last called.
    pub(crate) since_keep_alive: u32,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct SectorInfo {
    pub erase_count: u32,
    /// `None`: free (erased, part A written); `Some`: in the log, with this sequence number.
    pub seq: Option<u32>,
    /// Offset of the end of the records (where the head appends).
    pub used: u32,
    /// No more appends here (only the head takes appends, and only while this is false).
    pub closed: bool,
    /// Bytes of live records in this sector.
    pub live: u32,
    /// An erase, or the program of part A after it, failed with the power on: what the sector
    /// holds is unknown, so until the next mount it is neither free nor in the log, and every
    /// tombstone is kept (it may still hold an older record of any name).
    pub bad: bool,
}

pub(crate) enum Entry {
    File(FileEntry),
    /// Removed; the tombstone stays while older records of the name may exist.
    Removed {
        gen: u32,
        addr: u32,
    },
}

pub(crate) struct FileEntry {
    pub gen: u32,
    pub size: u32,
    pub crc: u32,
    /// Address of the commit record.
    pub commit: u32,
    /// Address of each chunk record, in order.
    pub chunks: Vec<u32>,
}

pub(crate) struct Pending {
    pub name: String,
    pub gen: u32,
    pub chunks: Vec<u32>,
}

impl SectorInfo {
    /// Erased with a good part A and not in the log: may become the head.
    pub(crate) fn is_free(&self) -> bool {
        self.seq.is_none() && !self.bad
    }
}

impl<F: Flash> FlashStore<F> {
    /// Erase the whole region (erase counts carried over where a sector header is readable) and
    /// start an empty store.
    pub fn format(flash: F) -> Result<FlashStore<F>, StoreError> {
        let mut store = FlashStore::empty(flash)?;
        let mut counts = Vec::with_capacity(store.geo.sectors as usize);
        for s in 0..store.geo.sectors {
            counts.push(store.read_part_a(s)?);
        }
        let top = counts.iter().flatten().copied().max().unwrap_or(0);
        for (s, count) in counts.into_iter().enumerate() {
            let count = count.unwrap_or(top).saturating_add(1);
            store.erase_sector(s as u32, count, false)?;
        }
        store.open_head()?;
        Ok(store)
    }

    pub(crate) fn empty(mut flash: F) -> Result<FlashStore<F>, StoreError> {
        let geo = Geometry::new::<F>(flash.capacity())?;
        // The count of reads and programs between two calls starts here.
        flash.keep_alive();
        let free = SectorInfo {
            erase_count: 0,
            seq: None,
            used: geo.body_start,
            closed: false,
            live: 0,
            bad: false,
        };
        Ok(FlashStore {
            flash,
            geo,
            sectors: alloc::vec![free; geo.sectors as usize],
            head: 0,
            files: SortedMap::new(),
            pending: None,
            next_gen: 1,
            next_seq: 1,
            since_keep_alive: 0,
        })
    }

    /// Erase count of every sector, in order (for wear checks and reports).
    pub fn erase_counts(&mut self) -> Vec<u32> {
        self.sectors.iter().map(|s| s.erase_count).collect()
    }

    /// (live record bytes, the most live bytes the store accepts).
    pub fn usage_bytes(&self) -> (u64, u64) {
        let live = self.sectors.iter().map(|s| u64::from(s.live)).sum();
        (live, self.geo.limit())
    }

    pub(crate) fn sector_base(&self, s: u32) -> u32 {
        s * self.geo.sector
    }

    pub(crate) fn head_free(&self) -> u32 {
        let h = &self.sectors[self.head as usize];
        if h.closed || h.seq.is_none() {
            0
        } else {
            self.geo.sector - h.used
        }
    }

    /// How many sectors are free (erased, not in the log); at least one after mount and after
    /// every write, so that garbage collection always has somewhere to go.
    #[doc(hidden)]
    pub fn free_sectors(&self) -> usize {
        self.free_count()
    }

    pub(crate) fn free_count(&self) -> usize {
        self.sectors.iter().filter(|s| s.is_free()).count()
    }

    pub(crate) fn add_live(&mut self, addr: u32, len: u32) {
        let s = &mut self.sectors[(addr / self.geo.sector) as usize];
        s.live = s.live.saturating_add(len);
    }

    pub(crate) fn sub_live(&mut self, addr: u32, len: u32) {
        let s = &mut self.sectors[(addr / self.geo.sector) as usize];
        s.live = s.live.saturating_sub(len);
    }

    /// The length in flash of the (trusted) record at `addr`.
    pub(crate) fn len_at(&mut self, addr: u32) -> Result<u32, StoreError> {
        let mut h = [0u8; HDR as usize];
        self.read_at(addr, &mut h)?;
        Ok(RecordHeader::decode(&h).map_or(0, |h| self.geo.record_len(h.name_len, h.data_len)))
    }

    /// Take the free sector with the fewest erases as the new head (any free sector: callers
    /// keep the reserve). Its part A must read back with its erase count and the rest must read
    /// erased, else it is erased again first; part B must read back before anything is appended.
    pub(crate) fn open_head(&mut self) -> Result<(), StoreError> {
        let Some(s) = (0..self.geo.sectors)
            .filter(|&s| self.sectors[s as usize].is_free())
            .min_by_key(|&s| self.sectors[s as usize].erase_count)
        else {
            return Err(StoreError::Full("no free sector left".into()));
        };
        let seq = u32::try_from(self.next_seq)
            .map_err(|_| StoreError::Full("the sector sequence counter is exhausted".into()))?;
        let base = self.sector_base(s);
        let count = self.sectors[s as usize].erase_count;
        if self.read_part_a(s)? != Some(count)
            || !self.is_blank(base + self.geo.b_off, base + self.geo.sector)?
        {
            // Not really erased (a program that failed, foreign or damaged content): erase it
            // again first.
            let count = count.saturating_add(1);
            self.erase_sector(s, count, false)?;
            if self.read_part_a(s)? != Some(count) {
                self.sectors[s as usize].bad = true;
                return Err(StoreError::Flash(
                    "start a sector",
                    "its header does not read back as written",
                ));
            }
        }
        self.write_part_b(s, seq)?;
        // The sector stays free in RAM if part B did not take: the next start erases it again.
        if self.read_part_b(s)? != Some(seq) {
            return Err(StoreError::Flash(
                "start a sector",
                "its header does not read back as written",
            ));
        }
        self.next_seq += 1;
        let info = &mut self.sectors[s as usize];
        info.seq = Some(seq);
        info.used = self.geo.body_start;
        info.closed = false;
        self.head = s;
        Ok(())
    }

    /// Make the head able to take `need` bytes: open a free sector beyond the reserve, or
    /// collect garbage. Bounded: fails with "storage full" when neither makes room.
    pub(crate) fn make_room(&mut self, need: u32) -> Result<(), StoreError> {
        for _ in 0..2 * self.geo.sectors + 8 {
            if self.free_count() < RESERVE && self.head_free() > 0 {
                // The reserve is in use (a collection was cut short, or this one has not
                // finished): collect while the head still has room to move records into.
                match self.collect() {
                    Ok(()) => continue,
                    Err(StoreError::Full(_)) if self.head_free() >= need => return Ok(()),
                    Err(e) => return Err(e),
                }
            }
            if self.head_free() >= need {
                return Ok(());
            }
            if self.free_count() > RESERVE {
                self.open_head()?;
            } else {
                self.collect()?;
            }
        }
        Err(StoreError::Full(format!(
            "no room for a {need}-byte record after collecting garbage"
        )))
    }

    /// Program a `len`-byte record at the end of the head with `write` (given its address) and
    /// count it live; returns its address. The one way records reach the flash (appends and
    /// garbage collection's copies). On any error (a program or read-back that failed with the
    /// power on) the record's place is given up: see [`FlashStore::abandon_at_head`].
    pub(crate) fn program_at_head(
        &mut self,
        len: u32,
        write: impl FnOnce(&mut Self, u32) -> Result<(), StoreError>,
    ) -> Result<u32, StoreError> {
        if self.head_free() < len {
            return Err(StoreError::Full(format!(
                "no room for a {len}-byte record in the head sector"
            )));
        }
        let head = self.head as usize;
        let addr = self.sector_base(self.head) + self.sectors[head].used;
        if let Err(e) = write(self, addr) {
            self.abandon_at_head(addr, len);
            return Err(e);
        }
        self.sectors[head].used += len;
        self.add_live(addr, len);
        Ok(addr)
    }

    /// Give up the place of a record whose program failed at `addr`: whatever part of it reached
    /// the flash must never be programmed over with other data. Every bit of its `len` bytes is
    /// cleared (NOR allows that over anything), rounded up to whole steps of a scan over a bad
    /// header, so that every scan — mount's included — steps over the zeros exactly onto the
    /// record after them and the head continues there. If clearing fails too, the head is
    /// closed: the next record goes to a new head.
    fn abandon_at_head(&mut self, addr: u32, len: u32) {
        let head = self.head as usize;
        let base = self.sector_base(self.head);
        let step = self.geo.align_up(HDR);
        let fill = (len.div_ceil(step) * step).min(base + self.geo.sector - addr);
        if self.zero_fill(addr, fill).is_ok() {
            self.sectors[head].used = addr + fill - base;
        } else {
            self.sectors[head].closed = true;
            self.sectors[head].used = self.geo.sector;
        }
    }

    /// Append a record at the head (which has room) and count it live; returns its address. A
    /// commit or tombstone (what makes a change visible) is read back and checked before the
    /// change is acknowledged.
    pub(crate) fn append(
        &mut self,
        kind: Kind,
        name: &str,
        gen: u32,
        index: u32,
        data: &[u8],
    ) -> Result<u32, StoreError> {
        let hdr = RecordHeader::new(kind, name.as_bytes(), gen, index, data);
        let len = self.geo.record_len(hdr.name_len, hdr.data_len);
        self.program_at_head(len, |store, addr| {
            store.write_record(addr, &hdr, name.as_bytes(), data)?;
            if kind != Kind::Chunk {
                store.check_written(addr, len, &hdr)?;
            }
            Ok(())
        })
    }

    /// The records of an index entry stop being live. Only the live-byte count changes; if a
    /// header cannot be read it stays counted (which errs on the full side), since the write
    /// that retired the entry is already committed.
    pub(crate) fn retire(&mut self, old: Entry) {
        let addrs = match old {
            Entry::File(f) => {
                let mut a = f.chunks;
                a.push(f.commit);
                a
            }
            Entry::Removed { addr, .. } => alloc::vec![addr],
        };
        for addr in addrs {
            if let Ok(len) = self.len_at(addr) {
                self.sub_live(addr, len);
            }
        }
    }

    fn check_name(name: &str) -> Result<(), StoreError> {
        if name.is_empty() || name.len() > MAX_NAME {
            return Err(StoreError::InvalidName(format!(
                "{} bytes, must be 1 to {MAX_NAME}",
                name.len()
            )));
        }
        Ok(())
    }

    fn take_gen(&mut self) -> Result<u32, StoreError> {
        let gen = u32::try_from(self.next_gen)
            .map_err(|_| StoreError::Full("the version counter is exhausted (format)".into()))?;
        self.next_gen += 1;
        Ok(gen)
    }

    /// Write a new version of `name`: visible only once its commit record is complete.
    pub fn write_file(&mut self, name: &str, data: &[u8]) -> Result<(), StoreError> {
        Self::check_name(name)?;
        let exists = matches!(self.files.get(name), Some(Entry::File(_)));
        let count = self
            .files
            .values()
            .filter(|e| matches!(e, Entry::File(_)))
            .count();
        if !exists && count >= MAX_FILES {
            return Err(StoreError::Full(format!("at most {MAX_FILES} files")));
        }
        let size = u32::try_from(data.len())
            .map_err(|_| StoreError::Full(format!("{name}: {} bytes", data.len())))?;
        let cost = self.geo.version_cost(name.len() as u32, u64::from(size));
        let (live, limit) = self.usage_bytes();
        if live + cost > limit {
            return Err(StoreError::Full(format!(
                "writing {name} ({size} bytes) needs {cost} bytes, {} of {limit} are free",
                limit.saturating_sub(live)
            )));
        }
        let gen = self.take_gen()?;
        self.pending = Some(Pending {
            name: name.into(),
            gen,
            chunks: Vec::new(),
        });
        let result = self.write_version(name, data, gen);
        let pending = self.pending.take();
        match result {
            Ok(commit) => {
                let chunks = pending.map(|p| p.chunks).unwrap_or_default();
                let entry = FileEntry {
                    gen,
                    size,
                    crc: crc32(data),
                    commit,
                    chunks,
                };
                if let Some(old) = self.files.insert(name.into(), Entry::File(entry)) {
                    self.retire(old);
                }
                Ok(())
            }
            Err(e) => {
                for addr in pending.map(|p| p.chunks).unwrap_or_default() {
                    if let Ok(len) = self.len_at(addr) {
                        self.sub_live(addr, len);
                    }
                }
                Err(e)
            }
        }
    }

    /// Chunks sized to the room at the head, then the commit; returns the commit's address.
    fn write_version(&mut self, name: &str, data: &[u8], gen: u32) -> Result<u32, StoreError> {
        let name_len = name.len() as u32;
        let mut off = 0usize;
        let mut index = 0u32;
        while off < data.len() {
            let left = (data.len() - off) as u32;
            self.make_room(self.geo.record_len(name_len, left.min(MIN_CHUNK)))?;
            let room = self.head_free() - HDR - name_len;
            let n = left.min(self.geo.chunk_max).min(room) as usize;
            let addr = self.append(Kind::Chunk, name, gen, index, &data[off..off + n])?;
            if let Some(p) = self.pending.as_mut() {
                p.chunks.push(addr);
            }
            off += n;
            index += 1;
        }
        let mut commit = [0u8; 8];
        commit[..4].copy_from_slice(&(data.len() as u32).to_le_bytes());
        commit[4..].copy_from_slice(&crc32(data).to_le_bytes());
        self.make_room(self.geo.record_len(name_len, 8))?;
        self.append(Kind::Commit, name, gen, index, &commit)
    }

    /// Remove `name`; `false` if there was no such file.
    pub fn remove_file(&mut self, name: &str) -> Result<bool, StoreError> {
        Self::check_name(name)?;
        if !matches!(self.files.get(name), Some(Entry::File(_))) {
            return Ok(false);
        }
        if self.removed_count() >= MAX_REMOVED {
            self.drop_tombstones()?;
        }
        let gen = self.take_gen()?;
        self.make_room(self.geo.record_len(name.len() as u32, 0))?;
        let addr = self.append(Kind::Tombstone, name, gen, 0, &[])?;
        if let Some(old) = self.files.insert(name.into(), Entry::Removed { gen, addr }) {
            self.retire(old);
        }
        Ok(true)
    }

    /// The content of `name`, checked against the CRC its commit carries.
    pub fn read_file(&mut self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(Entry::File(f)) = self.files.get(name) else {
            return Ok(None);
        };
        let (size, crc, chunks) = (f.size, f.crc, f.chunks.clone());
        let mut out = Vec::new();
        out.try_reserve_exact(size as usize)
            .map_err(|_| StoreError::Full(format!("no memory to read {name} ({size} bytes)")))?;
        for addr in chunks {
            let mut h = [0u8; HDR as usize];
            self.read_at(addr, &mut h)?;
            let Some(hdr) = RecordHeader::decode(&h) else {
                return Err(StoreError::Corrupt(format!(
                    "{name}: a chunk header is damaged"
                )));
            };
            let start = out.len();
            if start + hdr.data_len as usize > size as usize {
                return Err(StoreError::Corrupt(format!(
                    "{name}: chunks exceed its size"
                )));
            }
            out.resize(start + hdr.data_len as usize, 0);
            self.read_at(addr + HDR + hdr.name_len, &mut out[start..])?;
        }
        if out.len() != size as usize || crc32(&out) != crc {
            return Err(StoreError::Corrupt(format!("{name} fails its checksum")));
        }
        Ok(Some(out))
    }

    /// Removed files whose tombstone is still in the index.
    pub(crate) fn removed_count(&self) -> usize {
        self.files
            .values()
            .filter(|e| matches!(e, Entry::Removed { .. }))
            .count()
    }

    /// Sorted names of the files starting with `prefix`.
    pub fn list_files(&self, prefix: &str) -> Vec<String> {
        self.files
            .range_from(prefix)
            .take_while(|(k, _)| k.starts_with(prefix))
            .filter(|(_, e)| matches!(e, Entry::File(_)))
            .map(|(k, _)| k.clone())
            .collect()
    }

    pub fn file_size(&self, name: &str) -> Option<u32> {
        match self.files.get(name) {
            Some(Entry::File(f)) => Some(f.size),
            _ => None,
        }
    }
}
