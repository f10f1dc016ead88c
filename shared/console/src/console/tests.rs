//! The console driven as a target drives it, against a runtime on a simulated board.

extern crate std;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use ferrite_runtime::json::Json;
use ferrite_runtime::sim::{MemStorage, SimBoard, SimSystem, VirtualClock};
use ferrite_runtime::{Runtime, RuntimeConfig};

use super::*;

fn runtime() -> Runtime {
    let board = SimBoard::new(
        Box::new(VirtualClock::new(None)),
        Box::new(MemStorage::new(64 * 1024)),
        Box::new(SimSystem::new(7, [0xAA, 0xBB, 0xCC, 0x00, 0x11, 0x22])),
    );
    let mut rt = Runtime::new(Box::new(board), RuntimeConfig::default());
    rt.boot();
    rt
}

/// A booted console on `line` with its banner and first prompt taken.
fn start(line: Line) -> (Console, Runtime, String) {
    let mut rt = runtime();
    let mut c = Console::new(line);
    c.on_boot(&mut rt);
    let out = settle(&mut c, &mut rt);
    (c, rt, out)
}

/// Rounds as a target runs them, until nothing happens; returns the output.
fn settle(c: &mut Console, rt: &mut Runtime) -> String {
    let mut out = Vec::new();
    for _ in 0..200 {
        let p = rt.poll();
        let mut active = p.busy;
        active |= c.poll(rt);
        let done = rt.take_rpc_done();
        let notes = rt.take_notifications();
        active |= !done.is_empty() || !notes.is_empty();
        c.deliver(rt, &done, &notes);
        out.extend_from_slice(&c.take_output());
        if !active && !rt.console_busy() {
            return String::from_utf8(out).expect("console output is UTF-8");
        }
    }
    panic!("the console did not settle");
}

fn send(c: &mut Console, rt: &mut Runtime, bytes: &[u8]) -> String {
    assert_eq!(c.feed(bytes), bytes.len());
    settle(c, rt)
}

/// The JSON of the frames in `out` (SOH … `\n`).
fn frames(out: &str) -> Vec<Json> {
    out.split('\x01')
        .skip(1)
        .map(|f| serde_json::from_str(f.split('\n').next().unwrap()).expect("a JSON frame"))
        .collect()
}

#[test]
fn banner_then_prompt_with_the_heap() {
    let (c, rt, out) = start(Line::Lines {
        terminal_echoes: false,
    });
    let id = rt.device().borrow().info.id.clone();
    let first = out.lines().next().unwrap();
    let head = alloc::format!("Ferrite {} — {id} — heap free ", env!("CARGO_PKG_VERSION"));
    assert!(first.starts_with(&head), "{out:?}");
    assert!(out.ends_with("] > "), "{out:?}");
    assert_eq!(
        out,
        alloc::format!("{}\n{}", c.banner_text(&rt), c.prompt_text(&rt))
    );
}

#[test]
fn lines_run_and_continue_while_brackets_are_open() {
    let (mut c, mut rt, _) = start(Line::Lines {
        terminal_echoes: false,
    });
    let out = send(&mut c, &mut rt, b"1+2\n");
    assert!(out.starts_with("\n3\n["), "{out:?}");
    let out = send(&mut c, &mut rt, b"function twice(x) {\n");
    assert!(out.ends_with("... "), "{out:?}");
    let out = send(&mut c, &mut rt, b"  return x * 2;\n}\ntwice(21)\n");
    assert!(out.contains("\n42\n"), "{out:?}");
    assert!(out.ends_with("] > "), "{out:?}");
}

