#!/usr/bin/env bash
# A manifest with several targets: each is done in turn and reported; one
# that fails does not stop the others; the exit status is the most severe.
. "$(dirname "$0")/lib.sh"

tree=$(copy_fixture multi)
run_optimize run "$tree" --max-runs 6 --min-runs 3
assert_rc 3 "one target's original does not build"
r=$(latest_run "$tree")/report.json
[ "$(json_get "$r" 'len(d["targets"])')" = 2 ] || fail "both targets reported"
[ "$(json_get "$r" 'd["targets"][0]["name"]')" = sum ] || fail "first target"
s0=$(json_get "$r" 'd["targets"][0]["status"]')
case "$s0" in improved|no-improvement) ;; *) fail "the good target ran to the end (status $s0)";; esac
[ "$(json_get "$r" 'd["targets"][1]["status"]')" = baseline-failed ] || fail "the bad target failed"
ok "both targets reported; the good one ran to the end ($s0)"
assert_grep "$out" '\| sum \|' "table row for sum"
assert_grep "$out" '\| bad \|' "table row for bad"
assert_grep "$err" "target 'bad': the original does not build" "names the failing target"
ok "table and messages per target"
run_optimize run "$tree" --target sum --no-flags --min-runs 3 --max-runs 3
assert_rc 0 "--target selects one"
r=$(latest_run "$tree")/report.json
[ "$(json_get "$r" 'len(d["targets"])')" = 1 ] || fail "--target runs only that target"
ok "--target runs one target"
run_optimize run "$tree" --target nope
assert_rc 2 "unknown --target"
assert_grep "$err" "no target 'nope'" "names the unknown target"
ok "unknown --target exits 2"
finish
