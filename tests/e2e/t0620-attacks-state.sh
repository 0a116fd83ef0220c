#!/usr/bin/env bash
# Issue 9, part A: hostile candidates (tests/attacks/aNN-*) go after the
# tool's trusted state. Each is contained: named in the report with its
# reason, the run goes on to the honest winner, and the user's tree, the
# references and the winner are unchanged (hashes checked). Run as root and
# as a normal user, each with the mount namespace and without it
# (OPTIMIZE_TEST_NO_ISOLATION=1: the second line of defense alone).
. "$(dirname "$0")/lib.sh"

A=$OPTIMIZE_TESTS_DIR/attacks
ref_out() { printf 'n %s sum %s\n' "$1" "$2"; } # what the original prints

run_optimize_as() {
  out=$T/stdout.$ntests.x err=$T/stderr.$ntests.x
  set +e
  as_who "$OPTIMIZE_BIN" "$@" >"$out" 2>"$err"
  rc=$?
  set -e
}

# attack_run MODE CANDIDATES...: a fresh tree, one run; sets $tree, $run, $r.
attack_run() {
  local mode=$1 extra=()
  shift
  tree=$T/$who-$mode-$ntests
  cp -r "$A/tree" "$tree"
  [ "$who" = root ] || chown -R "$user:$user" "$tree"
  before=$(tree_hash "$tree")
  [ "$mode" = nons ] && extra=(env OPTIMIZE_TEST_NO_ISOLATION=1)
  out=$T/stdout.$ntests err=$T/stderr.$ntests
  set +e
  as_who "${extra[@]}" "$OPTIMIZE_BIN" run "$tree" --no-flags --min-runs 3 --max-runs 10 "$@" \
    >"$out" 2>"$err"
  rc=$?
  set -e
  run=$(latest_run "$tree")
  r=$run/report.json
}

# status_of LABEL-PART: the status and reason of the candidate whose label has it.
check_common() { # MODE
  assert_rc 0 "$who/$1: the run goes on"
  [ "$(cat "$tree/notes.txt")" = "the user's notes: must never change" ] ||
    fail "$who/$1: the tool wrote into the user's notes.txt"
  # Without a mount namespace a candidate can write the tree itself (the
  # report says so); with one, the whole tree is unchanged.
  [ "$1" = nons ] || [ "$(tree_hash "$tree")" = "$before" ] || fail "$who/$1: the tree changed"
  # The saved copies of the references say what the original prints.
  [ "$(cat "$run/sum/c0000/ref-verify1/stdout")" = "$(ref_out 1001 2002)" ] ||
    fail "$who/$1: the reference copy changed"
  # The winner is never an attacker (the honest rewrite, or the original if
  # noise hid its gain): its files are those of one of the two, byte for byte.
  json_get "$r" 'd["targets"][0]["best"]["lineage"]' | grep -q "/attacks/a" && fail "$who/$1: an attack won"
  [ ! -e "$run/sum/best/sum.c" ] || cmp -s "$run/sum/best/sum.c" "$A/fast/sum.c" ||
    fail "$who/$1: the winner's files are not the honest rewrite's"
}

attacks() {
  local mode
  for mode in ns nons; do
    attack_run "$mode" --candidate "$A/a01-symlink-capture" --candidate "$A/fast"
    check_common "$mode"
    if [ "$mode" = nons ]; then
      cand_of a01- | grep -q "^verify-failed: tampering: a link was planted" ||
        fail "$who/$mode: a01 must be rejected for the link: $(cand_of a01-)"
    else
      [ ! -L "$run/sum/c0001/verify-verify0/stdout" ] || fail "$who/$mode: a01 planted a link"
    fi
    ok "$who/$mode: a01 (links planted in the state directory) is contained: $(cand_of a01- | cut -c1-60)"
  done

  # a02: --apply writes what was verified and measured, never the copy in best/.
  for mode in ns nons; do
    attack_run "$mode" --candidate "$A/a02-apply-swap" --apply
    assert_rc 0 "$who/$mode: a02 --apply"
    if grep -q "wrote sum.c" "$err"; then
      cmp -s "$tree/sum.c" "$A/a02-apply-swap/sum.c" || fail "$who/$mode: --apply wrote something else than the verified sum.c"
    else
      cmp -s "$tree/sum.c" "$A/tree/sum.c" || fail "$who/$mode: sum.c changed without 'wrote sum.c'"
    fi
    [ "$(head -c 2 "$tree/sum.c")" = "/*" ] || fail "$who/$mode: the backdoor reached the tree"
    [ "$(cat "$tree/notes.txt")" = "the user's notes: must never change" ] || fail "$who/$mode: notes.txt changed"
    ok "$who/$mode: a02 (the winner's copy swapped during --apply) is contained: the verified sum.c was applied"
  done

  # a08: --apply killed between its two renames; recovery completes the change.
  tree=$T/$who-a08
  cp -r "$A/a08-apply-killed/tree" "$tree"
  [ "$who" = root ] || chown -R "$user:$user" "$tree"
  out=$T/stdout.a08.$who err=$T/stderr.a08.$who
  set +e
  as_who env OPTIMIZE_TEST_APPLY_KILL_AFTER=1 "$OPTIMIZE_BIN" run "$tree" --no-flags --min-runs 3 \
    --candidate "$A/a08-apply-killed/candidate" --apply >"$out" 2>"$err"
  rc=$?
  set -e
  assert_rc 137 "$who: a08: --apply killed after its first rename"
  [ -e "$tree/.optimize/apply-journal.json" ] || fail "$who: a08: no journal after the kill"
  cmp -s "$tree/sum.c" "$A/a08-apply-killed/candidate/sum.c" || fail "$who: a08: the first rename did not happen"
  cmp -s "$tree/sum.h" "$A/a08-apply-killed/tree/sum.h" || fail "$who: a08: the second rename happened"
  run_optimize_as apply --recover "$tree"
  assert_rc 0 "$who: a08: apply --recover"
  assert_grep "$err" "was completed" "$who: a08: recovery says what it did"
  cmp -s "$tree/sum.h" "$A/a08-apply-killed/candidate/sum.h" || fail "$who: a08: recovery did not complete the change"
  ! ls -a "$tree" | grep -E '\.tmp\.|optimize-new' || fail "$who: a08: a temporary file was left in the tree"
  [ ! -e "$tree/.optimize/apply-journal.json" ] || fail "$who: a08: the journal was left"
  ok "$who: a08 (--apply killed between renames) is completed by 'optimize apply --recover', nothing left behind"

  # a10: outputs past the capture cap are never compared cut short.
  tree=$T/$who-a10
  cp -r "$A/a10-overcap/tree" "$tree"
  [ "$who" = root ] || chown -R "$user:$user" "$tree"
  out=$T/stdout.a10.$who err=$T/stderr.a10.$who
  set +e
  as_who "$OPTIMIZE_BIN" run "$tree" --no-flags --min-runs 3 --candidate "$A/a10-overcap/candidate" >"$out" 2>"$err"
  rc=$?
  set -e
  assert_rc 3 "$who: a10: a target whose outputs pass the cap stops"
  assert_grep "$err" "passed the 16 MiB capture cap; outputs are never compared cut short" "$who: a10 says why"
  ok "$who: a10 (a wrong checksum past the capture cap) is never compared cut short"
}

who=root
attacks

# The same as a normal user (created here, or skipped visibly).
as_attack_user attacks
finish
