//! Parser unit tests.
extern crate std;

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use std::println;

use super::*;
use crate::ast::*;

fn parse(src: &str) -> Result<Program, SyntaxError> {
    parse_program(src.as_bytes(), &ParseOptions::default())
}

std::thread_local! {
    static MIN_SP: core::cell::Cell<usize> = const { core::cell::Cell::new(usize::MAX) };
}

pub(super) fn record_stack() {
    let marker = 0u8;
    let sp = &marker as *const u8 as usize;
    MIN_SP.with(|m| m.set(m.get().min(sp)));
}

#[test]
#[ignore]
fn stack_usage_report() {
    const N: usize = 100_000;
    let cases = [
        "(".repeat(N),
        "[".repeat(N),
        "{".repeat(N),
        std::format!("x = {}", "{a:".repeat(N)),
        "a=".repeat(N),
        std::format!("{}x", "-".repeat(N)),
        "if(a) ".repeat(N),
        "x => ".repeat(N),
        "(x) => ".repeat(N),
        "a ? ".repeat(N),
        "new ".repeat(N),
        "function f(){".repeat(N),
        "class A extends ".repeat(N),
        "`${".repeat(N),
        "a[".repeat(N),
        "f(".repeat(N),
        std::format!("var {}", "[".repeat(N)),
        std::format!("x{}", "**x".repeat(N)),
        std::format!("x{}", "+x".repeat(N)),
        std::format!("x{}", ".x".repeat(N)),
        std::format!("{}x{}", "(x+x+x+".repeat(N / 4), ")".repeat(N / 4)),
        "({a(){".repeat(N),
        "x = {get a(){".repeat(N),
    ];
    for case in cases {
        let handle = std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(move || {
                let marker = 0u8;
                let base = &marker as *const u8 as usize;
                MIN_SP.with(|m| m.set(usize::MAX));
                let r = parse(&case);
                let used = base - MIN_SP.with(|m| m.get());
                (
                    std::format!("{:?}", r.err().map(|e| e.message)),
                    used,
                    String::from(&case[..12]),
                )
            });
        let (r, used, head) = handle.unwrap().join().unwrap();
        println!("{head:14} {r:30} stack used: {} KB", used / 1024);
    }
}

fn parse_strict(src: &str) -> Result<Program, SyntaxError> {
    parse_program(
        src.as_bytes(),
        &ParseOptions {
            strict: true,
            ..ParseOptions::default()
        },
    )
}

#[track_caller]
fn ok(src: &str) -> Program {
    match parse(src) {
        Ok(p) => p,
        Err(e) => panic!("{src:?} should parse: {e}"),
    }
}

#[track_caller]
fn err(src: &str) -> SyntaxError {
    match parse(src) {
        Ok(p) => panic!("{src:?} should fail, got {p:?}"),
        Err(e) => e,
    }
}

/// The single expression of an expression statement.
#[track_caller]
fn expr(src: &str) -> Expr {
    let mut program = ok(src);
    match program.body.pop().map(|s| s.kind) {
        Some(StmtKind::Expr(e)) => e,
        other => panic!("{src:?}: not an expression statement: {other:?}"),
    }
}

fn str_value(src: &str) -> Vec<u8> {
    match expr(src).kind {
        ExprKind::Str(s) => s,
        other => panic!("{src:?}: not a string: {other:?}"),
    }
}

#[test]
fn declarations() {
    let p = ok("var a = 1, b; let [c, d] = e; const {f, g: h = 2, ...i} = j;");
    assert!(matches!(&p.body[0].kind, StmtKind::Var(VarKind::Var, d) if d.len() == 2));
    assert!(matches!(&p.body[1].kind,
        StmtKind::Var(VarKind::Let, d) if matches!(d[0].target, Pattern::Array { .. })));
    assert!(matches!(&p.body[2].kind, StmtKind::Var(VarKind::Const, d)
        if matches!(&d[0].target, Pattern::Object { props, rest: Some(_) } if props.len() == 2)));
    // `let` as an identifier in sloppy mode.
    assert!(matches!(expr("let = 1").kind, ExprKind::Assign(..)));
    assert!(matches!(expr("let.x").kind, ExprKind::Member { .. }));
    ok("var let = 1; let\nx = 2;");
    let p = ok("if (a) let // ASI\nx");
    assert_eq!(p.body.len(), 2);
    assert!(matches!(
        &ok("let\nx").body[0].kind,
        StmtKind::Var(VarKind::Let, _)
    ));
    ok("for (let in o);");
    ok("for (let = 0; let < 1; let++);");
}

#[test]
fn functions() {
    let src = "function f(a, b) { 'use strict'; return a + b }";
    let p = ok(src);
    let StmtKind::Function(f) = &p.body[0].kind else {
        panic!()
    };
    assert_eq!(f.name.as_deref(), Some("f"));
    assert!(f.strict && f.simple_params);
    assert_eq!(f.kind, FunctionKind::Normal);
    assert_eq!((f.source_start, f.source_end), (0, src.len() as u32));
    assert_eq!(f.params.len(), 2);
    let p = ok("'use strict'; (function (a = 1, [b], ...c) {})");
    assert!(p.strict);
    let StmtKind::Expr(Expr {
        kind: ExprKind::Function(f),
        ..
    }) = &p.body[1].kind
    else {
        panic!()
    };
    assert!(f.strict && !f.simple_params && f.rest.is_some());
    assert!(matches!(f.params[0], Pattern::Default(..)));
    assert!(!ok("'use\\x20strict'; 1").strict);
    assert!(!ok("1; 'use strict'").strict);
    assert!(ok("'a'; 'use strict'").strict);
}

