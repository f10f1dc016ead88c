//! Benchmark (not a test): simulated seconds per wall second at `Max` speed for timer-driven
//! scripts, as the IDE's simulator worker steps them (steps of 50 ms wall budget).
//!
//! `cargo run --release -p ferrite-ide-core --example sim_speed`

use std::time::Instant;

use ferrite_ide_core::project::ProjectFile;
use ferrite_ide_core::protocol::{FromWorker, Speed, ToWorker};
use ferrite_ide_core::simulator::Simulator;

const SCRIPTS: &[(&str, &str)] = &[
    (
        "1 s timer, small callback",
        "let n = 0; Timer.set(1000, true, function () { n++; if (n % 3600 === 0) print('hour', n / 3600); });",
    ),
    (
        "100 ms timer, JSON + status read",
        "let n = 0; Timer.set(100, true, function () { n++; let s = Shelly.getComponentStatus('switch', 0); JSON.stringify(s); });",
    ),
    (
        "10 ms timer",
        "let n = 0; Timer.set(10, true, function () { n++; });",
    ),
];

fn main() {
    let wall_secs = 3.0;
    println!("simulated seconds per wall second at Max speed ({wall_secs} s wall each):");
    for (label, code) in SCRIPTS {
        let start = Instant::now();
        let wall = move || start.elapsed().as_secs_f64() * 1000.0;
        let mut sim = Simulator::new();
        sim.handle(
            ToWorker::Run {
                run: 1,
                files: vec![ProjectFile {
                    name: "main.js".into(),
                    code: code.to_string(),
                }],
                start: "main.js".into(),
                http_mocks: Vec::new(),
                speed: Speed::Max,
                epoch_ms: 0.0,
            },
            wall(),
        );
        let t0 = wall();
        let v0 = sim.device().now_ms();
        while wall() - t0 < wall_secs * 1000.0 {
            sim.step(&wall, 50.0);
        }
        let dw = (wall() - t0) / 1000.0;
        let dv = (sim.device().now_ms() - v0) as f64 / 1000.0;
        // The callbacks really ran: ask the script's realm for its counter.
        sim.handle(
            ToWorker::SetSpeed {
                speed: Speed::Paused,
            },
            wall(),
        );
        let out = sim.handle(
            ToWorker::Rpc {
                seq: 1,
                method: "Script.Eval".into(),
                params: serde_json::json!({"id": 1, "code": "n"}),
            },
            wall(),
        );
        sim.handle(ToWorker::SetSpeed { speed: Speed::Max }, wall());
        let mut answers = out;
        for _ in 0..100 {
            answers.extend(sim.step(&wall, 5.0).out);
        }
        let n = answers
            .iter()
            .find_map(|m| match m {
                FromWorker::RpcResult {
                    result: Some(r), ..
                } => Some(r["result"].to_string()),
                _ => None,
            })
            .unwrap_or_else(|| "?".into());
        println!(
            "  {label:<36} {:>12.0} sim s / wall s  ({dv:.0} simulated s in {dw:.2} s, {n} callbacks)",
            dv / dw
        );
    }
}
