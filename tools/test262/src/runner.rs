//! Running one test against a fresh [`Engine`], following test262's INTERPRETING.md.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use ferrite_engine::{Config, Engine, JsError, RunOutcome, Value, Vm};

use crate::frontmatter::{Frontmatter, Phase};

/// Instructions given to `Engine::run` per call; the total budget is counted in these steps.
const FUEL_CHUNK: u64 = 1 << 20;

/// Heap budget of each test's engine.
const HEAP_BUDGET: usize = 32 << 20;

/// The harness directory (`harness/*.js`, including subdirectories), loaded once.
pub struct Harness {
    files: HashMap<String, Vec<u8>>,
}

impl Harness {
    pub fn load(dir: &Path) -> std::io::Result<Harness> {
        let mut files = HashMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d)? {
                let path = entry?.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "js") {
                    let rel = path.strip_prefix(dir).unwrap_or(&path);
                    let key = rel.to_string_lossy().replace('\\', "/");
                    files.insert(key, std::fs::read(&path)?);
                }
            }
        }
        Ok(Harness { files })
    }

    fn get(&self, name: &str) -> Result<&[u8], String> {
        self.files
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| format!("harness file {name} not found"))
    }
}

/// How the test source is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    NonStrict,
    /// Prefixed with `"use strict";\n`.
    Strict,
    /// `flags: [raw]`: the source as is, without the harness.
    Raw,
}

/// The modes a test runs in, the primary one first.
pub fn modes(fm: &Frontmatter, both_modes: bool) -> Vec<Mode> {
    if fm.has_flag("raw") {
        vec![Mode::Raw]
    } else if fm.has_flag("onlyStrict") {
        vec![Mode::Strict]
    } else if fm.has_flag("noStrict") || !both_modes {
        vec![Mode::NonStrict]
    } else {
        vec![Mode::NonStrict, Mode::Strict]
    }
}

