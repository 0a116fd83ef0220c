/*
 * matmul: C = A * B for n x n doubles, naive i-j-k loop order.
 *
 * The inner loop walks B down a column (stride n doubles), so every step
 * touches a new cache line once n is large: this is the cache-hostile
 * order. Interchanging to i-k-j (or blocking) makes the inner loop stream
 * over rows and lets the compiler vectorize it.
 *
 * usage: matmul N [SEED]
 */
#include <inttypes.h>
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

/* uniform in [-1, 1) */
static double rng_double(void)
{
	return (double)(rng_next() >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

static void matmul(size_t n, const double *a, const double *b, double *c)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			double s = 0.0;
			for (size_t k = 0; k < n; k++)
				s += a[i * n + k] * b[k * n + j];
			c[i * n + j] = s;
		}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: matmul N [SEED]\n");
		return 2;
	}
	size_t n = (size_t)strtoul(argv[1], NULL, 10);
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;

	size_t nn = n * n;
	double *a = malloc((nn ? nn : 1) * sizeof *a);
	double *b = malloc((nn ? nn : 1) * sizeof *b);
	double *c = malloc((nn ? nn : 1) * sizeof *c);
	if (!a || !b || !c) {
		fprintf(stderr, "matmul: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < nn; i++)
		a[i] = rng_double();
	for (size_t i = 0; i < nn; i++)
		b[i] = rng_double();

	matmul(n, a, b, c);

	/* Checksums: plain sum, position-weighted sum, trace, max |c|. */
	double sum = 0.0, wsum = 0.0, trace = 0.0, amax = 0.0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			double v = c[i * n + j];
			sum += v;
			wsum += v * (double)((i * 31 + j * 17) % 101 + 1);
			if (i == j)
				trace += v;
			if ((v < 0 ? -v : v) > amax)
				amax = v < 0 ? -v : v;
		}
	printf("n %zu\n", n);
	printf("sum %.12e\nwsum %.12e\ntrace %.12e\nmaxabs %.12e\n", sum, wsum, trace, amax);
	/* A few entries spread over the matrix, including both corners. */
	if (n > 0) {
		size_t pick[6] = {0, nn - 1, n - 1, (n - 1) * n, (n / 2) * n + n / 3, (n / 3) * n + (n * 2) / 3};
		for (int p = 0; p < 6; p++)
			printf("c[%zu][%zu] %.12e\n", pick[p] / n, pick[p] % n, c[pick[p]]);
		/* Every row's first and last element for small matrices. */
		if (n <= 64)
			for (size_t i = 0; i < n; i++)
				printf("row %zu %.12e %.12e\n", i, c[i * n], c[i * n + n - 1]);
	}
	free(a);
	free(b);
	free(c);
	return 0;
}
