#!/usr/bin/env bash
# optimize bench --executor slurm on a real single-node Slurm cluster, the
# ways a wait ends early: Ctrl-C with --cancel-on-interrupt cancels the
# suite's jobs (exit 130); Ctrl-C without it, off a terminal, leaves them
# running and says how to resume; a DIR the probe job does not see as the
# submitter wrote it is a clear error, and the array job is cancelled.
#
# When the daemons cannot start the test fails with the reason; with
# OPTIMIZE_TEST_NO_SLURM=1 it prints the reason and exits 77 (skipped).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

helpers=$OPTIMIZE_TESTS_DIR/helpers
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

mkdir -p "$P/suite"
for name in a b; do
  cp -r "$FIXTURES/nobuild" "$P/suite/$name"
done
common=(--proposer none --no-presets --executor slurm --executor-opt poll=0.2)

# queued JOB: the job still has tasks pending or running
queued() { [ -n "$(squeue -h -j "$1" -t PD,R,CG -o %i 2>/dev/null)" ]; }

# interrupt DIR [OPTIONS]: start the waiting command, Ctrl-C it once its
# array job is queued (held back 30 s by --begin); sets rc, job, err
interrupt() {
  local dir=$1 pid
  shift
  err=$T/int.$ntests.err
  "$OPTIMIZE_BIN" bench suite --output "$dir" "${common[@]}" --sbatch-arg=--begin=now+30 "$@" \
    >"$T/int.out" 2>"$err" </dev/null &
  pid=$!
  for _ in $(seq 300); do
    grep -q 'submitted array job' "$err" && break
    sleep 0.1
  done
  job=$(sed -nE 's/.*submitted array job ([0-9]+).*/\1/p' "$err")
  [ -n "$job" ] || { kill "$pid"; fail "no submission: $(cat "$err")"; }
  sleep 0.5
  kill -INT "$pid"
  set +e
  wait "$pid"
  rc=$?
  set -e
}

interrupt "$P/c" --cancel-on-interrupt
[ "$rc" = 130 ] || fail "Ctrl-C: exit $rc, not 130: $(cat "$err")"
assert_grep "$err" "cancelled 2 Slurm jobs" "--cancel-on-interrupt cancels the probe and the array"
for _ in $(seq 50); do queued "$job" || break; sleep 0.2; done
queued "$job" && fail "job $job is still queued: $(squeue -j "$job")"
ok "Ctrl-C with --cancel-on-interrupt: scancel, exit 130"

interrupt "$P/k"
[ "$rc" = 130 ] || fail "Ctrl-C: exit $rc, not 130: $(cat "$err")"
assert_grep "$err" "the Slurm tasks go on; .optimize bench $P/k --resume. collects them" "says how to resume"
queued "$job" || fail "job $job was cancelled without --cancel-on-interrupt"
scancel "$job"
ok "Ctrl-C off a terminal without --cancel-on-interrupt: the tasks go on"

# The probe sees another token than the one this command wrote: as if DIR
# on the node were another folder.
run_optimize bench suite --output "$P/n" "${common[@]}" --sbatch-arg=--begin=now+3 --detach
assert_rc 0 "--detach"
job=$(sed -nE 's/.*submitted array job ([0-9]+).*/\1/p' "$err")
echo 0123456789abcdef0123456789abcdef >"$P/n/slurm/probe"
run_optimize bench "$P/n" --resume
assert_rc 2 "a DIR the nodes do not share: a usage error"
assert_grep "$err" "the output folder $P/n is not shared with the Slurm nodes: probe job [0-9]+ \\(FAILED on node " \
  "names the folder, the probe job and its state"
assert_grep "$err" "put --output on a file system every node mounts at the same path" "says what to do"
for _ in $(seq 50); do queued "$job" || break; sleep 0.2; done
queued "$job" && fail "the array job $job is still queued after the probe failed"
ok "a DIR the probe cannot read as written: a clear error, the array job cancelled"
finish
