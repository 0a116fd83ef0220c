/*
 * table.h: a suite's table, read from its journal, and the aggregate.
 *
 * Definitions (docs/bench.md; KernelBench's, over ALL targets of the suite):
 *   s_i            the row's speedup (original / best); 1.0 when the
 *                  original is kept or the target failed
 *   correct rate   share of targets with `correct` (a candidate verified)
 *   fast_p         share of all targets that are correct AND s_i > p
 *                  (strictly); fast_0 is the correctness rate
 *   geomean all    geometric mean of s_i over every target (failed = 1.0)
 *   geomean correct  the same over the correct targets only
 *   vs preset      geometric mean of (best preset / winner) over the targets
 *                  where a preset was measured: > 1 means the winner beats
 *                  the best standard preset
 * Each geometric mean has a percentile bootstrap interval over targets
 * (stats_bootstrap_geomean: 95%, 2000 resamples, the suite's seed).
 */
#ifndef OPTIMIZE_BENCH_TABLE_H
#define OPTIMIZE_BENCH_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "bench/journal.h"
#include "bench/row.h"
#include "bench/suite.h"
#include "engine/stats.h"

struct bench_aggregate {
	size_t n, ncorrect;
	double correct_rate;
	double p[BENCH_MAX_FAST_P], fast_p[BENCH_MAX_FAST_P];
	size_t np;
	struct stats_interval geo_all, geo_correct; /* NAN estimate when there is none */
	struct stats_interval geo_preset;           /* best preset / winner */
	size_t npreset;
};

/* The speedup s_i that counts in the aggregate (1.0 for a failed target). */
double bench_row_speedup(const struct bench_row *r);

/* The aggregate of rows[0..n), fast_p at p[0..np). */
void bench_aggregate(const struct bench_row *rows, size_t n, const double *p, size_t np,
                     uint64_t seed, struct bench_aggregate *out);

struct bench_table {
	struct bench_journal j;    /* owns the JSON the rows borrow from */
	const struct cJSON *suite; /* the suite record */
	struct bench_row *rows;    /* finished entries, in suite order */
	size_t n;
	size_t nmissing; /* entries without a row yet */
	struct bench_aggregate agg;
};

/* Read dir's journal into t. 0, or -1 with err (no journal, not one). */
int bench_table_load(const char *dir, struct bench_table *t, struct buf *err);
void bench_table_release(struct bench_table *t);

#endif
