#!/usr/bin/env bash
# A candidate that is wrong on one verify input (an edge case) is rejected
# with the mismatch message: line, column, expected and actual token.
. "$(dirname "$0")/lib.sh"

tree=$(copy_fixture wrong)
cand="$tree/wrong-candidate"
run_optimize run "$tree" --no-flags --candidate "$cand" --max-runs 6
assert_rc 0 "a run whose only candidate is wrong still exits 0"
run=$(latest_run "$tree")
r=$run/report.json
st=$(json_get "$r" 'd["targets"][0]["candidates"][1]["status"]')
[ "$st" = verify-failed ] || fail "expected verify-failed, got $st"
ok "wrong candidate rejected"
reason=$(json_get "$r" 'd["targets"][0]["candidates"][1]["reason"]')
echo "$reason" | grep -qE 'line [0-9]+, column [0-9]+' || fail "reason lacks line/column: $reason"
echo "$reason" | grep -qE "expected '.*' but got '.*'" || fail "reason lacks expected/actual: $reason"
ok "mismatch message: $(echo "$reason" | head -n 1 | cut -c1-100)"
[ "$(json_get "$r" 'd["targets"][0]["status"]')" = no-improvement ] || fail "status"
[ "$(json_get "$r" 'd["targets"][0]["best"]["id"]')" = 0 ] || fail "the original must stay the best"
ok "the original is kept"
finish
