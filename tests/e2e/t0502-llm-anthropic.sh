#!/usr/bin/env bash
# The LLM loop through the Anthropic wire format, against the scripted
# server: POST /v1/messages with x-api-key and anthropic-version, the system
# prompt in the top-level "system" field, Anthropic usage read back, a
# rewrite that does not compile fed back through a second request, and a
# correct faster rewrite accepted. The key appears in no file the run wrote.
. "$(dirname "$0")/lib.sh"

ANSWERS=$FIXTURES/llm-answers
KEY=test-key-XYZ

# Nothing but the command line and ANTHROPIC_API_KEY configures the LLM;
# anything that is not loopback would go to a dead proxy.
unset OPENAI_API_KEY OPENAI_BASE_URL
export OPTIMIZE_CONFIG=$T/no-config.json HOME=$T/home
export https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9
export ANTHROPIC_API_KEY=$KEY

python3 - "$ANSWERS" > "$T/script.json" <<'EOF'
import json, sys
fast = open(sys.argv[1] + "/fast.c").read()
print(json.dumps([
    {"text": "Fold the loop.\n\nsum.c\n```c\nunsigned long sum_mod7(long n) { return n +; }\n```\n",
     "prompt_tokens": 1200, "completion_tokens": 30},
    {"text": "Compute the sum once instead of four times.\n\n```c sum.c\n" + fast + "```\n",
     "prompt_tokens": 1500, "completion_tokens": 90},
]))
EOF

tree=$(copy_fixture llm)
llm_server_start "$T/script.json" "$T/requests.jsonl"
run_optimize run "$tree" --no-flags --repairs 0 --llm anthropic:claude-test \
  --llm-url "http://127.0.0.1:$port/v1" --rounds 2 --candidates 1 --max-runs 10 --keep-work
llm_server_stop
assert_rc 0 "the Anthropic run"
run=$(latest_run "$tree")
r=$run/report.json
cand() { json_get "$r" "d['targets'][0]['candidates'][$1]$2"; }
[ "$(cand 1 "['status']")" = build-failed ] || fail "c1 must fail to build, got $(cand 1 "['status']")"
[ "$(cand 2 "['status']")" = accepted ] || { cat "$err"; fail "c2 must be accepted, got $(cand 2 "['status']")"; }
[ "$(json_get "$r" "d['targets'][0]['best']['id']")" = 2 ] || fail "c2 is the best"
[ "$(cand 2 "['label']")" = "llm r2c1" ] || fail "label of c2: $(cand 2 "['label']")"
(mkdir -p "$T/patched" && cp "$FIXTURES/llm/sum.c" "$T/patched/" && cd "$T/patched" &&
  patch -p1 -s < "$run/sum/best.patch" && cmp -s sum.c "$ANSWERS/fast.c") ||
  fail "best.patch gives the second answer"
ok "a rewrite that does not compile is rejected, the faster one accepted (Anthropic)"

[ "$(wc -l < "$T/requests.jsonl")" = 2 ] || fail "two requests, got $(wc -l < "$T/requests.jsonl")"
python3 - "$T/requests.jsonl" "$KEY" "$OPTIMIZE_SOURCE_DIR/prompts/system.md" <<'EOF' ||
import json, sys
key = sys.argv[2]
sysline = open(sys.argv[3]).readline().strip()
reqs = [json.loads(l) for l in open(sys.argv[1])]
for i, q in enumerate(reqs):
    h = q["headers"]
    assert q["method"] == "POST", q["method"]
    assert q["path"] == "/v1/messages", q["path"]
    assert h.get("x-api-key") == key, "x-api-key: %r" % h.get("x-api-key")
    assert h.get("anthropic-version") == "2023-06-01", h.get("anthropic-version")
    assert "authorization" not in h, "no Bearer header for Anthropic"
    assert h.get("content-type", "").startswith("application/json"), h.get("content-type")
    b = json.loads(q["body"])
    assert b["model"] == "claude-test", b["model"]
    assert isinstance(b.get("max_tokens"), int) and b["max_tokens"] > 0, "max_tokens is required"
    assert isinstance(b.get("system"), str) and sysline in b["system"], "system prompt in 'system'"
    msgs = b["messages"]
    assert [m["role"] for m in msgs] == ["user"], [m["role"] for m in msgs]
    assert isinstance(msgs[0]["content"], str) and sysline not in msgs[0]["content"]
    assert key not in q["body"], "the key is not in the body"
    rest = dict(h); del rest["x-api-key"]
    assert key not in json.dumps(rest), "the key is only in x-api-key"
assert 'Task: make target "sum" faster' in json.loads(reqs[0]["body"])["messages"][0]["content"]
second = json.loads(reqs[1]["body"])["messages"][0]["content"]
assert "did not compile" in second and "return n +;" in second, second[:2000]
EOF
  fail "the recorded requests are Anthropic messages requests as specified"
ok "POST /v1/messages with x-api-key and anthropic-version, the system prompt in \"system\""

[ "$(cand 1 "['llm']['prompt_tokens']['value']")" = 1200 ] || fail "c1 prompt tokens: $(cand 1 "['llm']")"
[ "$(cand 2 "['llm']['completion_tokens']['value']")" = 90 ] || fail "c2 completion tokens: $(cand 2 "['llm']")"
[ "$(json_get "$r" "d['targets'][0]['extra']['llm']['provider']")" = anthropic ] || fail "extra.llm.provider"
[ "$(json_get "$r" "d['targets'][0]['extra']['llm']['prompt_tokens']['value']")" = 2700 ] ||
  fail "extra.llm.prompt_tokens: $(json_get "$r" "d['targets'][0]['extra']['llm']")"
[ "$(json_get "$r" "d['targets'][0]['extra']['llm']['completion_tokens']['value']")" = 120 ] ||
  fail "extra.llm.completion_tokens"
json_get "$r" "d['targets'][0]['extra']['llm']['endpoint']" | grep -qE "^http://127\.0\.0\.1:$port/v1/messages$" ||
  fail "extra.llm.endpoint: $(json_get "$r" "d['targets'][0]['extra']['llm']['endpoint']")"
ok "Anthropic usage (input/output tokens) per call and in total in report.json"

ls "$tree"/.optimize/work/*/sum/c0002 >/dev/null 2>&1 || fail "--keep-work kept the workspaces"
[ -s "$run/sum/transcript.md" ] || fail "transcript.md"
ls "$tree"/.optimize/cache/*/*.json >/dev/null 2>&1 || fail "the responses were cached"
if grep -rlF "$KEY" "$tree" "$out" "$err" "$llm_server_err"; then fail "the API key leaked into a file"; fi
ok "the API key is in no file the run wrote (reports, transcript, cache, workspaces, output)"
finish
