#!/usr/bin/env bash
# Freezes what the project's own host (`assessio call`, wasmtime in Rust)
# answers to each example in examples/calls/hubs/, as the tests' expected
# answers. Run it after a deliberate change to a hub adapter, and commit the
# diff with that change.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../../.."
cargo build -q -p assessio-host
for input in examples/calls/hubs/*.json; do
  name="$(basename "$input" .json)"
  target/debug/assessio call "$name" --input "$input" > "$here/$name.json"
done
ls "$here"/*.json | wc -l
