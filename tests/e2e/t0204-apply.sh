#!/usr/bin/env bash
# A correct, faster rewrite is accepted; best.patch holds it; --apply writes it
# back atomically keeping .orig; --no-backup keeps none; a candidate that
# changes a protected file is rejected with the file's name.
. "$(dirname "$0")/lib.sh"

tree=$(copy_fixture rewrite)
cp -r "$tree/fast" "$T/fast"; cp -r "$tree/tamper" "$T/tamper"; rm -rf "$tree/fast" "$tree/tamper"
orig=$(cat "$tree/sum.c")
run_optimize run "$tree" --no-flags --candidate "$T/tamper" --candidate "$T/fast" --max-runs 10
assert_rc 0 "run with two candidates"
run=$(latest_run "$tree")
r=$run/report.json
[ "$(json_get "$r" 'd["targets"][0]["candidates"][1]["status"]')" = protected-file-changed ] || fail "tamper must be rejected"
json_get "$r" 'd["targets"][0]["candidates"][1]["reason"]' | grep -q "notes.txt" || fail "reason names the file"
ok "a candidate that changes a protected file is rejected, naming it"
[ "$(json_get "$r" 'd["targets"][0]["candidates"][2]["status"]')" = accepted ] || { cat "$err"; fail "the fast rewrite must be accepted"; }
ok "the faster rewrite is accepted"
[ "$(cat "$tree/sum.c")" = "$orig" ] || fail "tree written without --apply"
grep -q '^+++ b/sum.c' "$run/sum/best.patch" || fail "best.patch is a diff of sum.c"
(cd "$T" && mkdir -p patched && cp "$tree/sum.c" patched/ && cd patched && patch -p1 -s < "$run/sum/best.patch" && cmp -s sum.c "$T/fast/sum.c") || fail "best.patch applies and gives the rewrite"
ok "best.patch applies to the original and gives the rewrite"

run_optimize run "$tree" --no-flags --candidate "$T/fast" --max-runs 10 --apply
assert_rc 0 "--apply"
cmp -s "$tree/sum.c" "$T/fast/sum.c" || fail "--apply did not write the winner"
[ "$(cat "$tree/sum.c.orig")" = "$orig" ] || fail ".orig keeps the previous version"
assert_grep "$err" 'wrote sum.c' "--apply says what it wrote"
ls "$tree" | grep -q '\.tmp\.' && fail "a temporary file was left behind"
ok "--apply writes the verified winner and keeps sum.c.orig"

# Applying again: the tree is now the fast version; nothing is faster.
rm "$tree/sum.c.orig"
printf '%s\n' "$orig" > "$T/slow.c"; mkdir -p "$T/slowdir"; cp "$T/slow.c" "$T/slowdir/sum.c"
run_optimize run "$tree" --no-flags --candidate "$T/slowdir" --max-runs 8 --apply --no-backup
assert_rc 0 "--apply with a slower candidate"
cmp -s "$tree/sum.c" "$T/fast/sum.c" || fail "a slower candidate must not be applied"
[ ! -e "$tree/sum.c.orig" ] || fail "no .orig with --no-backup and nothing applied"
ok "a slower candidate is never applied"
finish
