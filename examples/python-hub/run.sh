#!/usr/bin/env bash
# The Python example from a fresh clone: build the plugin component (cargo, via
# examples/build-plugin.sh),
# make a venv in examples/python-hub/.venv, install wasmtime from PyPI
# (requirements.txt), run the tests (unittest).
# `bash examples/python-hub/run.sh --start` also runs the walk-through (hub.py).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"

step() { printf '\n==> python-hub: %s\n' "$*"; }

bash "$root/examples/build-plugin.sh" python-hub

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
