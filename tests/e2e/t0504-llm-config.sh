#!/usr/bin/env bash
# Where the LLM settings come from: the command line, then the manifest's
# llm section, then the config file ($OPTIMIZE_CONFIG), then the environment
# (OPENAI_BASE_URL, OPENAI_API_KEY). Two scripted servers, A and B: which one
# a run talks to, and the model, temperature and token limit in the recorded
# request, show which setting won. Without any LLM configured, `optimize run`
# says it runs the offline flag search and how to enable rewrites.
. "$(dirname "$0")/lib.sh"

# Every answer is a rewrite that does not compile: nothing is measured.
python3 - > "$T/script.json" <<'EOF'
import json
print(json.dumps([{"text": "sum.c\n```c\nint sum_mod7(long n) { return n +; }\n```\n"}] * 40))
EOF
start_server() { # NAME: sets $port_NAME
  llm_server_start "$T/script.json" "$T/$1.jsonl"
  touch "$T/$1.jsonl"
  eval "port_$1=$port"
}
start_server A
start_server B
URL_A=http://127.0.0.1:$port_A/v1
URL_B=http://127.0.0.1:$port_B/v1

# Nothing from the real environment: no keys, no URL, no ~/.config, and
# anything that is not loopback would go to a dead proxy.
unset OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL
export HOME=$T/home OPTIMIZE_CONFIG=$T/no-config.json
export https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9

tree=$(copy_fixture llm)
cp "$tree/optimize.json" "$T/manifest.orig.json"
# manifest LLM-JSON: the fixture's manifest with this llm section ({} = none)
manifest() {
  python3 - "$T/manifest.orig.json" "$tree/optimize.json" "$1" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
llm = json.loads(sys.argv[3])
if llm:
    m["llm"] = llm
json.dump(m, open(sys.argv[2], "w"), indent=2)
EOF
}
config() { printf '%s\n' "$1" > "$T/config.json"; export OPTIMIZE_CONFIG=$T/config.json; }
no_config() { export OPTIMIZE_CONFIG=$T/no-config.json; }

# llm_run ARGS...: one round, one candidate; then $where is A or B (the
# server that got the one request) and $req the request (one JSON line).
llm_run() {
  local a0 b0 a1 b1
  a0=$(wc -l < "$T/A.jsonl"); b0=$(wc -l < "$T/B.jsonl")
  run_optimize run "$tree" --no-flags --rounds 1 --candidates 1 --max-runs 5 --cache off --repairs 0 "$@"
  assert_rc 0 "the LLM run ($*)"
  a1=$(wc -l < "$T/A.jsonl"); b1=$(wc -l < "$T/B.jsonl")
  case "$((a1 - a0)) $((b1 - b0))" in
    "1 0") where=A; req=$(tail -n 1 "$T/A.jsonl") ;;
    "0 1") where=B; req=$(tail -n 1 "$T/B.jsonl") ;;
    *) cat "$err" >&2; fail "expected one request to one server, got A +$((a1 - a0)), B +$((b1 - b0))" ;;
  esac
  [ "$(json_get "$(latest_run "$tree")/report.json" "d['targets'][0]['candidates'][1]['status']")" = build-failed ] ||
    fail "the answer was used"
}
# body EXPR: a field of the recorded request's body (bound to b)
body() { printf '%s' "$req" | python3 -c "import json,sys; q=json.load(sys.stdin); b=json.loads(q['body']); print($1)"; }
header() { printf '%s' "$req" | python3 -c "import json,sys; print(json.load(sys.stdin)['headers'].get(sys.argv[1], '-'))" "$1"; }

# The manifest's section wins over the config file and the environment.
manifest "{\"provider\": \"openai-compatible\", \"model\": \"man-model\", \"url\": \"$URL_A\", \"temperature\": 0.25, \"max_tokens\": 777}"
config "{\"provider\": \"openai-compatible\", \"model\": \"cfg-model\", \"url\": \"$URL_B\", \"temperature\": 0.9, \"max_tokens\": 555}"
OPENAI_BASE_URL=$URL_B llm_run
[ "$where" = A ] || fail "the manifest's url is used, not the config file's or OPENAI_BASE_URL: went to $where"
[ "$(body "b['model']")" = man-model ] || fail "the manifest's model: $(body "b['model']")"
[ "$(body "b.get('temperature')")" = 0.25 ] || fail "the manifest's temperature: $(body "b.get('temperature')")"
[ "$(body "b.get('max_tokens')")" = 777 ] || fail "the manifest's max_tokens: $(body "b.get('max_tokens')")"
[ "$(header authorization)" = - ] || fail "no key, no auth header"
ok "the manifest's llm section (provider, model, url, temperature, max_tokens) beats the config file and the environment"

