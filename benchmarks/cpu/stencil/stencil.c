/*
 * stencil: 2D heat diffusion by Jacobi iteration on an n x n grid.
 *
 * Each step computes a 5-point average of the interior into a second grid
 * and then copies the whole grid back (a pointer swap would do). The
 * boundary is held at fixed temperatures (hot left edge, cold right,
 * 50 on top and bottom). Flags: -O3 vectorizes the interior loop (u and v
 * may alias, so it needs a run-time overlap check that the cheap cost
 * model of -O2 refuses). Rewrite: swap pointers instead of copying, fuse
 * several time steps per sweep (temporal blocking).
 *
 * usage: stencil N STEPS [SEED]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static size_t idx(size_t n, size_t i, size_t j)
{
	return i * n + j;
}

static void step(size_t n, const double *u, double *v)
{
	if (n == 0)
		return;
	/* The boundary keeps its fixed temperatures. */
	for (size_t j = 0; j < n; j++) {
		v[idx(n, 0, j)] = u[idx(n, 0, j)];
		v[idx(n, n - 1, j)] = u[idx(n, n - 1, j)];
	}
	for (size_t i = 1; i + 1 < n; i++) {
		v[idx(n, i, 0)] = u[idx(n, i, 0)];
		v[idx(n, i, n - 1)] = u[idx(n, i, n - 1)];
	}
	for (size_t i = 1; i + 1 < n; i++)
		for (size_t j = 1; j + 1 < n; j++)
			v[idx(n, i, j)] = 0.25 * (u[idx(n, i - 1, j)] + u[idx(n, i + 1, j)] +
			                          u[idx(n, i, j - 1)] + u[idx(n, i, j + 1)]);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: stencil N STEPS [SEED]\n");
		return 2;
	}
	size_t n = (size_t)strtoul(argv[1], NULL, 10);
	long steps = strtol(argv[2], NULL, 10);
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;

	size_t nn = n * n;
	double *u = malloc((nn ? nn : 1) * sizeof *u);
	double *v = malloc((nn ? nn : 1) * sizeof *v);
	if (!u || !v) {
		fprintf(stderr, "stencil: out of memory\n");
		return 1;
	}
	/* Random interior in [0, 1), left edge 100, right edge 0, top/bottom 50. */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			double t = rng_unit();
			if (j == 0)
				t = 100.0;
			else if (j == n - 1)
				t = 0.0;
			else if (i == 0 || i == n - 1)
				t = 50.0;
			u[idx(n, i, j)] = t;
		}

	for (long s = 0; s < steps; s++) {
		step(n, u, v);
		memcpy(u, v, nn * sizeof *u);
	}

	double sum = 0.0, wsum = 0.0, mx = 0.0, mn = 0.0;
	for (size_t i = 0; i < nn; i++) {
		sum += u[i];
		wsum += u[i] * (double)(i % 97 + 1);
		if (i == 0 || u[i] > mx)
			mx = u[i];
		if (i == 0 || u[i] < mn)
			mn = u[i];
	}
	printf("n %zu steps %ld\n", n, steps);
	printf("sum %.12e\nwsum %.12e\nmax %.12e\nmin %.12e\n", sum, wsum, mx, mn);
	if (n > 0) {
		/* The middle row, sampled at up to 9 points, and the centre. */
		size_t mid = n / 2;
		size_t stride = n > 9 ? n / 9 : 1;
		for (size_t j = 0; j < n; j += stride)
			printf("u[%zu][%zu] %.12e\n", mid, j, u[idx(n, mid, j)]);
		printf("centre %.12e\n", u[idx(n, mid, mid)]);
	}
	free(u);
	free(v);
	return 0;
}
