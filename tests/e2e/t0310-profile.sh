#!/usr/bin/env bash
# optimize profile: the perf-stat-like table, hotspots (perf cpu-clock
# sampling) naming the hot function and its source line, --json, --output,
# and the exit codes 2 and 3 (--counters cachegrind is t0312). Where
# perf_event_open is refused, the table and --json must say why task-clock
# is not counted; the test then fails, unless OPTIMIZE_TEST_NO_PERF=1 makes
# it a skip. It goes on after a failed check and counts them.
. "$(dirname "$0")/lib.sh"
set +e +o pipefail

tmp=$T
failures=0
not_ok() {
	echo "not ok - $*"
	failures=$((failures + 1))
}
if perf_why=$(have_perf 2>&1); then perf=1; else perf=0; fi

# A fixture tree of our own, so nothing is written next to the sources.
tree="$tmp/hot"
cp -r "$OPTIMIZE_TESTS_DIR/fixtures/hot" "$tree"
before=$(cd "$tree" && ls -la | sha256sum)

# 1. the table and the hotspots
"$OPTIMIZE_BIN" profile "$tree" --target hot >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ]; then ok "profile exits 0"; else not_ok "profile exit $rc: $(cat "$tmp/err")"; fi
grep -q "task-clock" "$tmp/out" && ok "table has task-clock" || not_ok "no task-clock row"
grep -q "wall-time" "$tmp/out" && ok "table has wall-time" || not_ok "no wall-time row"
if grep -q "perf cpu-clock sampling" "$tmp/out"; then
	first=$(grep -A1 "Hot functions" "$tmp/out" | tail -1)
	case "$first" in
	*hot_loop*) ok "hot_loop is the hottest function ($first)" ;;
	*) not_ok "hottest function is not hot_loop: $first" ;;
	esac
	grep -A1 "Hot source lines" "$tmp/out" | tail -1 | grep -q "hot.c:" &&
		ok "hottest line is in hot.c" || not_ok "hottest line not in hot.c"
else
	# sampling not permitted here: the reason must be said
	grep -qi "hotspot\|not available" "$tmp/out" "$tmp/err" &&
		ok "no sampling here, and it says why" || not_ok "no hotspots and no reason"
fi
after=$(cd "$tree" && ls -la | sha256sum)
[ "$before" = "$after" ] && ok "the tree was not written" || not_ok "the tree changed"
[ ! -e "$tree/hot" ] && ok "no build output in the tree" || not_ok "build output in the tree"

# 2. --json parses and holds metrics and functions; --output writes there
"$OPTIMIZE_BIN" profile "$tree" --target hot --json --output "$tmp/p.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && ok "--json --output exits 0" || not_ok "--json exit $rc: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] && ok "nothing on stdout with --output" || not_ok "stdout not empty with --output"
python3 - "$tmp/p.json" "$perf" <<'PY' && ok "--json parses and has the fields" || not_ok "--json content"
import json, sys
d = json.load(open(sys.argv[1]))
names = {m["name"]: m for m in d["metrics"]}
assert d["target"] == "hot" and d["counters"] == "perf", d.get("target")
if sys.argv[2] == "1":
    assert "task-clock" in names and names["task-clock"]["value"] > 0
else:  # perf_event_open refused: not counted, and why
    tc = names["task-clock"]
    assert tc["source"] == "unsupported" and tc["value"] is None and tc["reason"], tc
assert "wall-time" in names
if d.get("hotspot_source"):
    assert d["functions"][0]["name"] == "hot_loop", d["functions"][:2]
    assert d["functions"][0]["pct"] >= 50
    assert d["lines"][0]["file"].endswith("hot.c") and d["lines"][0]["text"]
PY

# 3. exit codes: 2 for usage and manifest errors, 3 when it does not build or run
"$OPTIMIZE_BIN" profile "$tree" --counters nosuch >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "nosuch" "$tmp/err" && ok "unknown backend: exit 2" || not_ok "unknown backend"
"$OPTIMIZE_BIN" profile "$tree" --target nosuch >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "hot-small" "$tmp/err" && ok "unknown target: exit 2 listing targets" || not_ok "unknown target"
"$OPTIMIZE_BIN" profile "$tmp/nowhere" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && ok "missing manifest: exit 2" || not_ok "missing manifest"
"$OPTIMIZE_BIN" profile --help >"$tmp/out" 2>&1
[ $? -eq 0 ] && grep -q -- "--counters" "$tmp/out" && ok "--help" || not_ok "--help"

broken="$tmp/broken"
cp -r "$OPTIMIZE_TESTS_DIR/fixtures/hot" "$broken"
echo "this is not C" >>"$broken/hot.c"
"$OPTIMIZE_BIN" profile "$broken" --target hot >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 3 ] && grep -q "error" "$tmp/err" && ok "build failure: exit 3 with the compiler's message" ||
	not_ok "build failure: exit $rc: $(cat "$tmp/err")"

failing="$tmp/failing"
cp -r "$OPTIMIZE_TESTS_DIR/fixtures/hot" "$failing"
sed -i 's|"run": "./hot 100"|"run": "./hot 1; echo oops >\&2; exit 7"|' "$failing/optimize.json"
"$OPTIMIZE_BIN" profile "$failing" --target hot --no-hotspots >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 3 ] && grep -q "exit 7" "$tmp/err" && grep -q oops "$tmp/err" &&
	ok "failing run: exit 3 with its stderr" || not_ok "failing run: exit $rc: $(cat "$tmp/err")"

if [ $failures -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
[ $perf = 1 ] || missing_capability perf_event_open OPTIMIZE_TEST_NO_PERF "$perf_why"
finish
