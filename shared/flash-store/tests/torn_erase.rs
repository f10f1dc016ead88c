//! A removed file stays removed when garbage collection's erase of the sector holding both its
//! old version and its tombstone is cut short. Collection drops such a tombstone (no other
//! sector holds the name) and erases the sector; a torn erase may leave parts of the sector as
//! they were (tests/common: 64-byte parts erased, kept or random). Were the sector header among
//! the kept parts with the old version but not the tombstone, mount would find the old version
//! and nothing newer: the file would be back. Every erase after the remove is cut, with many
//! patterns of what it leaves.

mod common;

use common::SimFlash;
use ferrite_flash_store::FlashStore;

const SECTOR: u32 = 1024;
type Sim = SimFlash<SECTOR>;

/// Overwrites that fill the sectors again and again until wear levelling moves the removed
/// file's sector (its live tombstone keeps collection from choosing it: every other sector
/// holds only garbage) and erases it.
fn fill(store: &mut FlashStore<Sim>) -> Result<(), String> {
    for i in 0..200u32 {
        store
            .write_file("filler", &[i as u8; 300])
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[test]
fn a_torn_erase_does_not_bring_a_removed_file_back() {
    let flash = Sim::new(8, 11);
    let mut store = FlashStore::format(flash.handle()).unwrap();
    // The old version and its tombstone, in the first head.
    store.write_file("gone", &[7; 40]).unwrap();
    assert!(store.remove_file("gone").unwrap());
    drop(store);
    let start = flash.image();

    // Where the erases are, with the power on throughout.
    flash.power_on(None);
    let mut store = FlashStore::mount(flash.handle()).unwrap();
    fill(&mut store).unwrap();
    drop(store);
    // The erases of the sector holding the removed file's records (the first head, sector 0).
    let erases: Vec<u64> = flash
        .erase_steps()
        .into_iter()
        .filter(|&(_, offset)| offset == 0)
        .map(|(step, _)| step)
        .collect();
    assert!(
        !erases.is_empty(),
        "the removed file's sector was never erased"
    );

    let mut torn = 0;
    for &at in &erases {
        for seed in 0..40 {
            flash.set_image(&start);
            flash.power_on(Some(at));
            flash.reseed(seed);
            if let Ok(mut store) = FlashStore::mount(flash.handle()) {
                assert!(fill(&mut store).is_err(), "the power was cut at step {at}");
            }
            torn += 1;
            flash.power_on(None);
            let mut store = FlashStore::mount(flash.handle())
                .unwrap_or_else(|e| panic!("mount after a cut at step {at}: {e}"));
            assert_eq!(
                store.read_file("gone").unwrap(),
                None,
                "the removed file is back after an erase torn at step {at} (seed {seed})"
            );
            assert_eq!(store.list_files(""), ["filler"], "cut at step {at}");
        }
    }
    assert!(torn >= 40);
}
