#!/usr/bin/env bash
# optimize gate when the two revisions do not have the same targets: a
# target only the head has is `new` (no verdict, exit 0), one only the base
# has is `removed` (exit 0); both said in the Markdown, the JSON, the JUnit
# XML (skipped, not an error) and the GitHub annotations (notices). Neither
# is "base failed". Exact counts under cachegrind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/gate_lib.sh"
require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind

repo=$T/repo
gate_repo "$repo"

# two_targets DIR NAME: the manifest with the fixture's target and a second one, NAME.
two_targets() {
  python3 - "$1/optimize.json" "$2" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
u = dict(t, name=sys.argv[2])
json.dump({"targets": [t, u]}, open(sys.argv[1], "w"), indent=2)
PY
}

cp "$repo/optimize.json" "$T/one.json"
two_targets "$repo" fresh
GITHUB_ACTIONS=true run_optimize gate "$repo" --base main "${GATE_EXACT[@]}" \
  --markdown "$T/new.md" --junit "$T/new.xml" --json
assert_rc 0 "a new target passes"
python3 - "$out" <<'PY' || fail "JSON: work unchanged, fresh new and not failing"
import json, sys
d = json.load(open(sys.argv[1]))
t = {x["name"]: x for x in d["targets"]}
assert d["status"] == "pass", d["status"]
assert t["work"]["verdict"] == "unchanged", t["work"]
assert t["fresh"]["verdict"] == "new" and t["fresh"]["outcome"] == "new", t["fresh"]
assert not t["fresh"]["fails"] and "new in the head" in t["fresh"]["reason"], t["fresh"]
assert d["family_size"] == 1, d["family_size"]
PY
assert_grep "$T/new.md" '^\| fresh \| new \|' "Markdown: the new target's row"
assert_grep "$T/new.md" 'fresh\*\*: new in the head' "Markdown: why"
check_junit "$T/new.xml"
assert_grep "$T/new.xml" '<skipped message="new: new in the head' "JUnit: skipped, with the reason"
assert_grep "$err" '^::notice title=optimize gate%3A fresh new::' "a notice annotation"
if grep -q 'base failed' "$out" "$T/new.md" "$T/new.xml"; then fail "a new target is not 'base failed'"; fi
ok "a target only the head has is new: no verdict, exit 0, in every output"

cp "$T/one.json" "$repo/optimize.json"
two_targets "$repo" old
commit "$repo" "a second target, old"
cp "$T/one.json" "$repo/optimize.json"
run_optimize gate "$repo" --base main --markdown "$T/removed.md" "${GATE_EXACT[@]}"
assert_rc 0 "a removed target passes"
assert_grep "$T/removed.md" '^\| old \| removed \|' "Markdown: the removed target's row"
assert_grep "$T/removed.md" '^\| work \| unchanged \|' "the remaining target is compared"
assert_grep "$T/removed.md" 'old\*\*: removed in the head' "Markdown: why"
ok "a target only the base has is removed, exit 0"
finish