#[test]
fn arrows() {
    let ExprKind::Function(f) = expr("x => x * 2").kind else {
        panic!()
    };
    assert_eq!(f.kind, FunctionKind::Arrow);
    assert!(matches!(
        &f.body[..],
        [Stmt {
            kind: StmtKind::Return(Some(_)),
            ..
        }]
    ));
    let ExprKind::Function(f) = expr("(a, {b}, [c] = d, ...e) => { return a }").kind else {
        panic!()
    };
    assert_eq!(f.params.len(), 3);
    assert!(f.rest.is_some() && !f.simple_params);
    assert!(matches!(expr("() => {}").kind, ExprKind::Function(_)));
    assert!(matches!(expr("(a, b,) => 1").kind, ExprKind::Function(_)));
    assert!(matches!(
        expr("a = (b) => c => d").kind,
        ExprKind::Assign(..)
    ));
    assert!(matches!(
        expr("f(a => 1, (b) => 2)").kind,
        ExprKind::Call { .. }
    ));
    assert!(matches!(
        expr("x ? (y) => 1 : (z) => 2").kind,
        ExprKind::Cond(..)
    ));
    assert!(matches!(expr("(a, b)").kind, ExprKind::Seq(_)));
    ok("() => {}\n(1)");
    for src in [
        "(a, b)\n=> 1",
        "(...a, b) => 1",
        "(...a,) => 1",
        "((a)) => 1",
        "(a.b) => 1",
        "(a, a) => 1",
        "() => {} + 1",
        "() => {}.x",
        "!() => 1",
        "a + b => 1",
        "()",
        "(a,)",
        "(...a)",
        "'use strict'; (eval) => 1",
        "(a = 1) => { 'use strict' }",
        "x => { let x; }",
        "async () => 1",
        "async function f() {}",
        "function* g() {}",
        "({*g() {}})",
        "({async f() {}})",
    ] {
        err(src);
    }
    assert_eq!(
        err("function* g() {}").message,
        "generators are not supported"
    );
    assert_eq!(
        err("async function f() {}").message,
        "async functions are not supported"
    );
    ok("var async = 1, yield = 2, of = 3, get = 4, set = 5, await = 6; async(yield);");
}

#[test]
fn classes() {
    let p = ok("class A extends B {
        constructor(x) { super(x); }
        m() { return super.m(); }
        static s() {}
        get g() { return 1 }
        set g(v) {}
        ['c' + 1]() {}
        static 'q'() {}
        x = 1;
        static y = new.target;
        z;
        static() {}
        get() {}
    }");
    let StmtKind::Class(c) = &p.body[0].kind else {
        panic!()
    };
    assert_eq!(c.name.as_deref(), Some("A"));
    assert!(c.extends.is_some());
    let ctor = c.constructor.as_ref().unwrap();
    assert_eq!(ctor.kind, FunctionKind::DerivedConstructor);
    assert!(ctor.strict);
    assert_eq!(c.members.len(), 8);
    assert!(c
        .members
        .iter()
        .all(|m| m.value.kind == FunctionKind::Method));
    assert!(matches!(
        c.members[1],
        ClassMember {
            is_static: true,
            kind: PropKind::Init,
            ..
        }
    ));
    assert!(matches!(
        c.members[2],
        ClassMember {
            kind: PropKind::Get,
            ..
        }
    ));
    assert!(matches!(
        c.members[3],
        ClassMember {
            kind: PropKind::Set,
            ..
        }
    ));
    assert!(matches!(c.members[4].key, PropKey::Computed(_)));
    assert!(matches!(&c.members[5].key, PropKey::Static(k) if k == b"q"));
    assert_eq!(c.fields.len(), 3);
    assert!(c.fields[1].is_static && c.fields[2].value.is_none());
    let ExprKind::Class(c) = expr("(class { constructor() {} })").kind else {
        panic!()
    };
    assert_eq!(
        c.constructor.as_ref().unwrap().kind,
        FunctionKind::ClassConstructor
    );
    for src in [
        "class A { constructor() {} constructor() {} }",
        "class A { constructor() { super(); } }",
        "class A { m() { super(); } }",
        "class A { get constructor() {} }",
        "class A { static prototype() {} }",
        "class A { static prototype = 1 }",
        "class A { constructor = 1 }",
        "class A { get g(a) {} }",
        "class A { set s() {} }",
        "class A { set s(a, b) {} }",
        "class A { #x = 1 }",
        "class A { static { } }",
        "class A { m() { with (a) {} } }",
        "class let {}",
        "class A { x = arguments }",
        "class A {} class A {}",
        "class {}",
    ] {
        err(src);
    }
    ok("class A { y = function () { arguments } }");
    err("class A { x = () => arguments }");
}

#[test]
fn templates() {
    let ExprKind::Template { quasis, exprs } = expr("`a${1}b${2}\\x41`").kind else {
        panic!()
    };
    assert_eq!(quasis, [b"a".to_vec(), b"b".to_vec(), b"A".to_vec()]);
    assert_eq!(exprs.len(), 2);
    let ExprKind::TaggedTemplate { cooked, raw, .. } = expr("tag`\\unicode and \\u{55}\r\n`").kind
    else {
        panic!()
    };
    assert_eq!(cooked, [None]);
    assert_eq!(raw, [b"\\unicode and \\u{55}\n".to_vec()]);
    let ExprKind::Template { quasis, .. } = expr("`a\r\nb`").kind else {
        panic!()
    };
    assert_eq!(quasis, [b"a\nb".to_vec()]);
    assert!(matches!(
        expr("`${`${a}`}`").kind,
        ExprKind::Template { .. }
    ));
    err("`\\u{g}`");
    err("`\\01`");
    err("`${}`");
    err("`abc");
    err("a?.b`c`");
    err("a?.b.c`d`");
}

