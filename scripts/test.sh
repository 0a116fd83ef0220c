#!/usr/bin/env bash
# test.sh: bootstrap what is missing, build with warnings as errors, and run
# every test through ctest twice: once plainly, once under AddressSanitizer
# and UndefinedBehaviorSanitizer.
#   scripts/test.sh            both passes
#   scripts/test.sh dev        the plain pass only
#   scripts/test.sh asan       the sanitizer pass only
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
jobs=$(nproc 2>/dev/null || echo 2)
passes=("${@:-dev asan}")
# shellcheck disable=SC2206
passes=(${passes[*]})

for preset in "${passes[@]}"; do
  echo "== $preset: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== $preset: ctest" >&2
  ctest --preset "$preset" -j "$jobs"
done
