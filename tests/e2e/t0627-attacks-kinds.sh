#!/usr/bin/env bash
# Issue 9: the contained kinds, as hostile candidates given with --candidate,
# as root and as a normal user (created here; skipped visibly where
# impossible): k-memory-bomb (20 GiB in one process under memory_mb 512),
# k-network (TCP to a listener of this test on the machine's loopback, and
# out), k-write-outside (overwrite notes.txt in every ancestor of its
# workspace), k-output-flood (1 GiB on stdout). Each is rejected with its
# reason, the run goes on to the honest winner, the tree is unchanged and
# the listener gets no connection. Fork bombs, memory and disk totals are
# t0625; daemons, signals, keys and Unix sockets t0622. Needs namespaces
# (OPTIMIZE_TEST_NO_NAMESPACES=1 skips).
. "$(dirname "$0")/lib.sh"

A=$OPTIMIZE_TESTS_DIR/attacks

have_ns() { # as the user in $1 (empty: us)
  local pre=()
  [ -n "${1:-}" ] && pre=(setpriv --reuid="$1" --regid="$1" --clear-groups)
  if [ -z "${1:-}" ] && [ "$(id -u)" = 0 ]; then
    "${pre[@]}" unshare --net --mount true
  else
    "${pre[@]}" unshare --user --map-current-user --net --mount true
  fi
}
require_capability "network and mount namespaces" OPTIMIZE_TEST_NO_NAMESPACES have_ns

# The listener: records every connection on the machine's loopback.
python3 - "$T/port" "$T/conn.log" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as f:
        f.write("connection: %r\n" % c.recv(100))
    c.close()
PY
listener=$!
at_exit "kill $listener 2>/dev/null"
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "the test's listener did not start"
port=$(cat "$T/port")
python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1', int(sys.argv[1]))); s.send(b'self-test')" "$port"
wait_self_test "$T/conn.log"

kinds() {
  attack_tree tree '{"memory_mb": 512}'
  lines_before=$(wc -l <"$T/conn.log")
  set +e
  as_who env "K_NETWORK_PORT=$port" "$OPTIMIZE_BIN" run "$tree" --no-flags --min-runs 3 --max-runs 10 \
    --candidate "$A/k-memory-bomb" --candidate "$A/k-network" --candidate "$A/k-write-outside" \
    --candidate "$A/k-output-flood" --candidate "$A/fast" >"$T/out.$who" 2>"$T/err.$who"
  rc=$?
  set -e
  assert_rc 0 "$who: the run goes on"
  r=$(latest_run "$tree")/report.json
  [ -e "$r" ] || fail "$who: no report"
  [ "$(tree_hash "$tree")" = "$before" ] || fail "$who: the tree changed"
  [ "$(cat "$tree/notes.txt")" = "the user's notes: must never change" ] || fail "$who: notes.txt changed"
  for f in $(find "$T" -name k-write-outside.txt 2>/dev/null) /tmp/k-write-outside.txt /k-write-outside.txt; do
    [ ! -e "$f" ] || fail "$who: a file was written outside its workspace: $f"
  done
  json_get "$r" 'd["targets"][0]["best"]["lineage"]' | grep -q "/attacks/fast" ||
    fail "$who: the honest candidate did not win: $(json_get "$r" 'd["targets"][0]["best"]')"
  cand_of k-memory-bomb | grep -Eq "^verify-failed: .*(exit 5|killed)" || fail "$who: k-memory-bomb: $(cand_of k-memory-bomb)"
  ok "$who: memory bomb (20 GiB under memory_mb 512) refused: $(cand_of k-memory-bomb | grep -o 'this gave.*' | cut -c1-60)"
  cand_of k-network | grep -q "^verify-failed: .*exit 5" || fail "$who: k-network: $(cand_of k-network)"
  [ "$(wc -l <"$T/conn.log")" = "$lines_before" ] || fail "$who: a candidate reached the listener: $(tail -n 1 "$T/conn.log")"
  ok "$who: network: no connection to the machine's loopback nor out"
  cand_of k-write-outside | grep -q "^verify-failed: .*exit 5" || fail "$who: k-write-outside: $(cand_of k-write-outside)"
  ok "$who: write outside (notes.txt in every ancestor): every write refused, the tree unchanged"
  cand_of k-output-flood | grep -q "^verify-failed: .*cap" || fail "$who: k-output-flood: $(cand_of k-output-flood)"
  ok "$who: output flood (1 GiB): rejected, $(cand_of k-output-flood | grep -o '[^;:]*cap[^;]*' | head -n 1 | cut -c1-70)"
}

who=root
[ "$(id -u)" = 0 ] || who=$(id -un)
kinds
as_attack_user kinds require_capability "namespaces as 'optimize-attack'" OPTIMIZE_TEST_NO_NAMESPACES have_ns optimize-attack
finish
