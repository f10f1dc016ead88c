//! `ferrite-test262`: runs the test262 conformance suite against ferrite-engine, prints a
//! per-directory table and diffs the failures against `tools/test262/known-failures.txt`.
//!
//! See `ferrite-test262 --help` and docs/CONFORMANCE.md.

mod frontmatter;
mod known;
mod report;
mod runner;
mod select;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use known::Failure;
use report::{Report, TestResult};
use select::{Features, Skip};

const USAGE: &str = "\
usage: ferrite-test262 [OPTIONS] [PATH-FILTER...]

Runs the selected test262 tests (see shared/engine/test262-features.txt) and compares the
failures with tools/test262/known-failures.txt. Exits non-zero on new failures.

PATH-FILTER   only tests whose path (relative to test/) matches at a component boundary,
              e.g. built-ins/Array, language/expressions/class, Array/from

options:
  --suite DIR        the test262 checkout (default: ../shared/test262 next to the workspace)
  --update           rewrite the known-failures list (only entries inside the run's scope)
  --both-modes       also run tests without strictness flags in strict mode
  --slice fast       a deterministic 1-in-8 sample of the suite (for CI)
  --threads N        worker threads (default: available parallelism)
  --fuel N           instruction budget per test (default: 200000000)
  --markdown FILE    write the results table as markdown (between the
                     <!-- test262-results:start/end --> markers if FILE has them)
  --known FILE       the known-failures list (default: tools/test262/known-failures.txt)
  --features FILE    the supported-features list (default: shared/engine/test262-features.txt)
  --verbose          print every failure with its reason, the output and the slowest tests
  -h, --help         this text
";

struct Args {
    suite: PathBuf,
    update: bool,
    both_modes: bool,
    verbose: bool,
    threads: usize,
    fast_slice: bool,
    fuel: u64,
    markdown: Option<PathBuf>,
    known: PathBuf,
    features: PathBuf,
    filters: Vec<String>,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn parse_args() -> Result<Args, String> {
    let root = workspace_root();
    let mut args = Args {
        suite: root.join("../shared/test262"),
        update: false,
        both_modes: false,
        verbose: false,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        fast_slice: false,
        fuel: 200_000_000,
        markdown: None,
        known: root.join("tools/test262/known-failures.txt"),
        features: root.join("shared/engine/test262-features.txt"),
        filters: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            "--suite" => args.suite = value("--suite")?.into(),
            "--update" => args.update = true,
            "--both-modes" => args.both_modes = true,
            "--verbose" | "-v" => args.verbose = true,
            "--threads" => {
                args.threads = value("--threads")?
                    .parse()
                    .map_err(|_| "--threads needs a number")?;
                args.threads = args.threads.max(1);
            }
            "--fuel" => {
                args.fuel = value("--fuel")?
                    .parse()
                    .map_err(|_| "--fuel needs a number")?
            }
            "--slice" => match value("--slice")?.as_str() {
                "fast" => args.fast_slice = true,
                "full" => args.fast_slice = false,
                other => return Err(format!("unknown slice {other:?} (expected fast or full)")),
            },
            "--markdown" => args.markdown = Some(value("--markdown")?.into()),
            "--known" => args.known = value("--known")?.into(),
            "--features" => args.features = value("--features")?.into(),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            _ => args.filters.push(arg),
        }
    }
    Ok(args)
}

/// Every test file under `test/`, as sorted paths relative to it.
fn discover(test_dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![test_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(test_dir).unwrap_or(&path);
                let rel = rel.to_string_lossy().replace('\\', "/");
                if select::is_test_file(&rel) {
                    out.push(rel);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

thread_local! {
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

const WORKER_PREFIX: &str = "test262-worker";

/// Panics in worker threads are expected (engine bugs, `todo!()`): record the location quietly
/// and let the runner report them. Panics elsewhere are runner bugs and use the default hook.
fn install_panic_hook() {
    let default = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let is_worker = std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with(WORKER_PREFIX));
        if is_worker {
            let loc = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()));
            PANIC_LOCATION.with(|p| *p.borrow_mut() = loc);
        } else {
            default(info);
        }
    }));
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let msg = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string payload)".to_string()
    };
    match PANIC_LOCATION.with(|p| p.borrow_mut().take()) {
        Some(loc) => format!("panic: {msg} at {loc}"),
        None => format!("panic: {msg}"),
    }
}

struct Shared {
    args: Args,
    suite_test_dir: PathBuf,
    features: Features,
    harness: runner::Harness,
    paths: Vec<String>,
    next: AtomicUsize,
    /// What each worker is running and since when (for the slow-test watchdog).
    current: Mutex<Vec<Option<(String, Instant)>>>,
}