#[test]
fn a_raw_line_is_edited_and_echoed() {
    let (mut c, mut rt, _) = start(Line::Raw);
    // Echo, Backspace, Enter: the result on its own line, `\r\n` line ends, a new prompt.
    let out = send(&mut c, &mut rt, b"1+x\x7f2\r");
    assert!(out.starts_with("1+x\x08 \x082\r\n3\r\n["), "{out:?}");
    assert!(out.ends_with("] > "), "{out:?}");
    // Ctrl-C on a shown prompt: `^C`, the line is dropped.
    let out = send(&mut c, &mut rt, b"abc\x03");
    assert!(out.starts_with("abc^C\r\n["), "{out:?}");
    // Up brings the last line back (a redraw of the prompt with it).
    let out = send(&mut c, &mut rt, b"\x1b[A");
    assert!(
        out.starts_with("\r\x1b[K[") && out.ends_with("] > 1+2"),
        "{out:?}"
    );
}

#[test]
fn frames_are_answered_and_set_the_mode() {
    let (mut c, mut rt, _) = start(Line::Raw);
    let id = rt.device().borrow().info.id.clone();
    let out = send(
        &mut c,
        &mut rt,
        b"\x01{\"id\":1,\"src\":\"t\",\"method\":\"Console.SetMode\",\"params\":{\"mode\":\"rpc\"}}\n",
    );
    let f = frames(&out);
    assert_eq!(
        f,
        alloc::vec![serde_json::json!({"id": 1, "src": id, "dst": "t",
                                       "result": {"mode": "rpc", "prev": "human"}})]
    );
    assert_eq!(c.mode(), Mode::Rpc);
    assert!(!out.ends_with("> "), "no prompt in rpc mode: {out:?}");
    // A runtime method, a parse error (id null) and typed text, whose output is a NotifyLog.
    let out = send(
        &mut c,
        &mut rt,
        b"\x01{\"id\":2,\"method\":\"Shelly.GetDeviceInfo\"}\n\x01{nope\nprint('hi')\r",
    );
    let f = frames(&out);
    assert_eq!(f[0]["id"], 2);
    assert_eq!(f[0]["result"]["id"], id.as_str());
    assert_eq!(f[1]["id"], Json::Null);
    assert_eq!(f[1]["error"]["code"], -32700);
    let logs: Vec<&Json> = f.iter().filter(|j| j["method"] == "NotifyLog").collect();
    assert!(logs.iter().any(|j| j["params"]["text"] == "hi"), "{out:?}");
    // Back to human: the prompt returns.
    let out = send(
        &mut c,
        &mut rt,
        b"\x01{\"id\":3,\"method\":\"Console.SetMode\",\"params\":{\"mode\":\"human\"}}\n",
    );
    assert!(out.ends_with("] > "), "{out:?}");
    assert_eq!(frames(&out)[0]["result"]["prev"], "rpc");
}

#[test]
fn a_reboot_resets_the_line_and_shows_the_banner_again() {
    let (mut c, mut rt, _) = start(Line::Raw);
    send(
        &mut c,
        &mut rt,
        b"\x01{\"id\":1,\"method\":\"Console.SetMode\",\"params\":{\"mode\":\"rpc\"}}\n",
    );
    let mut rt = runtime();
    c.on_boot(&mut rt);
    assert_eq!(c.mode(), Mode::Human);
    let out = settle(&mut c, &mut rt);
    assert!(out.starts_with("Ferrite "), "{out:?}");
}

#[test]
fn end_of_input_runs_the_unfinished_entry_then_exits() {
    let (mut c, mut rt, _) = start(Line::Lines {
        terminal_echoes: false,
    });
    c.feed(b"print('last')\nf(");
    c.end_input();
    assert_eq!(c.input_room(), 0);
    assert_eq!(c.feed(b"more"), 0, "nothing is taken after the end");
    let out = settle(&mut c, &mut rt);
    assert!(out.contains("last\n"), "{out:?}");
    assert!(
        out.contains("SyntaxError"),
        "the unfinished entry ran: {out:?}"
    );
    assert!(c.wants_exit());
}

#[test]
fn a_cooked_terminal_interrupt_starts_a_new_line() {
    let (mut c, mut rt, _) = start(Line::Lines {
        terminal_echoes: true,
    });
    c.feed(b"function f() {\n");
    let out = settle(&mut c, &mut rt);
    assert!(out.ends_with("... "), "{out:?}");
    // The terminal echoed `^C` after the prompt: a new line, and the entry is gone.
    c.terminal_interrupt();
    let out = settle(&mut c, &mut rt);
    assert!(out.starts_with("\n["), "{out:?}");
    assert!(out.ends_with("] > "), "{out:?}");
}

