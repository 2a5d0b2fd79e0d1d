#!/usr/bin/env bash
# Property-based API fuzzing of the gateway against docs/openapi.json
# (docs/api-fuzzing.md): schemathesis, pinned in
# scripts/api-fuzz-requirements.txt, generates requests from the spec and
# checks every answer of the real gateway (spin.toml on this project's
# wasmtime host, the simulators as upstreams, all on loopback) against it.
#
#   scripts/api-fuzz.sh
#
# Installs schemathesis from PyPI into target/api-fuzz-venv (once; again when
# the requirements change), then runs host-test/cli/tests/api_fuzz.rs, which
# starts the stack and runs schemathesis. Needs Python 3.10 or newer and the
# wasm32-wasip2 target (installed through rustup when missing). Reports,
# the generated config and the gateway's log land in target/api-fuzz/.
# API_FUZZ_MAX_EXAMPLES (default 100 per operation and phase) and
# API_FUZZ_CHECKS (default: every check the spec can promise; `all` adds the
# rest) change the run. Exits 1 when schemathesis finds anything.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

venv="target/api-fuzz-venv"
requirements="scripts/api-fuzz-requirements.txt"
python="${PYTHON:-python3}"

step "schemathesis ($requirements) in $venv"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "api-fuzz: schemathesis needs Python 3.10 or newer; $python is $("$python" --version 2>&1)" >&2
  exit 2
fi
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
# Reinstall only when the pins changed since the last install.
stamp="$venv/.requirements"
if ! cmp -s "$requirements" "$stamp"; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
fi
"$venv/bin/st" --version

step "toolchain"
if ! rustup target list --installed | grep -qx wasm32-wasip2; then
  rustup target add wasm32-wasip2
fi

step "the gateway on loopback, fuzzed by schemathesis (host-test/cli/tests/api_fuzz.rs)"
log="target/api-fuzz.log"
status=0
SCHEMATHESIS="$PWD/$venv/bin/st" \
  cargo test -p assessio-host --test api_fuzz -- --ignored --nocapture 2>&1 | tee "$log" || status=$?

summary="$(grep '^api-fuzz: [0-9]* operations' "$log" | tail -n 1 || true)"
if [ "$status" -eq 0 ]; then
  echo "${summary:-api-fuzz: passed}; passed"
else
  echo "${summary:-api-fuzz: no summary (see $log)}; FAILED" >&2
  exit 1
fi
