#!/usr/bin/env bash
# Run every test: formatting, lints, unit and integration tests (with real peers: mosquitto,
# aioshelly), the no_std builds of the shared crates, the test262 fast slice, the benchmark
# check, and the browser IDE's end-to-end tests (release build, then Playwright driving Debian's
# Chromium). Exits non-zero on any failure. This is exactly what CI runs (.ci/run).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_targets wasm32-unknown-unknown riscv32imc-unknown-none-elf
ensure_test_peers

START=$SECONDS
step() {
    echo
    echo "==> $*"
    if ! "$@"; then
        echo
        echo "FAILED ($((SECONDS - START))s): $*"
        exit 1
    fi
}

step cargo fmt --all -- --check
step cargo clippy --workspace --exclude ferrite-sim-worker --exclude ferrite-flash-worker --all-targets -- -D warnings
# ide/core's flash engine is a feature only the flash worker enables.
step cargo clippy -p ferrite-ide-core --features flash --all-targets -- -D warnings
# The browser crates for their real target (the workers are browser glue only).
step cargo clippy -p ferrite-ide -p ferrite-sim-worker -p ferrite-flash-worker --target wasm32-unknown-unknown -- -D warnings
# Device tests talk to real peers (mosquitto, aioshelly): here they must run, not skip.
export FERRITE_REQUIRE_PEERS=1
# (ferrite-ide: its state unit tests run natively; the worker has only browser glue.)
step cargo test --workspace --exclude ferrite-sim-worker --exclude ferrite-flash-worker
# The browser's flash engine against the real esp32-mock-bootloader.
step cargo test -p ferrite-ide-core --features flash
# The shared crates stay no_std: build them for the browser and for the ESP32-C3.
for target in wasm32-unknown-unknown riscv32imc-unknown-none-elf; do
    step cargo build -p ferrite-collections -p ferrite-regex -p ferrite-engine -p ferrite-runtime -p ferrite-protocols -p ferrite-console -p ferrite-flasher -p ferrite-flash-store -p ferrite-rpc-server -p ferrite-net --no-default-features --target "$target"
done
# Image building (std, espflash) also runs in the browser's flash worker.
step cargo build -p ferrite-esp-image --target wasm32-unknown-unknown
# The ESP32-C3 firmware (its own cargo workspace, so the root fmt/clippy do not reach it): built,
# turned into app and merged images by `ferrite image`, both checked by `esptool image-info`.
step bash -c 'cd firmware/esp32c3 && cargo fmt -- --check'
step bash -c 'cd firmware/esp32c3 && cargo clippy --release --locked -- -D warnings'
# The firmware's pin decisions (src/board/pin_plan.rs), compiled for the host by their own crate.
step bash -c 'cd firmware/esp32c3/host-tests && cargo fmt -- --check && cargo clippy --locked --all-targets -- -D warnings && cargo test --locked'
step bash scripts/firmware.sh "$CARGO_TARGET_DIR/firmware-check"
# The engine on the chip's instruction set: built as the firmware builds it, run under QEMU
# (firmware/rv32-qemu); the engine's goldens and the benchmark workloads must print what they
# print on the host.
step bash -c 'cd firmware/rv32-qemu && cargo fmt -- --check && cargo clippy --release --locked -- -D warnings'
step bash scripts/rv32.sh
# Device scripts under GC stress: a value a runtime native forgot to root shows up here.
step env FERRITE_GC_STRESS=1 cargo test --release -p ferrite-runtime --test golden
step cargo run --release -p ferrite-test262 -- --slice fast
# The same slice with the collector running at every safe point: a value some native forgot to
# root shows up as a failure instead of a rare crash.
step env FERRITE_GC_STRESS=1 cargo run --release -p ferrite-test262 -- --slice fast
if [ -x scripts/bench.sh ]; then
    step scripts/bench.sh --check
    step scripts/bench.sh --check --bench-dir tools/bench/workloads
else
    echo
    echo "==> scripts/bench.sh not present, skipping the benchmark check"
fi

# The browser IDE end to end: build it (scripts/ide.sh installs trunk, wasm-bindgen-cli, the npm
# packages of package-lock.json and Chromium when missing), then every Playwright spec in e2e/
# (including the metrics spec, which records figures and never fails on them). The live-device
# specs run the debug `ferrite` binary (e2e/support/device.ts) as real devices on loopback.
step bash scripts/ide.sh build
step cargo build -p ferrite-host --bin ferrite
step env PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 FERRITE_BIN="$CARGO_TARGET_DIR/debug/ferrite" npx --no-install playwright test -c e2e/playwright.config.ts

echo
echo "All tests passed ($((SECONDS - START))s): fmt, clippy, cargo test, wasm32 + riscv32 builds, the engine's goldens and workloads on RV32IMC under QEMU, test262 fast slice (also under GC stress)$([ -x scripts/bench.sh ] && echo ', bench check'), IDE end-to-end tests."
