//! The console on a target whose one fixed heap holds a single realm, as the ESP32-C3's does
//! with Wi-Fi up: a script the user starts takes the room of the console's idle realm, and
//! while a script runs the console's entries run in that script's realm (as on Espruino)
//! instead of failing for lack of memory.
//!
//! The heap is real: a counting allocator follows this test thread's allocations, and the
//! board reports a capacity the test sets, less what they hold.

use std::alloc::{GlobalAlloc, Layout, System as Os};
use std::cell::Cell;

use ferrite_runtime::board::System;
use ferrite_runtime::json::json;
use ferrite_runtime::log::Level;
use ferrite_runtime::rpc::{Origin, RpcReply};
use ferrite_runtime::sim::{MemStorage, SimBoard, SimSystem, VirtualClock};
use ferrite_runtime::{Limits, Runtime, RuntimeConfig, CONSOLE_ID};

thread_local! {
    /// Bytes this thread's allocations hold.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    /// The heap's size as the board reports it.
    static CAPACITY: Cell<usize> = const { Cell::new(usize::MAX) };
}

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { Os.alloc(layout) };
        if !p.is_null() {
            grew(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { Os.dealloc(ptr, layout) };
        grew(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { Os.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            grew(new_size as isize - layout.size() as isize);
        }
        p
    }
}

fn grew(by: isize) {
    // Not after the thread's locals are gone (its last deallocations).
    let _ = LIVE.try_with(|live| live.set(live.get() + by));
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> usize {
    LIVE.with(|l| l.get().max(0) as usize)
}

fn free() -> usize {
    CAPACITY.with(|c| c.get()).saturating_sub(live())
}

/// Leave `bytes` free from now on.
fn leave_free(bytes: usize) {
    CAPACITY.with(|c| c.set(live() + bytes));
}

/// The simulator's system on a chip's fixed heap.
struct FixedHeap(SimSystem);

impl System for FixedHeap {
    fn random(&mut self, buf: &mut [u8]) {
        self.0.random(buf)
    }
    fn crash_marker(&mut self) -> Option<Vec<u8>> {
        self.0.crash_marker()
    }
    fn set_crash_marker(&mut self, marker: &[u8]) {
        self.0.set_crash_marker(marker)
    }
    fn mac(&self) -> [u8; 6] {
        self.0.mac()
    }
    fn heap_free(&self) -> Option<usize> {
        Some(free())
    }
    fn heap_free_probe(&self) -> Option<fn() -> usize> {
        Some(free)
    }
}

/// The chip's limits (`firmware/esp32c3/src/main.rs`): 24 KiB per script, 24 KiB kept.
const SCRIPT_HEAP: usize = 24 * 1024;
const RESERVE: usize = 24 * 1024;

/// A booted runtime on a roomy heap, with script 1 stored (`code`), not started.
fn device(code: &str) -> Runtime {
    CAPACITY.with(|c| c.set(usize::MAX));
    let board = SimBoard::new(
        Box::new(VirtualClock::new(None)),
        Box::new(MemStorage::new(64 * 1024)),
        Box::new(FixedHeap(SimSystem::new(1, [0; 6]))),
    );
    let config = RuntimeConfig {
        limits: Limits {
            script_heap: SCRIPT_HEAP,
            heap_reserve: RESERVE,
            ..Limits::SHELLY
        },
        lazy_console_realm: true,
        ..RuntimeConfig::default()
    };
    let mut rt = Runtime::new(Box::new(board), config);
    rt.boot();
    done(rt.rpc("Script.Create", json!({"name": "s"}), Origin::Transport)).unwrap();
    done(rt.rpc(
        "Script.PutCode",
        json!({"id": 1, "code": code}),
        Origin::Transport,
    ))
    .unwrap();
    rt
}

fn done(r: RpcReply) -> Result<(), String> {
    match r {
        RpcReply::Done(Ok(_)) => Ok(()),
        RpcReply::Done(Err(e)) => Err(e.to_string()),
        RpcReply::Pending(_) => panic!("pending"),
    }
}

fn run(rt: &mut Runtime) {
    for _ in 0..200 {
        if !rt.poll().busy {
            break;
        }
    }
}

/// Log lines since `seq` as `(script, level, text)`.
fn log_since(rt: &Runtime, seq: u64) -> Vec<(u32, Level, String)> {
    let dev = rt.device();
    let d = dev.borrow();
    d.log
        .since(seq)
        .map(|l| (l.script, l.level, l.text.clone()))
        .collect()
}

fn next_seq(rt: &Runtime) -> u64 {
    rt.device().borrow().log.next_seq()
}

/// An entry typed at the console, and what the console's log lines said after it ran.
fn console(rt: &mut Runtime, entry: &str) -> Vec<String> {
    let seq = next_seq(rt);
    rt.console_eval(entry.as_bytes());
    run(rt);
    log_since(rt, seq)
        .into_iter()
        .filter(|(script, ..)| *script == CONSOLE_ID)
        .map(|(.., text)| text)
        .collect()
}

#[test]
fn a_script_takes_the_room_of_the_consoles_idle_realm() {
    let mut rt = device("print('script up')");
    let before = live();
    assert_eq!(console(&mut rt, "var typed = 6 * 7; typed"), ["42"]);
    let realm = live() - before;
    // Room for one realm, its budget and the reserve, but not beside the console's.
    leave_free(realm + SCRIPT_HEAP + RESERVE - realm / 2);

    done(rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport))
        .expect("the script starts in the console's room");
    assert!(!rt.is_running(CONSOLE_ID));
    run(&mut rt);
    let log = log_since(&rt, 0);
    assert!(
        log.iter().any(|(s, _, t)| *s == CONSOLE_ID
            && t.starts_with("the console's realm was ended to make room for script:1")),
        "{log:?}"
    );
    assert!(
        log.iter().any(|(s, _, t)| *s == 1 && t == "script up"),
        "{log:?}"
    );
    // What was typed went with the console's realm.
    let said = console(&mut rt, "typeof typed");
    assert_eq!(
        said.last().map(String::as_str),
        Some("undefined"),
        "{said:?}"
    );
}

#[test]
fn a_busy_console_keeps_its_realm() {
    let mut rt = device("print('script up')");
    let before = live();
    console(&mut rt, "1");
    let realm = live() - before;
    // The console's entry waits on a `Script.Eval` of its own: it is busy, and keeps its realm.
    rt.console_eval(b"for (;;) {}");
    rt.poll();
    leave_free(realm + SCRIPT_HEAP + RESERVE - realm / 2);
    let e = done(rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport)).unwrap_err();
    assert!(e.contains("not enough memory to start script:1"), "{e}");
    assert!(rt.is_running(CONSOLE_ID));
}

