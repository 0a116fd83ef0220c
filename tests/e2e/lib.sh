# lib.sh: helpers for the end-to-end tests (sourced by tests/e2e/tNNNN-*.sh).
# Each test runs the real binary ($OPTIMIZE_BIN) on a copy of a fixture in a
# temporary directory ($T, also the working directory) that is removed at
# exit. A test that needs more cleaning at exit registers it with at_exit;
# it does not set its own EXIT trap.
set -euo pipefail

: "${OPTIMIZE_BIN:?run through ctest, which sets OPTIMIZE_BIN}"
: "${OPTIMIZE_TESTS_DIR:?run through ctest}"
FIXTURES=$OPTIMIZE_TESTS_DIR/fixtures
T=$(mktemp -d "${TMPDIR:-/tmp}/optimize-e2e.XXXXXX")
# Each test its own bench timing lock: tests that ctest runs side by side
# assert nothing about timing, and must not wait on each other (nor write
# the machine-wide /tmp/optimize-bench.lock).
export OPTIMIZE_BENCH_LOCK=$T/bench.lock
exit_hooks=()
# at_exit COMMAND...: run COMMAND at exit, before $T is removed (the last
# registered runs first). The test's exit status is kept.
at_exit() { exit_hooks=("$*" "${exit_hooks[@]}"); }
run_exit_hooks() {
  local rc=$? h
  for h in "${exit_hooks[@]}"; do eval "$h" || true; done
  cd / && rm -rf "$T" || true
  exit "$rc"
}
trap run_exit_hooks EXIT
cd "$T"
ntests=0

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { ntests=$((ntests + 1)); echo "ok $ntests - $*"; }

# skip_test REASON: this test cannot run here and the environment said that
# is fine: exit 77, which ctest shows as skipped (SKIP_RETURN_CODE).
skip_test() { echo "SKIP: $*"; exit 77; }

# missing_capability NAME VAR REASON: NAME is not available here. A failure
# saying why and which variable skips, unless VAR=1 asks for the skip.
# OPTIMIZE_TEST_NO_NAMESPACES also accepts the older OPTIMIZE_TEST_NO_NETNS.
missing_capability() {
  local name=$1 var=$2 why=$3 set=
  [ "${!var:-0}" = 1 ] && set=$var
  [ -z "$set" ] && [ "$var" = OPTIMIZE_TEST_NO_NAMESPACES ] && [ "${OPTIMIZE_TEST_NO_NETNS:-0}" = 1 ] &&
    set=OPTIMIZE_TEST_NO_NETNS
  [ -n "$set" ] && skip_test "$name not available here: $why ($set=1)"
  fail "$name not available here: $why; set $var=1 to skip the tests that need it"
}

# require_capability NAME VAR CHECK...: CHECK (a command) succeeds where this
# machine has NAME; otherwise what it printed is the reason for
# missing_capability. The checks below are the usual ones.
require_capability() {
  local name=$1 var=$2 why
  shift 2
  if why=$("$@" 2>&1); then return 0; fi
  missing_capability "$name" "$var" "${why:-$* failed}"
}
have_valgrind() { command -v valgrind >/dev/null || { echo "valgrind not found in PATH"; return 1; }; }
have_opencl() {
  [ -e /usr/include/CL/cl.h ] || { echo "no /usr/include/CL/cl.h (OpenCL headers)"; return 1; }
  local doc
  doc=$("$OPTIMIZE_BIN" doctor 2>/dev/null || true)
  if [[ $doc == *"no OpenCL platform"* ]]; then
    printf '%s\n' "$doc" | grep -m1 "no OpenCL platform" | sed 's/^ *//'
    return 1
  fi
}
# perf_event_open as the tool's perf backend sees it (optimize doctor).
have_perf() {
  "$OPTIMIZE_BIN" doctor --json >"$T/doctor-perf.json" 2>/dev/null || { echo "optimize doctor failed"; return 1; }
  python3 - "$T/doctor-perf.json" <<'EOF'
import json, sys
b = [b for b in json.load(open(sys.argv[1]))["backends"] if b["name"] == "perf"][0]
if not b["available"]:
    print("perf backend: " + (b.get("reason") or "not available"))
    sys.exit(1)
EOF
}

# copy_fixture NAME -> prints the path of a fresh copy
copy_fixture() {
  cp -r "$FIXTURES/$1" "$T/$1"
  echo "$T/$1"
}

# run_optimize ARGS... : sets $rc, $out (stdout file), $err (stderr file)
run_optimize() {
  out=$T/stdout.$ntests err=$T/stderr.$ntests
  set +e
  "$OPTIMIZE_BIN" "$@" >"$out" 2>"$err"
  rc=$?
  set -e
}

