#!/usr/bin/env python3
"""Ferrite benchmarks: run each workload as a whole process under several engines, side by side.

Engines (columns):
  native   `ferrite run FILE` (release build)
  wasm     `node tools/bench/run-wasm.mjs ferrite_wasm_runner.wasm FILE` (Ferrite in wasm under node)
  quickjs  `node tools/bench/run-quickjs.mjs FILE` (QuickJS in wasm under node, quickjs-emscripten)

Time is the wall time of the whole process (best of N runs); memory is the peak resident set size
of the process (ru_maxrss from wait4, the maximum over the runs). Usually run via scripts/bench.sh,
which builds what is missing first.
"""

import argparse
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_TOOLS = ROOT / "tools" / "bench"
ENGINES = ["native", "wasm", "quickjs"]
BASELINE = "(empty)"
MD_BEGIN = "<!-- bench:begin -->"
MD_END = "<!-- bench:end -->"


def target_dir():
    return Path(os.environ.get("CARGO_TARGET_DIR") or Path.home() / ".cache" / "ferrite-target")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="bench.py",
        description="Run Ferrite's benchmark workloads natively, in wasm, and under QuickJS-wasm.",
    )
    p.add_argument("workloads", nargs="*", help="workload names (e.g. fib loop); default: all")
    p.add_argument("--runs", type=int, default=None, help="runs per engine and workload, best time kept (default 3; 1 with --check)")
    p.add_argument("--check", action="store_true", help="verify outputs against expected.txt (exit 1 on a mismatch); never fails on timings")
    p.add_argument("--markdown", metavar="FILE", help="also write the results as Markdown (between the bench markers if FILE has them)")
    p.add_argument("--only", metavar="ENGINES", help="comma-separated subset of: " + ",".join(ENGINES))
    p.add_argument("--bench-dir", type=Path, default=ROOT.parent / "shared" / "bench", help="workload directory (default ../shared/bench)")
    p.add_argument("--ferrite", type=Path, help="native binary (default $CARGO_TARGET_DIR/release/ferrite)")
    p.add_argument("--wasm", type=Path, help="wasm module (default $CARGO_TARGET_DIR/wasm32-unknown-unknown/bench-wasm/ferrite_wasm_runner.wasm)")
    p.add_argument("--node", default="node", help="node executable")
    p.add_argument("--timeout", type=float, default=600, help="seconds before a run is killed (default 600)")
    p.add_argument("--no-baseline", action="store_true", help="skip the empty-script row (startup cost and baseline memory)")
    a = p.parse_args(argv)
    a.engines = ENGINES if not a.only else [e.strip() for e in a.only.split(",") if e.strip()]
    for e in a.engines:
        if e not in ENGINES:
            p.error(f"unknown engine {e!r} in --only (choose from {', '.join(ENGINES)})")
    if a.runs is None:
        a.runs = 1 if a.check else 3
    if a.runs < 1:
        p.error("--runs must be at least 1")
    td = target_dir()
    a.ferrite = a.ferrite or td / "release" / "ferrite"
    a.wasm = a.wasm or td / "wasm32-unknown-unknown" / "bench-wasm" / "ferrite_wasm_runner.wasm"
    return a


def command(engine, file, a):
    if engine == "native":
        return [str(a.ferrite), "run", str(file)]
    if engine == "wasm":
        return [a.node, str(BENCH_TOOLS / "run-wasm.mjs"), str(a.wasm), str(file)]
    return [a.node, str(BENCH_TOOLS / "run-quickjs.mjs"), str(file)]


GNU_TIME = "/usr/bin/time"


def have_gnu_time():
    try:
        r = subprocess.run([GNU_TIME, "-f", "%M", "true"], capture_output=True, text=True)
        return r.returncode == 0 and r.stderr.strip().isdigit()
    except OSError:
        return False


