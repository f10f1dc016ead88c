//! The console on a target whose one fixed heap holds a single realm, as the ESP32-C3's does
//! with Wi-Fi up: a script the user starts takes the room of the console's idle realm, and
//! while a script runs the console's entries run in that script's realm (as on Espruino)
//! instead of failing for lack of memory.
//!
//! The heap is real: a counting allocator follows this test thread's allocations, and the
//! board reports a capacity the test sets, less what they hold.

use std::alloc::{GlobalAlloc, Layout, System as Os};
use std::cell::{Cell, RefCell};

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
    /// The crash markers the runtime wrote, as text.
    static MARKERS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
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
        MARKERS.with(|m| {
            m.borrow_mut()
                .push(String::from_utf8_lossy(marker).into_owned())
        });
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
    device_with_clock(code).0
}

/// [`device`], and the clock its board reads.
fn device_with_clock(code: &str) -> (Runtime, VirtualClock) {
    boot_device(code, true)
}

/// [`device_with_clock`], with the console's realm made at boot unless `lazy_console_realm`.
fn boot_device(code: &str, lazy_console_realm: bool) -> (Runtime, VirtualClock) {
    CAPACITY.with(|c| c.set(usize::MAX));
    let clock = VirtualClock::new(None);
    let board = SimBoard::new(
        Box::new(clock.clone()),
        Box::new(MemStorage::new(64 * 1024)),
        Box::new(FixedHeap(SimSystem::new(1, [0; 6]))),
    );
    let config = RuntimeConfig {
        limits: Limits {
            script_heap: SCRIPT_HEAP,
            heap_reserve: RESERVE,
            ..Limits::SHELLY
        },
        lazy_console_realm,
        // One slice a round: a long callback spans rounds, as a busy one does on the chip.
        slices_per_poll: 1,
        ..RuntimeConfig::default()
    };
    let mut rt = Runtime::new(Box::new(board), config);
    rt.boot();
    store(&mut rt, 1, code);
    (rt, clock)
}

/// Store script `id` (the next id `Script.Create` gives) with `code`.
fn store(rt: &mut Runtime, id: u32, code: &str) {
    done(rt.rpc(
        "Script.Create",
        json!({"name": format!("s{id}")}),
        Origin::Transport,
    ))
    .unwrap();
    done(rt.rpc(
        "Script.PutCode",
        json!({"id": id, "code": code}),
        Origin::Transport,
    ))
    .unwrap();
}

/// Send `Script.Eval` of `code` in `id`: its token (the answer comes with a later round).
fn send_eval(rt: &mut Runtime, id: u32, code: &str) -> u32 {
    match rt.rpc(
        "Script.Eval",
        json!({"id": id, "code": code}),
        Origin::Transport,
    ) {
        RpcReply::Pending(token) => token,
        other => panic!("Script.Eval was not taken: {other:?}"),
    }
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

/// The crash markers written since the last call (which realm ran, in order).
fn markers() -> Vec<String> {
    MARKERS.with(|m| m.take())
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
            && t == "the console's realm was ended to make room for script:1 (what was typed \
                      there is gone)"),
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
fn a_console_realm_nobody_typed_in_is_ended_without_a_warning() {
    CAPACITY.with(|c| c.set(usize::MAX));
    let before = live();
    let (mut rt, _) = boot_device("print('script up')", false);
    assert!(rt.is_running(CONSOLE_ID), "made at boot");
    let realm = live() - before;
    leave_free(realm + SCRIPT_HEAP + RESERVE - realm / 2);
    done(rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport))
        .expect("the script starts in the console's room");
    let log = log_since(&rt, 0);
    let said: Vec<&str> = log
        .iter()
        .filter(|(s, ..)| *s == CONSOLE_ID)
        .map(|(.., t)| t.as_str())
        .collect();
    assert_eq!(
        said,
        ["the console's realm was ended to make room for script:1"],
        "nothing was typed, so nothing is gone"
    );
}

#[test]
fn a_busy_console_keeps_its_realm() {
    let mut rt = device("print('script up')");
    let before = live();
    console(&mut rt, "1");
    let realm = live() - before;
    // An entry is running: the console is busy, and keeps its realm.
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
    let token = send_eval(&mut rt, 0, "count * 2");
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

    // An entry's errors are the console's, as in its own realm; the script runs on.
    let said = console(&mut rt, "nope()");
    assert!(
        said[0].starts_with("console:1:1: ReferenceError"),
        "{said:?}"
    );
    assert!(rt.is_running(1));

    // Once there is room, the console has its own realm again.
    CAPACITY.with(|c| c.set(usize::MAX));
    assert_eq!(
        console(&mut rt, "typeof count"),
        ["the console has its own realm again", "undefined"]
    );
    assert_eq!(rt.console_realm(), Some(CONSOLE_ID));
}

