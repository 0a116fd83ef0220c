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
 * Like stats.h: no global state, no printing; the same ratios and seeds
 * always give the same verdicts.
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
 * The adaptive stop of one target, after every new pair, like
 * stats_should_stop: 1 stop, 0 another pair, -1 bad input. *ci is the
 * `level` interval of all n ratios. Before max_runs, UNCHANGED stops at
 * once (the safe direction for a gate), and REGRESSED or IMPROVED stop only
 * when the stricter interim level (1 - (1 - level) / 5) says the same on
 * all n ratios and on the first n - 1: each look is one more chance for
 * noise to pass. At max_runs the verdict is the plain rule at `level`, and
 * INCONCLUSIVE stays INCONCLUSIVE. ci and verdict may be NULL.
 */
int stats_gate_should_stop(const double *ratios, size_t n, int min_runs, int max_runs,
                           double threshold, double level, uint64_t seed, struct stats_interval *ci,
                           enum stats_gate_verdict *verdict);

/* One target of a family: its ratios and threshold in, its verdict out. */
struct stats_gate_item {
	const double *ratios; /* head / base per pair; n of them (1 for exact counts) */
	size_t n;
	double threshold;
	uint64_t seed;
	/* filled by stats_gate_holm */
	struct stats_interval ci; /* at the level that decided it */
	enum stats_gate_verdict verdict;
	double level; /* that level */
};

/*
 * Holm's step-down over k items (see above), family-wise rate alpha
 * (0.05). An item with no ratios (n == 0) or a ratio that is not finite is
 * INCONCLUSIVE with a NAN interval and still counts in the family (it was
 * meant to be compared). 0, or -1 when alpha is not in (0, 1).
 */
int stats_gate_holm(struct stats_gate_item *items, size_t k, double alpha, unsigned resamples);

#endif
