/*
 * Unit tests for stats.c: summary statistics, the seeded bootstrap and the
 * decision rule. The decision tests use simulated data from a seeded RNG
 * (lognormal run-to-run noise), never real timings, so they are exact and
 * reproducible.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/stats.h"
#include "test_util.h"

#define EPS 1e-12

/* cmocka 1.1 compares floating point only as float; this keeps double precision. */
#define assert_close(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

static void test_rng_reproducible(void **state)
{
	struct stats_rng a, b, c;
	int i, same = 0;

	(void)state;
	stats_rng_seed(&a, 7);
	stats_rng_seed(&b, 7);
	stats_rng_seed(&c, 8);
	for (i = 0; i < 100; i++) {
		uint64_t x = stats_rng_next(&a);
		assert_true(x == stats_rng_next(&b));
		same += x == stats_rng_next(&c);
	}
	assert_int_equal(same, 0);
}

static void test_rng_below_and_uniform(void **state)
{
	struct stats_rng r;
	unsigned hist[6] = {0};
	int i;

	(void)state;
	stats_rng_seed(&r, 1);
	assert_true(stats_rng_below(&r, 0) == 0);
	assert_true(stats_rng_below(&r, 1) == 0);
	for (i = 0; i < 60000; i++) {
		uint64_t k = stats_rng_below(&r, 6);
		double u = stats_rng_uniform(&r);

		assert_true(k < 6);
		assert_true(u >= 0 && u < 1);
		hist[k]++;
	}
	/* 10000 expected per bin; +-600 is about 6 standard deviations. */
	for (i = 0; i < 6; i++)
		assert_true(hist[i] > 9400 && hist[i] < 10600);
}

static void test_median(void **state)
{
	double odd[] = {5, 1, 4, 2, 3};
	double even[] = {10, 1, 4, 3};
	double one[] = {42};

	(void)state;
	assert_close(stats_median(odd, 5), 3, EPS);
	assert_close(stats_median(even, 4), 3.5, EPS);
	assert_close(stats_median(one, 1), 42, EPS);
	assert_true(isnan(stats_median(NULL, 0)));
	/* The input is left in its order. */
	assert_close(odd[0], 5, 0);
	assert_close(even[0], 10, 0);
}

static void test_mean_stddev_cv_min(void **state)
{
	double v[] = {2, 4, 4, 4, 5, 5, 7, 9};
	double one[] = {3};
	double zero[] = {-1, 1};

	(void)state;
	assert_close(stats_mean(v, 8), 5, EPS);
	/* Sample variance: sum of squared deviations 32, / 7. */
	assert_close(stats_stddev(v, 8), sqrt(32.0 / 7), EPS);
	assert_close(stats_cv(v, 8), sqrt(32.0 / 7) / 5, EPS);
	assert_close(stats_min(v, 8), 2, EPS);
	assert_close(stats_stddev(one, 1), 0, 0);
	assert_close(stats_cv(one, 1), 0, 0);
	assert_true(isnan(stats_cv(zero, 2)));
	assert_true(isnan(stats_mean(NULL, 0)));
	assert_true(isnan(stats_stddev(NULL, 0)));
	assert_true(isnan(stats_min(NULL, 0)));
}

static void test_geomean(void **state)
{
	double v[] = {1, 2, 4};
	double speedups[] = {2, 0.5};
	double bad[] = {1, 0};

	(void)state;
	assert_close(stats_geomean(v, 3), 2, 1e-12);
	assert_close(stats_geomean(speedups, 2), 1, 1e-12);
	assert_true(isnan(stats_geomean(bad, 2)));
	assert_true(isnan(stats_geomean(NULL, 0)));
}

static const double sample[] = {0.91, 0.95, 0.88, 0.97, 0.93, 0.90, 0.94, 0.99, 0.92, 0.89, 0.96};

