#!/usr/bin/env bash
# A missing API key or an unreachable LLM server is found before anything is
# built: exit 4 with the variable's name or the URL; a --cache ro replay
# needs neither.
. "$(dirname "$0")/lib.sh"
unset OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL ANTHROPIC_BASE_URL
export OPTIMIZE_CONFIG=$T/no-config.json XDG_CONFIG_HOME=$T/xdg

tree=$(copy_fixture icount)
nothing_built() {
  assert_no_grep "$err" 'building the original' "nothing may be built"
  [ ! -d "$tree/.optimize/work" ] || [ -z "$(ls "$tree/.optimize/work")" ] || fail "a workspace was made"
}

run_optimize run "$tree" --no-flags --llm openai:gpt-4o-mini
assert_rc 4 "openai without OPENAI_API_KEY"
assert_grep "$err" "OPENAI_API_KEY is not set" "names the variable"
nothing_built
ok "--llm openai without OPENAI_API_KEY: exit 4 naming the variable, nothing built"

run_optimize run "$tree" --no-flags --llm anthropic:claude-test
assert_rc 4 "anthropic without ANTHROPIC_API_KEY"
assert_grep "$err" "ANTHROPIC_API_KEY is not set" "names the variable"
nothing_built
ok "--llm anthropic without ANTHROPIC_API_KEY: exit 4 naming the variable"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
run_optimize run "$tree" --no-flags --llm openai-compatible:m --llm-url "http://127.0.0.1:$port/v1"
assert_rc 4 "an unreachable server"
assert_grep "$err" "cannot reach the LLM server at http://127.0.0.1:$port/v1" "names the URL"
nothing_built
ok "an unreachable openai-compatible server: exit 4 naming the URL, nothing built"

# ANTHROPIC_BASE_URL is the anthropic provider's URL (the SDKs' form, without /v1).
ANTHROPIC_API_KEY=k ANTHROPIC_BASE_URL="http://127.0.0.1:$port" run_optimize run "$tree" --no-flags \
  --llm anthropic:claude-test
assert_rc 4 "ANTHROPIC_BASE_URL unreachable"
assert_grep "$err" "cannot reach the LLM server at http://127.0.0.1:$port/v1" "ANTHROPIC_BASE_URL is used"
ok "ANTHROPIC_BASE_URL is honoured (with /v1 added)"

# The config file under $XDG_CONFIG_HOME.
mkdir -p "$XDG_CONFIG_HOME/optimize"
printf '{"provider": "openai-compatible", "model": "m", "url": "http://127.0.0.1:%s/xdg/v1"}\n' \
  "$port" >"$XDG_CONFIG_HOME/optimize/config.json"
unset OPTIMIZE_CONFIG
run_optimize run "$tree" --no-flags
assert_rc 4 "the XDG config file's unreachable server"
assert_grep "$err" "cannot reach the LLM server at http://127.0.0.1:$port/xdg/v1" "the XDG config is read"
ok "\$XDG_CONFIG_HOME/optimize/config.json is read"
rm -r "$XDG_CONFIG_HOME/optimize"

run_optimize run "$tree" --no-flags --llm openai:gpt-4o-mini --cache ro --rounds 1 --candidates 1 \
  --min-runs 1 --max-runs 1
assert_no_grep "$err" "is not set" "a replay needs no key"
assert_grep "$err" "cache miss in read-only mode" "the replay went as far as the cache"
ok "--cache ro: no key and no server needed"
finish
