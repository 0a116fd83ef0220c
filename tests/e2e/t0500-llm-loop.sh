#!/usr/bin/env bash
# The LLM loop end to end, through real HTTP against the scripted server:
# a rewrite that does not compile, one that gives a wrong result, one that is
# slower and one that is faster are rejected, rejected, rejected and
# accepted; each next request carries the right feedback; the first prompt
# carries the measured profile; --cache ro replays with the server stopped;
# a changed prompt is a named cache miss; the API key appears nowhere but in
# the Authorization header.
. "$(dirname "$0")/lib.sh"

ANSWERS=$FIXTURES/llm-answers
KEY=sk-test-SECRET123

# The four answers, in order.
python3 - "$ANSWERS" > "$T/script.json" <<'EOF'
import json, sys
a = sys.argv[1]
fast = open(a + "/fast.c").read()
wrong = open(a + "/wrong.c").read()
print(json.dumps([
    {"text": "Fold the loop into one expression.\n\nsum.c\n```c\n#include <stdio.h>\n"
             "unsigned long sum_mod7(long n) { return n +; }\nint main(void) { return 0 }\n```\n"},
    {"text": "Compute the sum once.\n\n```c sum.c\n" + wrong + "```\n"},
    {"text": "Run the loop more often to warm the caches.\n\nsum.c\n<<<<<<< SEARCH\n"
             "\tfor (int rep = 0; rep < 4; rep++) {\n=======\n"
             "\tfor (int rep = 0; rep < 8; rep++) {\n>>>>>>> REPLACE\n"},
    {"text": "Compute the sum once instead of four times.\n\n```c\n" + fast + "```\n"},
]))
EOF

tree=$(copy_fixture llm)
# The build dumps its environment, so the test can look at what candidates get.
python3 - "$tree/optimize.json" <<'EOF'
import json, sys
p = sys.argv[1]
m = json.load(open(p))
m["build"] = "env > build-env.txt && " + m["build"]
m["outputs"].append("build-env.txt")
json.dump(m, open(p, "w"), indent=2)
EOF

llm_server_start "$T/script.json" "$T/requests.jsonl"
export OPENAI_API_KEY=$KEY
run_optimize run "$tree" --no-flags --repairs 0 --llm openai-compatible:test-model \
  --llm-url "http://127.0.0.1:$port/v1" --rounds 4 --candidates 1 --max-runs 10 --keep-work
llm_server_stop
assert_rc 0 "the LLM run"
run=$(latest_run "$tree")
r=$run/report.json
status() { json_get "$r" "d['targets'][0]['candidates'][$1]['status']"; }
[ "$(status 1)" = build-failed ] || fail "c1 must fail to build, got $(status 1)"
[ "$(status 2)" = verify-failed ] || fail "c2 must fail verification, got $(status 2)"
[ "$(status 3)" = not-faster ] || fail "c3 must be not-faster, got $(status 3)"
[ "$(status 4)" = accepted ] || { cat "$err"; fail "c4 must be accepted, got $(status 4)"; }
[ "$(json_get "$r" "d['targets'][0]['best']['id']")" = 4 ] || fail "c4 is the best"
[ "$(json_get "$r" "d['targets'][0]['candidates'][4]['origin']")" = llm ] || fail "origin llm"
[ "$(json_get "$r" "d['targets'][0]['candidates'][4]['label']")" = "llm r4c1" ] || fail "label"
json_get "$r" "d['targets'][0]['candidates'][4]['llm']['prompt_sha256']" | grep -qE '^[0-9a-f]{64}$' ||
  fail "candidates carry the prompt's hash"
ok "compile error, wrong result and slower are rejected; the faster rewrite is accepted"

(mkdir -p "$T/patched" && cp "$FIXTURES/llm/sum.c" "$T/patched/" && cd "$T/patched" &&
  patch -p1 -s < "$run/sum/best.patch" && cmp -s sum.c "$ANSWERS/fast.c") ||
  fail "best.patch applies to the original and gives the fourth answer"
ok "best.patch is the fourth answer"

# The user message of each recorded request, one file each.
python3 - "$T/requests.jsonl" "$T" <<'EOF'
import json, sys
for i, line in enumerate(open(sys.argv[1])):
    req = json.loads(line)
    body = json.loads(req["body"])
    open("%s/req%d.txt" % (sys.argv[2], i + 1), "w").write(body["messages"][-1]["content"])
    open("%s/sys%d.txt" % (sys.argv[2], i + 1), "w").write(body["messages"][0]["content"])
