//! The runtime's shared names (`src/api/shared_names.rs`) are exactly the names its API
//! interns into a script's realm beyond the engine's own: a name missing there would be
//! interned into every script's heap again, a name no family uses would be flash for nothing.
//! `UPDATE_NAMES=1` rewrites the file.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use ferrite_engine::atoms::{parse_array_index, static_names, SharedNames};
use ferrite_engine::{Config, Engine};
use ferrite_runtime::api::{self, RUNTIME_NAMES};
use ferrite_runtime::host::ScriptHost;
use ferrite_runtime::runtime::install_api;
use ferrite_runtime::script::ScriptState;
use ferrite_runtime::sim::{MemStorage, SimBoard, SimSystem, VirtualClock};
use ferrite_runtime::{Runtime, RuntimeConfig};

const FILE: &str = "src/api/shared_names.rs";
const HEADER: &str = "\
//! The names the runtime's API interns in every realm beyond the engine's, shared instead
//! (see [`super::SHARED_NAMES`]). Generated: `UPDATE_NAMES=1 cargo test -p ferrite-runtime
//! --test shared_names` rewrites it from what a realm's set-up (`runtime::install_api`) interns.
";

/// What a script's realm set up as the runtime sets one up (`install_api`, with the script's
/// host on a booted device: some families install only with it) interns itself, sharing
/// `shared`.
fn interned_by_setup(shared: SharedNames) -> BTreeSet<Vec<u8>> {
    let board = SimBoard::new(
        Box::new(VirtualClock::new(None)),
        Box::new(MemStorage::new(1 << 20)),
        Box::new(SimSystem::new(1, [1, 2, 3, 4, 5, 6])),
    );
    let mut rt = Runtime::new(Box::new(board), RuntimeConfig::default());
    rt.boot();
    let mut engine = Engine::new(Config {
        shared_names: shared,
        ..Default::default()
    });
    let host = Rc::new(ScriptHost {
        id: 1,
        state: Rc::new(RefCell::new(ScriptState::new(1))),
        device: rt.device(),
    });
    install_api(&mut engine, host);
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
    static_names::check_names_file(
        FILE,
        HEADER,
        "ferrite_engine",
        "RUNTIME_NAMES",
        &interned_by_setup(SharedNames::ENGINE),
        &RUNTIME_NAMES,
    );
}

#[test]
fn a_scripts_realm_interns_no_name_of_the_api_itself() {
    assert_eq!(show(&interned_by_setup(api::SHARED_NAMES)), "");
}

#[test]
fn the_api_installs_with_the_host_a_script_has() {
    // Without the host, families such as TC53 install nothing: the list would miss their names.
    let names = interned_by_setup(SharedNames::ENGINE);
    for name in ["Digital", "Listener", "PWM", "Timer", "Shelly"] {
        assert!(names.contains(name.as_bytes()), "{name} not interned");
    }
    assert!(!names.contains(&b"this function needs the Ferrite runtime"[..]));
}
