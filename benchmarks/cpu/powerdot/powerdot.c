/*
 * powerdot: power iteration on an n x n single-precision matrix, i.e.
 * many float dot products summed strictly left to right.
 *
 * y = M v is n dot products; the estimate of the dominant eigenvalue is
 * (v . y) / (v . v), and v is renormalized each step. In float every sum
 * depends on its order, so the compiler may not vectorize the reductions
 * at -O2 or -O3; -Ofast (reassociation) vectorizes them and is several
 * times faster but changes the last bits. The manifest's rtol accepts
 * that rounding and nothing larger: a program that skips an element or an
 * iteration differs by far more. Rewrite: several accumulators, or
 * summing in double.
 *
 * usage: powerdot N ITERS [SEED]
 */
#include <math.h>
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

static float rng_unitf(void)
{
	return (float)(rng_next() >> 40) / 16777216.0f;
}

static float dot(const float *x, const float *y, size_t n)
{
	float s = 0.0f;
	for (size_t i = 0; i < n; i++)
		s += x[i] * y[i];
	return s;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: powerdot N ITERS [SEED]\n");
		return 2;
	}
	size_t n = (size_t)strtoul(argv[1], NULL, 10);
	long iters = strtol(argv[2], NULL, 10);
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;

	size_t nn = n * n;
	float *m = malloc((nn ? nn : 1) * sizeof *m);
	float *v = malloc((n ? n : 1) * sizeof *v);
	float *y = malloc((n ? n : 1) * sizeof *y);
	if (!m || !v || !y) {
		fprintf(stderr, "powerdot: out of memory\n");
		return 1;
	}
	/* Entries in [0.5, 1.5): positive, so the dominant eigenvalue is
	 * well separated (about n) and the iteration converges quickly. */
	for (size_t i = 0; i < nn; i++)
		m[i] = 0.5f + rng_unitf();
	for (size_t i = 0; i < n; i++)
		v[i] = 1.0f;

	/* lambda converges within a few iterations; the weighted sum over all
	 * iterations makes every iteration show in the output. */
	float lambda = 0.0f;
	double lambda_sum = 0.0;
	for (long it = 0; it < iters; it++) {
		for (size_t i = 0; i < n; i++)
			y[i] = dot(m + i * n, v, n);
		float vv = dot(v, v, n);
		lambda = vv > 0.0f ? dot(v, y, n) / vv : 0.0f;
		lambda_sum += (double)lambda * (double)(it % 5 + 1);
		float norm = sqrtf(dot(y, y, n));
		for (size_t i = 0; i < n; i++)
			v[i] = norm > 0.0f ? y[i] / norm : 0.0f;
	}

	/* Row sums of M (another float reduction) and the result vector. */
	float rows = 0.0f;
	for (size_t i = 0; i < n; i++)
		rows += dot(m + i * n, m + i * n, n) / (float)n;
	printf("n %zu iters %ld\n", n, iters);
	printf("lambda %.9e\nlambda_sum %.9e\n", (double)lambda, lambda_sum);
	printf("mean_row_sq %.9e\n", (double)(n ? rows / (float)n : 0.0f));
	if (n > 0) {
		/* (No argmax index: a rounding change could move it.) */
		float vs = 0.0f, vmax = v[0], vmin = v[0];
		for (size_t i = 0; i < n; i++) {
			vs += v[i];
			vmax = v[i] > vmax ? v[i] : vmax;
			vmin = v[i] < vmin ? v[i] : vmin;
		}
		printf("sum_v %.9e\nmax_v %.9e\nmin_v %.9e\n", (double)vs, (double)vmax, (double)vmin);
		size_t stride = n > 8 ? n / 8 : 1;
		for (size_t i = 0; i < n; i += stride)
			printf("v[%zu] %.9e\n", i, (double)v[i]);
	}
	free(m);
	free(v);
	free(y);
	return 0;
}
