//! Mount's RAM is per file, not per record: a log full of old versions of a few files, or a
//! crafted commit claiming a huge chunk count, must not make mount allocate in proportion to
//! the flash. Measured with a counting global allocator (peak bytes live during mount).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use common::SimFlash;
use ferrite_flash_store::FlashStore;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The tests measure one at a time.
static MEASURING: Mutex<()> = Mutex::new(());

const SECTOR: u32 = 4096;
const SECTORS: u32 = 128;
type Sim = SimFlash<SECTOR>;

/// Mount `flash`; returns the store and the most heap bytes mount had allocated at once.
fn measured_mount(flash: &Sim) -> (FlashStore<Sim>, usize) {
    let handle = flash.handle();
    let base = LIVE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let store = FlashStore::mount(handle).unwrap();
    let peak = PEAK.load(Ordering::SeqCst) - base;
    (store, peak)
}

/// RAM bound for mounting this store with a handful of files: the per-sector table, the log
/// order and the index. Far below what one allocation per record would take.
const MOUNT_HEAP_BOUND: usize = 16 * 1024;

#[test]
fn thousands_of_old_versions_do_not_cost_ram_at_mount() {
    let _one = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let flash = Sim::new(SECTORS, 5);
    let mut store = FlashStore::format(flash.handle()).unwrap();
    let names = ["kvs/a", "kvs/b", "kvs/c", "cfg"];
    let mut last = vec![Vec::new(); names.len()];
    for i in 0..5000u32 {
        let k = (i as usize) % names.len();
        last[k] = format!("{{\"n\":{i:08}}}").into_bytes();
        store.write_file(names[k], &last[k]).unwrap();
    }
    // The log holds thousands of garbage commits (GC has hardly run: most sectors are in use).
    let erases: u32 = store.erase_counts().iter().sum();
    assert!(
        erases < 2 * SECTORS + 64,
        "GC ran too much for the test: {erases} erases"
    );
    drop(store);
    let (mut store, peak) = measured_mount(&flash);
    assert!(
        peak < MOUNT_HEAP_BOUND,
        "mount allocated {peak} bytes at its peak for {} files",
        names.len()
    );
    for (name, data) in names.iter().zip(&last) {
        assert_eq!(store.read_file(name).unwrap().as_ref(), Some(data));
    }
}

/// CRC-32 (IEEE), as the store computes it, to craft a record.
fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A commit record with valid checksums: `chunks` chunks, `size` bytes.
fn crafted_commit(name: &[u8], gen: u32, chunks: u32, size: u32) -> Vec<u8> {
    let mut data = size.to_le_bytes().to_vec();
    data.extend_from_slice(&0u32.to_le_bytes());
    let mut body = name.to_vec();
    body.extend_from_slice(&data);
    let mut h = Vec::new();
    h.extend_from_slice(&0x5E7Cu16.to_le_bytes());
    h.push(2); // commit
    h.push(name.len() as u8);
    h.extend_from_slice(&gen.to_le_bytes());
    h.extend_from_slice(&chunks.to_le_bytes());
    h.extend_from_slice(&8u32.to_le_bytes());
    h.extend_from_slice(&crc32(&body).to_le_bytes());
    let c = crc32(&h);
    h.extend_from_slice(&c.to_le_bytes());
    h.extend_from_slice(&body);
    while h.len() % 4 != 0 {
        h.push(0xFF);
    }
    h
}

/// A new store holding one file, `good` = "kept": the flash, its image, and where the head's
/// records end in it (sector 0 of a newly formatted store, whose records start at byte 20),
/// which is where a test appends crafted records.
fn store_with_one_file(seed: u64) -> (Sim, Vec<u8>, usize) {
    let flash = Sim::new(SECTORS, seed);
    let mut store = FlashStore::format(flash.handle()).unwrap();
    store.write_file("good", b"kept").unwrap();
    drop(store);
    let image = flash.image();
    let mut at = 20usize;
    while image[at..at + 24].iter().any(|&b| b != 0xFF) {
        let name_len = usize::from(image[at + 3]);
        let data_len = u32::from_le_bytes(image[at + 12..at + 16].try_into().unwrap());
        at += (24 + name_len + data_len as usize).div_ceil(4) * 4;
    }
    (flash, image, at)
}

#[test]
fn a_crafted_commit_with_a_huge_chunk_count_is_rejected_without_allocating() {
    let _one = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    for (chunks, size) in [
        (u32::MAX, u32::MAX),
        (u32::MAX / 2, 100),
        (1_000_000, 64_000),
    ] {
        let (flash, mut image, at) = store_with_one_file(9);
        let record = crafted_commit(b"evil", 1000, chunks, size);
        image[at..at + record.len()].copy_from_slice(&record);
        flash.set_image(&image);

        let (mut store, peak) = measured_mount(&flash);
        assert!(
            peak < MOUNT_HEAP_BOUND,
            "a commit claiming {chunks} chunks made mount allocate {peak} bytes"
        );
        assert_eq!(store.read_file("evil").unwrap(), None);
        assert_eq!(store.read_file("good").unwrap(), Some(b"kept".to_vec()));
        // The version counter still moves past the crafted record's.
        store.write_file("evil", b"new").unwrap();
        drop(store);
        let mut store = FlashStore::mount(flash.handle()).unwrap();
        assert_eq!(store.read_file("evil").unwrap(), Some(b"new".to_vec()));
    }
}

