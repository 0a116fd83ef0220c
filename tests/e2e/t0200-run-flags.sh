#!/usr/bin/env bash
# optimize run with the offline flag search finds a known flag win, leaves the
# tree untouched, and writes report.json, summary.md, a best/optimize.json with
# the winning settings and a best.patch that changes only the manifest.
. "$(dirname "$0")/lib.sh"

tree=$(copy_fixture flagwin)
before=$(tree_hash "$tree")
run_optimize run "$tree" --max-runs 12 --seed 7
assert_rc 0 "a run with a flag win exits 0"
ok "exit 0"
[ "$(tree_hash "$tree")" = "$before" ] || fail "the user's tree was written during the run"
ok "tree untouched without --apply"
run=$(latest_run "$tree")
r=$run/report.json
[ "$(json_get "$r" 'd["schema"]')" = optimize.report ] || fail "schema name"
[ "$(json_get "$r" 'd["schema_version"]')" = 1 ] || fail "schema version"
t0=$run/flagwin/report.json
[ -f "$t0" ] || fail "per-target report missing"
status=$(json_get "$r" 'd["targets"][0]["status"]')
[ "$status" = improved ] || { cat "$err"; fail "expected a flag win, status is $status"; }
ok "a flag win was found"
label=$(json_get "$r" 'd["targets"][0]["best"]["label"]')
echo "$label" | grep -qE -- '-O3|-march=native|-funroll-loops|-Ofast|pgo' || fail "winner label '$label'"
lo=$(json_get "$r" 'd["targets"][0]["best"]["speedup"]["lo"]')
python3 -c "import sys; sys.exit(0 if float('$lo') > 1.0 else 1)" || fail "speedup interval must be above 1, lo=$lo"
ok "winner $label with a speedup interval above 1"
# every candidate records its measurement with unit and source
json_get "$r" 'all(c["measurement"]["samples"]["unit"]=="s" for c in d["targets"][0]["candidates"] if "measurement" in c)' | grep -q True || fail "samples carry units"
json_get "$r" 'd["environment"]["cpu_model"]' >/dev/null || fail "environment recorded"
ok "report fields"
[ -f "$run/summary.md" ] || fail "summary.md missing"
assert_grep "$run/summary.md" 'flagwin' "summary names the target"
grep -q '^+++ b/optimize.json' "$run/flagwin/best.patch" || fail "best.patch changes only the manifest when flags alone won"
grep -q '^+++ b/.*\.c$' "$run/flagwin/best.patch" && fail "best.patch must not change a source file"
[ -f "$run/flagwin/best/optimize.json" ] || fail "the winner's tree is saved"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d.get('cflags') == sys.argv[2] else 1)" \
  "$run/flagwin/best/optimize.json" "$(json_get "$run/flagwin/report.json" 'd["candidates"][d["best"]["id"]]["config"]["cflags"]')" ||
  fail "best/optimize.json carries the winner's cflags"
ok "summary, best.patch of the manifest, winner tree with the winning settings"
assert_grep "$out" '\| flagwin \|' "result table on stdout"
assert_grep "$err" 'c[0-9]+ ' "a line per candidate on stderr"
ok "table and progress lines"
finish
