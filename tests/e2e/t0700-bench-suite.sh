#!/usr/bin/env bash
# optimize bench on a small suite: a folder of target folders, one with an
# invalid manifest and one whose original does not build (rows with their
# reasons; the suite goes on); the tables in every format; `bench report`
# renders them again from the journal alone; suite errors are exit 2 with
# file:line.
. "$(dirname "$0")/lib.sh"

# make_target DIR ARG: a tiny program whose -O0 build is slow enough to lose to -O3.
make_target() {
  mkdir -p "$1"
  cat > "$1/p.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;
	unsigned long s = 0;
	for (long i = 0; i < n; i++)
		s += (unsigned long)(i * i) % 7;
	printf("%lu\n", s);
	return 0;
}
C
  cat > "$1/optimize.json" <<J
{"name": "p", "editable": ["p.c"], "outputs": ["p"], "build": "\$CC \$CFLAGS -o p p.c \$LDFLAGS",
 "cflags": "-O0", "run": "./p $2", "verify": [{"run": "./p 0"}, {"run": "./p 17"}], "timeout_s": 30}
J
}

S=$T/suite
make_target "$S/alpha" 300000
make_target "$S/beta" 200000
mkdir -p "$S/broken" && echo '{"name": "broken", "bild": "make"}' > "$S/broken/optimize.json"
cp -r "$FIXTURES/nobuild" "$S/nobuild"

run_optimize bench "$S" --output "$T/out" --proposer none --min-runs 3 --max-runs 5
assert_rc 0 "the suite runs to the end"
for f in table.md table.csv table.json table.tex journal.jsonl; do
  [ -s "$T/out/$f" ] || fail "$f written"
done
ok "bench writes the journal and the Markdown, CSV, JSON and LaTeX tables"

j=$T/out/table.json
[ "$(json_get "$j" "d['schema'] + ' ' + str(d['schema_version'])")" = "optimize.bench 1" ] || fail "versioned JSON"
[ "$(json_get "$j" "[r['name'] for r in d['rows']]")" = "['alpha', 'beta', 'broken', 'nobuild']" ] ||
  fail "one row per target in suite order: $(json_get "$j" "[r['name'] for r in d['rows']]")"
[ "$(json_get "$j" "d['rows'][2]['status']")" = invalid-manifest ] || fail "the invalid manifest is a row"
[[ $(json_get "$j" "d['rows'][2]['reason']") == *"unknown field 'bild'"* ]] || fail "with its reason"
[ "$(json_get "$j" "d['rows'][3]['status']")" = baseline-failed ] || fail "the broken original is a row"
[[ $(json_get "$j" "d['rows'][3]['reason']") == *"does not build"* ]] || fail "with its reason"
[ "$(json_get "$j" "d['aggregate']['correct']")" = 0 ] || fail "--proposer none: no candidate, nothing correct"
[ "$(json_get "$j" "float(d['aggregate']['geomean_all']['estimate'])")" = 1.0 ] || fail "geomean all = 1 with no candidate"
[ "$(json_get "$j" "[x['p'] for x in d['aggregate']['fast_p']]")" = "[0, 1, 1.1, 1.5, 2]" ] || fail "the default p"
json_get "$j" "d['fingerprint']['cpu'] and d['fingerprint']['compiler'] and d['fingerprint']['tool']['version']" >/dev/null ||
  fail "the fingerprint"
ok "rows: invalid manifest and a broken original become rows with reasons; aggregate and fingerprint"

# The tool's commit is compiled in at build time (cmake/commit.cmake): a binary
# built from a git checkout names HEAD (with "-dirty" for uncommitted changes).
commit=$(json_get "$j" "d['fingerprint']['tool']['commit']")
if head=$(git -C "$OPTIMIZE_SOURCE_DIR" rev-parse --short HEAD 2>/dev/null); then
  [[ $commit == "$head" || $commit == "$head-dirty" ]] ||
    fail "the fingerprint's commit is $commit, HEAD is $head (a binary built before the last commit? build again, then test)"
else
  [ "$commit" = unknown ] || fail "not built from git: commit $commit"
fi
grep -q "(commit $commit)" "$T/out/table.md" || fail "table.md names the commit"
"$OPTIMIZE_BIN" --version | grep -qx "optimize [0-9.]* (commit $commit)" || fail "--version names the commit"
# The script itself: a clean checkout, a dirty one, a tree without git (a tarball).
g=$T/gitsrc
mkdir -p "$g" && echo one > "$g/f"
git -C "$g" init -q && git -C "$g" -c user.name=t -c user.email=t@t add f &&
  git -C "$g" -c user.name=t -c user.email=t@t commit -qm one
