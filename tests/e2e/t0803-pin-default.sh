#!/usr/bin/env bash
# Timed runs are pinned by default: a short calibration of the original on
# each allowed CPU picks one, both sides of every pair run there, and the
# report records it; --cpu any turns it off, --cpu N names the CPU.
. "$(dirname "$0")/lib.sh"

tree=$(copy_fixture flagwin)
run_optimize run "$tree" --no-flags --no-profile --min-runs 2 --max-runs 2 --warmup 0
assert_rc 0 "a run with the default pinning"
r=$(latest_run "$tree")/report.json
if [ "$(nproc)" -ge 2 ]; then
  cpu=$(json_get "$r" 'd["targets"][0]["pinning"]["cpu"]')
  [ "$cpu" != None ] || fail "with $(nproc) CPUs allowed, timed runs are pinned"
  json_get "$r" 'd["targets"][0]["pinning"]["how"]' | grep -q calibrated || fail "the report says how the CPU was chosen"
  assert_grep "$err" "timed runs pinned to CPU $cpu" "the run says which CPU"
  ok "pinned to CPU $cpu by calibration"
else
  [ "$(json_get "$r" 'd["targets"][0]["pinning"]["cpu"]')" = None ] || fail "one CPU allowed: nothing to choose"
  ok "one CPU allowed: not pinned"
fi
run_optimize run "$tree" --no-flags --no-profile --min-runs 2 --max-runs 2 --warmup 0 --cpu any
assert_rc 0 "--cpu any"
r=$(latest_run "$tree")/report.json
[ "$(json_get "$r" 'd["targets"][0]["pinning"]["cpu"]')" = None ] || fail "--cpu any: not pinned"
assert_no_grep "$err" "pinned to CPU" "--cpu any: no calibration"
ok "--cpu any turns pinning off"
run_optimize run "$tree" --no-flags --no-profile --min-runs 2 --max-runs 2 --warmup 0 --cpu 0
assert_rc 0 "--cpu 0"
r=$(latest_run "$tree")/report.json
[ "$(json_get "$r" 'd["targets"][0]["pinning"]["cpu"]')" = 0 ] || fail "--cpu 0 is recorded"
[ "$(json_get "$r" 'd["targets"][0]["pinning"]["how"]')" = --cpu ] || fail "--cpu 0: how"
ok "--cpu N is recorded as given"
finish
