#!/usr/bin/env python3
"""Run scripts through the engine built for the ESP32-C3's instruction set (firmware/rv32-qemu),
bare-metal under `qemu-system-riscv32 -M virt`, one QEMU per script:

- the engine's golden scripts (shared/engine/tests/golden/NAME.js), each output compared with
  NAME.out as `cargo test -p ferrite-engine --test golden` compares it on the host (or with
  NAME.rv32.out where a 32-bit target legitimately differs: where a heap budget runs out);
- the benchmark workloads (../shared/bench/*.js and tools/bench/workloads), each output compared
  with the directory's expected.txt, and a table of their instruction counts and heap.

Under `-icount shift=0` the instruction counts are exact and the same on any host; time on the
chip is at least instructions / 160 MHz (one instruction per cycle is the C3's best case; flash
cache misses and multiplies and divides take more). Exit status 1 on any output that differs or
any run that traps, panics or times out.

usage: run.py --elf ELF [--goldens] [--workloads] [--table] [--jobs N]
"""

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODE_GOLDEN = 1
MODE_WORKLOAD = 2
TRAILER = re.compile(rb"\n@@ rv32 setup=(\d+) run=(\d+) realm=(\d+) peak=(\d+)\n$")
CHIP_HZ = 160_000_000
# A run that takes longer is reported as hung (the slowest, strings.js, 49 G instructions, takes
# about 2 minutes on this project's 2-core machine).
TIMEOUT_S = 900


def run_one(qemu, elf, mode, path):
    """Run one script; return (output bytes, figures dict or None, problem or None)."""
    with tempfile.NamedTemporaryFile(suffix=".js") as inp:
        inp.write(path.name.encode() + b"\n" + path.read_bytes())
        inp.flush()
        cmd = [
            qemu, "-M", "virt", "-m", "128M", "-bios", "none", "-kernel", str(elf),
            "-display", "none", "-serial", "stdio", "-monitor", "none",
            "-cpu", "rv32,a=false,f=false,d=false",
            "-icount", "shift=0",
            "-device", f"loader,addr=0x86f00000,data={mode},data-len=4",
            "-device", f"loader,file={inp.name},addr=0x87000000,force-raw=on",
        ]
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return b"", None, f"no end in {TIMEOUT_S} s"
    out = proc.stdout
    m = TRAILER.search(out)
    if proc.returncode != 0 or m is None:
        tail = out[-400:].decode("utf-8", "replace")
        err = proc.stderr.decode("utf-8", "replace").strip()
        return out, None, f"exit status {proc.returncode}: ...{tail} {err}"
    figures = dict(zip(("setup", "run", "realm", "peak"), (int(g) for g in m.groups())))
    return out[: m.start()], figures, None


def differs_only_where_the_budget_ends(host_out, own_out):
    """A NAME.rv32.out may differ from NAME.out only in its last line, where the heap budget
    ran out (the uncaught error's location): everything else must be the host's."""
    host = host_out.read_bytes().splitlines()
    own = own_out.read_bytes().splitlines()
    oom = b"RangeError: out of memory"
    return (len(host) == len(own) and host[:-1] == own[:-1]
            and host[-1].startswith(b"!! ") and own[-1].startswith(b"!! ")
            and host[-1].endswith(oom) and own[-1].endswith(oom))


def run_all(qemu, elf, mode, paths, jobs):
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda p: (p, *run_one(qemu, elf, mode, p)), paths))


