#!/usr/bin/env bash
# optimize gate with a verdict that cannot be reached: too few pairs for any
# interval (wall time, --max-runs 4: the sign-test interval needs 6) is
# `inconclusive`: exit 0 with a warning by default, exit 1 with
# --inconclusive fail (a JUnit failure, `fails` in the JSON). And SIGINT
# while measuring: exit 130, and the outputs written so far are readable and
# say the target was not measured (docs/exit-codes.md).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gate_lib.sh"

repo=$T/repo
gate_repo "$repo"
echo "/* reworded */" >>"$repo/work.c"

run_optimize gate "$repo" --base main --objective time --min-runs 2 --max-runs 4 --json
assert_rc 0 "inconclusive passes by default"
[ "$(json_get "$out" 'd["targets"][0]["verdict"]')" = inconclusive ] || fail "inconclusive on 4 pairs"
[ "$(json_get "$out" 'd["targets"][0]["fails"]')" = False ] || fail "not failing by default"
assert_grep "$err" "'work' is inconclusive after 4 pairs: it passes" "a warning says it passes"
ok "inconclusive: exit 0 with a warning"

run_optimize gate "$repo" --base main --objective time --min-runs 2 --max-runs 4 \
  --inconclusive fail --json --junit "$T/j.xml" --markdown "$T/m.md"
assert_rc 1 "--inconclusive fail"
python3 - "$out" <<'PY' || fail "JSON: inconclusive, failing, status regression"
import json, sys
d = json.load(open(sys.argv[1]))
t = d["targets"][0]
assert d["status"] == "regression" and d["inconclusive_fails"], d
assert t["verdict"] == "inconclusive" and t["fails"] and t["pairs"] == 4, t
assert t["ci_low"] is None and t["ci_high"] is None, t
PY
check_junit "$T/j.xml"
assert_grep "$T/j.xml" '<failure message="inconclusive' "JUnit: a failure"
assert_grep "$T/m.md" '^\| work \| \*\*inconclusive\*\* \|' "Markdown: in bold, failing"
ok "--inconclusive fail: exit 1, a failure in every output"

# Slow runs, so that the SIGINT lands while measuring.
sed -i 's#"run": "./work 100000"#"run": "./work 100000 \&\& sleep 0.2"#' "$repo/optimize.json"
"$OPTIMIZE_BIN" gate "$repo" --base main --objective time --min-runs 30 --max-runs 30 \
  --json --markdown "$T/int.md" --junit "$T/int.xml" >"$T/int.json" 2>"$T/int.err" &
pid=$!
for _ in $(seq 1 240); do
  grep -q 'the head: build, verify' "$T/int.err" && break
  sleep 0.25
done
grep -q 'the head: build, verify' "$T/int.err" || { kill "$pid"; cat "$T/int.err"; fail "never measured"; }
sleep 3
kill -INT "$pid"
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" = 130 ] || { cat "$T/int.err"; fail "expected exit 130 after SIGINT, got $rc"; }
python3 - "$T/int.json" <<'PY' || fail "JSON after SIGINT: readable, the target not measured"
import json, sys
d = json.load(open(sys.argv[1]))
t = d["targets"][0]
assert d["status"] == "incomplete", d["status"]
assert t["name"] == "work" and t["verdict"] == "not measured", t
assert "interrupted" in t["reason"], t["reason"]
PY
assert_grep "$T/int.md" '^\| work \| \*\*not measured\*\* \|' "Markdown written, not measured"
check_junit "$T/int.xml"
[ -z "$(ls "$repo/.optimize/gate" 2>/dev/null)" ] || fail "checkouts left after SIGINT"
ok "SIGINT while measuring: exit 130, the outputs readable, the target not measured"
finish