/// Ctrl-C in a script's realm stops the console's entries only: neither the script's turn
/// that is running nor its callbacks waiting.
#[test]
fn ctrl_c_in_a_scripts_realm_spares_the_script() {
    let (mut rt, clock) = device_with_clock(
        "var ticks = 0; Timer.set(10, true, function () { ticks++; }); \
         Timer.set(15, false, function () { for (var i = 0; i < 100000; i++) {} print('long done'); });",
    );
    done(rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport)).unwrap();
    run(&mut rt);
    leave_free(SCRIPT_HEAP + RESERVE);
    assert_eq!(console(&mut rt, "ticks")[1], "0");

    // The script's long callback is running (more than a slice) when an entry is typed and
    // Ctrl-C pressed: the entry goes, the callback runs on.
    clock.advance(15);
    markers();
    rt.poll();
    rt.poll();
    assert_eq!(
        markers(),
        ["run:1", "idle", "run:1", "idle"],
        "the script's callback ran"
    );
    let seq = next_seq(&rt);
    rt.console_eval(b"print('entry ran')");
    assert!(rt.console_busy());
    assert!(rt.console_interrupt(), "the entry was waiting");
    run(&mut rt);
    let log: Vec<String> = log_since(&rt, seq).into_iter().map(|(.., t)| t).collect();
    assert_eq!(log, ["interrupted", "long done"]);

    // The console's entry is running, the script's timer comes due meanwhile: Ctrl-C ends the
    // entry, the timer's callback runs after it.
    markers();
    rt.console_eval(b"for (;;) {}");
    rt.poll();
    // A crash in it would be the console's doing: boot does not disable the script for that.
    assert_eq!(markers(), ["run:0", "idle"], "the console's entry ran");
    clock.advance(10);
    rt.poll();
    assert!(rt.console_interrupt());
    run(&mut rt);
    assert!(rt.is_running(1));
    let ticks: u32 = console(&mut rt, "ticks")[0].parse().unwrap();
    assert!(ticks >= 2, "the timer's callbacks ran: {ticks}");
}

/// A script that stops while the console's entries wait in its realm: they are answered, and
/// the console's next entry goes to its own realm.
#[test]
fn a_script_that_stops_answers_the_consoles_waiting_entries() {
    let (mut rt, clock) = device_with_clock(
        "Timer.set(10, false, function () { for (var i = 0; i < 100000; i++) {} });",
    );
    done(rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport)).unwrap();
    run(&mut rt);
    leave_free(SCRIPT_HEAP + RESERVE);
    console(&mut rt, "1");
    // The script's callback runs; an entry and a `Script.Eval` of id 0 wait behind it.
    clock.advance(10);
    rt.poll();
    rt.console_eval(b"print('never')");
    let token = send_eval(&mut rt, 0, "1");
    let seq = next_seq(&rt);
    done(rt.rpc("Script.Stop", json!({"id": 1}), Origin::Transport)).unwrap();
    let said: Vec<String> = log_since(&rt, seq).into_iter().map(|(.., t)| t).collect();
    assert_eq!(
        said,
        [
            "script:1 stopped: 1 console entry did not run",
            "script:1 stopped: the console's entries no longer run in its realm",
        ]
    );
    rt.poll();
    let answers = rt.take_rpc_done();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].0, token);
    assert!(answers[0].1.is_err());
    assert_eq!(rt.console_realm(), None);
    CAPACITY.with(|c| c.set(usize::MAX));
    assert_eq!(console(&mut rt, "typeof count"), ["undefined"]);
    assert_eq!(rt.console_realm(), Some(CONSOLE_ID));
}

#[test]
fn a_script_that_does_not_fit_is_told_what_runs() {
    let mut rt = device("var a = 1;");
    store(&mut rt, 2, "1");
    done(rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport)).unwrap();
    leave_free(SCRIPT_HEAP + RESERVE);
    let e = done(rt.rpc("Script.Start", json!({"id": 2}), Origin::Transport)).unwrap_err();
    assert!(
        e.starts_with("not enough memory to start script:2") && e.contains("; running: script:1"),
        "{e}"
    );
}

#[test]
fn with_no_room_and_several_scripts_the_console_says_why() {
    let mut rt = device("var a = 1;");
    store(&mut rt, 2, "var b = 2;");
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

/// A script's `Script.Eval` of id 0 where the console's entries would run in its own realm is
/// an eval of itself, which Shelly refuses.
#[test]
fn a_script_cannot_eval_itself_through_the_console() {
    let mut rt = device(
        "function ask() { Shelly.call('Script.Eval', { id: 0, code: '1' }, \
         function (r, code, message) { print(code, message); }); }",
    );
    done(rt.rpc("Script.Start", json!({"id": 1}), Origin::Transport)).unwrap();
    run(&mut rt);
    leave_free(SCRIPT_HEAP + RESERVE);
    let seq = next_seq(&rt);
    send_eval(&mut rt, 1, "ask()");
    run(&mut rt);
    let printed: Vec<String> = log_since(&rt, seq)
        .into_iter()
        .filter(|(script, ..)| *script == 1)
        .map(|(.., t)| t)
        .collect();
    assert_eq!(
        printed,
        ["-108 a script cannot Script.Eval itself (the console's entries run in its realm)"]
    );
}
