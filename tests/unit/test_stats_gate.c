/*
 * Unit tests for stats_gate.c: the regression verdict on hand-computed
 * intervals, Bonferroni and Holm over a family of targets, and the adaptive
 * stop on simulated (seeded, lognormal) noise, never real timings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/stats_gate.h"
#include "test_util.h"

#define assert_close(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

static struct stats_interval iv(double est, double lo, double hi)
{
	struct stats_interval ci = {est, lo, hi, 0.95, 10};
	return ci;
}

/* The rule on intervals worked out by hand, threshold 5% (band [0.9524, 1.05]). */
static void test_decide_time(void **state)
{
	struct stats_interval ci;

	(void)state;
	ci = iv(1.20, 1.10, 1.30); /* whole interval above 1, 20% slower */
	assert_int_equal(stats_gate_decide(&ci, 0.05), GATE_REGRESSED);
	ci = iv(1.06, 1.01, 1.12); /* above 1, estimate past 5% */
	assert_int_equal(stats_gate_decide(&ci, 0.05), GATE_REGRESSED);
	ci = iv(1.03, 1.01, 1.06); /* slower for sure, but maybe less than 5%, maybe more */
	assert_int_equal(stats_gate_decide(&ci, 0.05), GATE_INCONCLUSIVE);
	ci = iv(1.03, 1.01, 1.04); /* slower for sure, by less than 5%: inside the band */
	assert_int_equal(stats_gate_decide(&ci, 0.05), GATE_UNCHANGED);
	ci = iv(1.00, 0.97, 1.04);
	assert_int_equal(stats_gate_decide(&ci, 0.05), GATE_UNCHANGED);
	ci = iv(1.06, 0.98, 1.12); /* the interval straddles 1 and leaves the band */
	assert_int_equal(stats_gate_decide(&ci, 0.05), GATE_INCONCLUSIVE);
	ci = iv(0.80, 0.70, 0.90);
	assert_int_equal(stats_gate_decide(&ci, 0.05), GATE_IMPROVED);
	ci = iv(0.96, 0.94, 0.99); /* faster for sure, estimate above 1/1.05 = 0.952 */
	assert_int_equal(stats_gate_decide(&ci, 0.05), GATE_INCONCLUSIVE);
	ci = iv(0.95, 0.94, 0.99); /* estimate below 0.952 */
	assert_int_equal(stats_gate_decide(&ci, 0.05), GATE_IMPROVED);
	ci = iv(NAN, NAN, NAN);
	assert_int_equal(stats_gate_decide(&ci, 0.05), GATE_INCONCLUSIVE);
	ci = iv(1.2, 1.1, 1.3);
	assert_int_equal(stats_gate_decide(&ci, 0), GATE_INCONCLUSIVE);
	assert_string_equal(stats_gate_verdict_name(GATE_REGRESSED), "regressed");
	assert_string_equal(stats_gate_verdict_name(GATE_INCONCLUSIVE), "inconclusive");
}

/* Exact counts: the interval is one point; 1% threshold, the edges count. */
static void test_decide_exact(void **state)
{
	struct stats_interval ci;
	double r;

	(void)state;
	r = 1010000.0 / 1000000.0; /* exactly 1% more instructions */
	ci = iv(r, r, r);
	assert_int_equal(stats_gate_decide(&ci, 0.01), GATE_REGRESSED);
	r = 1020000.0 / 1000000.0;
	ci = iv(r, r, r);
	assert_int_equal(stats_gate_decide(&ci, 0.01), GATE_REGRESSED);
	r = 1005000.0 / 1000000.0; /* 0.5%: inside the band */
	ci = iv(r, r, r);
	assert_int_equal(stats_gate_decide(&ci, 0.01), GATE_UNCHANGED);
	ci = iv(1, 1, 1);
	assert_int_equal(stats_gate_decide(&ci, 0.01), GATE_UNCHANGED);
	r = 1000000.0 / 1010000.0; /* the inverse of 1%: the band's lower edge */
	ci = iv(r, r, r);
	assert_int_equal(stats_gate_decide(&ci, 0.01), GATE_IMPROVED);
	r = 1000000.0 / 1005000.0;
	ci = iv(r, r, r);
	assert_int_equal(stats_gate_decide(&ci, 0.01), GATE_UNCHANGED);
}

static void test_bonferroni(void **state)
{
	(void)state;
	assert_close(stats_gate_bonferroni_level(0.05, 1), 0.95, 1e-12);
	assert_close(stats_gate_bonferroni_level(0.05, 2), 0.975, 1e-12);
	assert_close(stats_gate_bonferroni_level(0.05, 4), 0.9875, 1e-12);
	assert_close(stats_gate_bonferroni_level(0.05, 0), 0.95, 1e-12);
}

