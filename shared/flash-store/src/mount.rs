//! Mount: classify every sector by its header, erase the ones that are not (or no longer) part
//! of the store, scan the log and rebuild the index. A version counts only if its commit record
//! and all its chunks are complete and check out; anything else on the flash is garbage. Never
//! panics and never trusts a length it has not checked, whatever the flash holds; never keeps
//! more than one candidate per name in RAM (memory grows with the files, not the records).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use ferrite_collections::SortedMap;

use crate::error::StoreError;
use crate::flash::Flash;
use crate::io::Rec;
use crate::layout::{
    decode_part_a, decode_part_b, word, Kind, RecordHeader, HDR, MAX_FILES, MAX_REMOVED, MIN_CHUNK,
    RESERVE,
};
use crate::store::{Entry, FileEntry, FlashStore};

/// Rescans of the log for older versions of names whose best version is broken. The store
/// breaks at most the version a cut interrupted (its chunks are written before its commit), so
/// one round is what it needs; a name still broken after these many is given up.
const FALLBACK_ROUNDS: u32 = 4;

/// Most names a log this store wrote can hold: its files and needed tombstones, twice over
/// (a write or remove cut short leaves at most one more). A crafted log naming more is refused
/// before the index outgrows the RAM it is meant for.
const MOUNT_NAMES: usize = 2 * (MAX_FILES + MAX_REMOVED);

/// The best commit or tombstone of one name found by a scan (the name is the map's key): RAM is
/// per name, not per record.
#[derive(Clone, Copy)]
struct Candidate {
    gen: u32,
    seq: u32,
    kind: Kind,
    addr: u32,
    /// Commit: chunk count, size and content CRC.
    chunks: u32,
    size: u32,
    crc: u32,
}

/// Mount goes on after a program or erase that failed with the power on (the sector concerned
/// is bad or still free, and writes start a head when they need one); a read that fails, or
/// any other error, ends it. A power cut fails every later read, so mount still stops there.
fn tolerate_flash_error(r: Result<(), StoreError>) -> Result<(), StoreError> {
    match r {
        Err(e) if is_program_or_erase_error(&e) => Ok(()),
        other => other,
    }
}

fn is_program_or_erase_error(e: &StoreError) -> bool {
    matches!(e, StoreError::Flash(what, _) if *what != "read")
}

/// Keep `c` for `name` if it beats what is kept: the higher version, and of copies of one
/// version, the one in the newer sector. The name is allocated only when it is new.
fn offer(best: &mut SortedMap<String, Candidate>, name: &str, c: Candidate) {
    match best.get_mut(name) {
        Some(b) => {
            if (c.gen, c.seq) > (b.gen, b.seq) {
                *b = c;
            }
        }
        None => {
            best.insert(name.into(), c);
        }
    }
}

impl<F: Flash> FlashStore<F> {
    /// Mount the store on `flash`: scan, recover from an interrupted write, and format sectors
    /// that hold no store data (a blank or foreign region becomes an empty store).
    pub fn mount(flash: F) -> Result<FlashStore<F>, StoreError> {
        let mut store = FlashStore::empty(flash)?;
        let header_len = store.geo.body_start as usize;
        let mut dirty = Vec::new();
        for s in 0..store.geo.sectors {
            let mut h = [0u8; 128];
            store.read_at(store.sector_base(s), &mut h[..header_len])?;
            let b_off = store.geo.b_off as usize;
            let Some(count) = decode_part_a(&h[..12]) else {
                dirty.push((s, None));
                continue;
            };
            store.sectors[s as usize].erase_count = count;
            if h[b_off..b_off + 8].iter().all(|&b| b == 0xFF) {
                continue; // free
            }
            match decode_part_b(&h[b_off..b_off + 8], count) {
                Some(seq) => {
                    store.sectors[s as usize].seq = Some(seq);
                    store.next_seq = store.next_seq.max(u64::from(seq) + 1);
                }
                None => dirty.push((s, Some(count))),
            }
        }
        // Sectors whose header is unreadable (interrupted erase, foreign data) or half-written
        // (interrupted start of use) hold nothing of the store: make them free sectors.
        // A sector without part A that reads blank is only known to be erased on a fresh
        // partition (no sector has part A): elsewhere it may be an interrupted erase that reads
        // blank but does not hold, so it is erased again, with a count above every other.
        let top = store
            .sectors
            .iter()
            .map(|s| s.erase_count)
            .max()
            .unwrap_or(0);
        let fresh = dirty.len() == store.geo.sectors as usize
            && dirty.iter().all(|(_, count)| count.is_none());
        for (s, count) in dirty {
            let base = store.sector_base(s);
            let blank = fresh && store.is_blank(base, base + store.geo.sector)?;
            let count = match count {
                Some(c) => c.saturating_add(1),
                None if blank => 0,
                None => top.saturating_add(1),
            };
            // An erase that fails with the power on leaves the sector bad until the next mount
            // (erase_sector marks it): the store works on without it.
            tolerate_flash_error(store.erase_sector(s, count, blank))?;
        }
        let best = store.scan(None)?;
        store.resolve(best)?;
        tolerate_flash_error(store.choose_head())?;
        store.restore_reserve()?;
        Ok(store)
    }