EOF
[ "$(wc -l < "$T/requests.jsonl")" = 4 ] || fail "four requests, got $(wc -l < "$T/requests.jsonl")"
assert_grep "$T/req1.txt" 'sum_mod7' "the first prompt names the hot function"
grep -qF 's += (unsigned long)(i * i) % 7;' "$T/req1.txt" || fail "the first prompt shows a hot line's text"
assert_grep "$T/req1.txt" '(task-clock|instructions|wall-time|user-time|cycles): [0-9]' "the first prompt has counter values"
assert_grep "$T/req1.txt" '^ *[0-9]+\| ' "editable code with line numbers"
assert_grep "$T/req1.txt" 'unsigned long sum_mod7\(long n\);' "the read-only context file"
ok "the first prompt carries the profile: hot function, hot line, counters"

assert_grep "$T/req2.txt" 'did not compile' "request 2 says the rewrite did not compile"
assert_grep "$T/req2.txt" 'error' "request 2 carries the compiler error"
assert_grep "$T/req2.txt" 'return n \+;|expected' "request 2 carries the compiler's text"
assert_grep "$T/req3.txt" 'gave a wrong result' "request 3 says the result was wrong"
assert_grep "$T/req3.txt" 'The first difference: ' "request 3 carries the mismatch"
assert_grep "$T/req3.txt" '<verify command>' "the verify command is hidden"
assert_grep "$T/req4.txt" 'correct but not faster' "request 4 says it was slower"
assert_grep "$T/req4.txt" 'ratio [0-9.]+, 95% CI \[[0-9.]+, [0-9.]+\]' "request 4 carries the ratio with its interval"
for f in "$T"/req*.txt "$T"/sys*.txt; do
  assert_no_grep "$f" '\./sum (0|1|1001)([^0-9]|$)' "no verify command in a prompt"
done
ok "each next request carries the right feedback; no verify command is shown"

[ -s "$run/sum/transcript.md" ] || fail "transcript.md"
assert_grep "$run/sum/transcript.md" '## Round 4' "the transcript has every round"
[ "$(json_get "$r" "d['targets'][0]['extra']['llm']['model']")" = test-model ] || fail "extra.llm.model"
[ "$(json_get "$r" "d['targets'][0]['extra']['llm']['calls']")" = 4 ] || fail "extra.llm.calls"
ok "transcript.md and the llm summary in report.json"

# The key: only in the Authorization header.
python3 - "$T/requests.jsonl" "$KEY" <<'EOF' || fail "every request carries the key in its Authorization header only"
import json, sys
for line in open(sys.argv[1]):
    req = json.loads(line)
    assert req["headers"].get("authorization") == "Bearer " + sys.argv[2], req["headers"]
    rest = dict(req["headers"]); del rest["authorization"]
    assert sys.argv[2] not in json.dumps(rest) and sys.argv[2] not in req["body"]
EOF
ls "$tree"/.optimize/work/*/sum/c000*/build-env.txt >/dev/null 2>&1 || fail "candidates dumped their environment"
grep -q '^CC=' "$tree"/.optimize/work/*/sum/c0001/build-env.txt || fail "the environment dump is there"
if grep -rl "SECRET123" "$tree/.optimize" "$out" "$err"; then fail "the API key leaked into a file"; fi
ok "the API key is only in the Authorization header: not in any file, report, cache or candidate environment"

# Replay with the server stopped: the same decisions, from the cache.
run_optimize run "$tree" --no-flags --repairs 0 --llm openai-compatible:test-model \
  --llm-url "http://127.0.0.1:$port/v1" --rounds 4 --candidates 1 --max-runs 10 --cache ro
assert_rc 0 "the replay"
r=$(latest_run "$tree")/report.json
for i in 1 2 3 4; do
  want=$(json_get "$run/report.json" "d['targets'][0]['candidates'][$i]['status']")
  [ "$(status $i)" = "$want" ] || fail "replay: c$i is $(status $i), the recorded run said $want"
done
[ "$(json_get "$r" "d['targets'][0]['extra']['llm']['cache']['hits']")" = 4 ] || fail "four cache hits"
ok "--cache ro replays the run with the server stopped and reaches the same decisions"

# A changed prompt template is a named cache miss.
cp -r "$OPTIMIZE_SOURCE_DIR/prompts" "$T/prompts"
echo "Think about vector instructions too." >> "$T/prompts/first.md"
run_optimize run "$tree" --no-flags --repairs 0 --llm openai-compatible:test-model \
  --llm-url "http://127.0.0.1:$port/v1" --rounds 4 --candidates 1 --cache ro --prompts "$T/prompts"
assert_rc 4 "a cache miss in ro mode"
assert_grep "$err" 'cache miss in read-only mode: no recorded response for round 1, candidate 1' "the miss is named"
r=$(latest_run "$tree")/report.json
json_get "$r" "d['targets'][0]['status']" >/dev/null || fail "report.json is readable after the miss"
[ "$(json_get "$r" "d['targets'][0]['best']['id']")" = 0 ] || fail "the original is kept"
ok "a changed prompt is a named cache miss (exit 4), the original kept"
finish
