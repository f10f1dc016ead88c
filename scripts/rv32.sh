#!/usr/bin/env bash
# The engine on the ESP32-C3's instruction set: firmware/rv32-qemu (the engine built with the
# firmware's target, flags, size profile and allocator) run bare-metal by QEMU's `virt` machine
# (qemu-system-riscv32, Debian's qemu-system-misc, installed when missing), through
# tools/rv32/run.py:
# - the engine's golden scripts, each output compared with its .out as on the host;
# - the benchmark workloads (../shared/bench, tools/bench/workloads), outputs compared with
#   expected.txt; with --table, their instruction counts (exact under `-icount shift=0`), the
#   realm's heap as the chip's allocator counts it and each one's heap peak (docs/BENCHMARKS.md).
# Exit status 1 on any output that differs, any trap, panic or hang.
#
# usage: scripts/rv32.sh [--table] [--goldens | --workloads]   (default: both)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if ! command -v qemu-system-riscv32 >/dev/null 2>&1; then
    echo "==> installing qemu-system-misc (Debian) for qemu-system-riscv32"
    install_debian_packages qemu-system-misc
fi

firmware_size_build firmware/rv32-qemu

args=("$@")
if [[ ! " ${args[*]} " =~ " --goldens " && ! " ${args[*]} " =~ " --workloads " ]]; then
    args+=(--goldens --workloads)
fi
echo "==> the engine's goldens and workloads on RV32IMC under QEMU (tools/rv32/run.py)"
python3 tools/rv32/run.py --elf "$CARGO_TARGET_DIR/riscv32imc-unknown-none-elf/release/ferrite-rv32-qemu" "${args[@]}"
