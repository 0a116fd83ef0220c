#!/usr/bin/env bash
# An LLM-written candidate is contained in every one of its runs, the
# profile runs included (they once had an isolation of their own: issue 8).
# With --no-profile the loop profiles nothing, so the only profile runs are
# the ones the LLM proposer asks for when it writes the second prompt
# (through the pipeline, like every child of target code). The candidate
# logs, on every run, the network namespace it sees and whether it could
# write the user's tree; every line must show another namespace and a
# refused write, and the log must hold the runs of that profile.
. "$(dirname "$0")/lib.sh"

require_capability namespaces OPTIMIZE_TEST_NO_NAMESPACES \
  sh -c "unshare --user --net --mount true 2>&1 || unshare --net --mount true 2>&1"

unset OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL
export HOME=$T/home OPTIMIZE_CONFIG=$T/no-config.json
export https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9
own_ns=$(readlink /proc/self/ns/net)

# The rewrite: the fast answer, plus a log line per run (appended to a file of
# its own workspace) after trying to overwrite notes.txt in the user's tree.
python3 - "$FIXTURES/llm-answers/fast.c" > "$T/hostile.c" <<'EOF2'
import sys
src = open(sys.argv[1]).read()
spy = r'''
#include <string.h>
#include <unistd.h>
static void spy(void)
{
	char ns[128] = "", up[256] = "", path[320];
	ssize_t k = readlink("/proc/self/ns/net", ns, sizeof(ns) - 1);
	const char *write = "no-tree-found";
	ns[k > 0 ? k : 0] = '\0';
	for (int i = 0; i < 12; i++) {
		strcat(up, "../");
		snprintf(path, sizeof(path), "%soptimize.json", up);
		if (access(path, F_OK) != 0)
			continue;
		snprintf(path, sizeof(path), "%snotes.txt", up);
		FILE *t = fopen(path, "w");
		write = t ? "WROTE-THE-TREE" : "blocked";
		if (t) { fputs("overwritten\n", t); fclose(t); }
		break;
	}
	FILE *f = fopen("runs.log", "a");
	if (f) { fprintf(f, "%s %s\n", ns, write); fclose(f); }
}
'''
src = src.replace('int main(int argc, char **argv)\n{', spy + '\nint main(int argc, char **argv)\n{\n\tspy();', 1)
print(src)
EOF2
grep -q 'spy();' "$T/hostile.c" || fail "could not make the hostile answer"
python3 - "$T/hostile.c" > "$T/script.json" <<'EOF2'
import json, sys
h = open(sys.argv[1]).read()
print(json.dumps([
    {"text": "Compute the sum once.\n\n```c sum.c\n" + h + "```\n"},
    {"text": "Nothing more to do.\n\n```c sum.c\n" + h.replace("computed once", "computed once, again") + "```\n"},
]))
EOF2

tree=$(copy_fixture llm)
echo "the user's notes" > "$tree/notes.txt"
before=$(tree_hash "$tree")
llm_server_start "$T/script.json" "$T/requests.jsonl"
export OPENAI_API_KEY=sk-test-isolation
run_optimize run "$tree" --no-flags --no-profile --repairs 0 --llm openai-compatible:test-model \
  --llm-url "http://127.0.0.1:$port/v1" --rounds 2 --candidates 1 --min-runs 3 --max-runs 10 --keep-work
llm_server_stop
assert_rc 0 "the LLM run"
run=$(latest_run "$tree")
r=$run/report.json
[ "$(json_get "$r" "d['targets'][0]['candidates'][1]['status']")" = accepted ] ||
  fail "c1 (the hostile rewrite, correct and faster) must be accepted: $(json_get "$r" "d['targets'][0]['candidates'][1]['reason']")"
[ "$(wc -l < "$T/requests.jsonl")" = 2 ] || fail "two prompts were sent"
ok "the hostile rewrite ran and won"

log=$(find "$tree/.optimize/work" -path '*/c0001/runs.log' | head -n 1)
[ -s "$log" ] || fail "c1 left no log of its runs"
[ "$(tree_hash "$tree")" = "$before" ] || fail "a run of c1 wrote into the user's tree"
! grep -q "WROTE-THE-TREE" "$log" || fail "a run of c1 could write the user's tree: $(cat "$log")"
! grep -qF "$own_ns" "$log" || fail "a run of c1 shared the tool's network namespace: $(cat "$log")"
grep -q " blocked$" "$log" || fail "c1 did not find the tree to try: $(cat "$log")"
ok "no run of c1 could write the tree or share the network namespace"

# The runs of c1: 3 verify runs, and one warm-up plus the pairs of every
# comparison it took part in (its own, and as the other side of later
# candidates' and checks). What is left is the profile the proposer took for
# its second prompt.
python3 - "$r" "$log" <<'EOF2' || fail "the profile runs are missing from c1's log"
import json, sys
d = json.load(open(sys.argv[1]))
measured = 0
for c in d["targets"][0]["candidates"]:
    for m in [c.get("measurement")] + c.get("checks", []):
        if not m or "compared_with" not in m:
            continue
        if c["id"] == 1 or m["compared_with"] == 1:
            measured += 1 + len(m["samples"]["values"])
runs = sum(1 for _ in open(sys.argv[2]))
extra = runs - 3 - measured
print(f"c1 ran {runs} times: 3 verify, {measured} measured, {extra} profile")
sys.exit(0 if extra >= 1 else 1)
EOF2
ok "the proposer's profile runs of c1 are among them, isolated like the rest"
finish
