# lib.sh: helpers for the end-to-end tests (sourced by tests/e2e/tNNNN-*.sh).
# Each test runs the real binary ($OPTIMIZE_BIN) on a copy of a fixture in a
# temporary directory that is removed at exit.
set -euo pipefail

: "${OPTIMIZE_BIN:?run through ctest, which sets OPTIMIZE_BIN}"
: "${OPTIMIZE_TESTS_DIR:?run through ctest}"
FIXTURES=$OPTIMIZE_TESTS_DIR/fixtures
T=$(mktemp -d "${TMPDIR:-/tmp}/optimize-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT
ntests=0

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { ntests=$((ntests + 1)); echo "ok $ntests - $*"; }

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
finish() { echo "$ntests passed, 0 failed"; }
