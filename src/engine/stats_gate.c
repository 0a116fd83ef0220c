/*
 * stats_gate.c: the regression verdict and its family-wise control. See
 * stats_gate.h.
 */
#include "engine/stats_gate.h"

#include <math.h>
#include <stdlib.h>

/* Relative slack of "at least the threshold": 101/100 must read as 1%. */
#define EDGE_SLACK 1e-9

const char *stats_gate_verdict_name(enum stats_gate_verdict v)
{
	switch (v) {
	case GATE_UNCHANGED:
		return "unchanged";
	case GATE_IMPROVED:
		return "improved";
	case GATE_REGRESSED:
		return "regressed";
	case GATE_INCONCLUSIVE:
		break;
	}
	return "inconclusive";
}

enum stats_gate_verdict stats_gate_decide(const struct stats_interval *ci, double threshold)
{
	double up = (1 + threshold) * (1 - EDGE_SLACK),
	       down = 1 / (1 + threshold) * (1 + EDGE_SLACK);

	if (!ci || isnan(ci->estimate) || isnan(ci->lo) || isnan(ci->hi) || !(threshold > 0))
		return GATE_INCONCLUSIVE;
	if (ci->lo > 1 && ci->estimate >= up)
		return GATE_REGRESSED;
	if (ci->hi < 1 && ci->estimate <= down)
		return GATE_IMPROVED;
	/* Inside the band, its edges included. */
	if (ci->lo >= 1 / (1 + threshold) * (1 - EDGE_SLACK) &&
	    ci->hi <= (1 + threshold) * (1 + EDGE_SLACK))
		return GATE_UNCHANGED;
	return GATE_INCONCLUSIVE;
}

double stats_gate_bonferroni_level(double alpha, size_t k)
{
	return 1 - alpha / (double)(k ? k : 1);
}

static int decided(enum stats_gate_verdict v)
{
	return v == GATE_REGRESSED || v == GATE_IMPROVED;
}

/* The verdict at `level` on the first n ratios; INCONCLUSIVE when no interval. */
static enum stats_gate_verdict verdict_at(const double *ratios, size_t n, double threshold,
                                          double level, uint64_t seed, unsigned resamples,
                                          struct stats_interval *ci)
{
	struct stats_interval tmp;

	if (!ci)
		ci = &tmp;
	if (stats_bootstrap_median(ratios, n, resamples, level, seed, ci) < 0)
		return GATE_INCONCLUSIVE;
	return stats_gate_decide(ci, threshold);
}

int stats_gate_should_stop(const double *ratios, size_t n, int min_runs, int max_runs,
                           double threshold, double level, uint64_t seed, struct stats_interval *ci,
                           enum stats_gate_verdict *verdict)
{
	struct stats_interval c;
	enum stats_gate_verdict v;
	double interim = 1 - (1 - level) / 5;

	if (verdict)
		*verdict = GATE_INCONCLUSIVE;
	if (min_runs < 1 || max_runs < min_runs || !ratios || !(level > 0 && level < 1))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(ratios[i]))
			return -1;
	if (n < (size_t)min_runs)
		return 0;
	v = verdict_at(ratios, n, threshold, level, seed, 0, &c);
	if (n < (size_t)max_runs && decided(v) &&
	    !(n > (size_t)min_runs &&
	      verdict_at(ratios, n, threshold, interim, seed, 0, NULL) == v &&
	      verdict_at(ratios, n - 1, threshold, interim, seed, 0, NULL) == v))
		v = GATE_INCONCLUSIVE;
	if (ci)
		*ci = c;
	if (verdict)
		*verdict = v;
	return v != GATE_INCONCLUSIVE || n >= (size_t)max_runs;
}

int stats_gate_holm(struct stats_gate_item *items, size_t k, double alpha, unsigned resamples)
{
	size_t left = k;
	int *done;

	if (!(alpha > 0 && alpha < 1))
		return -1;
	if (!k)
		return 0;
	done = calloc(k, sizeof(*done));
	if (!done)
		return -1;
	while (left) {
		double level = stats_gate_bonferroni_level(alpha, left);
		size_t removed = 0;

		for (size_t i = 0; i < k; i++) {
			struct stats_gate_item *it = &items[i];
			if (done[i])
				continue;
			it->level = level;
			it->verdict = verdict_at(it->ratios, it->n, it->threshold, level, it->seed,
			                         resamples, &it->ci);
			if (decided(it->verdict)) {
				done[i] = 1;
				removed++;
			}
		}
		if (!removed)
			break;
		left -= removed;
	}
	free(done);
	return 0;
}
