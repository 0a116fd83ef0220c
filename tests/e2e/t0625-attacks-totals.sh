#!/usr/bin/env bash
# Issue 9, item 11: limits are totals, not per process. a11-memory-total
# forks 4 children that each touch 256 MiB under "memory_mb": 300;
# a11-disk-total writes 5 files of 60 MiB under "file_mb": 64; a11-fork-bomb
# forks up to 3000 processes under "nproc": 200 (as root too: candidates run
# as an unprivileged user, so RLIMIT_NPROC binds, and the cgroup). Run as root
# and as a normal user (created here; skipped visibly where impossible).
# The disk total holds everywhere (the runner sums the workspace): the
# candidate is rejected with the reason. The memory total holds where the
# tool can give each run a cgroup (root here, cgroup v1 or v2): the kernel
# kills past the total and the candidate is rejected; where it cannot (a
# normal user without a delegated cgroup; root under systemd's cgroup v2
# without delegation) the report must say that limits are per process, never
# claim totals. Either way the honest winner wins
# and the tree is unchanged.
. "$(dirname "$0")/lib.sh"

A=$OPTIMIZE_TESTS_DIR/attacks

totals() {
  attack_tree tree '{"memory_mb": 300, "file_mb": 64, "nproc": 200}'
  set +e
  as_who "$OPTIMIZE_BIN" run "$tree" --no-flags --min-runs 3 --max-runs 10 \
    --candidate "$A/a11-memory-total" --candidate "$A/a11-disk-total" --candidate "$A/a11-fork-bomb" \
    --candidate "$A/fast" \
    >"$T/out.$who" 2>"$T/err.$who"
  rc=$?
  set -e
  assert_rc 0 "$who: the run goes on"
  r=$(latest_run "$tree")/report.json
  [ -e "$r" ] || fail "$who: no report"
  [ "$(tree_hash "$tree")" = "$before" ] || fail "$who: the tree changed"
  json_get "$r" 'd["targets"][0]["best"]["lineage"]' | grep -q "/attacks/fast" ||
    fail "$who: the honest candidate did not win: $(json_get "$r" 'd["targets"][0]["best"]')"
  cand_of a11-disk-total | grep -q "^verify-failed: .*grew by [0-9.]* MiB, past the disk total" ||
    fail "$who: a11-disk-total must be stopped at the disk total: $(cand_of a11-disk-total)"
  ok "$who: a11 (5 files of 60 MiB under file_mb 64): $(cand_of a11-disk-total | grep -o 'stopped: .*' | cut -c1-80)"
  cand_of a11-fork-bomb | grep -q "^verify-failed: .*exit 5" ||
    fail "$who: a11-fork-bomb must be refused forks under nproc 200 (exit 5): $(cand_of a11-fork-bomb)"
  ok "$who: a11 (fork bomb of 3000 under nproc 200) refused: $(cand_of a11-fork-bomb | grep -o 'a11-fork-bomb: [0-9]* of [0-9]*' || cand_of a11-fork-bomb | cut -c1-80)"
  iso=$(json_get "$r" 'd["targets"][0]["isolation"]["process"]')
  if [[ $iso == *"a cgroup v"?" of its own per run: memory (limits.memory_mb) and processes (limits.nproc) are totals"* ]]; then
    cand_of a11-memory-total | grep -q "^verify-failed: .*killed at the memory total of the run's cgroup" ||
      fail "$who: a11-memory-total must be killed at the memory total: $(cand_of a11-memory-total)"
    ok "$who: a11 (4 x 256 MiB under memory_mb 300) contained by the run's cgroup: $(cand_of a11-memory-total | grep -o '([0-9]* process.*')"
  elif [[ $iso == *"no cgroup ("*"memory and processes are limited per process only"* ]]; then
    # root with cgroup v1 memory and pids hierarchies mounted (this kind of
    # machine) must get them; elsewhere (v2 not delegated) the fallback holds
    if [ "$who" = root ] && [ -w /sys/fs/cgroup/memory/cgroup.procs ] && [ -w /sys/fs/cgroup/pids/cgroup.procs ]; then
      fail "root: cgroup v1 memory and pids are mounted, yet no cgroup for the runs: $iso"
    fi
    ok "$who: no cgroup here, and the report says memory is limited per process only (a11-memory-total: $(cand_of a11-memory-total | cut -d: -f1))"
  else
    fail "$who: the report's isolation says nothing about totals: $iso"
  fi
}

who=root
[ "$(id -u)" = 0 ] || who=$(id -un)
totals
as_attack_user totals
finish
