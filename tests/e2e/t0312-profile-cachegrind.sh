#!/usr/bin/env bash
# optimize profile --counters cachegrind: simulated, deterministic counts and
# per-line figures (Ir) in --json and in the table (moved from t0310). With
# valgrind not in PATH it is a usage error that says so. valgrind is a
# dependency scripts/bootstrap.sh installs: without it the rest fails,
# unless OPTIMIZE_TEST_NO_VALGRIND=1 skips it.
. "$(dirname "$0")/lib.sh"

tree=$(copy_fixture hot)

# No valgrind in PATH (nor anything else: the backend is checked first).
mkdir "$T/empty"
saved_path=$PATH
PATH=$T/empty
run_optimize profile "$tree" --target hot-small --counters cachegrind
PATH=$saved_path
assert_rc 2 "--counters cachegrind without valgrind in PATH"
assert_grep "$err" "cachegrind backend cannot be used here: valgrind not found" "says valgrind is missing"
ok "without valgrind in PATH: exit 2, saying so"

require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind
run_optimize profile "$tree" --target hot-small --counters cachegrind --json
assert_rc 0 "--counters cachegrind"
cp "$out" "$T/cg1.json"
ok "--counters cachegrind exits 0"
run_optimize profile "$tree" --target hot-small --counters cachegrind --json --no-hotspots
assert_rc 0 "--counters cachegrind --no-hotspots"
python3 - "$T/cg1.json" "$out" <<'PY' || fail "cachegrind json"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ma = {m["name"]: m for m in a["metrics"]}
mb = {m["name"]: m for m in b["metrics"]}
assert ma["instructions"]["source"] == "simulated", ma["instructions"]
assert ma["instructions"]["backend"] == "cachegrind"
assert ma["instructions"]["value"] > 1e6
assert ma["instructions"]["value"] == mb["instructions"]["value"], "not deterministic"
assert a["deterministic"] is True
assert a["functions"][0]["name"] == "hot_loop" and a["functions"][0]["ir"] > 0
assert a["lines"][0]["ir"] > 0 and a["lines"][0]["text"]
assert not b["functions"], "hotspots despite --no-hotspots"
PY
ok "cachegrind numbers and hotspots"
run_optimize profile "$tree" --target hot-small --counters cachegrind
assert_rc 0 "--counters cachegrind, the table"
assert_grep "$out" "simulated" "the table says the counts are simulated"
assert_grep "$out" "Ir " "the table has Ir per line"
ok "cachegrind table shows simulated counts and Ir per line"
finish
