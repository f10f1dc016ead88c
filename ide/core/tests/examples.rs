//! Every example of the gallery runs in the simulator without an error, prints within the first
//! second of virtual time, and prints its expected lines (in order) when the board actions of
//! its `ide/examples/<slug>.expect` are applied.
//!
//! `.expect` lines: `run: <ms>` (virtual time to run), `at <ms>: <action>` with actions
//! `push <input> single|double|triple|long`, `pin <n> high|low|float`, `analog <pin> <raw>`,
//! `part 0x<addr> <what> <value>`, `load <switch> <watts>`, `wifi in-range|out-of-range`,
//! `mqtt <topic> <payload>`,
//! `rpc <Method> <json>`; and `expect: <text>` — a printed line starting with the text.

mod common;

use std::path::Path;

use common::{files, Session};
use ferrite_ide_core::examples;
use ferrite_ide_core::protocol::{BoardAction, Push, Speed, ToWorker};

fn action(a: &str) -> ToWorker {
    let w: Vec<&str> = a.splitn(3, ' ').collect();
    let num = |s: &str| -> u32 { s.parse().unwrap_or_else(|_| panic!("number in {a:?}")) };
    let board = |action| ToWorker::Board { action };
    match w[0] {
        "push" => board(BoardAction::InputPush {
            id: num(w[1]),
            push: match w[2] {
                "single" => Push::Single,
                "double" => Push::Double,
                "triple" => Push::Triple,
                "long" => Push::Long,
                other => panic!("push {other}"),
            },
        }),
        "pin" => board(BoardAction::Pin {
            pin: num(w[1]),
            level: match w[2] {
                "high" => Some(true),
                "low" => Some(false),
                _ => None,
            },
        }),
        "analog" => board(BoardAction::Analog {
            pin: num(w[1]),
            raw: num(w[2]),
        }),
        "part" => {
            let (what, value) = w[2].split_once(' ').unwrap();
            board(BoardAction::Part {
                addr: u8::from_str_radix(w[1].trim_start_matches("0x"), 16).unwrap(),
                what: what.into(),
                value: value.parse().unwrap(),
            })
        }
        "load" => board(BoardAction::Load {
            id: num(w[1]),
            watts: w[2].parse().unwrap(),
        }),
        "wifi" => board(BoardAction::WifiInRange {
            in_range: w[1] == "in-range",
        }),
        "mqtt" => ToWorker::MqttPublish {
            topic: w[1].into(),
            payload: w[2].into(),
            retain: false,
        },
        "rpc" => ToWorker::Rpc {
            seq: 1,
            method: w[1].into(),
            params: serde_json::from_str(w[2]).unwrap(),
        },
        other => panic!("unknown action {other}"),
    }
}

fn run_example(e: &examples::Example) -> Result<(), String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../examples/{}.expect", e.slug));
    let spec =
        std::fs::read_to_string(&path).map_err(|err| format!("{}: {err}", path.display()))?;
    let mut run_ms = 5000u64;
    let mut actions: Vec<(u64, String)> = Vec::new();
    let mut expect: Vec<String> = Vec::new();
    for line in spec.lines() {
        if let Some(v) = line.strip_prefix("run: ") {
            run_ms = v.trim().parse().unwrap();
        } else if let Some(v) = line.strip_prefix("at ") {
            let (t, a) = v.split_once(": ").unwrap();
            actions.push((t.parse().unwrap(), a.into()));
        } else if let Some(v) = line.strip_prefix("expect: ") {
            expect.push(v.into());
        } else if !line.trim().is_empty() {
            return Err(format!("{}: bad line {line:?}", path.display()));
        }
    }
    assert!(!expect.is_empty(), "{}: nothing expected", e.slug);
    let mut s = Session::run_project(
        files(&[(&e.file_name(), e.code)]),
        &e.file_name(),
        e.http_mocks(),
        Speed::Realtime,
    );
    // Virtual time follows the fake wall clock at ×1 from boot.
    for (t, a) in &actions {
        s.advance(*t as f64 - s.now() as f64);
        assert_eq!(s.now(), *t, "{}: at {t}", e.slug);
        s.send(action(a));
    }
    s.advance(run_ms as f64 - s.now() as f64);
    let logs = s.logs();
    // Printed lines (a print of several lines counts as several).
    let printed: Vec<&str> = logs
        .iter()
        .filter(|l| l.level == "script")
        .flat_map(|l| l.text.lines())
        .collect();
    let show = || {
        logs.iter()
            .map(|l| format!("[{}] {} {}", l.ts_ms, l.level, l.text))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if !s.errors().is_empty() {
        return Err(format!("{}: {:?}\n{}", e.slug, s.errors(), show()));
    }
    if logs.iter().any(|l| l.level == "error") {
        return Err(format!("{}: errors in the log\n{}", e.slug, show()));
    }
    let first = logs.iter().find(|l| l.level == "script").map(|l| l.ts_ms);
    if first.is_none_or(|t| t >= 1000) {
        return Err(format!(
            "{}: nothing printed in the first second\n{}",
            e.slug,
            show()
        ));
    }
    // Expected lines in order, each the start of a printed line.
    let mut at = 0;
    for want in &expect {
        match printed[at..]
            .iter()
            .position(|p| p.starts_with(want.as_str()))
        {
            Some(i) => at += i + 1,
            None => {
                return Err(format!(
                    "{}: {want:?} not printed (in order)\n{}",
                    e.slug,
                    show()
                ))
            }
        }
    }
    Ok(())
}

#[test]
fn every_example_runs_and_prints_what_it_should() {
    let all = examples::all();
    assert!(all.len() >= 12);
    let failures: Vec<String> = all.iter().filter_map(|e| run_example(e).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_gallery_covers_the_three_apis_and_its_files() {
    let all = examples::all();
    for api in ["Shelly", "Smart.js", "TC53"] {
        assert!(all.iter().filter(|e| e.api == api).count() >= 3, "{api}");
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".js"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = all.iter().map(|e| e.file_name()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every file is in the gallery and back");
    for e in all {
        assert!(e.project("x").validate().is_ok(), "{}", e.slug);
        assert!(
            ferrite_ide_core::lint::check(e.code).is_empty(),
            "{}: {:?}",
            e.slug,
            ferrite_ide_core::lint::check(e.code)
        );
        assert!(!e.try_hint.is_empty() && !e.description.is_empty());
    }
}
