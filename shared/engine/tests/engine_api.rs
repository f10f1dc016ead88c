//! The embedding API: fuel-bounded runs, interrupts, host calls, errors as values, heap stats.

use std::cell::RefCell;
use std::rc::Rc;

use ferrite_engine::{Config, Engine, RunOutcome, Value, Vm};

fn engine_with_output() -> (Engine, Rc<RefCell<Vec<u8>>>) {
    let mut e = Engine::new(Config::default());
    let out = Rc::new(RefCell::new(Vec::new()));
    let sink = out.clone();
    e.set_output(Box::new(move |b: &[u8]| {
        sink.borrow_mut().extend_from_slice(b)
    }));
    (e, out)
}

#[test]
fn fuel_yields_and_resumes() {
    let (mut e, out) = engine_with_output();
    e.start(
        b"let n = 0; for (let i = 0; i < 100000; i++) n += i; print(n);",
        "fuel.js",
    )
    .unwrap();
    let mut yields = 0;
    loop {
        match e.run(1000) {
            RunOutcome::Yielded => yields += 1,
            RunOutcome::Finished(_) => break,
            RunOutcome::Error(err) => panic!("{err}"),
        }
    }
    assert!(yields > 10, "expected many yields, got {yields}");
    assert_eq!(String::from_utf8_lossy(&out.borrow()), "4999950000\n");
}

#[test]
fn interrupt_stops_a_runaway_script_and_engine_stays_usable() {
    let (mut e, _) = engine_with_output();
    e.start(b"while (true) {}", "spin.js").unwrap();
    assert!(matches!(e.run(10_000), RunOutcome::Yielded));
    e.interrupt();
    match e.run(10_000) {
        RunOutcome::Error(err) => assert_eq!(err.message, "interrupted"),
        other => panic!("expected an interrupt error, got {other:?}"),
    }
    let v = e.eval(b"6 * 7", "after.js").unwrap();
    assert_eq!(v.as_number(), Some(42.0));
}

#[test]
fn interrupt_handle_from_another_thread() {
    let (mut e, _) = engine_with_output();
    let flag = e.interrupt_handle();
    let t = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(20));
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let err = e.eval(b"for (;;) {}", "spin.js").unwrap_err();
    t.join().unwrap();
    assert_eq!(err.message, "interrupted");
}

#[test]
fn errors_carry_script_line_column_and_stack() {
    let (mut e, _) = engine_with_output();
    let err = e
        .eval(b"function f() {\n  null.x;\n}\nf();\n", "err.js")
        .unwrap_err();
    assert_eq!(err.name, "TypeError");
    assert_eq!((err.script.as_str(), err.line), ("err.js", 2));
    assert!(err.stack.contains("at f (err.js:2"), "stack: {}", err.stack);
    let syntax = e.eval(b"let x = ;", "bad.js").unwrap_err();
    assert_eq!((syntax.name.as_str(), syntax.line), ("SyntaxError", 1));
}

fn twice(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let n: f64 = vm.arg_as(args, 0)?;
    vm.to_js(n * 2.0)
}

fn greet(vm: &mut Vm, _this: Value, args: &[Value]) -> Result<Value, Value> {
    let name: Option<String> = vm.arg_as(args, 0)?;
    let bytes: Vec<u8> = vm.arg_as(args, 1)?;
    vm.to_js(format!(
        "hi {} ({} bytes)",
        name.unwrap_or_default(),
        bytes.len()
    ))
}

#[test]
fn natives_and_host_calls() {
    let (mut e, _) = engine_with_output();
    e.define_function("host.twice", 1, twice);
    let f = e
        .eval(b"(function (x) { return host.twice(x) + 1; })", "f.js")
        .unwrap();
    let r = e.call(f, Value::UNDEFINED, &[Value::number(20.0)]).unwrap();
    assert_eq!(r.as_number(), Some(41.0));
    e.define_function("greet", 2, greet);
    let v = e.eval(b"greet('ana', '\\xff\\x00')", "g.js").unwrap();
    assert_eq!(e.display(v), "hi ana (2 bytes)");
}

#[test]
fn heap_stats_and_budget() {
    let mut e = Engine::new(Config {
        heap_budget: 512 * 1024,
        ..Config::default()
    });
    let before = e.heap_stats();
    assert!(before.used > 0 && before.used < before.budget);
    let err = e
        .eval(b"let a = []; while (true) a.push([1, 2, 3, 4]);", "bomb.js")
        .unwrap_err();
    assert!(err.message.contains("out of memory"), "{err}");
    e.collect_garbage();
    assert!(e.heap_stats().collections > 0);
}

