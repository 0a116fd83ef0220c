/*
 * inversions: count the inversions of a random integer sequence by
 * comparing every pair, O(n^2).
 *
 * For each position i it counts later elements that are smaller (the
 * "right-smaller" count c[i]) and later elements that are equal, then
 * reports totals, the count within the first half, and the largest c[i].
 * A merge sort or a Fenwick tree over the value range does the same in
 * O(n log n): this is where a rewrite wins by orders of magnitude. Flags
 * help only a little (the inner loop is a compare-and-count that -O3 and
 * -march=native vectorize more widely).
 *
 * usage: inversions N [SEED]
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

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: inversions N [SEED]\n");
		return 2;
	}
	size_t n = (size_t)strtoul(argv[1], NULL, 10);
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;

	int *a = malloc((n ? n : 1) * sizeof *a);
	if (!a) {
		fprintf(stderr, "inversions: out of memory\n");
		return 1;
	}
	/* Values in [0, n/2 + 1): plenty of duplicates. */
	uint64_t range = n / 2 + 1;
	for (size_t i = 0; i < n; i++)
		a[i] = (int)(rng_next() % range);

	uint64_t inv = 0, eq = 0, half = 0, maxc = 0, wsum = 0;
	size_t maxi = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t c = 0, e = 0, ch = 0;
		for (size_t j = i + 1; j < n; j++) {
			if (a[j] < a[i]) {
				c++;
				if (j < n / 2)
					ch++;
			} else if (a[j] == a[i]) {
				e++;
			}
		}
		inv += c;
		eq += e;
		half += ch;
		wsum += c * (uint64_t)(i % 7 + 1);
		if (c > maxc) {
			maxc = c;
			maxi = i;
		}
	}
	printf("n %zu\n", n);
	printf("inversions %llu\nequal_pairs %llu\nfirst_half_inversions %llu\n",
	       (unsigned long long)inv, (unsigned long long)eq, (unsigned long long)half);
	printf("weighted %llu\nmax_right_smaller %llu at %zu\n", (unsigned long long)wsum,
	       (unsigned long long)maxc, maxi);
	free(a);
	return 0;
}
