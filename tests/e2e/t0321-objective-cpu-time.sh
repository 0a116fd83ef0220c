#!/usr/bin/env bash
# --objective cpu-time: the program's user + system time from wait4 (the
# shell and the children it waited for), steadier than wall time on a
# shared machine. A run measures it, the report names its unit and source,
# and a program that sleeps (wall time, no CPU) is not charged the sleep.
. "$(dirname "$0")/lib.sh"

tree=$(copy_fixture icount)
python3 - "$tree/optimize.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["run"] = "sleep 0.3; " + m["run"]
m.pop("objective", None)
json.dump(m, open(sys.argv[1], "w"))
PY
run_optimize run "$tree" --no-flags --no-profile --objective cpu-time --min-runs 3 --max-runs 3
assert_rc 0 "a cpu-time run"
r=$(latest_run "$tree")/report.json
o='d["targets"][0]["objective"]'
[ "$(json_get "$r" "$o['name']")" = cpu-time ] || fail "the objective is cpu-time: $(json_get "$r" "$o")"
json_get "$r" "$o['source']" | grep -q 'wait4 user + system time' || fail "the source names wait4's user and system time"
[ "$(json_get "$r" "$o['deterministic']")" = False ] || fail "cpu-time is not deterministic"
ok "objective cpu-time from rusage, with its source"
med=$(json_get "$r" 'd["targets"][0]["candidates"][0]["measurement"]["median"]["value"]')
python3 -c "import sys; v=float('$med'); sys.exit(0 if 0 < v < 0.3 else 1)" ||
  fail "the original's cpu-time is above 0 and below the 0.3 s it sleeps (got $med)"
ok "the original's cpu-time is $med s: the 0.3 s sleep is not counted"
finish