    /// The sectors in the log, oldest first.
    pub(crate) fn log_order(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.geo.sectors)
            .filter(|&s| self.sectors[s as usize].seq.is_some())
            .collect();
        ferrite_collections::sort::sort_by_key(&mut order, |&s| self.sectors[s as usize].seq);
        order
    }

    /// Whether a commit's chunk count and size are ones this store could have written: the
    /// size within the store's limit, and as many chunks as a write of that size makes (every
    /// chunk but the last holds at least the smallest chunk, none more than the largest). Keeps
    /// a damaged or crafted commit from making mount allocate for chunks that cannot exist.
    pub(crate) fn plausible_commit(&self, chunks: u32, size: u32) -> bool {
        let largest = self.geo.chunk_max.max(1);
        let smallest = MIN_CHUNK.min(largest);
        u64::from(size) <= self.geo.limit()
            && chunks >= size.div_ceil(largest)
            && chunks <= size.div_ceil(smallest)
    }

    /// Verify every record in the log; note where each sector's records end and the highest
    /// version number; return each name's best commit or tombstone. With `below`, only the
    /// names it holds, and only their versions below the one given (the fallback when a
    /// version turned out broken).
    fn scan(
        &mut self,
        below: Option<&SortedMap<String, u32>>,
    ) -> Result<SortedMap<String, Candidate>, StoreError> {
        let mut best = SortedMap::new();
        let mut max_gen = 0u32;
        for s in self.log_order() {
            let base = self.sector_base(s);
            let end = base + self.geo.sector;
            let seq = self.sectors[s as usize].seq.unwrap_or(0);
            let mut at = base + self.geo.body_start;
            loop {
                match self.record_at(at, end, true)? {
                    Rec::End => break,
                    Rec::BadHeader => at += self.geo.align_up(HDR),
                    Rec::Skip(len) => at += len,
                    Rec::Valid(hdr, name, len, small) => {
                        max_gen = max_gen.max(hdr.gen);
                        let wanted = match (name.as_str(), below) {
                            (Some(n), Some(b)) => b.get(n).is_some_and(|&g| hdr.gen < g),
                            (Some(_), None) => true,
                            (None, _) => false,
                        };
                        if wanted {
                            if let (Some(c), Some(n)) =
                                (self.candidate(seq, at, &hdr, &small), name.as_str())
                            {
                                offer(&mut best, n, c);
                                if best.len() > MOUNT_NAMES {
                                    return Err(StoreError::Corrupt(format!(
                                        "the log names more than {MOUNT_NAMES} files: it was not \
                                         written by this store (format it)"
                                    )));
                                }
                            }
                        }
                        at += len;
                    }
                }
            }
            let info = &mut self.sectors[s as usize];
            info.used = (at - base).min(self.geo.sector);
            info.closed = true;
        }
        self.next_gen = self.next_gen.max(u64::from(max_gen) + 1);
        Ok(best)
    }

    /// The candidate a commit or tombstone record makes (`None`: a chunk, or an implausible
    /// commit).
    fn candidate(
        &self,
        seq: u32,
        addr: u32,
        hdr: &RecordHeader,
        small: &[u8; 8],
    ) -> Option<Candidate> {
        let (size, crc) = (word(small, 0), word(small, 4));
        match hdr.kind {
            Kind::Chunk => return None,
            Kind::Commit if !self.plausible_commit(hdr.index, size) => return None,
            _ => {}
        }
        Some(Candidate {
            gen: hdr.gen,
            seq,
            kind: hdr.kind,
            addr,
            chunks: hdr.index,
            size,
            crc,
        })
    }

    /// Index each name's best version whose records are all there, falling back to the best
    /// older one (a rescan for just those names) if not; then count live bytes per sector.
    fn resolve(&mut self, mut best: SortedMap<String, Candidate>) -> Result<(), StoreError> {
        let mut rounds = 0;
        loop {
            self.files.clear();
            let mut broken = Vec::new();
            for (name, c) in &best {
                let entry = match c.kind {
                    Kind::Tombstone => Entry::Removed {
                        gen: c.gen,
                        addr: c.addr,
                    },
                    _ => {
                        let mut chunks = Vec::new();
                        if chunks.try_reserve_exact(c.chunks as usize).is_err() {
                            broken.push((name.clone(), c.gen));
                            continue;
                        }
                        chunks.resize(c.chunks as usize, u32::MAX);
                        Entry::File(FileEntry {
                            gen: c.gen,
                            size: c.size,
                            crc: c.crc,
                            commit: c.addr,
                            chunks,
                        })
                    }
                };
                self.files.insert(name.clone(), entry);
            }
            self.find_chunks()?;
            broken.extend(self.incomplete()?);
            if broken.is_empty() {
                break;
            }
            rounds += 1;
            if rounds > FALLBACK_ROUNDS {
                // Version after version broken: only crafted or decaying flash does that. Those
                // names are given up rather than the log rescanned once per version.
                for (name, _) in broken {
                    best.remove(&name);
                }
                continue;
            }
            let below: SortedMap<String, u32> = broken.into_iter().collect();
            let older = self.scan(Some(&below))?;
            for name in below.keys() {
                match older.get(name) {
                    Some(c) => {
                        best.insert(name.clone(), *c);
                    }
                    None => {
                        best.remove(name);
                    }
                }
            }
        }
        let mut live = Vec::new();
        for e in self.files.values() {
            match e {
                Entry::File(f) => live.extend(f.chunks.iter().copied().chain([f.commit])),
                Entry::Removed { addr, .. } => live.push(*addr),
            }
        }
        for addr in live {
            let len = self.len_at(addr)?;
            self.add_live(addr, len);
        }
        Ok(())
    }

    /// Pass 2: where each indexed version's chunks are (the copy in the newest sector).
    fn find_chunks(&mut self) -> Result<(), StoreError> {
        for s in self.log_order() {
            let base = self.sector_base(s);
            let end = base + self.sectors[s as usize].used;
            let mut at = base + self.geo.body_start;
            while at < end {
                match self.record_at(at, end, true)? {
                    Rec::End => break,
                    Rec::BadHeader => at += self.geo.align_up(HDR),
                    Rec::Skip(len) => at += len,
                    Rec::Valid(hdr, name, len, _) => {
                        if hdr.kind == Kind::Chunk {
                            if let Some(Entry::File(f)) =
                                name.as_str().and_then(|n| self.files.get_mut(n))
                            {
                                if f.gen == hdr.gen {
                                    if let Some(slot) = f.chunks.get_mut(hdr.index as usize) {
                                        *slot = at;
                                    }
                                }
                            }
                        }
                        at += len;
                    }
                }
            }
        }
        Ok(())
    }

    /// The (name, version) of indexed files with a missing chunk or sizes that do not add up.
    fn incomplete(&mut self) -> Result<Vec<(String, u32)>, StoreError> {
        let mut broken = Vec::new();
        let files: Vec<(String, u32, u32, Vec<u32>)> = self
            .files
            .iter()
            .filter_map(|(n, e)| match e {
                Entry::File(f) => Some((n.clone(), f.gen, f.size, f.chunks.clone())),
                Entry::Removed { .. } => None,
            })
            .collect();
        for (name, gen, size, chunks) in files {
            let mut total = 0u64;
            let mut whole = true;
            for addr in chunks {
                if addr == u32::MAX {
                    whole = false;
                    break;
                }
                let mut h = [0u8; HDR as usize];
                self.read_at(addr, &mut h)?;
                total += crate::layout::RecordHeader::decode(&h).map_or(0, |h| h.data_len) as u64;
            }
            if !whole || total != u64::from(size) {
                broken.push((name, gen));
            }
        }
        Ok(broken)
    }

    /// Continue in the newest sector if its end is erased; otherwise start a new one, but never
    /// the last free sector (that reserve is for garbage collection: `make_room` decides).
    fn choose_head(&mut self) -> Result<(), StoreError> {
        if let Some(&newest) = self.log_order().last() {
            self.head = newest;
            let base = self.sector_base(newest);
            let used = self.sectors[newest as usize].used;
            if self.is_blank(base + used, base + self.geo.sector)? {
                self.sectors[newest as usize].closed = false;
                return Ok(());
            }
        }
        if self.free_count() > RESERVE {
            self.open_head()?;
        }
        Ok(())
    }

    /// A collection cut short by a power loss may have taken the reserve sector for its copies:
    /// collect now, while the head still has the room that collection was sized for, until a
    /// sector is free again. Best effort: if nothing can be collected, writes try again later.
    fn restore_reserve(&mut self) -> Result<(), StoreError> {
        for _ in 0..self.geo.sectors {
            if self.free_count() >= RESERVE {
                break;
            }
            match self.collect() {
                Ok(()) => {}
                // A program or erase that failed with the power on: as after a full store,
                // writes collect again when they need room.
                Err(StoreError::Full(_)) => break,
                Err(e) if is_program_or_erase_error(&e) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
