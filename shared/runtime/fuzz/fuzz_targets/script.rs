//! Arbitrary device scripts with every API installed: created, started and run for a few
//! virtual seconds under small budgets. Any outcome is fine except a panic or a hang, and the
//! device must still run another script afterwards.
#![no_main]
use ferrite_runtime::rpc::{Origin, RpcReply};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

#[path = "common.rs"]
mod common;

fn call(rt: &mut ferrite_runtime::Runtime, m: &str, p: serde_json::Value) -> serde_json::Value {
    match rt.rpc(m, p, Origin::Transport) {
        RpcReply::Done(Ok(j)) => j,
        other => panic!("{m}: {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(code) = std::str::from_utf8(data) else { return };
    let (mut rt, clock) = common::runtime();
    let id = call(&mut rt, "Script.Create", json!({"name": "fuzz"}))["id"].clone();
    if let RpcReply::Done(Ok(_)) = rt.rpc("Script.PutCode", json!({"id": id, "code": code}), Origin::Transport) {
        let _ = rt.rpc("Script.Start", json!({"id": id}), Origin::Transport);
        common::run(&mut rt, &clock, 30);
        let _ = rt.rpc("Script.Stop", json!({"id": id}), Origin::Transport);
    }
    let id2 = call(&mut rt, "Script.Create", json!({"name": "after"}))["id"].clone();
    call(&mut rt, "Script.PutCode", json!({"id": id2, "code": "print('alive')"}));
    call(&mut rt, "Script.Start", json!({"id": id2}));
    common::run(&mut rt, &clock, 1);
    let log: String = rt.device().borrow().log.since(0).map(|l| l.text.clone()).collect();
    assert!(log.contains("alive"), "the device no longer runs scripts");
});
