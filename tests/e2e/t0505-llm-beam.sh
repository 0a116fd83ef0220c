#!/usr/bin/env bash
# --strategy beam --beam 2: round 2 refines each of the two best versions of
# round 1 (the candidates' parent ids show both, and a SEARCH/REPLACE that
# only fits one of them applies to its children only); each parent's prompt
# shows that parent's code and what happened to it. A rewrite identical to
# an earlier one is a duplicate: not built or measured again. The run ends
# with a winner that verifies again (--apply).
. "$(dirname "$0")/lib.sh"

ANSWERS=$FIXTURES/llm-answers

unset OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL
export HOME=$T/home OPTIMIZE_CONFIG=$T/no-config.json
export https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9

# Round 1 (two concurrent requests, so either may be c1): the fast version
# (the loop once) and a medium one (the loop twice); both beat the original.
# Round 2, parent "fast" (requests 3 and 4): the fast version again, twice.
# Round 2, parent "medium" (requests 5 and 6): a SEARCH/REPLACE that only
# fits the medium version (twice -> three times: correct, slower than the
# best), and one that only fits the original (rejected there).
python3 - "$ANSWERS" > "$T/script.json" <<'EOF'
import json, sys
fast = open(sys.argv[1] + "/fast.c").read()
orig = open(sys.argv[1] + "/../llm/sum.c").read()
medium = orig.replace("rep < 4", "rep < 2").replace("four times", "twice")
assert medium != orig
def whole(note, code):
    return {"text": note + "\n\nsum.c\n```c\n" + code + "```\n"}
def sr(note, a, b):
    return {"text": note + "\n\nsum.c\n<<<<<<< SEARCH\n" + a + "\n=======\n" + b + "\n>>>>>>> REPLACE\n"}
print(json.dumps([
    whole("Compute the sum once.", fast),
    whole("Run the loop twice only.", medium),
    whole("Compute the sum once.", fast),
    whole("Compute the sum once.", fast),
    sr("Three passes.", "\tfor (int rep = 0; rep < 2; rep++) {", "\tfor (int rep = 0; rep < 3; rep++) {"),
    sr("Five passes.", "\tfor (int rep = 0; rep < 4; rep++) {", "\tfor (int rep = 0; rep < 5; rep++) {"),
]))
EOF

tree=$(copy_fixture llm)
llm_server_start "$T/script.json" "$T/requests.jsonl"
run_optimize run "$tree" --no-flags --repairs 0 --llm openai-compatible:test-model \
  --llm-url "http://127.0.0.1:$port/v1" --strategy beam --beam 2 --rounds 2 --candidates 2 \
  --max-runs 10 --cache off --keep-work --apply
llm_server_stop
assert_rc 0 "the beam run"
run=$(latest_run "$tree")
r=$run/report.json
[ "$(wc -l < "$T/requests.jsonl")" = 6 ] || fail "2 + 2 x 2 requests, got $(wc -l < "$T/requests.jsonl")"
# id status parent label note, one line per candidate
json_get "$r" "'\n'.join('%d %s %d %s|%s' % (c['id'], c['status'], c['parent'], c['label'].replace(' ', '_'), c.get('note') or '') for c in d['targets'][0]['candidates'])" > "$T/cands"
cat "$T/cands"
[ "$(wc -l < "$T/cands")" = 7 ] || fail "the original and six candidates"
fast_id=$(awk -F'|' '$2 == "Compute the sum once." {split($1, a, " "); if (a[2] != "duplicate") print a[1]}' "$T/cands")
med_id=$(awk -F'|' '$2 == "Run the loop twice only." {split($1, a, " "); print a[1]}' "$T/cands")
case "$fast_id $med_id" in "1 2"|"2 1") ;; *) fail "round 1 is c1 and c2 (fast: '$fast_id', medium: '$med_id')" ;; esac
awk '$1 == 1 || $1 == 2 {print $3}' "$T/cands" | sort -u | grep -qx 0 || fail "round 1 is derived from the original"
[ "$(json_get "$r" "d['targets'][0]['candidates'][$fast_id]['status']")" = accepted ] || fail "the fast version is accepted"
ok "round 1: two candidates from the original, the fast one accepted"

