#!/usr/bin/env bash
# A suite with the scripted LLM server and a deterministic objective
# (--objective instructions --counters cachegrind), recorded once, then
# replayed with the server stopped, --cache ro and the recorded cache: the
# same decisions and the same table. Then bench compare on the two result
# folders, and on a changed copy of one.
. "$(dirname "$0")/lib.sh"
require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind

S=$T/suite
mkdir -p "$S"
for t in one:30000 two:20000; do
  name=${t%%:*} n=${t#*:}
  cp -r "$FIXTURES/icount" "$S/$name"
  sed -i "s|\"./sum 300000\"|\"./sum $n\"|" "$S/$name/optimize.json"
  # Different code: the response cache keys on the code, not on the measured numbers.
  sed -i "1s|.*|/* sum.c ($name): sums i*i mod 7 for i < n, the slow way. */|" "$S/$name/sum.c"
done
cat > "$S/suite.json" <<'J'
{
  "version": 1,
  "name": "replay",
  "targets": ["one", "two"],
  "proposer": "llm",
  "model": "openai-compatible:test-model",
  "rounds": 1,
  "candidates": 1,
  "repairs": 0,
  "objective": "instructions",
  "counters": "cachegrind",
  "presets": ["-O3"],
  "seed": 7
}
J
# The answers, in order: target one gets a faster rewrite, target two a wrong one.
sed 's/% 7/% 5/' "$FIXTURES/icount/sum.c" > "$T/wrong.c"
python3 - "$FIXTURES/icount-candidates/fewer/sum.c" "$T/wrong.c" > "$T/script.json" <<'PY'
import json, sys
fast, wrong = open(sys.argv[1]).read(), open(sys.argv[2]).read()
print(json.dumps([
    {"text": "Compute the sum once.\n\n```c sum.c\n" + fast + "```\n"},
    {"text": "Use a cheaper modulus.\n\n```c sum.c\n" + wrong + "```\n"},
]))
PY
llm_server_start "$T/script.json" "$T/requests.jsonl"
export OPENAI_API_KEY=sk-test-bench
url=http://127.0.0.1:$port/v1
run_optimize bench "$S" --output "$T/A" --llm-url "$url"
llm_server_stop
assert_rc 0 "the recorded suite"
[ "$(wc -l < "$T/requests.jsonl")" = 2 ] || { cat "$err"; cat "$T/A/table.md"; fail "two requests, got $(wc -l < "$T/requests.jsonl")"; }
A=$T/A/table.json
[ "$(json_get "$A" "[r['name'] + ':' + r['status'] for r in d['rows']]")" = "['one:improved', 'two:no-improvement']" ] ||
  fail "one improved, two not: $(json_get "$A" "[(r['name'], r['status'], r.get('reason')) for r in d['rows']]")"
[ "$(json_get "$A" "d['rows'][1]['candidates']['rejected']")" = "{'verify-failed': 1}" ] || fail "two's answer fails verification"
[ "$(json_get "$A" "d['rows'][0]['presets'][0]['flags']")" = "-O3" ] || fail "the -O3 preset is measured"
[ "$(json_get "$A" "d['settings']['model']")" = test-model ] || fail "the model is in the fingerprint"
[ "$(json_get "$A" "d['aggregate']['correct']")" = 1 ] || fail "one target correct"
ok "recorded: one target improved by the LLM's rewrite, the other's rewrite rejected; the -O3 preset measured"

run_optimize bench "$S" --output "$T/B" --llm-url "$url" --cache ro --cache-dir "$T/A/cache"
assert_rc 0 "the replay, with the server stopped"
python3 - "$T/A" "$T/B" <<'PY' || fail "the replay reaches the same decisions and table"
import json, sys
a, b = (json.load(open(d + "/table.json")) for d in sys.argv[1:3])
def strip(row):
    row = dict(row)
    row.pop("wall_s", None)
    return row
for x, y in zip(a["rows"], b["rows"]):
    x, y = strip(x), strip(y)
    assert x == y, [(k, x.get(k), y.get(k)) for k in set(x) | set(y) if x.get(k) != y.get(k)]
assert a["aggregate"] == b["aggregate"]
for name in ("one", "two"):
    ra, rb = (json.load(open("%s/targets/%s/runs/bench/report.json" % (d, name))) if False else
              json.load(open("%s/targets/%s/runs/bench/icount/report.json" % (d, name))) for d in sys.argv[1:3])
    sa = [(c["label"], c["status"]) for c in ra["candidates"]]
    sb = [(c["label"], c["status"]) for c in rb["candidates"]]
    assert sa == sb, (sa, sb)
rows = lambda d: [l for l in open(d + "/table.md") if l.startswith("|")]
assert rows(sys.argv[1]) == rows(sys.argv[2])
PY
[ "$(json_get "$T/B/table.json" "d['settings']['cache']")" = ro ] || fail "the replay says it read the cache only"
ok "replayed offline with --cache ro: the same decisions, rows, aggregate and Markdown table"

run_optimize bench compare "$T/A" "$T/B"
assert_rc 0 "compare"
assert_grep "$out" '^\| one \| [0-9.]+x \| [0-9.]+x \| 1\.000 \| yes \| yes \|' "the paired row of one"
assert_grep "$out" 'B better on 0, worse on 0, equal on 2' "no difference"
# A changed copy: target one's speedup doubled in B's journal.
cp -r "$T/B" "$T/C"
python3 - "$T/C/journal.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
for r in lines:
    if r["record"] == "row" and r["target"] == "one":
        r["row"]["speedup"]["estimate"] *= 2
open(sys.argv[1], "w").write("".join(json.dumps(r) + "\n" for r in lines))
PY
run_optimize bench compare --json "$T/A" "$T/C"
assert_rc 0 "compare --json"
[ "$(json_get "$out" "(d['paired']['wins'], d['paired']['losses'], d['paired']['ties'])")" = "(1, 0, 1)" ] || fail "one win, one tie"
[ "$(json_get "$out" "[float(round(t['ratio'], 6)) for t in d['targets']]")" = "[2.0, 1.0]" ] || fail "the paired ratios"
[ "$(json_get "$out" "float(d['paired']['sign_test_p'])")" = 1.0 ] || fail "the sign test of one win: p = 1"
ok "bench compare prints the paired table, the sign test and the ratios"
finish
