#!/usr/bin/env bash
# A Make project whose Makefile assigns CFLAGS itself (CFLAGS = -O2) ignores
# the environment's $CFLAGS: the first flag candidate builds the same code as
# the original, and so does a probe build that changes any code. The run says
# so once, names the cause and the fix, and skips the rest of the flag search.
. "$(dirname "$0")/lib.sh"
require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind
command -v make >/dev/null || fail "make not found (scripts/bootstrap.sh installs build-essential)"

tree=$(copy_fixture make-ignores)
run_optimize run "$tree" --objective instructions --counters cachegrind --no-profile
assert_rc 0 "a run whose build ignores the flags still completes"
assert_grep "$err" 'the build ignores \$CFLAGS' "the warning names the problem"
assert_grep "$err" 'Makefile assigns CFLAGS' "the warning names the likely cause"
assert_grep "$err" 'make CFLAGS=\\"\$CFLAGS\\"' "the warning shows the build line that passes the flags"
assert_grep "$err" 'CMAKE_C_FLAGS' "the warning names CMake's variable"
[ "$(grep -c 'the build ignores \$CFLAGS:' "$err")" = 1 ] || fail "the warning is said once"
ok "warned once, with the cause and the fix"
r=$(latest_run "$tree")/report.json
n=$(json_get "$r" 'len(d["targets"][0]["candidates"])')
[ "$n" = 2 ] || fail "the flag search must stop after the first candidate, got $((n - 1)) candidates"
ok "rest of the flag search skipped"
c1='d["targets"][0]["candidates"][1]'
[ "$(json_get "$r" "$c1[\"status\"]")" = duplicate ] || fail "c1 is not measured"
[ "$(json_get "$r" "$c1[\"build_ignores_cflags\"]")" = True ] || fail "c1 records build_ignores_cflags"
[ "$(json_get "$r" "$c1[\"same_build_as\"]")" = 0 ] || fail "c1 built the same code as c0"
[ "$(json_get "$r" "$c1[\"build_code_sha256\"]")" = "$(json_get "$r" 'd["targets"][0]["candidates"][0]["build_code_sha256"]')" ] ||
  fail "the same code hash"
json_get "$r" "'measurement' in $c1" | grep -q False || fail "c1 must not be measured"
ok "the candidate is recorded as the same build, not measured"
finish
