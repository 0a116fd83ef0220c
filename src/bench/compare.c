/*
 * compare.c: two suites' tables side by side. See compare.h.
 */
#include "bench/compare.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/xalloc.h"
#include "bench/render.h"

double bench_sign_test(size_t w, size_t l)
{
	size_t n = w + l, k = w < l ? w : l;
	double p = 0, c = 1; /* C(n, i) * 0.5^n, built up in logs to stay finite */

	if (!n)
		return NAN;
	for (size_t i = 0; i <= k; i++) {
		c = exp(lgamma((double)n + 1) - lgamma((double)i + 1) -
		        lgamma((double)(n - i) + 1) - (double)n * log(2.0));
		p += c;
	}
	p *= 2;
	return p > 1 ? 1 : p;
}

static const struct bench_row *find(const struct bench_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->rows[i].name, name))
			return &t->rows[i];
	return NULL;
}

static void fmt_x(double x, struct buf *out)
{
	if (isfinite(x))
		buf_addf(out, "%.3fx", x);
	else
		buf_addstr(out, "-");
}

static void aggregates_md(const struct bench_table *a, const struct bench_table *b, struct buf *md)
{
	const struct bench_aggregate *x = &a->agg, *y = &b->agg;

	buf_addstr(md, "\n| metric | A | B |\n|---|---|---|\n");
	buf_addf(md, "| targets | %zu | %zu |\n| correct | %.3f | %.3f |\n", x->n, y->n,
	         x->correct_rate, y->correct_rate);
	for (size_t k = 0; k < x->np && k < y->np; k++)
		if (x->p[k] == y->p[k])
			buf_addf(md, "| fast_%g | %.3f | %.3f |\n", x->p[k], x->fast_p[k],
			         y->fast_p[k]);
	buf_addstr(md, "| geometric mean, all | ");
	fmt_x(x->geo_all.estimate, md);
	buf_addstr(md, " | ");
	fmt_x(y->geo_all.estimate, md);
	buf_addstr(md, " |\n| geometric mean, correct | ");
	fmt_x(x->geo_correct.estimate, md);
	buf_addstr(md, " | ");
	fmt_x(y->geo_correct.estimate, md);
	buf_addstr(md, " |\n");
}

static void add_pair(cJSON *arr, const char *name, const struct bench_row *x,
                     const struct bench_row *y, double ratio)
{
	cJSON *o = json_add_object(arr, NULL);
	json_add_string(o, "target", name);
	json_add_number(o, "a", x ? bench_row_speedup(x) : NAN);
	json_add_number(o, "b", y ? bench_row_speedup(y) : NAN);
	json_add_bool(o, "a_correct", x && x->correct);
	json_add_bool(o, "b_correct", y && y->correct);
	json_add_number(o, "ratio", ratio);
}

void bench_compare(const struct bench_table *a, const struct bench_table *b, const char *label_a,
                   const char *label_b, struct bench_comparison *out, struct buf *md,
                   struct cJSON **json)
{
	double *ratios = xcalloc(a->n + 1, sizeof(*ratios));
	cJSON *root = cJSON_CreateObject(), *pairs, *o;
	uint64_t seed = (uint64_t)json_get_number(
	    cJSON_GetObjectItemCaseSensitive(a->suite, "settings"), "seed", 1);

	memset(out, 0, sizeof(*out));
	json_add_string(root, "schema", "optimize.bench.compare");
	json_add_number(root, "schema_version", 1);
	json_add_string(root, "a", label_a);
	json_add_string(root, "b", label_b);
	pairs = json_add_array(root, "targets");
	buf_addf(md, "# Compare: A = %s, B = %s\n\nA: ", label_a, label_b);
	bench_fingerprint_line(a, md);
	buf_addstr(md, "\n\nB: ");
	bench_fingerprint_line(b, md);
	buf_addstr(md, "\n\n| target | A speedup | B speedup | B / A | A correct | B correct |\n"
	               "|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < a->n; i++) {
		const struct bench_row *x = &a->rows[i], *y = find(b, x->name);
		double r;
		if (!y) {
			out->only_a++;
			add_pair(pairs, x->name, x, NULL, NAN);
			continue;
		}
		r = bench_row_speedup(y) / bench_row_speedup(x);
		ratios[out->n++] = r;
		if (fabs(r - 1) <= 1e-9)
			out->ties++;
		else if (r > 1)
			out->wins++;
		else
			out->losses++;
		add_pair(pairs, x->name, x, y, r);
		buf_addf(md, "| %s | ", x->name);
		fmt_x(bench_row_speedup(x), md);
		buf_addstr(md, " | ");
		fmt_x(bench_row_speedup(y), md);
		buf_addf(md, " | %.3f | %s | %s |\n", r, x->correct ? "yes" : "no",
		         y->correct ? "yes" : "no");
	}
	for (size_t i = 0; i < b->n; i++)
		if (!find(a, b->rows[i].name)) {
			out->only_b++;
			add_pair(pairs, b->rows[i].name, NULL, &b->rows[i], NAN);
		}
	out->sign_p = bench_sign_test(out->wins, out->losses);
	memset(&out->geo, 0, sizeof(out->geo));
	out->geo.estimate = out->geo.lo = out->geo.hi = NAN;
	if (out->n)
		stats_bootstrap_geomean(ratios, out->n, STATS_DEFAULT_RESAMPLES,
		                        STATS_DEFAULT_LEVEL, seed, &out->geo);
	buf_addf(md,
	         "\nPaired over %zu targets in both: B better on %zu, worse on %zu, equal on %zu; "
	         "sign test p = ",
	         out->n, out->wins, out->losses, out->ties);
	if (isfinite(out->sign_p))
		buf_addf(md, "%.3g (two-sided)", out->sign_p);
	else
		buf_addstr(md, "- (no target differs)");
	buf_addstr(md, "; geometric mean of B / A ");
	if (isfinite(out->geo.estimate))
		buf_addf(md, "%.3fx [%.3f, %.3f] (95%% bootstrap over targets).\n",
		         out->geo.estimate, out->geo.lo, out->geo.hi);
	else
		buf_addstr(md, "-.\n");
	if (out->only_a || out->only_b)
		buf_addf(md, "Only in A: %zu target(s); only in B: %zu (not paired).\n",
		         out->only_a, out->only_b);
	aggregates_md(a, b, md);
	o = json_add_object(root, "paired");
	json_add_number(o, "targets", (double)out->n);
	json_add_number(o, "wins", (double)out->wins);
	json_add_number(o, "losses", (double)out->losses);
	json_add_number(o, "ties", (double)out->ties);
	json_add_number(o, "sign_test_p", out->sign_p);
	json_add_number(o, "geomean_ratio", out->geo.estimate);
	json_add_number(o, "geomean_ratio_lo", out->geo.lo);
	json_add_number(o, "geomean_ratio_hi", out->geo.hi);
	if (json)
		*json = root;
	else
		cJSON_Delete(root);
	free(ratios);
}
