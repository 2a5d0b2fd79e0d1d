#!/usr/bin/env bash
# The Node example from a fresh clone: build the plugin component (cargo, via
# examples/build-plugin.sh),
# install jco from the npm registry (as package-lock.json pins it),
# transpile the component into generated/, run the tests (node --test).
# `bash examples/node-hub/run.sh --start` also runs the walk-through (hub.mjs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

step() { printf '\n==> node-hub: %s\n' "$*"; }

bash "$root/examples/build-plugin.sh" node-hub

step "node $(node --version), npm $(npm --version)"
node -e '
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    console.error(`jco 1.35 needs Node ^20.19 or >=22.12; this is ${process.version}`);
    process.exit(1);
  }'

cd "$here"
# `npm install` held to the lock, rather than `npm ci`: which other
# platforms' builds of jco's native optional dependencies (darwin, win32,
# musl, ...) the npm registry lists here changes from day to day, so the
# lock cannot list them all, and `npm ci` refuses a lock that misses one.
# lock-check.mjs then compares what matters: every package installed on this
# platform, version and integrity, must be the locked one (jco's own and
# everything it runs with); entries for other platforms are ignored. The
# committed lock is put back either way, so the work tree stays clean.
step "npm install (jco from the npm registry, as package-lock.json pins it)"
locked="$(mktemp)"
trap 'cp "$locked" package-lock.json; rm -f "$locked"' EXIT
cp package-lock.json "$locked"
npm install --no-audit --no-fund
node lock-check.mjs "$locked" package-lock.json

step "npm run build (jco transpile → generated/)"
npm run --silent build
ls generated

step "npm test (node --test)"
npm test --silent

if [ "${1:-}" = "--start" ]; then
  step "npm start (hub.mjs)"
  npm start --silent
fi
