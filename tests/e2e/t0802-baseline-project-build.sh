#!/usr/bin/env bash
# The baseline is the project's real build. A Makefile that builds with its
# own -O3 -funroll-loops followed by $(CFLAGS) (as lz4 does), and a manifest
# that sets "cflags": "-O1": the original is -O1, the flag search finds -O3,
# and the run says that this only restores the project's own build rather than
# calling it a speedup. The report records the compiler command line the
# original was built with (read back from the binary), and the table's
# speedup equals original / best, all from the confirming head-to-head.
. "$(dirname "$0")/lib.sh"
require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind
command -v make >/dev/null || fail "make not found (scripts/bootstrap.sh installs build-essential)"

tree=$(copy_fixture make-own-o3)
run_optimize run "$tree" --objective instructions --counters cachegrind --no-profile --apply
assert_rc 0 "the run"
r=$(latest_run "$tree")/report.json
lines=$(json_get "$r" '" ".join(d["targets"][0]["candidates"][0]["compiler_command_lines"])')
echo "$lines" | grep -q -- '-O1' || fail "the original's recorded command line has the manifest's -O1: '$lines'"
echo "$lines" | grep -q -- '-funroll-loops' || fail "and the project's own -funroll-loops: '$lines'"
ok "the original's compiler command line: $lines"
[ "$(json_get "$r" 'd["targets"][0]["best"]["label"]')" = -O3 ] || fail "the flag search finds -O3"
json_get "$r" 'd["targets"][0]["best"]["restores_project_default"]' | grep -q "not a speedup" || fail "report.json says it restores the default"
assert_grep "$err" "restores the project's default flags" "a warning says so"
assert_grep "$out" "the project's own build" "the table says so"
assert_grep "$(latest_run "$tree")/summary.md" "Not a speedup of the project's build" "summary.md says so"
ok "a flag win that restores the project's own build is called that"
json_get "$r" 'd["targets"][0]["best"]["headline"]["source"]' | grep -q confirming || fail "the headline comes from the confirming head-to-head"
python3 "$OPTIMIZE_TESTS_DIR/e2e/lib_headline.py" "$out" "$r" | grep -q 'checked 1' || fail "headline check"
ok "the table's speedup is original / best, from the confirming head-to-head"
# A flags-only winner can be applied: best/optimize.json carries its settings,
# --apply writes them into the manifest (keeping .orig), summary.md shows the
# build line to use elsewhere.
run=$(latest_run "$tree")
[ "$(json_get "$run/ownO3/best/optimize.json" 'd["cflags"]')" = -O3 ] || fail "best/optimize.json carries cflags -O3"
[ "$(json_get "$tree/optimize.json" 'd["cflags"]')" = -O3 ] || fail "--apply writes cflags -O3 into the manifest"
[ "$(json_get "$tree/optimize.json.orig" 'd["cflags"]')" = -O1 ] || fail "the previous manifest is kept as .orig"
assert_grep "$err" 'wrote optimize.json' "--apply says it wrote the manifest"
assert_grep "$run/summary.md" 'CFLAGS="-O3"' "summary.md shows the build line"
cmp -s "$tree/sum.c" "$FIXTURES/make-own-o3/sum.c" || fail "no source file changes"
ok "--apply of a flags-only winner changes the manifest's cflags"
finish