parents=$(awk '$1 >= 3 {print $3}' "$T/cands" | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
[ "$parents" = "$(printf '%sx2 %sx2 ' $(printf '%s\n' "$fast_id" "$med_id" | sort))" ] ||
  fail "round 2: two candidates from each of the two best of round 1, parents: $parents"
# children of the fast version: the same code again -> duplicates
for id in $(awk -v p="$fast_id" '$1 >= 3 && $3 == p {print $1}' "$T/cands"); do
  [ "$(json_get "$r" "d['targets'][0]['candidates'][$id]['status']")" = duplicate ] || fail "c$id is a duplicate"
  json_get "$r" "d['targets'][0]['candidates'][$id]['reason']" | grep -qE "identical to c($fast_id|[0-9]+)" ||
    fail "c$id's reason names what it repeats"
  [ "$(json_get "$r" "'build_time' in d['targets'][0]['candidates'][$id] or 'measurement' in d['targets'][0]['candidates'][$id]")" = False ] ||
    fail "c$id was built or measured"
  ! ls -d "$tree"/.optimize/work/*/sum/c000$id >/dev/null 2>&1 || fail "c$id got a workspace"
done
# children of the medium version: the SEARCH/REPLACE for it applies, the one for the original does not
kids=$(awk -v p="$med_id" '$1 >= 3 && $3 == p {print $2 "|" $0}' "$T/cands" | cut -d'|' -f1,3 | sort | tr '\n' ' ')
[ "$kids" = "edit-rejected|Five passes. not-faster|Three passes. " ] ||
  fail "round 2 from the medium version: the edit for it is measured, the one for the original rejected: $kids"
rej=$(awk -F'|' '$2 == "Five passes." {split($1, a, " "); print a[1]}' "$T/cands")
json_get "$r" "d['targets'][0]['candidates'][$rej]['reason']" | grep -qi 'search' ||
  fail "the rejected edit says its SEARCH did not match"
ok "round 2 refines both of the two best: the parent ids show both, each edit applies to its own parent"

python3 - "$T/requests.jsonl" "$T" <<'EOF'
import json, sys
for i, line in enumerate(open(sys.argv[1])):
    body = json.loads(json.loads(line)["body"])
    open("%s/req%d.txt" % (sys.argv[2], i + 1), "w").write(body["messages"][-1]["content"])
EOF
cmp -s "$T/req3.txt" "$T/req4.txt" || fail "the two requests for one parent carry the same prompt"
cmp -s "$T/req3.txt" "$T/req5.txt" && fail "each parent gets its own prompt"
assert_grep "$T/req3.txt" 'computed once' "the fast parent's prompt shows the fast code"
assert_no_grep "$T/req3.txt" 'rep < 4' "the fast parent's prompt does not show the original's loop"
assert_grep "$T/req5.txt" 'rep < 2' "the medium parent's prompt shows the medium code"
# The feedback part (before the code) is about the parent itself.
for i in 3 5; do sed '/^## Editable files/,$d' "$T/req$i.txt" > "$T/fb$i.txt"; done
assert_grep "$T/fb3.txt" 'the previous rewrite was accepted' "the fast parent's prompt is the accepted-feedback one"
assert_grep "$T/fb3.txt" 'Candidate llm r1c[12] \("Compute the sum once\."\): it was correct and faster' \
  "the fast parent's feedback says it was accepted"
assert_no_grep "$T/fb3.txt" 'Run the loop twice only' "the fast parent's feedback is not about the other parent"
assert_grep "$T/fb5.txt" 'Candidate llm r1c[12] \("Run the loop twice only\."\): it was correct' \
  "the medium parent's feedback says what happened to it"
assert_grep "$T/fb5.txt" 'ratio [0-9.]+, 95% CI' "with its ratio"
assert_no_grep "$T/fb5.txt" 'Compute the sum once' "the medium parent's feedback is not about the other parent"
ok "each parent's prompt shows its own code and the feedback on that parent"

[ "$(json_get "$r" "d['targets'][0]['best']['id']")" = "$fast_id" ] || fail "the fast version is the best"
[ "$(json_get "$r" "d['targets'][0]['status']")" = improved ] || fail "target status improved"
(mkdir -p "$T/patched" && cp "$FIXTURES/llm/sum.c" "$T/patched/" && cd "$T/patched" &&
  patch -p1 -s < "$run/sum/best.patch" && cmp -s sum.c "$ANSWERS/fast.c") ||
  fail "best.patch gives the fast version"
[ "$(json_get "$r" "d['targets'][0]['extra']['llm']['strategy']")" = beam ] || fail "extra.llm.strategy"
assert_grep "$err" 'rebuilding and verifying the winner again' "--apply verifies the winner again"
cmp -s "$tree/sum.c" "$ANSWERS/fast.c" || fail "--apply wrote the verified winner into the tree"
ok "the run ends with a verified winner"
finish
