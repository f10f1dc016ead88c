//! Garbage collection and wear levelling: pick a victim sector, move its live records to the
//! head, erase it. Never erases a sector before every live record in it has a complete copy, and
//! never drops a tombstone while an older record of its name exists in another sector (or may:
//! a sector whose erase failed).

use alloc::format;
use alloc::string::String;
use ferrite_collections::SortedSet;

use crate::error::StoreError;
use crate::flash::Flash;
use crate::io::Rec;
use crate::layout::{Kind, RecordHeader, HDR, MAX_REMOVED, WEAR_SPREAD};
use crate::store::{Entry, FlashStore};

/// Where a live record's address is kept in the index.
enum Slot {
    Commit,
    Chunk(usize),
    PendingChunk(usize),
    Tombstone,
}

impl<F: Flash> FlashStore<F> {
    /// Collect one sector: the one with the most reclaimable bytes whose live data fits in the
    /// room there is; then, if the erase counts have drifted apart, move the least-erased sector
    /// too (wear levelling: its data is static, so it is taken out of the way of the erases).
    pub(crate) fn collect(&mut self) -> Result<(), StoreError> {
        let body = self.geo.body();
        let victim = self
            .candidates()
            .filter(|&s| self.movable(s))
            .map(|s| (s, body.saturating_sub(self.sectors[s as usize].live)))
            .filter(|&(_, reclaim)| reclaim > 0)
            .max_by_key(|&(s, reclaim)| (reclaim, u32::MAX - self.sectors[s as usize].erase_count));
        let Some((victim, _)) = victim else {
            return Err(StoreError::Full("no sector has garbage to collect".into()));
        };
        self.move_out(victim)?;
        self.level_wear()
    }

    /// Collect sectors in log order, oldest first, until at most half of [`MAX_REMOVED`]
    /// tombstones are needed (or every sector that was in the log has moved). A removed file's
    /// older records are in its tombstone's sector or older ones, so they go first and the
    /// tombstone is dropped when its own sector's turn comes. Refuses with "storage full" when
    /// that leaves [`MAX_REMOVED`] or more (no room to move a sector, or a bad sector: then
    /// every tombstone is kept).
    pub(crate) fn drop_tombstones(&mut self) -> Result<(), StoreError> {
        for s in self.log_order() {
            if self.removed_count() <= MAX_REMOVED / 2 {
                break;
            }
            if self.sectors[s as usize].seq.is_none() {
                continue;
            }
            if !self.candidates().any(|c| c == s) || !self.movable(s) {
                break;
            }
            self.move_out(s)?;
        }
        if self.removed_count() >= MAX_REMOVED {
            return Err(StoreError::Full(format!(
                "{MAX_REMOVED} removed files are waiting for their space to be reclaimed"
            )));
        }
        Ok(())
    }

