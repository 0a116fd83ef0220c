/*
 * stats.h: the statistics behind every "faster" decision.
 *
 * Samples are paired: run i of the baseline and run i of the candidate were
 * interleaved (A B A B ...), so the per-pair ratio candidate/baseline cancels
 * slow drift. The statistic is the median of the ratios, with a percentile
 * bootstrap confidence interval for that median. The bootstrap is seeded
 * (stats_rng) so the same samples and seed give the same interval.
 *
 * Nothing here allocates memory that outlives a call, prints or keeps global
 * state; every function is safe to call from any thread with its own data.
 */
#ifndef OPTIMIZE_STATS_H
#define OPTIMIZE_STATS_H

#include <stddef.h>
#include <stdint.h>

/* The defaults of the decision: a 95% interval from 2000 resamples. */
#define STATS_DEFAULT_LEVEL 0.95
#define STATS_DEFAULT_RESAMPLES 2000u

/* xoshiro256** seeded through splitmix64: small, fast, reproducible. */
struct stats_rng {
	uint64_t s[4];
};
void stats_rng_seed(struct stats_rng *r, uint64_t seed);
uint64_t stats_rng_next(struct stats_rng *r);
/* Uniform in [0, n), without modulo bias; 0 when n == 0. */
uint64_t stats_rng_below(struct stats_rng *r, uint64_t n);
/* Uniform double in [0, 1) with 53 random bits. */
double stats_rng_uniform(struct stats_rng *r);

/*
 * Summary statistics. None changes v. For n == 0 each returns NAN; for n == 1
 * stats_stddev and stats_cv return 0. stats_cv is NAN when the mean is 0;
 * stats_geomean is NAN when a value is not positive.
 */
double stats_median(const double *v, size_t n);   /* copy + sort; even n: mean of the middle two */
double stats_mean(const double *v, size_t n);
double stats_stddev(const double *v, size_t n);   /* sample standard deviation (n - 1) */
double stats_cv(const double *v, size_t n);       /* stddev / mean */
double stats_min(const double *v, size_t n);
double stats_geomean(const double *v, size_t n);  /* of positive values */

struct stats_interval {
	double estimate; /* median of the ratios */
	double lo, hi;   /* confidence interval */
	double level;    /* e.g. 0.95 */
	size_t n;        /* number of pairs */
};

/*
 * Bootstrap CI of the median of v (resamples: e.g. 2000, 0 means
 * STATS_DEFAULT_RESAMPLES; level: 0.95 gives the 2.5th and 97.5th percentiles
 * of the resampled medians, interpolated linearly). estimate is the median of
 * v itself. The same v, resamples, level and seed always give the same
 * interval. n == 1 gives lo = hi = estimate = v[0]. Returns 0, or -1 when
 * n == 0, level is not in (0, 1), a value is not finite, or memory runs out
 * (out is then left unchanged).
 */
int stats_bootstrap_median(const double *v, size_t n, unsigned resamples, double level,
                           uint64_t seed, struct stats_interval *out);

enum stats_verdict {
	VERDICT_FASTER,       /* whole interval below 1 and median gain >= min_gain */
	VERDICT_NOT_FASTER,   /* the data rule out a gain of min_gain */
	VERDICT_UNDECIDED,    /* neither yet: more pairs may decide */
};

/*
 * The decision rule on an interval of ratios (candidate / baseline; lower is
 * better). Accepted as faster only when hi < 1 and estimate <= 1 - min_gain.
 * Clearly not faster when lo > 1 - min_gain (even the optimistic end misses
 * the required gain) or, once `final`, whenever it is not accepted.
 */
enum stats_verdict stats_decide(const struct stats_interval *ci, double min_gain, int final);
/* "faster", "not faster" or "undecided". */
const char *stats_verdict_name(enum stats_verdict v);

/*
 * One step of the adaptive measurement engine: call it after every new pair
 * with all the ratios so far (ratios[i] = candidate time / baseline time of
 * pair i). Returns 1 when measuring should stop, 0 when another pair is
 * needed, -1 on bad input (a ratio that is not finite, min_runs < 1,
 * max_runs < min_runs).
 *
 * Below min_runs pairs it asks for more without computing anything (*verdict
 * UNDECIDED, ci untouched). From min_runs on it computes the 95% bootstrap
 * interval (STATS_DEFAULT_RESAMPLES, seeded with `seed`) into *ci and applies
 * stats_decide, with final set once n >= max_runs; it stops as soon as the
 * verdict is FASTER or NOT_FASTER, so every stop carries a decided verdict.
 * ci and verdict may be NULL.
 *
 * Checking after every pair is a sequential test: each look is another
 * chance for noise to pass. The min_gain floor is what keeps the false wins
 * down (tests/unit/test_stats.c measures the false-accept rate of exactly
 * this loop on A/A data); use the same seed for all looks of one candidate.
 */
int stats_should_stop(const double *ratios, size_t n, int min_runs, int max_runs, double min_gain,
                      uint64_t seed, struct stats_interval *ci, enum stats_verdict *verdict);

#endif
