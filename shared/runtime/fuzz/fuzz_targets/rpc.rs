//! Arbitrary RPC calls: the input is lines `Method <params JSON>`; each is dispatched as from a
//! transport. Any answer is fine; a panic is not, and the device must still answer afterwards.
#![no_main]
use ferrite_runtime::rpc::{Origin, RpcReply};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let (mut rt, clock) = common::runtime();
    let text = String::from_utf8_lossy(data);
    for line in text.lines().take(32) {
        let (method, params) = line.split_once(' ').unwrap_or((line, "{}"));
        let params = serde_json::from_str(params).unwrap_or(serde_json::Value::Null);
        let _ = rt.rpc(method, params, Origin::Transport);
        common::run(&mut rt, &clock, 2);
    }
    match rt.rpc("Shelly.GetDeviceInfo", serde_json::Value::Null, Origin::Transport) {
        RpcReply::Done(Ok(info)) => assert_eq!(info["gen"], 2),
        other => panic!("the device stopped answering: {other:?}"),
    }
});
