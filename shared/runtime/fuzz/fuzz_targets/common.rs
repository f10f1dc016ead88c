//! A runtime on the simulated board with its standard parts and an in-memory MQTT broker,
//! small budgets, virtual time.

use ferrite_runtime::sim::mqtt_loopback::LoopbackMqtt;
use ferrite_runtime::sim::{MemStorage, SimBoard, SimSystem, VirtualClock};
use ferrite_runtime::{Limits, Runtime, RuntimeConfig};

pub fn runtime() -> (Runtime, VirtualClock) {
    let clock = VirtualClock::new(Some(1.7e12));
    let board = SimBoard::new(
        Box::new(clock.clone()),
        Box::new(MemStorage::new(256 * 1024)),
        Box::new(SimSystem::new(7, [1, 2, 3, 4, 5, 6])),
    )
    .with_standard_parts()
    .with_net(Box::new(LoopbackMqtt::new()));
    let limits = Limits {
        turn_fuel: 200_000,
        ..Limits::default()
    };
    let mut rt = Runtime::new(
        Box::new(board),
        RuntimeConfig {
            limits,
            ..Default::default()
        },
    );
    rt.boot();
    (rt, clock)
}

/// Run the loop for `steps` virtual 100 ms steps.
pub fn run(rt: &mut Runtime, clock: &VirtualClock, steps: u32) {
    for _ in 0..steps {
        for _ in 0..200 {
            if !rt.poll().busy {
                break;
            }
        }
        clock.advance(100);
    }
}
