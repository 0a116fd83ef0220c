#!/bin/bash
# optimize profile: the perf-stat-like table, hotspots (perf cpu-clock
# sampling) naming the hot function and its source line, --json, --output,
# --counters cachegrind with per-line figures, and the exit codes 2 and 3.
set -u

: "${OPTIMIZE_BIN:?set OPTIMIZE_BIN to the optimize binary}"
: "${OPTIMIZE_TESTS_DIR:?set OPTIMIZE_TESTS_DIR to tests/}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/t0310.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "not ok - $*"
	failures=$((failures + 1))
}

ok() {
	echo "ok - $*"
}

# A fixture tree of our own, so nothing is written next to the sources.
tree="$tmp/hot"
cp -r "$OPTIMIZE_TESTS_DIR/fixtures/hot" "$tree"
before=$(cd "$tree" && ls -la | sha256sum)

# 1. the table and the hotspots
"$OPTIMIZE_BIN" profile "$tree" --target hot >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ]; then ok "profile exits 0"; else fail "profile exit $rc: $(cat "$tmp/err")"; fi
grep -q "task-clock" "$tmp/out" && ok "table has task-clock" || fail "no task-clock row"
grep -q "wall-time" "$tmp/out" && ok "table has wall-time" || fail "no wall-time row"
if grep -q "perf cpu-clock sampling" "$tmp/out"; then
	first=$(grep -A1 "Hot functions" "$tmp/out" | tail -1)
	case "$first" in
	*hot_loop*) ok "hot_loop is the hottest function ($first)" ;;
	*) fail "hottest function is not hot_loop: $first" ;;
	esac
	grep -A1 "Hot source lines" "$tmp/out" | tail -1 | grep -q "hot.c:" &&
		ok "hottest line is in hot.c" || fail "hottest line not in hot.c"
else
	# sampling not permitted here: the reason must be said
	grep -qi "hotspot\|not available" "$tmp/out" "$tmp/err" &&
		ok "no sampling here, and it says why" || fail "no hotspots and no reason"
fi
after=$(cd "$tree" && ls -la | sha256sum)
[ "$before" = "$after" ] && ok "the tree was not written" || fail "the tree changed"
[ ! -e "$tree/hot" ] && ok "no build output in the tree" || fail "build output in the tree"

# 2. --json parses and holds metrics and functions; --output writes there
"$OPTIMIZE_BIN" profile "$tree" --target hot --json --output "$tmp/p.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && ok "--json --output exits 0" || fail "--json exit $rc: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] && ok "nothing on stdout with --output" || fail "stdout not empty with --output"
python3 - "$tmp/p.json" <<'PY' && ok "--json parses and has the fields" || fail "--json content"
import json, sys
d = json.load(open(sys.argv[1]))
names = {m["name"]: m for m in d["metrics"]}
assert d["target"] == "hot" and d["counters"] == "perf", d.get("target")
assert "task-clock" in names and names["task-clock"]["value"] > 0
assert "wall-time" in names
if d.get("hotspot_source"):
    assert d["functions"][0]["name"] == "hot_loop", d["functions"][:2]
    assert d["functions"][0]["pct"] >= 50
    assert d["lines"][0]["file"].endswith("hot.c") and d["lines"][0]["text"]
PY

# 3. --counters cachegrind: simulated, deterministic, per-line figures
"$OPTIMIZE_BIN" profile "$tree" --target hot-small --counters cachegrind --json >"$tmp/cg1.json" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ]; then
	ok "--counters cachegrind exits 0"
	"$OPTIMIZE_BIN" profile "$tree" --target hot-small --counters cachegrind --json --no-hotspots >"$tmp/cg2.json" 2>"$tmp/err"
	python3 - "$tmp/cg1.json" "$tmp/cg2.json" <<'PY' && ok "cachegrind numbers and hotspots" || fail "cachegrind json"
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
	"$OPTIMIZE_BIN" profile "$tree" --target hot-small --counters cachegrind >"$tmp/out" 2>"$tmp/err"
	grep -q "simulated" "$tmp/out" && grep -q "Ir " "$tmp/out" &&
		ok "cachegrind table shows simulated counts and Ir per line" || fail "cachegrind table"
elif grep -q "valgrind not found" "$tmp/err"; then
	ok "# SKIP cachegrind: valgrind not installed"
else
	fail "--counters cachegrind exit $rc: $(cat "$tmp/err")"
fi

# 4. exit codes: 2 for usage and manifest errors, 3 when it does not build or run
"$OPTIMIZE_BIN" profile "$tree" --counters nosuch >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "nosuch" "$tmp/err" && ok "unknown backend: exit 2" || fail "unknown backend"
"$OPTIMIZE_BIN" profile "$tree" --target nosuch >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "hot-small" "$tmp/err" && ok "unknown target: exit 2 listing targets" || fail "unknown target"
"$OPTIMIZE_BIN" profile "$tmp/nowhere" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && ok "missing manifest: exit 2" || fail "missing manifest"
"$OPTIMIZE_BIN" profile --help >"$tmp/out" 2>&1
[ $? -eq 0 ] && grep -q -- "--counters" "$tmp/out" && ok "--help" || fail "--help"

broken="$tmp/broken"
cp -r "$OPTIMIZE_TESTS_DIR/fixtures/hot" "$broken"
echo "this is not C" >>"$broken/hot.c"
"$OPTIMIZE_BIN" profile "$broken" --target hot >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 3 ] && grep -q "error" "$tmp/err" && ok "build failure: exit 3 with the compiler's message" ||
	fail "build failure: exit $rc: $(cat "$tmp/err")"

failing="$tmp/failing"
cp -r "$OPTIMIZE_TESTS_DIR/fixtures/hot" "$failing"
sed -i 's|"run": "./hot 100"|"run": "./hot 1; echo oops >\&2; exit 7"|' "$failing/optimize.json"
"$OPTIMIZE_BIN" profile "$failing" --target hot --no-hotspots >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 3 ] && grep -q "exit 7" "$tmp/err" && grep -q oops "$tmp/err" &&
	ok "failing run: exit 3 with its stderr" || fail "failing run: exit $rc: $(cat "$tmp/err")"

if [ $failures -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "all ok"