/// A rope flattened by a read (its bytes allocated then) counts against the budget: a script
/// that keeps many flattened ropes runs out at about its budget, not at the allocator's end.
#[test]
fn flattened_ropes_count_against_the_budget() {
    let budget = 1 << 20;
    let mut e = Engine::new(Config {
        heap_budget: budget,
        ..Config::default()
    });
    let kept = e
        .eval(
            b"let s = 'a'.repeat(1000), keep = [];
              try { for (let i = 0; i < 10000; i++) { let t = s + i; t.charCodeAt(0); keep.push(t); } }
              catch (e) { if (!(e instanceof RangeError)) throw e; }
              keep.length",
            "ropes.js",
        )
        .unwrap();
    // Each kept string holds about 1,004 bytes: a 1 MiB budget holds about a thousand.
    let n = kept.as_number().unwrap();
    assert!((500.0..1100.0).contains(&n), "kept {n} flattened ropes");
}

/// The budget is what the script may allocate beyond the realm's built-ins: a realm with a
/// budget far below the built-ins' size starts with all of it free, and a script that
/// allocates more gets a catchable out-of-memory error at about that much.
#[test]
fn the_heap_budget_counts_beyond_the_built_ins() {
    let budget = 16 * 1024;
    let mut e = Engine::new(Config {
        heap_budget: budget,
        ..Config::default()
    });
    let start = e.heap_stats();
    assert_eq!(start.free, budget, "{start:?}");
    assert!(
        start.used > budget,
        "the built-ins alone take more: {start:?}"
    );
    let grown = e
        .eval(
            b"let a = [], caught = false;
              try { while (true) a.push({ s: 'payload ' + a.length }); }
              catch (e) { caught = e instanceof RangeError; }
              caught ? a.length : -1",
            "fill.js",
        )
        .unwrap();
    let n = grown.as_number().unwrap();
    // Each entry is an object, a string and an array slot: well over 64 bytes, under 512.
    assert!(
        n > (budget / 512) as f64 && n < (budget / 64) as f64,
        "{n} objects fitted in a {budget}-byte budget"
    );
}

#[test]
fn value_is_eight_bytes() {
    assert_eq!(std::mem::size_of::<Value>(), 8);
}

#[test]
fn gc_stress_collects_at_every_safe_point_and_keeps_values_alive() {
    let mut e = Engine::new(Config {
        gc_stress: true,
        ..Config::default()
    });
    let src = b"let keep = [];
        for (let i = 0; i < 200; i++) keep.push({ i, s: 'v' + i, a: [i, [i]] });
        const m = new Map(keep.map(o => [o.s, o]));
        const sorted = keep.slice().sort((x, y) => y.i - x.i).map(o => JSON.stringify(o));
        sorted[0] + ' ' + m.get('v7').a[1][0] + ' ' + keep.filter(o => o.i % 2).length";
    let v = e.eval(src, "stress.js").unwrap();
    assert_eq!(
        e.display(v),
        "{\"i\":199,\"s\":\"v199\",\"a\":[199,[199]]} 7 100"
    );
    assert!(e.heap_stats().collections > 500, "{:?}", e.heap_stats());
}

#[test]
fn startup_footprint_stays_small() {
    // Every script gets its own realm on a device: the built-ins' heap must stay small.
    let e = Engine::new(Config::default());
    let s = e.heap_stats();
    // 68,360 bytes on a 64-bit host since natives live in their objects with lazy `name` and
    // `length`, and the tables are compacted after set-up (120,296 before);
    // firmware/net/tests/boot_heap.rs measures the real allocations, the runtime's API included.
    assert!(
        s.used < 76 * 1024,
        "built-ins use {} bytes in {} cells",
        s.used,
        s.objects
    );
}

