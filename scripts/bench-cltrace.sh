#!/usr/bin/env bash
# bench-cltrace.sh: what the OpenCL interposer costs (a benchmark, not a test).
#
# Builds one bundled OpenCL benchmark in a temporary directory, then runs its
# `run` command N times bare and N times under liboptimize_cltrace.so
# (LD_PRELOAD + OPTIMIZE_CLTRACE_OUT), interleaved (bare, traced, bare, ...)
# after one warm-up of each, and prints the median wall time of each and
# their ratio. The interposer should cost under 3% (ratio < 1.03).
#
#   scripts/bench-cltrace.sh                 # matmul, 10 runs each
#   scripts/bench-cltrace.sh vecadd 20       # another benchmark, 20 runs each
#   OPTIMIZE_CLTRACE_LIB=/path/liboptimize_cltrace.so scripts/bench-cltrace.sh
#
# The library is $OPTIMIZE_CLTRACE_LIB, else build/liboptimize_cltrace.so
# (build it with: cmake --build build --target optimize_cltrace).
# Needs python3 (to read optimize.json) and an OpenCL platform.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
name=${1:-matmul}
runs=${2:-10}
lib=${OPTIMIZE_CLTRACE_LIB:-$root/build/liboptimize_cltrace.so}
src=$root/benchmarks/opencl/$name

if [[ ! -f $lib ]]; then
	echo "bench-cltrace: no interposer at $lib (build the optimize_cltrace target or set OPTIMIZE_CLTRACE_LIB)" >&2
	exit 1
fi
if [[ ! -f $src/optimize.json ]]; then
	echo "bench-cltrace: no benchmark '$name' in benchmarks/opencl" >&2
	exit 1
fi
lib=$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-cltrace.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp -r "$src"/. "$tmp"/
cd "$tmp"

field() { python3 -c 'import json,sys; m=json.load(open("optimize.json")); print(m.get(sys.argv[1], sys.argv[2]))' "$1" "$2"; }
build=$(field build "")
run=$(field run "")
export CC=${CC:-cc} CFLAGS=${CFLAGS:-$(field cflags -O2)} LDFLAGS=${LDFLAGS:-}
sh -c "$build"

# Wall seconds of one run; traced when $1 is 1.
one() {
	local t0 t1
	t0=$(date +%s.%N)
	if [[ $1 == 1 ]]; then
		rm -f trace.jsonl
		LD_PRELOAD=$lib OPTIMIZE_CLTRACE_OUT=$tmp/trace.jsonl sh -c "$run" >/dev/null
	else
		sh -c "$run" >/dev/null
	fi
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.6f\n", $2 - $1 }'
}

one 0 >/dev/null
one 1 >/dev/null
: >bare.txt
: >traced.txt
for ((i = 0; i < runs; i++)); do
	one 0 >>bare.txt
	one 1 >>traced.txt
done
launches=$(grep -c '"type":"kernel"' trace.jsonl || true)

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mb=$(median bare.txt)
mt=$(median traced.txt)
echo "benchmark:      $name ($run), $runs runs each, interleaved, $launches kernel launches traced per run"
echo "median bare:    $mb s"
echo "median traced:  $mt s"
awk -v b="$mb" -v t="$mt" 'BEGIN { r = t / b; printf "ratio:          %.4f (%+.2f%%; target: under +3%%)\n", r, (r - 1) * 100 }'
