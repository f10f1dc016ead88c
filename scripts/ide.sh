#!/usr/bin/env bash
# The browser IDE: install what is missing, build it, serve it.
#
#   scripts/ide.sh tools      install trunk, wasm-bindgen-cli, npm packages, Chromium (if missing)
#   scripts/ide.sh build      build the IDE into dist/ (release)
#   scripts/ide.sh serve [ADDR]  serve dist/ (default 127.0.0.1:8000)
#
# trunk cannot download its helpers here: wasm-bindgen-cli is installed at exactly the version
# in Cargo.lock and wasm-opt comes from npm's binaryen@132, first on PATH (Debian's binaryen
# silently produces a broken module). Both are pinned in Trunk.toml [tools].
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_npm_packages() {
    if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/monaco-editor/min/vs ] \
        || [ ! -d node_modules/@playwright/test ]; then
        echo "==> installing npm packages (package-lock.json)"
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null
    fi
}

ensure_trunk() {
    if ! trunk --version 2>/dev/null | grep -qx "trunk $TRUNK_VERSION"; then
        echo "==> installing trunk $TRUNK_VERSION (cargo install; takes a while)"
        cargo install trunk --locked --version "$TRUNK_VERSION" --config profile.release.lto=false
    fi
}

ensure_wasm_bindgen() {
    if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WASM_BINDGEN_VERSION"; then
        echo "==> installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (matches Cargo.lock)"
        cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --force
    fi
}

ensure_chromium() {
    if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
        echo "==> installing chromium and chromium-driver (Debian)"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null \
            || { as_root apt-get update -q >/dev/null \
                && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null; }
    fi
}

# The part of Monaco the IDE loads: the editor, its worker bootstrap, the JavaScript language
# service and syntax. Copied into the build by trunk (copy-dir ide/vendor/monaco/vs -> /vs).
prepare_monaco() {
    local src=node_modules/monaco-editor/min/vs dst=ide/vendor/monaco/vs
    if [ ! -f "$dst/.version" ] || ! cmp -s "$dst/.version" node_modules/monaco-editor/package.json; then
        rm -rf "$dst"
        mkdir -p "$dst/language" "$dst/basic-languages"
        cp "$src/loader.js" "$dst/"
        cp -r "$src/editor" "$src/base" "$dst/"
        cp -r "$src/language/typescript" "$dst/language/"
        cp -r "$src/basic-languages/javascript" "$src/basic-languages/typescript" "$dst/basic-languages/"
        cp node_modules/monaco-editor/package.json "$dst/.version"
    fi
}

ensure_tools() {
    ensure_targets wasm32-unknown-unknown
    ensure_npm_packages
    ensure_trunk
    ensure_wasm_bindgen
    ensure_chromium
}

# The service worker's precache list (public/sw.js imports dist/precache.js): every file of the
# build but the entry points and the bundled firmware (megabytes, fetched only when flashing),
# and a build id from their contents, so a new build gets a new
# cache (and the browser sees a changed service worker and installs it).
write_precache_list() {
    local files version
    files="$(cd dist && find . -type f ! -name sw.js ! -name precache.js ! -name index.html ! -name .version ! -path './firmware/*' -printf '%P\n' | LC_ALL=C sort)"
    version="$(cd dist && printf '%s\n' "$files" | xargs sha256sum | sha256sum | cut -c1-16)"
    {
        echo "// Written by scripts/ide.sh build: the files public/sw.js precaches, and the build id."
        echo "self.FERRITE_BUILD = {"
        echo "  version: \"$version\","
        echo "  files: ["
        printf '    "%s",\n' $files
        echo "  ],"
        echo "};"
    } >dist/precache.js
}

build() {
    ensure_tools
    prepare_monaco
    cargo fetch --locked >/dev/null
    trunk build --release --offline
    # The bundled firmware the Flash page offers (trunk cleans dist/, so after it).
    bash "$ROOT/scripts/firmware.sh" dist/firmware
    write_precache_list
}

case "${1:-build}" in
    tools) ensure_tools ;;
    build) build ;;
    serve) exec node tools/serve-ide.mjs dist "${2:-127.0.0.1:8000}" ;;
    *)
        echo "usage: scripts/ide.sh tools|build|serve [ADDR]" >&2
        exit 2
        ;;
esac
