#!/usr/bin/env bash
# The fuzz step's own test (ctest FuzzStep.KIND): runs the real `./run fuzz` on the planted target
# (selftest/fuzz_planted.cpp) with one seed. KIND=clean: a harmless seed, the step must pass and
# print its summary line. Any other KIND: the seed is that planted bug, and the step must fail,
# name the reproducer, and the reproducer must hold the planted input.
# usage: fuzz_step_test.sh KIND DIR_OF_fuzz_planted
set -uo pipefail
kind="$1" bin="$2"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/seeds/planted"
if [ "$kind" = clean ]; then
  input="planted but harmless"
else
  input="planted $kind"
fi
printf '%s' "$input" >"$tmp/seeds/planted/seed"

# What libFuzzer names the reproducer of each kind of finding.
case "$kind" in
  crash | ubsan) prefix=crash- ;;
  *) prefix="$kind-" ;;
esac

rc=0
TPULAB_FUZZ_BIN="$bin" TPULAB_FUZZ_TARGETS=planted TPULAB_FUZZ_SEEDS="$tmp/seeds" \
  TPULAB_FUZZ_WORK="$tmp/work" TPULAB_FUZZ_TIMEOUT=3 TPULAB_FUZZ_RSS_LIMIT=256 \
  "$root/run" fuzz 3 >"$tmp/out" 2>&1 || rc=$?
cat "$tmp/out"

fail() {
  echo "FAILED: $*" >&2
  exit 1
}
if [ "$kind" = clean ]; then
  [ "$rc" -eq 0 ] || fail "./run fuzz exited $rc on a clean target"
  grep -qE '^fuzz planted +[0-9]+ executions in [0-9]+ s, no findings$' "$tmp/out" ||
    fail "no summary line"
  exit 0
fi
[ "$rc" -ne 0 ] || fail "./run fuzz exited 0 although the seed is the planted $kind"
grep -q 'error: fuzzing found problems in: planted' "$tmp/out" || fail "no error line"
repro="$(sed -n 's/^  reproducer: //p' "$tmp/out")"
[ -f "$repro" ] || fail "reproducer '$repro' not written"
case "$(basename "$repro")" in
  "$prefix"*) ;;
  *) fail "reproducer '$repro' is not a $prefix* file: the finding was not the planted $kind" ;;
esac
[ "$(cat "$repro")" = "$input" ] || fail "reproducer holds '$(cat "$repro")', not the planted input"
echo "ok: ./run fuzz exited $rc, reproducer $repro"
