#!/usr/bin/env bash
# Context that fits: a generated C file of over 100 KB with one hot
# function. The first prompt fits a 24,000-token budget, shows the hot
# function whole with line numbers and the rest as an outline (the macros,
# types and globals the hot code uses, signatures), and asks for
# SEARCH/REPLACE edits; a scripted SEARCH/REPLACE answer against the hot
# function is applied, built, verified and measured; the transcript says
# which context was sent. A first answer that does not compile gets a
# repair request that shows the hot function whole again (from the
# original's profile: the failed candidate has none) with the compiler's
# error. A budget too small for even the hot function is a clear error
# before any request.
. "$(dirname "$0")/lib.sh"
require_capability "perf sampling" OPTIMIZE_TEST_NO_PERF have_perf

tree=$(copy_fixture bigfile)
python3 "$tree/gen.py" "$tree/big.c"
rm "$tree/gen.py"
size=$(stat -c %s "$tree/big.c")
[ "$size" -ge 102400 ] || fail "the generated file is over 100 KB (got $size bytes)"

python3 - > "$T/script.json" <<'PY'
import json
answer = ("Hoist the modulo's operands out of the inner loop.\n\nbig.c\n<<<<<<< SEARCH\n"
          "\t\tfor (long i = 0; i < n; i++)\n"
          "\t\t\ts += (unsigned long)(table[i & MASK] * SCALE) % c->mod;\n=======\n"
          "\t\tfor (long i = 0; i < n; i++) {\n"
          "\t\t\tunsigned long v = (unsigned long)(table[i & MASK] * SCALE);\n"
          "\t\t\ts += v % c->mod;\n\t\t}\n>>>>>>> REPLACE\n")
broken = ("Hoist it.\n\nbig.c\n<<<<<<< SEARCH\n"
          "\t\tfor (long i = 0; i < n; i++)\n"
          "\t\t\ts += (unsigned long)(table[i & MASK] * SCALE) % c->mod;\n=======\n"
          "\t\tfor (long i = 0; i < n; i++)\n"
          "\t\t\ts += (unsigned long)(table[i & MASK] * SCALE) % c->mod\n>>>>>>> REPLACE\n")
fix = answer.replace("% c->mod;\n=======", "% c->mod\n=======")
print(json.dumps([{"text": broken}, {"text": fix}]))
PY
echo '{"context_tokens": 28096}' > "$T/config.json"
export OPTIMIZE_CONFIG=$T/config.json OPENAI_API_KEY=sk-test
llm_server_start "$T/script.json" "$T/requests.jsonl"
run_optimize run "$tree" --no-flags --llm openai-compatible:test-model \
  --llm-url "http://127.0.0.1:$port/v1" --rounds 1 --candidates 1 --min-runs 3 --max-runs 3 \
  --cache off --keep-work
llm_server_stop
assert_rc 0 "the LLM run on the large file"
python3 - "$T/requests.jsonl" "$T" <<'PY'
import json, sys
for i, line in enumerate(open(sys.argv[1])):
    body = json.loads(json.loads(line)["body"])
    open("%s/req%d.txt" % (sys.argv[2], i + 1), "w").write(body["messages"][-1]["content"])
    tokens = (sum(len(m["content"].encode()) for m in body["messages"]) + 3) // 4
    open("%s/tokens%d.txt" % (sys.argv[2], i + 1), "w").write("%d\n" % tokens)
PY
tokens=$(cat "$T/tokens1.txt")
[ "$tokens" -le 24000 ] || fail "the first prompt fits 24,000 tokens (it has ~$tokens)"
ok "the first prompt has ~$tokens tokens (budget 24,000; the file alone is ~$((size / 4)))"

f=$T/req1.txt
assert_grep "$f" 'big\.c \(shown in part: [0-9]+ lines in all; shown whole: the hot functions? ([a-z_0-9]+ \(lines [0-9]+-[0-9]+\), )*hot_sum \(lines [0-9]+-[0-9]+\)' \
  "the prompt says the hot function is shown whole"