/*
 * Holm against Bonferroni, two targets. A is clearly regressed. B's 21
 * ratios are evenly spaced, 0.89, 0.91, ..., 1.29 (median 1.09): its
 * bootstrap interval at 97.5% (Bonferroni for two) starts at 0.99 and does
 * not exclude 1; at 95% it starts at 1.01. Holm decides A at the first step
 * (level 1 - 0.05/2), then reads B alone at 1 - 0.05/1 and finds it
 * regressed; Bonferroni would leave B inconclusive.
 */
static void test_holm_steps_down(void **state)
{
	double a[21], b[21];
	struct stats_gate_item it[2];
	struct stats_interval ci;

	(void)state;
	for (int i = 0; i < 21; i++) {
		a[i] = 1.30 + 0.001 * (i % 3);
		b[i] = 1.09 + (i - 10) * 0.02;
	}
	assert_int_equal(stats_bootstrap_median(b, 21, 2000, 0.975, 2, &ci), 0);
	assert_true(ci.lo < 1);
	assert_int_equal(stats_gate_decide(&ci, 0.05), GATE_INCONCLUSIVE);
	assert_int_equal(stats_bootstrap_median(b, 21, 2000, 0.95, 2, &ci), 0);
	assert_true(ci.lo > 1);

	memset(it, 0, sizeof(it));
	it[0] = (struct stats_gate_item){.ratios = a, .n = 21, .threshold = 0.05, .seed = 1};
	it[1] = (struct stats_gate_item){.ratios = b, .n = 21, .threshold = 0.05, .seed = 2};
	assert_int_equal(stats_gate_holm(it, 2, 0.05, 2000), 0);
	assert_int_equal(it[0].verdict, GATE_REGRESSED);
	assert_close(it[0].level, 0.975, 1e-12);
	assert_int_equal(it[1].verdict, GATE_REGRESSED);
	assert_close(it[1].level, 0.95, 1e-12);
	assert_close(it[1].ci.lo, 1.01, 1e-9);
	assert_close(it[1].ci.estimate, 1.09, 1e-9);

	/* Without A's regression, B stays at the stricter level: inconclusive. */
	for (int i = 0; i < 21; i++)
		a[i] = 1.0 + 0.001 * (i % 3);
	assert_int_equal(stats_gate_holm(it, 2, 0.05, 2000), 0);
	assert_int_equal(it[0].verdict, GATE_UNCHANGED);
	assert_int_equal(it[1].verdict, GATE_INCONCLUSIVE);
	assert_close(it[1].level, 0.975, 1e-12);
}

/* Exact counts (one ratio each), a target without data, and bad input. */
static void test_holm_exact_and_edges(void **state)
{
	double up = 1.02, same = 1.0, down = 0.97, bad = NAN;
	struct stats_gate_item it[5] = {
	    {.ratios = &up, .n = 1, .threshold = 0.01},
	    {.ratios = &same, .n = 1, .threshold = 0.01},
	    {.ratios = &down, .n = 1, .threshold = 0.01},
	    {.ratios = NULL, .n = 0, .threshold = 0.01},
	    {.ratios = &bad, .n = 1, .threshold = 0.01},
	};

	(void)state;
	assert_int_equal(stats_gate_holm(it, 5, 0.05, 0), 0);
	assert_int_equal(it[0].verdict, GATE_REGRESSED);
	assert_close(it[0].ci.estimate, 1.02, 1e-12);
	assert_int_equal(it[1].verdict, GATE_UNCHANGED);
	assert_int_equal(it[2].verdict, GATE_IMPROVED);
	assert_int_equal(it[3].verdict, GATE_INCONCLUSIVE);
	assert_true(isnan(it[3].ci.estimate));
	assert_int_equal(it[4].verdict, GATE_INCONCLUSIVE);
	/* Two decided at the first step (level 1 - 0.05/5), the rest read at 1 - 0.05/3. */
	assert_close(it[0].level, 0.99, 1e-12);
	assert_close(it[1].level, 1 - 0.05 / 3, 1e-12);
	assert_int_equal(stats_gate_holm(it, 5, 0, 0), -1);
	assert_int_equal(stats_gate_holm(it, 5, 1, 0), -1);
	assert_int_equal(stats_gate_holm(NULL, 0, 0.05, 0), 0);
}

