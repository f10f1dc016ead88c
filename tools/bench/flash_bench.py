#!/usr/bin/env python3
"""Flashing benchmark: `ferrite flash` against `esptool write-flash`, on the same mock chip
(esp32-mock-bootloader, PyPI) and the same image in one run.

For each chip (ESP32-C3 and ESP32-S3 by default) and each tool, three rounds; a round starts a fresh mock and
runs the tool twice against it:

  fresh     the image written to the mock's fresh (erased) flash at 0x10000;
  re-flash  the same, unchanged image written again to the same mock.

Between the tool and the mock sits a byte-counting relay: the relay makes a PTY pair, the tool
opens the relay's PTY, the relay copies every byte both ways between it and the mock's PTY and
counts them (a PTY ignores baud, so the tools' baud changes pass through untouched). Figures:
bytes on the wire (tool to chip, chip to tool), wall time of the tool's process (median of the
rounds). Both tools run at the same baud (--baud, default 460800, which both switch to after
connecting at 115200) with their default compression (zlib level 9 in both) and flasher stub.

The image is generated, deterministic: 1 MiB shaped like an ESP32-C3 app image (an app header
with the chip's id (5 for the C3), then 4 KiB chunks of "code" — 32-bit words drawn from a small instruction
dictionary with random immediates —, string tables, incompressible data (as in embedded
compressed assets or keys), zero-filled .data/.bss images and 0xFF padding at the end).

The bars (issue 6): ours puts no more bytes on the wire than esptool and is no slower; a
re-flash of the unchanged image sends under 5% of its bytes. The table says met / not met; the
exit status is non-zero only when a flash failed, never because of a figure.

Usually run via `scripts/bench.sh --flash`, which builds the release binary first.
"""

import argparse
import os
import random
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import tty
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MD_BEGIN = "<!-- flash-bench:begin -->"
MD_END = "<!-- flash-bench:end -->"
MOCK = "esp32-mock-bootloader"
OFFSET = 0x10000
# The chip ids in app images' extended headers (esptool's IMAGE_CHIP_ID).
CHIP_IDS = {"esp32": 0, "esp32s2": 2, "esp32c3": 5, "esp32s3": 9, "esp32c2": 12, "esp32c6": 13, "esp32h2": 16}


def target_dir():
    return Path(os.environ.get("CARGO_TARGET_DIR") or Path.home() / ".cache" / "ferrite-target")


class BenchError(Exception):
    """A run that could not be carried out (a tool or the mock failed)."""


# ---------------------------------------------------------------------------------------------
# The image


def make_image(chip, size=1 << 20, seed=6):
    """A deterministic app-image-like blob of `size` bytes (see the module doc)."""
    rng = random.Random(seed)
    opcodes = [rng.getrandbits(32) & 0xFFF0_707F for _ in range(384)]
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(3, 10)))
             for _ in range(300)]
    out = bytearray()
    # App image header (esptool's ESPLoader image format): magic, segment count, flash mode
    # (DIO), flash size/frequency, entry point; extended header: WP pin, drive settings, chip id,
    # minimum revision, reserved, hash appended (0).
    out += struct.pack("<BBBBI", 0xE9, 4, 2, 0x20, 0x4038_0080)
    out += struct.pack("<B3sHBHH8sB", 0xEE, b"\0\0\0", CHIP_IDS.get(chip, 5), 0, 0, 0xFFFF, b"\0" * 8, 0)
    body = size - size // 16  # the last 1/16 is 0xFF padding (the image's unused tail)
    kinds = ["code"] * 9 + ["strings"] * 3 + ["random"] * 3 + ["zeros"] * 1
    while len(out) < body:
        kind = rng.choice(kinds)
        chunk = bytearray()
        if kind == "code":
            while len(chunk) < 4096:
                chunk += struct.pack("<I", rng.choice(opcodes) | (rng.getrandbits(12) << 20 if rng.random() < 0.5 else 0))
        elif kind == "strings":
            while len(chunk) < 4096:
                chunk += b" ".join(rng.choice(words) for _ in range(rng.randint(2, 8))) + b"\0"
        elif kind == "random":
            chunk += rng.randbytes(4096)
        else:
            chunk += bytes(4096)
        out += chunk[:4096]
    del out[body:]
    out += b"\xff" * (size - len(out))
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# The mock and the relay