#[test]
fn input_and_output_are_bounded() {
    let (mut c, mut rt, _) = start(Line::Lines {
        terminal_echoes: false,
    });
    // Input: one round takes INPUT_PER_ROUND bytes, the rest waits for the next round.
    let flood = alloc::vec![b' '; INPUT_PER_ROUND + 10];
    assert_eq!(c.feed(&flood), INPUT_PER_ROUND);
    assert_eq!(c.input_room(), 0);
    c.poll(&mut rt);
    assert_eq!(c.input_room(), INPUT_PER_ROUND);
    // Output nobody writes: bad frames keep being answered, the waiting output stays bounded.
    let bad = b"\x01{nope\n".repeat(INPUT_PER_ROUND / 8);
    for _ in 0..10 {
        assert_eq!(c.feed(&bad), bad.len());
        c.poll(&mut rt);
        assert!(c.output().len() <= MAX_OUTPUT);
    }
    assert!(c.output().len() > MAX_OUTPUT - 200, "{}", c.output().len());
    // Writing part of it frees room, oldest bytes first.
    let before = c.output().to_vec();
    c.consume(10);
    assert_eq!(c.output(), &before[10..]);
    c.consume(usize::MAX);
    assert!(c.output().is_empty());
}

#[test]
fn a_target_can_set_a_smaller_output_limit() {
    let mut rt = runtime();
    let mut c = Console::new(Line::Raw).with_output_limit(4096);
    c.on_boot(&mut rt);
    let bad = b"\x01{nope\n".repeat(1000);
    for _ in 0..4 {
        c.feed(&bad);
        c.poll(&mut rt);
        assert!(c.output().len() <= 4096, "{}", c.output().len());
    }
    assert!(c.output().len() > 4096 - 200, "{}", c.output().len());
}

#[test]
fn oversized_lines_and_entries_are_reported_not_kept() {
    let (mut c, mut rt, _) = start(Line::Lines {
        terminal_echoes: false,
    });
    let mut long = alloc::vec![b'x'; ferrite_protocols::frame::MAX_LINE + 1];
    long.push(b'\n');
    let out = send(&mut c, &mut rt, &long);
    assert!(out.contains("line too long: ignored\n"), "{out:?}");
    // An entry that never closes its bracket grows to MAX_ENTRY, then is dropped.
    assert_eq!(c.feed(b"f(\n"), 3);
    let line = [alloc::vec![b'1'; 8 * 1024], alloc::vec![b'\n']].concat();
    let mut out = String::new();
    for _ in 0..(MAX_ENTRY / line.len() + 1) {
        out += &send(&mut c, &mut rt, &line);
    }
    assert!(
        out.contains("entry too long (more than 65536 bytes): ignored\n"),
        "{out:?}"
    );
}

#[test]
fn poll_writing_hands_each_answer_over_as_it_is_ready() {
    let (mut c, mut rt, _) = start(Line::Raw);
    let reqs = b"\x01{\"id\":1,\"method\":\"Console.GetMode\"}\n\x01{\"id\":2,\"method\":\"Console.GetMode\"}\n";
    c.feed(reqs);
    let mut writes: Vec<Vec<u8>> = Vec::new();
    assert!(c.poll_writing(&mut rt, &mut |b| writes.push(b.to_vec())));
    assert!(c.output().is_empty(), "everything was handed over");
    let ids: Vec<Vec<Json>> = writes
        .iter()
        .map(|w| {
            frames(core::str::from_utf8(w).unwrap())
                .iter()
                .map(|f| f["id"].clone())
                .collect()
        })
        .collect();
    assert_eq!(
        ids,
        alloc::vec![alloc::vec![Json::from(1)], alloc::vec![Json::from(2)]],
        "one write per answer, in order"
    );
}
