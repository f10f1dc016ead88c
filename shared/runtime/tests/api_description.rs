//! The API description against the realm scripts really get: every described path is defined,
//! and every member of every API global is described. Plus the TypeScript typings' shape.

use ferrite_engine::{Config, Engine};
use ferrite_runtime::api::description;
use ferrite_runtime::log::Level;
use ferrite_runtime::sim::{MemStorage, SimBoard, SimSystem, VirtualClock};
use ferrite_runtime::{Runtime, RuntimeConfig};

/// A booted runtime on the simulated board: its console realm is a fresh script realm with
/// every API installed (some families install only with the runtime's host).
fn runtime() -> Runtime {
    let board = SimBoard::new(
        Box::new(VirtualClock::new(None)),
        Box::new(MemStorage::new(1 << 20)),
        Box::new(SimSystem::new(1, [1, 2, 3, 4, 5, 6])),
    );
    let mut rt = Runtime::new(Box::new(board), RuntimeConfig::default());
    rt.boot();
    rt
}

/// Evaluate `expr` (which gives a JSON text) in the console realm and parse what it printed.
fn console_json(rt: &mut Runtime, expr: &str) -> serde_json::Value {
    let from = rt.device().borrow().log.next_seq();
    rt.console_eval(format!("print({expr});").as_bytes());
    for _ in 0..1000 {
        if !rt.poll().busy {
            break;
        }
    }
    let dev = rt.device();
    let d = dev.borrow();
    let lines: Vec<_> = d.log.since(from).collect();
    let printed = lines
        .iter()
        .find(|l| l.level == Level::Script)
        .unwrap_or_else(|| panic!("nothing printed: {lines:?}"));
    serde_json::from_str(&printed.text).unwrap_or_else(|e| panic!("{e}: {}", printed.text))
}

fn global_names_json() -> &'static str {
    "JSON.stringify(Object.getOwnPropertyNames(globalThis))"
}

/// Globals of a realm without the API (the engine's own).
fn bare_globals() -> Vec<String> {
    let mut e = Engine::new(Config::default());
    let v = e.eval(global_names_json().as_bytes(), "bare").unwrap();
    let text = e.display(v);
    serde_json::from_str(&text).unwrap()
}

/// Is `path` an instance member (`Class.prototype.m`) of a class that is not a global value?
/// Such entries describe objects scripts get from calls (file objects, HTTP responses …).
fn instance_type(path: &str, globals: &[String]) -> Option<String> {
    let (class, _) = path.split_once(".prototype.")?;
    let root = class.split('.').next().unwrap_or(class);
    (!globals.iter().any(|g| g == root)).then(|| class.rsplit('.').next().unwrap_or(class).into())
}

#[test]
fn paths_are_unique_and_documented() {
    let all = description::all();
    assert!(!all.is_empty());
    let mut seen = std::collections::BTreeSet::new();
    for e in &all {
        assert!(seen.insert(e.path), "{} is described twice", e.path);
        assert!(!e.doc.trim().is_empty(), "{} has no doc", e.path);
        assert!(
            !e.signature.trim().is_empty(),
            "{} has no signature",
            e.path
        );
        assert!(
            ["shelly", "smartjs", "tc53", "global"].contains(&e.family),
            "{}: unknown family {}",
            e.path,
            e.family
        );
    }
}

#[test]
fn every_described_path_is_defined() {
    let mut rt = runtime();
    let globals: Vec<String> =
        serde_json::from_value(console_json(&mut rt, global_names_json())).unwrap();
    let all = description::all();
    let mut checked = Vec::new();
    let mut src = String::from("JSON.stringify([");
    for entry in &all {
        if let Some(class) = instance_type(entry.path, &globals) {
            // An instance type must be named by some signature, or the IDE cannot reach it.
            let named = all.iter().any(|e| {
                e.signature
                    .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                    .any(|w| w == class)
            });
            assert!(named, "{}: no signature returns a {class}", entry.path);
            continue;
        }
        checked.push(entry.path);
        src.push_str(&format!(
            "(function () {{ try {{ return typeof ({}); }} catch (e) {{ return 'throws'; }} }})(),",
            entry.path
        ));
    }
    src.push_str("])");
    let types = console_json(&mut rt, &src);
    let undefined: Vec<&str> = checked
        .iter()
        .zip(types.as_array().unwrap())
        .filter(|(_, t)| *t == "undefined" || *t == "throws")
        .map(|(p, _)| *p)
        .collect();
    assert!(
        undefined.is_empty(),
        "described but not defined: {undefined:?}"
    );
}

