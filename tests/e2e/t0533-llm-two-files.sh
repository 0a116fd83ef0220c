#!/usr/bin/env bash
# Edits across files: one answer edits two editable files (a SEARCH/REPLACE
# block on one, a whole file for the other, a header among them); both are
# applied to the candidate's workspace, built, verified and measured. An
# answer with a valid edit and a block for a protected file is rejected as a
# whole, with the reason, and nothing of it is built.
. "$(dirname "$0")/lib.sh"
require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind

tree=$T/two
mkdir -p "$tree"
cat > "$tree/work.h" <<'C'
#define REPS 8
long work(long n);
C
cat > "$tree/work.c" <<'C'
#include "work.h"

long work(long n)
{
	long s = 0;
	for (int r = 0; r < REPS; r++)
		for (long i = 0; i < n; i++)
			s += i % 7;
	return s / REPS;
}
C
cat > "$tree/main.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include "work.h"

int main(int argc, char **argv)
{
	printf("%ld\n", work(argc > 1 ? atol(argv[1]) : 10));
	return 0;
}
C
cat > "$tree/optimize.json" <<'J'
{"version": 1, "targets": [{"name": "two", "build": "$CC $CFLAGS -o two main.c work.c",
  "run": "./two 20000", "editable": ["work.c", "work.h"], "outputs": ["two"],
  "verify": [{"run": "./two 100"}, {"run": "./two 7"}]}]}
J
python3 - > "$T/script.json" <<'PY'
import json
two = ("Run the loop once: REPS becomes 1 in the header and the division goes.\n\n"
       "work.h\n```c\n#define REPS 1\nlong work(long n);\n```\n\n"
       "work.c\n<<<<<<< SEARCH\n\treturn s / REPS;\n=======\n\treturn s;\n>>>>>>> REPLACE\n")
prot = ("Also print less.\n\nwork.c\n<<<<<<< SEARCH\n\tlong s = 0;\n=======\n\tlong s = 0L;\n"
        ">>>>>>> REPLACE\n\nmain.c\n<<<<<<< SEARCH\n\treturn 0;\n=======\n\treturn 0; /* x */\n"
        ">>>>>>> REPLACE\n")
print(json.dumps([{"text": two}, {"text": prot}]))
PY
export OPENAI_API_KEY=sk-test
llm_server_start "$T/script.json" "$T/requests.jsonl"
run_optimize run "$tree" --no-flags --repairs 0 --llm openai-compatible:test-model \
  --llm-url "http://127.0.0.1:$port/v1" --rounds 2 --candidates 1 --cache off \
  --objective instructions --counters cachegrind --keep-work
llm_server_stop
assert_rc 0 "the run"
r=$(latest_run "$tree")/report.json
c() { json_get "$r" "d['targets'][0]['candidates'][$1]$2"; }
[ "$(c 1 "['status']")" = accepted ] || { cat "$err"; fail "the two-file answer is accepted, got $(c 1 "['status']")"; }
ws=$(ls -d "$tree"/.optimize/work/*/two/c0001)
grep -qx '#define REPS 1' "$ws/work.h" || fail "work.h was replaced whole"
grep -qx '	return s;' "$ws/work.c" || fail "work.c got its SEARCH/REPLACE edit"
cmp -s "$tree/main.c" "$ws/main.c" || fail "main.c is untouched"
ok "one answer edited two files (a whole header and a SEARCH/REPLACE block): both applied, built, verified, accepted"

[ "$(c 2 "['status']")" = edit-rejected ] || fail "the answer touching main.c is rejected, got $(c 2 "['status']")"
c 2 "['reason']" | grep -q "'main.c', which is a protected file of the tree (not editable)" ||
  fail "the reason names the protected file: $(c 2 "['reason']")"
c 2 "['reason']" | grep -q "the whole answer was rejected" || fail "the reason says the whole answer went"
[ ! -e "$(dirname "$ws")/c0002/work.c" ] || ! grep -q '0L;' "$(dirname "$ws")/c0002/work.c" ||
  fail "no edit of the rejected answer reached a workspace"
[ "$(json_get "$r" "d['targets'][0]['best']['id']")" = 1 ] || fail "the best stays c1"
ok "a block for a protected file rejects the whole answer, with the reason"
finish