# The command line beats the manifest.
OPENAI_BASE_URL=$URL_A llm_run --llm-url "$URL_B"
[ "$where" = B ] || fail "--llm-url overrides the manifest's url: went to $where"
[ "$(body "b['model']")" = man-model ] || fail "the model still from the manifest"
llm_run --repairs 0 --llm openai-compatible:cli-model
[ "$where" = A ] || fail "the manifest's url with the command line's provider: went to $where"
[ "$(body "b['model']")" = cli-model ] || fail "--llm's model overrides the manifest's: $(body "b['model']")"
ok "--llm-url and --repairs 0 --llm override the manifest; what they do not name still comes from it"

# The config file, when neither the command line nor the manifest names it.
manifest '{}'
OPENAI_BASE_URL=$URL_A llm_run --repairs 0 --llm openai-compatible
[ "$where" = B ] || fail "the config file's url beats OPENAI_BASE_URL: went to $where"
[ "$(body "b['model']")" = cfg-model ] || fail "the config file's model: $(body "b['model']")"
[ "$(body "b.get('temperature')")" = 0.9 ] || fail "the config file's temperature"
[ "$(body "b.get('max_tokens')")" = 555 ] || fail "the config file's max_tokens"
config "{\"provider\": \"openai-compatible\", \"model\": \"cfg-model\", \"url\": \"$URL_B\"}"
OPENAI_BASE_URL=$URL_A llm_run
[ "$where" = B ] && [ "$(body "b['model']")" = cfg-model ] ||
  fail "the config file alone configures the LLM: $where, $(body "b['model']")"
manifest '{"model": "man-model"}'
llm_run
[ "$(body "b['model']")" = man-model ] ||
  fail "a manifest model without a provider still beats the config file's: $(body "b['model']")"
ok "the config file's provider, model, url, temperature and max_tokens are used when nothing above names them"

# The environment last.
manifest '{}'
no_config
OPENAI_BASE_URL=$URL_A llm_run --repairs 0 --llm openai-compatible:env-url-model
[ "$where" = A ] || fail "OPENAI_BASE_URL is used when nothing else names a URL: went to $where"
OPENAI_BASE_URL=$URL_B OPENAI_API_KEY=sk-env-KEY42 llm_run
[ "$where" = B ] || fail "OPENAI_API_KEY + OPENAI_BASE_URL: went to $where"
[ "$(body "b['model']")" = gpt-4o-mini ] || fail "OPENAI_API_KEY alone chooses openai and its default model"
[ "$(header authorization)" = "Bearer sk-env-KEY42" ] || fail "the key from OPENAI_API_KEY is sent"
if grep -rlF "sk-env-KEY42" "$tree/.optimize" "$out" "$err"; then fail "the key leaked into a file"; fi
ok "OPENAI_BASE_URL and OPENAI_API_KEY are used when nothing else configures the LLM"

# Nothing configured: the notice, and the offline search still runs.
a0=$(wc -l < "$T/A.jsonl"); b0=$(wc -l < "$T/B.jsonl")
run_optimize run "$tree" --max-runs 5 --budget-time 1
assert_rc 0 "a run without any LLM"
assert_grep "$err" 'no LLM configured: running the offline flag search' "the notice says what runs instead"
assert_grep "$err" '--llm PROVIDER:MODEL' "the notice says how to enable rewrites"
assert_grep "$err" 'OPENAI_API_KEY' "the notice names the environment variables"
r=$(latest_run "$tree")/report.json
[ "$(json_get "$r" "d['proposer']")" = flags ] || fail "the flag search runs: $(json_get "$r" "d['proposer']")"
[ "$(json_get "$r" "d['targets'][0]['candidates'][0]['status']")" = accepted ] || fail "the original is measured"
[ "$(wc -l < "$T/A.jsonl")" = "$a0" ] && [ "$(wc -l < "$T/B.jsonl")" = "$b0" ] || fail "no request without an LLM"
run_optimize run "$tree" --max-runs 5 --budget-time 1 -q
assert_rc 0 "quiet run without any LLM"
assert_no_grep "$err" 'no LLM configured' "--quiet drops the notice"
ok "without any LLM configured, optimize run says so, says how to enable rewrites, and runs the flag search"
finish
