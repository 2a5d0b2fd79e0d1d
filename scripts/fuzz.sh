#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser, signature check and export that
# takes outside bytes, for a bounded time (docs/fuzzing.md).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 30; without targets, all of them run, one
# after another (each libFuzzer process takes one core). Needs the nightly
# toolchain (installed through rustup when missing) and cargo-fuzz (installed
# from crates.io when missing). Each target starts from a copy of
# fuzz/corpus/<target> under target/fuzz-work/, so the repository's seed
# corpus is never written to; crash inputs land in
# target/fuzz-work/artifacts/<target>/. Prints each target's executions and
# findings, then `N targets, N executions, N crashes`; exits 1 on any crash.
#
# FUZZ_SANITIZER=address turns AddressSanitizer on (default none: the code
# is safe Rust, and without it a target runs several times as many inputs).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-30}"
shift || true
case "$seconds" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2 ;;
esac
sanitizer="${FUZZ_SANITIZER:-none}"
work="target/fuzz-work"
build_dir="target/fuzz"

step() { printf '\n==> %s\n' "$*"; }

step "toolchain and cargo-fuzz"
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --version 0.13.2 --locked
fi
cargo +nightly --version
cargo fuzz --version

fuzz() { cargo +nightly fuzz "$@"; }

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(fuzz list --fuzz-dir fuzz)
fi

step "building the targets (release, debug assertions, sanitizer: $sanitizer)"
fuzz build --fuzz-dir fuzz -s "$sanitizer" --target-dir "$build_dir"
# The binaries are run directly, so every target runs the code as built here
# even if the sources change while the script runs.
bin_dir="$build_dir/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

mkdir -p "$work"
total_runs=0
total_crashes=0
summary=()
n=0
for t in "${targets[@]}"; do
  n=$((n + 1))
  corpus="$work/corpus/$t"
  artifacts="$work/artifacts/$t"
  log="$work/$t.log"
  rm -rf "$corpus" "$artifacts" "$log"
  mkdir -p "$corpus" "$artifacts"
  if [ -d "fuzz/corpus/$t" ]; then
    cp fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  fi
  seeds=$(find "$corpus" -type f | wc -l)
  step "[$n/${#targets[@]}] $t: ${seconds}s from $seeds seeds"
  set +e
  "$bin_dir/$t" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 &
  pid=$!
  elapsed=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    elapsed=$((elapsed + 1))
    if [ $((elapsed % 10)) -eq 0 ]; then
      last=$(grep -aoE '^#[0-9]+' "$log" | tail -n 1 || true)
      cov=$(grep -aoE 'cov: [0-9]+' "$log" | tail -n 1 || true)
      printf '  %4ss  %s executions  %s\n' "$elapsed" "${last:-#0}" "${cov:-}"
    fi
  done
  wait "$pid"
  status=$?
  set -e
  runs=$(grep -aoE 'stat::number_of_executed_units: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+$' || true)
  if [ -z "$runs" ]; then
    runs=$(grep -aoE '^Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' || true)
  fi
  runs=${runs:-0}
  crashes=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    crashes=1 # libFuzzer failed without writing an input: count it, and show the log.
  fi
  corpus_now=$(find "$corpus" -type f | wc -l)
  if [ "$crashes" -gt 0 ]; then
    echo "  CRASH ($status): $runs executions; input in $artifacts/, log in $log"
    grep -aE "panicked at|SUMMARY|ERROR" -A2 "$log" | head -n 12 | sed 's/^/    /'
    summary+=("$(printf '%-36s %12s executions  CRASH (%s)' "$t" "$runs" "$artifacts")")
  else
    echo "  ok: $runs executions, corpus $seeds -> $corpus_now inputs"
    summary+=("$(printf '%-36s %12s executions  ok' "$t" "$runs")")
  fi
  total_runs=$((total_runs + runs))
  total_crashes=$((total_crashes + crashes))
done

step "summary (${seconds}s per target, sanitizer: $sanitizer)"
printf '%s\n' "${summary[@]}"
echo "${#targets[@]} targets, $total_runs executions, $total_crashes crashes"
[ "$total_crashes" -eq 0 ]
