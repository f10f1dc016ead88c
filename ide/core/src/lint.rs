//! Diagnostics for the editor, from the engine's own parser and compiler: syntax errors where
//! the device would report them, clearer words for what the engine rejects on purpose (async
//! functions, generators, modules …), and warnings for globals the script reads that a device
//! realm does not define (browser and Node APIs above all).
//!
//! "Defined" is what a real device realm has: the console realm of a simulated device is asked
//! for its global names once per thread and kept. It must stay fast (it runs on every edit) and
//! bounded: any input gives diagnostics, never a panic or a hang.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;

use ferrite_engine::atoms::Atoms;
use ferrite_engine::bytecode::{Code, Op};
use ferrite_engine::compiler::{compile_script, GlobalLexicals};
use ferrite_engine::parser::{parse_program, ParseOptions};
use ferrite_runtime::Limits;

use crate::protocol::{Diagnostic, Severity};

/// Largest text linted; beyond, one error (the device's own limit is much smaller).
pub const MAX_LINT_BYTES: usize = 1 << 20;
/// Most "not defined" warnings per text.
const MAX_GLOBAL_WARNINGS: usize = 50;

/// Well-known browser and Node globals, with what to use on the device instead. Whether the
/// device defines them is decided by the device realm, not by this table.
const FOREIGN: &[(&str, &str)] = &[
    (
        "fetch",
        "a browser API; use HTTP.GET / Shelly.call(\"HTTP.GET\", …) on the device",
    ),
    (
        "XMLHttpRequest",
        "a browser API; use HTTP.GET / Shelly.call(\"HTTP.GET\", …)",
    ),
    ("WebSocket", "a browser API"),
    ("window", "a browser global"),
    ("document", "a browser global"),
    ("navigator", "a browser global"),
    ("location", "a browser global"),
    (
        "localStorage",
        "a browser API; use KVS (Shelly.call(\"KVS.Set\", …)) on the device",
    ),
    ("sessionStorage", "a browser API; use KVS on the device"),
    ("alert", "a browser function; use print() on the device"),
    (
        "setInterval",
        "not available; use Timer.set(ms, true, fn) on the device",
    ),
    (
        "setTimeout",
        "not available; use Timer.set(ms, false, fn) on the device",
    ),
    ("clearInterval", "not available; use Timer.clear(handle)"),
    ("clearTimeout", "not available; use Timer.clear(handle)"),
    ("requestAnimationFrame", "a browser API"),
    ("Promise", "not available on the device: use callbacks"),
    ("process", "a Node global"),
    ("require", "Node's module loader; the device has no modules"),
    ("module", "a Node global"),
    ("exports", "a Node global"),
    ("Buffer", "a Node global; use ArrayBuffer / Uint8Array"),
    ("__dirname", "a Node global"),
    ("global", "a Node global; use globalThis"),
    ("TextEncoder", "a browser API"),
    ("TextDecoder", "a browser API"),
    ("URL", "a browser API"),
    (
        "performance",
        "a browser API; use Shelly.getComponentStatus(\"sys\").uptime",
    ),
];

