#!/usr/bin/env bash
# slurm-down.sh DIR: stop the cluster that slurm-up.sh DIR started and leave no
# process of it behind. Safe to run more than once, after a failed start, or on
# a DIR that was never used: it acts only on what the pid files in DIR/run name
# (checked against the process's name, so a reused pid is left alone) and on
# slurmstepd processes that hold files in DIR, with their descendants.
#
# Order: cancel every job (so slurmstepd ends its tasks), then slurmd,
# slurmctld and munged together (TERM, then KILL after 10 s), then any
# slurmstepd of this cluster that is still there, with its descendants, then
# the jobs' processes noted at the start that have not ended yet.
# Exits 1 and names what survived if something would not die. Files in DIR are
# kept (logs are useful after a failure); the caller removes DIR.
set -euo pipefail

[ $# = 1 ] || {
  echo "usage: slurm-down.sh DIR" >&2
  exit 2
}
[ -d "$1" ] || exit 0
DIR=$(cd "$1" && pwd -P)

# running PID: the process exists and is not a zombie (an exited daemon whose
# parent has not reaped it yet is no longer ours to stop)
running() {
  local stat
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# pid_of NAME: the pid in DIR/run/NAME.pid if that process is NAME
pid_of() {
  local pid
  pid=$(cat "$DIR/run/$1.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] && running "$pid" && echo "$pid"
}

# stop SIGNAL PID...: send SIGNAL, wait up to 10 s, then KILL what is left
stop() {
  local sig=$1 pid left
  shift
  [ $# -gt 0 ] || return 0
  kill "-$sig" "$@" 2>/dev/null || true
  for _ in $(seq 100); do
    left=
    for pid in "$@"; do running "$pid" && left=1; done
    [ -z "$left" ] && return 0
    sleep 0.1
  done
  kill -KILL "$@" 2>/dev/null || true
  sleep 0.2
}

# stepds: slurmstepd processes of this cluster: their cwd or an open file
# (slurmd.log) is under DIR; their sockets in DIR/spool show as socket:[N]
stepds() {
  local pid f
  for pid in $(ps -C slurmstepd -o pid=); do
    for f in /proc/"$pid"/cwd /proc/"$pid"/fd/*; do
      case $(readlink "$f" 2>/dev/null) in
        "$DIR"/*)
          echo "$pid"
          break
          ;;
      esac
    done
  done
}

# descendants PID...: the given pids and every process below them
descendants() {
  local all=" $* " grew=1 pid ppid
  while [ -n "$grew" ]; do
    grew=
    while read -r pid ppid; do
      case $all in *" $ppid "*) case $all in *" $pid "*) ;; *)
        all="$all$pid "
        grew=1
        ;;
      esac ;; esac
    done < <(ps -e -o pid=,ppid=)
  done
  echo "$all"
}

# The jobs' own processes, noted before anything is stopped: a task that
# slurmstepd signalled may still be exiting when its step is gone.
# shellcheck disable=SC2046 # pids, one per word
tasks=$(descendants $(stepds))

# 1. Cancel the jobs while slurmctld still answers.
if pid_of slurmctld >/dev/null && [ -f "$DIR/slurm.conf" ]; then
  export SLURM_CONF=$DIR/slurm.conf
  jobs=$(timeout 10 squeue -h -o '%A' 2>/dev/null || true)
  if [ -n "$jobs" ]; then
    # shellcheck disable=SC2086 # one job id per word
    timeout 10 scancel $jobs 2>/dev/null || true
    for _ in $(seq 50); do
      [ -z "$(timeout 5 squeue -h -t R,CG,S -o '%A' 2>/dev/null || true)" ] && [ -z "$(stepds)" ] && break
      sleep 0.2
    done
  fi
fi

# 2. The daemons, all at once: each takes about 2 s to stop on TERM, and none
# needs another to shut down.
pids=()
for d in slurmd slurmctld munged; do
  if pid=$(pid_of "$d"); then pids+=("$pid"); fi
done
stop TERM "${pids[@]}"

# 3. Job steps whose slurmd is gone, and their tasks. slurmstepd ignores
# TERM, and nothing is left to end them cleanly: KILL.
steps=$(stepds)
if [ -n "$steps" ]; then
  # shellcheck disable=SC2046,SC2086 # pids, one per word
  stop KILL $(descendants $steps)
fi

# 4. Every task noted at the start has ended (TERM, then KILL after 10 s).
alive=()
for pid in $tasks; do running "$pid" && alive+=("$pid"); done
stop TERM "${alive[@]}"

left=
for pid in "${alive[@]}"; do running "$pid" && left="$left task($pid)"; done
for d in slurmd slurmctld munged; do
  if pid=$(pid_of "$d"); then left="$left $d($pid)"; fi
done
for pid in $(stepds); do left="$left slurmstepd($pid)"; done
if [ -n "$left" ]; then
  echo "slurm-down: still running after KILL:$left" >&2
  exit 1
fi
rm -f "$DIR/munge/munge.socket" "$DIR/munge/munge.socket.lock"
