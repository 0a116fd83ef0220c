#!/usr/bin/env bash
# Instruction counts under cachegrind: the same counts on two runs of the
# gate, and a 2% instruction regression caught (threshold 1%).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gate_lib.sh"
require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind

repo=$T/repo
gate_repo "$repo"
set_work "$repo" 102
for run in 1 2; do
  run_optimize gate "$repo" --base main "${GATE_EXACT[@]}" --json
  assert_rc 1 "2% more instructions, run $run"
  cp "$out" "$T/run$run.json"
done
python3 - "$T/run1.json" "$T/run2.json" <<'PY' || fail "identical counts and a regression"
import json, sys
a, b = (json.load(open(f))["targets"][0] for f in sys.argv[1:])
assert a["base_value"] == b["base_value"] and a["head_value"] == b["head_value"], (a, b)
assert a["verdict"] == b["verdict"] == "regressed", (a, b)
assert 1.01 <= a["ratio"] < 1.05 and a["threshold"] == 0.01, a
print("base %d head %d ratio %.4f" % (a["base_value"], a["head_value"], a["ratio"]))
PY
ok "two runs give identical counts; a 2% instruction regression is caught"
finish
