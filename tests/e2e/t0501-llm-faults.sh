#!/usr/bin/env bash
# Each fault the scripted server can inject is retried or fails as
# specified: the run ends with a clear message, the
# best so far intact and report.json readable.
. "$(dirname "$0")/lib.sh"

ANSWERS=$FIXTURES/llm-answers

# Short timeouts so a slow answer times out quickly; a few fast retries.
cat > "$T/config.json" <<'EOF'
{"request_timeout_s": 2, "connect_timeout_s": 2, "deadline_s": 30, "max_retries": 2, "backoff_base_s": 0.2}
EOF
export OPTIMIZE_CONFIG=$T/config.json
unset OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL

tree=$(copy_fixture llm)
n=0
# scenario FAULT-STEPS-JSON: runs one LLM round against a script whose steps
# are the given faults followed by the fast answer; sets $log and $r.
scenario() {
  n=$((n + 1))
  python3 - "$ANSWERS" "$1" > "$T/script$n.json" <<'EOF'
import json, sys
fast = open(sys.argv[1] + "/fast.c").read()
steps = json.loads(sys.argv[2])
steps.append({"text": "Compute the sum once.\n\nsum.c\n```c\n" + fast + "```\n"})
print(json.dumps(steps))
EOF
  log=$T/requests$n.jsonl
  llm_server_start "$T/script$n.json" "$log"
  run_optimize run "$tree" --no-flags --repairs 0 --llm openai-compatible:test-model \
    --llm-url "http://127.0.0.1:$port/v1" --rounds 1 --candidates 1 --min-runs 5 --max-runs 5 --cache off
  llm_server_stop
  r=$(latest_run "$tree")/report.json
  json_get "$r" "d['targets'][0]['status']" >/dev/null || fail "report.json unreadable after $1"
}
requests() { wc -l < "$log" | tr -d ' '; }
c1() { json_get "$r" "d['targets'][0]['candidates'][1]['status']"; }
evaluated() { case "$(c1)" in accepted|not-faster) return 0;; *) return 1;; esac; }

scenario '[{"fault": "429", "retry_after": 1}]'
assert_rc 0 "429 then an answer"
[ "$(requests)" = 2 ] || fail "429: expected 2 requests, got $(requests)"
evaluated || fail "429: the answer after the retry is evaluated, got $(c1)"
assert_grep "$err" 'retry' "429: the retry is reported"
ok "429 with Retry-After is retried and the answer used"

scenario '[{"fault": "500"}]'
assert_rc 0 "500 then an answer"
[ "$(requests)" = 2 ] || fail "500: expected 2 requests"
evaluated || fail "500: evaluated"
ok "500 is retried"

scenario '[{"fault": "slow", "delay_s": 6, "text": "late"}]'
assert_rc 0 "a slow answer then an answer"
[ "$(requests)" = 2 ] || fail "slow: expected 2 requests"
evaluated || fail "slow: evaluated"
# Not a timing assertion (the machine may be loaded): the log says the first
# attempt was abandoned at the 2 s request timeout and retried.
assert_grep "$err" 'no answer within 2.0 s; retrying' "slow: the late answer is abandoned at the timeout"
ok "an answer slower than the timeout is abandoned and retried"

scenario '[{"fault": "truncated_body"}]'
assert_rc 0 "a truncated body then an answer"
[ "$(requests)" = 2 ] || fail "truncated body: expected 2 requests"
evaluated || fail "truncated body: evaluated"
ok "a truncated body is retried"

scenario '[{"fault": "drop"}]'
assert_rc 0 "a dropped connection then an answer"
[ "$(requests)" = 2 ] || fail "drop: expected 2 requests"
evaluated || fail "drop: evaluated"
ok "a dropped connection is retried"

scenario '[{"fault": "malformed"}]'
if [ "$rc" = 0 ]; then
  [ "$(requests)" = 2 ] || fail "malformed: retried, so 2 requests"
  evaluated || fail "malformed: evaluated after the retry"
else
  assert_rc 4 "malformed JSON that is not retried ends the run"
  assert_grep "$err" 'bad_response|not valid|malformed|JSON' "malformed: a clear message"
fi
ok "malformed JSON is retried or ends the run with a clear message"

scenario '[{"fault": "length", "text": "sum.c\n```c\nint main(void) {\n"}]'
assert_rc 0 "finish_reason length"
[ "$(requests)" = 1 ] || fail "length: not retried"
[ "$(c1)" = edit-rejected ] || fail "length: the cut-off answer is rejected, got $(c1)"
json_get "$r" "d['targets'][0]['candidates'][1]['reason']" | grep -q 'cut off by the token limit' ||
  fail "length: the reason says so"
ok "a response cut off by the token limit is never parsed as code"

scenario '[{"status": 401}]'
assert_rc 4 "401"
[ "$(requests)" = 1 ] || fail "401: not retried"
assert_grep "$err" 'API key|HTTP 401' "401: a clear message"
[ "$(json_get "$r" "d['targets'][0]['best']['id']")" = 0 ] || fail "401: the original is kept"
ok "401 is not retried: exit 4 with a clear message, the original kept"

scenario '[{"fault": "500"}, {"fault": "500"}, {"fault": "500"}]'
assert_rc 4 "500 until the retries run out"
[ "$(requests)" = 3 ] || fail "500 x3: 1 + 2 retries, got $(requests)"
assert_grep "$err" 'HTTP 500' "500 x3: a clear message"
assert_grep "$err" 'gave up after 3 attempts' "500 x3: stops after the configured retries"
ok "a server error that persists ends the run after the retries, keeping the original"
finish
