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
# `npm install` held to the lock, rather than `npm ci`: the npm registry as
# reached here serves the Linux (glibc) builds of jco's native optional
# dependencies but answers 404 for the other platforms' (darwin, win32, musl,
# ...), so npm cannot record those in package-lock.json, and `npm ci` then
# refuses the lock as out of sync ("Missing: @rolldown/binding-darwin-x64@
# from lock file"). `npm install` installs the locked versions all the same;
# the check below fails the run, as `npm ci` would, if it had to change the lock.
step "npm install (jco from the npm registry, as package-lock.json pins it)"
locked="$(mktemp)"
trap 'rm -f "$locked"' EXIT
cp package-lock.json "$locked"
npm install --no-audit --no-fund
if ! cmp -s package-lock.json "$locked"; then
  diff "$locked" package-lock.json | head -40 >&2 || true
  cp "$locked" package-lock.json
  echo "package-lock.json does not match package.json: run npm install and commit the lock" >&2
  exit 1
fi

step "npm run build (jco transpile → generated/)"
npm run --silent build
ls generated

step "npm test (node --test)"
npm test --silent

if [ "${1:-}" = "--start" ]; then
  step "npm start (hub.mjs)"
  npm start --silent
fi
