/*
 * triad: STREAM-like copy, scale, add and triad over three large double
 * arrays, repeated.
 *
 * At the default size the arrays (3 x 40 MB) are far bigger than the
 * caches, so the time is memory bandwidth: compiler flags barely matter
 * (a useful null case for the flag search). Rewrite: fuse the four
 * kernels into one pass (each element is loaded once and stored once per
 * repetition instead of ten memory streams), or use non-temporal stores.
 * The scalar s = 0.4 makes each repetition scale the values by 0.96, so
 * every repetition shows in the output.
 *
 * usage: triad N REPS [SEED]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rng_unit(void)
{
	return (double)(rng_next() >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: triad N REPS [SEED]\n");
		return 2;
	}
	size_t n = (size_t)strtoul(argv[1], NULL, 10);
	long reps = strtol(argv[2], NULL, 10);
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;

	double *a = malloc((n ? n : 1) * sizeof *a);
	double *b = malloc((n ? n : 1) * sizeof *b);
	double *c = malloc((n ? n : 1) * sizeof *c);
	if (!a || !b || !c) {
		fprintf(stderr, "triad: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		a[i] = 1.0 + rng_unit();
		b[i] = 0.0;
		c[i] = 0.0;
	}

	const double s = 0.4;
	for (long r = 0; r < reps; r++) {
		for (size_t i = 0; i < n; i++) /* copy */
			c[i] = a[i];
		for (size_t i = 0; i < n; i++) /* scale */
			b[i] = s * c[i];
		for (size_t i = 0; i < n; i++) /* add */
			c[i] = a[i] + b[i];
		for (size_t i = 0; i < n; i++) /* triad */
			a[i] = b[i] + s * c[i];
	}

	double sa = 0.0, sb = 0.0, sc = 0.0, w = 0.0;
	for (size_t i = 0; i < n; i++) {
		sa += a[i];
		sb += b[i];
		sc += c[i];
		w += a[i] * (double)(i % 13 + 1);
	}
	printf("n %zu reps %ld\n", n, reps);
	printf("sum_a %.12e\nsum_b %.12e\nsum_c %.12e\nweighted_a %.12e\n", sa, sb, sc, w);
	if (n > 0)
		printf("a[0] %.12e\na[n/2] %.12e\na[n-1] %.12e\nc[n-1] %.12e\n", a[0], a[n / 2],
		       a[n - 1], c[n - 1]);
	free(a);
	free(b);
	free(c);
	return 0;
}
