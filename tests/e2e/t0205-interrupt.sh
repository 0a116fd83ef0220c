#!/usr/bin/env bash
# SIGINT in the middle of a run: exit 130, the report written so far is
# complete and readable, nothing half-decided is accepted, the tree is untouched.
. "$(dirname "$0")/lib.sh"

tree=$(copy_fixture flagwin)
before=$(tree_hash "$tree")
"$OPTIMIZE_BIN" run "$tree" --max-runs 30 >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 1 240); do
  ls "$tree"/.optimize/runs/*/flagwin/report.json >/dev/null 2>&1 && break
  sleep 0.25
done
ls "$tree"/.optimize/runs/*/flagwin/report.json >/dev/null 2>&1 || fail "no report appeared"
sleep 1
kill -INT "$pid"
set +e; wait "$pid"; rc=$?; set -e
[ "$rc" = 130 ] || { cat "$T/err"; fail "expected exit 130 after SIGINT, got $rc"; }
ok "SIGINT gives exit 130"
r=$(latest_run "$tree")/report.json
[ "$(json_get "$r" 'd["exit_code"]')" = 130 ] || fail "report records the exit code"
json_get "$r" 'd["targets"][0]["stop_reason"]' | grep -q interrupted || fail "stop reason"
python3 -m json.tool "$(latest_run "$tree")/flagwin/report.json" >/dev/null || fail "per-target report unreadable"
ok "reports complete and readable"
# every accepted candidate had at least --min-runs pairs (5) behind it
json_get "$r" 'all(c["measurement"]["ratio"]["pairs"] >= 5 for c in d["targets"][0]["candidates"][1:] if c["status"] == "accepted")' | grep -q True || fail "a candidate was accepted on too few pairs"
ok "nothing accepted on an interrupted comparison"
[ "$(tree_hash "$tree")" = "$before" ] || fail "tree written"
ok "tree untouched"
finish