fn run_one(shared: &Shared, path: &str) -> TestResult {
    let started = Instant::now();
    let mut result = TestResult {
        path: path.to_string(),
        es5id: false,
        skip: None,
        failure: None,
        reason: None,
        output: String::new(),
        millis: 0,
    };
    let source = match std::fs::read(shared.suite_test_dir.join(path)) {
        Ok(s) => s,
        Err(e) => {
            result.skip = Some(Skip::BadFrontmatter(format!("cannot read: {e}")));
            return result;
        }
    };
    let fm = match frontmatter::parse(&String::from_utf8_lossy(&source)) {
        Ok(fm) => fm,
        Err(e) => {
            result.skip = Some(Skip::BadFrontmatter(e));
            return result;
        }
    };
    result.es5id = fm.es5id.is_some();
    if let Err(skip) = select::select(&fm, &shared.features) {
        result.skip = Some(skip);
        return result;
    }
    let name = format!("test/{path}");
    for (i, mode) in runner::modes(&fm, shared.args.both_modes)
        .into_iter()
        .enumerate()
    {
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            runner::run_mode(&source, &fm, mode, &shared.harness, &name, shared.args.fuel)
        }));
        let err = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(reason)) => Some(reason),
            Err(payload) => Some(panic_message(&*payload)),
        };
        let output = runner::take_output();
        if let Some(reason) = err {
            result.failure = Some(if i == 0 {
                Failure::Fails
            } else {
                Failure::StrictOnly
            });
            result.reason = Some(match mode {
                runner::Mode::Strict if i > 0 => format!("[strict] {reason}"),
                _ => reason,
            });
            result.output = output;
            break;
        }
    }
    result.millis = started.elapsed().as_millis().min(u32::MAX as u128) as u32;
    result
}

