/*
 * A memory bomb in one process: asks for 20 GiB and touches it. Exits 3 when
 * it got it all (not contained), 5 when an allocation was refused
 * (limits.memory_mb as RLIMIT_AS, and the run's cgroup where there is one).
 * Expected: refused; the candidate is rejected with exit 5 (or killed).
 */
#include <stdio.h>
#include <stdlib.h>

#define STEP (256L << 20)

int main(void)
{
	long got = 0;

	for (int i = 0; i < 80; i++) {
		volatile char *p = malloc(STEP);

		if (!p) {
			fprintf(stderr, "k-memory-bomb: refused after %ld MiB\n", got >> 20);
			return 5;
		}
		for (long k = 0; k < STEP; k += 4096)
			p[k] = 1;
		got += STEP;
	}
	return 3;
}
