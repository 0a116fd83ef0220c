#!/usr/bin/env bash
# What ends an LLM run and what it costs: --budget-tokens stops cleanly after
# the call that passes the budget (exit 0, the best so far kept, usage per
# call and in total in report.json and summary.md, cost from the config
# file's prices); --patience 1 stops after one round without improvement;
# --rounds 2 --candidates 2 makes two concurrent requests per round.
. "$(dirname "$0")/lib.sh"

ANSWERS=$FIXTURES/llm-answers

unset OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL
export HOME=$T/home
export https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9

# script FILE STEP... : each STEP is fast | slow | broken[:N] (a compile
# error; N makes the text unique), with optional @PROMPT_TOKENS/COMPLETION_TOKENS
# and +DELAY_S.
script() {
  local f=$1; shift
  python3 - "$ANSWERS" "$@" > "$f" <<'EOF'
import json, sys
a = sys.argv[1]
fast = open(a + "/fast.c").read()
slow = open(a + "/../llm/sum.c").read().replace("rep < 4", "rep < 8")
steps = []
for spec in sys.argv[2:]:
    delay = None
    if "+" in spec:
        spec, delay = spec.split("+")
    usage = None
    if "@" in spec:
        spec, usage = spec.split("@")
    kind, _, tag = spec.partition(":")
    if kind == "fast":
        text = "Compute the sum once.\n\nsum.c\n```c\n" + fast + "```\n"
    elif kind == "slow":
        text = "Repeat the loop.\n\nsum.c\n```c\n" + slow + "```\n"
    else:
        text = ("Try %s.\n\nsum.c\n```c\nunsigned long sum_mod7(long n) { return n + %s; }\n```\n"
                % (tag or "this", "+" * (1 + len(tag))))
    s = {"text": text}
    if usage:
        p, c = usage.split("/")
        s["prompt_tokens"], s["completion_tokens"] = int(p), int(c)
    if delay:
        s["delay_s"] = float(delay)
    steps.append(s)
print(json.dumps(steps))
EOF
}
nreq() { wc -l < "$1" | tr -d ' '; }
tree=$(copy_fixture llm)
common=(--no-flags --repairs 0 --llm openai-compatible:test-model --max-runs 10 --cache off)

# --- the token budget, with prices from the config file ---
cat > "$T/config.json" <<'EOF'
{"price_prompt_per_mtok": 3, "price_completion_per_mtok": 15}
EOF
export OPTIMIZE_CONFIG=$T/config.json
script "$T/budget.json" fast@1500/100 slow@1500/100 broken:a@1500/100 broken:b@1500/100
llm_server_start "$T/budget.json" "$T/budget.jsonl"
run_optimize run "$tree" "${common[@]}" --llm-url "http://127.0.0.1:$port/v1" \
  --rounds 5 --candidates 1 --budget-tokens 2000
llm_server_stop
assert_rc 0 "a run stopped by the token budget ends cleanly"
r=$(latest_run "$tree")/report.json
md=$(latest_run "$tree")/summary.md
[ "$(nreq "$T/budget.jsonl")" = 2 ] ||
  fail "1600 tokens after call 1 are under the budget, 3200 after call 2 pass it: 2 requests, got $(nreq "$T/budget.jsonl")"
[ "$(json_get "$r" "d['targets'][0]['stop_reason']")" = "token budget reached" ] ||
  fail "stop_reason: $(json_get "$r" "d['targets'][0].get('stop_reason')")"
[ "$(json_get "$r" "d['exit_code']")" = 0 ] || fail "report.json exit_code"
[ "$(json_get "$r" "d['targets'][0]['best']['id']")" = 1 ] || fail "the best so far (c1) is kept"
[ "$(json_get "$r" "d['targets'][0]['candidates'][2]['status']")" = not-faster ] || fail "c2 not-faster"
[ "$(json_get "$r" "len(d['targets'][0]['candidates'])")" = 3 ] || fail "no third candidate"
assert_grep "$err" 'token budget reached \(3200 of 2000 tokens\)' "the stop is reported on stderr"
assert_grep "$md" 'Stopped: token budget reached' "summary.md says why it stopped"
ok "--budget-tokens stops after the call that passes the budget, exit 0, the best kept"

for i in 1 2; do
  [ "$(json_get "$r" "d['targets'][0]['candidates'][$i]['llm']['prompt_tokens']['value']")" = 1500 ] ||
    fail "c$i prompt tokens"
  [ "$(json_get "$r" "d['targets'][0]['candidates'][$i]['llm']['completion_tokens']['value']")" = 100 ] ||
    fail "c$i completion tokens"
done
llm="d['targets'][0]['extra']['llm']"
[ "$(json_get "$r" "$llm['prompt_tokens']['value']")" = 3000 ] || fail "total prompt tokens"
[ "$(json_get "$r" "$llm['completion_tokens']['value']")" = 200 ] || fail "total completion tokens"
[ "$(json_get "$r" "$llm['tokens_counted']")" = 3200 ] || fail "tokens counted"
[ "$(json_get "$r" "$llm['budget_tokens']")" = 2000 ] || fail "budget in the report"
[ "$(json_get "$r" "$llm['calls']")" = 2 ] || fail "calls"
# 3000 * 3 / 1e6 + 200 * 15 / 1e6 = 0.012
json_get "$r" "abs($llm['cost']['value'] - 0.012) < 1e-9" | grep -qx True ||
  fail "cost from the configured prices: $(json_get "$r" "$llm.get('cost')")"
