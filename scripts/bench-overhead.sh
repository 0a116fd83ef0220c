#!/usr/bin/env bash
# bench-overhead.sh: the CPU time of the optimize process itself (children
# excluded) over a whole `optimize run` of a bundled target, divided by the
# run's wall time. It should stay under 1%: the tool must not compete with
# what it measures. A benchmark script, not a test: it prints figures.
#   scripts/bench-overhead.sh [BENCHMARK]   (default: stencil)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${OPTIMIZE_BIN:-build-release/optimize}
if [ ! -x "$bin" ]; then
  cmake --preset release >/dev/null && cmake --build --preset release -j2 --target optimize optimize_cltrace >/dev/null
fi
bench=${1:-stencil}
work=$(mktemp -d "${TMPDIR:-/tmp}/optimize-overhead.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "benchmarks/cpu/$bench" "$work/"
# /proc/self/stat of a wrapper cannot see the tool's own time; ask the kernel
# for the tool's utime+stime just before it is reaped (it is our direct child).
python3 - "$bin" "$work/$bench" "${@:2}" <<'PY'
import os, sys, time, resource
binary, tree = sys.argv[1], sys.argv[2]
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    os.execv(binary, [binary, "run", tree, "--max-runs", "10", "-q"] + sys.argv[3:])
# waitid with WNOWAIT leaves the child reapable while we read its own times
os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
with open(f"/proc/{pid}/stat") as f:
    fields = f.read().rsplit(")", 1)[1].split()
tick = os.sysconf("SC_CLK_TCK")
own = (int(fields[11]) + int(fields[12])) / tick      # utime + stime of the tool itself
kids = (int(fields[13]) + int(fields[14])) / tick     # cutime + cstime: builds and runs
_, status = os.waitpid(pid, 0)
wall = time.monotonic() - t0
print(f"benchmark          {os.path.basename(tree)}")
print(f"wall time          {wall:.2f} s")
print(f"children CPU       {kids:.2f} s (builds, runs, verifies)")
print(f"optimize own CPU   {own:.3f} s")
print(f"own CPU / wall     {100 * own / wall:.3f} %   (goal: < 1 %)")
print(f"exit status        {os.waitstatus_to_exitcode(status)}")
PY
