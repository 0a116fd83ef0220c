#!/usr/bin/env bash
# optimize bench --executor slurm on a real single-node Slurm cluster
# (tests/helpers/slurm-up.sh): a 3-target suite gives the same table
# structure, statuses and instruction counts as the local executor; the
# target whose build breaks is a row with its reason and its task's log;
# rows name their node; an exported API key reaches sbatch's environment and
# no file; scancel of one pending array task, then `optimize bench DIR
# --resume`: only that target runs again.
#
# When the daemons cannot start the test fails with the reason; with
# OPTIMIZE_TEST_NO_SLURM=1 it prints the reason and exits 77 (skipped).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind
helpers=$OPTIMIZE_TESTS_DIR/helpers
# Physical paths: the jobs' --chdir and the task logs see no symbolic links.
P=$(cd "$T" && pwd -P)
S=$P/slurm
at_exit '"$helpers/slurm-down.sh" "$S" >/dev/null 2>&1'
if ! up=$("$helpers/slurm-up.sh" "$S" 2>&1); then
  if [ "${OPTIMIZE_TEST_NO_SLURM:-0}" = 1 ]; then
    echo "SKIP: no Slurm cluster here (OPTIMIZE_TEST_NO_SLURM=1): $up"
    exit 77
  fi
  fail "the Slurm cluster did not start (set OPTIMIZE_TEST_NO_SLURM=1 to skip): $up"
fi
# shellcheck source=/dev/null
. "$S/env"
ok "cluster up"

# make_target DIR ARG: a tiny deterministic program.
make_target() {
  mkdir -p "$1"
  cat >"$1/p.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;
	unsigned long s = 0;
	for (long i = 0; i < n; i++)
		s += (unsigned long)(i * i) % 7;
	printf("%lu\n", s);
	return 0;
}
C
  cat >"$1/optimize.json" <<J
{"name": "p", "editable": ["p.c"], "outputs": ["p"], "build": "\$CC \$CFLAGS -o p p.c \$LDFLAGS",
 "cflags": "-O0", "run": "./p $2", "verify": [{"run": "./p 17"}], "timeout_s": 60}
J
}
make_target "$P/suite/alpha" 3000
make_target "$P/suite/beta" 2000
cp -r "$FIXTURES/nobuild" "$P/suite/nobuild"
common=(--proposer none --objective instructions --counters cachegrind --no-presets --no-profile)

# --- the same suite, local and through Slurm -----------------------------------
run_optimize bench suite --output "$P/local" "${common[@]}"
assert_rc 0 "the local executor"
cp "$out" "$T/local.md"
export OPTIMIZE_T0901_API_KEY=sk-t0901-SECRET-$$
run_optimize bench suite --output "$P/out" "${common[@]}" --executor slurm \
  --export OPTIMIZE_T0901_API_KEY --sbatch-arg=--comment=t0901 --executor-opt poll=0.3
assert_rc 0 "the Slurm executor"
cp "$err" "$T/slurm.err"
assert_grep "$T/slurm.err" "slurm: submitted array job [0-9]+ \\(--array=0-2\\), after probe job [0-9]+" \
  "one array job for the three targets, after the probe"
assert_grep "$T/slurm.err" "slurm: $P/out is shared with the nodes \\(probe job [0-9]+ read it on " \
  "the probe read the submitter's file"
assert_grep "$T/slurm.err" "slurm: 3 of 3 targets done" "progress from the cluster"
assert_grep "$P/out/slurm/array.sh" '^#SBATCH --exclusive$' "exclusive nodes"
assert_grep "$P/out/slurm/array.sh" '^#SBATCH --comment=t0901$' "--sbatch-arg in the script"
python3 - "$P/local/table.json" "$P/out/table.json" "$T/local.md" "$P/out/table.md" <<'EOF' ||
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ma, mb = (open(p).read().splitlines() for p in sys.argv[3:5])
head = lambda m: [l for l in m if l.startswith("| target |")]
assert head(ma) == head(mb) and head(ma), (head(ma), head(mb))
assert sorted(a.keys()) == sorted(b.keys()), (a.keys(), b.keys())
# Decisions, not absolute counts: a Slurm task's environment (SLURM_*
# variables) changes a program's start-up, so its count, by the same amount
# for the original and the best.
key = lambda r: (r["name"], r["status"], r.get("speedup"), r.get("winner"), r.get("correct"), r.get("unit"))
ka, kb = [key(r) for r in a["rows"]], [key(r) for r in b["rows"]]
assert ka == kb, (ka, kb)
assert [r["name"] for r in b["rows"]] == ["alpha", "beta", "nobuild"], kb
assert a["aggregate"] == b["aggregate"], (a["aggregate"], b["aggregate"])
EOF
  fail "Slurm's table differs from the local one"
