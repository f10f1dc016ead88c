//! Mount: classify every sector by its header, erase the ones that are not (or no longer) part
//! of the store, scan the log and rebuild the index. A version counts only if its commit record
//! and all its chunks are complete and check out; anything else on the flash is garbage. Never
//! panics and never trusts a length it has not checked, whatever the flash holds.

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::StoreError;
use crate::flash::Flash;
use crate::io::Rec;
use crate::layout::{decode_part_a, decode_part_b, word, Kind, HDR};
use crate::store::{Entry, FileEntry, FlashStore};

/// A commit or tombstone found by the scan.
struct Candidate {
    name: String,
    gen: u32,
    seq: u32,
    kind: Kind,
    addr: u32,
    /// Commit: chunk count, size and content CRC.
    chunks: u32,
    size: u32,
    crc: u32,
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
        let top = store
            .sectors
            .iter()
            .map(|s| s.erase_count)
            .max()
            .unwrap_or(0);
        for (s, count) in dirty {
            let base = store.sector_base(s);
            let blank = store.is_blank(base, base + store.geo.sector)?;
            let count = match count {
                Some(c) => c.saturating_add(1),
                None if blank => 0,
                None => top.saturating_add(1),
            };
            store.erase_sector(s, count, blank)?;
        }
        let candidates = store.scan()?;
        store.resolve(candidates)?;
        store.choose_head()?;
        Ok(store)
    }

    /// The sectors in the log, oldest first.
    fn log_order(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.geo.sectors)
            .filter(|&s| self.sectors[s as usize].seq.is_some())
            .collect();
        order.sort_by_key(|&s| self.sectors[s as usize].seq);
        order
    }

    /// Pass 1: verify every record, note where each sector's records end, the highest version
    /// number, and every commit and tombstone.
    fn scan(&mut self) -> Result<Vec<Candidate>, StoreError> {
        let mut candidates = Vec::new();
        let mut max_gen = 0u32;
        for s in self.log_order() {
            let base = self.sector_base(s);
            let end = base + self.geo.sector;
            let mut at = base + self.geo.body_start;
            loop {
                match self.record_at(at, end, true)? {
                    Rec::End => break,
                    Rec::BadHeader => at += self.geo.align_up(HDR),
                    Rec::Skip(len) => at += len,
                    Rec::Valid(hdr, name, len, small) => {
                        max_gen = max_gen.max(hdr.gen);
                        if hdr.kind != Kind::Chunk {
                            candidates.push(Candidate {
                                name: name.as_str().unwrap_or_default().into(),
                                gen: hdr.gen,
                                seq: self.sectors[s as usize].seq.unwrap_or(0),
                                kind: hdr.kind,
                                addr: at,
                                chunks: hdr.index,
                                size: word(&small, 0),
                                crc: word(&small, 4),
                            });
                        }
                        at += len;
                    }
                }
            }
            let info = &mut self.sectors[s as usize];
            info.used = (at - base).min(self.geo.sector);
            info.closed = true;
        }
        self.next_gen = u64::from(max_gen) + 1;
        // Newest version first; of copies of one record, the one in the newer sector.
        candidates
            .sort_by(|a, b| (a.name.as_str(), b.gen, b.seq).cmp(&(b.name.as_str(), a.gen, a.seq)));
        Ok(candidates)
    }

    /// Pick each name's newest version whose records are all there (falling back to an older
    /// one if not), build the index and count live bytes per sector.
    fn resolve(&mut self, mut candidates: Vec<Candidate>) -> Result<(), StoreError> {
        let max_chunks = self.geo.sectors * self.geo.sector / HDR;
        loop {
            self.files.clear();
            let mut last: Option<&str> = None;
            for c in &candidates {
                if last == Some(c.name.as_str()) {
                    continue;
                }
                last = Some(c.name.as_str());
                let entry = match c.kind {
                    Kind::Tombstone => Entry::Removed {
                        gen: c.gen,
                        addr: c.addr,
                    },
                    _ => Entry::File(FileEntry {
                        gen: c.gen,
                        size: c.size,
                        crc: c.crc,
                        commit: c.addr,
                        chunks: alloc::vec![u32::MAX; c.chunks.min(max_chunks) as usize],
                    }),
                };
                self.files.insert(c.name.clone(), entry);
            }
            self.find_chunks()?;
            let broken = self.incomplete()?;
            if broken.is_empty() {
                break;
            }
            candidates.retain(|c| !broken.iter().any(|(n, g)| *n == c.name && *g == c.gen));
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

    /// Continue in the newest sector if its end is erased; otherwise start a new one.
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
        if self.free_count() > 0 {
            self.open_head()?;
        }
        Ok(())
    }
}