class Mock:
    """A running esp32-mock-bootloader on a PTY of its own (flash kept in memory while it runs)."""

    def __init__(self, chip):
        exe = shutil.which(MOCK)
        if not exe:
            raise BenchError(f"{MOCK} is not installed (pip install {MOCK})")
        self.proc = subprocess.Popen([exe, "run", "--pty", "--chip", chip],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        self.pty = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if line.startswith("/dev/"):
                self.pty = line.strip()
                break
        if self.pty is None:
            self.close()
            raise BenchError(f"{MOCK} printed no PTY path")
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Relay:
    """A PTY pair whose slave the tool opens; copies bytes both ways to the mock's PTY and
    counts them. Holds a slave fd itself so the pair survives the tool closing it between runs."""

    def __init__(self, mock_pty):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.mock = os.open(mock_pty, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.mock)
        self.to_chip = 0
        self.from_chip = 0
        self.lock = threading.Lock()
        self.stop = False
        self.error = None
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def counts(self):
        with self.lock:
            return self.to_chip, self.from_chip

    def reset_counts(self):
        with self.lock:
            self.to_chip = self.from_chip = 0

    def run(self):
        try:
            while not self.stop:
                ready, _, _ = select.select([self.master, self.mock], [], [], 0.1)
                for fd in ready:
                    try:
                        data = os.read(fd, 65536)
                    except OSError:
                        continue  # EIO: no one has the other side open right now
                    if not data:
                        continue
                    dst = self.mock if fd == self.master else self.master
                    view = memoryview(data)
                    while view:
                        n = os.write(dst, view)
                        view = view[n:]
                    with self.lock:
                        if fd == self.master:
                            self.to_chip += len(data)
                        else:
                            self.from_chip += len(data)
        except Exception as e:  # run_tool reports it after the tool exits
            self.error = e

    def close(self):
        self.stop = True
        self.thread.join(timeout=2)
        for fd in (self.master, self.slave, self.mock):
            os.close(fd)


# ---------------------------------------------------------------------------------------------
# The tools


def ferrite_cmd(binary, chip, baud):
    return lambda port, image: [str(binary), "flash", port, str(image), "--offset", hex(OFFSET),
                                "--baud", str(baud), "--chip", chip]


def esptool_cmd(exe, chip, baud):
    return lambda port, image: [exe, "--chip", chip, "--port", port, "--baud", str(baud),
                                "write-flash", hex(OFFSET), str(image)]


def run_tool(name, argv, relay):
    relay.reset_counts()
    started = time.monotonic()
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BenchError(f"{name} could not run: {e}") from e
    wall = time.monotonic() - started
    # Let the last bytes in flight through the relay.
    time.sleep(0.2)
    if relay.error:
        raise BenchError(f"the relay failed: {relay.error}")
    if p.returncode != 0:
        raise BenchError(f"{name} failed (exit {p.returncode}): {' '.join(argv)}\n"
                         f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    to_chip, from_chip = relay.counts()
    return {"wall": wall, "to_chip": to_chip, "from_chip": from_chip, "stdout": p.stdout}


def measure(chip, tools, image, rounds):
    """{tool: {"fresh": [run…], "reflash": [run…]}}"""
    results = {name: {"fresh": [], "reflash": []} for name in tools}
    for r in range(rounds):
        for name, cmd in tools.items():
            mock = Mock(chip)
            relay = Relay(mock.pty)
            try:
                argv = cmd(relay.path, image)
                for kind in ("fresh", "reflash"):
                    run = run_tool(name, argv, relay)
                    results[name][kind].append(run)
                    print(f"flash_bench: {chip} round {r + 1} {name} {kind}: {run['wall']:.2f} s, "
                          f"{run['to_chip']:,} B to chip, {run['from_chip']:,} B from chip",
                          file=sys.stderr)
            finally:
                relay.close()
                mock.close()
    return results


# ---------------------------------------------------------------------------------------------
# The table


def median_run(runs):
    wall = statistics.median(r["wall"] for r in runs)
    to_chip = statistics.median(r["to_chip"] for r in runs)
    from_chip = statistics.median(r["from_chip"] for r in runs)
    spread = max(r["to_chip"] for r in runs) - min(r["to_chip"] for r in runs)
    return wall, int(to_chip), int(from_chip), spread


def kib(n):
    return f"{n / 1024:,.1f} KiB"


def table(chip, results, image_len, baud):
    ours, theirs = results["ferrite"], results["esptool"]
    rows = ["| chip | run | tool | to chip | from chip | wall (median) |", "|---|---|---|---|---|---|"]
    fig = {}
    for kind, label in (("fresh", "fresh flash"), ("reflash", "re-flash, unchanged")):
        for name in ("ferrite", "esptool"):
            wall, to_chip, from_chip, spread = median_run(results[name][kind])
            fig[(name, kind)] = (wall, to_chip + from_chip, to_chip)
            note = f" (±{spread:,} B)" if spread else ""
            rows.append(f"| {chip} | {label} | {name} | {to_chip:,} B{note} | {from_chip:,} B | {wall:.2f} s |")
    bars = []
    for kind, label in (("fresh", "fresh flash"), ("reflash", "re-flash")):
        ow, ob, ot = fig[("ferrite", kind)]
        ew, eb, et = fig[("esptool", kind)]
        bars.append((f"{label}: ferrite's bytes on the wire (both ways) ≤ esptool's", ob <= eb,
                     f"{ob:,} B vs {eb:,} B ({ob / eb:.1%}); to chip alone {ot:,} B vs {et:,} B "
                     f"({ot - et:+,} B)"))
        bars.append((f"{label}: ferrite no slower than esptool", ow <= ew,
                     f"{ow:.2f} s vs {ew:.2f} s ({ow / ew:.0%})"))
    _, _, re_to = fig[("ferrite", "reflash")]
    bars.append((f"re-flash of the unchanged {kib(image_len)} image sends < 5% of its bytes", re_to < image_len * 0.05,
                 f"{re_to:,} B to the chip = {re_to / image_len:.2%} of {image_len:,} B"))
    rows.append("")
    rows.append(f"| bar ({chip}, {baud} baud) | met? | figures |")
    rows.append("|---|---|---|")
    rows += [f"| {b} | {'met' if ok else '**not met**'} | {f} |" for b, ok, f in bars]
    return "\n".join(rows)


def write_markdown(path, text):
    md = Path(path).read_text()
    if MD_BEGIN in md and MD_END in md:
        pre, rest = md.split(MD_BEGIN, 1)
        _, post = rest.split(MD_END, 1)
        md = pre + MD_BEGIN + "\n" + text + "\n" + MD_END + post
    else:
        md += "\n" + MD_BEGIN + "\n" + text + "\n" + MD_END + "\n"
    Path(path).write_text(md)


def tool_versions(esptool):
    v = subprocess.run([esptool, "version"], capture_output=True, text=True).stdout.split()
    m = subprocess.run([sys.executable, "-m", "pip", "show", MOCK], capture_output=True, text=True).stdout
    mv = next((line.split(":", 1)[1].strip() for line in m.splitlines() if line.startswith("Version:")), "?")
    return (v[-1] if v else "?"), mv


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ferrite", type=Path, default=target_dir() / "release" / "ferrite")
    p.add_argument("--esptool", default=shutil.which("esptool") or "esptool")
    p.add_argument("--chip", action="append", help="chip to emulate, repeatable (default: esp32c3 and esp32s3)")
    p.add_argument("--baud", type=int, default=460800)
    p.add_argument("--rounds", type=int, default=3, help="rounds per tool (median)")
    p.add_argument("--markdown", metavar="FILE", help="write the tables between the flash-bench markers of FILE")
    a = p.parse_args(argv)
    chips = a.chip or ["esp32c3", "esp32s3"]
    work = Path(tempfile.mkdtemp(prefix="ferrite-flash-bench-"))
    failed = False
    sections = []
    try:
        for chip in chips:
            image = make_image(chip)
            path = work / f"{chip}-app.bin"
            path.write_bytes(image)
            tools = {"ferrite": ferrite_cmd(a.ferrite, chip, a.baud),
                     "esptool": esptool_cmd(a.esptool, chip, a.baud)}
            try:
                results = measure(chip, tools, path, a.rounds)
            except BenchError as e:
                print(f"flash_bench: {chip}: {e}", file=sys.stderr)
                failed = True
                continue
            sections.append(table(chip, results, len(image), a.baud))
        ev, mv = tool_versions(a.esptool)
        image = make_image(chips[0])
        head = (f"Image: {len(image):,} B generated app-image-like blob at {OFFSET:#x}, the chip's id in its header "
                f"(zlib -9: {len(zlib.compress(image, 9)):,} B); {a.rounds} rounds per tool, each on a fresh "
                f"mock; esptool {ev}, {MOCK} {mv}; {a.baud} baud, both tools' default stub and compression.")
        text = head + "\n\n" + "\n\n".join(sections)
        print(text)
        if a.markdown and sections:
            write_markdown(a.markdown, text)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
