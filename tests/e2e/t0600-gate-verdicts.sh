#!/usr/bin/env bash
# optimize gate on a fixture repository: a comment-only change is unchanged
# (exit 0); a head doing 20% more work regressed (exit 1), named with its
# ratio and interval in the Markdown, the JUnit XML (valid against the
# schema the tests ship) and the JSON; GitHub annotations and the job
# summary when GITHUB_ACTIONS is set. Exact counts under cachegrind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gate_lib.sh"
require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind

repo=$T/repo
gate_repo "$repo"

# A comment changed in the work tree: the same program.
sed -i 's#^/\* work.c:#/* work.c (reworded):#' "$repo/work.c"
run_optimize gate "$repo" --base main "${GATE_EXACT[@]}" --json
assert_rc 0 "comment-only change"
[ "$(json_get "$out" 'd["targets"][0]["verdict"]')" = unchanged ] || fail "comment-only: unchanged"
[ "$(json_get "$out" 'd["status"]')" = pass ] || fail "status pass"
[ "$(json_get "$out" 'float(d["targets"][0]["ratio"]) == 1')" = True ] || fail "identical counts: ratio 1"
ok "a comment-only change is unchanged, exit 0"
git -C "$repo" diff --quiet -- optimize.json || fail "the user's checkout was touched"
git -C "$repo" checkout -q work.c

# 20% more work, committed, gated with --head: regressed.
set_work "$repo" 120
commit "$repo" "20% more work"
summary=$T/summary.md
: >"$summary"
GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY=$summary \
  run_optimize gate "$repo" --base main~1 --head main "${GATE_EXACT[@]}" \
  --junit "$T/junit.xml" --markdown "$T/gate.md" --json
assert_rc 1 "20% more work"
assert_grep "$T/gate.md" '^\| work \| \*\*regressed\*\* \| [0-9]+ count \| [0-9]+ count \| 1\.2[0-9]+ \| \[1\.2[0-9]+, 1\.2[0-9]+\]' \
  "Markdown: the target, regressed, ratio and interval"
assert_grep "$T/gate.md" 'Holm' "Markdown says how the false-alarm rate is controlled"
cmp -s "$T/gate.md" "$summary" || fail "the job summary gets the same Markdown"
assert_grep "$err" '^::error title=optimize gate%3A work regressed::work regressed: 2[0-9]\.[0-9]%25 slower, ratio head/base 1\.2' \
  "an ::error annotation with the figures"
ok "20% more work: regressed, exit 1, Markdown, job summary and annotation (on stderr with --json)"

check_junit "$T/junit.xml"
assert_grep "$T/junit.xml" '<testcase classname="optimize.gate" name="work">' "JUnit: one testcase per target"
assert_grep "$T/junit.xml" '<failure message="regressed: 2[0-9.]+% slower, ratio head/base 1\.2[0-9]+, interval \[1\.2' \
  "JUnit: a failure with ratio and interval"
ok "JUnit validates against the schema and carries the figures"

python3 - "$out" <<'PY' || fail "JSON: the regressed target with ratio and interval"
import json, sys
d = json.load(open(sys.argv[1]))
t = d["targets"][0]
assert d["status"] == "regression" and d["family_correction"] == "holm", d
assert t["name"] == "work" and t["verdict"] == "regressed" and t["fails"], t
assert 1.19 < t["ratio"] < 1.3 and t["ci_low"] == t["ci_high"] == t["ratio"], t
assert t["deterministic"] and t["threshold"] == 0.01 and t["pairs"] == 1, t
assert t["head_value"] > t["base_value"] > 0, t
PY
ok "JSON names the regressed target with its ratio and interval"
[ -z "$(ls "$repo/.optimize/gate" 2>/dev/null)" ] || fail "checkouts left in the state directory"
ok "the checkouts are removed afterwards"
finish
