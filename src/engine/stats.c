#include "engine/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void stats_rng_seed(struct stats_rng *r, uint64_t seed)
{
	uint64_t x = seed;
	int i;

	/* splitmix64 never yields four zero words, the one state xoshiro cannot leave. */
	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

uint64_t stats_rng_next(struct stats_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t stats_rng_below(struct stats_rng *r, uint64_t n)
{
	uint64_t threshold, x;

	if (!n)
		return 0;
	/* Reject the lowest 2^64 mod n values so every residue is equally likely. */
	threshold = (0 - n) % n;
	do
		x = stats_rng_next(r);
	while (x < threshold);
	return x % n;
}

double stats_rng_uniform(struct stats_rng *r)
{
	return (double)(stats_rng_next(r) >> 11) * 0x1.0p-53;
}

/* NaN sorts last, so a stray NaN cannot break qsort's ordering contract. */
static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);
	return (a > b) - (a < b);
}

static double median_sorted(const double *s, size_t n)
{
	if (n % 2)
		return s[n / 2];
	return (s[n / 2 - 1] + s[n / 2]) / 2;
}

double stats_median(const double *v, size_t n)
{
	double *s, m;

	if (!n)
		return NAN;
	s = xreallocarray(NULL, n, sizeof(*s));
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	m = median_sorted(s, n);
	free(s);
	return m;
}

double stats_mean(const double *v, size_t n)
{
	double sum = 0;
	size_t i;

	if (!n)
		return NAN;
	for (i = 0; i < n; i++)
		sum += v[i];
	return sum / (double)n;
}

double stats_stddev(const double *v, size_t n)
{
	double mean, ss = 0;
	size_t i;

	if (!n)
		return NAN;
	if (n == 1)
		return 0;
	/* Two passes: summing squares of deviations avoids sum(x^2) - n*mean^2 cancellation. */
	mean = stats_mean(v, n);
	for (i = 0; i < n; i++)
		ss += (v[i] - mean) * (v[i] - mean);
	return sqrt(ss / (double)(n - 1));
}

double stats_cv(const double *v, size_t n)
{
	double mean = stats_mean(v, n);

	if (isnan(mean) || mean == 0)
		return NAN;
	return stats_stddev(v, n) / fabs(mean);
}

