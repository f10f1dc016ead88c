//! Wear: one small file overwritten many times (with and without static files taking up a third
//! of the store) must spread the erases over all sectors: max − min erase count stays within
//! `WEAR_SPREAD + 2`.

mod common;

use common::{Rng, SimFlash};
use ferrite_flash_store::{FlashStore, WEAR_SPREAD};

type Sim = SimFlash<4096>;

fn overwrite(statics: usize, writes: usize) -> Vec<u32> {
    let flash = Sim::new(16, 3);
    let mut store = FlashStore::mount(flash.handle()).unwrap();
    let mut rng = Rng(11);
    let mut kept = Vec::new();
    for i in 0..statics {
        let data = rng.bytes(4000);
        store.write_file(&format!("static/{i}"), &data).unwrap();
        kept.push(data);
    }
    let mut last = Vec::new();
    for i in 0..writes {
        last = format!("{{\"count\":{i}}}").into_bytes();
        store.write_file("kvs/counter", &last).unwrap();
    }
    let mut store = FlashStore::mount(flash.handle()).unwrap();
    assert_eq!(store.read_file("kvs/counter").unwrap(), Some(last));
    for (i, data) in kept.iter().enumerate() {
        assert_eq!(
            store.read_file(&format!("static/{i}")).unwrap().as_ref(),
            Some(data)
        );
    }
    store.erase_counts()
}

fn check(statics: usize) {
    let writes = 40_000;
    let counts = overwrite(statics, writes);
    let (min, max) = (*counts.iter().min().unwrap(), *counts.iter().max().unwrap());
    let total: u32 = counts.iter().sum();
    println!(
        "{statics} static files, {writes} overwrites: {total} erases, min {min} max {max} spread {}: {counts:?}",
        max - min
    );
    assert!(min >= 10, "every sector takes part: {counts:?}");
    assert!(
        max - min <= WEAR_SPREAD + 2,
        "spread {}: {counts:?}",
        max - min
    );
}

#[test]
fn erases_spread_over_all_sectors() {
    check(0);
}

#[test]
fn static_data_does_not_pin_sectors() {
    check(5);
}