#[test]
fn while_a_script_runs_the_console_runs_in_its_realm() {
    let mut rt = device("var count = 41;");
    done(rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport)).unwrap();
    run(&mut rt);
    // No room for a second realm.
    leave_free(SCRIPT_HEAP + RESERVE);

    let said = console(&mut rt, "count + 1");
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(
        said[0].starts_with("no room for the console's own realm while script:1 runs"),
        "{said:?}"
    );
    assert_eq!(
        said[1], "42",
        "the script's globals, the result shown as the console's"
    );
    assert_eq!(rt.console_realm(), Some(1));
    // Said once.
    assert_eq!(console(&mut rt, "count"), ["41"]);
    // `Script.Eval` of id 0 is the console's too.
    let RpcReply::Pending(token) = rt.rpc(
        "Script.Eval",
        json!({"id": 0, "code": "count * 2"}),
        Origin::Transport,
    ) else {
        panic!("Script.Eval id 0 was not taken");
    };
    run(&mut rt);
    let answers = rt.take_rpc_done();
    let (t, answer) = &answers[0];
    assert_eq!(*t, token);
    assert_eq!(answer.as_ref().unwrap()["result"], json!("82"));

    // Ctrl-C stops the entry, not the script.
    rt.console_eval(b"for (;;) {}");
    rt.poll();
    assert!(rt.console_busy());
    let seq = next_seq(&rt);
    assert!(rt.console_interrupt(), "the entry was running");
    assert_eq!(
        log_since(&rt, seq),
        [(CONSOLE_ID, Level::Error, "interrupted".to_string())]
    );
    assert!(!rt.console_busy());
    assert!(rt.is_running(1));
    assert_eq!(console(&mut rt, "count"), ["41"]);

    // Once the script stops and there is room, the console has its own realm again.
    done(rt.rpc("Script.Stop", json!({"id": 1}), Origin::Transport)).unwrap();
    CAPACITY.with(|c| c.set(usize::MAX));
    assert_eq!(
        console(&mut rt, "typeof count"),
        ["the console has its own realm again", "undefined"]
    );
    assert_eq!(rt.console_realm(), Some(CONSOLE_ID));
}

#[test]
fn with_no_room_and_several_scripts_the_console_says_why() {
    let mut rt = device("var a = 1;");
    done(rt.rpc("Script.Create", json!({"name": "t"}), Origin::Transport)).unwrap();
    done(rt.rpc(
        "Script.PutCode",
        json!({"id": 2, "code": "var b = 2;"}),
        Origin::Transport,
    ))
    .unwrap();
    done(rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport)).unwrap();
    done(rt.rpc("Script.Start", json!({"id": 2}), Origin::Transport)).unwrap();
    run(&mut rt);
    leave_free(SCRIPT_HEAP);
    let said = console(&mut rt, "1 + 1");
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].starts_with("not enough memory for the console's realm")
            && said[0]
                .ends_with("(several scripts run: evaluate in one with Script.Eval and its id)"),
        "{said:?}"
    );
    assert_eq!(rt.console_realm(), None);
}