double stats_min(const double *v, size_t n)
{
	double m;
	size_t i;

	if (!n)
		return NAN;
	m = v[0];
	for (i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

double stats_geomean(const double *v, size_t n)
{
	double sum = 0;
	size_t i;

	if (!n)
		return NAN;
	for (i = 0; i < n; i++) {
		if (!(v[i] > 0))
			return NAN;
		sum += log(v[i]);
	}
	return exp(sum / (double)n);
}

/* Linear interpolation between order statistics of sorted s (p in [0, 1]). */
static double percentile_sorted(const double *s, size_t n, double p)
{
	double pos = p * (double)(n - 1);
	size_t i = (size_t)pos;
	double frac = pos - (double)i;

	if (i + 1 >= n)
		return s[n - 1];
	return s[i] + frac * (s[i + 1] - s[i]);
}

/*
 * The k-th smallest (0-based) of a resample given as counts over sorted s.
 * Resampling by counts makes a resample's median O(n) with no sort.
 */
static double kth_from_counts(const double *s, const unsigned *count, size_t n, size_t k)
{
	size_t i, seen = 0;

	for (i = 0; i < n; i++) {
		seen += count[i];
		if (seen > k)
			return s[i];
	}
	return s[n - 1];
}

int stats_bootstrap_median(const double *v, size_t n, unsigned resamples, double level,
                           uint64_t seed, struct stats_interval *out)
{
	struct stats_rng rng;
	double *s, *meds;
	unsigned *count;
	unsigned r;
	size_t i;
	double alpha;

	if (!out)
		return -1;
	/*
	 * A failure leaves a NaN interval, which stats_decide never accepts: a
	 * caller that skips the return value still cannot pass a broken sample.
	 */
	out->estimate = out->lo = out->hi = NAN;
	out->level = level;
	out->n = n;
	if (!n || !v || !(level > 0 && level < 1))
		return -1;
	for (i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return -1;
	if (!resamples)
		resamples = STATS_DEFAULT_RESAMPLES;

	s = xreallocarray(NULL, n, sizeof(*s));
	meds = xreallocarray(NULL, resamples, sizeof(*meds));
	count = xreallocarray(NULL, n, sizeof(*count));
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);

	stats_rng_seed(&rng, seed);
	for (r = 0; r < resamples; r++) {
		memset(count, 0, n * sizeof(*count));
		for (i = 0; i < n; i++)
			count[stats_rng_below(&rng, n)]++;
		meds[r] = (kth_from_counts(s, count, n, (n - 1) / 2) +
		           kth_from_counts(s, count, n, n / 2)) /
		          2;
	}
	qsort(meds, resamples, sizeof(*meds), cmp_double);

	alpha = (1 - level) / 2;
	out->estimate = median_sorted(s, n);
	out->lo = percentile_sorted(meds, resamples, alpha);
	out->hi = percentile_sorted(meds, resamples, 1 - alpha);
	/* Rounding in the interpolation must not put the estimate outside its own interval. */
	if (out->lo > out->estimate)
		out->lo = out->estimate;
	if (out->hi < out->estimate)
		out->hi = out->estimate;

	free(s);
	free(meds);
	free(count);
	return 0;
}

int stats_bootstrap_geomean(const double *v, size_t n, unsigned resamples, double level,
                            uint64_t seed, struct stats_interval *out)
{
	struct stats_rng rng;
	double *logs, *means, alpha;

	if (!out)
		return -1;
	out->estimate = out->lo = out->hi = NAN;
	out->level = level;
	out->n = n;
	if (!n || !v || !(level > 0 && level < 1))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]) || v[i] <= 0)
			return -1;
	if (!resamples)
		resamples = STATS_DEFAULT_RESAMPLES;
	logs = xreallocarray(NULL, n, sizeof(*logs));
	means = xreallocarray(NULL, resamples, sizeof(*means));
	for (size_t i = 0; i < n; i++)
		logs[i] = log(v[i]);
	stats_rng_seed(&rng, seed);
	for (unsigned r = 0; r < resamples; r++) {
		double sum = 0;
		for (size_t i = 0; i < n; i++)
			sum += logs[stats_rng_below(&rng, n)];
		means[r] = sum / (double)n;
	}
	qsort(means, resamples, sizeof(*means), cmp_double);
	alpha = (1 - level) / 2;
	out->estimate = stats_geomean(v, n);
	out->lo = exp(percentile_sorted(means, resamples, alpha));
	out->hi = exp(percentile_sorted(means, resamples, 1 - alpha));
	if (out->lo > out->estimate)
		out->lo = out->estimate;
	if (out->hi < out->estimate)
		out->hi = out->estimate;
	free(logs);
	free(means);
	return 0;
}

enum stats_verdict stats_decide(const struct stats_interval *ci, double min_gain, int final)
{
	if (ci->hi < 1 && ci->estimate <= 1 - min_gain)
		return VERDICT_FASTER;
	if (ci->lo > 1 - min_gain || final)
		return VERDICT_NOT_FASTER;
	return VERDICT_UNDECIDED;
}

/* P(Binomial(n, 1/2) = i), in logs so that thousands of pairs do not underflow. */
static double binom_half(size_t n, size_t i)
{
	return exp(lgamma((double)n + 1) - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) -
	           (double)n * log(2.0));
}

/* The largest j with P(B <= j - 1) <= (1 - level) / 2: the interval [s(j), s(n+1-j)], 1-based. */
static size_t sign_rank(size_t n, double level)
{
	double tail = (1 - level) / 2, cdf = 0;
	size_t j = 0;

	while (j < n / 2 && cdf + binom_half(n, j) <= tail * (1 + 1e-12)) {
		cdf += binom_half(n, j);
		j++;
	}
	return j;
}

