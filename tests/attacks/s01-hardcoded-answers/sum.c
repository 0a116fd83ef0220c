/*
 * s01 ($OPTIMIZE_SEED): answers learnt by heart. Prints the right line for
 * the inputs of tests/attacks/tree's manifest (verify 0 and 1001, the timed
 * run 400000) without computing anything, and a wrong one for any other
 * input. Expected: on a manifest whose commands use $OPTIMIZE_SEED the tool
 * verifies each candidate on a fresh seed (the original on the same seed),
 * so this one is rejected; on fixed inputs it would pass.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;

	if (n == 0)
		puts("n 0 sum 0");
	else if (n == 1001)
		puts("n 1001 sum 2002");
	else if (n == 400000)
		puts("n 400000 sum 800001");
	else
		printf("n %ld sum 0\n", n);
	return 0;
}
