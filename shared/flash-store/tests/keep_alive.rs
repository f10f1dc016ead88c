//! The driver's `keep_alive` (where the chip feeds its watchdog) is called before every erase and
//! at least every `KEEP_ALIVE_EVERY` reads or programs, through mounts of a full log, writes that
//! collect garbage many times over, and collections of sectors full of tombstones.

mod common;

use common::{Rng, SimFlash};
use ferrite_flash_store::{FlashStore, KEEP_ALIVE_EVERY};

type Sim = SimFlash<4096>;

#[test]
fn keep_alive_comes_before_every_erase_and_between_long_runs_of_reads() {
    let flash = Sim::new(24, 5);
    let mut store = FlashStore::mount(flash.handle()).unwrap();
    let mut rng = Rng(77);
    for round in 0..80 {
        // KVS-like traffic: many small keys written, overwritten and removed (tombstones that
        // collections must check against the whole log), and a large file rewritten.
        for i in 0..60 {
            let key = format!("kvs/k/{:04}", (round * 7 + i) % 150);
            if rng.below(3) == 0 {
                store.remove_file(&key).unwrap();
            } else {
                store.write_file(&key, &rng.bytes(20)).unwrap();
            }
        }
        store
            .write_file("scripts/main.js", &rng.bytes(6000))
            .unwrap();
    }
    let erased: u32 = store.erase_counts().iter().sum();
    drop(store);
    // A mount scans the whole log, now full of old versions.
    let mut store = FlashStore::mount(flash.handle()).unwrap();
    assert!(store.read_file("scripts/main.js").unwrap().is_some());

    let s = flash.state.borrow();
    assert!(
        erased > 100,
        "the test must collect garbage ({erased} erases)"
    );
    assert_eq!(
        s.erases_without_keep_alive, 0,
        "erases without keep_alive just before"
    );
    assert!(
        s.most_between_keep_alives <= u64::from(KEEP_ALIVE_EVERY),
        "{} reads and programs between two keep_alive calls",
        s.most_between_keep_alives
    );
    assert!(s.keep_alives > u64::from(erased));
}