ok "through Slurm: the same columns, rows, statuses, decisions, speedups and aggregate as local"

j=$P/out/table.json
host=$(hostname)
[ "$(json_get "$j" "sorted(set(r.get('host') for r in d['rows']))")" = "['$host']" ] ||
  fail "each row names its node: $(json_get "$j" "[r.get('host') for r in d['rows']]")"
reason=$(json_get "$j" "d['rows'][2]['reason']")
[[ $reason == *"does not build"*"; log: $P/out/slurm/logs/task-2."*".log" ]] ||
  fail "the broken target's reason and log: $reason"
log=${reason##*; log: }
assert_grep "$log" "does not build" "the task's log holds the build failure"
ok "rows name their node; the broken target's row has its reason and its task's log"

if grep -rq "SECRET-$$" "$P/out" "$P/local"; then
  grep -rl "SECRET-$$" "$P/out" "$P/local" >&2
  fail "the exported key is in a file"
fi
ok "the exported key is in no file of DIR (scripts, state, logs, journal)"

# --- scancel of one pending task, then --resume ---------------------------------
run_optimize bench suite --output "$P/r" "${common[@]}" --executor slurm --max-parallel 1 --detach
assert_rc 0 "--detach returns at once"
job=$(sed -nE 's/.*submitted array job ([0-9]+).*/\1/p' "$err")
[ -n "$job" ] || fail "no job id in: $(cat "$err")"
assert_grep "$err" "--resume. collects the results" "--detach says how to collect"
[ ! -e "$P/r/table.md" ] || fail "--detach renders no table yet"
# The array waits for the probe (afterok): every task is still pending.
scancel "${job}_1" || fail "scancel ${job}_1"
for _ in $(seq 300); do
  [ -z "$(squeue -h -j "$job" -t PD,R,CG -o %i 2>/dev/null)" ] && break
  sleep 0.2
done
[ -z "$(squeue -h -j "$job" -t PD,R,CG -o %i)" ] || fail "job $job still queued: $(squeue -j "$job")"
starts() { grep -c "\"record\":\"start\",\"task\":$1," "$P/r/journal.jsonl" || true; }
[ "$(starts 0) $(starts 1) $(starts 2)" = "1 0 1" ] || fail "before --resume, starts: $(starts 0) $(starts 1) $(starts 2)"
run_optimize bench "$P/r" --resume --executor-opt poll=0.3
assert_rc 0 "--resume"
assert_grep "$err" "beta: slurm task ${job}_1 is gone without a result" "the cancelled task is named"
assert_grep "$err" "submitted array job [0-9]+ \\(--array=1%1\\)$" "only the cancelled target is submitted again"
[ "$(starts 0) $(starts 1) $(starts 2)" = "1 1 1" ] || fail "after --resume, starts: $(starts 0) $(starts 1) $(starts 2)"
[ "$(json_get "$P/r/table.json" "[r['name'] for r in d['rows']]")" = "['alpha', 'beta', 'nobuild']" ] ||
  fail "the resumed table has every target once"
run_optimize bench "$P/r" --resume
assert_rc 0 "--resume with nothing left"
assert_no_grep "$err" "submitted" "nothing is submitted when every target has its row"
ok "scancel of a pending task, then --resume: only that target runs again; finished ones never"

run_optimize bench "$P/local" --resume
assert_rc 2 "--resume of a folder without a Slurm submission"
assert_grep "$err" "has no Slurm submission" "says why"
ok "--resume without a submission is a usage error"
finish
