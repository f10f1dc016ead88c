#!/usr/bin/env bash
# Set up what is missing, build the `ferrite` CLI (release) and start Ferrite:
#
#   scripts/run.sh             the IDE on http://127.0.0.1:8000 (FERRITE_IDE to change; built
#                              by scripts/ide.sh, which installs its tools if missing) and the
#                              virtual device: console on this terminal, HTTP/WebSocket RPC on
#                              http://127.0.0.1:8080 (FERRITE_HTTP to change), which also
#                              serves the IDE at /ide/, data in ~/.local/share/ferrite/device
#                              (FERRITE_DATA to change). In the IDE: Device → WebSocket RPC →
#                              127.0.0.1:8080 → Connect.
#   scripts/run.sh FILE.js     run one script with the engine alone
#   scripts/run.sh repl        the engine-only REPL
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cargo build --release -p ferrite-host --bin ferrite >&2
FERRITE="$CARGO_TARGET_DIR/release/ferrite"

if [ "$#" -eq 0 ]; then
    "$ROOT/scripts/ide.sh" build >&2
    node "$ROOT/tools/serve-ide.mjs" "$ROOT/dist" "${FERRITE_IDE:-127.0.0.1:8000}" >&2 &
    IDE_PID=$!
    trap 'kill $IDE_PID 2>/dev/null' EXIT
    DATA="${FERRITE_DATA:-$HOME/.local/share/ferrite/device}"
    mkdir -p "$DATA"
    "$FERRITE" device --data "$DATA" --http "${FERRITE_HTTP:-127.0.0.1:8080}" --ide "$ROOT/dist"
elif [ "$1" = repl ]; then
    exec "$FERRITE" repl
else
    exec "$FERRITE" run "$@"
fi