static void test_should_stop_contract(void **state)
{
	double r[30], nanr[2] = {1, NAN};
	struct stats_interval ci;
	enum stats_gate_verdict v;

	(void)state;
	for (int i = 0; i < 30; i++)
		r[i] = 1.20 + 0.001 * (i % 4);
	/* Below min_runs: more pairs. */
	assert_int_equal(stats_gate_should_stop(r, 4, 5, 30, 0.05, 0.95, 1, &ci, &v), 0);
	assert_int_equal(v, GATE_INCONCLUSIVE);
	/* At min_runs a regression is not yet enough (the interim look needs n - 1 too). */
	assert_int_equal(stats_gate_should_stop(r, 5, 5, 30, 0.05, 0.95, 1, &ci, &v), 0);
	assert_int_equal(stats_gate_should_stop(r, 6, 5, 30, 0.05, 0.95, 1, &ci, &v), 1);
	assert_int_equal(v, GATE_REGRESSED);
	assert_true(ci.lo > 1.19 && ci.hi < 1.21);
	/* Unchanged stops at once. */
	for (int i = 0; i < 30; i++)
		r[i] = 1.0 + 0.001 * (i % 4);
	assert_int_equal(stats_gate_should_stop(r, 5, 5, 30, 0.05, 0.95, 1, &ci, &v), 1);
	assert_int_equal(v, GATE_UNCHANGED);
	/* The last look keeps an inconclusive verdict, and stops. */
	for (int i = 0; i < 30; i++)
		r[i] = i % 2 ? 0.9 : 1.2;
	assert_int_equal(stats_gate_should_stop(r, 10, 5, 10, 0.05, 0.95, 1, &ci, &v), 1);
	assert_int_equal(v, GATE_INCONCLUSIVE);
	/* Bad input. */
	assert_int_equal(stats_gate_should_stop(nanr, 2, 1, 5, 0.05, 0.95, 1, NULL, NULL), -1);
	assert_int_equal(stats_gate_should_stop(r, 5, 0, 5, 0.05, 0.95, 1, NULL, NULL), -1);
	assert_int_equal(stats_gate_should_stop(r, 5, 6, 5, 0.05, 0.95, 1, NULL, NULL), -1);
	assert_int_equal(stats_gate_should_stop(r, 5, 5, 5, 0.05, 1, 1, NULL, NULL), -1);
}

static double normal(struct stats_rng *r)
{
	double u1 = 1.0 - stats_rng_uniform(r), u2 = stats_rng_uniform(r);

	return sqrt(-2 * log(u1)) * cos(2 * 3.14159265358979323846 * u2);
}

/* The adaptive loop as the gate runs it: pairs with lognormal noise on each side. */
static enum stats_gate_verdict simulate(struct stats_rng *r, double true_ratio, double noise,
                                        uint64_t seed)
{
	double ratios[30];
	enum stats_gate_verdict v;
	size_t n = 0;
	int stop;

	do {
		ratios[n] = true_ratio * exp(noise * normal(r)) / exp(noise * normal(r));
		n++;
		stop = stats_gate_should_stop(ratios, n, 5, 30, 0.05, 0.95, seed, NULL, &v);
		assert_true(stop >= 0);
	} while (!stop);
	return v;
}

#define TRIALS 200

/*
 * 3% noise per run, threshold 5%: A/A never (or almost never) regressed,
 * a true 10% slowdown caught every time.
 */
static void test_simulated_gates(void **state)
{
	struct stats_rng r;
	int aa_alarm = 0, aa_unchanged = 0, caught = 0;

	(void)state;
	stats_rng_seed(&r, 424242);
	for (int t = 0; t < TRIALS; t++) {
		enum stats_gate_verdict v = simulate(&r, 1.0, 0.03, (uint64_t)t);
		aa_alarm += v == GATE_REGRESSED;
		aa_unchanged += v == GATE_UNCHANGED;
		caught += simulate(&r, 1.10, 0.03, (uint64_t)t) == GATE_REGRESSED;
	}
	print_message("A/A: %d/%d regressed, %d/%d unchanged; 10%% slower: %d/%d regressed\n",
	              aa_alarm, TRIALS, aa_unchanged, TRIALS, caught, TRIALS);
	assert_true(aa_alarm <= TRIALS / 100);
	assert_true(aa_unchanged >= TRIALS * 90 / 100);
	assert_true(caught >= TRIALS * 95 / 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decide_time),
	    cmocka_unit_test(test_decide_exact),
	    cmocka_unit_test(test_bonferroni),
	    cmocka_unit_test(test_holm_steps_down),
	    cmocka_unit_test(test_holm_exact_and_edges),
	    cmocka_unit_test(test_should_stop_contract),
	    cmocka_unit_test(test_simulated_gates),
	};
	return test_run(tests, NULL, NULL);
}