    /// Sectors in the log that take no more records: all but the head, and the head too once it
    /// has no room or was closed by a failed program (its records then move to a new head).
    fn candidates(&self) -> impl Iterator<Item = u32> + '_ {
        let head_done = self.head_free() == 0;
        (0..self.geo.sectors).filter(move |&s| {
            (s != self.head || head_done) && self.sectors[s as usize].seq.is_some()
        })
    }

    /// Whether `s`'s live records fit in the head and the free sectors, with a record's worth of
    /// slack for the unused end of a sector — needed only if the move may switch to a new head:
    /// with no free sector left (a collection cut short took the reserve) the records go to the
    /// head one after another and fitting is enough. (Requiring the slack there could leave a
    /// store near its size limit unable to collect ever again: the cut wasted part of the head.)
    fn movable(&self, s: u32) -> bool {
        let live = u64::from(self.sectors[s as usize].live);
        let head = u64::from(self.head_free());
        let free = self.free_count() as u64;
        if free == 0 {
            return live <= head;
        }
        live == 0
            || live + u64::from(self.geo.max_record()) <= head + free * u64::from(self.geo.body())
    }

    fn level_wear(&mut self) -> Result<(), StoreError> {
        let max = self
            .sectors
            .iter()
            .map(|s| s.erase_count)
            .max()
            .unwrap_or(0);
        let coldest = self
            .candidates()
            .min_by_key(|&s| self.sectors[s as usize].erase_count);
        if let Some(s) = coldest {
            if max - self.sectors[s as usize].erase_count > WEAR_SPREAD && self.movable(s) {
                self.move_out(s)?;
            }
        }
        Ok(())
    }

    /// Move every live record of `victim` to the head, then erase it.
    fn move_out(&mut self, victim: u32) -> Result<(), StoreError> {
        let tombstones = self.live_tombstones(victim)?;
        let keep = self.names_elsewhere(tombstones, victim)?;
        let base = self.sector_base(victim);
        let end = base + self.sectors[victim as usize].used;
        let mut at = base + self.geo.body_start;
        while at < end {
            let (hdr, name, len) = match self.record_at(at, end, false)? {
                Rec::End => break,
                Rec::BadHeader => {
                    at += self.geo.align_up(HDR);
                    continue;
                }
                Rec::Skip(len) => {
                    at += len;
                    continue;
                }
                Rec::Valid(hdr, name, len, _) => (hdr, name, len),
            };
            let Some(name) = name.as_str() else {
                at += len;
                continue;
            };
            if let Some(slot) = self.live_slot(&hdr, name, at) {
                let name = String::from(name);
                if matches!(slot, Slot::Tombstone) && !keep.contains(&name) {
                    // Nothing older of this name is left: the tombstone has done its job.
                    self.files.remove(&name);
                    self.sub_live(at, len);
                } else {
                    self.make_room_for_move(len)?;
                    let to =
                        self.program_at_head(len, |store, to| store.copy_record(at, to, len))?;
                    self.sub_live(at, len);
                    self.set_slot(&name, slot, to);
                }
            }
            at += len;
        }
        let count = self.sectors[victim as usize].erase_count.saturating_add(1);
        self.erase_sector(victim, count, false)
    }

    /// Make room at the head for a record moved by garbage collection: the head, or a new head
    /// (any free sector, the reserve included).
    fn make_room_for_move(&mut self, len: u32) -> Result<(), StoreError> {
        if self.head_free() < len {
            self.open_head()?;
        }
        Ok(())
    }

    /// The names of `victim`'s live tombstones (none without a removed file in the index).
    fn live_tombstones(&mut self, victim: u32) -> Result<SortedSet<String>, StoreError> {
        let mut names = SortedSet::new();
        if !self
            .files
            .values()
            .any(|e| matches!(e, Entry::Removed { .. }))
        {
            return Ok(names);
        }
        let base = self.sector_base(victim);
        let end = base + self.sectors[victim as usize].used;
        let mut at = base + self.geo.body_start;
        while at < end {
            match self.record_at(at, end, false)? {
                Rec::End => break,
                Rec::BadHeader => at += self.geo.align_up(HDR),
                Rec::Skip(len) => at += len,
                Rec::Valid(hdr, name, len, _) => {
                    if let Some(name) = name.as_str() {
                        if matches!(self.live_slot(&hdr, name, at), Some(Slot::Tombstone)) {
                            names.insert(String::from(name));
                        }
                    }
                    at += len;
                }
            }
        }
        Ok(names)
    }

    /// Those of `names` that some sector other than `except` holds a valid record of (or will:
    /// the version being written), found in one pass over the log for all of them (it stops once
    /// every name is found). All of them while a sector is bad: what it holds is unknown.
    fn names_elsewhere(
        &mut self,
        mut names: SortedSet<String>,
        except: u32,
    ) -> Result<SortedSet<String>, StoreError> {
        let mut found = SortedSet::new();
        if names.is_empty() || self.sectors.iter().any(|s| s.bad) {
            return Ok(names);
        }
        // The version being written may have chunks in the victim that this collection copies.
        if let Some(name) = self
            .pending
            .as_ref()
            .and_then(|p| names.take(p.name.as_str()))
        {
            found.insert(name);
        }
        for s in 0..self.geo.sectors {
            if s == except || self.sectors[s as usize].seq.is_none() {
                continue;
            }
            let base = self.sector_base(s);
            let end = base + self.sectors[s as usize].used;
            let mut at = base + self.geo.body_start;
            while at < end {
                match self.record_at(at, end, false)? {
                    Rec::End => break,
                    Rec::BadHeader => at += self.geo.align_up(HDR),
                    Rec::Skip(len) => at += len,
                    Rec::Valid(_, n, len, _) => {
                        if let Some(name) = n.as_str().and_then(|n| names.take(n)) {
                            found.insert(name);
                            if names.is_empty() {
                                return Ok(found);
                            }
                        }
                        at += len;
                    }
                }
            }
        }
        Ok(found)
    }

    /// Whether the record at `addr` is the one the index (or the version being written) uses.
    fn live_slot(&self, hdr: &RecordHeader, name: &str, addr: u32) -> Option<Slot> {
        if let Some(p) = &self.pending {
            if hdr.kind == Kind::Chunk && p.name == name && p.gen == hdr.gen {
                let i = hdr.index as usize;
                if p.chunks.get(i) == Some(&addr) {
                    return Some(Slot::PendingChunk(i));
                }
            }
        }
        match (self.files.get(name)?, hdr.kind) {
            (Entry::File(f), Kind::Commit) if f.gen == hdr.gen && f.commit == addr => {
                Some(Slot::Commit)
            }
            (Entry::File(f), Kind::Chunk)
                if f.gen == hdr.gen && f.chunks.get(hdr.index as usize) == Some(&addr) =>
            {
                Some(Slot::Chunk(hdr.index as usize))
            }
            (Entry::Removed { gen, addr: a }, Kind::Tombstone) if *gen == hdr.gen && *a == addr => {
                Some(Slot::Tombstone)
            }
            _ => None,
        }
    }

    fn set_slot(&mut self, name: &str, slot: Slot, to: u32) {
        match slot {
            Slot::PendingChunk(i) => {
                if let Some(c) = self.pending.as_mut().and_then(|p| p.chunks.get_mut(i)) {
                    *c = to;
                }
            }
            Slot::Commit | Slot::Chunk(_) | Slot::Tombstone => match self.files.get_mut(name) {
                Some(Entry::File(f)) => match slot {
                    Slot::Commit => f.commit = to,
                    Slot::Chunk(i) => {
                        if let Some(c) = f.chunks.get_mut(i) {
                            *c = to;
                        }
                    }
                    _ => {}
                },
                Some(Entry::Removed { addr, .. }) => *addr = to,
                None => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;
    use alloc::vec::Vec;

    use crate::flash::{Flash, FlashError};
    use crate::io::Rec;
    use crate::layout::Kind;
    use crate::store::{Entry, FlashStore, Pending};

    /// Plain RAM flash that checks the NOR rules (the power-cutting simulator is in
    /// tests/common).
    struct RamFlash<const UNIT: u32>(Vec<u8>);

    impl<const UNIT: u32> Flash for RamFlash<UNIT> {
        const SECTOR: u32 = 1024;
        const WRITE_UNIT: u32 = UNIT;
        fn capacity(&self) -> u32 {
            self.0.len() as u32
        }
        fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), FlashError> {
            let at = offset as usize;
            buf.copy_from_slice(&self.0[at..at + buf.len()]);
            Ok(())
        }
        fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), FlashError> {
            assert!(offset.is_multiple_of(UNIT) && (data.len() as u32).is_multiple_of(UNIT));
            for (i, b) in data.iter().enumerate() {
                let old = self.0[offset as usize + i];
                assert_eq!(
                    old & b,
                    *b,
                    "0->1 write without erase at {}",
                    offset as usize + i
                );
                self.0[offset as usize + i] = *b;
            }
            Ok(())
        }
        fn erase(&mut self, offset: u32) -> Result<(), FlashError> {
            self.0[offset as usize..(offset + Self::SECTOR) as usize].fill(0xFF);
            Ok(())
        }
    }

    /// A collection in the middle of a write may pick a sector that holds chunks of that very
    /// write (not committed yet): they are moved like live records, and the write's list of
    /// chunk addresses follows them.
    #[test]
    fn chunks_of_the_write_in_progress_are_moved() {
        let mut store = FlashStore::format(RamFlash::<4>(vec![0xFF; 8 * 1024])).unwrap();
        store.write_file("old", &[1; 300]).unwrap();
        store.pending = Some(Pending {
            name: "new".into(),
            gen: 99,
            chunks: Vec::new(),
        });
        let addr = store.append(Kind::Chunk, "new", 99, 0, &[7; 100]).unwrap();
        store.pending.as_mut().unwrap().chunks.push(addr);
        let first = store.head;
        store.open_head().unwrap();
        store.move_out(first).unwrap();
        let moved = store.pending.as_ref().unwrap().chunks[0];
        assert_ne!(moved / 1024, first);
        let end = (moved / 1024 + 1) * 1024;
        match store.record_at(moved, end, true).unwrap() {
            Rec::Valid(hdr, name, _, _) => {
                assert_eq!((hdr.gen, hdr.index, name.as_str()), (99, 0, Some("new")));
            }
            _ => panic!("the moved chunk is not a valid record"),
        }
        assert_eq!(store.read_file("old").unwrap(), Some(vec![1; 300]));
    }

    /// A victim full of tombstones, answered in one pass over the log: a tombstone whose name
    /// still has an older record in another sector is copied (and keeps the file removed after
    /// a remount); one whose name has records only in the victim is dropped.
    #[test]
    fn a_victims_tombstones_are_kept_exactly_when_needed() {
        let mut store = FlashStore::format(RamFlash::<4>(vec![0xFF; 8 * 1024])).unwrap();
        // "a" and "b" have their only version in the first sector.
        store.write_file("a", &[1; 100]).unwrap();
        store.write_file("b", &[2; 100]).unwrap();
        store.open_head().unwrap();
        let victim = store.head;
        // "c" and "d" live and die in the victim; all four tombstones are there.
        store.write_file("c", &[3; 50]).unwrap();
        store.write_file("d", &[4; 50]).unwrap();
        for name in ["c", "a", "d", "b"] {
            assert!(store.remove_file(name).unwrap());
        }
        store.open_head().unwrap();
        store.move_out(victim).unwrap();
        let mut kept: Vec<&str> = store.files.keys().map(|k| k.as_str()).collect();
        kept.sort();
        assert_eq!(kept, ["a", "b"], "the tombstones the index still holds");
        for name in ["a", "b"] {
            let Some(Entry::Removed { addr, .. }) = store.files.get(name) else {
                panic!("{name} is not a removed file");
            };
            assert_eq!(addr / 1024, store.head, "{name}'s tombstone was moved");
        }
        let RamFlash(mem) = store.flash;
        let mut store = FlashStore::mount(RamFlash::<4>(mem)).unwrap();
        assert!(store.list_files("").is_empty());
        assert_eq!(store.read_file("a").unwrap(), None);
        assert_eq!(store.read_file("b").unwrap(), None);
    }

    /// With no free sector left, a sector whose live records fit in the head's room is movable
    /// even without a record's worth of slack (review S3), and one that does not fit is not.
    #[test]
    fn with_no_free_sector_fitting_in_the_head_is_enough() {
        let mut store = FlashStore::format(RamFlash::<4>(vec![0xFF; 8 * 1024])).unwrap();
        store.write_file("a", &[1; 500]).unwrap();
        let victim = store.head;
        while store.free_count() > 0 {
            store.open_head().unwrap();
        }
        let room = store.head_free();
        let slack = store.geo.max_record();
        store.sectors[victim as usize].live = room - slack / 2;
        assert!(
            store.movable(victim),
            "{} live, {room} room",
            room - slack / 2
        );
        store.sectors[victim as usize].live = room + 4;
        assert!(!store.movable(victim));
    }

    /// Other write units: everything stays aligned (the flash asserts it) and round-trips.
    fn round_trip<const UNIT: u32>() {
        let mut store = FlashStore::mount(RamFlash::<UNIT>(vec![0xFF; 16 * 1024])).unwrap();
        for i in 0..60u32 {
            let data: Vec<u8> = (0..(i * 37) % 1000).map(|b| b as u8).collect();
            store.write_file("a", &data).unwrap();
            store.write_file("b", &[i as u8; 3]).unwrap();
            assert_eq!(store.read_file("a").unwrap(), Some(data));
        }
        let RamFlash(mem) = store.flash;
        let mut store = FlashStore::mount(RamFlash::<UNIT>(mem)).unwrap();
        assert_eq!(store.read_file("b").unwrap(), Some(vec![59; 3]));
    }

    #[test]
    fn write_units_from_1_to_64() {
        round_trip::<1>();
        round_trip::<16>();
        round_trip::<64>();
    }
}