/// RAM bound for a store whose files come and go under new names (a script's temporary files,
/// KVS keys set and deleted): the tombstones it must keep are capped (`MAX_REMOVED`).
const CHURN_HEAP_BOUND: usize = 32 * 1024;

#[test]
fn thousands_of_removed_names_do_not_cost_ram() {
    let _one = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let flash = Sim::new(SECTORS, 13);
    let mut store = FlashStore::format(flash.handle()).unwrap();
    store.write_file("kept", b"here all along").unwrap();
    let base = LIVE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    for i in 0..3000u32 {
        let name = format!("tmp/{i:05}");
        store.write_file(&name, &i.to_le_bytes()).unwrap();
        assert!(store.remove_file(&name).unwrap(), "{name}");
    }
    let peak = PEAK.load(Ordering::SeqCst) - base;
    assert!(
        peak < CHURN_HEAP_BOUND,
        "3000 files written and removed took {peak} bytes of RAM at the peak"
    );
    drop(store);
    let (mut store, peak) = measured_mount(&flash);
    assert!(
        peak < CHURN_HEAP_BOUND,
        "mount allocated {peak} bytes for a store of 3000 removed files"
    );
    assert_eq!(store.list_files(""), ["kept"]);
    for i in [0u32, 1, 1500, 2998, 2999] {
        assert_eq!(store.read_file(&format!("tmp/{i:05}")).unwrap(), None);
    }
    assert_eq!(
        store.read_file("kept").unwrap(),
        Some(b"here all along".to_vec())
    );
}

#[test]
fn a_crafted_log_naming_thousands_of_files_is_refused_at_mount() {
    let _one = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let flash = Sim::new(SECTORS, 17);
    let mut store = FlashStore::format(flash.handle()).unwrap();
    // A big file puts about 50 sectors in the log; their records are then replaced by
    // well-formed commits of 5000 different (empty) files.
    store.write_file("big", &vec![1u8; 200_000]).unwrap();
    drop(store);
    let mut image = flash.image();
    let mut n = 0u32;
    for s in 0..SECTORS as usize {
        let base = s * SECTOR as usize;
        let in_log = image[base + 12..base + 20].iter().any(|&b| b != 0xFF);
        if !in_log {
            continue;
        }
        image[base + 20..base + SECTOR as usize].fill(0xFF);
        let mut at = base + 20;
        loop {
            let record = crafted_commit(format!("f{n:05}").as_bytes(), 1 + n, 0, 0);
            if at + record.len() > base + SECTOR as usize {
                break;
            }
            image[at..at + record.len()].copy_from_slice(&record);
            at += record.len();
            n += 1;
        }
    }
    assert!(n > 4000, "only {n} names crafted");
    flash.set_image(&image);
    let base = LIVE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let Err(e) = FlashStore::mount(flash.handle()) else {
        panic!("a log naming {n} files was mounted");
    };
    let peak = PEAK.load(Ordering::SeqCst) - base;
    assert!(e.to_string().contains("names more than"), "{e}");
    assert!(
        peak < 256 * 1024,
        "mount allocated {peak} bytes before refusing"
    );
}

/// One name with version after version whose chunks are missing (crafted): mount gives the name
/// up after a few rescans instead of rescanning the log once per version.
#[test]
fn a_name_with_many_broken_versions_does_not_make_mount_rescan_for_each() {
    let _one = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let mount_reads = |versions: u32| {
        let (flash, mut image, mut at) = store_with_one_file(23);
        for v in 0..versions {
            let record = crafted_commit(b"evil", 1000 + v, 1, 10);
            image[at..at + record.len()].copy_from_slice(&record);
            at += record.len();
        }
        flash.set_image(&image);
        let before = flash.state.borrow().keep_alives;
        let mut store = FlashStore::mount(flash.handle()).unwrap();
        let keep_alives = flash.state.borrow().keep_alives - before;
        assert_eq!(store.read_file("evil").unwrap(), None);
        assert_eq!(store.read_file("good").unwrap(), Some(b"kept".to_vec()));
        keep_alives
    };
    let few = mount_reads(4);
    let many = mount_reads(100);
    // The reads grow with the records scanned, not with records times versions.
    assert!(
        many < 4 * few + 64,
        "{many} keep-alives for 100 versions, {few} for 4"
    );
}