#[test]
fn destructuring_assignment() {
    let ExprKind::Assign(AssignOp::Assign, target, _) = expr("[a, b] = [b, a]").kind else {
        panic!()
    };
    assert!(matches!(*target, Pattern::Array { ref elems, rest: None } if elems.len() == 2));
    let ExprKind::Assign(_, target, _) = expr("({a, b: {c}, d = 1, ...e} = o)").kind else {
        panic!()
    };
    let Pattern::Object {
        props,
        rest: Some(_),
    } = *target
    else {
        panic!()
    };
    assert!(matches!(props[1].value, Pattern::Object { .. }));
    assert!(matches!(props[2].value, Pattern::Default(..)));
    let ExprKind::Assign(_, target, _) = expr("[x.y, [z] = 1, , ...w] = v").kind else {
        panic!()
    };
    let Pattern::Array {
        elems,
        rest: Some(_),
    } = *target
    else {
        panic!()
    };
    assert!(matches!(elems[0], Some(Pattern::Member(_))));
    assert!(matches!(elems[1], Some(Pattern::Default(..))));
    assert!(elems[2].is_none());
    ok("[(a), (b.c)] = d; ({a: (b)} = c); [{__proto__: a, __proto__: b}] = c;");
    ok("for ([a, b] of c); for ({a = 1} of b); for ({x} in y);");
    for src in [
        "({a = 1})",
        "f({a = 1})",
        "[{a = 1}]",
        "({a = 1}).b = 1",
        "[...a, b] = c",
        "[...a,] = c",
        "({...a,} = c)",
        "({...{a}} = c)",
        "({a}) = 1",
        "([a]) = 1",
        "[([a])] = 1",
        "[(a = 1)] = 2",
        "({a() {}} = 1)",
        "({get a() {}} = 1)",
        "[...a = 1] = b",
        "({__proto__: 1, __proto__: 2})",
        "1 = 2",
        "a + b = c",
        "f() = 1",
        "++f()",
        "a++ = 1",
        "[a] += 1",
        "a?.b = 1",
        "for (f() of x);",
        "for ([a] = 1 of x);",
    ] {
        err(src);
    }
}

#[test]
fn operators() {
    let ExprKind::Binary(BinaryOp::Exp, _, right) = expr("2 ** 3 ** 2").kind else {
        panic!()
    };
    assert!(matches!(right.kind, ExprKind::Binary(BinaryOp::Exp, ..)));
    let ExprKind::Binary(BinaryOp::Sub, left, _) = expr("a - b - c").kind else {
        panic!()
    };
    assert!(matches!(left.kind, ExprKind::Binary(BinaryOp::Sub, ..)));
    let ExprKind::Binary(BinaryOp::Add, _, right) = expr("a + b * c").kind else {
        panic!()
    };
    assert!(matches!(right.kind, ExprKind::Binary(BinaryOp::Mul, ..)));
    assert!(matches!(
        expr("(-x) ** 2").kind,
        ExprKind::Binary(BinaryOp::Exp, ..)
    ));
    assert!(matches!(
        expr("a ?? b").kind,
        ExprKind::Logical(LogicalOp::Nullish, ..)
    ));
    assert!(matches!(
        expr("(a || b) ?? c").kind,
        ExprKind::Logical(LogicalOp::Nullish, ..)
    ));
    assert!(matches!(
        expr("a ?? (b && c)").kind,
        ExprKind::Logical(LogicalOp::Nullish, ..)
    ));
    assert!(matches!(
        expr("a ||= b").kind,
        ExprKind::Assign(AssignOp::Logical(LogicalOp::Or), ..)
    ));
    assert!(matches!(
        expr("a ??= b").kind,
        ExprKind::Assign(AssignOp::Logical(LogicalOp::Nullish), ..)
    ));
    assert!(matches!(
        expr("a >>>= 1").kind,
        ExprKind::Assign(AssignOp::Op(BinaryOp::UShr), ..)
    ));
    assert!(matches!(
        expr("a in b").kind,
        ExprKind::Binary(BinaryOp::In, ..)
    ));
    assert!(matches!(
        expr("typeof a").kind,
        ExprKind::Unary(UnaryOp::Typeof, _)
    ));
    assert!(matches!(
        expr("x++").kind,
        ExprKind::Update {
            prefix: false,
            delta: 1,
            ..
        }
    ));
    assert!(matches!(
        expr("--x").kind,
        ExprKind::Update {
            prefix: true,
            delta: -1,
            ..
        }
    ));
    assert!(matches!(expr("a, b, c").kind, ExprKind::Seq(ref v) if v.len() == 3));
    assert!(
        matches!(expr("f(...a, b)").kind, ExprKind::Call { ref args, .. }
        if matches!(args[0], Arg::Spread(_)))
    );
    assert!(matches!(expr("[...a, , b]").kind, ExprKind::Array(ref e)
        if matches!(e[..], [ArrayElem::Spread(_), ArrayElem::Hole, ArrayElem::Expr(_)])));
    assert!(matches!(expr("({...a, b})").kind, ExprKind::Object(ref p)
        if matches!(p[0], ObjectProp::Spread(_))));
    for src in [
        "-x ** 2",
        "typeof x ** 2",
        "a ?? b || c",
        "a || b ?? c",
        "a && b ?? c",
        "a ?? b && c",
    ] {
        err(src);
    }
}

