#!/usr/bin/env bash
# run-example.sh: bootstrap what is missing, build optimize, and run it on a
# bundled benchmark with the default offline proposer (the compiler-flag and
# PGO search). The benchmark's tree is copied first, so the repository stays
# clean; the result table is printed at the end.
#   scripts/run-example.sh [BENCHMARK]     (default: stencil; see benchmarks/cpu/)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)" --target optimize optimize_cltrace >/dev/null

bench=${1:-stencil}
src=benchmarks/cpu/$bench
[ -f "$src/optimize.json" ] || { echo "run-example: no benchmark '$bench' in benchmarks/cpu/" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/optimize-example.XXXXXX")
cp -r "$src" "$work/"
echo "run-example: optimize run $work/$bench" >&2
build-release/optimize run "$work/$bench" --max-runs 15
echo "run-example: full report in $work/$bench/.optimize/runs/" >&2
