//! Integration tests: run the built `ferrite` binary on the scripts in `tests/scripts/`
//! (with that directory as the working directory, so error locations read `throw.js:3:1`).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

struct Out {
    status: i32,
    stdout: String,
    stderr: String,
}

fn scripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("scripts")
}

fn ferrite(args: &[&str], stdin: Option<&str>) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrite"))
        .args(args)
        .current_dir(scripts_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ferrite");
    {
        let mut pipe = child.stdin.take().unwrap();
        if let Some(input) = stdin {
            pipe.write_all(input.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().expect("wait for ferrite");
    Out {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

// ---- usage (independent of the engine) ----

#[test]
fn version() {
    let o = ferrite(&["--version"], None);
    assert_eq!(o.status, 0);
    assert_eq!(
        o.stdout.trim(),
        format!("ferrite {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help() {
    let o = ferrite(&["--help"], None);
    assert_eq!(o.status, 0);
    assert!(o.stdout.contains("Usage:"), "{}", o.stdout);
    assert!(o.stdout.contains("ferrite run FILE.js"), "{}", o.stdout);
}

#[test]
fn missing_file_is_exit_2() {
    let o = ferrite(&["run", "no-such-file.js"], None);
    assert_eq!(o.status, 2);
    assert!(o.stderr.contains("no-such-file.js"), "{}", o.stderr);
    assert_eq!(o.stdout, "");
}

#[test]
fn bad_flags_are_exit_2() {
    for args in [
        &["run"][..],
        &["run", "print.js", "--frobnicate"],
        &["run", "print.js", "--heap"],
        &["run", "print.js", "--heap=lots"],
        &["check"],
        &["run", "print.js", "extra.js"],
    ] {
        let o = ferrite(args, None);
        assert_eq!(o.status, 2, "{args:?}");
        assert!(o.stderr.contains("ferrite:"), "{args:?}: {}", o.stderr);
    }
}

// ---- running scripts (need the engine) ----

#[test]
fn run_prints() {
    let o = ferrite(&["run", "print.js"], None);
    assert_eq!(o.stderr, "");
    assert_eq!(o.stdout, "1 2 3\n1 2 3\nab true null undefined\n");
    assert_eq!(o.status, 0);
}

#[test]
fn run_with_heap_flags() {
    for args in [
        &["run", "print.js", "--heap", "65536"][..],
        &["run", "--heap=64k", "print.js"],
    ] {
        let o = ferrite(args, None);
        assert_eq!(
            o.stdout, "1 2 3\n1 2 3\nab true null undefined\n",
            "{args:?}"
        );
        assert_eq!(o.status, 0, "{args:?}: {}", o.stderr);
    }
}

#[test]
fn run_from_stdin() {
    let o = ferrite(&["run", "-"], Some("print(6 * 7);\n"));
    assert_eq!(o.stdout, "42\n");
    assert_eq!(o.status, 0, "{}", o.stderr);
}

#[test]
fn uncaught_throw() {
    let o = ferrite(&["run", "throw.js"], None);
    assert_eq!(o.status, 1);
    assert_eq!(first_line(&o.stderr), "throw.js:3:1: TypeError: boom");
    assert_eq!(o.stdout, "");
}

#[test]
fn output_before_error_is_flushed() {
    let o = ferrite(&["run", "partial.js"], None);
    assert_eq!(o.status, 1);
    assert_eq!(o.stdout, "before\n");
    let line = first_line(&o.stderr);
    assert!(line.starts_with("partial.js:3:"), "{line}");
    assert!(line.contains(": TypeError: "), "{line}");
}

#[test]
fn check_reports_syntax_error() {
    let o = ferrite(&["check", "syntax.js"], None);
    assert_eq!(o.status, 1);
    assert_eq!(o.stdout, "");
    let line = first_line(&o.stderr);
    assert!(line.starts_with("syntax.js:2:"), "{line}");
    assert!(line.contains(": SyntaxError: "), "{line}");
}

#[test]
fn run_reports_syntax_error_without_running() {
    let o = ferrite(&["run", "syntax.js"], None);
    assert_eq!(o.status, 1);
    assert_eq!(o.stdout, "");
    assert!(
        first_line(&o.stderr).starts_with("syntax.js:2:"),
        "{}",
        o.stderr
    );
}

#[test]
fn check_does_not_run() {
    let o = ferrite(&["check", "print.js"], None);
    assert_eq!(o.status, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "");
    assert_eq!(o.stderr, "");
}

// ---- the REPL ----

/// Parse a `[free/used] > ` prompt at the start of `s`.
fn prompt(s: &str) -> Option<(usize, usize)> {
    let rest = s.strip_prefix('[')?;
    let (inside, tail) = rest.split_once(']')?;
    tail.strip_prefix(" > ")?;
    let (free, used) = inside.split_once('/')?;
    Some((free.parse().ok()?, used.parse().ok()?))
}

#[test]
fn repl_session() {
    let input = std::fs::read_to_string(scripts_dir().join("repl.txt")).unwrap();
    let o = ferrite(&["repl", "--heap=1m"], Some(&input));
    assert_eq!(o.status, 0, "{}", o.stderr);
    let out = &o.stdout;
    let (free, used) = prompt(out).unwrap_or_else(|| panic!("no prompt at start: {out:?}"));
    // The budget is what the script may allocate beyond the built-ins.
    assert!(used > 0 && free > 0 && free <= 1 << 20, "{free}/{used}");
    // `a + 2` and `twice(21)` (entered over three lines, after `... ` prompts) both give 42.
    assert_eq!(out.matches("> 42\n").count(), 2, "{out:?}");
    assert!(out.contains("... ... "), "{out:?}");
    // The array literal continues on a second line.
    assert!(out.contains("... 3\n"), "{out:?}");
    assert!(out.contains("RangeError: r\n"), "{out:?}");
    // Globals persist across entries, and after an error.
    assert!(out.contains("> 40\n"), "{out:?}");
    assert!(!out.contains("after exit"), "{out:?}");
}

#[test]
fn repl_eof_quits() {
    let o = ferrite(&["repl"], Some("1 + 1\n"));
    assert_eq!(o.status, 0, "{}", o.stderr);
    assert!(o.stdout.contains("> 2\n"), "{:?}", o.stdout);
    // The last thing printed is a fresh prompt.
    assert!(o.stdout.ends_with(" > "), "{:?}", o.stdout);
}
