#!/usr/bin/env bash
# A baseline that does not compile exits 3 with the compiler's message.
. "$(dirname "$0")/lib.sh"

tree=$(copy_fixture nobuild)
run_optimize run "$tree"
assert_rc 3 "the original does not build"
assert_grep "$err" 'does not build' "says the original does not build"
assert_grep "$err" 'error' "shows the compiler's error"
ok "exit 3 with the compiler's message"
run=$(latest_run "$tree")
[ "$(json_get "$run/report.json" 'd["targets"][0]["status"]')" = baseline-failed ] || fail "report status"
ok "report written with baseline-failed"
finish
