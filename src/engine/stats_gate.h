/*
 * stats_gate.h: the regression verdict, on the same intervals as stats.h.
 *
 * `optimize run` asks "is the candidate faster?"; a CI gate asks "did the
 * head get slower than the base, or faster, or neither?". The answer is read
 * from the interval of the ratio head / base (lower is better) and a
 * threshold band [1/(1+t), 1+t] around 1 (symmetric on the log scale, so an
 * A/A ratio and its inverse land on the same side of the band's edges):
 *
 *   regressed     the whole interval lies above 1 and the estimate is at
 *                 least 1 + t (a slowdown of at least the threshold)
 *   improved      the whole interval lies below 1 and the estimate is at
 *                 most 1/(1+t)
 *   unchanged     the whole interval lies inside the band
 *   inconclusive  none of these (more pairs may decide)
 *
 * With several targets, each interval is one more chance of a false alarm.
 * stats_gate_holm controls the family-wise rate at the interval level
 * (Holm's step-down, which is never less powerful than Bonferroni): with k
 * targets still in question, intervals at level 1 - alpha/k are read; every
 * target whose interval then says regressed or improved is decided and
 * leaves the family, and the rest are read again at 1 - alpha/(k - removed),
 * until a step decides nothing. While measuring (each target on its own,
 * before the others are known) the Bonferroni level 1 - alpha/k is used:
 * Holm's first step, so what stopped a target early stands afterwards.
 *
 * Like stats.h: no global state, no printing; the same ratios always give
 * the same verdicts (no resampling: the interval is exact).
 */
#ifndef OPTIMIZE_STATS_GATE_H
#define OPTIMIZE_STATS_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/stats.h"

/* The default thresholds: 5% for noisy objectives (time), 1% for deterministic counts. */
#define STATS_GATE_THRESHOLD_TIME  0.05
#define STATS_GATE_THRESHOLD_EXACT 0.01
/* The default family-wise false-alarm rate. */
#define STATS_GATE_ALPHA 0.05

enum stats_gate_verdict {
	GATE_UNCHANGED,
	GATE_IMPROVED,
	GATE_REGRESSED,
	GATE_INCONCLUSIVE,
};

/* "unchanged", "improved", "regressed", "inconclusive". */
const char *stats_gate_verdict_name(enum stats_gate_verdict v);

/*
 * The verdict on ci (head / base) with threshold t (0.05 = 5%, > 0). A NAN
 * interval is INCONCLUSIVE. "At least the threshold" includes the edge
 * (a relative slack of 1e-9 absorbs rounding: 101/100 is a 1% slowdown).
 */
enum stats_gate_verdict stats_gate_decide(const struct stats_interval *ci, double threshold);

/* 1 - alpha / k: the per-target level of a Bonferroni family of k (k >= 1). */
double stats_gate_bonferroni_level(double alpha, size_t k);

/*
 * The interval of the median ratio, the gate's own (not the bootstrap of
 * stats.h): the distribution-free order-statistic interval of the sign
 * test, [r(j), r(n+1-j)] of the sorted ratios, with the largest j for which
 * P(Binomial(n, 1/2) < j) <= (1 - level) / 2. Its coverage is at least
 * `level` whenever the pairs are independent and each pair's ratio has the
 * true ratio as its median, even when the spread of each pair differs (the
 * load of a shared machine rising and falling); heavy tails and outliers do
 * not move it. The percentile bootstrap of the median it replaces covered
 * 93% instead of 95% on 5 to 30 pairs, and a verdict read from it every
 * pair called noise a change (docs/ci.md). With too few pairs for `level`
 * there is no interval: lo and hi are NAN (INCONCLUSIVE), the estimate is
 * the median. 0, or -1 on bad input (no ratios, a ratio not finite, level
 * not in (0, 1)). exact: the ratios are exact counts (one run decides):
 * the interval is the median itself.
 */
int stats_gate_interval(const double *ratios, size_t n, double level, int exact,
                        struct stats_interval *ci);

/* The fewest pairs the first look of a noisy objective reads. */
#define STATS_GATE_FIRST_LOOK 10
/* At most this many looks. */
#define STATS_GATE_MAX_LOOKS 16

/*
 * When the adaptive stop looks at the pairs, noisy objectives only: at
 * max(min_runs, STATS_GATE_FIRST_LOOK) rounded up to an even count (the
 * measurement alternates which side runs first, so an even count has as
 * many of each order), then at twice that, four times, ..., and at
 * max_runs. Fills at[] (up to cap, may be NULL) and returns the number of
 * looks (>= 1), or 0 on bad input. Each look reads its interval at
 * 1 - (1 - level) / looks (Bonferroni over the looks), so looking early
 * costs no false alarms.
 */
size_t stats_gate_looks(int min_runs, int max_runs, size_t *at, size_t cap);

/*
 * The adaptive stop of one target, after every new pair: 1 stop, 0 another
 * pair, -1 bad input. Only at a look (stats_gate_looks) may it stop: when
 * the interval at the look's level decides (REGRESSED, IMPROVED or
 * UNCHANGED), or at max_runs (where INCONCLUSIVE stays INCONCLUSIVE).
 * Between looks *ci is the interval at the look level for progress, and the
 * verdict INCONCLUSIVE. ci and verdict may be NULL.
 */
int stats_gate_should_stop(const double *ratios, size_t n, int min_runs, int max_runs,
                           double threshold, double level, struct stats_interval *ci,
                           enum stats_gate_verdict *verdict);

/* One target of a family: its ratios and threshold in, its verdict out. */
struct stats_gate_item {
	const double *ratios; /* head / base per pair; n of them (1 for exact counts) */
	size_t n;
	double threshold;
	int exact;    /* exact counts: the interval is the ratio itself */
	size_t looks; /* looks the measurement took (stats_gate_looks; 0 = 1) */
	/* filled by stats_gate_holm */
	struct stats_interval ci; /* at the level that decided it */
	enum stats_gate_verdict verdict;
	double level; /* that level */
};

/*
 * Holm's step-down over k items (see above), family-wise rate alpha
 * (0.05); an item's level is also divided by its looks. An item with no
 * ratios (n == 0) or a ratio that is not finite is INCONCLUSIVE with a NAN
 * interval and still counts in the family (it was meant to be compared).
 * 0, or -1 when alpha is not in (0, 1).
 */
int stats_gate_holm(struct stats_gate_item *items, size_t k, double alpha);

#endif