def run_once(cmd, timeout, gnu_time):
    """Run cmd as a process: (exit status or None on timeout, stdout, stderr, seconds, max RSS KiB).

    The peak RSS comes from GNU time when it is installed: a process's ru_maxrss also counts the
    memory of the process that forked it, up to its exec, and GNU time is a ~1 MiB process where
    this Python is ~14 MiB (which would hide the peak of a small native run). Without GNU time,
    wait4 on the child gives that upper bound.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode="r", suffix=".rss") as rssfile:
        if gnu_time:
            cmd = [GNU_TIME, "-f", "%M", "-o", rssfile.name, "--"] + cmd
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
        deadline = start + timeout
        while True:
            # wait4 gives the rusage of this very child (RUSAGE_CHILDREN would be a max over all).
            pid, wstatus, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                elapsed = time.perf_counter() - start
                status = os.waitstatus_to_exitcode(wstatus)
                break
            if time.perf_counter() >= deadline:
                os.killpg(proc.pid, 9)
                pid, wstatus, ru = os.wait4(proc.pid, 0)
                elapsed = time.perf_counter() - start
                status = None
                break
            time.sleep(0.001 if time.perf_counter() - start < 1 else 0.01)
        proc.returncode = status if status is not None else -9  # reaped above
        rss = ru.ru_maxrss
        if gnu_time and status is not None:
            lines = rssfile.read().split()
            if lines and lines[-1].isdigit():
                rss = int(lines[-1])
        out.seek(0)
        err.seek(0)
        return status, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"), elapsed, rss


class Result:
    def __init__(self):
        self.best = None  # seconds
        self.rss = 0  # KiB
        self.ok = None  # True / False / None (no expectation)
        self.problem = ""

    def add(self, status, stdout, stderr, secs, rss, expected):
        self.rss = max(self.rss, rss)
        if status is None:
            self.ok, self.problem = False, "timeout"
            return
        if status != 0:
            self.ok = False
            self.problem = f"exit {status}: " + (stderr.strip().splitlines() or [""])[0][:200]
            return
        self.best = secs if self.best is None else min(self.best, secs)
        if expected is not None:
            got = stdout.rstrip("\n")
            if got != expected:
                self.ok = False
                self.problem = f"output {got[:120]!r}, expected {expected!r}"
            elif self.ok is None:
                self.ok = True


def load_expected(bench_dir):
    exp = {}
    for line in (bench_dir / "expected.txt").read_text().splitlines():
        if ":" in line:
            name, out = line.split(":", 1)
            exp[name.strip()] = out.strip()
    return exp


def fmt_ms(r):
    if r is None:
        return "-"
    if r.best is None:
        return "FAIL"
    return f"{r.best * 1000:.0f}"


def fmt_mb(r):
    if r is None or not r.rss:
        return "-"
    return f"{r.rss / 1024:.1f}"


def ratio(res, num, den):
    a, b = res.get(num), res.get(den)
    if a is None or b is None or a.best is None or b.best is None or b.best == 0:
        return None
    return a.best / b.best


def geomean(xs):
    xs = [x for x in xs if x]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def table(rows, engines):
    """rows: list of (name, {engine: Result}). Returns (header, list of row cells, summary lines)."""
    header = ["workload"] + [f"{e} ms" for e in engines]
    show_ratio = "wasm" in engines and "quickjs" in engines
    show_native_ratio = "native" in engines and "quickjs" in engines
    if show_ratio:
        header.append("wasm/quickjs")
    if show_native_ratio:
        header.append("native/quickjs")
    header += [f"{e} MiB" for e in engines] + ["output"]
    body = []
    ratios, native_ratios = [], []
    for name, res in rows:
        cells = [name] + [fmt_ms(res.get(e)) for e in engines]
        r = ratio(res, "wasm", "quickjs")
        nr = ratio(res, "native", "quickjs")
        if name != BASELINE:
            if r is not None:
                ratios.append((r, name))
            if nr is not None:
                native_ratios.append((nr, name))
        if show_ratio:
            cells.append(f"{r:.2f}" if r is not None else "-")
        if show_native_ratio:
            cells.append(f"{nr:.2f}" if nr is not None else "-")
        cells += [fmt_mb(res.get(e)) for e in engines]
        if name == BASELINE:
            status = "-"
        else:
            bad = [e for e in engines if res[e].ok is False]
            status = "OK" if not bad else "MISMATCH " + ", ".join(f"{e} ({res[e].problem})" for e in bad)
        cells.append(status)
        body.append(cells)
    summary = []
    if ratios:
        g = geomean([r for r, _ in ratios])
        worst = max(ratios)
        summary.append(f"wasm/quickjs: geometric mean {g:.2f}, max {worst[0]:.2f} ({worst[1]}) over {len(ratios)} workloads")
    if native_ratios:
        g = geomean([r for r, _ in native_ratios])
        worst = max(native_ratios)
        summary.append(f"native/quickjs: geometric mean {g:.2f}, max {worst[0]:.2f} ({worst[1]})")
    return header, body, summary


def print_text(header, body, summary):
    widths = [max(len(str(r[i])) for r in [header] + body) for i in range(len(header) - 1)]
    def line(cells):
        left = "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
        return left + "  " + str(cells[-1])
    print(line(header))
    print("-" * (sum(widths) + 2 * len(widths) + 6))
    for r in body:
        print(line(r))
    print()
    for s in summary:
        print(s)


def markdown(header, body, summary, a):
    out = []
    out.append(f"Measured {date.today().isoformat()} on {platform.machine()} ({os.cpu_count()} CPUs, shared), "
               f"node {node_version(a.node)}, best of {a.runs} run(s); times in ms (whole process), "
               f"peak RSS in MiB (from {a.rss_source}).")
    out.append("")
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "|".join(["---"] + ["---:"] * (len(header) - 2) + ["---"]) + "|")
    for r in body:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    out.append("")
    for s in summary:
        out.append(f"- {s}")
    return "\n".join(out) + "\n"


def node_version(node):
    try:
        return subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def write_markdown(path, text):
    path = Path(path)
    if path.exists():
        old = path.read_text()
        m = re.search(re.escape(MD_BEGIN) + r".*?" + re.escape(MD_END), old, re.S)
        if m:
            path.write_text(old[: m.start()] + MD_BEGIN + "\n" + text + MD_END + old[m.end():])
            return
    path.write_text(text)


def main(argv):
    a = parse_args(argv)
    expected = load_expected(a.bench_dir)
    files = sorted(a.bench_dir.glob("*.js"))
    if a.workloads:
        wanted = {w[:-3] if w.endswith(".js") else w for w in a.workloads}
        files = [f for f in files if f.stem in wanted]
        missing = wanted - {f.stem for f in files}
        if missing:
            sys.exit(f"bench.py: no such workload(s): {', '.join(sorted(missing))}")
    if not files:
        sys.exit(f"bench.py: no workloads in {a.bench_dir}")
    for e in a.engines:
        need = {"native": a.ferrite, "wasm": a.wasm}.get(e)
        if need is not None and not need.exists():
            sys.exit(f"bench.py: {need} is missing (scripts/bench.sh builds it)")
    if "quickjs" in a.engines and not (BENCH_TOOLS / "node_modules" / "quickjs-emscripten").exists():
        sys.exit("bench.py: tools/bench/node_modules is missing (run `npm ci` in tools/bench, or scripts/bench.sh)")

    gnu_time = have_gnu_time()
    if not gnu_time:
        print("bench.py: warning: GNU time (/usr/bin/time, Debian package `time`) is missing: peak RSS "
              "then includes this Python's ~14 MiB (an upper bound)", file=sys.stderr)
    a.rss_source = "GNU time" if gnu_time else "wait4 (upper bound: includes the forking Python)"
    jobs = []
    with tempfile.TemporaryDirectory() as tmp:
        if not a.no_baseline and not a.check:
            empty = Path(tmp) / "empty.js"
            empty.write_text("")
            jobs.append((BASELINE, empty, None))
        for f in files:
            if f.name not in expected:
                print(f"bench.py: warning: {f.name} has no line in expected.txt", file=sys.stderr)
            jobs.append((f.name, f, expected.get(f.name)))

        rows = []
        for name, f, exp in jobs:
            res = {e: Result() for e in a.engines}
            for _ in range(a.runs):
                for e in a.engines:  # interleaved, so that drifting machine load hits all alike
                    res[e].add(*run_once(command(e, f, a), a.timeout, gnu_time), exp)
            rows.append((name, res))
            cells = "  ".join(f"{e} {fmt_ms(res[e])} ms" for e in a.engines)
            print(f"  {name}: {cells}", file=sys.stderr, flush=True)

    header, body, summary = table(rows, a.engines)
    print()
    print_text(header, body, summary)
    if a.markdown:
        write_markdown(a.markdown, markdown(header, body, summary, a))
        print(f"\nwrote {a.markdown}")

    failures = [(n, e, r[e].problem) for n, r in rows if n != BASELINE for e in a.engines if r[e].ok is False]
    if failures:
        print(f"\n{len(failures)} mismatch(es):")
        for n, e, p in failures:
            print(f"  {n} [{e}]: {p}")
    if a.check:
        checked = sum(1 for n, _ in rows if n != BASELINE) * len(a.engines)
        print(f"\nbench: {checked - len(failures)} passed, {len(failures)} failed")
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
