#!/usr/bin/env bash
# kill -9 during the third target of a suite, then the same command again:
# the first two targets are not run again (the journal holds one start
# record each, and their rows were written before the kill), the third is
# redone from its start, and the final table has every target once.
. "$(dirname "$0")/lib.sh"

# make_target DIR RUN
make_target() {
  mkdir -p "$1"
  printf '#include <stdio.h>\nint main(void) { puts("42"); return 0; }\n' > "$1/p.c"
  cat > "$1/optimize.json" <<J
{"name": "p", "editable": ["p.c"], "outputs": ["p"], "build": "\$CC \$CFLAGS -o p p.c \$LDFLAGS",
 "run": "$2", "verify": [{"run": "./p"}], "timeout_s": 30}
J
}
S=$T/suite
make_target "$S/a" "./p"
make_target "$S/b" "./p"
make_target "$S/c" "sleep 1; ./p"
make_target "$S/d" "./p"
J=$T/out/journal.jsonl
args=(bench "$S" --output "$T/out" --proposer none --no-presets --min-runs 2 --max-runs 2 --warmup 0)

"$OPTIMIZE_BIN" "${args[@]}" >"$T/run1.out" 2>"$T/run1.err" &
pid=$!
for _ in $(seq 600); do
  grep -q '"record":"start","task":2' "$J" 2>/dev/null && break
  sleep 0.1
done
grep -q '"record":"start","task":2' "$J" || { kill -9 $pid; cat "$T/run1.err"; fail "the third target never started"; }
sleep 0.5
kill -9 $pid
wait $pid 2>/dev/null || true
killed_at=$(date +%s.%N)
grep -q '"record":"row","task":2' "$J" && fail "the third target finished before the kill: make it slower"
[ "$(grep -c '"record":"row"' "$J")" = 2 ] || fail "two rows before the kill"
ok "kill -9 during the third target: two rows in the journal"

run_optimize "${args[@]}"
assert_rc 0 "the rerun"
assert_grep "$err" '2 of 4 targets already in' "the rerun says what it skips"
python3 - "$J" "$killed_at" "$T/out/table.json" <<'PY' || fail "the journal and the table after the rerun"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
killed = float(sys.argv[2])
starts = {}
rows = {}
for r in recs:
    if r["record"] == "start":
        starts.setdefault(r["task"], []).append(r["time"])
    if r["record"] == "row":
        rows.setdefault(r["task"], []).append(r["time"])
assert len(starts[0]) == 1 and len(starts[1]) == 1, starts   # not run again
assert len(starts[2]) == 2 and starts[2][1] > killed, starts  # redone from its start, after the kill
assert len(starts[3]) == 1 and starts[3][0] > killed, starts
assert all(len(v) == 1 for v in rows.values()) and sorted(rows) == [0, 1, 2, 3], rows
assert rows[0][0] < killed and rows[1][0] < killed, (rows, killed)  # written before the kill
t = json.load(open(sys.argv[3]))
assert [r["name"] for r in t["rows"]] == ["a", "b", "c", "d"], t["rows"]
assert t["missing"] == 0
PY
ok "the rerun: the first two not rerun, the third redone, every target once in the table"
[ "$(grep -c '^| [abcd] |' "$T/out/table.md")" = 4 ] || fail "table.md has four rows"
ok "table.md has each target once"
finish
