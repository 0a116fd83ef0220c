#!/usr/bin/env bash
# Who candidates run as (issue 9, item 6), in every command that runs target
# code (run, check, gate). As root: a --run-as user that does not exist is a
# refusal with exit 2 and what to do, before anything runs; with
# --allow-unsafe-root the run goes on, warns, and the report says "AS ROOT,
# NOT CONTAINED"; by default candidates run as 'nobody' and the report says
# so. As a normal user (the path that applies there) candidates run as that
# user, whatever --run-as says, and the report says "same user as the tool".
. "$(dirname "$0")/lib.sh"

A=$OPTIMIZE_TESTS_DIR/attacks
tree=$T/tree
cp -r "$A/tree" "$tree"
before=$(tree_hash "$tree")
proc() { json_get "$(ls -d "$tree"/.optimize/runs/2*/ | sort | tail -n 1)report.json" 'd["targets"][0]["isolation"]["process"]'; }

if [ "$(id -u)" != 0 ]; then
  run_optimize run "$tree" --no-flags --no-profile --min-runs 2 --max-runs 2 --run-as no-such-user-0626
  assert_rc 0 "a normal user's run with --run-as"
  proc | grep -q "same user as the tool" || fail "the report must say candidates run as the tool's user: $(proc)"
  ok "as a normal user candidates run as that user; the report says so (root's part needs root)"
  finish
  exit 0
fi

nouser=no-such-user-0626
! id -u "$nouser" >/dev/null 2>&1 || fail "the user '$nouser' exists here"
git -C "$tree" init -q -b main
git -C "$tree" add -A
git -C "$tree" -c user.email=t@example.invalid -c user.name=t commit -qm base
before=$(tree_hash "$tree")

for cmd in "run $tree --no-flags --no-profile --min-runs 2 --max-runs 2" "check $tree" \
  "gate $tree --base main --min-runs 10 --max-runs 10"; do
  # shellcheck disable=SC2086 # the command's words
  run_optimize $cmd --run-as "$nouser"
  assert_rc 2 "${cmd%% *} as root with --run-as $nouser"
  # (the gate says it in its table, on stdout: "cannot measure")
  cat "$out" "$err" >"$T/both"
  assert_grep "$T/both" "candidates cannot be run as the unprivileged user '$nouser' here \\(no user '$nouser' on this machine\\): give --run-as USER" \
    "${cmd%% *}: the refusal says why and what to do"
  ok "${cmd%% *} --run-as $nouser: exit 2, '$(grep -o "cannot be run as.*machine)" "$T/both" | head -n 1)'"
done
[ "$(tree_hash "$tree")" = "$before" ] || fail "a refused run changed the tree"

run_optimize run "$tree" --no-flags --no-profile --min-runs 2 --max-runs 2 --run-as "$nouser" --allow-unsafe-root
assert_rc 0 "run --allow-unsafe-root"
assert_grep "$err" "warning: running as root, candidates keep root's powers: cannot run them as '$nouser'" "the run warns"
proc | grep -q "AS ROOT, NOT CONTAINED: candidates keep root's powers (--allow-unsafe-root; cannot run them as '$nouser'" ||
  fail "the report must say candidates were not contained: $(proc)"
ok "--allow-unsafe-root: the run goes on, warns, and the report says AS ROOT, NOT CONTAINED"

run_optimize run "$tree" --no-flags --no-profile --min-runs 2 --max-runs 2
assert_rc 0 "run as root by default"
proc | grep -q "as root: candidates run as user 'nobody'" || fail "by default candidates run as nobody: $(proc)"
ok "by default root's candidates run as 'nobody', and the report says so"
finish