ok "token usage per call and in total, and the cost from the config file's prices, in report.json"

assert_grep "$md" 'llm r1c1' "summary.md lists the LLM candidates"
assert_grep "$md" 'tokens: 3000 prompt \+ 200 completion' "summary.md has the total tokens"
assert_grep "$md" '^\| c1 \| llm r1c1 \| 1500 \| 100 \|' "summary.md has c1's tokens"
assert_grep "$md" '^\| c2 \| llm r2c1 \| 1500 \| 100 \|' "summary.md has c2's tokens"
assert_grep "$md" 'cost 0\.012' "summary.md has the cost"
ok "token usage per call and in total, and the cost, in summary.md"

# --- patience: one round without improvement ends the run ---
export OPTIMIZE_CONFIG=$T/no-config.json
script "$T/patience.json" fast slow fast broken:c
llm_server_start "$T/patience.json" "$T/patience.jsonl"
run_optimize run "$tree" "${common[@]}" --llm-url "http://127.0.0.1:$port/v1" \
  --rounds 4 --candidates 1 --patience 1
llm_server_stop
assert_rc 0 "a run stopped by --patience"
r=$(latest_run "$tree")/report.json
[ "$(nreq "$T/patience.jsonl")" = 2 ] ||
  fail "round 1 improves, round 2 does not: 2 requests, got $(nreq "$T/patience.jsonl")"
[ "$(json_get "$r" "d['targets'][0]['candidates'][1]['status']")" = accepted ] || fail "c1 accepted"
[ "$(json_get "$r" "d['targets'][0]['candidates'][2]['status']")" = not-faster ] || fail "c2 not-faster"
[ "$(json_get "$r" "d['targets'][0]['best']['id']")" = 1 ] || fail "the best (c1) is kept"
json_get "$r" "d['targets'][0]['extra']['llm']['stopped']" | grep -q 'no improvement in 1 round' ||
  fail "extra.llm.stopped names the patience: $(json_get "$r" "d['targets'][0]['extra']['llm'].get('stopped')")"
ok "--patience 1 stops after one round without improvement"

# --- two concurrent requests per round ---
cat > "$T/config2.json" <<'EOF'
{"prices": {"prompt": 1, "completion": 2}}
EOF
export OPTIMIZE_CONFIG=$T/config2.json
script "$T/conc.json" broken:d@100/10+3 broken:e@100/10+3 broken:f@100/10 broken:g@100/10
llm_server_start "$T/conc.json" "$T/conc.jsonl"
# Record when each request line reaches the log: two concurrent requests
# arrive together although each answer takes 3 s.
python3 - "$T/conc.jsonl" "$T/arrivals" <<'EOF' &
import os, sys, time
seen, t0 = 0, time.time()
with open(sys.argv[2], "w") as out:
    while seen < 4 and time.time() - t0 < 120:
        n = sum(1 for _ in open(sys.argv[1])) if os.path.exists(sys.argv[1]) else 0
        while seen < n:
            seen += 1
            out.write("%d %.3f\n" % (seen, time.time()))
            out.flush()
        time.sleep(0.02)
EOF
watch_pid=$!
run_optimize run "$tree" "${common[@]}" --llm-url "http://127.0.0.1:$port/v1" \
  --rounds 2 --candidates 2
wait "$watch_pid" || true
llm_server_stop
assert_rc 0 "two rounds of two candidates"
r=$(latest_run "$tree")/report.json
[ "$(nreq "$T/conc.jsonl")" = 4 ] || fail "2 rounds x 2 candidates: 4 requests, got $(nreq "$T/conc.jsonl")"
labels=$(json_get "$r" "' '.join(c['label'] for c in d['targets'][0]['candidates'][1:])")
[ "$labels" = "llm r1c1 llm r1c2 llm r2c1 llm r2c2" ] || fail "labels: $labels"
python3 - "$T/conc.jsonl" <<'EOF' || fail "each round's two requests are candidates 0 and 1"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
idx = [q["headers"].get("x-optimize-candidate") for q in reqs]
assert sorted(idx[:2]) == ["0", "1"] and sorted(idx[2:]) == ["0", "1"], idx
EOF
python3 - "$T/arrivals" <<'EOF' || fail "the two requests of a round were not concurrent: $(cat "$T/arrivals")"
import sys
t = {int(a): float(b) for a, b in (l.split() for l in open(sys.argv[1]))}
assert len(t) == 4, t
assert t[2] - t[1] < 1.5, "request 2 came %.2f s after request 1 (each answer takes 3 s)" % (t[2] - t[1])
assert t[3] - t[2] >= 2.5, "round 2 started before round 1's answers (%.2f s)" % (t[3] - t[2])
EOF
llm="d['targets'][0]['extra']['llm']"
[ "$(json_get "$r" "$llm['calls']")" = 4 ] || fail "4 calls"
json_get "$r" "abs($llm['cost']['value'] - (400 * 1 + 40 * 2) / 1e6) < 1e-12" | grep -qx True ||
  fail "cost from \"prices\": $(json_get "$r" "$llm.get('cost')")"
ok "--rounds 2 --candidates 2: two concurrent requests per round, labelled r1c1 r1c2 r2c1 r2c2"
finish
