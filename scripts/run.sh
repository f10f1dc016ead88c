#!/usr/bin/env bash
# Set up what is missing, build the `ferrite` CLI (release) and start the REPL,
# or run a script: scripts/run.sh [FILE.js [ARGS...]]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cargo build --release -p ferrite-host --bin ferrite >&2
FERRITE="$CARGO_TARGET_DIR/release/ferrite"

if [ "$#" -eq 0 ]; then
    exec "$FERRITE" repl
else
    exec "$FERRITE" run "$@"
fi
