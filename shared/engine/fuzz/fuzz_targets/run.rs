//! Compile and run arbitrary scripts with a small heap and fuel budget: any outcome is fine
//! except a panic, a hang or a crash, and the engine must stay usable afterwards.
#![no_main]
use ferrite_engine::{Config, Engine, RunOutcome};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let config = Config { heap_budget: 1 << 20, max_call_depth: 200, ..Config::default() };
    let mut engine = Engine::new(config);
    engine.set_output(Box::new(|_| {}));
    if engine.start(data, "fuzz.js").is_ok() {
        for _ in 0..3 {
            match engine.run(20_000) {
                RunOutcome::Yielded => continue,
                _ => break,
            }
        }
    }
    let v = engine.eval(b"1 + 1", "after.js").expect("engine unusable after a fuzz input");
    assert_eq!(engine.display(v), "2");
});
