#!/usr/bin/env bash
# Hot code for any run command: a run that is a shell pipeline
# (sh -c 'gen | hash') or a script, with the hot library compiled from a
# subdirectory (cd programs && cc ../lib/work.c): the first prompt's hot
# lines name the tree's path (lib/work.c:N) with the line's text, and no
# shell is listed among the hot functions. The script target leaves cflags
# unset (a plain "make" with the project's own flags, as lz4): -g still
# reaches the compiler through CC, so its hot lines are there too, and the
# report records the compiler command line of the project's own build. optimize profile names an
# inlined function (is_prime (inlined)) and demangles C++ (ns::work(long)).
. "$(dirname "$0")/lib.sh"
require_capability "perf sampling" OPTIMIZE_TEST_NO_PERF have_perf

tree=$(copy_fixture pipeline)
python3 - > "$T/script.json" <<'PY'
import json
print(json.dumps([{"text": "Nothing to change.\n\nlib/work.c\n<<<<<<< SEARCH\n\tunsigned long h = 5381;\n=======\n\tunsigned long h = 5381UL;\n>>>>>>> REPLACE\n"}] * 2))
PY
llm_server_start "$T/script.json" "$T/requests.jsonl"
export OPENAI_API_KEY=sk-test
for target in pipe script; do
  run_optimize run "$tree" --target $target --no-flags --llm openai-compatible:test-model \
    --llm-url "http://127.0.0.1:$port/v1" --rounds 1 --candidates 1 --min-runs 3 --max-runs 3 --cache off
  assert_rc 0 "the LLM run of $target"
done
llm_server_stop
python3 - "$T/requests.jsonl" "$T" <<'PY'
import json, sys
for i, line in enumerate(open(sys.argv[1])):
    body = json.loads(json.loads(line)["body"])
    open("%s/req%d.txt" % (sys.argv[2], i + 1), "w").write(body["messages"][-1]["content"])
PY
for i in 1 2; do
  f=$T/req$i.txt
  sed -n '/^hot functions/,/^## /p' "$f" > "$T/hot$i.txt"
  assert_grep "$T/hot$i.txt" '[0-9.]+% crunch \(hash\)' "prompt $i: crunch of programs/hash is a hot function"
  assert_grep "$T/hot$i.txt" ' lib/work\.c:[0-9]+ \(crunch\): (h = \(h \* 33u\)|for \(unsigned long i)' \
    "prompt $i: a hot line names lib/work.c with its text"
  assert_no_grep "$T/hot$i.txt" '\.\./lib/work\.c' "prompt $i: no path relative to the compile directory"
  assert_no_grep "$T/hot$i.txt" '\((sh|dash|bash)\)$' "prompt $i: no shell among the hot functions"
done
ok "pipeline and script runs: the prompt's hot lines name lib/work.c:N with the line's text"
r=$(latest_run "$tree")/report.json
lines=$(json_get "$r" '" ".join(d["targets"][0]["candidates"][0]["compiler_command_lines"])')
echo "$lines" | grep -q -- '-O2' || fail "the project's own -O2 is recorded for the script target: '$lines'"
json_get "$r" 'all(" -g" in l and " -O2" in l for l in d["targets"][0]["candidates"][0]["compiler_command_lines"])' |
  grep -q True || fail "every recorded line is a compiler command line with -g -O2 (one per compile unit): '$lines'"
ok "cflags unset: the project's own build is recorded ($lines)"

run_optimize profile "$tree" --target inline
assert_rc 0 "profile of the inlined program"
assert_grep "$out" 'is_prime \(inlined\)' "the inlined function is named"
ok "an inlined function is named from DWARF (is_prime (inlined))"
if command -v g++ >/dev/null; then
  run_optimize profile "$tree" --target cpp
  assert_rc 0 "profile of the C++ program"
  assert_grep "$out" 'ns::work\(long\)' "the C++ function is demangled"
  ok "C++ names are demangled (ns::work(long))"
fi
finish
