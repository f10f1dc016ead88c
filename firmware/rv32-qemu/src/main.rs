//! The engine on the ESP32-C3's instruction set, bare-metal under QEMU: built with the firmware's
//! target, flags and size profile and with its allocator, it runs one script the runner loaded
//! (src/inputs.rs) as the engine's golden tests or `ferrite run` would, writes the script's
//! output to the UART, then one line of figures:
//!
//! `@@ rv32 setup=<instructions> run=<instructions> realm=<bytes> peak=<bytes>`
//!
//! - `setup`: instructions to make the realm (`Engine::new`: the built-ins);
//! - `run`: instructions to run the script (under `qemu -icount shift=0`, exact);
//! - `realm`: the heap the realm takes as the chip's allocator counts it (its rounding in);
//! - `peak`: the most heap in use at once from the realm's start to the script's end.
//!
//! It must never be linked into the firmware: it owns the machine (reset, traps, the heap).
//! scripts/rv32.sh builds it and runs the goldens and workloads through it.

#![no_std]
#![no_main]

extern crate alloc;

mod counters;
mod heap;
mod inputs;
mod start;
mod uart;

use alloc::boxed::Box;

use ferrite_engine::{Config, Engine, RunOutcome};
use inputs::Mode;
use start::Exit;

extern "C" {
    static __stack_guard: u8;
}

/// Room left below the engine's stack floor for its deepest unchecked stretch (the firmware
/// leaves 10 KiB on the chip; the guard traps if this is not enough).
const STACK_MARGIN: usize = 64 * 1024;

fn main() -> Exit {
    let (Some(mode), Some(script)) = (inputs::mode(), inputs::script()) else {
        uart::print_fmt(format_args!(
            "@@ bad input: no mode word or no NUL-terminated name line and script\n"
        ));
        return Exit::BadInput;
    };
    let config = match mode {
        Mode::Golden => Config {
            heap_budget: 8 << 20,
            max_call_depth: 500,
            ..Config::default()
        },
        Mode::Workload => Config {
            heap_budget: 64 << 20,
            ..Config::default()
        },
    };
    let heap_before = heap::used();
    let setup_start = counters::instructions();
    let mut engine = Engine::new(config);
    let setup = counters::instructions() - setup_start;
    let realm = heap::used() - heap_before;
    let guard_end = (&raw const __stack_guard) as usize + start::GUARD_BYTES;
    engine.set_stack_floor(guard_end + STACK_MARGIN);
    engine.set_output(Box::new(uart::write_bytes));

    let run_start = counters::instructions();
    let result = match mode {
        Mode::Golden => run_in_slices(&mut engine, &script),
        Mode::Workload => engine.eval(script.source, script.name).map(|_| ()),
    };
    let run = counters::instructions() - run_start;
    let peak = heap::peak() - heap_before;
    if let Err(e) = result {
        uart::print_fmt(format_args!("!! {e}\n"));
    }
    if mode == Mode::Golden {
        // The engine must stay usable after whatever the script did (as golden.rs checks).
        let after = engine.eval(b"1 + 1", "after.js");
        if after.map(|v| engine.display(v)).ok().as_deref() != Some("2") {
            uart::print_fmt(format_args!("!! engine unusable afterwards\n"));
        }
    }
    uart::print_fmt(format_args!(
        "\n@@ rv32 setup={setup} run={run} realm={realm} peak={peak}\n"
    ));
    Exit::Done
}

/// golden.rs's way: slices of 10 M instructions of fuel, at most 5, so a runaway script ends.
fn run_in_slices(
    engine: &mut Engine,
    script: &inputs::Script,
) -> Result<(), ferrite_engine::JsError> {
    engine.start(script.source, script.name)?;
    for _ in 0..5 {
        match engine.run(10_000_000) {
            RunOutcome::Finished(_) => return Ok(()),
            RunOutcome::Error(e) => return Err(e),
            RunOutcome::Yielded => {}
        }
    }
    uart::write_bytes(b"!! out of fuel\n");
    Ok(())
}
