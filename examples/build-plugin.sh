#!/usr/bin/env bash
# The plugin component every example loads, from a fresh clone: builds it
# with cargo (adding the wasm32-wasip2 target when missing) where cargo is
# installed, else uses one already built, and fails if there is none.
# Shared by the examples' run.sh so the build command and the component's
# path are written once. `bash examples/build-plugin.sh <example>`: the
# example's name labels the step line, as its own steps are labelled.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
wasm="$root/target/wasm32-wasip2/plugin/assessio_plugin.wasm"

printf '\n==> %s: %s\n' "${1:-examples}" "the plugin component"
if command -v cargo >/dev/null; then
  rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
  (cd "$root" && cargo build -q -p assessio-plugin --features component --target wasm32-wasip2 --profile plugin --locked)
fi
[ -f "$wasm" ] || { echo "no plugin at $wasm and no cargo to build it" >&2; exit 1; }
ls -l "$wasm"
