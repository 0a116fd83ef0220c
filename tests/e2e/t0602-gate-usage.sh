#!/usr/bin/env bash
# optimize gate's usage errors, each exit 2 with a message that says what to
# do: not a git repository, an unknown ref, a dirty work tree with --head, a
# shallow clone without the base commit (fetch-depth: 0), missing --base.
# Nothing is built: these are all decided before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gate_lib.sh"

mkdir "$T/plain"
cp "$FIXTURES/gate/work.c" "$FIXTURES/gate/optimize.json" "$T/plain/"
run_optimize gate "$T/plain" --base main
assert_rc 2 "not a git repository"
assert_grep "$err" "is not in a git repository" "says it is not a repository"
ok "not a git repository: exit 2"

repo=$T/repo
gate_repo "$repo"
run_optimize gate "$repo" --base no-such-branch
assert_rc 2 "unknown ref"
assert_grep "$err" "--base 'no-such-branch' is not a revision of" "names the unknown ref"
ok "an unknown ref: exit 2"

run_optimize gate "$repo"
assert_rc 2 "no --base"
assert_grep "$err" "say what to compare with: --base REF" "asks for --base"
run_optimize gate "$repo" --base main --inconclusive maybe
assert_rc 2 "bad --inconclusive"
ok "missing --base and a bad --inconclusive: exit 2"

set_work "$repo" 110
commit "$repo" "more work"
echo '/* dirty */' >>"$repo/work.c"
run_optimize gate "$repo" --base main~1 --head main
assert_rc 2 "dirty tree with --head"
assert_grep "$err" "uncommitted changes, and --head main compares the commit" "says what would be compared"
assert_grep "$err" "work.c" "names the changed file"
ok "a dirty work tree with --head REF: exit 2, saying what would be compared"
git -C "$repo" checkout -q work.c

git clone -q --depth 1 "file://$repo" "$T/shallow" 2>/dev/null
run_optimize gate "$T/shallow" --base "$(git -C "$repo" rev-parse main~1)"
assert_rc 2 "shallow clone"
assert_grep "$err" "shallow.*fetch-depth: 0" "tells to fetch with fetch-depth: 0"
ok "a shallow clone without the base: exit 2, fetch-depth: 0"
finish