gen() { rm -f "$T/c.c"; cmake -DSRC="$1" -DOUT="$T/c.c" -P "$OPTIMIZE_SOURCE_DIR/cmake/commit.cmake" &&
  sed -n 's/^.*return "\(.*\)";$/\1/p' "$T/c.c"; }
[ "$(gen "$g")" = "$(git -C "$g" rev-parse --short HEAD)" ] || fail "a clean checkout: $(gen "$g")"
echo two > "$g/f"
[ "$(gen "$g")" = "$(git -C "$g" rev-parse --short HEAD)-dirty" ] || fail "a dirty checkout: $(gen "$g")"
rm -rf "$g/.git"
[ "$(gen "$g")" = unknown ] || fail "no git: $(gen "$g")"
ok "the fingerprint and --version name the commit the binary was built from (unknown without git)"

[[ $(sed -n 3p "$T/out/table.md") == "optimize "*"cpu: "*"compiler: "* ]] || fail "the fingerprint heads table.md"
[[ $(sed -n 1p "$T/out/table.csv") == "# optimize "*"cpu: "* ]] || fail "the fingerprint heads table.csv"
[[ $(sed -n 1p "$T/out/table.tex") == "% optimize "*"cpu: "* ]] || fail "the fingerprint heads table.tex"
grep -q '\\begin{tabular}' "$T/out/table.tex" && grep -q '\\end{tabular}' "$T/out/table.tex" || fail "a LaTeX tabular"
python3 - "$T/out/table.csv" <<'PY' || fail "the CSV parses, one line per target"
import csv, sys
rows = [r for r in csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith('#'))]
assert [r['name'] for r in rows] == ['alpha', 'beta', 'broken', 'nobuild'], rows
assert rows[0]['status'] == 'no-improvement' and rows[0]['correct'] == '0', rows[0]
PY
cmp -s "$out" "$T/out/table.md" || fail "stdout is table.md"
ok "every format starts with the fingerprint; the CSV parses; stdout is the Markdown table"

python3 - "$T/out" <<'PY' || fail "the charts: SVG that parses, 800x480 PNG"
import struct, sys, xml.dom.minidom
d = sys.argv[1]
for name in ("speedups", "fast_p"):
    svg = xml.dom.minidom.parse("%s/%s.svg" % (d, name))
    assert svg.documentElement.tagName == "svg", name
    png = open("%s/%s.png" % (d, name), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR", name
    assert struct.unpack(">II", png[16:24]) == (800, 480), struct.unpack(">II", png[16:24])
text = open(d + "/charts/speedups.dat").read()
assert [l.split()[1] for l in text.splitlines() if not l.startswith("#")] == ['"alpha"', '"beta"', '"broken"', '"nobuild"'], text
PY
ok "gnuplot draws both charts as SVG (parses) and PNG (800x480) from a generated script"

cp "$T/out/table.md" "$T/table.before"
rm "$T/out/table.md" "$T/out/table.json"
run_optimize bench report "$T/out"
assert_rc 0 "bench report"
cmp -s "$T/table.before" "$T/out/table.md" || { diff "$T/table.before" "$T/out/table.md"; fail "report renders the same table"; }
[ -s "$T/out/table.json" ] || fail "report writes table.json again"
ok "bench report renders the same tables from the journal"

# Running the same command again runs nothing: every target has its row.
n=$(grep -c '"record":"start"' "$T/out/journal.jsonl")
run_optimize bench "$S" --output "$T/out" --proposer none --min-runs 3 --max-runs 5
assert_rc 0 "the rerun"
[ "$(grep -c '"record":"start"' "$T/out/journal.jsonl")" = "$n" ] || fail "a finished suite runs nothing again"
assert_grep "$err" '4 of 4 targets already in' "the rerun says so"
ok "a finished suite is not run again"

# Suite errors: exit 2 with file:line.
mkdir -p "$T/s2"
printf '{\n  "targets": ["a"],\n  "rounds_": 3\n}\n' > "$T/s2/suite.json"
run_optimize bench "$T/s2" --output "$T/o2"
assert_rc 2 "an unknown field"
assert_grep "$err" 'suite.json:3: unknown field "rounds_" \(did you mean "rounds"\?\)' "file:line and a suggestion"
mkdir -p "$T/empty/sub"
run_optimize bench "$T/empty" --output "$T/o3"
assert_rc 2 "a folder with no targets"
assert_grep "$err" 'no targets' "says there are no targets"
printf '{\n  "targets": []\n}\n' > "$T/s2/suite.json"
run_optimize bench "$T/s2/suite.json" --output "$T/o2"
assert_rc 2 "an empty targets list"
assert_grep "$err" 'suite.json:2: no targets' "file:line"
run_optimize bench "$S" --output "$T/out" --task 9
assert_rc 2 "--task out of range"
ok "unknown field, no targets, --task out of range: exit 2 with the place"
finish
