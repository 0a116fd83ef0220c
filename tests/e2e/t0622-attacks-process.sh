#!/usr/bin/env bash
# Issue 9, part B (the process runner): hostile candidates go after the tool
# itself. a06: root's powers (remount the tree read-write, read pid 1's
# environment, join its network namespace); as root candidates run as
# 'nobody' without capabilities, and the report says so. a07: signal the tool (SIGSTOP, SIGKILL to its ancestors through
# /proc, kill -1), read its /proc/<pid>/environ (keys), and outlive it (a
# setsid daemon while the tool is SIGKILLed). a10-unix-socket: connect to a
# listening Unix socket under /tmp. Each is contained: the run goes on to
# the honest winner, the report names the candidate's failure, no key
# reaches any output, the listener gets no connection, no process survives.
# Run as root and as a normal user (created here; skipped visibly where
# that is impossible). Needs PID namespaces (OPTIMIZE_TEST_NO_NAMESPACES=1
# skips).
. "$(dirname "$0")/lib.sh"

A=$OPTIMIZE_TESTS_DIR/attacks
SECRET=sk-a07-secret-4242

have_pidns() { # as the user in $1 (empty: us)
  local pre=()
  [ -n "${1:-}" ] && pre=(setpriv --reuid="$1" --regid="$1" --clear-groups)
  if [ -z "${1:-}" ] && [ "$(id -u)" = 0 ]; then
    "${pre[@]}" unshare --pid --fork --mount --mount-proc true
  else
    "${pre[@]}" unshare --user --map-current-user --pid --fork --mount --mount-proc true
  fi
}
require_capability "PID namespaces" OPTIMIZE_TEST_NO_NAMESPACES have_pidns

# The listener: counts what connects to $T/optimize-attack.sock.
python3 - "$T/optimize-attack.sock" "$T/a10.log" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); s.listen(8)
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as f:
        f.write("connection: %r\n" % c.recv(100))
    c.close()
PY
listener=$!
at_exit "kill $listener 2>/dev/null"
for _ in $(seq 50); do [ -S "$T/optimize-attack.sock" ] && break; sleep 0.1; done
[ -S "$T/optimize-attack.sock" ] || fail "the test's listener did not start"
# The listener works (so that no connection below means something).
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.send(b'self-test')" \
  "$T/optimize-attack.sock"
wait_self_test "$T/a10.log"

attacks() {
  tree=$T/$who-tree
  cp -r "$A/tree" "$tree"
  [ "$who" = root ] || chown -R "$user:$user" "$tree"
  before=$(tree_hash "$tree")
  lines_before=$(wc -l <"$T/a10.log")
  out=$T/stdout.$who err=$T/stderr.$who
  set +e
  as_who env "OPTIMIZE_A07_KEY=$SECRET" "$OPTIMIZE_BIN" run "$tree" --no-flags --min-runs 3 --max-runs 10 \
    --candidate "$A/a07-signal-tool" --candidate "$A/a07-read-environ" \
    --candidate "$A/a10-unix-socket" --candidate "$A/a06-root-powers" --candidate "$A/fast" >"$out" 2>"$err"
  rc=$?
  set -e
  assert_rc 0 "$who: the run goes on"
  r=$(latest_run "$tree")/report.json
  [ -e "$r" ] || fail "$who: no report"
  json_get "$r" 'd["targets"][0]["isolation"]["process"]' | grep -q "own PID namespace with its own /proc" ||
    fail "$who: the report does not say the PID namespace holds: $(json_get "$r" 'd["targets"][0]["isolation"]')"
  [ "$(tree_hash "$tree")" = "$before" ] || fail "$who: the tree changed"
  # (kill -1 in its namespace kills its own shell: "killed by SIGKILL")
  cand_of a07-signal-tool | grep -q "^verify-failed: " || fail "$who: a07-signal-tool must fail: $(cand_of a07-signal-tool)"
  if [ "$who" = root ]; then
    json_get "$r" 'd["targets"][0]["isolation"]["process"]' | grep -q "; as root: candidates run as user 'nobody'" ||
      fail "root: the report does not say candidates run unprivileged: $(json_get "$r" 'd["targets"][0]["isolation"]["process"]' | cut -c1-120)"
  fi
  [ "$(cat "$tree/notes.txt")" = "the user's notes: must never change" ] || fail "$who: a06 wrote notes.txt"
  for a in a07-read-environ a10-unix-socket a06-root-powers; do
    cand_of "$a" | grep -q "^verify-failed: .*exit 3" || fail "$who: $a must fail verification (exit 3): $(cand_of "$a")"
  done
  ! grep -rqs "$SECRET" "$tree/.optimize" "$out" "$err" || fail "$who: the tool's key reached an output: $(grep -rls "$SECRET" "$tree/.optimize" "$out" "$err" | head -3)"
  [ "$(wc -l <"$T/a10.log")" = "$lines_before" ] || fail "$who: a candidate reached the Unix socket: $(tail -n 1 "$T/a10.log")"
  json_get "$r" 'd["targets"][0]["best"]["lineage"]' | grep -q "/attacks/a" && fail "$who: an attack won"
  ok "$who: a07 (signal the tool: $(cand_of a07-signal | cut -c1-50)) contained, run finished"
  ok "$who: a07 (read the tool's environ) found no key; a10 (Unix socket under /tmp) reached nothing"
  ok "$who: a06 (remount the tree, read pid 1's environ, join its net namespace) changed nothing, read no key"

  # a07-orphan: the tool SIGKILLed while a candidate and its setsid daemon run.
  tree=$T/$who-orphan
  cp -r "$A/tree" "$tree"
  [ "$who" = root ] || chown -R "$user:$user" "$tree"
  # ($! must be the tool itself, not a subshell running as_who)
  if [ "$who" = root ]; then
    "$OPTIMIZE_BIN" run "$tree" --no-flags --min-runs 3 --candidate "$A/a07-orphan" >"$T/orphan.out" 2>&1 &
  else
    setpriv --reuid="$user" --regid="$user" --clear-groups "$OPTIMIZE_BIN" run "$tree" --no-flags \
      --min-runs 3 --candidate "$A/a07-orphan" >"$T/orphan.out" 2>&1 &
  fi
  tool=$!
  for _ in $(seq 300); do pgrep -x a07-orphan >/dev/null && break; sleep 0.1; done
  pgrep -x a07-orphan >/dev/null || fail "$who: the orphan candidate never started: $(tail -n 3 "$T/orphan.out")"
  kill -KILL "$tool"
  wait "$tool" 2>/dev/null || true
  for _ in $(seq 50); do pgrep -x a07-orphan >/dev/null || break; sleep 0.1; done
  if pgrep -x a07-orphan >/dev/null; then
    pkill -KILL -x a07-orphan || true
    fail "$who: a candidate's daemon outlived the SIGKILLed tool"
  fi
  ! pgrep -f "$A/a07-orphan" >/dev/null || fail "$who: a process of the run outlived the tool"
  ok "$who: a07 (outlive the tool): the daemon died with the SIGKILLed tool"
}

who=root
[ "$(id -u)" = 0 ] || who=$(id -un)
attacks

# The same as a normal user (created here, or skipped visibly).
as_attack_user attacks require_capability "PID namespaces as 'optimize-attack'" OPTIMIZE_TEST_NO_NAMESPACES have_pidns optimize-attack
finish