int stats_sign_interval(const double *v, size_t n, double level, struct stats_interval *ci)
{
	double *s;
	size_t j;

	if (!ci)
		return -1;
	ci->estimate = ci->lo = ci->hi = NAN;
	ci->level = level;
	ci->n = n;
	if (!n || !v || !(level > 0 && level < 1))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return -1;
	s = xreallocarray(NULL, n, sizeof(*s));
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	ci->estimate = median_sorted(s, n);
	j = sign_rank(n, level);
	if (j > 0) {
		ci->lo = s[j - 1];
		ci->hi = s[n - j];
	}
	free(s);
	return 0;
}

size_t stats_sign_needed(size_t n, double level)
{
	size_t j = level > 0 && level < 1 ? sign_rank(n, level) : 0;

	return j ? n + 1 - j : n + 1;
}

size_t stats_sign_min_pairs(double level)
{
	size_t n = 1;

	if (!(level > 0 && level < 1))
		return 0;
	while (stats_sign_needed(n, level) > n)
		n++;
	return n;
}

enum stats_verdict stats_decide_pairs(const double *ratios, size_t n,
                                      const struct stats_interval *ci, double min_gain, int final)
{
	enum stats_verdict v = stats_decide(ci, min_gain, final);
	size_t below = 0;

	if (v != VERDICT_FASTER)
		return v;
	for (size_t i = 0; ratios && i < n; i++)
		below += ratios[i] < 1;
	if (!ratios || below < stats_sign_needed(n, ci->level))
		return final ? VERDICT_NOT_FASTER : VERDICT_UNDECIDED;
	return v;
}

const char *stats_verdict_name(enum stats_verdict v)
{
	switch (v) {
	case VERDICT_FASTER:
		return "faster";
	case VERDICT_NOT_FASTER:
		return "not faster";
	case VERDICT_UNDECIDED:
		return "undecided";
	}
	return "unknown";
}

/* FASTER at the stricter interim level on the first n ratios. */
static int interim_faster(const double *ratios, size_t n, double min_gain, uint64_t seed)
{
	struct stats_interval ci;

	if (stats_bootstrap_median(ratios, n, STATS_DEFAULT_RESAMPLES, STATS_INTERIM_LEVEL, seed,
	                           &ci) < 0)
		return 0;
	return stats_decide(&ci, min_gain, 0) == VERDICT_FASTER;
}

int stats_should_stop(const double *ratios, size_t n, int min_runs, int max_runs, double min_gain,
                      uint64_t seed, struct stats_interval *ci, enum stats_verdict *verdict)
{
	struct stats_interval ci95;
	enum stats_verdict vd;
	int final;

	if (verdict)
		*verdict = VERDICT_UNDECIDED;
	if (min_runs < 1 || max_runs < min_runs || !ratios)
		return -1;
	if (n < (size_t)min_runs)
		return 0;
	if (stats_bootstrap_median(ratios, n, STATS_DEFAULT_RESAMPLES, STATS_DEFAULT_LEVEL, seed,
	                           &ci95) < 0)
		return -1;
	final = n >= (size_t)max_runs;
	vd = stats_decide_pairs(ratios, n, &ci95, min_gain, final);
	/*
	 * Before the last look, FASTER needs more than the 95% rule: each look is
	 * one more chance for noise to pass, so an early accept must hold at 99%
	 * on this look and on the one before. With the same seed the 95% interval
	 * lies inside the 99% one, so the reported interval still agrees.
	 */
	if (!final && vd == VERDICT_FASTER &&
	    !(n > (size_t)min_runs && interim_faster(ratios, n, min_gain, seed) &&
	      interim_faster(ratios, n - 1, min_gain, seed)))
		vd = VERDICT_UNDECIDED;
	if (ci)
		*ci = ci95;
	if (verdict)
		*verdict = vd;
	return vd != VERDICT_UNDECIDED;
}
