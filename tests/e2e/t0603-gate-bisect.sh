#!/usr/bin/env bash
# optimize gate --bisect: six commits after the base, the third of which
# adds 20% more work; the gate regresses (exit 1) and names that commit,
# found by binary search with the same decision (exact counts), building
# the base once (each step builds only its own commit).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gate_lib.sh"
require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind

repo=$T/repo
gate_repo "$repo"
for i in 1 2 3 4 5 6; do
  if [ "$i" = 3 ]; then
    set_work "$repo" 120
    commit "$repo" "commit $i: more work"
    bad=$(git -C "$repo" rev-parse HEAD)
  else
    echo "/* note $i */" >>"$repo/work.c"
    commit "$repo" "commit $i: a comment"
  fi
done
run_optimize gate "$repo" --base main~6 --head main --bisect "${GATE_EXACT[@]}"
assert_rc 1 "the head regressed"
assert_grep "$out" "\| work \| \*\*regressed\*\*" "the gate's verdict"
assert_grep "$out" "^first regressing commit: $bad commit 3: more work$" "names the regressing commit"
steps=$(grep -c '^bisect: ' "$err" || true)
[ "$steps" -ge 2 ] && [ "$steps" -le 3 ] || fail "binary search over 6 commits: 2 or 3 steps, not $steps"
ok "--bisect names the first regressing commit of six ($steps steps)"
# The base is built and verified once, for the gate; every step builds only its own commit.
builds=$(grep -c '\[work\] the base revision$' "$err" || true)
kept=$(grep -c '\[work\] the base revision: built and verified already (kept)$' "$err" || true)
[ "$builds" = 1 ] && [ "$kept" = "$steps" ] ||
  { cat "$err" >&2; fail "the base built $builds times, kept $kept times over $steps steps"; }
left=$(find "$repo/.optimize/gate" "$repo/.optimize/work" -mindepth 1 -maxdepth 1 2>/dev/null)
[ -z "$left" ] || fail "workspaces left behind: $left"
ok "the base is built once: each bisect step builds only its commit"
finish
