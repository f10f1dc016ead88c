//! Review tests of Smart.js tables and board state that scripts cannot see.

use crate::board::Edge;
use crate::json::json;
use crate::rpc::Origin;
use crate::sim::SimHandle;
use crate::testing::{bare_board, ok, start_script};
use crate::{Runtime, RuntimeConfig};

use super::{SmartState, EXT};

/// A runtime on a simulated board (with its standard parts) running `code` as script 1.
fn start(code: &str) -> (Runtime, SimHandle) {
    let board = bare_board().with_standard_parts();
    let sim = board.handle();
    (start_script(board, RuntimeConfig::default(), code), sim)
}

fn log_has(rt: &Runtime, text: &str) -> bool {
    let dev = rt.device();
    let d = dev.borrow();
    let found = d.log.since(0).any(|l| l.text.contains(text));
    found
}

/// Review: `new SPI()` in a loop must not grow the script's SPI table (Smart.js has no
/// `SPI.close`), and `new I2C(…)` beyond the cap throws instead of growing the I2C table.
#[test]
fn review_spi_and_i2c_tables_are_bounded() {
    let (rt, _) = start(
        r#"
for (let i = 0; i < 100; i++) new SPI();
let refused = 0, kept = [];
for (let i = 0; i < 20; i++) {
  try { kept.push(new I2C(4, 5)); } catch (e) { refused++; if (refused === 1) print(e.name, e.message); }
}
kept[0].close();
let again = new I2C(4, 5);
print("refused", refused, "after close", again instanceof I2C);
"#,
    );
    let st = rt.script_state(1).expect("script 1 runs");
    let mut st = st.borrow_mut();
    let s = st
        .extensions
        .get::<SmartState>(EXT)
        .expect("Smart.js state");
    assert_eq!(s.spi.len(), 1);
    assert_eq!(s.i2c.len(), super::i2c::MAX_BUSES);
    drop(st);
    let want = alloc::format!("refused {} after close true", 20 - super::i2c::MAX_BUSES);
    assert!(log_has(&rt, &want), "{want:?} not logged");
    assert!(log_has(&rt, "RangeError I2C: a script may have at most"));
}

/// Review: removing the last ISR of a pin, or stopping the script that had one, switches the
/// board's interrupt of the pin off; a pin another script still listens to keeps it.
#[test]
fn review_isr_removal_switches_the_interrupt_off() {
    let (mut rt, sim) = start(
        r#"
GPIO.setisr(4, 3, function () {});
GPIO.setisr(5, 3, function () {});
GPIO.setisr(4, 0);
"#,
    );
    assert_eq!(sim.pin(4).unwrap().interrupt, Edge::None);
    assert_eq!(sim.pin(5).unwrap().interrupt, Edge::Any);
    ok(rt.rpc("Script.Stop", json!({"id": 1}), Origin::Transport));
    assert_eq!(sim.pin(5).unwrap().interrupt, Edge::None);
}
