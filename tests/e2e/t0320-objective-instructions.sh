#!/usr/bin/env bash
# --objective instructions with the deterministic cachegrind backend: a
# rewrite that removes work is accepted and one that adds work is rejected,
# each decided by a single run, and the report says so.
. "$(dirname "$0")/lib.sh"
# valgrind is a dependency scripts/bootstrap.sh installs.
require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind

tree=$(copy_fixture icount)
cands=$FIXTURES/icount-candidates
run_optimize run "$tree" --no-flags --no-profile --counters cachegrind \
  --candidate "$cands/more" --candidate "$cands/fewer"
assert_rc 0 "instructions objective run"
r=$(latest_run "$tree")/report.json
[ "$(json_get "$r" 'd["targets"][0]["objective"]["deterministic"]')" = True ] || fail "objective must be deterministic"
json_get "$r" 'd["targets"][0]["objective"]["source"]' | grep -q cachegrind || fail "source names cachegrind"
ok "objective instructions from cachegrind, deterministic"
[ "$(json_get "$r" 'd["targets"][0]["candidates"][1]["status"]')" = not-faster ] || fail "adding work must be rejected"
[ "$(json_get "$r" 'd["targets"][0]["candidates"][2]["status"]')" = accepted ] || fail "removing work must be accepted"
ok "more instructions rejected, fewer accepted"
[ "$(json_get "$r" 'd["targets"][0]["candidates"][2]["measurement"]["ratio"]["pairs"]')" = 1 ] || fail "one run each decides"
json_get "$r" 'd["targets"][0]["candidates"][2]["reason"]' | grep -q "one run each" || fail "the reason says a single run decided"
ok "a single run each decides, and the report says so"
ratio=$(json_get "$r" 'd["targets"][0]["candidates"][1]["measurement"]["ratio"]["estimate"]')
python3 -c "import sys; sys.exit(0 if float('$ratio') > 1.2 else 1)" || fail "six loops vs four: ratio $ratio should be about 1.5"
ok "ratio of the heavier rewrite: $ratio"
finish
