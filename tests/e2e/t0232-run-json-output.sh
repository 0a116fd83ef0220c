#!/usr/bin/env bash
# optimize run --json prints the run's report.json on stdout (and nothing
# else); --output FILE writes the result there instead of stdout.
. "$(dirname "$0")/lib.sh"

tree=$(copy_fixture icount)
opts=(--no-flags --no-profile --min-runs 2 --max-runs 2 --objective time)
run_optimize run "$tree" "${opts[@]}" --json
assert_rc 0 "run --json"
r=$(latest_run "$tree")/report.json
python3 - "$out" "$r" <<'PY' || fail "stdout is not the run's report.json"
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert a == b, "stdout differs from report.json"
assert a["schema"] == "optimize.report" and a["targets"][0]["name"] == "icount"
PY
assert_no_grep "$out" '^\| target' "no table on stdout with --json"
ok "--json: stdout is report.json, nothing else"

run_optimize run "$tree" "${opts[@]}" --output result.md
assert_rc 0 "run --output"
[ ! -s "$out" ] || fail "stdout must be empty with --output"
assert_grep result.md '^\| target \| objective' "the table went into the file"
assert_grep "$err" 'result: result.md' "stderr says where the result went"
run_optimize run "$tree" "${opts[@]}" --json --output result.json
assert_rc 0 "run --json --output"
json_get result.json 'd["schema"]' | grep -qx optimize.report || fail "result.json is the report"
ok "--output FILE: the table (or with --json the report) goes into FILE, stdout stays empty"

run_optimize run "$tree" "${opts[@]}" --output "$T/no/such/dir/x.json"
assert_rc 2 "an --output that cannot be written"
assert_grep "$err" "--output '.*x.json': cannot write into" "names the file"
[ ! -e "$tree/.optimize/runs" ] || [ "$(ls "$tree/.optimize/runs" | wc -l)" = 3 ] || fail "nothing may run"
ok "an --output that cannot be written is a usage error (exit 2) before anything runs"
finish