def goldens(qemu, elf, jobs):
    directory = ROOT / "shared/engine/tests/golden"
    paths = sorted(directory.glob("*.js"))
    if not paths:
        print(f"no golden scripts in {directory}", file=sys.stderr)
        return 1
    failures = [f"--- {o.name}: no {o.name.removesuffix('.rv32.out')}.js for it"
                for o in sorted(directory.glob("*.rv32.out"))
                if not directory.joinpath(o.name.removesuffix(".rv32.out") + ".js").exists()]
    for path, out, _figures, problem in run_all(qemu, elf, MODE_GOLDEN, paths, jobs):
        # Where the budget runs out can differ on a 32-bit target (heap slots are smaller):
        # such a golden has its own NAME.rv32.out.
        own = path.with_suffix(".rv32.out")
        expected = (own if own.exists() else path.with_suffix(".out")).read_bytes()
        if own.exists() and not differs_only_where_the_budget_ends(path.with_suffix(".out"), own):
            failures.append(f"--- {own.name}: may differ from {path.stem}.out only in its last line, "
                            "both an uncaught out-of-memory error")
            continue
        # golden.rs reads the output as UTF-8 with U+FFFD for bad bytes, as Python does.
        out = out.decode("utf-8", "replace").encode()
        if problem:
            failures.append(f"--- {path.name}: {problem}")
        elif out != expected:
            failures.append(
                f"--- {path.name}\nexpected:\n{expected.decode('utf-8', 'replace')}"
                f"actual:\n{out.decode('utf-8', 'replace')}"
            )
    own = sum(1 for p in paths if p.with_suffix(".rv32.out").exists())
    print(f"rv32 goldens: {len(paths) - len(failures)} of {len(paths)} as expected "
          f"(as on the host; {own} with a NAME.rv32.out of its own)")
    for f in failures:
        print(f)
    return 1 if failures else 0


def expected_lines(directory):
    path = directory / "expected.txt"
    if not path.is_file():
        raise SystemExit(f"rv32: no {path} (the workloads and their expected outputs)")
    lines = {}
    for line in path.read_text().splitlines():
        if ": " in line:
            name, text = line.split(": ", 1)
            lines[name] = text
    return lines


def workloads(qemu, elf, jobs, bench_dirs, table):
    status = 0
    rows = []
    for directory in bench_dirs:
        expected = expected_lines(directory)
        paths = sorted(directory.glob("*.js"))
        names = {p.name for p in paths}
        for name in sorted(set(expected) ^ names):
            print(f"--- {directory}: {name} is {'not in expected.txt' if name in names else 'missing'}")
            status = 1
        for path, out, figures, problem in run_all(qemu, elf, MODE_WORKLOAD, paths, jobs):
            text = out.decode("utf-8", "replace").rstrip("\n")
            if problem:
                print(f"--- {path.name}: {problem}")
                status = 1
                continue
            if text != expected.get(path.name):
                print(f"--- {path.name}: printed {text!r}, expected {expected.get(path.name)!r}")
                status = 1
                continue
            rows.append((path.name, figures))
    print(f"rv32 workloads: {len(rows)} with the expected output")
    if table:
        print()
        print("| workload | instructions to run | at 160 MHz, 1 per cycle | realm set-up | heap peak (realm in) |")
        print("|---|---:|---:|---:|---:|")
        for name, f in rows:
            ms = f["run"] / CHIP_HZ * 1000
            print(f"| {name} | {f['run']:,} | {ms:,.0f} ms | {f['setup']:,} | {f['peak']:,} B |")
        if rows:
            f = rows[0][1]
            print(f"\nrealm: {f['realm']:,} B as esp-alloc counts it, made in {f['setup']:,} instructions")
    return status


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--elf", type=Path, required=True)
    p.add_argument("--qemu", default="qemu-system-riscv32")
    p.add_argument("--goldens", action="store_true")
    p.add_argument("--workloads", action="store_true")
    p.add_argument("--bench-dir", type=Path, action="append",
                   help="workload directories (default ../shared/bench and tools/bench/workloads)")
    p.add_argument("--table", action="store_true", help="print the workloads' figures as a table")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = p.parse_args()
    bench_dirs = args.bench_dir or [ROOT.parent / "shared/bench", ROOT / "tools/bench/workloads"]
    status = 0
    if args.goldens:
        status |= goldens(args.qemu, args.elf, args.jobs)
    if args.workloads:
        status |= workloads(args.qemu, args.elf, args.jobs, bench_dirs, args.table)
    return status


if __name__ == "__main__":
    sys.exit(main())
