#!/usr/bin/env python3
"""Benchmarks of the virtual device (`ferrite device`) on loopback:

  rpc-http   RPC round trips per second over HTTP (`POST /rpc` Shelly.GetDeviceInfo), measured
             by wrk (Debian) with 1 connection (latency-bound) and 4 connections, bounded in time.
  rpc-ws     RPC round trips per second over one WebSocket (`/rpc`), request after answer
             (tools/bench/ws-rpc.mjs, node's WebSocket client).
  idle-mem   Resident memory of the idle device after boot (VmRSS / VmHWM from /proc).
  jitter     Timer jitter: a script's 10 ms repeating timer measures how late each tick is, while
             a second script burns CPU in every turn (a timer every 1 ms running a 50 000-iteration
             loop). Milliseconds (Date.now() resolution).

Usually run via `scripts/bench.sh --device`, which builds the release binary first.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MD_BEGIN = "<!-- device-bench:begin -->"
MD_END = "<!-- device-bench:end -->"


def target_dir():
    return Path(os.environ.get("CARGO_TARGET_DIR") or Path.home() / ".cache" / "ferrite-target")


class Device:
    """A `ferrite device` process with a temporary data directory and an HTTP port."""

    def __init__(self, binary):
        self.data = tempfile.mkdtemp(prefix="ferrite-bench-")
        self.proc = subprocess.Popen(
            [str(binary), "device", "--data", self.data, "--http", "127.0.0.1:0"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.time() + 20
        self.port = None
        while time.time() < deadline:
            line = self.proc.stderr.readline().decode(errors="replace")
            if not line:
                break
            m = re.search(r"http: listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.close()
            raise SystemExit("device_bench: the device did not report its HTTP port")
        # Drain stderr so the device never blocks on a full pipe.
        import threading
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()

    def rpc(self, method, params=None):
        body = json.dumps({"id": 1, "method": method, "params": params or {}}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/rpc", data=body, method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            frame = json.loads(r.read())
        if "error" in frame:
            raise RuntimeError(f"{method}: {frame['error']}")
        return frame.get("result")

    def memory(self):
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        get = lambda k: int(re.search(rf"^{k}:\s+(\d+) kB", status, re.M).group(1))
        return get("VmRSS"), get("VmHWM")

    def close(self):
        try:
            self.proc.kill()
            self.proc.wait(timeout=5)
        finally:
            shutil.rmtree(self.data, ignore_errors=True)


def wrk(port, connections, seconds):
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua.write('wrk.method = "POST"\nwrk.body = \'{"id":1,"method":"Shelly.GetDeviceInfo"}\'\n'
              'wrk.headers["Content-Type"] = "application/json"\n')
    lua.close()
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", lua.name, f"http://127.0.0.1:{port}/rpc"],
        capture_output=True, text=True, timeout=seconds + 30,
    ).stdout
    os.unlink(lua.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, int(errors.group(1)) if errors else 0


def ws_round_trips(port, seconds):
    out = subprocess.run(
        ["node", "--experimental-websocket", "--no-warnings", str(Path(__file__).parent / "ws-rpc.mjs"), str(port), str(seconds)],
        capture_output=True, text=True, timeout=seconds + 30,
    )
    if out.returncode != 0:
        raise SystemExit(f"device_bench: ws-rpc.mjs failed: {out.stderr}")
    return float(out.stdout.strip())


JITTER_SCRIPT = """
let last = Date.now(), n = 0, sum = 0, max = 0, lates = [];
Timer.set(10, true, function () {
  let now = Date.now();
  let late = now - last - 10;
  last = now;
  if (late < 0) late = 0;
  n++; sum += late; if (late > max) max = late;
  if (lates.length < 2000) lates.push(late);
});
function stats() {
  let s = lates.slice().sort(function (a, b) { return a - b; });
  return JSON.stringify({ticks: n, mean: sum / n, p99: s[Math.floor(s.length * 0.99)], max: max});
}
"""

BUSY_SCRIPT = """
Timer.set(1, true, function () { let x = 0; for (let i = 0; i < 50000; i++) x += i; });
"""


def jitter(dev, seconds):
    ids = []
    for name, code in (("jitter", JITTER_SCRIPT), ("busy", BUSY_SCRIPT)):
        sid = dev.rpc("Script.Create", {"name": name})["id"]
        dev.rpc("Script.PutCode", {"id": sid, "code": code})
        ids.append(sid)
    for sid in ids:
        dev.rpc("Script.Start", {"id": sid})
    time.sleep(seconds)
    r = dev.rpc("Script.Eval", {"id": ids[0], "code": "stats()"})
    for sid in ids:
        dev.rpc("Script.Stop", {"id": sid})
    return json.loads(r["result"])


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ferrite", type=Path, default=target_dir() / "release" / "ferrite")
    p.add_argument("--seconds", type=int, default=5, help="duration of each timed measurement")
    p.add_argument("--markdown", metavar="FILE", help="write the table between the device-bench markers of FILE")
    a = p.parse_args(argv)
    rows = []
    dev = Device(a.ferrite)
    try:
        time.sleep(1.0)
        rss, hwm = dev.memory()
        rows.append(("idle-mem", f"VmRSS {rss} KiB, VmHWM {hwm} KiB", "/proc/<pid>/status 1 s after boot"))
        for c in (1, 4):
            rps, errs = wrk(dev.port, c, a.seconds)
            note = f"wrk -t1 -c{c} -d{a.seconds}s, POST /rpc Shelly.GetDeviceInfo"
            if errs:
                note += f" ({errs} non-2xx)"
            rows.append((f"rpc-http c={c}", f"{rps:,.0f} round trips/s", note))
        ws = ws_round_trips(dev.port, a.seconds)
        rows.append(("rpc-ws", f"{ws:,.0f} round trips/s", f"one WebSocket (node client), request after answer, {a.seconds} s"))
        j = jitter(dev, a.seconds)
        rows.append(("jitter", f"mean {j['mean']:.2f} ms, p99 {j['p99']} ms, max {j['max']} ms",
                     f"10 ms timer, {j['ticks']} ticks, beside a script looping 50k iterations every 1 ms"))
    finally:
        dev.close()
    table = ["| measurement | result | how |", "|---|---|---|"]
    table += [f"| {a_} | {b} | {c} |" for a_, b, c in rows]
    text = "\n".join(table)
    print(text)
    if a.markdown:
        md = Path(a.markdown).read_text()
        if MD_BEGIN in md and MD_END in md:
            pre, rest = md.split(MD_BEGIN, 1)
            _, post = rest.split(MD_END, 1)
            md = pre + MD_BEGIN + "\n" + text + "\n" + MD_END + post
        else:
            md += "\n" + MD_BEGIN + "\n" + text + "\n" + MD_END + "\n"
        Path(a.markdown).write_text(md)


if __name__ == "__main__":
    main(sys.argv[1:])
