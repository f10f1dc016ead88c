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

#[test]
fn smoke() {
    parse("var a = 1 + 2;").unwrap();
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
                max_nesting: 256,
                strict,
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

#[test]
fn scratch_regex() {
    for src in ["/{2}/;", "/\\c0/u;", "/(?<a>.)\\k<b>/;", "/(/;"] {
        println!("{src} => {:?}", parse(src).err());
    }
}
