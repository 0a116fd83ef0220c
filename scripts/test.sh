#!/usr/bin/env bash
# test.sh: bootstrap what is missing, build with warnings as errors, and run
# every test through ctest twice: once plainly, once under AddressSanitizer
# and UndefinedBehaviorSanitizer; then a short run of every fuzz harness.
#   scripts/test.sh            all three passes
#   scripts/test.sh dev        the plain pass only
#   scripts/test.sh asan       the sanitizer pass only
#   scripts/test.sh fuzz       the fuzz pass only: scripts/fuzz.sh for
#                              $OPTIMIZE_FUZZ_SECONDS (default 20, 0 skips it)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
jobs=$(nproc 2>/dev/null || echo 2)
passes=("${@:-dev asan fuzz}")
# shellcheck disable=SC2206
passes=(${passes[*]})

for preset in "${passes[@]}"; do
  if [ "$preset" = fuzz ]; then
    [ "${OPTIMIZE_FUZZ_SECONDS:-20}" = 0 ] || scripts/fuzz.sh "${OPTIMIZE_FUZZ_SECONDS:-20}"
    continue
  fi
  echo "== $preset: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== $preset: ctest" >&2
  ctest --preset "$preset" -j "$jobs"
done
