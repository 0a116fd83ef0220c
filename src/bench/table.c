/*
 * table.c: a suite's rows from its journal, and the aggregate. See table.h.
 */
#include "bench/table.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/xalloc.h"

double bench_row_speedup(const struct bench_row *r)
{
	if (!r->correct || !(r->speedup > 0) || !isfinite(r->speedup))
		return 1.0;
	return r->speedup;
}

static void geo(const double *v, size_t n, uint64_t seed, struct stats_interval *out)
{
	memset(out, 0, sizeof(*out));
	out->estimate = out->lo = out->hi = NAN;
	if (n)
		stats_bootstrap_geomean(v, n, STATS_DEFAULT_RESAMPLES, STATS_DEFAULT_LEVEL, seed,
		                        out);
}

void bench_aggregate(const struct bench_row *rows, size_t n, const double *p, size_t np,
                     uint64_t seed, struct bench_aggregate *out)
{
	double *all = xcalloc(n + 1, sizeof(*all)), *cor = xcalloc(n + 1, sizeof(*cor));
	double *pre = xcalloc(n + 1, sizeof(*pre));
	size_t nc = 0, npre = 0;

	memset(out, 0, sizeof(*out));
	out->n = n;
	out->np = np > BENCH_MAX_FAST_P ? BENCH_MAX_FAST_P : np;
	for (size_t i = 0; i < n; i++) {
		double s = bench_row_speedup(&rows[i]);
		all[i] = s;
		if (rows[i].correct)
			cor[nc++] = s;
		if (rows[i].preset && rows[i].preset_vs_best > 0 &&
		    isfinite(rows[i].preset_vs_best))
			pre[npre++] = rows[i].preset_vs_best;
	}
	out->ncorrect = nc;
	out->correct_rate = n ? (double)nc / (double)n : NAN;
	for (size_t k = 0; k < out->np; k++) {
		size_t c = 0;
		out->p[k] = p[k];
		for (size_t i = 0; i < n; i++)
			c += rows[i].correct && bench_row_speedup(&rows[i]) > p[k];
		out->fast_p[k] = n ? (double)c / (double)n : NAN;
	}
	geo(all, n, seed, &out->geo_all);
	geo(cor, nc, seed, &out->geo_correct);
	geo(pre, npre, seed, &out->geo_preset);
	out->npreset = npre;
	free(all);
	free(cor);
	free(pre);
}

int bench_table_load(const char *dir, struct bench_table *t, struct buf *err)
{
	const cJSON *set, *fp, *x;
	double p[BENCH_MAX_FAST_P];
	size_t np = 0;
	uint64_t seed;
	int r;

	memset(t, 0, sizeof(*t));
	r = bench_journal_read(dir, &t->j, err);
	if (r != 0)
		return r < 0 ? -1
		             : err_set(err, "%s: no %s: not an output folder of optimize bench",
		                       dir, BENCH_JOURNAL_FILE);
	t->suite = t->j.suite;
	t->rows = xcalloc(t->j.n + 1, sizeof(*t->rows));
	for (size_t i = 0; i < t->j.n; i++) {
		if (t->j.state[i] == BENCH_DONE)
			bench_row_parse(t->j.rows[i], &t->rows[t->n++]);
		else
			t->nmissing++;
	}
	set = cJSON_GetObjectItemCaseSensitive(t->suite, "settings");
	fp = cJSON_GetObjectItemCaseSensitive(set, "fast_p");
	cJSON_ArrayForEach(x, fp)
	{
		if (cJSON_IsNumber(x) && np < BENCH_MAX_FAST_P)
			p[np++] = x->valuedouble;
	}
	if (!np)
		np = bench_default_fast_p(p, BENCH_MAX_FAST_P);
	seed = (uint64_t)json_get_number(set, "seed", 1);
	bench_aggregate(t->rows, t->n, p, np, seed, &t->agg);
	return 0;
}

void bench_table_release(struct bench_table *t)
{
	free(t->rows);
	bench_journal_release(&t->j);
	memset(t, 0, sizeof(*t));
}
