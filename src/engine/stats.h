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
 * Scratch memory comes from base/xalloc.h (out of memory ends the process).
 */
#ifndef OPTIMIZE_STATS_H
#define OPTIMIZE_STATS_H

#include <stddef.h>
#include <stdint.h>

/* The defaults of the decision: a 95% interval from 2000 resamples. */
#define STATS_DEFAULT_LEVEL     0.95
#define STATS_DEFAULT_RESAMPLES 2000u
/* The stricter level of early accepts in stats_should_stop. */
#define STATS_INTERIM_LEVEL 0.99

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
double stats_median(const double *v, size_t n); /* copy + sort; even n: mean of the middle two */
double stats_mean(const double *v, size_t n);
double stats_stddev(const double *v, size_t n); /* sample standard deviation (n - 1) */
double stats_cv(const double *v, size_t n);     /* stddev / mean */
double stats_min(const double *v, size_t n);
double stats_geomean(const double *v, size_t n); /* of positive values */

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
 * n == 0, level is not in (0, 1) or a value is not finite (a ratio from a
 * zero baseline time); out then holds NAN for estimate, lo
 * and hi, which stats_decide never accepts as FASTER.
 */
int stats_bootstrap_median(const double *v, size_t n, unsigned resamples, double level,
                           uint64_t seed, struct stats_interval *out);

/*
 * Bootstrap CI of the geometric mean of positive v (the same resampling,
 * level, seed and percentile rule as stats_bootstrap_median): over the
 * targets of a benchmark suite, resampled with replacement. estimate is the
 * geometric mean of v itself. -1 (NAN interval) when n == 0, level is not
 * in (0, 1), or a value is not finite and positive.
 */
int stats_bootstrap_geomean(const double *v, size_t n, unsigned resamples, double level,
                            uint64_t seed, struct stats_interval *out);

enum stats_verdict {
	VERDICT_FASTER,     /* whole interval below 1 and median gain >= min_gain */
	VERDICT_NOT_FASTER, /* the data rule out a gain of min_gain */
	VERDICT_UNDECIDED,  /* neither yet: more pairs may decide */
};

/*
 * The decision rule on an interval of ratios (candidate / baseline; lower is
 * better). Accepted as faster only when hi < 1 and estimate <= 1 - min_gain.
 * Clearly not faster when lo > 1 - min_gain (even the optimistic end misses
 * the required gain) or, once `final`, whenever it is not accepted. A NAN
 * interval is never FASTER.
 */
enum stats_verdict stats_decide(const struct stats_interval *ci, double min_gain, int final);
/*
 * The sign test's distribution-free interval of the median of v: the order
 * statistics [s(j), s(n+1-j)] with the largest j whose two tails together
 * stay within 1 - level (Binomial(n, 1/2)). Its coverage is at least
 * `level` whatever the shape of the noise, where a bootstrap interval of a
 * handful of pairs is far too narrow (3 pairs all below 1 happen 1 time in 8
 * with no gain at all). Below stats_sign_min_pairs(level) pairs no such
 * interval exists: lo and hi are NAN, estimate the median. -1 as
 * stats_bootstrap_median on bad input.
 */
int stats_sign_interval(const double *v, size_t n, double level, struct stats_interval *ci);
/* How many of n ratios must lie below 1 for that interval to lie below 1 (n + 1: none can do). */
size_t stats_sign_needed(size_t n, double level);
/* The fewest pairs for which it can: 6 at 95%, 8 at 99% (0 on a bad level). */
size_t stats_sign_min_pairs(double level);
/*
 * The decision on paired ratios: stats_decide on ci (the bootstrap interval,
 * at ci->level), and FASTER only when the sign test agrees at the same level
 * (stats_sign_needed of the n ratios lie below 1). Otherwise a FASTER by
 * the bootstrap alone becomes UNDECIDED, or NOT_FASTER when `final`. So a
 * gain is never claimed from fewer than stats_sign_min_pairs(level) pairs.
 * Exact counts (one run of each side) use stats_decide alone.
 */
enum stats_verdict stats_decide_pairs(const double *ratios, size_t n,
                                      const struct stats_interval *ci, double min_gain, int final);
/* "faster", "not faster" or "undecided". */
const char *stats_verdict_name(enum stats_verdict v);

/*
 * One step of the adaptive measurement engine: call it after every new pair
 * with all the ratios so far (ratios[i] = candidate time / baseline time of
 * pair i). Returns 1 when measuring should stop, 0 when another pair is
 * needed, -1 on bad input (a ratio that is not finite, min_runs < 1,
 * max_runs < min_runs). Stateless: it looks only at ratios[0..n).
 *
 * Below min_runs pairs it asks for more (*verdict UNDECIDED, ci untouched).
 * From then on *ci is the 95% bootstrap interval of all n ratios (seeded with
 * `seed`; use one seed for all looks at one candidate) and:
 *   - n >= max_runs (the last look): *verdict = stats_decide_pairs(.., 1).
 *   - NOT_FASTER as soon as stats_decide says so (lo > 1 - min_gain).
 *   - FASTER (stats_decide_pairs: the bootstrap and the sign test agree)
 *     before the last look only when stats_decide also accepts the
 *     STATS_INTERIM_LEVEL (99%) interval, both of all n ratios and of the
 *     first n - 1 (so never at n == min_runs). Checking after every pair is a
 *     sequential test, and each look is one more chance for noise to pass;
 *     the stricter early looks keep the false wins of the whole loop near the
 *     rate of one 95% test. A stop always carries FASTER or NOT_FASTER, and
 *     the verdict always agrees with stats_decide_pairs on *ci.
 * ci and verdict may be NULL.
 *
 * Simulated with 3% lognormal noise per run, min 5, max 30, min_gain 3%
 * (tests/unit/test_stats.c checks the first two on every build):
 * A/A accepted ~1%, a true 1% gain ~6%, a true 5% gain ~98% (mean 10 pairs),
 * a 20% gain 100% (6 pairs). With 5% noise: A/A ~3%, 5% gain ~85%.
 */
int stats_should_stop(const double *ratios, size_t n, int min_runs, int max_runs, double min_gain,
                      uint64_t seed, struct stats_interval *ci, enum stats_verdict *verdict);

#endif
