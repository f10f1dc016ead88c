//! The runtime's shared names (`src/api/shared_names.rs`) are exactly the names its API's
//! `install` interns into a realm beyond the engine's own: a name missing there would be
//! interned into every script's heap again, a name no family uses would be flash for nothing.
//! `UPDATE_NAMES=1` rewrites the file.

use std::collections::BTreeSet;

use ferrite_engine::atoms::{parse_array_index, static_names, SharedNames};
use ferrite_engine::{Config, Engine};
use ferrite_runtime::api::{self, RUNTIME_NAMES};

const FILE: &str = "src/api/shared_names.rs";
const HEADER: &str = "\
//! The names the runtime's API interns in every realm beyond the engine's, shared instead
//! (see [`super::SHARED_NAMES`]). Generated: `UPDATE_NAMES=1 cargo test -p ferrite-runtime
//! --test shared_names` rewrites it from what `api::install` interns.
";

/// What a realm's set-up with the runtime's API interns itself, sharing `shared`.
fn interned_by_setup(shared: SharedNames) -> BTreeSet<Vec<u8>> {
    let mut engine = Engine::new(Config {
        shared_names: shared,
        ..Default::default()
    });
    engine.vm().begin_setup();
    api::install(&mut engine);
    engine.vm().finish_setup();
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
fn the_runtime_names_are_the_names_its_api_interns() {
    let wanted = interned_by_setup(SharedNames::ENGINE);
    let listed: BTreeSet<Vec<u8>> = RUNTIME_NAMES.iter().map(<[u8]>::to_vec).collect();
    if wanted == listed {
        return;
    }
    if std::env::var_os("UPDATE_NAMES").is_some() {
        let names: Vec<&[u8]> = wanted.iter().map(|n| &n[..]).collect();
        let source = static_names::render_source(HEADER, "ferrite_engine", "RUNTIME_NAMES", &names);
        std::fs::write(FILE, source).expect("writing the names file");
        return;
    }
    panic!(
        "{FILE} is out of date (rerun with UPDATE_NAMES=1 to rewrite it)\n  missing: {}\n  unused: {}",
        show(&wanted.difference(&listed).cloned().collect()),
        show(&listed.difference(&wanted).cloned().collect()),
    );
}

#[test]
fn a_scripts_realm_interns_no_name_of_the_api_itself() {
    assert_eq!(show(&interned_by_setup(api::SHARED_NAMES)), "");
}
