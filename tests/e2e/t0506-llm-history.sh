#!/usr/bin/env bash
# The history the model sees: after a rewrite that does not compile, one
# that gives a wrong result and one that is slower, the next request lists
# one line per attempt saying what was tried (the model's own note) and what
# happened: the compiler's error, the first difference, the ratio with its
# interval. The verify commands and the original's outputs stay hidden.
. "$(dirname "$0")/lib.sh"

ANSWERS=$FIXTURES/llm-answers

unset OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL
export HOME=$T/home OPTIMIZE_CONFIG=$T/no-config.json
export https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9

python3 - "$ANSWERS" > "$T/script.json" <<'EOF'
import json, sys
a = sys.argv[1]
fast = open(a + "/fast.c").read()
wrong = open(a + "/wrong.c").read()
print(json.dumps([
    {"text": "Use a closed form for the sum.\n\nsum.c\n```c\n#include <stdio.h>\n#include <stdlib.h>\n"
             "unsigned long sum_mod7(long n)\n{\n\treturn undeclared_closed_form(n);\n}\n"
             "int main(int argc, char **argv) { printf(\"%lu\\n\", sum_mod7(atol(argv[1]))); return 0; }\n```\n"},
    {"text": "Skip the modulo on small values.\n\n```c sum.c\n" + wrong + "```\n"},
    {"text": "Unroll the outer loop twice.\n\nsum.c\n<<<<<<< SEARCH\n"
             "\tfor (int rep = 0; rep < 4; rep++) {\n=======\n"
             "\tfor (int rep = 0; rep < 8; rep++) {\n>>>>>>> REPLACE\n"},
    {"text": "Compute the sum once.\n\n```c\n" + fast + "```\n"},
]))
EOF

tree=$(copy_fixture llm)
llm_server_start "$T/script.json" "$T/requests.jsonl"
run_optimize run "$tree" --no-flags --repairs 0 --llm openai-compatible:test-model \
  --llm-url "http://127.0.0.1:$port/v1" --rounds 4 --candidates 1 --max-runs 10 --cache off
llm_server_stop
assert_rc 0 "the LLM run"
r=$(latest_run "$tree")/report.json
st() { json_get "$r" "d['targets'][0]['candidates'][$1]['status']"; }
[ "$(st 1) $(st 2) $(st 3) $(st 4)" = "build-failed verify-failed not-faster accepted" ] ||
  fail "statuses: $(st 1) $(st 2) $(st 3) $(st 4)"
[ "$(wc -l < "$T/requests.jsonl")" = 4 ] || fail "four requests"
python3 - "$T/requests.jsonl" "$T" <<'EOF'
import json, sys
for i, line in enumerate(open(sys.argv[1])):
    body = json.loads(json.loads(line)["body"])
    open("%s/req%d.txt" % (sys.argv[2], i + 1), "w").write(body["messages"][-1]["content"])
EOF
# The history lines of the fourth prompt: "- llm r1c1 (...): ...".
grep -E '^- llm r[0-9]c[0-9]' "$T/req4.txt" > "$T/history4.txt" || fail "no history lines in request 4"
[ "$(wc -l < "$T/history4.txt")" = 3 ] || { cat "$T/history4.txt"; fail "one history line per earlier attempt"; }
h1=$(sed -n 1p "$T/history4.txt"); h2=$(sed -n 2p "$T/history4.txt"); h3=$(sed -n 3p "$T/history4.txt")
echo "$h1" | grep -q 'llm r1c1 (Use a closed form for the sum\.)' || fail "history 1 says what was tried: $h1"
echo "$h1" | grep -qE 'build-failed|did not compile' || fail "history 1 says it did not compile: $h1"
echo "$h1" | grep -q "undeclared_closed_form" || fail "history 1 carries the compiler's error, not the build command: $h1"
echo "$h2" | grep -q 'llm r2c1 (Skip the modulo on small values\.)' || fail "history 2 says what was tried: $h2"
echo "$h2" | grep -qE 'verify-failed|wrong result' || fail "history 2 says the result was wrong: $h2"
echo "$h2" | grep -qiE 'differ|mismatch|first difference|expected' || fail "history 2 carries the mismatch: $h2"
echo "$h3" | grep -q 'llm r3c1 (Unroll the outer loop twice\.)' || fail "history 3 says what was tried: $h3"
echo "$h3" | grep -q 'not-faster' || fail "history 3 says it was not faster: $h3"
echo "$h3" | grep -qE 'ratio [0-9.]+, 95% CI \[[0-9.]+, [0-9.]+\]' || fail "history 3 carries the ratio with its interval: $h3"
ok "the history lines of a later request say what each attempt tried and what happened"

grep -qE '^- llm r1c1 .*build-failed' "$T/req2.txt" || fail "request 2 already lists attempt 1"
grep -qE '^- llm r2c1 .*verify-failed' "$T/req3.txt" || fail "request 3 lists attempt 2"
for f in "$T"/req*.txt; do
  assert_no_grep "$f" '\./sum (0|1|1001)([^0-9]|$)' "no verify command in a prompt"
  # only the first difference is shown, not the original's other outputs
  assert_no_grep "$f" 'n (0|1) sum [0-9]' "no output of the original beyond the first difference"
done
ok "each request lists the attempts before it; no verify command or expected output is shown"
finish
