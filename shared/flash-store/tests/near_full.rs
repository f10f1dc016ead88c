//! A store filled to its size limit with many small files, then one file overwritten with the
//! power cut at every step: after each cut and remount the store must still take writes that
//! fit (a collection cut short near the limit wasted some of the head: that must not leave the
//! store "full" for good).

mod common;

use common::{Rng, SimFlash};
use ferrite_flash_store::FlashStore;

const SECTOR: u32 = 1024;
const SECTORS: u32 = 64;
type Sim = SimFlash<SECTOR>;

#[test]
fn a_cut_near_the_size_limit_does_not_leave_the_store_full() {
    // (Also tried: 60-, 100- and 200-byte files, every 80th or 250th removed: none fails.)
    near_full(140, 40);
}

/// Files of `size` bytes up to the limit, every `step`th removed again.
fn near_full(size: usize, step: usize) {
    let flash = Sim::new(SECTORS, 5);
    let mut store = FlashStore::format(flash.handle()).unwrap();
    let mut rng = Rng(77);
    let mut files = 0;
    for i in 0..250 {
        if store
            .write_file(&format!("s/{i:03}"), &rng.bytes(size))
            .is_err()
        {
            break;
        }
        files += 1;
    }
    // Make room for the hot file again, spread over the log.
    for i in (0..files).step_by(step) {
        store.remove_file(&format!("s/{i:03}")).unwrap();
    }
    store.write_file("hot", &rng.bytes(100)).unwrap();
    let (live, limit) = store.usage_bytes();
    drop(store);
    let image = flash.image();

    let workload = |store: &mut FlashStore<Sim>| -> Result<(), String> {
        let mut rng = Rng(3);
        for _ in 0..60 {
            store
                .write_file("hot", &rng.bytes(100))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    };
    flash.power_on(None);
    let mut store = FlashStore::mount(flash.handle()).unwrap();
    workload(&mut store).unwrap_or_else(|e| panic!("{files} files, {live} of {limit}: {e}"));
    let total = flash.steps();
    drop(store);

    for budget in 0..total {
        flash.set_image(&image);
        flash.power_on(Some(budget));
        if let Ok(mut store) = FlashStore::mount(flash.handle()) {
            let _ = workload(&mut store);
        }
        if !flash.is_dead() {
            continue;
        }
        flash.power_on(None);
        let mut store = FlashStore::mount(flash.handle()).unwrap();
        for i in 0..20 {
            if let Err(e) = store.write_file("hot", &[i; 100]) {
                panic!("cut at step {budget} of {total}: write {i} after remount failed: {e}");
            }
        }
    }
}
