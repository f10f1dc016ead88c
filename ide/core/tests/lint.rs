//! The linter: syntax errors at the engine's positions, clear words for unsupported features,
//! warnings for globals the device does not define, and bounded work on hostile input.

use ferrite_ide_core::lint::check;
use ferrite_ide_core::protocol::{Diagnostic, Severity};

fn one(code: &str) -> Diagnostic {
    let d = check(code);
    let shown: String = code.chars().take(60).collect();
    assert_eq!(d.len(), 1, "{shown:?}: {d:?}");
    d[0].clone()
}

#[test]
fn clean_device_code_has_no_diagnostics() {
    for code in [
        "print('hi');",
        "let n = 0; Timer.set(1000, true, function () { n++; print(n); });",
        "Shelly.call('Switch.Set', {id: 0, on: true}); MQTT.publish('a', 'b');",
        "function f(a) { return a * 2; } var g = f(2); x = 3; print(x, g, JSON.stringify({a: 1}), Math.max(1, 2));",
        "const Digital = require('embedded:io/digital'); print(typeof Digital);",
        "const A = require(\"embedded:io/analog\"), P = require('embedded:io/pwm'); print(A, P);",
        "if (typeof fetch === 'undefined') print('no fetch');",
        "let o = {window: 1}; print(o.window, o.document);",
    ] {
        assert_eq!(check(code), [], "{code}");
    }
}

#[test]
fn syntax_errors_are_located_with_the_token() {
    // (code, line, col, end_col, message part)
    let cases = [
        ("let x = ;", 1, 9, 10, "Unexpected"),
        ("print(1);\nlet let = 2;", 2, 5, 8, ""),
        ("print(1);\n  foo bar;", 2, 7, 10, ""),
    ];
    for (code, line, col, end, msg) in cases {
        let d = one(code);
        assert_eq!(d.severity, Severity::Error, "{code}");
        assert_eq!(
            (d.line, d.col, d.end_col),
            (line, col, end),
            "{code}: {d:?}"
        );
        assert!(
            d.message.to_lowercase().contains(&msg.to_lowercase()),
            "{code}: {d:?}"
        );
    }
}

#[test]
fn unsupported_features_are_named() {
    for (code, what) in [
        (
            "async function f() {}",
            "async functions are not supported on the device",
        ),
        (
            "function* g() { yield 1; }",
            "generators are not supported on the device",
        ),
        (
            "import x from 'y';",
            "modules are not supported on the device",
        ),
        ("let big = 10n;", "BigInt is not supported on the device"),
    ] {
        let d = one(code);
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(d.message, what, "{code}");
    }
}

#[test]
fn browser_and_node_globals_the_device_lacks_are_warned() {
    let code = "let r = fetch('http://x');\nwindow.alert(1);\nsetTimeout(function () {}, 10);\nconst fs = require('fs');\nnew Promise(function () {});\n";
    let d = check(code);
    let got: Vec<(u32, u32, u32, &str)> = d
        .iter()
        .map(|d| {
            (
                d.line,
                d.col,
                d.end_col,
                d.message.split(' ').next().unwrap(),
            )
        })
        .collect();
    assert!(d.iter().all(|d| d.severity == Severity::Warning), "{d:?}");
    assert!(got.contains(&(1, 9, 14, "fetch")), "{got:?}");
    assert!(got.contains(&(2, 1, 7, "window")), "{got:?}");
    // What the device has is decided by its realm: it defines some of these.
    for (name, line) in [("setTimeout", 3), ("Promise", 5), ("require", 4)] {
        let warned = got.iter().any(|g| g.3 == name);
        assert_eq!(warned, !device_defines(name), "{name} line {line}: {got:?}");
    }
    assert!(
        d.iter().any(|d| d.message.contains("HTTP.GET")),
        "a hint for fetch"
    );
}

/// Ask a device's console realm directly.
fn device_defines(name: &str) -> bool {
    let mut dev = ferrite_ide_core::simulator::SimDevice::boot(Vec::new(), 0.0);
    let seq = dev.rt.device().borrow().log.next_seq();
    dev.rt.console_eval(format!("typeof {name}").as_bytes());
    while dev.rt.poll().busy {}
    let d = dev.rt.device();
    let d = d.borrow();
    let line = d.log.since(seq).last().unwrap().text.clone();
    !line.contains("undefined")
}

#[test]
fn declared_names_are_not_warned_and_unknown_ones_are() {
    let d = check("var window = 1; function fetch() {} print(window, fetch(), nosuchthing);");
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].message.starts_with("nosuchthing is not defined"));
}

#[test]
fn hostile_input_is_bounded() {
    // Deep nesting: the parser's limit, not a stack overflow.
    let deep = "(".repeat(10_000);
    let d = check(&deep);
    assert!(d
        .iter()
        .any(|d| d.message == "nesting too deep" && d.severity == Severity::Error));
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    assert_eq!(check(&deep)[0].severity, Severity::Error);
    // Larger than the device takes.
    let big = "print(1);\n".repeat(3000);
    assert!(check(&big)
        .iter()
        .any(|d| d.message.contains("the device takes at most")));
    // Far too large to check at all.
    let huge = "a".repeat(2 << 20);
    assert!(one(&huge).message.contains("too large"));
    // Garbage of every kind.
    let mut x: u32 = 12345;
    for _ in 0..2000 {
        let len = (x % 64) as usize;
        let s: String = (0..len)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let set = b"(){}[]`'\"/\\*+-=;:,.<>?!abcxyz019 \n\t$_#@%^&|~";
                set[(x >> 16) as usize % set.len()] as char
            })
            .collect();
        for d in check(&s) {
            assert!(
                d.line >= 1 && d.col >= 1 && d.end_col > d.col,
                "{s:?}: {d:?}"
            );
        }
    }
}