#[test]
fn optional_chaining() {
    let ExprKind::OptionalChain(inner) = expr("a?.b.c").kind else {
        panic!()
    };
    let ExprKind::Member {
        obj,
        optional: false,
        ..
    } = inner.kind
    else {
        panic!()
    };
    assert!(matches!(obj.kind, ExprKind::Member { optional: true, .. }));
    let ExprKind::OptionalChain(inner) = expr("a?.[x]?.(y)").kind else {
        panic!()
    };
    assert!(matches!(inner.kind, ExprKind::Call { optional: true, .. }));
    assert!(matches!(expr("a?.5:1").kind, ExprKind::Cond(..)));
    assert!(matches!(expr("(a?.b).c").kind, ExprKind::Member { .. }));
    err("new a?.b()");
    err("a?.b++");
}

#[test]
fn statements() {
    let p = ok(
        "outer: for (var i = 0; i < 3; i++) { inner: while (1) { if (i) continue outer; \
        else break inner; } }",
    );
    assert!(matches!(&p.body[0].kind, StmtKind::Labeled(l, _) if l == "outer"));
    let p = ok("switch (x) { case 1: a(); break; default: b() }");
    assert!(
        matches!(&p.body[0].kind, StmtKind::Switch(_, c) if c.len() == 2 && c[1].test.is_none())
    );
    let p = ok("try { a } catch { b } finally { c }");
    assert!(matches!(
        &p.body[0].kind,
        StmtKind::Try {
            param: None,
            handler: Some(_),
            finalizer: Some(_),
            ..
        }
    ));
    let p = ok("try {} catch ({message}) {}");
    assert!(matches!(
        &p.body[0].kind,
        StmtKind::Try {
            param: Some(Pattern::Object { .. }),
            ..
        }
    ));
    let p = ok("with (o) x; debugger; do x; while (y) z");
    assert!(matches!(p.body[0].kind, StmtKind::With(..)));
    assert!(matches!(p.body[1].kind, StmtKind::Debugger));
    assert!(matches!(p.body[2].kind, StmtKind::DoWhile(..)));
    let p = ok("for (const [k, v] of m) ; for (x in y) ; for (;;) break;");
    assert!(matches!(
        &p.body[0].kind,
        StmtKind::ForOf(ForHead::Decl(VarKind::Const, _), ..)
    ));
    assert!(matches!(
        &p.body[1].kind,
        StmtKind::ForIn(ForHead::Target(Pattern::Ident(_)), ..)
    ));
    assert!(matches!(
        &p.body[2].kind,
        StmtKind::For {
            init: None,
            test: None,
            update: None,
            ..
        }
    ));
    ok("a: { break a; } b: if (x) break b;");
    ok("L: function f() {}");
    ok("if (x) function f() {} else function g() {}");
}

#[test]
fn asi() {
    let p = ok("function f() { return\n1 }");
    let StmtKind::Function(f) = &p.body[0].kind else {
        panic!()
    };
    assert!(matches!(f.body[0].kind, StmtKind::Return(None)));
    assert_eq!(ok("a\n++b").body.len(), 2);
    assert_eq!(ok("a\nb").body.len(), 2);
    assert!(matches!(expr("a\n(b)").kind, ExprKind::Call { .. }));
    assert_eq!(ok("do ; while (0) x").body.len(), 2);
    ok("x: while (1) { break\nx; continue\nx }");
    err("throw\n1");
    err("a b");
    err("for (;\n) x");
}

#[test]
fn regex_and_division() {
    assert!(matches!(
        expr("a / b / c").kind,
        ExprKind::Binary(BinaryOp::Div, ..)
    ));
    let ExprKind::Assign(_, _, rhs) = expr("x = /ab+c/gi").kind else {
        panic!()
    };
    assert!(matches!(&rhs.kind, ExprKind::Regex { pattern, flags }
        if pattern == b"ab+c" && flags == b"gi"));
    assert!(matches!(expr("/=/").kind, ExprKind::Regex { .. }));
    assert!(matches!(expr("/[/]/").kind, ExprKind::Regex { .. }));
    assert!(matches!(
        expr("a\n/b/g").kind,
        ExprKind::Binary(BinaryOp::Div, ..)
    ));
    assert!(matches!(expr("x = a++ / 2").kind, ExprKind::Assign(..)));
    assert!(matches!(expr("(a) / 2").kind, ExprKind::Binary(..)));
    assert_eq!(ok("{}\n/foo/").body.len(), 2);
    for src in ["/a/gg", "/a/x", "/a/uv", "/(/", "/a", "/a\n/", "/a/\\u0067"] {
        err(src);
    }
}

fn number(src: &str) -> f64 {
    match expr(src).kind {
        ExprKind::Number(n) => n,
        other => panic!("{src:?}: not a number: {other:?}"),
    }
}

#[test]
fn numbers() {
    assert_eq!(number("0x1F"), 31.0);
    assert_eq!(number("0o17"), 15.0);
    assert_eq!(number("0b101"), 5.0);
    assert_eq!(number("017"), 15.0);
    assert_eq!(number("019"), 19.0);
    assert_eq!(number("08.5"), 8.5);
    assert_eq!(number(".5"), 0.5);
    assert_eq!(number("5."), 5.0);
    assert_eq!(number("1e3"), 1000.0);
    assert_eq!(number("2.5E-3"), 0.0025);
    assert_eq!(number("1_000_000"), 1e6);
    assert_eq!(number("0xFF_FF"), 65535.0);
    assert_eq!(number("0x20000000000001"), 9007199254740992.0);
    assert!(number("1e400").is_infinite());
    assert!(matches!(expr("1..toString()").kind, ExprKind::Call { .. }));
    assert_eq!(err("1n").message, "BigInt is not supported");
    for src in [
        "3in x", "1_", "1__0", "0_1", "0x", "0b2", "1e", "0x_1", "1._5", "1_.5", "07_1",
    ] {
        err(src);
    }
    assert!(parse_strict("017").is_err());
    assert!(parse_strict("08").is_err());
    assert!(parse_strict("0").is_ok());
    assert!(parse_strict("0.5").is_ok());
}

