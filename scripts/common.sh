# Shared setup for scripts/*.sh (sourced, not run).
# Puts cargo on PATH, keeps build output outside the clone and installs missing Rust targets.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ -f "$HOME/.cargo/env" ]; then
    # shellcheck disable=SC1091
    . "$HOME/.cargo/env"
fi

if ! command -v cargo >/dev/null 2>&1; then
    if ! command -v rustup >/dev/null 2>&1; then
        echo "==> installing rustup (https://rustup.rs)"
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --default-toolchain none
        # shellcheck disable=SC1091
        . "$HOME/.cargo/env"
    fi
fi

# Build output lives outside the clone (shared by every checkout of this repository).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ferrite-target}"

# The toolchain, its components and targets are pinned in rust-toolchain.toml. Install it if
# this rustup does not do so on first use.
if ! rustup run "$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)" rustc --version \
    >/dev/null 2>&1; then
    echo "==> installing the Rust toolchain from rust-toolchain.toml"
    rustup toolchain install
fi

# Targets are added only if missing.
ensure_targets() {
    local installed
    installed="$(rustup target list --installed 2>/dev/null || true)"
    for target in "$@"; do
        if ! grep -qx "$target" <<<"$installed"; then
            echo "==> installing Rust target $target"
            rustup target add "$target"
        fi
    done
}

# The real peers the tests talk to: mosquitto (Debian), node, aioshelly (PyPI), …. Installed
# only if missing; tests that need them fail loudly if they are still absent.
ensure_test_peers() {
    if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
        echo "==> installing mosquitto (Debian)"
        if [ "$(id -u)" = 0 ]; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q mosquitto mosquitto-clients >/dev/null \
                || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q mosquitto mosquitto-clients >/dev/null; }
        else
            sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q mosquitto mosquitto-clients >/dev/null
        fi
    fi
    # chrony's NTP server: the peer of ferrite-protocols' SNTP client test (run on loopback
    # without touching the system clock).
    if ! command -v chronyd >/dev/null 2>&1 && [ ! -x /usr/sbin/chronyd ]; then
        echo "==> installing chrony (Debian)"
        if [ "$(id -u)" = 0 ]; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q chrony >/dev/null \
                || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chrony >/dev/null; }
        else
            sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chrony >/dev/null
        fi
    fi
    # node's V8: the peer of ferrite-regex's differential test (the IDE's tools need node too).
    if ! command -v node >/dev/null 2>&1; then
        echo "==> installing node (Debian)"
        if [ "$(id -u)" = 0 ]; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null
        else
            sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null
        fi
    fi
    if ! python3 -c 'import aioshelly' >/dev/null 2>&1; then
        echo "==> installing aioshelly (PyPI)"
        python3 -m pip install -q aioshelly
    fi
    # The ROM-loader emulation the flasher tests (firmware/host/tests/flash.rs) run against.
    if ! command -v esp32-mock-bootloader >/dev/null 2>&1; then
        echo "==> installing esp32-mock-bootloader (PyPI)"
        python3 -m pip install -q esp32-mock-bootloader
    fi
    # `esptool image-info` checks the images ferrite-esp-image builds (the mock depends on it).
    if ! command -v esptool >/dev/null 2>&1; then
        echo "==> installing esptool (PyPI)"
        python3 -m pip install -q esptool
    fi
}

# Build a firmware-profile crate (firmware/esp32c3, firmware/rv32-qemu) in release for the chip's
# target. The size build: a pinned nightly with `rust-src`, for `core` and `alloc` rebuilt with the
# firmware's size profile (`-Zbuild-std`, `optimize_for_size`) and panics without locations
# (`-Zlocation-detail=none`): 120 KiB less image (docs/FIRMWARE.md). Installed when missing;
# where no other toolchain can be installed, it builds on the stable one without those flags (the
# same code, about 120 KiB bigger) and says so.
FIRMWARE_NIGHTLY=nightly-2026-05-20
firmware_size_build() {
    local dir="$1"
    ensure_targets riscv32imc-unknown-none-elf
    if ! firmware_nightly_ready; then
        echo "==> installing $FIRMWARE_NIGHTLY with rust-src (the firmware's size build)"
        rustup toolchain install "$FIRMWARE_NIGHTLY" --profile minimal --component rust-src || true
    fi
    if firmware_nightly_ready; then
        echo "==> cargo build --release in $dir ($FIRMWARE_NIGHTLY with -Zbuild-std)"
        (cd "$dir" && cargo "+$FIRMWARE_NIGHTLY" build --release --locked \
            -Zbuild-std=core,alloc -Zbuild-std-features=optimize_for_size \
            --config 'target.riscv32imc-unknown-none-elf.rustflags=["-Zlocation-detail=none"]')
    else
        echo "$FIRMWARE_NIGHTLY cannot be installed here; building $dir on the stable toolchain" \
            "without -Zbuild-std and -Zlocation-detail (about 120 KiB bigger)" >&2
        (cd "$dir" && cargo build --release --locked)
    fi
}
firmware_nightly_ready() {
    rustup run "$FIRMWARE_NIGHTLY" rustc --version >/dev/null 2>&1 \
        && rustup component list --toolchain "$FIRMWARE_NIGHTLY" --installed 2>/dev/null | grep -q '^rust-src'
}

# Debian packages, installed only if missing (as root, or through sudo).
install_debian_packages() {
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null \
            || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
    else
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
    fi
}