fn worker(shared: Arc<Shared>, id: usize, tx: mpsc::Sender<TestResult>) {
    loop {
        let i = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(path) = shared.paths.get(i) else {
            break;
        };
        shared.current.lock().unwrap()[id] = Some((path.clone(), Instant::now()));
        let result = run_one(&shared, path);
        shared.current.lock().unwrap()[id] = None;
        if tx.send(result).is_err() {
            break;
        }
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("ferrite-test262: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ferrite-test262: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<ExitCode, String> {
    let test_dir = args.suite.join("test");
    if !test_dir.is_dir() {
        return Err(format!(
            "no test262 suite at {} (use --suite DIR)",
            args.suite.display()
        ));
    }
    let features_text = std::fs::read_to_string(&args.features)
        .map_err(|e| format!("{}: {e}", args.features.display()))?;
    let features = Features::parse(&features_text);
    // Catch typos: every name must be a test262 feature.
    if let Ok(valid) = std::fs::read_to_string(args.suite.join("features.txt")) {
        let valid = Features::parse(&valid);
        let mut unknown: Vec<&str> = features.names().filter(|f| !valid.contains(f)).collect();
        unknown.sort();
        if !unknown.is_empty() {
            eprintln!(
                "warning: {} lists names that are not test262 features: {}",
                args.features.display(),
                unknown.join(", ")
            );
        }
    }
    let harness = runner::Harness::load(&args.suite.join("harness"))
        .map_err(|e| format!("loading the harness: {e}"))?;
    let known_list = match std::fs::read_to_string(&args.known) {
        Ok(text) => known::parse(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeSet::new(),
        Err(e) => return Err(format!("{}: {e}", args.known.display())),
    };

    let all = discover(&test_dir).map_err(|e| format!("listing {}: {e}", test_dir.display()))?;
    let (filters, fast_slice) = (args.filters.clone(), args.fast_slice);
    let in_scope = move |p: &str| {
        select::filters_match(p, &filters) && (!fast_slice || select::in_fast_slice(p))
    };
    let paths: Vec<String> = all.into_iter().filter(|p| in_scope(p)).collect();
    if paths.is_empty() {
        return Err("no tests match the filters".into());
    }

    let threads = args.threads.min(paths.len());
    eprintln!(
        "ferrite-test262: {} tests{}, {threads} threads, suite {}",
        paths.len(),
        if args.fast_slice { " (fast slice)" } else { "" },
        args.suite.display()
    );
    install_panic_hook();
    let total = paths.len();
    let shared = Arc::new(Shared {
        suite_test_dir: test_dir,
        features,
        harness,
        paths,
        next: AtomicUsize::new(0),
        current: Mutex::new(vec![None; threads]),
        args,
    });

    let (tx, rx) = mpsc::channel();
    let mut handles = Vec::new();
    for id in 0..threads {
        let shared = Arc::clone(&shared);
        let tx = tx.clone();
        let handle = std::thread::Builder::new()
            .name(format!("{WORKER_PREFIX}-{id}"))
            .stack_size(64 << 20)
            .spawn(move || worker(shared, id, tx))
            .map_err(|e| format!("spawning a worker: {e}"))?;
        handles.push(handle);
    }
    drop(tx);

    let started = Instant::now();
    let mut results: Vec<TestResult> = Vec::with_capacity(total);
    let mut reported_slow: BTreeSet<String> = BTreeSet::new();
    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    loop {
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok(r) => {
                match (&r.skip, &r.failure) {
                    (Some(_), _) => skipped += 1,
                    (None, None) => passed += 1,
                    (None, Some(_)) => failed += 1,
                }
                results.push(r);
                if results.len().is_multiple_of(1000) {
                    eprintln!(
                        "[{}/{total}] passed {passed}, failed {failed}, skipped {skipped} ({:.0?})",
                        results.len(),
                        started.elapsed()
                    );
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        for (path, since) in shared.current.lock().unwrap().iter().flatten() {
            let secs = since.elapsed().as_secs();
            if secs >= 30 && reported_slow.insert(path.clone()) {
                eprintln!("slow: {path} has been running for {secs}s");
            }
        }
    }
    for h in handles {
        if h.join().is_err() {
            return Err("a worker thread died".into());
        }
    }
    let elapsed = started.elapsed();
    results.sort_by(|a, b| a.path.cmp(&b.path));
    let args = &shared.args;

    let report = Report::new(&results);
    let mode = format!(
        "{}{}",
        if args.both_modes {
            "both modes"
        } else {
            "non-strict (onlyStrict tests strict)"
        },
        if args.fast_slice { ", fast slice" } else { "" }
    );
    let mode = if args.filters.is_empty() {
        mode
    } else {
        format!("{mode}, filters: {}", args.filters.join(" "))
    };
    println!("{}", report.text_table());
    println!("{}", report.summary());
    println!("mode: {mode}; {} tests in {elapsed:.1?}", results.len());
    println!("{}", report.top_skips(8));

    if args.verbose {
        for r in &results {
            if let (None, Some(reason)) = (&r.skip, &r.reason) {
                println!("FAIL {}: {}", r.path, reason);
                for line in r.output.lines().take(20) {
                    println!("    | {line}");
                }
            }
        }
        let mut slow: Vec<&TestResult> = results.iter().filter(|r| r.skip.is_none()).collect();
        slow.sort_by_key(|r| std::cmp::Reverse(r.millis));
        println!("slowest tests:");
        for r in slow.iter().take(15) {
            println!("  {:>7} ms  {}", r.millis, r.path);
        }
    }

    if let Some(md) = &args.markdown {
        report::write_markdown(md, &report, &mode).map_err(|e| format!("{}: {e}", md.display()))?;
        println!("wrote {}", md.display());
    }

    // Compare with the known failures.
    let ran: BTreeMap<String, Option<Failure>> = results
        .iter()
        .filter(|r| r.skip.is_none())
        .map(|r| (r.path.clone(), r.failure))
        .collect();
    let reasons: BTreeMap<&str, &str> = results
        .iter()
        .filter_map(|r| Some((r.path.as_str(), r.reason.as_deref()?)))
        .collect();
    let d = known::diff(&known_list, &ran, &in_scope, args.both_modes);
    let limit = if args.verbose { usize::MAX } else { 100 };
    print_list(
        "NEW PASSES (listed in known-failures.txt, now passing)",
        &d.new_passes,
        limit,
        |_| None,
    );
    print_list(
        "STALE (listed, but not run: removed or unselected)",
        &d.stale,
        limit,
        |_| None,
    );
    print_list(
        "NEW FAILURES (failing, not in known-failures.txt)",
        &d.new_failures,
        limit,
        |e| reasons.get(known::split_entry(e).0).copied(),
    );

    if args.update {
        std::fs::write(&args.known, known::render(&d.updated))
            .map_err(|e| format!("{}: {e}", args.known.display()))?;
        println!(
            "updated {} ({} entries)",
            args.known.display(),
            d.updated.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if !d.new_passes.is_empty() || !d.stale.is_empty() {
        println!("(run with --update to record the new passes)");
    }
    if d.new_failures.is_empty() {
        println!("test262: OK, no new failures");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("test262: {} NEW FAILURES", d.new_failures.len());
        Ok(ExitCode::FAILURE)
    }
}

fn print_list<'a>(
    title: &str,
    items: &'a [String],
    limit: usize,
    reason: impl Fn(&'a str) -> Option<&'a str>,
) {
    if items.is_empty() {
        return;
    }
    println!("{title}: {}", items.len());
    for item in items.iter().take(limit) {
        match reason(item) {
            Some(r) => {
                let r: String = r.lines().next().unwrap_or("").chars().take(200).collect();
                println!("  {item}: {r}");
            }
            None => println!("  {item}"),
        }
    }
    if items.len() > limit {
        println!("  … and {} more (--verbose lists all)", items.len() - limit);
    }
}
