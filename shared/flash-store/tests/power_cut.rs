//! Exhaustive power cuts: a sequence of writes, overwrites (multi-sector files included) and
//! removes that makes the store collect garbage is run once per possible cut point — after every
//! programmed unit and erase — and the store is remounted (itself with a second cut during the
//! recovery), then every file must be exactly its old or its new version.

mod common;

use std::collections::BTreeMap;

use common::{Rng, SimFlash};
use ferrite_flash_store::FlashStore;

const SECTOR: u32 = 1024;
type Sim = SimFlash<SECTOR>;
type Model = BTreeMap<String, Vec<u8>>;

enum Op {
    Write(&'static str, Vec<u8>),
    Remove(&'static str),
}

fn content(rng: &mut Rng, n: usize) -> Vec<u8> {
    rng.bytes(n)
}

fn ops(rng: &mut Rng) -> Vec<Op> {
    vec![
        Op::Write("big", content(rng, 1300)),
        Op::Write("b", content(rng, 300)),
        Op::Remove("c"),
        Op::Write("d", content(rng, 50)),
        Op::Write("big", content(rng, 1250)),
        Op::Write("b", content(rng, 280)),
        Op::Remove("d"),
        Op::Write("c", content(rng, 20)),
        Op::Write("empty", Vec::new()),
        Op::Write("big", content(rng, 1320)),
        Op::Remove("empty"),
        Op::Write("b", content(rng, 310)),
        Op::Write("big", content(rng, 1290)),
        Op::Write("d", content(rng, 90)),
        Op::Write("big", content(rng, 1200)),
        Op::Remove("b"),
        Op::Write("big", content(rng, 1310)),
    ]
}

fn apply(model: &mut Model, op: &Op) {
    match op {
        Op::Write(n, d) => {
            model.insert((*n).into(), d.clone());
        }
        Op::Remove(n) => {
            model.remove(*n);
        }
    }
}

fn run(store: &mut FlashStore<Sim>, op: &Op) -> Result<(), String> {
    match op {
        Op::Write(n, d) => store.write_file(n, d).map_err(|e| e.to_string()),
        Op::Remove(n) => store.remove_file(n).map(|_| ()).map_err(|e| e.to_string()),
    }
}

fn op_name(op: &Op) -> &'static str {
    match op {
        Op::Write(n, _) | Op::Remove(n) => n,
    }
}

/// The store's files: name → content.
fn contents(store: &mut FlashStore<Sim>) -> Model {
    let mut out = Model::new();
    for name in store.list_files("") {
        let data = store
            .read_file(&name)
            .unwrap_or_else(|e| panic!("reading {name}: {e}"))
            .unwrap_or_else(|| panic!("{name} is listed but cannot be read"));
        out.insert(name, data);
    }
    out
}

/// Every file is as in `before`, except `changing`, which may also be as in `after`.
fn check(got: &Model, before: &Model, after: &Model, changing: Option<&str>, ctx: &str) {
    let names: std::collections::BTreeSet<&String> = got
        .keys()
        .chain(before.keys())
        .chain(after.keys())
        .collect();
    for name in names {
        let g = got.get(name);
        let ok = g == before.get(name) || (changing == Some(name.as_str()) && g == after.get(name));
        assert!(
            ok,
            "{ctx}: {name} is {:?} bytes, expected {:?} or {:?}",
            g.map(Vec::len),
            before.get(name).map(Vec::len),
            after.get(name).map(Vec::len)
        );
    }
}

fn setup(rng: &mut Rng) -> (Sim, Model) {
    let flash = Sim::new(8, 7);
    let mut store = FlashStore::format(flash.handle()).unwrap();
    let mut model = Model::new();
    for op in [
        Op::Write("big", content(rng, 1200)),
        Op::Write("b", content(rng, 200)),
        Op::Write("c", content(rng, 10)),
    ] {
        run(&mut store, &op).unwrap();
        apply(&mut model, &op);
    }
    (flash, model)
}

#[test]
fn every_power_cut_leaves_the_old_or_the_new_version() {
    let mut rng = Rng(0x5EED);
    let (flash, initial) = setup(&mut rng);
    let ops = ops(&mut rng);
    let image = flash.image();

    // One run without a cut: how many steps the sequence takes, and that it collects garbage.
    flash.power_on(Some(u64::MAX));
    let mut store = FlashStore::mount(flash.handle()).unwrap();
    let erases_before: u32 = store.erase_counts().iter().sum();
    let mut model = initial.clone();
    for op in &ops {
        run(&mut store, op).unwrap();
        apply(&mut model, op);
    }
    let total = flash.steps();
    let erases = store.erase_counts().iter().sum::<u32>() - erases_before;
    assert!(
        erases >= 3,
        "the sequence must collect garbage (erased {erases} sectors)"
    );
    check(&contents(&mut store), &model, &model, None, "uncut");
    drop(store);

    let mut nested = Rng(99);
    let mut cases = 0u64;
    for cut in 0..=total {
        flash.set_image(&image);
        flash.power_on(None);
        let mut store = FlashStore::mount(flash.handle()).unwrap();
        flash.power_on(Some(cut));
        let mut before = initial.clone();
        let mut after = initial.clone();
        let mut changing = None;
        for op in &ops {
            apply(&mut after, op);
            if run(&mut store, op).is_err() {
                assert!(
                    flash.is_dead(),
                    "cut {cut}: an op failed without a power cut"
                );
                changing = Some(op_name(op));
                break;
            }
            apply(&mut before, op);
        }
        if changing.is_none() {
            after = before.clone();
        }
        drop(store);
        let ctx = format!("cut after {cut} of {total} steps");

        // Reboot, and lose power again somewhere in the recovery or the next write.
        flash.power_on(Some(nested.below(12)));
        let extra = content(&mut nested, 200);
        let mut wrote_extra = false;
        if let Ok(mut store) = FlashStore::mount(flash.handle()) {
            wrote_extra = store.write_file("extra", &extra).is_ok();
        }

        flash.power_on(None);
        let mut store = FlashStore::mount(flash.handle()).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let mut got = contents(&mut store);
        let got_extra = got.remove("extra");
        assert!(
            got_extra.is_none() || got_extra.as_ref() == Some(&extra),
            "{ctx}: extra is mixed"
        );
        if wrote_extra {
            assert_eq!(
                got_extra.as_ref(),
                Some(&extra),
                "{ctx}: committed extra lost"
            );
        }
        check(&got, &before, &after, changing, &ctx);

        // The recovered store keeps working.
        let more = content(&mut nested, 400);
        store
            .write_file("more", &more)
            .unwrap_or_else(|e| panic!("{ctx}: {e}"));
        drop(store);
        let mut store = FlashStore::mount(flash.handle()).unwrap();
        assert_eq!(store.read_file("more").unwrap(), Some(more), "{ctx}");
        cases += 1;
    }
    println!("power-cut cases: {cases} (steps in the sequence: {total}, erases: {erases})");
    assert_eq!(cases, total + 1);
}
