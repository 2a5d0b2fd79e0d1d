#!/usr/bin/env bash
# The load test (docs/reliability.md): the gateway in its own process, the
# simulators of Assessio and Kombo as its upstreams with faults injected,
# Kombo orders sent at a steady rate while Assessio sends the results back,
# then reconcile and a ledger check. Arguments go to `assessio load`, e.g.
#
#   scripts/load.sh                      # 60 s at 10 orders/s (about 90 s in all)
#   scripts/load.sh --quick              # a few seconds
#   scripts/load.sh --duration 120 --rate 20 --connections 8
#
# The load comes from wrk (Debian's package), installed here when missing if
# this runs as root with apt-get; otherwise `assessio load` uses its built-in
# generator and says so. The table goes to stdout, the JSON to target/load.json.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing wrk (Debian's package)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }; then
      echo "could not install wrk; the built-in generator will be used" >&2
    fi
  else
    echo "wrk is not installed (apt-get install wrk); the built-in generator will be used" >&2
  fi
fi

exec cargo run --release --quiet -p assessio-host -- load "$@"
