#!/usr/bin/env bash
# optimize bench --executor slurm with a real proposer (the LLM proposer
# against the scripted server on 127.0.0.1, instruction counts from
# cachegrind) on a real single-node Slurm cluster: the candidates and the
# decision on each (accepted, verify-failed) are the same through Slurm as
# with the local executor, and so are each row's status, winner, counts of
# rejections and completion tokens (the prompt holds the measured counts,
# which a task's environment shifts by a constant).
#
# When the daemons cannot start the test fails with the reason; with
# OPTIMIZE_TEST_NO_SLURM=1 it prints the reason and exits 77 (skipped).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind
helpers=$OPTIMIZE_TESTS_DIR/helpers
P=$(cd "$T" && pwd -P)
S=$P/slurm
at_exit '"$helpers/slurm-down.sh" "$S" >/dev/null 2>&1'
if ! up=$("$helpers/slurm-up.sh" "$S" 2>&1); then
  if [ "${OPTIMIZE_TEST_NO_SLURM:-0}" = 1 ]; then
    echo "SKIP: no Slurm cluster here (OPTIMIZE_TEST_NO_SLURM=1): $up"
    exit 77
  fi
  fail "the Slurm cluster did not start (set OPTIMIZE_TEST_NO_SLURM=1 to skip): $up"
fi
# shellcheck source=/dev/null
. "$S/env"

# Two targets; the scripted LLM server answers the first request with a
# faster rewrite and the second with a wrong one (as t0702).
mkdir -p "$P/suite"
for t in one:30000 two:20000; do
  name=${t%%:*} n=${t#*:}
  cp -r "$FIXTURES/icount" "$P/suite/$name"
  sed -i "s|\"./sum 300000\"|\"./sum $n\"|" "$P/suite/$name/optimize.json"
  sed -i "1s|.*|/* sum.c ($name): sums i*i mod 7 for i < n, the slow way. */|" "$P/suite/$name/sum.c"
done
sed 's/% 7/% 5/' "$FIXTURES/icount/sum.c" > "$T/wrong.c"
python3 - "$FIXTURES/icount-candidates/fewer/sum.c" "$T/wrong.c" > "$T/script.json" <<'PY'
import json, sys
fast, wrong = open(sys.argv[1]).read(), open(sys.argv[2]).read()
print(json.dumps([
    {"text": "Compute the sum once.\n\n```c sum.c\n" + fast + "```\n"},
    {"text": "Use a cheaper modulus.\n\n```c sum.c\n" + wrong + "```\n"},
]))
PY
export OPENAI_API_KEY=sk-test-t0903
common=(--proposer llm --llm openai-compatible:test-model --rounds 1 --candidates 1 --repairs 0
  --objective instructions --counters cachegrind --no-presets --no-profile)

llm_server_start "$T/script.json" "$T/local.requests"
run_optimize bench suite --output "$P/local" "${common[@]}" --llm-url "http://127.0.0.1:$port/v1"
assert_rc 0 "the local executor"
llm_server_stop
# A fresh server with the same answers; one task at a time, in suite order.
llm_server_start "$T/script.json" "$T/slurm.requests"
run_optimize bench suite --output "$P/out" "${common[@]}" --llm-url "http://127.0.0.1:$port/v1" \
  --executor slurm --max-parallel 1 --export OPENAI_API_KEY --executor-opt poll=0.3
assert_rc 0 "the Slurm executor"
assert_grep "$err" "slurm: 2 of 2 targets done" "both targets ran through Slurm"
[ "$(wc -l < "$T/slurm.requests")" = 2 ] || fail "the Slurm tasks asked the LLM twice: $(wc -l < "$T/slurm.requests")"
python3 - "$P/local" "$P/out" <<'PY' || fail "Slurm's decisions differ from the local ones"
import glob, json, sys
def decisions(d):
    out = {}
    for f in sorted(glob.glob(d + "/targets/*/runs/bench/*/report.json")):
        r = json.load(open(f))
        out[f.split("/targets/")[1].split("/")[0]] = [(c["label"], c["status"]) for c in r["candidates"]]
    return out
a, b = decisions(sys.argv[1]), decisions(sys.argv[2])
assert sorted(a) == ["one", "two"], a
assert a == b, (a, b)
assert [s for _, s in a["one"][1:]] == ["accepted"] and [s for _, s in a["two"][1:]] == ["verify-failed"], a
ta, tb = (json.load(open(d + "/table.json")) for d in sys.argv[1:3])
key = lambda r: (r["name"], r["status"], r["correct"], r["winner"]["lineage"], r["candidates"], r["tokens"]["completion"])
assert [key(r) for r in ta["rows"]] == [key(r) for r in tb["rows"]], (ta["rows"], tb["rows"])
for ra, rb in zip(ta["rows"], tb["rows"]):
    # instruction counts differ by a constant (a task's environment); speedups barely
    assert abs(ra["speedup"]["estimate"] / rb["speedup"]["estimate"] - 1) < 0.05, (ra, rb)
PY
ok "the LLM proposer through Slurm: the same candidates, decisions, winners and rows as local"
finish
