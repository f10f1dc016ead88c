//! Data-driven golden tests: every `tests/golden/NAME.js` runs in a fresh engine and its output
//! (what `print`/`console.log` wrote, then `!! <uncaught error>` if any) must equal
//! `tests/golden/NAME.out`. Set `UPDATE_GOLDEN=1` to rewrite the `.out` files, and
//! `FERRITE_GC_STRESS=1` to also run each script with the collector at every safe point.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use ferrite_engine::{Config, Engine};

fn run_one(path: &Path, gc_stress: bool) -> String {
    let source = std::fs::read(path).unwrap();
    let config = Config {
        heap_budget: 8 << 20,
        max_call_depth: 500,
        gc_stress,
        ..Config::default()
    };
    let mut engine = Engine::new(config);
    let out = Rc::new(RefCell::new(Vec::new()));
    let sink = out.clone();
    engine.set_output(Box::new(move |b: &[u8]| {
        sink.borrow_mut().extend_from_slice(b)
    }));
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    // Hostile scripts are bounded by fuel: run in slices so a runaway loop ends.
    let mut result = engine.start(&source, &name).map(|_| ());
    if result.is_ok() {
        let mut slices = 0;
        result = loop {
            match engine.run(10_000_000) {
                ferrite_engine::RunOutcome::Finished(_) => break Ok(()),
                ferrite_engine::RunOutcome::Error(e) => break Err(e),
                ferrite_engine::RunOutcome::Yielded => {
                    slices += 1;
                    if slices == 5 {
                        out.borrow_mut().extend_from_slice(b"!! out of fuel\n");
                        break Ok(());
                    }
                }
            }
        };
    }
    let mut text = String::from_utf8_lossy(&out.borrow()).into_owned();
    if let Err(e) = result {
        text.push_str(&format!("!! {e}\n"));
    }
    // The engine must stay usable after whatever the script did.
    let after = engine.eval(b"1 + 1", "after.js");
    if after.map(|v| engine.display(v)).ok().as_deref() != Some("2") {
        text.push_str("!! engine unusable afterwards\n");
    }
    text
}

#[test]
fn golden_scripts() {
    // Debug builds use much more native stack per nesting level than release builds.
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(golden_scripts_on_big_stack)
        .unwrap()
        .join()
        .unwrap();
}

fn golden_scripts_on_big_stack() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "js"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no golden scripts in {}", dir.display());
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let stress = std::env::var_os("FERRITE_GC_STRESS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for path in &files {
        let actual = run_one(path, false);
        let expected_path = path.with_extension("out");
        if update {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        // With FERRITE_GC_STRESS=1, also check that collecting at every safe point changes
        // nothing (slow in debug builds; CI runs the stress check on test262 instead).
        let name = path.file_name().unwrap().to_string_lossy();
        if stress && !name.starts_with("hostile_") {
            let stressed = run_one(path, true);
            if stressed != actual {
                failures.push(format!(
                    "--- {name} (GC stress)\nnormal:\n{actual}\nstressed:\n{stressed}"
                ));
            }
        }
        if actual != expected {
            failures.push(format!(
                "--- {}\nexpected:\n{}\nactual:\n{}",
                path.file_name().unwrap().to_string_lossy(),
                expected,
                actual
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden scripts differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
