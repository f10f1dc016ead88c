#!/usr/bin/env bash
# Benchmarks: Ferrite native vs Ferrite in wasm (node) vs QuickJS in wasm (node), side by side.
#
#   scripts/bench.sh                      all workloads, best of 3, table on stdout
#   scripts/bench.sh --check              outputs must match expected.txt (exit 1 if not); 1 run
#   scripts/bench.sh --runs 5 fib loop    some workloads, best of 5
#   scripts/bench.sh --only quickjs       one engine (no cargo build then)
#   scripts/bench.sh --markdown docs/BENCHMARKS.md   also update the table in the docs
#   scripts/bench.sh --device [--markdown docs/BENCHMARKS.md]   the virtual device's benchmarks
#   scripts/bench.sh --ide [--markdown docs/BENCHMARKS.md]      the browser IDE's figures
#   scripts/bench.sh --flash [--markdown docs/BENCHMARKS.md]    ferrite flash vs esptool on a mock chip
#
# Builds what is needed first (release `ferrite`, the bench-wasm module; cargo is a no-op when
# they are fresh), installs tools/bench's npm packages with `npm ci` when node_modules is missing
# and GNU time (Debian package `time`) when /usr/bin/time is missing, then runs tools/bench/bench.py with all arguments (see `scripts/bench.sh --help`).
# Build outputs go to $CARGO_TARGET_DIR (default: ~/.cache/ferrite-target).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ferrite-target}"

# The virtual device's benchmarks (RPC round trips, idle memory, timer jitter): see
# tools/bench/device_bench.py.
if [ "${1:-}" = "--device" ]; then
  shift
  echo "bench.sh: building ferrite (release)" >&2
  cargo build --quiet --release -p ferrite-host --bin ferrite
  command -v wrk >/dev/null || { echo "bench.sh: wrk is required (Debian package wrk)" >&2; exit 1; }
  exec python3 tools/bench/device_bench.py "$@"
fi

# Flashing: `ferrite flash` vs `esptool write-flash` against esp32-mock-bootloader (PyPI), bytes
# on the wire and wall time, fresh and unchanged re-flash: see tools/bench/flash_bench.py. Installs
# the mock and esptool with pip when missing.
if [ "${1:-}" = "--flash" ]; then
  shift
  echo "bench.sh: building ferrite (release)" >&2
  cargo build --quiet --release -p ferrite-host --bin ferrite
  for tool in esp32-mock-bootloader esptool; do
    command -v "$tool" >/dev/null || python3 -m pip install --quiet "$tool"
  done
  exec python3 tools/bench/flash_bench.py "$@"
fi

# The browser IDE's figures (transfer size, editor ready, first output, virtual-time speed, Run
# on device over WebSocket RPC and over the serial bridge): builds the IDE (scripts/ide.sh
# installs its tools when missing) and the release `ferrite` (the virtual device the Run on
# device figures talk to; $FERRITE_BIN overrides it), runs the metrics spec of the e2e suite
# (e2e/specs/metrics.spec.ts) and prints the table (e2e/metrics-table.mjs).
if [ "${1:-}" = "--ide" ]; then
  shift
  echo "bench.sh: building the IDE (scripts/ide.sh build)" >&2
  bash scripts/ide.sh build
  if [ -z "${FERRITE_BIN:-}" ]; then
    echo "bench.sh: building ferrite (release)" >&2
    cargo build --quiet --release -p ferrite-host --bin ferrite
    export FERRITE_BIN="$CARGO_TARGET_DIR/release/ferrite"
  fi
  metrics="$CARGO_TARGET_DIR/e2e-metrics.json"
  rm -f "$metrics"
  echo "bench.sh: measuring (npx playwright test metrics.spec.ts)" >&2
  status=0
  FERRITE_E2E_METRICS="$metrics" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    npx --no-install playwright test -c e2e/playwright.config.ts metrics.spec.ts || status=$?
  [ -f "$metrics" ] || { echo "bench.sh: no metrics were written ($metrics)" >&2; exit 1; }
  node e2e/metrics-table.mjs "$metrics" "$@"
  if [ "$status" != 0 ]; then
    echo "bench.sh: the metrics spec failed: the table shows only what could be measured" >&2
  fi
  exit "$status"
fi

# Which engines will run (from --only), to build only those.
only="native,wasm,quickjs"
help=0
prev=""
for arg in "$@"; do
  case "$arg" in
    --only=*) only="${arg#--only=}" ;;
    -h|--help) help=1 ;;
  esac
  if [ "$prev" = "--only" ]; then only="$arg"; fi
  prev="$arg"
done
if [ "$help" = 1 ]; then exec python3 tools/bench/bench.py --help; fi

case ",$only," in
  *,native,*)
    echo "bench.sh: building ferrite (release)" >&2
    cargo build --quiet --release -p ferrite-host --bin ferrite
    ;;
esac
case ",$only," in
  *,wasm,*)
    echo "bench.sh: building ferrite_wasm_runner.wasm (profile bench-wasm)" >&2
    cargo build --quiet -p ferrite-wasm-runner --target wasm32-unknown-unknown --profile bench-wasm
    ;;
esac
case ",$only," in
  *,wasm,*|*,quickjs,*)
    command -v node >/dev/null || { echo "bench.sh: node is required" >&2; exit 1; }
    ;;
esac
case ",$only," in
  *,quickjs,*)
    if [ ! -d tools/bench/node_modules ]; then
      echo "bench.sh: installing tools/bench npm packages (npm ci)" >&2
      (cd tools/bench && npm ci --no-audit --no-fund --loglevel=error)
    fi
    ;;
esac

# GNU time measures peak memory without counting the forking Python (see docs/BENCHMARKS.md).
if [ ! -x /usr/bin/time ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "bench.sh: installing GNU time (apt-get install time)" >&2
  { apt-get install -y -qq time || { apt-get update -qq && apt-get install -y -qq time; }; } >/dev/null 2>&1 ||
    echo "bench.sh: could not install GNU time; peak RSS will be an upper bound" >&2
fi

exec python3 tools/bench/bench.py "$@"
