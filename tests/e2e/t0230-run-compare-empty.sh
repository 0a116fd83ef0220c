#!/usr/bin/env bash
# "run_compare": [] compares only the exit status of the timed run, so a
# program that prints its own timing (PolyBench's -DPOLYBENCH_TIME) can be
# optimized; an absent "run_compare" compares stdout, and the same program
# is then reported nondeterministic (exit 3). The two must differ.
. "$(dirname "$0")/lib.sh"
require_capability valgrind OPTIMIZE_TEST_NO_VALGRIND have_valgrind

mkdir -p tree cand
cat >tree/t.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000, s = 0, i, k;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (k = 0; k < 3; k++)
		for (i = 0; i < n; i++)
			s += i % 7;
	s /= 3;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("sum %ld\n", s);
	printf("time %.9f s\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9);
	return 0;
}
C
# The candidate does the work once instead of three times.
sed -e 's/k < 3/k < 1/' -e 's|s /= 3;||' tree/t.c >cand/t.c
manifest() { # RUN_COMPARE_LINE
  cat >tree/optimize.json <<J
{
  "name": "timing",
  "editable": ["t.c"],
  "build": "\$CC \$CFLAGS -o t t.c",
  "run": "./t 200000",$1
  "verify": [{"run": "./t 1000 | head -n 1"}],
  "timeout_s": 60
}
J
}

manifest '
  "run_compare": [],'
run_optimize run tree --no-flags --no-profile --objective instructions --counters cachegrind \
  --candidate cand
assert_rc 0 "run_compare [] with a program printing its timing"
r=$(latest_run tree)/report.json
[ "$(json_get "$r" 'd["targets"][0]["candidates"][1]["status"]')" = accepted ] ||
  fail "the faster candidate (its timing line differs) must be accepted"
ok "run_compare []: only the exit status is compared, the faster candidate is accepted"

rm -rf tree/.optimize
manifest ''
run_optimize run tree --no-flags --no-profile --objective instructions --counters cachegrind \
  --candidate cand
assert_rc 3 "an absent run_compare compares stdout, which holds the timing"
assert_grep "$err" 'nondeterministic|differ' "says the original's output differs between runs"
assert_grep "$err" 'time ' "shows the differing timing line"
assert_grep "$err" 'run_compare' "hints at run_compare"
ok "absent run_compare: stdout compared, the timing makes the original nondeterministic (exit 3)"
finish