thread_local! {
    /// What `print` and `console.log` wrote during the current test.
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Output captured during the last test run on this thread (for `--verbose`).
pub fn take_output() -> String {
    OUTPUT.with(|o| String::from_utf8_lossy(&std::mem::take(&mut *o.borrow_mut())).into_owned())
}

fn native_print(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let text = match args.first() {
        Some(&v) => vm.to_string_lossy(v)?,
        None => String::from("undefined"),
    };
    OUTPUT.with(|o| {
        let mut o = o.borrow_mut();
        o.extend_from_slice(text.as_bytes());
        o.push(b'\n');
    });
    Ok(Value::UNDEFINED)
}

fn native_eval_script(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let source = match args.first() {
        Some(&v) => vm.to_string_lossy(v)?,
        None => String::from("undefined"),
    };
    vm.eval_script(source.as_bytes(), "evalScript")
}

fn native_detach_array_buffer(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let buffer = args.first().copied().unwrap_or(Value::UNDEFINED);
    vm.detach_array_buffer(buffer)?;
    Ok(Value::NULL)
}

fn native_gc(vm: &mut Vm, _this: Value, _args: &[Value]) -> Result<Value, Value> {
    vm.collect_garbage();
    Ok(Value::UNDEFINED)
}

fn native_create_realm(vm: &mut Vm, _this: Value, _args: &[Value]) -> Result<Value, Value> {
    Err(vm.type_error("$262.createRealm is not supported"))
}

/// Run after the natives are defined: `$262.global`, and the non-enumerability INTERPRETING.md
/// asks of `print` and `$262`.
const SETUP_JS: &[u8] = b"$262.global = globalThis;\n\
(function () {\n\
  var names = ['print', '$262'];\n\
  for (var i = 0; i < names.length; i++) {\n\
    try { Object.defineProperty(globalThis, names[i], { enumerable: false }); } catch (e) {}\n\
  }\n\
})();\n";

/// Run after `sta.js`: `Test262Error` is not an `Error` subclass, so give its instances a
/// `name` for the engine's uncaught-error report (negative tests with `type: Test262Error`).
const AFTER_STA_JS: &[u8] = b"Object.defineProperty(Test262Error.prototype, 'name', \
{ value: 'Test262Error', writable: true, enumerable: false, configurable: true });\n";

enum ExecError {
    /// `start` failed: a syntax (early) error.
    Compile(JsError),
    /// The script threw or hit a limit.
    Runtime(JsError),
    Timeout,
}

fn exec(engine: &mut Engine, src: &[u8], name: &str, fuel: &mut u64) -> Result<(), ExecError> {
    engine.start(src, name).map_err(ExecError::Compile)?;
    loop {
        if *fuel == 0 {
            return Err(ExecError::Timeout);
        }
        let chunk = (*fuel).min(FUEL_CHUNK);
        match engine.run(chunk) {
            RunOutcome::Finished(_) => return Ok(()),
            RunOutcome::Yielded => *fuel -= chunk,
            RunOutcome::Error(e) => return Err(ExecError::Runtime(e)),
        }
    }
}

fn new_engine() -> Engine {
    // FERRITE_GC_STRESS=1 collects garbage at every safe point: slow, but it turns a value a
    // native forgot to root into a visible failure.
    let gc_stress = std::env::var_os("FERRITE_GC_STRESS").is_some_and(|v| v == "1");
    let mut engine = Engine::new(Config {
        heap_budget: HEAP_BUDGET,
        gc_stress,
        ..Config::default()
    });
    engine.set_output(Box::new(|bytes: &[u8]| {
        OUTPUT.with(|o| o.borrow_mut().extend_from_slice(bytes))
    }));
    engine
}

fn with_prefix(source: &[u8], mode: Mode) -> Vec<u8> {
    let mut src = Vec::with_capacity(source.len() + 16);
    if mode == Mode::Strict {
        src.extend_from_slice(b"\"use strict\";\n");
    }
    src.extend_from_slice(source);
    src
}

/// Run one test in one mode. `Ok(())` = passed; `Err(reason)` = failed.
pub fn run_mode(
    source: &[u8],
    fm: &Frontmatter,
    mode: Mode,
    harness: &Harness,
    name: &str,
    fuel_cap: u64,
) -> Result<(), String> {
    OUTPUT.with(|o| o.borrow_mut().clear());
    let src = with_prefix(source, mode);

    // Parse-phase negative tests: the source must not compile. Nothing else is evaluated.
    if let Some(neg) = fm.negative.as_ref().filter(|n| n.phase == Phase::Parse) {
        let mut engine = new_engine();
        let expected = &neg.error_type;
        return match engine.check(&src, name) {
            Err(e) if &e.name == expected => Ok(()),
            Err(e) => Err(format!("expected {expected} at parse time, got {e}")),
            // The parser accepted it: an early error may still be found by the compiler.
            Ok(()) => match engine.start(&src, name) {
                Err(e) if &e.name == expected => Ok(()),
                Err(e) => Err(format!("expected {expected} at parse time, got {e}")),
                Ok(()) => Err(format!(
                    "expected {expected} at parse time, but it compiled"
                )),
            },
        };
    }

    let mut engine = new_engine();
    engine.define_function("print", 1, native_print);
    engine.define_function("$262.evalScript", 1, native_eval_script);
    engine.define_function("$262.detachArrayBuffer", 1, native_detach_array_buffer);
    engine.define_function("$262.gc", 0, native_gc);
    engine.define_function("$262.createRealm", 0, native_create_realm);

    let mut fuel = fuel_cap;
    let harness_err = |file: &str, e: ExecError| match e {
        ExecError::Compile(e) | ExecError::Runtime(e) => format!("harness {file}: {e}"),
        ExecError::Timeout => format!("harness {file}: timeout"),
    };
    exec(&mut engine, SETUP_JS, "$262-setup", &mut fuel).map_err(|e| harness_err("setup", e))?;
    if mode != Mode::Raw {
        let mut files: Vec<&str> = vec!["assert.js", "sta.js"];
        files.extend(fm.includes.iter().map(String::as_str));
        for file in files {
            let code = harness.get(file)?;
            exec(&mut engine, code, file, &mut fuel).map_err(|e| harness_err(file, e))?;
            if file == "sta.js" {
                exec(&mut engine, AFTER_STA_JS, "sta-setup", &mut fuel)
                    .map_err(|e| harness_err("sta-setup", e))?;
            }
        }
    }

    let result = exec(&mut engine, &src, name, &mut fuel);
    match (&fm.negative, result) {
        (None, Ok(())) => Ok(()),
        (None, Err(ExecError::Compile(e) | ExecError::Runtime(e))) => Err(e.to_string()),
        (_, Err(ExecError::Timeout)) => Err(format!("timeout ({fuel_cap} instructions)")),
        (Some(neg), Ok(())) => Err(format!("expected {}, but no error", neg.error_type)),
        (Some(neg), Err(ExecError::Runtime(e))) if e.name == neg.error_type => Ok(()),
        (Some(neg), Err(ExecError::Runtime(e))) => {
            Err(format!("expected {}, got {e}", neg.error_type))
        }
        (Some(neg), Err(ExecError::Compile(e))) => Err(format!(
            "expected {} at runtime, got a compile-time {e}",
            neg.error_type
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontmatter::parse;

    #[test]
    fn mode_selection() {
        let fm = |s: &str| parse(&format!("/*---\n{s}\n---*/")).unwrap();
        assert_eq!(modes(&fm(""), false), [Mode::NonStrict]);
        assert_eq!(modes(&fm(""), true), [Mode::NonStrict, Mode::Strict]);
        assert_eq!(modes(&fm("flags: [onlyStrict]"), true), [Mode::Strict]);
        assert_eq!(modes(&fm("flags: [noStrict]"), true), [Mode::NonStrict]);
        assert_eq!(modes(&fm("flags: [raw]"), true), [Mode::Raw]);
        assert_eq!(with_prefix(b"x", Mode::Strict), b"\"use strict\";\nx");
        assert_eq!(with_prefix(b"x", Mode::Raw), b"x");
    }
}
