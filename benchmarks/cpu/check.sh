#!/usr/bin/env bash
# check.sh: sanity check of the CPU benchmarks (not a test, and not optimize).
#
# For each benchmark directory (all of them, or those named as arguments) it
# copies the directory to a temporary workspace, runs the manifest's build
# with CC, CFLAGS and LDFLAGS set as optimize sets them, times the `run`
# command (wall seconds), runs every `verify` command twice and checks that
# both runs print the same thing (the benchmarks must be deterministic).
# Any failing command makes the script exit 1. Nothing is written inside the
# source tree.
#
#   benchmarks/cpu/check.sh                    # all, with each manifest's cflags
#   benchmarks/cpu/check.sh matmul triad       # some
#   CFLAGS="-O3 -march=native" benchmarks/cpu/check.sh   # other flags
#   REPEAT=5 benchmarks/cpu/check.sh           # time the run command 5 times
#
# Needs python3 (to read optimize.json) and coreutils `timeout`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repeat=${REPEAT:-1}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/optimize-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Print one manifest field as shell-safe lines: build, cflags, ldflags, run,
# timeout, then each verify command.
fields() {
	python3 - "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
if "targets" in m:
    sys.exit("check.sh: multi-target manifests are not supported: " + sys.argv[1])
for v in (m["build"], m.get("cflags", "-O2"), m.get("ldflags", ""), m["run"],
          str(m.get("timeout_s", 60))):
    print(v.replace("\n", " "))
for v in m.get("verify", []):
    print(v["run"].replace("\n", " "))
PY
}

if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for d in "$here"/*/; do
		[ -f "$d/optimize.json" ] && names+=("$(basename "$d")")
	done
fi

fail=0
printf '%-12s %-28s %10s  %s\n' benchmark run "wall s" verify
for name in "${names[@]}"; do
	src="$here/$name"
	if [ ! -f "$src/optimize.json" ]; then
		echo "check: $name: no optimize.json in $src" >&2
		fail=1
		continue
	fi
	mapfile -t f < <(fields "$src/optimize.json")
	build=${f[0]} run=${f[3]} to=${f[4]}
	verify=("${f[@]:5}")
	ws="$tmp/$name"
	cp -R "$src" "$ws"
	export CC=${CC:-cc}
	cflags=${CFLAGS-${f[1]}} ldflags=${LDFLAGS-${f[2]}}

	if ! (cd "$ws" && CFLAGS="$cflags" LDFLAGS="$ldflags" timeout "$to" sh -c "$build") \
		>"$ws/.build.log" 2>&1; then
		echo "check: $name: build failed: $build" >&2
		cat "$ws/.build.log" >&2
		fail=1
		continue
	fi

	times=()
	ok=1
	for ((r = 0; r < repeat; r++)); do
		t0=$(date +%s.%N)
		if ! (cd "$ws" && timeout "$to" sh -c "$run") >"$ws/.run.out" 2>&1; then
			echo "check: $name: run failed: $run" >&2
			tail -5 "$ws/.run.out" >&2
			ok=0
			break
		fi
		t1=$(date +%s.%N)
		times+=("$(echo "$t1 $t0" | awk '{printf "%.3f", $1 - $2}')")
	done

	nv=0
	for v in "${verify[@]}"; do
		for k in 1 2; do
			if ! (cd "$ws" && timeout "$to" sh -c "$v") >"$ws/.verify$k.out" 2>&1; then
				echo "check: $name: verify failed: $v" >&2
				tail -5 "$ws/.verify$k.out" >&2
				ok=0
				continue 2
			fi
		done
		if ! cmp -s "$ws/.verify1.out" "$ws/.verify2.out"; then
			echo "check: $name: verify output differs between two runs: $v" >&2
			ok=0
			continue
		fi
		nv=$((nv + 1))
	done

	status="$nv/${#verify[@]} ok"
	[ "$ok" = 1 ] || { status="FAILED ($nv/${#verify[@]} ok)"; fail=1; }
	printf '%-12s %-28s %10s  %s\n' "$name" "$run" "${times[*]:-"-"}" "$status"
done
exit $fail
