#!/usr/bin/env bash
# A private single-node Slurm cluster (tests/helpers/slurm-up.sh) starts in the
# test's temporary directory, runs a 3-task array job one task at a time (%1),
# reports its finished and cancelled tasks, and stops leaving no process behind.
# This is the ground `optimize bench --executor slurm` stands on.
#
# When the daemons cannot start the test fails with the reason; with
# OPTIMIZE_TEST_NO_SLURM=1 it prints the reason and exits 77 (skipped).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

helpers=$OPTIMIZE_TESTS_DIR/helpers
# The physical path: slurm-up.sh and the jobs' cwd see no symbolic links.
W=$(cd "$T" && pwd -P)/work
S=$(cd "$T" && pwd -P)/slurm
trap '"$helpers/slurm-down.sh" "$S" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT

# now: seconds since the epoch with a fraction, for the timings printed below
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(now)"; }

# wait_gone JOBID SECONDS: until squeue lists no pending or running task of it
wait_gone() {
  local i
  for i in $(seq $(($2 * 5))); do
    [ -z "$(squeue -h -j "$1" -o '%i' 2>/dev/null)" ] && return 0
    sleep 0.2
  done
  squeue -j "$1" >&2 || true
  fail "job $1 still queued after $2 s"
}

# task_states JOBID: "TASK STATE" per line, sorted, finished tasks included.
# squeue names a task JOBID_N and the pending rest of an array JOBID_[N-M%1]:
# this prints N or N-M. A record named JOBID alone has lost its task id (see
# the scancel tests below): this prints "-" for it.
task_states() {
  squeue -h -t all -j "$1" -o '%i %T' |
    sed -E "s/^$1 /- /; s/^$1_//; s/^\\[([0-9-]+)(%[0-9]+)?\\]/\\1/" | LC_ALL=C sort
}

# --- the cluster comes up ---------------------------------------------------
t0=$(now)
if ! up=$("$helpers/slurm-up.sh" "$S" 2>&1); then
  if [ "${OPTIMIZE_TEST_NO_SLURM:-0}" = 1 ]; then
    echo "SKIP: no Slurm cluster here (OPTIMIZE_TEST_NO_SLURM=1): $up"
    exit 77
  fi
  fail "the Slurm cluster did not start (set OPTIMIZE_TEST_NO_SLURM=1 to skip): $up"
fi
[ "$up" = "SLURM_CONF=$S/slurm.conf" ] || fail "slurm-up.sh printed '$up'"
# shellcheck source=/dev/null
. "$S/env"
[ "$SLURM_CONF" = "$S/slurm.conf" ] || fail "$S/env does not export SLURM_CONF"
[ "$(sinfo -h -o '%T')" = idle ] || fail "the node is not idle after slurm-up.sh"
ok "cluster up in $(elapsed "$t0") s"
[ "$("$helpers/slurm-up.sh" "$S")" = "SLURM_CONF=$S/slurm.conf" ] || fail "a second slurm-up.sh on a running cluster"
ok "slurm-up.sh on a running cluster reports it again"

# --- a 3-task array, one task at a time --------------------------------------
mkdir "$W"
cat >"$W/task.sh" <<'EOF'
#!/bin/bash
echo "task=$SLURM_ARRAY_TASK_ID mark=${T0900_MARK:-unset} cwd=$PWD start=$(date +%s.%N)"
sleep 0.3
echo "end=$(date +%s.%N)"
EOF
chmod +x "$W/task.sh"
t0=$(now)
jid=$(cd "$W" && T0900_MARK=m$$ sbatch --parsable --array=0-2%1 --exclusive --export=ALL \
  --output="$W/task-%a.log" task.sh) || fail "sbatch of the array job"
[[ $jid =~ ^[0-9]+$ ]] || fail "sbatch --parsable printed '$jid'"
wait_gone "$jid" 60
ok "3-task %1 array done in $(elapsed "$t0") s from submit"
for i in 0 1 2; do
  log=$W/task-$i.log
  [ -f "$log" ] || fail "task $i wrote no $log"
  assert_grep "$log" "^task=$i mark=m$$ cwd=$W start=" "task $i: its id, the submitter's variable and cwd"
  assert_grep "$log" '^end=' "task $i ran to its end"
done
ok "each task ran once with SLURM_ARRAY_TASK_ID, the exported variable and the submit cwd"
# %1: no two tasks overlap in time
python3 - "$W"/task-?.log <<'EOF' || fail "array tasks overlapped under %1"
import re, sys
spans = sorted((float(re.search(r'start=([\d.]+)', t).group(1)), float(re.search(r'end=([\d.]+)', t).group(1)))
               for t in (open(f).read() for f in sys.argv[1:]))
sys.exit(0 if all(a[1] <= b[0] for a, b in zip(spans, spans[1:])) else 1)
EOF
ok "tasks ran one after another"
[ "$(task_states "$jid")" = "$(printf '0 COMPLETED\n1 COMPLETED\n2 COMPLETED')" ] ||
  fail "squeue -t all states: $(task_states "$jid")"
