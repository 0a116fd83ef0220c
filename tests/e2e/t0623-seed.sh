#!/usr/bin/env bash
# $OPTIMIZE_SEED (issue 9): a candidate that learnt the answers of fixed
# inputs by heart (tests/attacks/s01-hardcoded-answers) passes verification
# on a manifest with fixed inputs, and is rejected on one whose commands use
# $OPTIMIZE_SEED: each verification gets a fresh seed, the original run on
# the same seed, and the reason names it. The honest rewrite still passes
# verification and every timed run on fresh seeds: a new one every pair
# (s02-seed-log counts them). As root and as a normal user (setpriv).
. "$(dirname "$0")/lib.sh"

A=$OPTIMIZE_TESTS_DIR/attacks

# seed_run fixed|seeded CANDIDATES...: sets $tree, $r, $rc.
seed_run() {
  local mode=$1
  shift
  tree=$T/$who-$mode
  cp -r "$A/tree" "$tree"
  sed -i 's|"./sum 3000000"|"./sum 400000"|' "$tree/optimize.json"
  [ "$mode" = seeded ] &&
    sed -i 's|"./sum 400000"|"./sum $((400000 + OPTIMIZE_SEED % 1000))"|; s|"./sum 0"|"./sum $((OPTIMIZE_SEED % 5000))"|' "$tree/optimize.json"
  [ "$who" = root ] || chown -R "$user:$user" "$tree"
  out=$tree.stdout err=$tree.stderr
  set +e
  as_who "$OPTIMIZE_BIN" run "$tree" --no-flags --no-profile --cpu any --min-runs 3 --max-runs 3 "$@" >"$out" 2>"$err"
  rc=$?
  set -e
  r=$(latest_run "$tree")/report.json
}
attacks() {
  seed_run fixed --candidate "$A/s01-hardcoded-answers"
  assert_rc 0 "$who: fixed inputs"
  [[ "$(cand_of s01-)" != verify-failed:* ]] || fail "$who: on fixed inputs s01 should pass verification: $(cand_of s01-)"
  ok "$who: on fixed inputs the learnt answers pass verification ($(cand_of s01- | cut -c1-30))"

  seed_run seeded --candidate "$A/s01-hardcoded-answers" --candidate "$A/fast"
  assert_rc 0 "$who: \$OPTIMIZE_SEED inputs"
  [[ "$(cand_of s01-)" == verify-failed:* ]] || fail "$who: s01 must fail verification on a fresh seed: $(cand_of s01-)"
  [[ "$(cand_of s01-)" =~ \(OPTIMIZE_SEED=[0-9]+\)$ ]] || fail "$who: the reason names the seed: $(cand_of s01-)"
  [[ "$(cand_of attacks/fast)" == accepted:* || "$(cand_of attacks/fast)" == not-faster:* ]] ||
    fail "$who: the honest rewrite must pass verification and its timed runs: $(cand_of attacks/fast)"
  ok "$who: with \$OPTIMIZE_SEED the learnt answers fail on a fresh seed, named; the honest rewrite passes"

  # s02 logs the seed of each of its runs: every timed pair (the warm-up
  # pair too) gets a fresh one, not one per measurement.
  seed_run seeded --keep-work --candidate "$A/s02-seed-log"
  assert_rc 0 "$who: s02"
  [[ "$(cand_of s02-)" == accepted:* || "$(cand_of s02-)" == not-faster:* ]] || fail "$who: s02 must pass: $(cand_of s02-)"
  log=$(find "$tree/.optimize/work" -name seeds.log | head -n 1)
  [ -n "$log" ] || fail "$who: s02 left no seeds.log in its workspace"
  timed=$(awk '$2 >= 400000' "$log" | wc -l)
  distinct=$(awk '$2 >= 400000 {print $1}' "$log" | sort -u | wc -l)
  [ "$timed" -ge 4 ] || fail "$who: s02 ran $timed timed runs (a warm-up and 3 pairs expected): $(cat "$log")"
  [ "$distinct" = "$timed" ] || fail "$who: $timed timed runs of s02 saw only $distinct seeds: $(cat "$log")"
  ok "$who: $timed timed runs of the candidate, $distinct fresh seeds (one per pair)"
}

who=root
attacks

# The same as a normal user (created here, or skipped visibly).
as_attack_user attacks
finish
