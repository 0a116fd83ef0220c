/*
 * stats_gate.c: the regression verdict and its family-wise control. See
 * stats_gate.h.
 */
#include "engine/stats_gate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

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

int stats_gate_interval(const double *ratios, size_t n, double level, int exact,
                        struct stats_interval *ci)
{
	if (stats_sign_interval(ratios, n, level, ci) < 0)
		return -1;
	if (exact)
		ci->lo = ci->hi = ci->estimate;
	return 0;
}

size_t stats_gate_looks(int min_runs, int max_runs, size_t *at, size_t cap)
{
	size_t k = 0, first, look;

	if (min_runs < 1 || max_runs < min_runs)
		return 0;
	first = (size_t)(min_runs > STATS_GATE_FIRST_LOOK ? min_runs : STATS_GATE_FIRST_LOOK);
	first += first % 2;
	for (look = first; look < (size_t)max_runs && k + 1 < STATS_GATE_MAX_LOOKS; look *= 2) {
		if (at && k < cap)
			at[k] = look;
		k++;
	}
	if (at && k < cap)
		at[k] = (size_t)max_runs;
	return k + 1;
}

/* The level of each look, and whether n is one. */
static int is_look(size_t n, int min_runs, int max_runs, double level, double *look_level)
{
	size_t at[STATS_GATE_MAX_LOOKS];
	size_t looks = stats_gate_looks(min_runs, max_runs, at, STATS_GATE_MAX_LOOKS);
	int hit = 0;

	*look_level = 1 - (1 - level) / (double)(looks ? looks : 1);
	for (size_t i = 0; i < looks; i++)
		hit |= at[i] == n;
	return hit;
}

int stats_gate_should_stop(const double *ratios, size_t n, int min_runs, int max_runs,
                           double threshold, double level, struct stats_interval *ci,
                           enum stats_gate_verdict *verdict)
{
	struct stats_interval c;
	enum stats_gate_verdict v = GATE_INCONCLUSIVE;
	double look_level;
	int look;

	if (verdict)
		*verdict = GATE_INCONCLUSIVE;
	if (min_runs < 1 || max_runs < min_runs || !ratios || !(level > 0 && level < 1))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(ratios[i]))
			return -1;
	look = is_look(n, min_runs, max_runs, level, &look_level) || n >= (size_t)max_runs;
	if (!n) {
		if (ci)
			stats_gate_interval(ratios, 0, look_level, 0, ci);
		return 0;
	}
	stats_gate_interval(ratios, n, look_level, 0, &c);
	if (look)
		v = stats_gate_decide(&c, threshold);
	if (ci)
		*ci = c;
	if (verdict)
		*verdict = v;
	return look && (v != GATE_INCONCLUSIVE || n >= (size_t)max_runs);
}

int stats_gate_holm(struct stats_gate_item *items, size_t k, double alpha)
{
	size_t left = k;
	int *done;

	if (!(alpha > 0 && alpha < 1))
		return -1;
	if (!k)
		return 0;
	done = xcalloc(k, sizeof(*done));
	while (left) {
		double family = stats_gate_bonferroni_level(alpha, left);
		size_t removed = 0;

		for (size_t i = 0; i < k; i++) {
			struct stats_gate_item *it = &items[i];
			size_t looks = it->exact || !it->looks ? 1 : it->looks;
			if (done[i])
				continue;
			it->level = 1 - (1 - family) / (double)looks;
			it->verdict = GATE_INCONCLUSIVE;
			if (stats_gate_interval(it->ratios, it->n, it->level, it->exact, &it->ci) ==
			    0)
				it->verdict = stats_gate_decide(&it->ci, it->threshold);
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
