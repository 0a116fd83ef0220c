#!/usr/bin/env bash
# A CMake project reads $CFLAGS into CMAKE_C_FLAGS on a fresh build
# directory (every workspace is fresh), so the flags reach the compiler: the
# flag candidates build code that differs from the original's, and no
# "ignores $CFLAGS" warning is given. Decisions do not matter here: one pair
# of timed runs each keeps it short.
. "$(dirname "$0")/lib.sh"
command -v cmake >/dev/null || fail "cmake not found (scripts/bootstrap.sh installs it)"

tree=$(copy_fixture cmake-flags)
run_optimize run "$tree" --min-runs 2 --max-runs 2 --warmup 0 --no-profile
assert_rc 0 "a CMake project's flag search"
assert_no_grep "$err" 'ignores \$CFLAGS' "no warning for a build that passes the flags"
ok "no warning"
r=$(latest_run "$tree")/report.json
json_get "$r" '[c["build_code_sha256"] for c in d["targets"][0]["candidates"] if "build_code_sha256" in c]' >"$T/hashes"
h0=$(json_get "$r" 'd["targets"][0]["candidates"][0]["build_code_sha256"]')
h1=$(json_get "$r" 'd["targets"][0]["candidates"][1]["build_code_sha256"]')
[ -n "$h0" ] && [ -n "$h1" ] || fail "build code hashes recorded"
[ "$h0" != "$h1" ] || fail "c1 (-O3) must build other code than the original (-O1)"
ok "the flags reach the compiler: c0 and c1 differ"
n=$(json_get "$r" 'sum(1 for c in d["targets"][0]["candidates"] if c.get("build_ignores_cflags"))')
[ "$n" = 0 ] || fail "no candidate is said to ignore the flags"
n=$(json_get "$r" 'len(d["targets"][0]["candidates"])')
[ "$n" -gt 5 ] || fail "the flag search goes on ($n candidates)"
ok "the flag search goes on"
# With the time objective the medians and the median of ratios differ: the
# table still quotes a speedup equal to original / best.
python3 "$OPTIMIZE_TESTS_DIR/e2e/lib_headline.py" "$out" "$r" || fail "headline check"
ok "the table's speedup is original / best"
finish
