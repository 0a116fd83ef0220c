#!/usr/bin/env bash
# An API key goes only where the user sent it: the provider's default host, a
# URL from the command line, the user's config file or OPENAI_BASE_URL, or
# loopback. A manifest (which may come with someone else's tree) naming
# another host gets the key only over https and with --trust-manifest-url;
# otherwise the run stops before any request, with exit 2 and the reason.
. "$(dirname "$0")/lib.sh"

export HOME=$T/home OPTIMIZE_CONFIG=$T/config.json
# No real network: anything not loopback goes to a dead proxy, and fails fast.
export https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9
printf '%s\n' '{"max_retries": 0, "connect_timeout_s": 2, "deadline_s": 5}' >"$OPTIMIZE_CONFIG"
export OPENAI_API_KEY=sk-test-ROUTING-42
unset ANTHROPIC_API_KEY OPENAI_BASE_URL

tree=$(copy_fixture llm)
cp "$tree/optimize.json" "$T/orig.json"
with_url() {
  python3 - "$T/orig.json" "$tree/optimize.json" "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["llm"] = {"provider": "openai-compatible", "model": "m", "url": sys.argv[3]}
json.dump(m, open(sys.argv[2], "w"), indent=2)
PY
}
common=(--no-flags --rounds 1 --candidates 1 --min-runs 2 --max-runs 2 --cache off)

with_url "http://example.invalid/v1"
run_optimize run "$tree" "${common[@]}"
assert_rc 2 "a plain-http manifest URL to another host"
assert_grep "$err" "llm.url 'http://example.invalid/v1' of .*optimize.json is plain http" "the reason"
[ ! -d "$tree/.optimize/runs" ] || [ -z "$(ls "$tree/.optimize/runs")" ] || true
ok "manifest url http://other-host: refused with exit 2, before any request"

with_url "https://example.invalid/v1"
run_optimize run "$tree" "${common[@]}"
assert_rc 2 "an https manifest URL without --trust-manifest-url"
assert_grep "$err" "would receive your API key.*--trust-manifest-url" "the reason and the way out"
ok "manifest url https://other-host without --trust-manifest-url: refused with exit 2"

run_optimize run "$tree" "${common[@]}" --trust-manifest-url
assert_no_grep "$err" "would receive your API key|plain http" "--trust-manifest-url lets it through"
ok "with --trust-manifest-url the https manifest url is used"

# The user's own choices are never refused: the command line, or loopback in the manifest.
with_url "http://example.invalid/v1"
run_optimize run "$tree" "${common[@]}" --llm-url "http://127.0.0.1:9/v1"
assert_no_grep "$err" "would receive your API key|plain http" "--llm-url overrides the manifest's url"
with_url "http://127.0.0.1:9/v1"
run_optimize run "$tree" "${common[@]}"
assert_no_grep "$err" "would receive your API key|plain http" "a loopback manifest url is fine"
with_url "http://127.0.0.1@example.invalid/v1"
run_optimize run "$tree" "${common[@]}"
assert_rc 2 "userinfo that looks like loopback"
assert_grep "$err" "is plain http" "http://127.0.0.1@host is not loopback"
ok "--llm-url and a loopback manifest url are used; 127.0.0.1@other-host is not loopback"
if grep -rlF "sk-test-ROUTING-42" "$tree/.optimize" "$T"/stdout.* "$T"/stderr.* 2>/dev/null; then fail "the key leaked into a file"; fi
ok "the key is in no file"
finish