n=$(scontrol -o show job "$jid" | grep -c 'JobState=COMPLETED .*ExitCode=0:0') || true
[ "$n" = 3 ] || fail "scontrol show job: $n of 3 tasks COMPLETED with exit 0: $(scontrol -o show job "$jid")"
n=$(grep -c "JobState=COMPLETED .*ArrayJobId=$jid " "$S/jobcomp.log") || true
[ "$n" = 3 ] || fail "jobcomp.log: $n of 3 tasks COMPLETED"
ok "squeue -t all, scontrol show job and jobcomp.log show 3 completed tasks"
# Without slurmdbd there is no accounting: sacct cannot be the source of states.
if sacct -n -j "$jid" >"$T/sacct.out" 2>&1; then
  echo "# note: sacct works here: $(head -n 1 "$T/sacct.out")"
else
  assert_grep "$T/sacct.out" 'accounting storage is disabled' "sacct without slurmdbd"
  ok "sacct says accounting storage is disabled"
fi

# --- scancel of array tasks ---------------------------------------------------
cat >"$W/long.sh" <<'EOF'
#!/bin/bash
echo "task=$SLURM_ARRAY_TASK_ID pid=$$"
exec sleep 60
EOF
chmod +x "$W/long.sh"
jid=$(cd "$W" && sbatch --parsable --array=0-2%1 --exclusive --output="$W/long-%a.log" long.sh)
for _ in $(seq 100); do
  [ "$(squeue -h -j "${jid}_0" -o '%T' 2>/dev/null)" = RUNNING ] && break
  sleep 0.1
done
[ "$(squeue -h -j "${jid}_0" -o '%T')" = RUNNING ] || fail "task 0 of job $jid is not running: $(squeue -j "$jid")"
# Pending tasks share one record, ${jid}_[1-2%1]. Task 2 cancelled there
# leaves no trace at all: not in squeue -t all, scontrol or jobcomp.log.
scancel "${jid}_2" || fail "scancel ${jid}_2"
sleep 0.5
[ "$(task_states "$jid")" = "$(printf '0 RUNNING\n1 PENDING')" ] || fail "after scancel ${jid}_2: $(task_states "$jid")"
scontrol show job "${jid}_2" >/dev/null 2>&1 && fail "scontrol still knows ${jid}_2"
ok "a task cancelled in the pending range disappears"
# Task 1 is now all that record holds: cancelled, the record stays as
# CANCELLED but without its task id (squeue names it JOBID, scontrol says
# ArrayTaskId=4294967294).
scancel "${jid}_1" || fail "scancel ${jid}_1"
sleep 0.5
[ "$(task_states "$jid")" = "$(printf -- '- CANCELLED\n0 RUNNING')" ] || fail "after scancel ${jid}_1: $(task_states "$jid")"
ok "the last pending task cancelled shows CANCELLED, without its task id"
pid=$(sed -n 's/^task=0 pid=//p' "$W/long-0.log")
[ -n "$pid" ] || fail "task 0 did not write its pid"
scancel "${jid}_0" || fail "scancel ${jid}_0"
wait_gone "$jid" 30
[ "$(task_states "$jid")" = "$(printf -- '- CANCELLED\n0 CANCELLED')" ] || fail "after scancel ${jid}_0: $(task_states "$jid")"
scontrol -o show job "${jid}_0" | grep -q 'JobState=CANCELLED .*ExitCode=0:15' ||
  fail "running task cancelled: $(scontrol -o show job "${jid}_0")"
if [ -e "$W/long-1.log" ] || [ -e "$W/long-2.log" ]; then fail "a cancelled pending task ran"; fi
grep -q "ArrayJobId=$jid ArrayTaskId=2 " "$S/jobcomp.log" && fail "jobcomp.log has a line for ${jid}_2"
for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
[ ! -d "/proc/$pid" ] || fail "the cancelled task's process $pid still runs"
ok "a running task cancelled shows CANCELLED, exit 0:15, and its process is gone"

# --- the cluster goes down ------------------------------------------------------
# A job still running when the cluster stops must not survive it.
jid=$(sbatch --parsable --output="$W/left-%j.log" "$W/long.sh")
for _ in $(seq 100); do [ -s "$W/left-$jid.log" ] && break; sleep 0.1; done
pid=$(sed -n 's/^task= pid=//p' "$W/left-$jid.log")
[ -n "$pid" ] || fail "the last job did not start"
daemons=$(cat "$S"/run/*.pid)
t0=$(now)
"$helpers/slurm-down.sh" "$S" || fail "slurm-down.sh"
ok "cluster down in $(elapsed "$t0") s"
for p in $daemons $pid; do
  # One read of /proc/PID/stat: a process that exited may linger as a zombie
  # (Z) until init reaps it, or vanish between two separate reads.
  st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
  st=${st##*) }
  case ${st%% *} in Z | X) continue ;; esac
  fail "process $p (${st%% *}, $(cat "/proc/$p/comm" 2>/dev/null)) outlived slurm-down.sh"
done
for p in $(pgrep -x slurmstepd || true); do
  [ "$(readlink "/proc/$p/cwd" 2>/dev/null)" != "$S/log" ] || fail "slurmstepd $p of this cluster outlived slurm-down.sh"
done
"$helpers/slurm-down.sh" "$S" || fail "a second slurm-down.sh"
ok "no daemon, step or task is left; a second slurm-down.sh is harmless"
finish