/// Diagnostics for `code`: syntax errors and warnings for what the device does not support.
pub fn check(code: &str) -> Vec<Diagnostic> {
    if code.len() > MAX_LINT_BYTES {
        return alloc::vec![diag(
            Severity::Error,
            1,
            1,
            2,
            format!("the file is too large to check ({} bytes)", code.len()),
        )];
    }
    let mut out = Vec::new();
    let limit = Limits::SHELLY.script_bytes;
    if code.len() > limit {
        out.push(diag(
            Severity::Error,
            1,
            1,
            2,
            format!(
                "the script is {} bytes; the device takes at most {limit}",
                code.len()
            ),
        ));
    }
    let opts = ParseOptions {
        max_nesting: ferrite_runtime::SCRIPT_MAX_NESTING,
        strict: false,
        ..Default::default()
    };
    let program = match parse_program(code.as_bytes(), &opts) {
        Ok(p) => p,
        Err(e) => {
            out.push(at_token(code, e.line, e.col, syntax_message(&e.message)));
            return out;
        }
    };
    let mut atoms = Atoms::default();
    let mut globals = GlobalLexicals::default();
    let compiled = compile_script(
        &program,
        &mut atoms,
        &mut globals,
        Rc::from("lint"),
        Rc::from(code.as_bytes()),
        0,
    );
    let compiled = match compiled {
        Ok(c) => c,
        Err(e) => {
            out.push(at_token(
                code,
                e.pos.line,
                e.pos.col,
                syntax_message(&e.message),
            ));
            return out;
        }
    };
    let mut reads = Vec::new();
    let mut declared = BTreeSet::new();
    let mut requires = Vec::new();
    collect_globals(
        &compiled,
        &atoms,
        &mut Found {
            reads: &mut reads,
            declared: &mut declared,
            requires: &mut requires,
        },
        0,
    );
    let defined = with_probe(|p| p.globals.clone());
    let mut asked = 0;
    let mut warned_modules = BTreeSet::new();
    for (module, line, col) in requires {
        if !warned_modules.insert(module.clone()) {
            continue;
        }
        if with_probe(|p| p.module_exists(&module, &mut asked)) == Some(false) {
            let (line, col) = find_name(code, &module, line, col);
            let end = col + module.chars().count() as u32;
            out.push(diag(
                Severity::Warning,
                line,
                col,
                end,
                format!(
                    "the device has no module {module:?}: require finds only the embedded:io/… modules"
                ),
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for (name, line, col) in reads {
        if declared.contains(&name) || defined.contains(&name) || !seen.insert(name.clone()) {
            continue;
        }
        if seen.len() > MAX_GLOBAL_WARNINGS {
            break;
        }
        let (line, col) = find_name(code, &name, line, col);
        let why = FOREIGN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, why)| format!("{name} is not defined on the device: {why}"))
            .unwrap_or_else(|| {
                format!("{name} is not defined on the device (a ReferenceError when this runs)")
            });
        let end = col + name.chars().count() as u32;
        out.push(diag(Severity::Warning, line, col, end, why));
    }
    out
}

fn diag(severity: Severity, line: u32, col: u32, end_col: u32, message: String) -> Diagnostic {
    Diagnostic {
        severity,
        line: line.max(1),
        col: col.max(1),
        end_col: end_col.max(col.max(1) + 1),
        message,
    }
}

/// The engine's message, said for the device when it rejects a feature on purpose.
fn syntax_message(message: &str) -> String {
    if message.ends_with("not supported") {
        format!("{message} on the device")
    } else {
        message.to_string()
    }
}

/// An error at `line:col` covering the token there (an identifier or number run, else one
/// character).
fn at_token(code: &str, line: u32, col: u32, message: String) -> Diagnostic {
    let (line, col) = (line.max(1), col.max(1));
    let text = code.lines().nth(line as usize - 1).unwrap_or("");
    let rest: Vec<char> = text.chars().skip(col as usize - 1).collect();
    let word = rest
        .iter()
        .take_while(|c| c.is_alphanumeric() || **c == '_' || **c == '$')
        .count();
    let len = if word > 0 { word } else { 1 };
    diag(Severity::Error, line, col, col + len as u32, message)
}

/// Where `name` appears as a whole word on `line` at or after `col` (the compiler's position
/// is the enclosing expression's start); else the position as given.
fn find_name(code: &str, name: &str, line: u32, col: u32) -> (u32, u32) {
    let Some(text) = code.lines().nth((line.max(1) - 1) as usize) else {
        return (line, col);
    };
    let chars: Vec<char> = text.chars().collect();
    let needle: Vec<char> = name.chars().collect();
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let from = (col.max(1) - 1) as usize;
    for i in from..chars.len() {
        if chars[i..].starts_with(&needle)
            && (i == 0 || !is_word(chars[i - 1]))
            && chars.get(i + needle.len()).is_none_or(|c| !is_word(*c))
        {
            return (line, i as u32 + 1);
        }
    }
    (line, col)
}

/// What the compiled code says about globals.
struct Found<'a> {
    /// Global names read, with the position of the reading code.
    reads: &'a mut Vec<(String, u32, u32)>,
    /// Global names the script declares or assigns.
    declared: &'a mut BTreeSet<String>,
    /// Module ids of `require("literal")` calls of the global `require`.
    requires: &'a mut Vec<(String, u32, u32)>,
}

/// Collect [`Found`] through every nested function.
fn collect_globals(code: &Code, atoms: &Atoms, found: &mut Found, depth: u32) {
    let name = |a| String::from_utf8_lossy(atoms.bytes(a)).into_owned();
    for a in code.global_vars.iter() {
        found.declared.insert(name(*a));
    }
    for (a, _) in code.global_lexicals.iter() {
        found.declared.insert(name(*a));
    }
    let ops = &code.ops;
    for (pc, op) in ops.iter().enumerate() {
        match op {
            Op::GetGlobal(a, _) => {
                let (line, col) = position(code, pc);
                let n = name(*a);
                if n == "require" {
                    // `require("id")`: the callee, maybe `this`, the literal, the call.
                    let literal = ops[pc + 1..]
                        .iter()
                        .take(3)
                        .skip_while(|o| matches!(o, Op::Undefined))
                        .take(2)
                        .collect::<Vec<_>>();
                    if let [Op::Str(id), Op::Call(1)] = literal[..] {
                        found.requires.push((name(*id), line, col));
                    }
                }
                found.reads.push((n, line, col));
            }
            // Sloppy assignment creates the global.
            Op::SetGlobal(a, _) => {
                found.declared.insert(name(*a));
            }
            _ => {}
        }
    }
    // The parser bounds nesting; this bounds the walk the same way.
    if depth < 256 {
        for f in code.functions.iter() {
            collect_globals(f, atoms, found, depth + 1);
        }
    }
}

fn position(code: &Code, pc: usize) -> (u32, u32) {
    let i = code.lines.partition_point(|l| l.pc as usize <= pc);
    match i.checked_sub(1).and_then(|i| code.lines.get(i)) {
        Some(l) => (l.line, l.col),
        None => (1, 1),
    }
}

/// A device realm the linter asks what exists: its global names (asked once) and whether
/// `require` finds a module (asked once per name).
struct Probe {
    dev: crate::simulator::SimDevice,
    globals: Rc<BTreeSet<String>>,
    modules: BTreeMap<String, bool>,
}

/// Most module names one check asks the realm about.
const MAX_MODULE_PROBES: usize = 8;

impl Probe {
    fn new() -> Probe {
        let mut dev = crate::simulator::SimDevice::boot(Vec::new(), 0.0);
        let text = console(
            &mut dev,
            "(function () { var n = []; for (var o = globalThis; o; o = Object.getPrototypeOf(o)) n = n.concat(Object.getOwnPropertyNames(o)); return JSON.stringify(n); })()",
        );
        let globals: BTreeSet<String> = text
            .and_then(|t| {
                serde_json::from_str::<Vec<String>>(&t).ok().or_else(|| {
                    serde_json::from_str::<String>(&t)
                        .ok()
                        .and_then(|s| serde_json::from_str(&s).ok())
                })
            })
            .unwrap_or_default()
            .into_iter()
            .collect();
        Probe {
            dev,
            globals: Rc::new(globals),
            modules: BTreeMap::new(),
        }
    }

    /// Does `require(name)` find a module on the device? `None`: not asked (a name that is not
    /// a plain module id, or too many asked already).
    fn module_exists(&mut self, name: &str, asked: &mut usize) -> Option<bool> {
        if let Some(known) = self.modules.get(name) {
            return Some(*known);
        }
        let plain = !name.is_empty()
            && name.len() <= 100
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b":/_.-@".contains(&b));
        if !plain || *asked >= MAX_MODULE_PROBES {
            return None;
        }
        *asked += 1;
        let probe = format!(
            "(function () {{ try {{ require(\"{name}\"); return \"found\"; }} catch (e) {{ return \"missing\"; }} }})()"
        );
        // The console shows the returned string: `found` or `missing`.
        let found = console(&mut self.dev, &probe)?.contains("found");
        self.modules.insert(name.into(), found);
        Some(found)
    }
}

/// Evaluate `code` in the device's console realm; the line it printed as its result.
fn console(dev: &mut crate::simulator::SimDevice, code: &str) -> Option<String> {
    let seq = dev.rt.device().borrow().log.next_seq();
    dev.rt.console_eval(code.as_bytes());
    for _ in 0..10_000 {
        if !dev.rt.poll().busy {
            break;
        }
    }
    let d = dev.rt.device();
    let d = d.borrow();
    let line = d.log.since(seq).last().map(|l| l.text.trim().to_string());
    line
}

std::thread_local! {
    static PROBE: RefCell<Option<Probe>> = const { RefCell::new(None) };
}

/// Run `f` with this thread's probe realm (made on first use).
fn with_probe<T>(f: impl FnOnce(&mut Probe) -> T) -> T {
    PROBE.with(|p| {
        let mut p = p.borrow_mut();
        let probe = p.get_or_insert_with(Probe::new);
        f(probe)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_device_realm_defines_its_apis() {
        let g = super::with_probe(|p| p.globals.clone());
        for name in ["print", "Shelly", "Timer", "JSON", "Math", "globalThis"] {
            assert!(g.contains(name), "{name} missing from {g:?}");
        }
    }
}
