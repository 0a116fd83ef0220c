#!/usr/bin/env bash
# `optimize doctor`: each backend, each default event supported or not with
# the reason, PAPI components, valgrind, OpenCL; --json parses. Passes on a
# machine with a hardware PMU and on one without.
. "$(dirname "$0")/lib.sh"

run_optimize doctor
assert_rc 0 "doctor"
for b in perf papi cachegrind rusage; do
  assert_grep "$out" "^  $b +(available|not available)" "lists the $b backend"
done
ok "lists every backend, available or not"

# rusage needs nothing: always available.
assert_grep "$out" '^  rusage +available' "rusage is always available"
ok "rusage is available"

# A hardware event is supported, or not supported with a numbered reason
# whose text says why (no PMU, perf_event_paranoid, ...).
line=$(grep -E '^  instructions ' "$out" || true)
[ -n "$line" ] || fail "no row for the instructions event"
case "$line" in
*"not supported ["*)
  n=$(printf '%s\n' "$line" | sed -E 's/^ +instructions +not supported \[([0-9]+)\].*/\1/')
  assert_grep "$out" "^  \[$n\] .{10,}" "the reason for instructions is spelled out"
  ok "instructions: not supported here, with the reason"
  ;;
*supported*)
  ok "instructions: supported here"
  ;;
*)
  fail "instructions row says neither: $line"
  ;;
esac
for e in cycles instructions branches branch-misses cache-references cache-misses \
  L1-dcache-load-misses LLC-load-misses task-clock page-faults context-switches; do
  assert_grep "$out" "^  $e +(supported|not supported)" "lists the default event $e"
done
ok "lists every default event"
assert_grep "$out" '^perf_event_paranoid: ' "shows perf_event_paranoid"
assert_grep "$out" '^valgrind: ' "says whether valgrind is present"
assert_grep "$out" '^PAPI components:' "lists PAPI components"
assert_grep "$out" '^OpenCL:' "has an OpenCL section"
ok "paranoid, valgrind, PAPI and OpenCL sections"

run_optimize doctor --json
assert_rc 0 "doctor --json"
python3 -m json.tool "$out" >/dev/null || fail "doctor --json is not valid JSON"
ok "--json parses"
[ "$(json_get "$out" "sorted(b['name'] for b in d['backends'])")" = \
  "['cachegrind', 'papi', 'perf', 'rusage']" ] || fail "--json lists the four backends"
[ "$(json_get "$out" "all(b['available'] or b['reason'] for b in d['backends'])")" = True ] ||
  fail "an unavailable backend has a reason"
[ "$(json_get "$out" "all(e[k]['available'] or len(e[k]['reason']) > 10 for e in d['events'] for k in ('perf', 'papi'))")" = True ] ||
  fail "every unsupported event has a reason"
[ "$(json_get "$out" "len(d['events'])")" = 11 ] || fail "--json lists the 11 default events"
ok "--json: backends and events with reasons"

run_optimize doctor --help
assert_rc 0 "doctor --help"
assert_grep "$out" '--json' "--help lists --json"
ok "doctor --help"
run_optimize doctor --no-such-option
assert_rc 2 "unknown option"
ok "unknown option exits 2"

finish
