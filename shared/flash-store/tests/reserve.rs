//! The reserve (one free sector for garbage collection) survives a power cut in the middle of a
//! collection: with every sector holding live data, a cut while records are copied into the
//! reserve must not leave the store permanently "full" — mount wins the reserve back, and many
//! writes after it keep succeeding.

mod common;

use common::{Rng, SimFlash};
use ferrite_flash_store::FlashStore;

const SECTOR: u32 = 1024;
const SECTORS: u32 = 8;
type Sim = SimFlash<SECTOR>;

/// A store whose every sector holds a live static file, and a "hot" file overwritten often.
fn spread_statics(rng: &mut Rng) -> (Sim, Vec<Vec<u8>>) {
    let flash = Sim::new(SECTORS, 21);
    let mut store = FlashStore::format(flash.handle()).unwrap();
    let mut statics = Vec::new();
    for i in 0..SECTORS as usize {
        let data = rng.bytes(80);
        store.write_file(&format!("static/{i}"), &data).unwrap();
        statics.push(data);
        for _ in 0..3 {
            store.write_file("hot", &rng.bytes(200)).unwrap();
        }
    }
    (flash, statics)
}

#[test]
fn a_power_cut_during_collection_does_not_lose_the_reserve() {
    let mut rng = Rng(0xC0FFEE);
    let (flash, statics) = spread_statics(&mut rng);
    let image = flash.image();

    // How many steps the workload takes without a cut.
    let workload = |store: &mut FlashStore<Sim>, rng: &mut Rng| -> Result<(), String> {
        for _ in 0..40 {
            store
                .write_file("hot", &rng.bytes(200))
                .map_err(|e| format!("{e:?}"))?;
        }
        Ok(())
    };
    flash.power_on(Some(u64::MAX));
    let mut store = FlashStore::mount(flash.handle()).unwrap();
    workload(&mut store, &mut Rng(1)).unwrap();
    let total = flash.steps();
    drop(store);

    let mut cuts = 0;
    for budget in 0..total {
        flash.set_image(&image);
        flash.power_on(Some(budget));
        if let Ok(mut store) = FlashStore::mount(flash.handle()) {
            let _ = workload(&mut store, &mut Rng(1));
        }
        if !flash.is_dead() {
            continue;
        }
        cuts += 1;
        flash.power_on(None);
        let mut store = FlashStore::mount(flash.handle()).unwrap();
        assert!(
            store.free_sectors() >= 1,
            "cut at step {budget}: no free sector after mount"
        );
        for i in 0..60 {
            let data = rng.bytes(200);
            if let Err(e) = store.write_file("hot", &data) {
                panic!("cut at step {budget}: write {i} after remount failed: {e}");
            }
            assert!(store.free_sectors() >= 1, "cut at step {budget}, write {i}");
        }
        for (i, data) in statics.iter().enumerate() {
            assert_eq!(
                store.read_file(&format!("static/{i}")).unwrap().as_ref(),
                Some(data),
                "cut at step {budget}"
            );
        }
    }
    assert!(cuts > 100, "only {cuts} cuts landed");
}