#[test]
fn strings() {
    assert_eq!(str_value(r#""\xff""#), [0xff]);
    assert_eq!(str_value(r#""\u00e9""#), [0xc3, 0xa9]);
    assert_eq!(str_value(r#""\u{1F600}""#), [0xf0, 0x9f, 0x98, 0x80]);
    assert_eq!(str_value(r#""\uD83D\uDE00""#), [0xf0, 0x9f, 0x98, 0x80]);
    assert_eq!(str_value(r#""\uD800""#), [0xed, 0xa0, 0x80]);
    assert_eq!(
        str_value(r#""\uDE00\uD83D""#),
        [0xed, 0xb8, 0x80, 0xed, 0xa0, 0xbd]
    );
    assert_eq!(
        str_value(r#"'\n\t\r\b\f\v\0\'\"\\'"#),
        b"\n\t\r\x08\x0c\x0b\0'\"\\"
    );
    assert_eq!(str_value("'a\\\nb\\\r\nc'"), b"abc");
    assert_eq!(str_value(r#""\101\7\08\8\9\q""#), b"A\x07\x008\x38\x39q");
    assert_eq!(str_value("'é€'"), "é€".as_bytes());
    assert_eq!(str_value("'a\u{2028}b'"), "a\u{2028}b".as_bytes());
    // Invalid UTF-8 is kept inside string literals only.
    let program = parse_program(b"'\xff\xfe'", &ParseOptions::default()).unwrap();
    assert!(matches!(&program.body[0].kind,
        StmtKind::Expr(Expr { kind: ExprKind::Str(s), .. }) if s == &[0xff, 0xfe]));
    assert!(parse_program(b"var \xff = 1", &ParseOptions::default()).is_err());
    for src in [
        "'abc",
        "'a\nb'",
        r#""\x4""#,
        r#""\u12""#,
        r#""\u{110000}""#,
        r#""\u{}""#,
    ] {
        err(src);
    }
    assert!(parse_strict(r#""\01""#).is_err());
    assert!(parse_strict(r#""\8""#).is_err());
    assert!(parse_strict(r#""\0""#).is_ok());
    err("function f() { '\\07'; 'use strict'; }");
}

#[test]
fn identifiers_and_whitespace() {
    assert!(matches!(expr("\\u0061b\\u{63}").kind, ExprKind::Ident(ref n) if n == "abc"));
    assert!(matches!(expr("café").kind, ExprKind::Ident(ref n) if n == "café"));
    assert!(matches!(expr("变量").kind, ExprKind::Ident(ref n) if n == "变量"));
    assert!(matches!(expr("a\u{200D}b").kind, ExprKind::Ident(ref n) if n == "a\u{200D}b"));
    let ws = "\u{A0}\u{FEFF}\u{1680}\u{2000}\u{200A}\u{202F}\u{205F}\u{3000}\t\u{0B}\u{0C}";
    ok(&std::format!("{ws}a{ws}+{ws}b{ws};"));
    let p = ok("a\u{2028}b\u{2029}c\rd\r\ne");
    assert_eq!(p.body.len(), 5);
    assert_eq!(p.body[4].pos, Pos { line: 5, col: 1 });
    assert_eq!(ok("#!/usr/bin/env node\nx").body.len(), 1);
    err("a #!x");
    err("v\\u0061r x = 1");
    err("var v\\u0061r = 1");
    err("\\u0030abc");
    err("a\\u0020b");
    err("l\\u0065t x = 1");
    ok("var x = { v\\u0061r: 1 }.var");
    let e = err("var x;\n  var 1;");
    assert_eq!((e.line, e.col), (2, 7));
}

#[test]
fn property_keys() {
    let ExprKind::Object(props) = expr(
        "({0x10: 1, 1.50: 2, 1e21: 3, 'a b': 4, c, d() {}, \
        get e() {}, set e(v) {}, [f]: 5, 1e-7: 6, .000001: 7, if: 8})",
    )
    .kind
    else {
        panic!()
    };
    let keys: Vec<Vec<u8>> = props
        .iter()
        .filter_map(|p| match p {
            ObjectProp::Prop {
                key: PropKey::Static(k),
                ..
            } => Some(k.clone()),
            _ => None,
        })
        .collect();
    let expected: [&[u8]; 11] = [
        b"16",
        b"1.5",
        b"1e+21",
        b"a b",
        b"c",
        b"d",
        b"e",
        b"e",
        b"1e-7",
        b"0.000001",
        b"if",
    ];
    assert_eq!(keys, expected);
    assert!(matches!(
        &props[6],
        ObjectProp::Prop {
            kind: PropKind::Get,
            ..
        }
    ));
    assert!(matches!(
        &props[7],
        ObjectProp::Prop {
            kind: PropKind::Set,
            ..
        }
    ));
    assert!(
        matches!(&props[5], ObjectProp::Prop { value: Expr { kind: ExprKind::Function(f), .. }, .. }
        if f.kind == FunctionKind::Method)
    );
}

#[test]
fn number_to_string_cases() {
    use crate::lexer::number_to_string as s;
    let cases: [(f64, &str); 20] = [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (-1.5, "-1.5"),
        (1.5, "1.5"),
        (123456789.0, "123456789"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (123e20, "1.23e+22"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.1 + 0.2, "0.30000000000000004"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "Infinity"),
        (f64::NEG_INFINITY, "-Infinity"),
        (f64::MAX, "1.7976931348623157e+308"),
        (5e-324, "5e-324"),
        (9007199254740993.0, "9007199254740992"),
        (0.5, "0.5"),
    ];
    for (n, want) in cases {
        assert_eq!(s(n), want, "{n}");
    }
}

#[test]
fn new_target_and_super() {
    ok("function f() { new.target; () => new.target }");
    ok("({ m() { return super.x + super['y'] } })");
    ok("class A extends B { constructor() { (() => super())(); } m() { super.m } }");
    for src in [
        "new.target",
        "() => new.target",
        "function f() { super.x }",
        "({ m: function () { super.x } })",
        "super.x",
        "class A { constructor() { super() } }",
        "class A extends B { m() { super() } }",
        "class A extends B { constructor() { function f() { super() } } }",
        "new super()",
    ] {
        err(src);
    }
}

#[test]
fn early_errors() {
    for src in [
        // Strict mode restrictions.
        "'use strict'; with (a) {}",
        "'use strict'; eval = 1",
        "'use strict'; arguments++",
        "'use strict'; var eval",
        "'use strict'; function arguments() {}",
        "'use strict'; function f(eval) {}",
        "function eval() { 'use strict' }",
        "function f(a, a) { 'use strict' }",
        "'use strict'; delete x",
        "'use strict'; delete (x)",
        "'use strict'; 010",
        "'use strict'; '\\010'",
        "'use strict'; var implements",
        "'use strict'; var interface",
        "'use strict'; let let = 1",
        "'use strict'; var package",
        "'use strict'; var private",
        "'use strict'; var protected",
        "'use strict'; var public",
        "'use strict'; var static",
        "'use strict'; var yield",
        "'use strict'; ({eval} = x)",
        "'use strict'; [arguments] = x",
        "'use strict'; try {} catch (eval) {}",
        // Duplicate parameters.
        "function f(a, [a]) {}",
        "function f(a, a = 1) {}",
        "function f(a, ...a) {}",
        "({ m(a, a) {} })",
        // Redeclarations.
        "let a; let a;",
        "let a; var a;",
        "var a; let a;",
        "const a = 1; function a() {}",
        "class a {} var a;",
        "{ let a; { var a; } }",
        "{ function a() {} let a; }",
        "'use strict'; { function a() {} function a() {} }",
        "function f(a) { let a; }",
        "try {} catch (e) { let e; }",
        "try {} catch ([e]) { var e; }",
        "switch (x) { case 1: let a; case 2: let a; }",
        "for (let i;;) { var i; }",
        "let let = 1",
        "const let = 1",
        "let [a, a] = b",
        "for (let [a, a] of b);",
        "for (let let of x);",
        "for (let of x);",
        "const a;",
        "let [a];",
        "for (const a;;);",
        // Control flow.
        "break",
        "continue",
        "if (x) break;",
        "L: { continue L; }",
        "while (1) { break M; }",
        "L: L: ;",
        "L: { L: ; }",
        "return",
        "function f() { L: while (1) { (function () { break L; }); } }",
        "switch (x) { default: default: }",
        "try {}",
        // Misc.
        "var if",
        "var x = {if}",
        "a => { 'use strict'; 010 }",
        "if (x) let y = 1;",
        "if (x) const y = 1;",
        "if (x) class C {}",
        "while (x) function f() {}",
        "'use strict'; if (x) function f() {}",
        "L: let x",
        "L: const x = 1",
        "L: class C {}",
        "'use strict'; L: function f() {}",
        "while (1) L: function f() {}",
        "if (1) L: function f() {}",
        "if (x) let [a] = b;",
        "import x from 'y'",
        "export var x",
        "for (var i = 0 in x);",
        "for (let x = 1 of y);",
        "for (let.x of y);",
        "for (async of x);",
        "x = {a: 1,, b: 2}",
        "({get a(x) {}})",
        "({set a() {}})",
        "({set a(...b) {}})",
        "function f(...a = 1) {}",
        "function f(...a,) {}",
        "function f(...a, b) {}",
        "let [...a,] = b",
        "new.foo",
        "a?.b\n`c`",
        "({a: 1} = 1)",
        "`${a`",
        "'\\u{FFFFFFFFF}'",
        "this = 1",
        "(a, b) = 1",
        "x = #y",
    ] {
        err(src);
    }
}

#[test]
fn valid_edge_cases() {
    for src in [
        "var yield, static, implements; yield = static;",
        "function f(a, a) {}",
        "{ function a() {} function a() {} }",
        "var a; var a; function a() {}",
        "try {} catch (e) { var e; }",
        "function f(a) { var a; function a() {} }",
        "let a; { let a; { let a; } }",
        "for (let i = 0; i < 1; i++) { let i; }",
        "label: for (;;) { continue label; }",
        "a: b: c: for (;;) continue a;",
        "x = function eval() {}",
        "'use strict'; ({ eval: 1, arguments: 2 }).eval",
        "'use strict'; var o = { if: 1, yield: 2 }; o.if + o.yield",
        "if (a) ; else ;",
        "for (var x of y);",
        "for (x.y in z);",
        "for ((x) in z);",
        "for (var [a, b] of c);",
        "a = b ? c : d ? e : f",
        "a = { get: 1, set: 2, static: 3, async: 4, get get() {}, set set(v) {} }",
        "(function () { return this })()",
        "new new X()()",
        "new X.y.z(1)",
        "new X",
        "a.b?.c()",
        "a?.b[c]()",
        "x = y => ({ z: y })",
        "[a, b] = [b, a]",
        "({ a, b } = c)",
        "({ 'a': b, 1: c, [d]: e } = f)",
        "[[a], {b}] = c",
        "var {a: {b}} = c",
        "function f({a, b} = {}, [c] = []) {}",
        "x = class { static async() {} get static() {} set get(v) {} }",
        "x = { __proto__: 1, '__proto__'() {}, __proto__ }",
        "/a/dgimsy",
        "/[\\]/]/",
        "x = 1 / 2 / 3",
        "a\n++\nb",
        "if (a) function f() {}",
        "arguments = 1; eval = 2",
        "delete x",
        "async: for (;;) break async;",
        "yield: 1",
        "let\n{a} = b",
        "var \\u{61}b = 1",
        "`a${b}c${d}e`",
        "x = `a${`b${c}`}`",
        "String.raw`\\unicode`",
        "a = b\n/c/d",
        "x = {a = 1} = y",
        "0, function () {}",
        "(a, b) => a, c",
        "x = a ? b => c : d => e",
        "x => x ? 1 : 2",
        "class A { 'constructor'() {} }",
        "class A { static constructor() {} }",
        "class A { ['constructor']() {} }",
        "class A { ;;; }",
        "x = class B { static x = B }",
        "function f() { 'use strict'; return 1 }",
        "function f(a = 1) { var a }",
        "debugger;",
        "switch (a) {}",
        "label: function f() {}",
        "L1: L2: function f() {}",
        "'\\0'",
    ] {
        ok(src);
    }
}

fn assert_too_deep(src: &str) {
    let e = err(src);
    assert_eq!(
        e.message,
        "nesting too deep",
        "{}...",
        &src[..20.min(src.len())]
    );
}

/// Runs `f` on a thread with a large stack: unoptimized builds use ~20 KB of stack per
/// nesting level (optimized builds a few KB), so the default 2 MB test stack is too small for
/// `max_nesting: 256`.
fn with_big_stack(f: fn()) {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn deep_nesting_is_an_error() {
    with_big_stack(deep_nesting_cases);
}

fn deep_nesting_cases() {
    const N: usize = 100_000;
    assert_too_deep(&"(".repeat(N));
    assert_too_deep(&"[".repeat(N));
    assert_too_deep(&"{".repeat(N));
    assert_too_deep(&std::format!("x = {}", "{a:".repeat(N)));
    assert_too_deep(&"a=".repeat(N));
    assert_too_deep(&std::format!("{}x", "-".repeat(N)));
    assert_too_deep(&std::format!("{}x", "!".repeat(N)));
    assert_too_deep(&std::format!("{}x", "++".repeat(N)));
    assert_too_deep(&std::format!("{}x", "- ".repeat(N)));
    assert_too_deep(&"if(a) ".repeat(N));
    assert_too_deep(&"while(a) ".repeat(N));
    let labels: String = (0..N).map(|i| std::format!("L{i}: ")).collect();
    assert_too_deep(&labels);
    assert_too_deep(&"x => ".repeat(N));
    assert_too_deep(&"(x) => ".repeat(N));
    assert_too_deep(&"a ? ".repeat(N));
    assert_too_deep(&"new ".repeat(N));
    assert_too_deep(&"function f(){".repeat(N));
    assert_too_deep(&"class A extends ".repeat(N));
    assert_too_deep(&"`${".repeat(N));
    assert_too_deep(&"a[".repeat(N));
    assert_too_deep(&"f(".repeat(N));
    assert_too_deep(&"typeof ".repeat(N));
    assert_too_deep(&std::format!("var {}", "[".repeat(N)));
    assert_too_deep(&std::format!("var {}", "{a:".repeat(N)));
    assert_too_deep(&std::format!("x{}", "**x".repeat(N)));
    // Long left-nested chains also nest the tree.
    assert_too_deep(&std::format!("x{}", "+x".repeat(N)));
    assert_too_deep(&std::format!("x{}", ".x".repeat(N)));
    assert_too_deep(&std::format!("x{}", "()".repeat(N)));
    assert_too_deep(&std::format!("x{}", "?.x".repeat(N)));
    assert!(err(&std::format!("/{}{}/", "(".repeat(N), ")".repeat(N)))
        .message
        .contains("regular"));
    assert!(err(&std::format!("/{}/", "(?:a|".repeat(N)))
        .message
        .contains("regular"));
    let nested_chains = std::format!("{}x{}", "(x+x+x+".repeat(N / 4), ")".repeat(N / 4));
    assert_too_deep(&nested_chains);
}

#[test]
fn long_flat_inputs_parse() {
    let mut big = String::from("x = [");
    while big.len() < 1 << 20 {
        big.push_str("1,");
    }
    big.push_str("];");
    let p = ok(&big);
    assert_eq!(p.body.len(), 1);
    let many = "a = b + 1;\n".repeat(100_000);
    assert_eq!(ok(&many).body.len(), 100_000);
    let concat = std::format!("x = a{}", " + 'xx'".repeat(500));
    ok(&concat);
    let chain = std::format!("x = a{}", ".b()".repeat(200));
    ok(&chain);
}

#[test]
fn never_panics_on_prefixes_and_mutations() {
    let sample = include_str!("tests.rs");
    let sample = &sample[..sample.len().min(6000)];
    let extra = "x = `a${b}` + /re[/]/g.test('\\u{1F600}') ?? a?.b?.[c]?.(d); \
        class A extends B { static #p = 1; get x() { return super.x } } \
        for (let [a, {b = 1}] of c) label: { break label } \
        ({a = 1} = {}); (a, b) => a ** -b; 0x1_0n; 08.5e1; '\\08';";
    let text = std::format!("{extra}\n{sample}");
    let bytes = text.as_bytes();
    for end in 0..bytes.len().min(3000) {
        let _ = parse_program(&bytes[..end], &ParseOptions::default());
        let _ = parse_program(&bytes[end..], &ParseOptions::default());
    }
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..3000 {
        let mut mutated = extra.as_bytes().to_vec();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed % mutated.len() as u64) as usize;
            mutated[at] = (seed >> 32) as u8;
        }
        let _ = parse_program(&mutated, &ParseOptions::default());
    }
}

#[test]
fn test262_harness_files_parse() {
    let dir = std::path::Path::new("/work/shared/test262/harness");
    let Ok(entries) = std::fs::read_dir(dir) else {
        println!("test262 harness not found; skipping");
        return;
    };
    let mut count = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "js") {
            let src = std::fs::read(&path).unwrap();
            match parse_program(&src, &ParseOptions::default()) {
                Ok(_) => count += 1,
                // Harness files for features Ferrite rejects by design.
                Err(e) if e.message.contains("not supported") => {
                    println!("skipped {}: {e}", path.display())
                }
                Err(e) => panic!("{}: {e}", path.display()),
            }
        }
    }
    assert!(count > 20);
}

/// Frontmatter facts of a test262 test.
struct TestMeta {
    negative_parse: bool,
    only_strict: bool,
    no_strict: bool,
    module: bool,
    unsupported: bool,
}

fn test_meta(src: &str) -> TestMeta {
    let fm = match (src.find("/*---"), src.find("---*/")) {
        (Some(a), Some(b)) if a < b => &src[a..b],
        _ => "",
    };
    let flags = fm
        .lines()
        .find(|l| l.trim_start().starts_with("flags:"))
        .unwrap_or("");
    let mut features = String::new();
    let mut in_features = false;
    for line in fm.lines() {
        let t = line.trim_start();
        if t.starts_with("features:") {
            features.push_str(t);
            in_features = true;
        } else if in_features && t.starts_with('-') {
            features.push_str(&t[1..]);
            features.push(',');
        } else {
            in_features = false;
        }
    }
    const UNSUPPORTED: &[&str] = &[
        "generators",
        "async-functions",
        "async-iteration",
        "BigInt",
        "class-fields-private",
        "class-methods-private",
        "class-static-methods-private",
        "class-static-fields-private",
        "class-static-block",
        "top-level-await",
        "dynamic-import",
        "import-meta",
        "decorators",
        "explicit-resource-management",
        "source-phase-imports",
        "private-in",
        "json-modules",
        "import-attributes",
        "import-defer",
        "regexp-modifiers",
        "regexp-duplicate-named-groups",
        "regexp-v-flag",
        "import-text",
    ];
    let unsupported = features
        .split(|c: char| c == ',' || c == '[' || c == ']' || c.is_whitespace())
        .any(|f| UNSUPPORTED.contains(&f.trim()));
    TestMeta {
        negative_parse: fm.contains("phase: parse"),
        only_strict: flags.contains("onlyStrict"),
        no_strict: flags.contains("noStrict") || flags.contains("raw"),
        module: flags.contains("module"),
        unsupported,
    }
}

fn collect_js(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_js(&path, out);
        } else if path.extension().is_some_and(|e| e == "js")
            && !path.to_string_lossy().contains("_FIXTURE")
        {
            out.push(path);
        }
    }
}

fn parse_with_big_stack(src: Vec<u8>, strict: bool) -> Result<(), SyntaxError> {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let opts = ParseOptions {
                strict,
                ..ParseOptions::default()
            };
            parse_program(&src, &opts).map(|_| ())
        })
        .unwrap()
        .join()
        .unwrap()
}

/// Scratch conformance scan over test262/test/language (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn test262_language_scan() {
    let mut files = Vec::new();
    collect_js(
        std::path::Path::new("/work/shared/test262/test/language"),
        &mut files,
    );
    files.sort();
    let (mut pos_ok, mut pos_total, mut neg_ok, mut neg_total) = (0, 0, 0, 0);
    let mut pos_fail = String::new();
    let mut neg_fail = String::new();
    for path in &files {
        let Ok(src) = std::fs::read(path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&src).to_string();
        let meta = test_meta(&text);
        if meta.module || meta.unsupported || path.to_string_lossy().contains("/module-code/") {
            continue;
        }
        let modes: &[bool] = if meta.only_strict {
            &[true]
        } else if meta.no_strict {
            &[false]
        } else {
            &[false, true]
        };
        let results: Vec<Result<(), SyntaxError>> = modes
            .iter()
            .map(|&strict| parse_with_big_stack(src.clone(), strict))
            .collect();
        if meta.negative_parse {
            neg_total += 1;
            if results.iter().all(|r| r.is_err()) {
                neg_ok += 1;
            } else {
                neg_fail.push_str(&std::format!("{}\n", path.display()));
            }
        } else {
            pos_total += 1;
            if results.iter().all(|r| r.is_ok()) {
                pos_ok += 1;
            } else {
                let err = results.iter().find_map(|r| r.clone().err()).unwrap();
                pos_fail.push_str(&std::format!("{} :: {}\n", path.display(), err));
            }
        }
    }
    std::fs::write("/tmp/t262_pos_fail.txt", pos_fail).unwrap();
    std::fs::write("/tmp/t262_neg_fail.txt", neg_fail).unwrap();
    println!("positive: {pos_ok}/{pos_total}  negative(parse): {neg_ok}/{neg_total}");
}
