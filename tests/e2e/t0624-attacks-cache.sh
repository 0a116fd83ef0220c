#!/usr/bin/env bash
# Issue 9, item 5: the LLM response cache is not trusted blindly. A hostile
# candidate (tests/attacks/a05-edit-cache) edits the recorded response so
# that a replay builds its code. With the mount namespace the cache (in the
# state directory) is hidden from it; without, the edited entry no longer
# matches its sha256: `--cache ro` stops with the reason (exit 4) and
# `--cache rw` asks the LLM again and records the answer anew. Run as root
# and as a normal user (setpriv).
. "$(dirname "$0")/lib.sh"

A=$OPTIMIZE_TESTS_DIR/attacks
export OPENAI_API_KEY=sk-test-a05

python3 - "$A/fast/sum.c" >"$T/script.json" <<'PY'
import json, sys
print(json.dumps([{"text": "Closed form.\n\n```c sum.c\n" + open(sys.argv[1]).read() + "```\n"}] * 4))
PY

# run_as MODE CACHE TREE ARGS...: one LLM round (one candidate) after ARGS' candidates.
run_as() {
  local mode=$1 cache=$2 tree=$3 extra=()
  shift 3
  [ "$mode" = nons ] && extra=(env OPTIMIZE_TEST_NO_ISOLATION=1)
  out=$tree.stdout.$ntests err=$tree.stderr.$ntests
  set +e
  as_who "${extra[@]}" "$OPTIMIZE_BIN" run "$tree" --no-flags --no-profile --cpu any --min-runs 3 --max-runs 3 \
    --repairs 0 --llm openai-compatible:test-model --llm-url "http://127.0.0.1:$port/v1" --rounds 1 \
    --candidates 1 --cache "$cache" "$@" >"$out" 2>"$err"
  rc=$?
  set -e
  r=$(latest_run "$tree")/report.json
}

# The recording, once: the LLM answers the honest rewrite.
llm_server_start "$T/script.json" "$T/requests.jsonl"
rec=$T/recorded
cp -r "$A/tree" "$rec"
sed -i 's|"./sum 3000000"|"./sum 400000"|' "$rec/optimize.json"
who=root
run_as ns rw "$rec"
assert_rc 0 "the recording"
entry=$(ls "$rec"/.optimize/cache/*/*.json)
grep -q '"sha256"' "$entry" || fail "a recorded entry carries its sha256"
ok "the recording: one entry, with its sha256"
llm_server_stop

attacks() {
  local tree
  # With the namespace: no cache to edit; the replay works (the server is stopped).
  tree=$T/$who-ns
  cp -r "$rec" "$tree"
  [ "$who" = root ] || chown -R "$user:$user" "$tree"
  run_as ns ro "$tree" --candidate "$A/a05-edit-cache"
  assert_rc 0 "$who: a05 with the namespace: the replay goes on"
  cmp -s "$entry" "$tree/.optimize/cache/${entry#"$rec"/.optimize/cache/}" || fail "$who: a05 edited the cache"
  grep -q "a05: no cache to edit" "$(latest_run "$tree")"/sum/c0001/verify-verify*/stderr ||
    fail "$who: a05 found the cache"
  [ "$(json_get "$r" "d['targets'][0]['extra']['llm']['cache']['hits']")" = 1 ] || fail "$who: the entry was replayed"
  ok "$who: a05 with the namespace: the cache is hidden from it, the entry replayed unchanged"

  # Without: the edited entry is refused, with the reason.
  tree=$T/$who-nons
  cp -r "$rec" "$tree"
  [ "$who" = root ] || chown -R "$user:$user" "$tree"
  run_as nons ro "$tree" --candidate "$A/a05-edit-cache"
  grep -q "sum 0" "$tree/.optimize/cache/${entry#"$rec"/.optimize/cache/}" || fail "$who: a05 did not edit the cache"
  assert_rc 4 "$who: a05 without the namespace: --cache ro stops"
  assert_grep "$err" "cache entry '.*' was changed after it was recorded \\(its sha256 does not match its content\\): it is not replayed" \
    "$who: the edited entry is refused with the reason"
  [[ "$(json_get "$r" "[c['status'] for c in d['targets'][0]['candidates'] if c.get('origin') == 'llm']")" != *accepted* ]] ||
    fail "$who: the edited answer was accepted"
  ok "$who: a05 without the namespace: the edited entry is not replayed (exit 4, the reason named)"
}

attacks
# --cache rw asks again and records the answer anew (root only: the same code path for every user).
llm_server_start "$T/script.json" "$T/requests2.jsonl"
run_as nons rw "$T/root-nons"
assert_rc 0 "--cache rw after the edit"
[ "$(wc -l <"$T/requests2.jsonl")" -ge 1 ] || fail "--cache rw made no request"
assert_grep "$err" "ignoring a cache entry: cache entry '.*' was changed after it was recorded" "--cache rw says why it asks"
! grep -q "sum 0" "$T/root-nons/.optimize/cache/${entry#"$rec"/.optimize/cache/}" || fail "the edited entry was kept"
ok "--cache rw: the edited entry is ignored with the reason, asked again, and recorded anew"
llm_server_stop

# The same as a normal user (created here, or skipped visibly).
as_attack_user attacks
finish
