/*
 * stats.h: the statistics behind every "faster" decision.
 *
 * Samples are paired: run i of the baseline and run i of the candidate were
 * interleaved (A B A B ...), so the per-pair ratio candidate/baseline cancels
 * slow drift. The statistic is the median of the ratios, with a percentile
 * bootstrap confidence interval for that median. The bootstrap is seeded
 * (stats_rng) so the same samples and seed give the same interval.
 */
#ifndef OPTIMIZE_STATS_H
#define OPTIMIZE_STATS_H

#include <stddef.h>
#include <stdint.h>

/* xoshiro256** seeded through splitmix64: small, fast, reproducible. */
struct stats_rng {
	uint64_t s[4];
};
void stats_rng_seed(struct stats_rng *r, uint64_t seed);
uint64_t stats_rng_next(struct stats_rng *r);
/* Uniform in [0, n). */
uint64_t stats_rng_below(struct stats_rng *r, uint64_t n);

double stats_median(const double *v, size_t n);   /* NAN for n == 0 */
double stats_mean(const double *v, size_t n);
double stats_stddev(const double *v, size_t n);   /* sample standard deviation */
double stats_cv(const double *v, size_t n);       /* stddev / mean */
double stats_min(const double *v, size_t n);
double stats_geomean(const double *v, size_t n);  /* of positive values */

struct stats_interval {
	double estimate; /* median of the ratios */
	double lo, hi;   /* confidence interval */
	double level;    /* e.g. 0.95 */
	size_t n;        /* number of pairs */
};

/* Bootstrap CI of the median of v (resamples: e.g. 2000; level: 0.95). */
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
const char *stats_verdict_name(enum stats_verdict v);

#endif
