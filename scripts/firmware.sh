#!/usr/bin/env bash
# Build the ESP32-C3 firmware (firmware/esp32c3, its own cargo workspace) and make its images
# with Ferrite's own `ferrite image` (firmware/image, the espflash library):
#   OUT/ferrite-esp32c3-app.bin  the app image (for 0x10000)
#   OUT/ferrite-esp32c3.bin      the merged image (bootloader, partition table, app; from 0)
# Both are laid out by firmware/esp32c3/partitions.csv (the app in its factory partition at
# 0x10000, Ferrite's store in its `ferrite` data partition), not espflash's default table.
#   OUT/index.json               the manifest the IDE's Flash page reads (bundled firmware)
# Both images are checked by the real `esptool image-info` (PyPI); any error fails the script.
# Then prints the ELF's section sizes and a per-crate split of .text for the flash budget, and
# the heap the firmware's own Rust side takes at boot and per script, measured on a 32-bit
# target like the chip's (firmware/net/tests/boot_heap.rs built for wasm32-wasip1 and run by
# node's WASI through tools/wasi-run.mjs).
#
# usage: scripts/firmware.sh [OUT]     (default: $FIRMWARE_OUT or dist/firmware)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

OUT="${1:-${FIRMWARE_OUT:-dist/firmware}}"
CHIP_DIR=firmware/esp32c3
ELF="$CARGO_TARGET_DIR/riscv32imc-unknown-none-elf/release/ferrite-esp32c3"
FERRITE="$CARGO_TARGET_DIR/debug/ferrite"
PARTITIONS="$CHIP_DIR/partitions.csv"

if ! command -v esptool >/dev/null 2>&1; then
    echo "==> installing esptool (PyPI)"
    python3 -m pip install -q esptool
fi

# The firmware's version must be the workspace's (the manifest and the banner show it).
version="$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["workspace"]["package"]["version"])' Cargo.toml)"
fw_version="$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["package"]["version"])' "$CHIP_DIR/Cargo.toml")"
if [ "$version" != "$fw_version" ]; then
    echo "firmware.sh: $CHIP_DIR/Cargo.toml has version $fw_version, the workspace $version: make them equal" >&2
    exit 1
fi

echo "==> building the ESP32-C3 firmware ($CHIP_DIR, release)"
firmware_size_build "$CHIP_DIR"

echo "==> building the ferrite CLI (for \`ferrite image\`)"
cargo build -p ferrite-host --bin ferrite

mkdir -p "$OUT"
APP="$OUT/ferrite-esp32c3-app.bin"
MERGED="$OUT/ferrite-esp32c3.bin"
echo "==> ferrite image: $APP, $MERGED"
"$FERRITE" image "$ELF" --chip esp32c3 --partition-table "$PARTITIONS" -o "$APP"
"$FERRITE" image "$ELF" --chip esp32c3 --partition-table "$PARTITIONS" --merge -o "$MERGED"

# esptool exits non-zero on a malformed image; a bad checksum or SHA-256 is only printed as
# "(invalid)", so that is checked too.
check_image() {
    local file="$1" info
    echo "==> esptool image-info $file"
    if ! info="$(esptool --chip esp32c3 image-info "$file" 2>&1)"; then
        echo "$info"
        echo "firmware.sh: esptool rejected $file" >&2
        exit 1
    fi
    echo "$info"
    if grep -qi "invalid" <<<"$info"; then
        echo "firmware.sh: esptool found $file invalid" >&2
        exit 1
    fi
}
check_image "$APP"
check_image "$MERGED"

# The merged image holds the app image at 0x10000, byte for byte.
app_size="$(stat -c %s "$APP")"
if ! cmp -s -n "$app_size" "$APP" <(tail -c +$((0x10000 + 1)) "$MERGED"); then
    echo "firmware.sh: the app in $MERGED (at 0x10000) differs from $APP" >&2
    exit 1
fi

# The merged image holds the firmware's partition table at 0x8000: its `ferrite` data partition
# (where the firmware keeps its store) must be there.
python3 - "$MERGED" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()[0x8000:0x8C00]
parts = []
for i in range(0, len(data), 32):
    e = data[i:i + 32]
    if e[:2] != b"\xaa\x50":
        break
    ty, sub, off, size = e[2], e[3], *struct.unpack_from("<II", e, 4)
    parts.append((e[12:28].rstrip(b"\0").decode(errors="replace"), ty, sub, off, size))
for name, ty, sub, off, size in parts:
    print(f"partition {name:<10} type {ty:#04x} subtype {sub:#04x} at {off:#08x}, {size // 1024} KiB")
if not any(name == "ferrite" and ty == 1 for name, ty, *_ in parts):
    sys.exit("firmware.sh: the merged image's partition table (0x8000) has no `ferrite` data partition")