assert_rc() {
  [ "$rc" = "$1" ] || { echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; fail "expected exit $1, got $rc: $2"; } >&2
}
assert_grep() { # FILE PATTERN WHAT
  grep -qE -- "$2" "$1" || { echo "--- $1"; cat "$1"; fail "$3 (no match for /$2/)"; } >&2
}
assert_no_grep() {
  if grep -qE -- "$2" "$1"; then echo "--- $1" >&2; cat "$1" >&2; fail "$3 (unexpected /$2/)"; fi
}
# json_get FILE PYTHON-EXPR  (the document is bound to d)
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
latest_run() { ls -d "$1"/.optimize/runs/*/ | sort | tail -n 1; }
tree_hash() { (cd "$1" && find . -path ./.optimize -prune -o -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum); }

# Attack tests (t062x) run the same attacks as root and as an unprivileged
# user. as_who CMD...: CMD as $who (root: as it is; otherwise $user, through
# setpriv, with HOME in the test's folder).
as_who() {
  if [ "$who" = root ]; then "$@"; else setpriv --reuid="$user" --regid="$user" --clear-groups \
    env HOME="$T" "$@"; fi
}

# as_attack_user FUNC [CHECK...]: FUNC again as the user optimize-attack
# (created here), after the optional CHECK command; each reason it cannot run
# is printed as a visible partial skip. Sets $user and $who.
as_attack_user() {
  user=optimize-attack
  if [ "$(id -u)" != 0 ]; then
    echo "SKIP (part): not root here, so no second user to run the attacks as"
  elif ! command -v setpriv >/dev/null; then
    echo "SKIP (part): no setpriv to run the attacks as a normal user"
  else
    id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home "$user" 2>/dev/null || true
    if ! id -u "$user" >/dev/null 2>&1; then
      echo "SKIP (part): cannot create the user '$user'"
    elif ! setpriv --reuid="$user" --regid="$user" --clear-groups test -x "$OPTIMIZE_BIN"; then
      echo "SKIP (part): '$user' cannot run $OPTIMIZE_BIN"
    else
      [ $# -lt 2 ] || "${@:2}"
      chmod 755 "$T"
      who=$user
      "$1"
    fi
  fi
}
# cand_of LABEL: "status: reason" of the candidate of report $r whose label
# holds LABEL (an attack's folder name, say)
cand_of() {
  json_get "$r" "[c['status'] + ': ' + (c.get('reason') or '') for c in d['targets'][0]['candidates'] if '$1' in c['label']][0]"
}

# attack_tree NAME [LIMITS]: a copy of tests/attacks/tree at $T/$who-NAME,
# with "limits" set to the JSON object LIMITS when given, owned by $user when
# $who is not root. Sets $tree and $before (its hash).
attack_tree() {
  tree=$T/$who-$1
  cp -r "$OPTIMIZE_TESTS_DIR/attacks/tree" "$tree"
  if [ -n "${2:-}" ]; then
    python3 - "$tree/optimize.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["limits"] = json.loads(sys.argv[2])
json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
  fi
  [ "$who" = root ] || chown -R "$user:$user" "$tree"
  before=$(tree_hash "$tree")
}

# wait_self_test LOG: until the test's listener has logged its self-test
# connection (so that no connection later means something)
wait_self_test() {
  for _ in $(seq 50); do grep -q self-test "$1" 2>/dev/null && break; sleep 0.1; done
  grep -q self-test "$1" || fail "the listener records no connection"
}
finish() { echo "$ntests passed, 0 failed"; }

# The scripted LLM server (tests/helpers/llm_server, see its README).
# llm_server_start SCRIPT LOG: starts one on a free loopback port; sets
# $port, $server_pid and $llm_server_err (its stderr). Several may run at
# once. llm_server_stop stops every one started; at exit that is automatic.
LLM_SERVER=${OPTIMIZE_BUILD_DIR:-}/tests/llm_server
llm_server_pids=()
llm_servers=0
llm_server_start() {
  [ -x "$LLM_SERVER" ] || fail "no scripted server at $LLM_SERVER"
  [ "$llm_servers" -gt 0 ] || at_exit llm_server_stop
  llm_servers=$((llm_servers + 1))
  local pf=$T/llm-server.$llm_servers.port
  llm_server_err=$T/llm-server.$llm_servers.err
  "$LLM_SERVER" --script "$1" --log "$2" --port-file "$pf" 2>"$llm_server_err" &
  server_pid=$!
  llm_server_pids+=("$server_pid")
  for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.1; done
  [ -s "$pf" ] || fail "the scripted server did not start: $(cat "$llm_server_err")"
  port=$(cat "$pf")
}
llm_server_stop() {
  local p
  for p in "${llm_server_pids[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  llm_server_pids=()
}