/// Every own member (recursively, and `prototype` members of constructors) of the globals the
/// API installs, and of the engine built-ins scripts are told about.
const WALK: &str = r#"
(function (roots) {
  var out = [];
  function walk(path, v, depth) {
    out.push(path);
    if (depth > 4 || v === null || (typeof v !== "object" && typeof v !== "function")) return;
    var names = Object.getOwnPropertyNames(v);
    for (var i = 0; i < names.length; i++) {
      var k = names[i];
      if (typeof v === "function" && (k === "length" || k === "name" || k === "prototype")) continue;
      var d = Object.getOwnPropertyDescriptor(v, k);
      if ("value" in d) walk(path + "." + k, d.value, depth + 1); else out.push(path + "." + k);
    }
    if (typeof v === "function" && v.prototype && typeof v.prototype === "object") {
      var pn = Object.getOwnPropertyNames(v.prototype);
      for (var j = 0; j < pn.length; j++) {
        if (pn[j] === "constructor") continue;
        var pd = Object.getOwnPropertyDescriptor(v.prototype, pn[j]);
        if ("value" in pd) walk(path + ".prototype." + pn[j], pd.value, depth + 1);
        else out.push(path + ".prototype." + pn[j]);
      }
    }
  }
  for (var r = 0; r < roots.length; r++) walk(roots[r], globalThis[roots[r]], 0);
  return JSON.stringify(out);
})
"#;

#[test]
fn every_api_member_is_described() {
    let bare = bare_globals();
    let mut rt = runtime();
    let globals: Vec<String> =
        serde_json::from_value(console_json(&mut rt, global_names_json())).unwrap();
    let mut roots: Vec<String> = globals.into_iter().filter(|g| !bare.contains(g)).collect();
    // Engine built-ins the Shelly and Smart.js documents list as part of their API.
    for b in ["print", "console", "btoh", "btoa", "atob"] {
        roots.push(b.into());
    }
    for g in ["Shelly", "Timer", "Virtual", "BLE", "HTTPServer", "MQTT"] {
        assert!(roots.iter().any(|r| r == g), "the API does not install {g}");
    }
    let src = format!("{WALK}({})", serde_json::to_string(&roots).unwrap());
    let members: Vec<String> = serde_json::from_value(console_json(&mut rt, &src)).unwrap();
    let all = description::all();
    let described = |p: &str| {
        all.iter()
            .any(|e| e.path == p || e.path.strip_prefix(p).is_some_and(|r| r.starts_with('.')))
    };
    let missing: Vec<&String> = members.iter().filter(|m| !described(m)).collect();
    assert!(missing.is_empty(), "defined but not described: {missing:?}");
}

#[test]
fn typescript_declares_every_root_and_class() {
    let ts = description::typescript();
    for root in [
        "Shelly",
        "Timer",
        "Virtual",
        "BLE",
        "HTTPServer",
        "print",
        "setTimeout",
    ] {
        assert!(
            ts.contains(&format!("declare const {root}: ")),
            "no declaration of {root}"
        );
    }
    assert!(ts.contains("interface Virtual {"));
    assert!(ts.contains("  setValue: (value: number | string | boolean) => void;"));
    assert!(ts.contains("interface HTTPServerResponse {"));
    // Brackets balance outside the doc comments (the signatures nest properly).
    let code: String = ts
        .lines()
        .filter(|l| !l.trim_start().starts_with("/**") && !l.trim_start().starts_with("//"))
        .collect();
    for (open, close) in [('{', '}'), ('(', ')'), ('[', ']')] {
        let o = code.chars().filter(|c| *c == open).count();
        let c = code.chars().filter(|c| *c == close).count();
        assert_eq!(o, c, "unbalanced {open}{close}");
    }
}

/// The per-family table of docs/CONFORMANCE.md ("Device APIs"):
/// `cargo test -p ferrite-runtime --test api_description -- --ignored --nocapture api_table`.
#[test]
#[ignore]
fn api_table() {
    let entries = description::all();
    let mut families: Vec<&str> = entries.iter().map(|e| e.family).collect();
    families.sort();
    families.dedup();
    let goldens: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".js"))
            .collect();
    println!("| family | members described (all defined in a script realm) | golden scripts |");
    println!("|---|---|---|");
    for f in families {
        let n = entries.iter().filter(|e| e.family == f).count();
        let prefixes: &[&str] = match f {
            "shelly" => &["shelly_", "mqtt_"],
            "smartjs" => &["smartjs_"],
            "tc53" => &["tc53_"],
            _ => &["timers", "errors", "hog", "datapoints"],
        };
        let g = goldens
            .iter()
            .filter(|n| prefixes.iter().any(|p| n.starts_with(p)))
            .count();
        println!("| {f} | {n} | {g} |");
    }
    println!(
        "\n{} members, {} golden scripts in all",
        entries.len(),
        goldens.len()
    );
}
