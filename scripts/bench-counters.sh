#!/bin/bash
# bench-counters.sh: what measuring costs. The wall time of a bundled target
# (tests/fixtures/hot) run bare, under counting (`optimize profile --counters
# perf --no-hotspots`), under cpu-clock sampling, and under `perf stat` when
# installed, each the median of N runs, printed with its ratio to bare.
# A benchmark, not a test: numbers vary with the machine and its load.
#
# usage: scripts/bench-counters.sh [N] [SCALE]   (OPTIMIZE_BIN=path/to/optimize)
#   N      runs of each kind (default 5)
#   SCALE  work of the hot fixture (default 100, about 0.3 s)
#
# How each time is taken:
#  bare      ./hot SCALE timed here (date +%s%N around it)
#  counting  the "wall-time" the runner measured around the counted child
#            (--counters perf --json); the same figure from --counters rusage
#            (no counters) is shown as the runner's own baseline
#  sampling  whole `optimize profile --counters rusage` minus the same with
#            --no-hotspots: the sampled run plus its symbolization
#  perf stat `perf stat -e task-clock,page-faults -- ./hot SCALE` timed here
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-5}
scale=${2:-100}
bin=${OPTIMIZE_BIN:-$here/build/optimize}
if [ ! -x "$bin" ]; then
	echo "bench-counters: no optimize binary at '$bin' (build it, or set OPTIMIZE_BIN)" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-counters.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp -r "$here/tests/fixtures/hot" "$tmp/tree"
cat >"$tmp/tree/optimize.json" <<JSON
{
	"version": 1,
	"targets": [{
		"name": "hot",
		"build": "\$CC \$CFLAGS -o hot hot.c \$LDFLAGS",
		"run": "./hot $scale",
		"editable": ["hot.c"]
	}]
}
JSON
cc -O2 -g -o "$tmp/hot" "$tmp/tree/hot.c" || exit 1

now() { date +%s%N; }
# seconds between two now() values
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", (b - a) / 1e9 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
json_wall() {
	python3 -c 'import json,sys; d=json.load(sys.stdin); print([m["value"] for m in d["metrics"] if m["name"]=="wall-time"][0])'
}

bare=() counting=() runner=() sampling=() perfstat=()
for ((i = 0; i < n; i++)); do
	# interleaved, so slow drift of the machine hits every kind alike
	t0=$(now); "$tmp/hot" "$scale" >/dev/null; t1=$(now)
	bare+=("$(secs "$t0" "$t1")")

	counting+=("$("$bin" profile "$tmp/tree" -q --counters perf --no-hotspots --json | json_wall)")
	runner+=("$("$bin" profile "$tmp/tree" -q --counters rusage --no-hotspots --json | json_wall)")

	t0=$(now); "$bin" profile "$tmp/tree" -q --counters rusage --json >/dev/null; t1=$(now)
	"$bin" profile "$tmp/tree" -q --counters rusage --no-hotspots --json >/dev/null; t2=$(now)
	# profile with hotspots = the same + one more run, sampled, and its
	# symbolization: the difference is the sampled run as a whole
	sampling+=("$(awk -v a="$(secs "$t0" "$t1")" -v b="$(secs "$t1" "$t2")" \
		'BEGIN { printf "%.6f", a - b }')")

	if command -v perf >/dev/null 2>&1; then
		t0=$(now)
		perf stat -e task-clock,page-faults -o /dev/null -- "$tmp/hot" "$scale" >/dev/null 2>&1
		t1=$(now)
		perfstat+=("$(secs "$t0" "$t1")")
	fi
done

b=$(printf '%s\n' "${bare[@]}" | median)
row() {
	local name=$1 m
	shift
	if [ $# -eq 0 ]; then
		printf '  %-34s %s\n' "$name" "(not available)"
		return
	fi
	m=$(printf '%s\n' "$@" | median)
	awk -v n="$name" -v m="$m" -v b="$b" \
		'BEGIN { printf "  %-34s %9.4f s   x%.3f  (%+.1f%%)\n", n, m, m / b, (m / b - 1) * 100 }'
}
echo "bench-counters: ./hot $scale, median of $n runs each, on $(nproc) cpu(s)"
row "bare" "${bare[@]}"
row "runner, no counters (rusage)" "${runner[@]}"
row "counting (--counters perf)" "${counting[@]}"
row "sampling (cpu-clock, + symbolize)" "${sampling[@]}"
row "perf stat" "${perfstat[@]}"
echo "targets: counting under 2%, sampling under 5% (issue 3)"
