//! Random operations against a `BTreeMap` model: thousands of writes, overwrites, removes, reads,
//! lists and remounts, collecting garbage many times. The store must always agree with the model,
//! and may refuse a write only up front, for lack of room ("needs … bytes"), never halfway.

mod common;

use std::collections::BTreeMap;

use common::{Rng, SimFlash};
use ferrite_flash_store::FlashStore;
use ferrite_runtime::board::Storage;

const SECTOR: u32 = 1024;
type Sim = SimFlash<SECTOR>;

fn check_all(store: &mut FlashStore<Sim>, model: &BTreeMap<String, Vec<u8>>, ctx: &str) {
    let names: Vec<String> = model.keys().cloned().collect();
    assert_eq!(store.list("").unwrap(), names, "{ctx}: list");
    for (name, data) in model {
        assert_eq!(
            store.read(name).unwrap().as_ref(),
            Some(data),
            "{ctx}: {name}"
        );
        assert_eq!(
            store.size(name).unwrap(),
            Some(data.len() as u64),
            "{ctx}: size of {name}"
        );
    }
}

fn run(seed: u64, ops: usize, sectors: u32) -> (u32, usize) {
    let flash = Sim::new(sectors, seed);
    let mut store = FlashStore::mount(flash.handle()).unwrap();
    let mut model: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut rng = Rng(seed);
    let names: Vec<String> = (0..24)
        .map(|i| match i % 3 {
            0 => format!("scripts/{i}.js"),
            1 => format!("kvs/k/{}", "6b".repeat(i % 40 + 1)),
            _ => format!("f{i}"),
        })
        .collect();
    let mut refused = 0;
    for step in 0..ops {
        let ctx = format!("seed {seed} step {step}");
        let name = &names[rng.below(names.len() as u64) as usize];
        match rng.below(100) {
            0..=59 => {
                let len = match rng.below(10) {
                    0 => 0,
                    1..=6 => rng.below(120) as usize,
                    7 | 8 => rng.below(900) as usize,
                    _ => 900 + rng.below(1800) as usize,
                };
                let data = rng.bytes(len);
                match store.write(name, &data) {
                    Ok(()) => {
                        model.insert(name.clone(), data);
                    }
                    Err(e) => {
                        let msg = e.to_string();
                        assert!(
                            msg.starts_with("storage full: writing") && msg.contains("needs"),
                            "{ctx}: {msg}"
                        );
                        refused += 1;
                        assert_eq!(store.read(name).unwrap().as_ref(), model.get(name), "{ctx}");
                    }
                }
            }
            60..=74 => {
                let existed = store.remove(name).unwrap();
                assert_eq!(
                    existed,
                    model.remove(name).is_some(),
                    "{ctx}: remove {name}"
                );
            }
            75..=89 => {
                assert_eq!(store.read(name).unwrap().as_ref(), model.get(name), "{ctx}");
            }
            90..=95 => {
                let prefix = &name[..rng.below(name.len() as u64 + 1) as usize];
                let want: Vec<String> = model
                    .keys()
                    .filter(|k| k.starts_with(prefix))
                    .cloned()
                    .collect();
                assert_eq!(store.list(prefix).unwrap(), want, "{ctx}: list {prefix:?}");
            }
            _ => {
                drop(store);
                store = FlashStore::mount(flash.handle()).unwrap();
                check_all(&mut store, &model, &ctx);
            }
        }
        let (used, total) = store.usage().unwrap();
        assert!(used <= total, "{ctx}: usage {used} of {total}");
    }
    check_all(&mut store, &model, "end");
    drop(store);
    let mut store = FlashStore::mount(flash.handle()).unwrap();
    check_all(&mut store, &model, "end, remounted");
    let erases = store.erase_counts().iter().sum();
    (erases, refused)
}

#[test]
fn random_operations_match_a_model() {
    let mut total_erases = 0;
    for seed in 1..=4 {
        let (erases, refused) = run(seed, 4000, 16);
        println!("seed {seed}: 4000 ops, {erases} sector erases, {refused} writes refused as full");
        assert!(
            erases > 100,
            "seed {seed}: garbage collection ran only {erases} times"
        );
        total_erases += erases;
    }
    println!("total erases {total_erases}");
}

#[test]
fn a_small_store_near_full_refuses_cleanly() {
    let (erases, refused) = run(77, 3000, 5);
    println!("5 sectors: {erases} erases, {refused} refused");
    assert!(refused > 0, "a 5-sector store must fill up");
}
