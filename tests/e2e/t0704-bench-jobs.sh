#!/usr/bin/env bash
# optimize bench --jobs 2 on a 3-target suite: targets run in processes of
# their own, two at once (the journal's start/row spans of two targets
# overlap), while the timing lock keeps every timed phase of every target
# apart (the timed.log spans of all targets never overlap); each task's
# output goes to DIR/logs/task-I.log; the progress is plain lines off a
# terminal and one redrawn line on one (script -qc gives a terminal).
. "$(dirname "$0")/lib.sh"

make_target() {
  mkdir -p "$1"
  cat > "$1/p.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;
	unsigned long s = 0;
	for (long i = 0; i < n; i++)
		s += (unsigned long)(i * i) % 7;
	printf("%lu\n", s);
	return 0;
}
C
  cat > "$1/optimize.json" <<J
{"name": "p", "editable": ["p.c"], "outputs": ["p"], "build": "\$CC \$CFLAGS -o p p.c \$LDFLAGS",
 "cflags": "-O0", "run": "./p $2", "verify": [{"run": "./p 0"}, {"run": "./p 17"}], "timeout_s": 30}
J
}
S=$T/suite
make_target "$S/alpha" 200000
make_target "$S/beta" 150000
make_target "$S/gamma" 100000
# --proposer none with the two default presets: per target the original's
# measurement and four head-to-heads, with builds in between.
args=(--proposer none --min-runs 3 --max-runs 3 --jobs 2)

run_optimize bench "$S" --output "$T/out" "${args[@]}"
assert_rc 0 "the suite with --jobs 2"
[ "$(json_get "$T/out/table.json" "[r['name'] for r in d['rows']]")" = "['alpha', 'beta', 'gamma']" ] ||
  fail "every target once, in suite order"
for i in 0 1 2; do
  assert_grep "$T/out/logs/task-$i.log" "building the original" "task $i's output in its log"
done
python3 - "$T/out" <<'PY' || fail "target spans overlap, timed phases do not"
import json, sys, glob
d = sys.argv[1]
start, end = {}, {}
for line in open(d + "/journal.jsonl"):
    r = json.loads(line)
    if r["record"] == "start":
        start[r["target"]] = r["time"]
    elif r["record"] == "row":
        end[r["target"]] = r["time"]
spans = sorted((start[t], end[t], t) for t in end)
assert len(spans) == 3, spans
assert any(b[0] < a[1] for a, b in zip(spans, spans[1:])), "no two targets overlapped: %s" % spans
timed = []
for f in glob.glob(d + "/targets/*/timed.log"):
    timed += [tuple(map(float, l.split())) + (f,) for l in open(f)]
assert len(timed) >= 3 * 3, timed
timed.sort()
for a, b in zip(timed, timed[1:]):
    assert b[0] >= a[1], "timed phases overlap: %s and %s" % (a, b)
assert len({t[2] for t in timed}) == 3
PY
ok "--jobs 2: two targets at once (journal spans overlap), timed phases never (timed.log)"

# Off a terminal: plain lines, one per change, the last one "3/3 done".
assert_grep "$err" '^\[bench\] 0/3 done, running: alpha, beta$' "the first line names the two running targets"
assert_grep "$err" '^\[bench\] 3/3 done$' "the last line"
assert_no_grep "$err" $'\r' "no redrawn line off a terminal"
ok "the progress off a terminal: plain lines"

# On a terminal: one line redrawn in place, with the running targets' stages.
script -qec "\"$OPTIMIZE_BIN\" bench \"$S\" --output \"$T/out2\" ${args[*]} >/dev/null" /dev/null >"$T/tty.txt" 2>&1 ||
  fail "the suite on a terminal: $(tail -n 3 "$T/tty.txt")"
grep -q $'\r\e\[K\[bench\] 3/3 done' "$T/tty.txt" || fail "the progress line is redrawn on a terminal: $(head -c 600 "$T/tty.txt")"
grep -qE $'\r\e\\[K\\[bench\\] [0-9]/3 done, running: [a-z]+ \\(' "$T/tty.txt" ||
  fail "a running target's stage on the line: $(head -c 600 "$T/tty.txt")"
ok "the progress on a terminal: one redrawn line with the stages"
finish
