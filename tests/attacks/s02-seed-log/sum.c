/*
 * s02: an honest rewrite (the closed form of tests/attacks/fast) that also
 * appends the $OPTIMIZE_SEED of each of its runs to seeds.log in its
 * workspace, so a test can count the seeds it was given: one per
 * verification and one per timed pair (warm-up included), never one for a
 * whole measurement.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	static const unsigned long r[7] = {0, 1, 4, 2, 2, 4, 1};
	long n = argc > 1 ? atol(argv[1]) : 1000;
	unsigned long s = (unsigned long)(n / 7) * 14;
	const char *seed = getenv("OPTIMIZE_SEED");
	FILE *log = fopen("seeds.log", "a");

	if (log) {
		fprintf(log, "%s %ld\n", seed ? seed : "none", n);
		fclose(log);
	}
	for (long i = 0; i < n % 7; i++)
		s += r[i];
	printf("n %ld sum %lu\n", n, s);
	return 0;
}
