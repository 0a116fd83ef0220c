#!/usr/bin/env bash
# Issue 9, part B: hostile candidates (tests/attacks/a03-*, a04-*, a05-*,
# a09-*) go after what the tool keeps and trusts: the copies of the
# original's outputs (read and rewritten), the original's build (slowed), the
# LLM cache (an edited response), and inputs fixed in advance ($OPTIMIZE_SEED).
# Each is contained: named with its reason, the user's tree unchanged, the
# winner honest. Run as root and as a normal user (setpriv), with the mount
# namespace and (where it matters) without it (OPTIMIZE_TEST_NO_ISOLATION=1:
# the second line of defense alone).
. "$(dirname "$0")/lib.sh"

A=$OPTIMIZE_TESTS_DIR/attacks

# attack_run MODE TREE CANDIDATES...: a fresh copy of TREE, one run; sets $tree, $run, $r, $rc.
attack_run() {
  local mode=$1 src=$2 extra=()
  shift 2
  tree=$T/$who-$mode-$ntests-$RANDOM
  cp -r "$src" "$tree"
  sed -i 's|"./sum 3000000"|"./sum 400000"|' "$tree/optimize.json" # short runs: this test decides nothing by time
  [ "$who" = root ] || chown -R "$user:$user" "$tree"
  before=$(tree_hash "$tree")
  [ "$mode" = nons ] && extra=(env OPTIMIZE_TEST_NO_ISOLATION=1)
  out=$tree.stdout err=$tree.stderr
  set +e
  as_who "${extra[@]}" "$OPTIMIZE_BIN" run "$tree" --no-flags --no-profile --cpu any --min-runs 3 --max-runs 4 "$@" \
    >"$out" 2>"$err"
  rc=$?
  set -e
  run=$(latest_run "$tree")
  r=$run/report.json
}

# cand_of LABEL-PART: "status: reason" of the candidate whose label has it.
honest_winner() { # WHAT
  [ "$(tree_hash "$tree")" = "$before" ] || fail "$who: $1: the tree changed"
  [[ "$(json_get "$r" 'd["targets"][0]["best"]["lineage"]')" != */attacks/a* ]] || fail "$who: $1: an attack won"
  # the honest rewrite, or the original where noise hid its gain
  [ ! -e "$run/sum/best/sum.c" ] || cmp -s "$run/sum/best/sum.c" "$A/fast/sum.c" ||
    cmp -s "$run/sum/best/sum.c" "$A/tree/sum.c" || fail "$who: $1: the winner is neither the honest rewrite nor the original"
}

# One run with the mount namespace, one without; each with every attack of
# this file that the run survives, and the honest rewrite.
with_namespace() {
  attack_run ns "$A/tree" --candidate "$A/a03-read-refs" --candidate "$A/a03-write-refs" \
    --candidate "$A/a04-slow-original" --candidate "$A/fast"
  assert_rc 0 "$who: the run goes on"
  case "$(json_get "$r" 'd["targets"][0]["isolation"]["source_tree"]')" in
  *hidden*) ;;
  *) missing_capability "mount namespaces" OPTIMIZE_TEST_NO_NAMESPACES \
    "$(json_get "$r" 'd["targets"][0]["isolation"]["source_tree"]')" ;;
  esac
  honest_winner "the namespace run"
  # a03: the state directory is hidden: nothing to read, nothing to rewrite.
  [[ "$(cand_of a03-read)" == verify-failed:* ]] || fail "$who: a03-read must fail verification: $(cand_of a03-read)"
  grep -q "a03-read: no reference found" "$run"/sum/c0001/verify-verify*/stderr ||
    fail "$who: a03-read found something to read in the state directory"
  [[ "$(cand_of a03-write)" == verify-failed:* ]] || fail "$who: a03-write must fail verification: $(cand_of a03-write)"
  [ "$(cat "$run/sum/c0000/ref-verify1/stdout")" = "n 1001 sum 2002" ] || fail "$who: a03: the reference copy changed"
  ok "$who: a03 (read and rewrite the original's output copies) finds nothing: both rejected"
  # a04: the original's build is out of reach.
  [[ "$(cand_of a04-)" != accepted:* ]] || fail "$who: a04 was accepted: $(cand_of a04-)"
  grep -q "a04: cannot reach the original's binary" "$run"/sum/c0003/verify-verify*/stderr ||
    fail "$who: a04 reached the original's binary"
  ok "$who: a04 (slow the original's binary down) cannot reach it: $(cand_of a04- | cut -c1-40)"
}

without_namespace() {
  attack_run nons "$A/tree" --candidate "$A/a03-write-refs" --candidate "$A/a04-slow-original" --candidate "$A/fast"
  # a03-write: the references are in memory; the rewritten copies are never read.
  [[ "$(cand_of a03-write)" == verify-failed:* ]] || fail "$who: a03-write (no namespace): $(cand_of a03-write)"
  ok "$who: a03-write without namespaces: the references are in memory, the rewritten copies are not read"
  # a04: the original's seal breaks before its next timed run: the target stops.
  assert_rc 3 "$who: a04 (no namespace): the target stops"
  assert_grep "$err" "tampering: the build of c0 \\(the original\\) in '.*' changed after it was built and verified: 'sum' was rewritten" \
    "$who: a04 (no namespace): the error names the tampering"
  assert_grep "$err" "the last candidate to run was c2 \\('dir .*a04-slow-original'\\)" "$who: a04 (no namespace): and the candidate"
  [[ "$(cand_of a04-)" == skipped:\ tampering:* ]] || fail "$who: a04 (no namespace): $(cand_of a04-)"
  [[ "$(json_get "$r" 'd["targets"][0]["best"]["lineage"]')" != */attacks/a* ]] || fail "$who: an attack won"
  [ "$(tree_hash "$tree")" = "$before" ] || fail "$who: the tree changed"
  ok "$who: a04 without namespaces: the original's changed build is found before its next timed run; the target stops, naming c2"
}

attacks() {
  with_namespace
  without_namespace
}

who=root
attacks

# The same as a normal user (created here, or skipped visibly).
as_attack_user attacks
finish