/// With a stack floor (a microcontroller's small stack), deep nesting fails with an error at the
/// floor instead of overflowing the native stack, whatever the count limits allow: parsing,
/// JSON, natives calling back into JavaScript. Runs on a thread whose stack ends not far below
/// the floor: without it, these scripts would overflow that stack.
#[test]
fn deep_nesting_stops_at_the_stack_floor() {
    const STACK: usize = 16 << 20;
    const ROOM: usize = 512 << 10;
    let run = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(|| {
            let here = 0u8;
            let base = std::hint::black_box(&here) as *const u8 as usize;
            let mut e = Engine::new(Config {
                max_nesting: 1_000_000,
                ..Config::default()
            });
            e.set_stack_floor(base - ROOM);
            let mut results = Vec::new();
            // 20,000 parentheses: far beyond the thread's stack without the floor.
            let parens = format!("{}1{}", "(".repeat(20_000), ")".repeat(20_000));
            results.push(match e.eval(parens.as_bytes(), "parens.js") {
                Ok(_) => String::from("parsed"),
                Err(err) => err.message,
            });
            // JSON within its own depth limit (1000) but beyond the room left.
            let json = b"let a = []; for (let i = 0; i < 990; i++) a = [a]; \
                try { JSON.stringify(a); 'done' } catch (e) { String(e) }";
            let v = e.eval(json, "json.js").unwrap();
            results.push(e.display(v));
            let revive = b"let t = '[]'; for (let i = 0; i < 990; i++) t = '[' + t + ']'; \
                try { JSON.parse(t, (k, v) => v); 'done' } catch (e) { String(e) }";
            let v = e.eval(revive, "revive.js").unwrap();
            results.push(e.display(v));
            // Natives calling back: within the native depth limit or at the floor, an error.
            let calls = b"let n = 0; function f() { n++; [0].forEach(f); } \
                try { f(); 'done' } catch (e) { String(e) }";
            let v = e.eval(calls, "calls.js").unwrap();
            results.push(e.display(v));
            // A pattern's groups, built at run time and written as a literal.
            let groups = format!("{}{}", "(".repeat(20_000), ")".repeat(20_000));
            let built =
                format!("try {{ new RegExp('{groups}'); 'done' }} catch (e) {{ String(e) }}");
            let v = e.eval(built.as_bytes(), "regexp.js").unwrap();
            results.push(e.display(v));
            let literal = format!("/{groups}/");
            results.push(match e.eval(literal.as_bytes(), "literal.js") {
                Ok(_) => String::from("parsed"),
                Err(err) => err.message,
            });
            // And the engine goes on.
            let v = e
                .eval(b"[1, 2, 3].map(x => x * 2).join()", "after.js")
                .unwrap();
            results.push(e.display(v));
            results
        })
        .unwrap();
    let results = run.join().expect("no stack overflow");
    assert!(results[0].contains("nesting too deep"), "{results:?}");
    assert!(
        results[1].contains("RangeError: JSON.stringify: nesting too deep"),
        "{results:?}"
    );
    assert!(
        results[2].contains("RangeError: JSON.parse: nesting too deep"),
        "{results:?}"
    );
    assert!(
        results[3].contains("Maximum call stack size exceeded"),
        "{results:?}"
    );
    for r in &results[4..6] {
        let end = &r[r.len().saturating_sub(60)..];
        assert!(r.contains("regular expression"), "{end}");
        assert!(r.contains("nested too deeply"), "{end}");
    }
    assert_eq!(results[6], "2,4,6");
}

/// `new Function` parses its parts under the stack floor too, and a compile (`eval`) starts only
/// with room above it. On a thread whose stack the count limits alone would overflow.
#[test]
fn function_constructor_and_eval_respect_the_stack_floor() {
    let run = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let here = 0u8;
            let base = std::hint::black_box(&here) as *const u8 as usize;
            let mut e = Engine::new(Config::default());
            e.set_stack_floor(base - (256 << 10));
            let src = b"let body = 'return ' + '('.repeat(250) + '0' + ')'.repeat(250); \
                let r = []; \
                try { Function(body); r.push('built') } catch (e) { r.push(e.name) } \
                try { eval(body.slice(7)); r.push('evaluated') } catch (e) { r.push(e.name) } \
                r.push(String(Function('return 6 * 7')())); r.join()";
            let v = e.eval(src, "function.js").unwrap();
            e.display(v)
        })
        .unwrap();
    let r = run.join().expect("no stack overflow");
    assert_eq!(r, "SyntaxError,SyntaxError,42", "{r}");
}

