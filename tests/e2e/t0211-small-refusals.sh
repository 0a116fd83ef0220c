#!/usr/bin/env bash
# Small things a user (or a hostile tree) can get wrong, each refused plainly:
# --cpu out of reach and --candidate that does not exist (exit 2, no report);
# a fraction of a MiB as a limit (it would mean "no limit"); "\u0000" and a
# lone "\ud800" in a manifest string (file:line:col, not "out of memory?");
# an `editable` glob that matches nothing (a warning; none at all: exit 2);
# SIGTERM while the original is set up (exit 130, never "nondeterministic");
# SIGINT during --apply (exit 130, the tree untouched).
. "$(dirname "$0")/lib.sh"

tree=$(copy_fixture rewrite)
cp "$tree/optimize.json" "$T/orig.json"
# patch PYTHON: edit the manifest (bound to m) from the original
patch() {
  python3 - "$T/orig.json" "$tree/optimize.json" "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["run"] = "./sum 2000000"
exec(sys.argv[3])
json.dump(m, open(sys.argv[2], "w"), indent=2)
PY
}

run_optimize run "$tree" --cpu 99 --no-flags
assert_rc 2 "--cpu 99"
assert_grep "$err" "--cpu 99" "the message names the option"
[ ! -d "$tree/.optimize/runs" ] || fail "--cpu 99 wrote a report"
run_optimize run "$tree" --candidate /nonexistent --no-flags
assert_rc 2 "--candidate /nonexistent"
assert_grep "$err" "'/nonexistent': no such directory" "the message names the directory"
[ ! -d "$tree/.optimize/runs" ] || fail "a bad --candidate wrote a report"
ok "--cpu 99 and --candidate /nonexistent: exit 2, no report"

patch 'm["limits"] = {"file_mb": 1e-7}'
run_optimize run "$tree" --no-flags
assert_rc 2 "file_mb 1e-7"
assert_grep "$err" "optimize.json:[0-9]+:[0-9]+: field 'limits.file_mb': must be 0 \(no limit\) or at least 1" "the message"
ok "file_mb: 1e-7 is refused, not turned into no limit"

printf '%s\n' '{"name": "sum", "editable": ["sum.c"], "build": "cc -o sum sum.c",' \
  '"run": "./sum 5\u0000; echo pwned"}' >"$tree/optimize.json"
run_optimize run "$tree" --no-flags
assert_rc 2 "\\u0000"
assert_grep "$err" "optimize.json:2:16: invalid JSON: \\\\u0000 \(a NUL character\) is not allowed" "file:line:col and why"
printf '%s\n' '{"name": "sum", "editable": ["sum.c"], "build": "cc -o sum sum.c",' \
  '"run": "./sum \ud800"}' >"$tree/optimize.json"
run_optimize run "$tree" --no-flags
assert_rc 2 "\\ud800"
assert_grep "$err" "optimize.json:2:15: invalid JSON: lone UTF-16 high surrogate" "file:line:col and why"
assert_no_grep "$err" "out of memory" "no 'out of memory?'"
ok "\\u0000 and a lone \\ud800 in a manifest string: exit 2 with file:line:col"

patch 'm["editable"] = ["sum.c", "nosuch/*.c"]'
run_optimize run "$tree" --no-flags --min-runs 2 --max-runs 2
assert_rc 0 "one editable glob matches nothing"
assert_grep "$err" "warning: \[sum\] editable glob 'nosuch/\*\.c' matches no file" "the warning"
patch 'm["editable"] = ["sun.c"]'
run_optimize run "$tree" --no-flags --min-runs 2 --max-runs 2
assert_rc 2 "no editable file at all"
assert_grep "$err" "no file in .* matches 'editable' \(sun\.c\)" "the error"
ok "an editable glob matching nothing warns; nothing editable at all is exit 2"

# SIGTERM while the original runs twice (the references): an interrupt, not a verdict.
patch 'm["verify"] = [{"run": "sleep 0.4; ./sum 1"}] * 6'
"$OPTIMIZE_BIN" run "$tree" --no-flags >"$T/term.out" 2>"$T/term.err" &
pid=$!
for _ in $(seq 100); do grep -q "building the original" "$T/term.err" && break; sleep 0.1; done
sleep 1.5
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" = 130 ] || { cat "$T/term.err"; fail "SIGTERM during the baseline: expected 130, got $rc"; }
assert_no_grep "$T/term.err" "nondeterministic|nan" "an interrupted baseline is no verdict"
assert_no_grep "$T/term.out" "nan" "no 'nan' in the table"
ok "SIGTERM while the original is set up: exit 130, no verdict, no nan"

# SIGINT during --apply: every build is slow, the signal lands in the re-check's.
patch 'm["build"] = "$CC $CFLAGS -o sum sum.c $LDFLAGS && sleep 3"; m["run"] = "./sum 100000"'
rm -rf "$tree/.optimize"
before=$(tree_hash "$tree")
# (counted instructions decide where valgrind is here, so a loaded machine
# cannot make the winner lose)
obj=()
have_valgrind >/dev/null && obj=(--objective instructions --counters cachegrind)
"$OPTIMIZE_BIN" run "$tree" --no-flags --candidate "$tree/fast" --min-runs 3 --max-runs 3 --apply "${obj[@]}" \
  >"$T/int.out" 2>"$T/int.err" &
pid=$!
for _ in $(seq 1200); do grep -q -- "--apply: rebuilding" "$T/int.err" && break; sleep 0.05; done
grep -q -- "--apply: rebuilding" "$T/int.err" || { kill "$pid" || true; cat "$T/int.err"; fail "--apply never started"; }
sleep 0.3
kill -INT "$pid" || true
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" = 130 ] || { cat "$T/int.err"; fail "SIGINT during --apply: expected 130, got $rc"; }
[ "$(tree_hash "$tree")" = "$before" ] || fail "the tree changed"
ok "SIGINT during --apply: exit 130, the tree untouched"
finish
