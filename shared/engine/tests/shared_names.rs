//! The engine's shared names (`src/atoms/engine_names.rs`) are exactly the names a realm's
//! built-ins intern: a name missing there would be interned into every realm's heap again,
//! a name no built-in uses would be flash for nothing. `UPDATE_NAMES=1` rewrites the file.

use std::collections::BTreeSet;

use ferrite_engine::atoms::{parse_array_index, static_names, SharedNames, ENGINE_NAMES};
use ferrite_engine::{Config, Engine};

const FILE: &str = "src/atoms/engine_names.rs";
const HEADER: &str = "\
//! The names the engine's built-ins intern in every realm, shared instead (see
//! [`super::SharedNames`]). Generated: `UPDATE_NAMES=1 cargo test -p ferrite-engine --test
//! shared_names` rewrites it from what a realm's set-up interns.
";

/// What a realm's set-up interns when nothing is shared (array indexes stay per realm).
fn interned_by_setup(shared: SharedNames) -> BTreeSet<Vec<u8>> {
    let mut engine = Engine::new(Config {
        shared_names: shared,
        ..Default::default()
    });
    engine
        .vm()
        .own_names()
        .filter(|n| parse_array_index(n).is_none())
        .map(<[u8]>::to_vec)
        .collect()
}

fn show(names: &BTreeSet<Vec<u8>>) -> String {
    names
        .iter()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_engine_names_are_the_names_a_realm_interns() {
    static_names::check_names_file(
        FILE,
        HEADER,
        "crate",
        "ENGINE_NAMES",
        &interned_by_setup(SharedNames::NONE),
        &ENGINE_NAMES,
    );
}

#[test]
fn a_realm_interns_no_name_of_its_built_ins_itself() {
    assert_eq!(show(&interned_by_setup(SharedNames::ENGINE)), "");
}

#[test]
fn a_name_is_one_atom_whether_shared_or_not() {
    let mut engine = Engine::new(Config::default());
    let vm = engine.vm();
    let shared = vm.atom("prototype");
    assert_eq!(vm.atom("prototype"), shared);
    assert_eq!(vm.atom_bytes(shared), b"prototype");
    let own = vm.atom("a name no built-in has");
    assert_eq!(vm.atom("a name no built-in has"), own);
    assert_ne!(own, shared);
    assert_eq!(vm.atom_bytes(own), b"a name no built-in has");
    assert_eq!(
        vm.own_names().collect::<Vec<_>>(),
        [&b"0"[..], b"a name no built-in has"]
    );
}