/// Built-in methods are made when first read (a realm does not hold a function object for
/// every method it never uses), and are then ordinary properties: the same object at every
/// read, listed, described, deleted and replaced as before.
#[test]
fn builtin_methods_are_made_on_first_read_and_behave_as_properties() {
    let (mut e, out) = engine_with_output();
    let objects = e.heap_stats().objects;
    e.eval(b"1 + 1", "nothing.js").unwrap();
    assert_eq!(
        e.heap_stats().objects,
        objects,
        "no method made by a script that reads none"
    );
    e.eval(b"Math.floor(1.5)", "one.js").unwrap();
    assert_eq!(e.heap_stats().objects, objects + 1, "one method made");
    // Looking at flags or existence makes none: for-in, `in`, spread, `Object.assign`.
    let before = e.heap_stats().objects;
    e.eval(
        b"var n = 0; for (var k in Math) n++; for (var j in [1, 2]) n++; \
          var c = { ...Math }; Object.assign(c, Math); ('abs' in Math) + n",
        "look.js",
    )
    .unwrap();
    let made = e.heap_stats().objects - before;
    assert!(
        made < 6,
        "{made} objects made by looking (Math alone has 40 methods)"
    );
    // Nor do looks at attributes, or an assignment that replaces a method (the functions that
    // look are read first: they are made then).
    e.eval(
        b"var looks = [JSON.stringify, Math.propertyIsEnumerable, Object.isFrozen, \
          Object.freeze, Object.isSealed, Object.defineProperties];",
        "looks.js",
    )
    .unwrap();
    let before = e.heap_stats().objects;
    e.eval(
        b"var j = JSON.stringify(Reflect); Math.propertyIsEnumerable('abs'); \
          Object.isFrozen(Number); Object.freeze(Number); Object.isFrozen(Number); \
          Object.isSealed(String); Math.fround = 7; String.prototype.trim = 8; \
          Object.defineProperties({}, Math);",
        "attributes.js",
    )
    .unwrap();
    e.eval(b"let isFinite = 1;", "lexical.js").unwrap();
    let made = e.heap_stats().objects - before;
    assert!(
        made <= 3,
        "{made} objects made by looking at attributes (a string and an object are the script's)"
    );
    let frozen = e
        .eval(
            b"var d = Object.getOwnPropertyDescriptor(Number, 'isInteger'); \
              Number.isInteger = null; \
              [Number.isInteger(3), d.writable, d.configurable, typeof d.value].join()",
            "frozen.js",
        )
        .unwrap();
    assert_eq!(e.display(frozen), "true,false,false,function");
    let checks = br#"
        var d = Object.getOwnPropertyDescriptor(Math, 'max');
        print(Math.floor === Math.floor, [].push === Array.prototype.push,
              typeof d.value, d.writable, d.enumerable, d.configurable);
        print(Object.getOwnPropertyNames(Math).indexOf('sqrt') >= 0, 'abs' in Math,
              Math.hasOwnProperty('cbrt'), JSON.stringify(Math, ['floor', 'PI']));
        print(delete Math.round, typeof Math.round, Math.round === undefined);
        Math.trunc = 7; print(Math.trunc);
        print(Array.prototype.map.name, Array.prototype.map.length, String(Math.sign).indexOf('native code') > 0);
        print(Uint8Array.prototype.toString === Array.prototype.toString);
    "#;
    e.eval(checks, "checks.js").unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.borrow()),
        "true true function true false true\ntrue true true {\"PI\":3.141592653589793}\n\
         true undefined true\n7\nmap 1 true\ntrue\n"
    );
}

/// An embedder's function defined under a built-in method not yet made (a helper hung on a
/// method, `"Object.keys.raw"`) goes onto that method, which is made for it, not replaced.
#[test]
fn a_native_defined_under_an_unmade_builtin_method_keeps_the_method() {
    let (mut e, _) = engine_with_output();
    e.define_function("Object.keys.twice", 1, twice);
    let v = e
        .eval(
            b"[typeof Object.keys, Object.keys({ a: 1, b: 2 }).join(), Object.keys.twice(4)].join(' ')",
            "path.js",
        )
        .unwrap();
    assert_eq!(e.display(v), "function a,b 8");
}

/// A built-in method made on first read is not the script's memory: an out-of-memory handler
/// may call one it never used.
#[test]
fn a_method_made_after_the_heap_ran_out_is_not_charged_to_the_script() {
    let (mut e, out) = engine_with_output();
    e.eval(
        b"var keep = []; try { for (;;) keep.push({ a: keep.length }); } \
          catch (err) { print(err instanceof RangeError, Math.hypot(3, 4), Number.isInteger(5)); }",
        "oom.js",
    )
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.borrow()), "true 5 true\n");
}
