#!/usr/bin/env bash
# The Python example from a fresh clone: build the plugin component (cargo),
# make a venv in examples/python-hub/.venv, install wasmtime from PyPI
# (requirements.txt), run the tests (unittest).
# `bash examples/python-hub/run.sh --start` also runs the walk-through (hub.py).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
wasm="$root/target/wasm32-wasip2/plugin/assessio_plugin.wasm"
python="${PYTHON:-python3}"

step() { printf '\n==> python-hub: %s\n' "$*"; }

step "the plugin component"
if command -v cargo >/dev/null; then
  rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
  (cd "$root" && cargo build -q -p assessio-plugin --features component --target wasm32-wasip2 --profile plugin --locked)
fi
[ -f "$wasm" ] || { echo "no plugin at $wasm and no cargo to build it" >&2; exit 1; }
ls -l "$wasm"

step "$("$python" --version) venv in .venv, pip install -r requirements.txt"
[ -x "$here/.venv/bin/python" ] || "$python" -m venv "$here/.venv"
"$here/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$here/.venv/bin/python" -m pip list --disable-pip-version-check 2>/dev/null | grep -i '^wasmtime '

cd "$here"
step "the tests (unittest)"
.venv/bin/python test_hub.py

if [ "${1:-}" = "--start" ]; then
  step "hub.py"
  .venv/bin/python hub.py
fi
