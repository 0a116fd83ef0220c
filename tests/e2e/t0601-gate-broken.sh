#!/usr/bin/env bash
# optimize gate when the head is not the same program: a head that prints a
# different result is a behaviour change (exit 3, not a timing), and a head
# that does not build is exit 3 too, with the compiler's message.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gate_lib.sh"
require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind

repo=$T/repo
gate_repo "$repo"

sed -i 's/s += (unsigned long)(i \* i) % 7;/s += (unsigned long)(i * i) % 5;/' "$repo/work.c"
run_optimize gate "$repo" --base main "${GATE_EXACT[@]}" --junit "$T/j.xml" --json
assert_rc 3 "a different result"
[ "$(json_get "$out" 'd["targets"][0]["verdict"]')" = "behaviour change" ] || fail "named a behaviour change"
reason=$(json_get "$out" 'd["targets"][0]["reason"]')
[[ $reason == *"outputs differ from the base"* ]] || fail "reason says outputs differ: $reason"
[ "$(json_get "$out" 'd["targets"][0]["ratio"]')" = None ] || fail "no timing for a behaviour change"
check_junit "$T/j.xml"
assert_grep "$T/j.xml" '<error message="behaviour change' "JUnit: an error, not a failure of timing"
ok "a different result is a behaviour change, exit 3"

git -C "$repo" checkout -q work.c
echo 'this is not C' >>"$repo/work.c"
run_optimize gate "$repo" --base main "${GATE_EXACT[@]}"
assert_rc 3 "head does not build"
assert_grep "$out" '\| work \| \*\*head failed\*\*' "the table says the head failed"
assert_grep "$out" 'the head does not build: .*error' "the compiler's message"
ok "a head that does not build: exit 3 with the compiler's message"
finish
