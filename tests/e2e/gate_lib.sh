# gate_lib.sh: fixture git repositories for the `optimize gate` tests
# (sourced after lib.sh). Each repository is made in $T by the test itself.

# gate_repo DIR: a repository with one commit of work.c (WORK 100) and its
# manifest; objective instructions (exact counts under cachegrind).
gate_repo() {
  local d=$1
  mkdir -p "$d"
  cp "$FIXTURES/gate/work.c" "$FIXTURES/gate/optimize.json" "$d/"
  git -C "$d" init -q -b main
  git -C "$d" config user.email gate@example.invalid
  git -C "$d" config user.name "gate test"
  git -C "$d" add -A
  git -C "$d" commit -qm "base: WORK 100"
}

# set_work DIR PCT: the extra work, in percent of the loop (the output stays the same).
set_work() { sed -i "s/^#define WORK .*/#define WORK $2/" "$1/work.c"; }

# commit DIR MESSAGE
commit() { git -C "$1" commit -qam "$2"; }

# The usual gate options: exact counts, so every verdict here is deterministic.
GATE_EXACT=(--objective instructions --counters cachegrind)

# check_junit FILE: valid against tests/data/gate/junit.xsd (xmllint), and the
# same structure checked in Python where xmllint is missing.
check_junit() {
  if command -v xmllint >/dev/null; then
    xmllint --noout --schema "$OPTIMIZE_TESTS_DIR/data/gate/junit.xsd" "$1" 2>"$T/xmllint.err" ||
      { cat "$T/xmllint.err" >&2; fail "$1 does not validate against junit.xsd"; }
  fi
  python3 - "$1" <<'PY' || fail "$1: JUnit structure"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
for s in root:
    assert s.tag == "testsuite"
    cases = list(s)
    assert int(s.get("tests")) == len(cases)
    assert int(s.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
    assert int(s.get("errors")) == sum(1 for c in cases if c.find("error") is not None)
    for c in cases:
        assert c.tag == "testcase" and c.get("name") and c.get("classname")
        assert len(list(c)) <= 1
PY
}