PY

merged_size="$(stat -c %s "$MERGED")"
python3 - "$OUT/index.json" "$version" "$merged_size" <<'PY'
import json, sys
path, version, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
manifest = {"images": [{"chip": "ESP32-C3", "name": "Ferrite", "version": version,
                        "file": "ferrite-esp32c3.bin", "kind": "merged", "size": size}]}
with open(path, "w") as f:
    json.dump(manifest, f, indent=2)
    f.write("\n")
PY
echo "==> wrote $OUT/index.json (Ferrite $version, merged image $merged_size bytes)"

# The flash and RAM budget (docs/FIRMWARE.md): section sizes, then .text by crate.
echo "==> section sizes of $ELF"
if command -v llvm-size >/dev/null 2>&1; then
    llvm-size -A "$ELF" | grep -v '^\.debug'
elif command -v size >/dev/null 2>&1; then
    size -A "$ELF" | grep -v '^\.debug'
fi
NM="$(command -v llvm-nm || command -v nm || true)"
python3 - "$ELF" "$NM" "$app_size" "$merged_size" <<'PY'
import re, struct, subprocess, sys

elf, nm, app_size, merged_size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
data = open(elf, "rb").read()
# ELF32 little-endian section headers: the loaded sections' sizes (no llvm-size needed).
shoff, = struct.unpack_from("<I", data, 0x20)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
def sh(i):
    return struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize)
strtab = sh(shstrndx)
def name(off):
    s = strtab[4] + off
    return data[s:data.index(b"\0", s)].decode()
sections = {}
for i in range(shnum):
    h = sh(i)
    sections[name(h[0])] = (h[3], h[5])  # addr, size
def size(n):
    return sections.get(n, (0, 0))[1]
text = size(".text")
print(f"budget: .text {text} bytes ({text / 1024:.1f} KiB), .rodata {size('.rodata')}, "
      f".data {size('.data')}, .bss {size('.bss')}, stack {size('.stack')}, "
      f"reclaimed (heap) {size('.dram2_uninit')}")
print(f"budget: app image {app_size} bytes ({app_size / 1024:.1f} KiB), merged image {merged_size} bytes")
if not nm:
    print("budget: no nm found; no per-crate split")
    sys.exit(0)
lo, hi = sections[".text"][0], sections[".text"][0] + text
out = subprocess.run([nm, "--print-size", "--size-sort", "-C", "--radix=d", elf],
                     capture_output=True, text=True, check=True).stdout
crates = {}
for line in out.splitlines():
    parts = line.split(None, 3)
    if len(parts) < 4 or parts[2].lower() != "t":
        continue
    addr, sz, sym = int(parts[0]), int(parts[1]), parts[3]
    if not lo <= addr < hi:
        continue
    # Some names stay half-mangled (`_$LT$ferrite_runtime..api..Family$u20$as$u20$...`).
    for a, b in (("$LT$", "<"), ("$GT$", ">"), ("$u20$", " "), ("$RF$", "&"), ("..", "::")):
        sym = sym.replace(a, b)
    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)::", sym.lstrip("_<&*"))
    crate = m.group(1) if m else "(other)"
    crates[crate] = crates.get(crate, 0) + sz
engine_runtime = crates.get("ferrite_engine", 0) + crates.get("ferrite_runtime", 0)
print(f"budget: engine + runtime .text (symbols by crate) {engine_runtime} bytes ({engine_runtime / 1024:.1f} KiB)")
ours = sum(v for k, v in crates.items() if k in ("ferrite_engine", "ferrite_runtime", "ferrite_protocols", "ferrite_console"))
print(f"budget: engine + runtime + protocols + console .text (symbols by crate) {ours} bytes ({ours / 1024:.1f} KiB)")
network = sum(v for k, v in crates.items() if k in ("ferrite_rpc_server", "ferrite_net", "smoltcp", "esp_radio"))
print(f"budget: network .text (rpc-server, ferrite-net, smoltcp, esp-radio's Rust side; the radio blobs are not symbols of a crate) {network} bytes")
for crate, sz in sorted(crates.items(), key=lambda kv: -kv[1])[:14]:
    print(f"  {crate:<28} {sz:>9} bytes")
PY

# The RAM budget: what the firmware's own boot and each script's realm take from the heap, on a
# 32-bit target (the allocations are the same code's; the chip's radio is not in it).
echo "==> the firmware's heap at boot and per script (32-bit: wasm32-wasip1 under node's WASI)"
ensure_targets wasm32-wasip1
CARGO_TARGET_WASM32_WASIP1_RUNNER="node --no-warnings $PWD/tools/wasi-run.mjs" \
    cargo test --locked -p ferrite-net --target wasm32-wasip1 --test boot_heap -- --nocapture --test-threads=1