static void test_bootstrap_reproducible(void **state)
{
	struct stats_interval a, b, c;
	size_t n = sizeof(sample) / sizeof(sample[0]);
	uint64_t seed;
	int moved = 0;

	(void)state;
	assert_int_equal(stats_bootstrap_median(sample, n, 2000, 0.95, 99, &a), 0);
	assert_int_equal(stats_bootstrap_median(sample, n, 2000, 0.95, 99, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	/*
	 * Resampled medians take few distinct values, so two seeds can agree on
	 * an interval; other seeds must draw other resamples for some of them.
	 */
	for (seed = 1000; seed < 1010; seed++) {
		assert_int_equal(stats_bootstrap_median(sample, n, 200, 0.95, seed, &c), 0);
		assert_close(c.estimate, a.estimate, 0);
		assert_int_equal(stats_bootstrap_median(sample, n, 200, 0.95, seed, &b), 0);
		assert_memory_equal(&b, &c, sizeof(b));
		assert_int_equal(stats_bootstrap_median(sample, n, 200, 0.95, seed + 1, &b), 0);
		moved += b.lo != c.lo || b.hi != c.hi;
	}
	assert_true(moved > 0);
}

static void test_bootstrap_contains_median(void **state)
{
	struct stats_interval ci, wide;
	size_t n = sizeof(sample) / sizeof(sample[0]);

	(void)state;
	assert_int_equal(stats_bootstrap_median(sample, n, 2000, 0.95, 1, &ci), 0);
	assert_close(ci.estimate, 0.93, EPS);
	assert_true(ci.lo <= ci.estimate && ci.estimate <= ci.hi);
	assert_true(ci.lo >= 0.88 && ci.hi <= 0.99);
	assert_true(ci.lo < ci.hi);
	assert_close(ci.level, 0.95, 0);
	assert_int_equal(ci.n, n);
	/* Same seed, higher level: the interval can only widen. */
	assert_int_equal(stats_bootstrap_median(sample, n, 2000, 0.99, 1, &wide), 0);
	assert_true(wide.lo <= ci.lo && wide.hi >= ci.hi);
	/* 0 resamples means the default. */
	assert_int_equal(stats_bootstrap_median(sample, n, 0, 0.95, 1, &wide), 0);
	assert_memory_equal(&wide, &ci, sizeof(ci));
}

static void test_bootstrap_edges(void **state)
{
	struct stats_interval ci = {0};
	double one[] = {0.8};
	double same[] = {1, 1, 1, 1, 1, 1};
	double bad[] = {1, NAN, 1};

	(void)state;
	assert_int_equal(stats_bootstrap_median(one, 1, 2000, 0.95, 1, &ci), 0);
	assert_close(ci.estimate, 0.8, 0);
	assert_close(ci.lo, 0.8, 0);
	assert_close(ci.hi, 0.8, 0);
	assert_int_equal(ci.n, 1);

	assert_int_equal(stats_bootstrap_median(same, 6, 500, 0.95, 1, &ci), 0);
	assert_close(ci.lo, 1, 0);
	assert_close(ci.hi, 1, 0);

	/*
	 * Failures leave a NaN interval that is never accepted, even by a caller
	 * that ignores the return value and started from a zeroed interval.
	 */
	assert_int_equal(stats_bootstrap_median(NULL, 0, 2000, 0.95, 1, &ci), -1);
	assert_true(isnan(ci.estimate) && isnan(ci.lo) && isnan(ci.hi));
	assert_int_equal(stats_decide(&ci, 0.03, 0), VERDICT_UNDECIDED);
	assert_int_equal(stats_decide(&ci, 0.03, 1), VERDICT_NOT_FASTER);
	memset(&ci, 0, sizeof(ci));
	assert_int_equal(stats_bootstrap_median(bad, 3, 2000, 0.95, 1, &ci), -1);
	assert_int_not_equal(stats_decide(&ci, 0.03, 1), VERDICT_FASTER);
	assert_int_equal(stats_bootstrap_median(same, 6, 2000, 1.0, 1, &ci), -1);
	assert_int_equal(stats_bootstrap_median(same, 6, 2000, 0, 1, &ci), -1);
	assert_int_equal(stats_bootstrap_median(same, 6, 2000, 0.95, 1, NULL), -1);
}

static void test_decide_rule(void **state)
{
	struct stats_interval ci = {0.90, 0.85, 0.95, 0.95, 10};

	(void)state;
	assert_int_equal(stats_decide(&ci, 0.03, 0), VERDICT_FASTER);
	/* hi must be strictly below 1. */
	ci.hi = 1.0;
	assert_int_equal(stats_decide(&ci, 0.03, 0), VERDICT_UNDECIDED);
	assert_int_equal(stats_decide(&ci, 0.03, 1), VERDICT_NOT_FASTER);
	/* Interval below 1 but the median gain is short of min_gain. */
	ci = (struct stats_interval){0.98, 0.96, 0.99, 0.95, 10};
	assert_int_equal(stats_decide(&ci, 0.03, 0), VERDICT_UNDECIDED);
	assert_int_equal(stats_decide(&ci, 0.03, 1), VERDICT_NOT_FASTER);
	assert_int_equal(stats_decide(&ci, 0.01, 0), VERDICT_FASTER);
	/* Even the optimistic end misses the gain. */
	ci = (struct stats_interval){1.0, 0.98, 1.02, 0.95, 10};
	assert_int_equal(stats_decide(&ci, 0.03, 0), VERDICT_NOT_FASTER);
	assert_string_equal(stats_verdict_name(VERDICT_FASTER), "faster");
	assert_string_equal(stats_verdict_name(VERDICT_NOT_FASTER), "not faster");
	assert_string_equal(stats_verdict_name(VERDICT_UNDECIDED), "undecided");
}

/* Identical ratios are never accepted, however many there are. */
static void test_identical_never_accepted(void **state)
{
	double ones[30];
	struct stats_interval ci;
	enum stats_verdict v;
	size_t n;

	(void)state;
	for (n = 0; n < 30; n++)
		ones[n] = 1.0;
	for (n = 1; n <= 30; n++) {
		assert_int_equal(stats_bootstrap_median(ones, n, 2000, 0.95, n, &ci), 0);
		assert_int_not_equal(stats_decide(&ci, 0.03, 0), VERDICT_FASTER);
		assert_int_not_equal(stats_decide(&ci, 0.0, 1), VERDICT_FASTER);
	}
	for (n = 1; n <= 30; n++) {
		int stop = stats_should_stop(ones, n, 5, 30, 0.03, 1, &ci, &v);

		assert_true(stop >= 0);
		assert_int_not_equal(v, VERDICT_FASTER);
		if (stop) {
			assert_int_equal(v, VERDICT_NOT_FASTER);
			break;
		}
	}
}

static void test_should_stop_contract(void **state)
{
	double r[40];
	struct stats_interval ci;
	enum stats_verdict v;
	int i;

	(void)state;
	for (i = 0; i < 40; i++)
		r[i] = 0.8 + 0.001 * (i % 3);
	/* Too few pairs: ask for more. */
	assert_int_equal(stats_should_stop(r, 4, 5, 30, 0.03, 1, NULL, &v), 0);
	assert_int_equal(v, VERDICT_UNDECIDED);
	/* An early accept needs two looks: never at n == min_runs. */
	assert_int_equal(stats_should_stop(r, 5, 5, 30, 0.03, 1, &ci, &v), 0);
	assert_int_equal(v, VERDICT_UNDECIDED);
	assert_int_equal(stats_should_stop(r, 6, 5, 30, 0.03, 1, &ci, &v), 1);
	assert_int_equal(v, VERDICT_FASTER);
	assert_int_equal(stats_decide(&ci, 0.03, 0), VERDICT_FASTER);
	assert_close(ci.level, STATS_DEFAULT_LEVEL, 0);
	/* min_runs == max_runs: one final look; 5 pairs are too few for the sign test. */
	assert_int_equal(stats_should_stop(r, 5, 5, 5, 0.03, 1, &ci, &v), 1);
	assert_int_equal(v, VERDICT_NOT_FASTER);
	assert_int_equal(stats_decide(&ci, 0.03, 1), VERDICT_FASTER); /* the bootstrap alone */
	assert_int_equal(stats_should_stop(r, 6, 6, 6, 0.03, 1, NULL, &v), 1);
	assert_int_equal(v, VERDICT_FASTER);
	/* Bad input. */
	assert_int_equal(stats_should_stop(r, 5, 0, 30, 0.03, 1, NULL, NULL), -1);
	assert_int_equal(stats_should_stop(r, 5, 10, 5, 0.03, 1, NULL, NULL), -1);
	r[2] = INFINITY;
	assert_int_equal(stats_should_stop(r, 6, 5, 30, 0.03, 1, NULL, NULL), -1);
}

/* ---- simulated measurements -------------------------------------------- */

static double normal(struct stats_rng *r)
{
	/* Box-Muller; 1 - u keeps log() away from 0. */
	double u1 = 1.0 - stats_rng_uniform(r), u2 = stats_rng_uniform(r);

	return sqrt(-2 * log(u1)) * cos(2 * 3.14159265358979323846 * u2);
}

/* One interleaved pair: baseline and candidate each with lognormal noise. */
static double pair_ratio(struct stats_rng *r, double true_ratio, double noise)
{
	double base = exp(noise * normal(r));
	double cand = true_ratio * exp(noise * normal(r));

	return cand / base;
}

/* The adaptive loop exactly as the measurement engine runs it. */
static enum stats_verdict run_adaptive(struct stats_rng *r, double true_ratio, double noise,
                                       double min_gain, uint64_t seed, size_t *pairs)
{
	double ratios[30];
	enum stats_verdict v = VERDICT_UNDECIDED;
	size_t n = 0;
	int stop;

	do {
		ratios[n] = pair_ratio(r, true_ratio, noise);
		n++;
		stop = stats_should_stop(ratios, n, 5, 30, min_gain, seed, NULL, &v);
		assert_true(stop >= 0);
	} while (!stop);
	assert_true(n <= 30);
	assert_int_not_equal(v, VERDICT_UNDECIDED);
	*pairs = n;
	return v;
}

#define TRIALS 200

/* The sign test's interval and how many pairs it needs. */
static void test_sign_interval(void **state)
{
	double r[10] = {0.5, 0.6, 0.7, 0.8, 0.9, 1.1, 1.2, 0.55, 0.65, 0.75};
	struct stats_interval ci;

	(void)state;
	assert_int_equal(stats_sign_min_pairs(0.95), 6); /* (1/2)^6 = 1.6% <= 2.5% */
	assert_int_equal(stats_sign_min_pairs(0.99), 8); /* (1/2)^8 = 0.39% <= 0.5% */
	assert_int_equal(stats_sign_min_pairs(1.5), 0);
	assert_int_equal(stats_sign_needed(3, 0.95), 4); /* none can do */
	assert_int_equal(stats_sign_needed(6, 0.95), 6);
	/* n = 10: P(B <= 1) = 11/1024 fits in 2.5%, P(B <= 2) = 56/1024 does not: j = 2. */
	assert_int_equal(stats_sign_needed(10, 0.95), 9);
	assert_int_equal(stats_sign_interval(r, 10, 0.95, &ci), 0);
	assert_close(ci.lo, 0.55, 1e-12); /* s(2) */
	assert_close(ci.hi, 1.1, 1e-12);  /* s(9) */
	assert_close(ci.estimate, (0.7 + 0.75) / 2, 1e-12);
	/* Too few: no interval, the median still given. */
	assert_int_equal(stats_sign_interval(r, 3, 0.95, &ci), 0);
	assert_true(isnan(ci.lo) && isnan(ci.hi));
	assert_close(ci.estimate, 0.6, 1e-12);
	assert_int_equal(stats_sign_interval(r, 0, 0.95, &ci), -1);
	r[1] = NAN;
	assert_int_equal(stats_sign_interval(r, 10, 0.95, &ci), -1);
}

/*
 * Three pairs all faster by half: the bootstrap interval of their median lies
 * below 1 (it cannot reach beyond the largest of the three), but with no
 * gain at all three pairs fall below 1 one time in eight. The decision needs
 * the sign test too: never FASTER below 6 pairs. The failure this guards
 * against: a hostile candidate 25% slower was accepted as 2x faster on 3
 * noisy pairs in a loaded CI run.
 */
static void test_few_pairs_never_faster(void **state)
{
	double r[8] = {0.49, 0.43, 0.53, 0.5, 0.45, 0.52, 0.6, 0.4};
	double r9[9] = {0.49, 0.43, 0.53, 0.5, 0.45, 0.52, 0.6, 0.4, 0.47};
	struct stats_interval ci;
	enum stats_verdict v;

	(void)state;
	for (size_t n = 1; n <= 5; n++) {
		assert_int_equal(stats_bootstrap_median(r, n, 2000, 0.95, 1, &ci), 0);
		assert_int_equal(stats_decide(&ci, 0.03, 1), VERDICT_FASTER);
		assert_int_equal(stats_decide_pairs(r, n, &ci, 0.03, 1), VERDICT_NOT_FASTER);
		assert_int_equal(stats_decide_pairs(r, n, &ci, 0.03, 0), VERDICT_UNDECIDED);
		assert_int_equal(stats_should_stop(r, n, (int)n, (int)n, 0.03, 1, NULL, &v), 1);
		assert_int_equal(v, VERDICT_NOT_FASTER);
	}
	assert_int_equal(stats_should_stop(r, 6, 6, 6, 0.03, 1, &ci, &v), 1);
	assert_int_equal(v, VERDICT_FASTER);
	/* n = 8 needs all 8 below 1; n = 9 needs 8 of 9 (P(B <= 1) = 10/512 <= 2.5%). */
	assert_int_equal(stats_sign_needed(8, 0.95), 8);
	assert_int_equal(stats_sign_needed(9, 0.95), 8);
	r9[8] = 1.2;
	assert_int_equal(stats_should_stop(r9, 9, 9, 9, 0.03, 1, &ci, &v), 1);
	assert_int_equal(v, VERDICT_FASTER);
	r9[7] = 1.3; /* 7 of 9 */
	assert_int_equal(stats_should_stop(r9, 9, 9, 9, 0.03, 1, &ci, &v), 1);
	assert_int_equal(v, VERDICT_NOT_FASTER);
}

/* A/A at few pairs (3..8, one final look): the bootstrap alone is fooled, the rule is not. */
static void test_aa_few_pairs(void **state)
{
	struct stats_rng r;
	struct stats_interval ci;
	double ratios[8];
	int t, boot = 0, rule = 0;

	(void)state;
	stats_rng_seed(&r, 424242);
	for (t = 0; t < 2000; t++) {
		size_t n = 3 + (size_t)stats_rng_below(&r, 6);

		for (size_t i = 0; i < n; i++)
			ratios[i] = pair_ratio(&r, 1.0, 0.03);
		assert_int_equal(stats_bootstrap_median(ratios, n, 500, 0.95, (uint64_t)t, &ci), 0);
		boot += stats_decide(&ci, 0.0, 1) == VERDICT_FASTER;
		rule += stats_decide_pairs(ratios, n, &ci, 0.0, 1) == VERDICT_FASTER;
	}
	print_message("A/A at 3..8 pairs, no min gain: bootstrap alone %d/2000, with the sign "
	              "test %d/2000\n",
	              boot, rule);
	assert_true(rule <= 2000 * 25 / 1000); /* one-sided 2.5% */
	assert_true(boot > rule);
}

/*
 * A/A: the same program on both sides, 3% lognormal noise per run. First the
 * bare rule at a fixed number of pairs (5..30, one final look), then the
 * adaptive loop that looks after every pair.
 */
static void test_aa_false_accepts(void **state)
{
	struct stats_rng r;
	struct stats_interval ci;
	double ratios[30];
	int t, fixed = 0, adaptive = 0;
	size_t i, n, pairs, total = 0;

	(void)state;
	stats_rng_seed(&r, 20240601);
	for (t = 0; t < TRIALS; t++) {
		n = 5 + (size_t)stats_rng_below(&r, 26);
		for (i = 0; i < n; i++)
			ratios[i] = pair_ratio(&r, 1.0, 0.03);
		assert_int_equal(stats_bootstrap_median(ratios, n, 2000, 0.95, (uint64_t)t, &ci),
		                 0);
		fixed += stats_decide_pairs(ratios, n, &ci, 0.03, 1) == VERDICT_FASTER;
	}
	for (t = 0; t < TRIALS; t++) {
		adaptive +=
		    run_adaptive(&r, 1.0, 0.03, 0.03, (uint64_t)t, &pairs) == VERDICT_FASTER;
		total += pairs;
	}
	print_message(
	    "A/A false accepts: fixed 5..30 pairs %d/%d, adaptive %d/%d (mean %.1f pairs)\n", fixed,
	    TRIALS, adaptive, TRIALS, (double)total / TRIALS);
	assert_true(fixed <= TRIALS * 5 / 100);
	assert_true(adaptive <= TRIALS * 5 / 100);
}

/* A clear 20% gain: accepted with 10 pairs, and quickly by the adaptive loop. */
static void test_clear_gain_accepted(void **state)
{
	struct stats_rng r;
	struct stats_interval ci;
	double ratios[10];
	int t, fixed = 0, adaptive = 0;
	size_t i, pairs, most = 0;

	(void)state;
	stats_rng_seed(&r, 77);
	for (t = 0; t < TRIALS; t++) {
		for (i = 0; i < 10; i++)
			ratios[i] = pair_ratio(&r, 0.8, 0.03);
		assert_int_equal(stats_bootstrap_median(ratios, 10, 2000, 0.95, (uint64_t)t, &ci),
		                 0);
		fixed += stats_decide(&ci, 0.03, 1) == VERDICT_FASTER;
		adaptive +=
		    run_adaptive(&r, 0.8, 0.03, 0.03, (uint64_t)t, &pairs) == VERDICT_FASTER;
		if (pairs > most)
			most = pairs;
	}
	print_message("20%% gain accepted: 10 pairs %d/%d, adaptive %d/%d (at most %zu pairs)\n",
	              fixed, TRIALS, adaptive, TRIALS, most);
	assert_int_equal(fixed, TRIALS);
	assert_int_equal(adaptive, TRIALS);
	assert_true(most <= 10);
}

/* A real but small 1% gain must not pass a 3% min_gain. */
static void test_small_gain_not_accepted(void **state)
{
	struct stats_rng r;
	struct stats_interval ci;
	double ratios[30];
	int t, adaptive = 0;
	size_t i, pairs;

	(void)state;
	/* Noise-free: the interval is far below 1 but the gain is 1%. */
	for (i = 0; i < 30; i++)
		ratios[i] = 0.99 + 0.0005 * (double)(i % 5);
	assert_int_equal(stats_bootstrap_median(ratios, 30, 2000, 0.95, 3, &ci), 0);
	assert_true(ci.hi < 1);
	assert_int_equal(stats_decide(&ci, 0.03, 0), VERDICT_NOT_FASTER);
	assert_int_equal(stats_should_stop(ratios, 30, 5, 30, 0.03, 3, NULL, NULL), 1);

	/* 10 noisy pairs, one final decision. */
	stats_rng_seed(&r, 5);
	for (i = 0; i < 10; i++)
		ratios[i] = pair_ratio(&r, 0.99, 0.03);
	assert_int_equal(stats_bootstrap_median(ratios, 10, 2000, 0.95, 3, &ci), 0);
	assert_int_not_equal(stats_decide(&ci, 0.03, 1), VERDICT_FASTER);

	/*
	 * The adaptive loop on noisy data: the floor is a point estimate, so a
	 * true 1% gain passes sometimes when the noise happens to favour it.
	 */
	for (t = 0; t < TRIALS; t++)
		adaptive +=
		    run_adaptive(&r, 0.99, 0.03, 0.03, (uint64_t)t, &pairs) == VERDICT_FASTER;
	print_message("1%% gain, min_gain 3%%: adaptive accepted %d/%d\n", adaptive, TRIALS);
	assert_true(adaptive <= TRIALS * 10 / 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rng_reproducible),
	    cmocka_unit_test(test_rng_below_and_uniform),
	    cmocka_unit_test(test_median),
	    cmocka_unit_test(test_mean_stddev_cv_min),
	    cmocka_unit_test(test_geomean),
	    cmocka_unit_test(test_bootstrap_reproducible),
	    cmocka_unit_test(test_bootstrap_contains_median),
	    cmocka_unit_test(test_bootstrap_edges),
	    cmocka_unit_test(test_decide_rule),
	    cmocka_unit_test(test_identical_never_accepted),
	    cmocka_unit_test(test_should_stop_contract),
	    cmocka_unit_test(test_sign_interval),
	    cmocka_unit_test(test_few_pairs_never_faster),
	    cmocka_unit_test(test_aa_few_pairs),
	    cmocka_unit_test(test_aa_false_accepts),
	    cmocka_unit_test(test_clear_gain_accepted),
	    cmocka_unit_test(test_small_gain_not_accepted),
	};

	return test_run(tests, NULL, NULL);
}
