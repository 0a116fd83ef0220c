#!/usr/bin/env bash
# Every accepted change earns its place. Two hand-written rewrites given as
# --candidate trees: the first (a.c does a quarter of the work) wins; the
# second, on top of it, changes b.c into a program that does less work only
# on its first two runs (a counter in its own workspace): the search accepts
# it, and the final head-to-head against the first winner, a fresh run,
# finds the addition gives 0%: the simpler winner is kept, the report and
# the table name it, and the lineage of the rolled-back one is shown.
. "$(dirname "$0")/lib.sh"
require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind

tree=$T/tree
mkdir -p "$tree" "$T/c1" "$T/c2"
cat > "$tree/main.c" <<'C'
#include <stdio.h>
long a(void);
long b(void);
int main(void)
{
	printf("a %ld b %ld\n", a(), b());
	return 0;
}
C
work() { # FILE NAME ITERATIONS
  printf 'long %s(void)\n{\n\tvolatile unsigned long s = 0;\n\tfor (long i = 0; i < %s; i++)\n\t\ts += (unsigned long)i %% 7;\n\treturn 42;\n}\n' "$2" "$3" > "$1"
}
work "$tree/a.c" a 400000
work "$tree/b.c" b 200000
work "$T/c1/a.c" a 100000
cat > "$T/c2/b.c" <<'C'
#include <stdio.h>
long b(void)
{
	int n = 0;
	FILE *f = fopen("count", "r");
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = 0;
		fclose(f);
	}
	f = fopen("count", "w");
	if (f) {
		fprintf(f, "%d\n", n + 1);
		fclose(f);
	}
	volatile unsigned long s = 0;
	for (long i = 0; i < (n < 2 ? 50000L : 200000L); i++)
		s += (unsigned long)i % 7;
	return 42;
}
C
cat > "$tree/optimize.json" <<'J'
{"name": "ab", "editable": ["a.c", "b.c"], "outputs": ["ab"],
 "build": "$CC $CFLAGS -o ab main.c a.c b.c", "cflags": "-O1",
 "run": "./ab", "verify": [{"run": "./ab"}], "objective": "instructions"}
J
run_optimize run "$tree" --no-flags --counters cachegrind --no-profile \
  --candidate "$T/c1" --candidate "$T/c2"
assert_rc 0 "the run"
r=$(latest_run "$tree")/report.json
cands='d["targets"][0]["candidates"]'
[ "$(json_get "$r" "$cands[1]['status']")" = accepted ] || fail "the first rewrite wins: $(cat "$err")"
[ "$(json_get "$r" "$cands[2]['status']")" = accepted ] ||
  fail "the second is accepted during the search (got $(json_get "$r" "$cands[2]['status']"))"
[ "$(json_get "$r" 'd["targets"][0]["best"]["id"]')" = 1 ] || fail "the simpler winner c1 is kept: $(json_get "$r" 'd["targets"][0]["best"]')"
json_get "$r" "$cands[2]['checks']" | grep -q "not-faster" || fail "the final head-to-head of c2 against c1 says not-faster"
ok "an addition whose gain does not hold in the final head-to-head is rolled back to the simpler winner"
assert_grep "$out" "dir $T/c1" "the table names the simpler winner"
assert_no_grep "$out" "\| dir $T/c1 \+ dir" "the table's winner is not the chained one"
ok "the table names the kept winner"
finish
