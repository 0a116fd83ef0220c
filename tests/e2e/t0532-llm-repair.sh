#!/usr/bin/env bash
# Repair before giving up: an answer that does not compile gets a repair
# request that shows its own code (with the broken line) and the compiler's
# error; the repair's SEARCH/REPLACE applies to that code, builds, verifies
# and is accepted; the report links the repair to its parent (repair_of).
# A repair that fails with the same error ends the repairs.
. "$(dirname "$0")/lib.sh"
require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind

broken='Run the loop once.\n\nsum.c\n<<<<<<< SEARCH\n\tfor (int rep = 0; rep < 4; rep++) {\n=======\n\tfor (int rep = 0; rep < 1; rep++) {\n>>>>>>> REPLACE\n\nsum.c\n<<<<<<< SEARCH\n\t\ttotal = s;\n=======\n\t\ttotal = s\n>>>>>>> REPLACE\n'
fixed='Add the missing semicolon.\n\nsum.c\n<<<<<<< SEARCH\n\t\ttotal = s\n=======\n\t\ttotal = s;\n>>>>>>> REPLACE\n'
same='Run the loop twice.\n\nsum.c\n<<<<<<< SEARCH\n\tfor (int rep = 0; rep < 1; rep++) {\n=======\n\tfor (int rep = 0; rep < 2; rep++) {\n>>>>>>> REPLACE\n'
printf '[{"text": "%s"}, {"text": "%s"}]\n' "$broken" "$fixed" > "$T/fixed.json"
printf '[{"text": "%s"}, {"text": "%s"}, {"text": "%s"}]\n' "$broken" "$same" "$fixed" > "$T/same.json"

tree=$(copy_fixture llm)
python3 - "$tree/optimize.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["run"] = "./sum 200000"
json.dump(m, open(sys.argv[1], "w"), indent=2)
PY
export OPENAI_API_KEY=sk-test
common=(--no-flags --llm openai-compatible:test-model --rounds 1 --candidates 1 --cache off
  --objective instructions --counters cachegrind)

llm_server_start "$T/fixed.json" "$T/fixed.jsonl"
run_optimize run "$tree" "${common[@]}" --llm-url "http://127.0.0.1:$port/v1"
llm_server_stop
assert_rc 0 "the run with a repair"
r=$(latest_run "$tree")/report.json
c() { json_get "$r" "d['targets'][0]['candidates'][$1]$2"; }
[ "$(c 1 "['status']")" = build-failed ] || fail "c1 does not compile, got $(c 1 "['status']")"
[ "$(c 2 "['status']")" = accepted ] || { cat "$err"; fail "the repair c2 is accepted, got $(c 2 "['status']")"; }
[ "$(c 2 "['label']")" = "llm r1c1 fix1" ] || fail "the repair's label, got $(c 2 "['label']")"
[ "$(c 2 "['llm']['repair_of']")" = 1 ] || fail "the report links the repair to c1"
[ "$(json_get "$r" "d['targets'][0]['best']['id']")" = 2 ] || fail "the repair is the best"
[ "$(json_get "$r" "d['targets'][0]['extra']['llm']['repairs']")" = 1 ] || fail "extra.llm.repairs"
ok "compile error -> repair -> accepted; report.json links c2 to c1 (repair_of)"

python3 - "$T/fixed.jsonl" "$T" <<'PY'
import json, sys
for i, line in enumerate(open(sys.argv[1])):
    body = json.loads(json.loads(line)["body"])
    open("%s/req%d.txt" % (sys.argv[2], i + 1), "w").write(body["messages"][-1]["content"])
PY
[ "$(wc -l < "$T/fixed.jsonl")" = 2 ] || fail "two requests"
assert_grep "$T/req2.txt" 'This is repair 1 of at most 2 for your answer llm r1c1' "the repair request says what it is"
assert_grep "$T/req2.txt" '^ *[0-9]+\| 		total = s$' "the repair request shows the failed code"
assert_grep "$T/req2.txt" '^ *[0-9]+\| 	for \(int rep = 0; rep < 1; rep\+\+\) \{$' "with the failed answer's other edit"
assert_grep "$T/req2.txt" 'error: expected .*;.* before' "the repair request carries the compiler's error"
ok "the repair request carries the failed code and the error"

llm_server_start "$T/same.json" "$T/same.jsonl"
run_optimize run "$tree" "${common[@]}" --llm-url "http://127.0.0.1:$port/v1"
llm_server_stop
assert_rc 0 "the run whose repair fails the same way"
r=$(latest_run "$tree")/report.json
[ "$(c 2 "['status']")" = build-failed ] || fail "the repair c2 fails to build too"
[ "$(c 2 "['llm']['repair_of']")" = 1 ] || fail "c2 repairs c1"
[ "$(wc -l < "$T/same.jsonl")" = 2 ] || fail "no third request after the same error twice, got $(wc -l < "$T/same.jsonl")"
assert_grep "$err" 'llm r1c1 fix1 failed with the same error as llm r1c1: no more repairs' "the stop is said"
ok "the same error twice ends the repairs"
finish
