#!/usr/bin/env bash
# Every documented exit status (docs/exit-codes.md) for `optimize run`.
. "$(dirname "$0")/lib.sh"

run_optimize --help
assert_rc 0 "--help"
assert_grep "$out" 'usage: optimize' "--help prints usage"
ok "--help exits 0"
run_optimize
assert_rc 2 "no command"
ok "no command exits 2"
run_optimize frobnicate
assert_rc 2 "unknown command"
assert_grep "$err" "'frobnicate' is not a command" "names the unknown command"
ok "unknown command exits 2"
run_optimize run --max-runs x "$T"
assert_rc 2 "bad option value"
assert_grep "$err" "max-runs" "names the option"
ok "bad option value exits 2"
run_optimize run --no-such-option
assert_rc 2 "unknown option"
ok "unknown option exits 2"
run_optimize run "$T/nowhere"
assert_rc 2 "missing tree"
ok "missing tree exits 2"
mkdir -p "$T/badjson"
printf '{\n  "name": "x",\n  "editable": ["a.c"]\n  "build": "true"\n}\n' > "$T/badjson/optimize.json"
run_optimize run "$T/badjson"
assert_rc 2 "invalid JSON"
assert_grep "$err" 'optimize.json:4:[0-9]+' "file:line:column of the JSON error"
ok "invalid JSON exits 2 with file:line:column"
mkdir -p "$T/unknown"
printf '{"name":"x","editable":["a.c"],"build":"true","run":"true","timeout":5}\n' > "$T/unknown/optimize.json"
run_optimize run "$T/unknown"
assert_rc 2 "unknown field"
assert_grep "$err" "did you mean 'timeout_s'" "did-you-mean suggestion"
ok "unknown field exits 2 with a suggestion"
mkdir -p "$T/runfails"
printf '{"name":"x","editable":["a.c"],"build":"true","run":"exit 7"}\n' > "$T/runfails/optimize.json"
: > "$T/runfails/a.c"
run_optimize run "$T/runfails" --no-flags
assert_rc 3 "the original's run command fails"
assert_grep "$err" "run command 'exit 7' failed \(exit 7\)" "says how it failed"
ok "a failing run command exits 3"
tree=$(copy_fixture nondet)
run_optimize run "$tree" --no-flags
assert_rc 3 "nondeterministic original"
assert_grep "$err" 'nondeterministic' "reports nondeterminism"
assert_grep "$err" 'line 2, column' "names the differing place"
assert_grep "$err" 'hint:' "gives a hint"
ok "a nondeterministic original exits 3 with the place and a hint"
tree=$(copy_fixture nobuild)
run_optimize run "$tree"
assert_rc 3 "does not build"
ok "a baseline that does not build exits 3"
finish
