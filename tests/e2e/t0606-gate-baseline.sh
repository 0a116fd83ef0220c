#!/usr/bin/env bash
# optimize gate record / --baseline: exact counts recorded with the
# environment; a 2% instruction regression against the file is caught; a
# changed environment is named; a baseline from another tool version or
# target set is refused (exit 2); a wall-time baseline carries a plain warning.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gate_lib.sh"
require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind

repo=$T/repo
gate_repo "$repo"
run_optimize gate record "$repo" --output "$T/base.json" "${GATE_EXACT[@]}"
assert_rc 0 "record"
python3 - "$T/base.json" "$(git -C "$repo" rev-parse HEAD)" <<'PY' || fail "the baseline's contents"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "optimize-gate-baseline" and d["commit"] == sys.argv[2], d
e = d["environment"]
assert e["cpu_model"] and e["compiler"], e
t = d["targets"][0]
assert t["name"] == "work" and t["objective"] == "instructions" and t["deterministic"], t
assert t["cflags"] == "-O1" and t["cc"] == "cc" and t["value"] > 0 and t["values"] == [t["value"]], t
assert d["tool_version"]
PY
ok "record: exact counts with CPU model, compiler, flags, tool version and commit"

# 2% more instructions, and a baseline that says another compiler made it.
set_work "$repo" 102
python3 - "$T/base.json" "$T/othercc.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["environment"]["compiler"] = "gcc (Imaginary) 99.1"
json.dump(d, open(sys.argv[2], "w"))
PY
run_optimize gate "$repo" --baseline "$T/othercc.json" "${GATE_EXACT[@]}" --json
assert_rc 1 "2% more instructions than the baseline"
python3 - "$out" <<'PY' || fail "regressed, with the compiler mismatch named"
import json, sys
d = json.load(open(sys.argv[1])); t = d["targets"][0]
assert t["verdict"] == "regressed" and 1.01 <= t["ratio"] < 1.05, t
assert any("the compiler differs" in n and "Imaginary" in n for n in d["notes"]), d["notes"]
PY
ok "a 2% regression against the baseline; the compiler mismatch is named"

python3 - "$T/base.json" "$T/oldver.json" "$T/othertargets.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["tool_version"] = "0.0.1"; json.dump(d, open(sys.argv[2], "w"))
d = json.load(open(sys.argv[1])); d["targets"][0]["name"] = "other"; json.dump(d, open(sys.argv[3], "w"))
PY
run_optimize gate "$repo" --baseline "$T/oldver.json" "${GATE_EXACT[@]}"
assert_rc 2 "another tool version"
assert_grep "$err" "recorded by optimize 0.0.1, and this is optimize" "names both versions"
run_optimize gate "$repo" --baseline "$T/othertargets.json" "${GATE_EXACT[@]}"
assert_rc 2 "another target set"
assert_grep "$err" "holds the targets 'other', and this gate compares 'work'" "names both target sets"
ok "a baseline from another tool version or target set: exit 2"

git -C "$repo" checkout -q work.c
run_optimize gate record "$repo" --output "$T/time.json" --objective time --min-runs 3
assert_rc 0 "wall-time record"
assert_grep "$err" "wall-time baseline: timings from another job are not comparable" "record warns"
run_optimize gate "$repo" --baseline "$T/time.json" --objective time --min-runs 3 --markdown "$T/t.md"
assert_grep "$T/t.md" "warning: this baseline holds wall times from another job: timings from another job" \
  "the compare output warns plainly"
ok "a wall-time baseline works, with a plain warning (rc $rc)"
finish