assert_grep "$f" 'as an outline: .*types, macros and globals' "the prompt says what the outline holds"
assert_grep "$f" '^ *[0-9]+\| unsigned long hot_sum\(const struct cfg \*c, long n\)$' "the hot function's heading, numbered"
assert_grep "$f" '^ *[0-9]+\| 			s \+= \(unsigned long\)\(table\[i & MASK\] \* SCALE\) % c->mod;$' "the hot function's body, numbered"
assert_grep "$f" '^ *[0-9]+\| #define SCALE 3$' "a macro the hot code uses"
assert_grep "$f" '^ *[0-9]+\| static unsigned table\[MASK \+ 1\];$' "a global the hot code uses"
assert_grep "$f" '^ *[0-9]+\| struct cfg \{$' "a type the hot code uses"
assert_grep "$f" '\.\.\.  \(lines [0-9]+-[0-9]+ not shown\)' "lines not shown are marked"
assert_no_grep "$f" 'return y \^ ' "cold function bodies are not shown"
assert_no_grep "$f" 'struct cold_state' "a type the hot code does not use is not shown"
assert_grep "$f" 'SEARCH/REPLACE blocks only' "the prompt asks for SEARCH/REPLACE edits"
assert_grep "$f" 'hot_sum' "the profile names the hot function"
ok "the hot function whole, the rest as an outline, SEARCH/REPLACE asked for"

run=$(latest_run "$tree")
r=$run/report.json
st=$(json_get "$r" "d['targets'][0]['candidates'][1]['status']")
[ "$st" = build-failed ] || fail "the first answer does not build (got $st)"
f=$T/req2.txt
[ -s "$f" ] || fail "a repair request was sent"
assert_grep "$f" 'big\.c \(shown in part: [0-9]+ lines in all; shown whole: the hot functions? ([a-z_0-9]+ \(lines [0-9]+-[0-9]+\), )*hot_sum' \
  "the repair request shows the hot function whole"
assert_grep "$f" "big\.c:[0-9]+:[0-9]+: error: expected" "the repair request carries the compiler error"
assert_grep "$err" "build-failed +'.*' failed \(exit 1\): big\.c:[0-9]+:[0-9]+: error: expected" \
  "the one-line status names the first compiler error"
ok "the repair request of the large file shows the hot function whole and the error"
st=$(json_get "$r" "d['targets'][0]['candidates'][2]['status']")
case "$st" in accepted|not-faster) ;; *) cat "$err"; fail "the SEARCH/REPLACE answer is applied, built, verified and measured (got $st)";; esac
json_get "$r" "d['targets'][0]['candidates'][2]" | grep -q "ratio" || fail "candidate 2 was measured"
grep -q 'unsigned long v = (unsigned long)(table\[i & MASK\] \* SCALE);' "$tree"/.optimize/work/*/big/c0002/big.c ||
  fail "the edit was applied to the whole file"
[ "$(wc -l < "$tree"/.optimize/work/*/big/c0002/big.c)" -gt 5000 ] || fail "the rest of the file is kept"
ok "the SEARCH/REPLACE answer was applied to the 100 KB file, built, verified and measured ($st)"
assert_grep "$run/big/transcript.md" 'Context sent: big\.c: outline \(whole: hot_sum' "the transcript says which context was sent"
ok "the transcript says which context was sent"

# Even the hot function does not fit: a clear error, before any request.
echo '{"context_tokens": 4800}' > "$T/config.json"
llm_server_start "$T/script.json" "$T/requests2.jsonl"
run_optimize run "$tree" --no-flags --llm openai-compatible:test-model \
  --llm-url "http://127.0.0.1:$port/v1" --rounds 1 --candidates 1 --min-runs 3 --max-runs 3 --cache off
llm_server_stop
assert_rc 4 "a budget too small for the hot code"
assert_grep "$err" 'does not fit the budget of 704 tokens even with only the hottest function' "the error says so"
assert_grep "$err" 'context_tokens' "the error names the setting"
[ ! -s "$T/requests2.jsonl" ] || fail "no request was sent"
ok "a budget too small for even the hot function is a clear error (exit 4), nothing sent"
finish
