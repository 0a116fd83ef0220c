/*
 * compare.h: two result folders of `optimize bench` side by side (model A
 * against model B, greedy against beam, with and without profiles in the
 * prompt), target by target, with the paired ratio and tests across the
 * targets both have (docs/bench.md, "Comparing two runs").
 *
 * Per target: s_A and s_B (the rows' speedups; 1.0 for a failed target, as
 * in the aggregate) and the paired ratio s_B / s_A (> 1: B did better).
 * Across targets: the sign test (two-sided, exact binomial, ties left out)
 * and the geometric mean of the ratios with its bootstrap interval over
 * targets (stats_bootstrap_geomean).
 */
#ifndef OPTIMIZE_BENCH_COMPARE_H
#define OPTIMIZE_BENCH_COMPARE_H

#include <stddef.h>

#include "base/buf.h"
#include "bench/table.h"

struct cJSON;

struct bench_comparison {
	size_t n;                  /* targets in both */
	size_t only_a, only_b;     /* targets in one of them */
	size_t wins, losses, ties; /* B better, worse, equal (ratio within 1e-9) */
	double sign_p;             /* two-sided exact sign test; NAN without a win or loss */
	struct stats_interval geo; /* geometric mean of s_B / s_A */
};

/* Two-sided exact sign test p-value for w wins and l losses (ties dropped). */
double bench_sign_test(size_t w, size_t l);

/*
 * Compare a and b (labels name them in the table): the Markdown into md,
 * the figures into out, the JSON (schema "optimize.bench.compare" 1) into
 * *json when json is not NULL.
 */
void bench_compare(const struct bench_table *a, const struct bench_table *b, const char *label_a,
                   const char *label_b, struct bench_comparison *out, struct buf *md,
                   struct cJSON **json);

#endif
