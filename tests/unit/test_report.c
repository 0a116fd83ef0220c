/*
 * test_report.c: report.json, the table and summary.md read a const view:
 * the headline (original, best, speedup) comes from one measurement, the
 * winner is named by its lineage, checks are recorded, cells are cut at a
 * word, and a target that could not be set up still has its row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/xalloc.h"
#include "engine/objective.h"
#include "engine/pipeline.h"
#include "engine_fixture.h"
#include "test_util.h"
#include "report/report.h"

struct rep {
	struct fixture f;
	struct pipeline *p;
	struct candidate *c[4];
	struct run_view v;
};

static void measured(struct cand_measurement *m, int against, double value, double base, double est,
                     double lo, double hi)
{
	memset(m, 0, sizeof(*m));
	m->compared_with = against;
	m->value = value;
	m->base_value = base;
	m->ci.estimate = est;
	m->ci.lo = lo;
	m->ci.hi = hi;
	m->ci.level = 0.95;
	m->ci.n = 7;
	m->nsamples = 1;
	m->base_samples = xcalloc(1, sizeof(double));
	m->cand_samples = xcalloc(1, sizeof(double));
	m->base_samples[0] = base;
	m->cand_samples[0] = value;
}

/* original (0.300 s) <- c1 "llm r1c1" (accepted) <- c2 "-O3 | odd" (accepted, confirmed). */
static void make(struct rep *r)
{
	struct pipeline_options po;
	struct buf err = BUF_INIT;
	struct cand_check k;

	memset(r, 0, sizeof(*r));
	fixture_init(&r->f, 0, 0, NULL);
	pipeline_options_default(&po);
	po.target = &r->f.m.targets[0];
	po.state_dir = r->f.state;
	po.run_id = "test";
	assert_int_equal(pipeline_open(&po, &r->p, &err), ENGINE_OK);
	r->c[0] = pipeline_original(r->p);
	r->c[1] = fixture_candidate("llm r1c1", 0, 0, 42);
	r->c[1]->parent = 0;
	r->c[2] = candidate_new("flags", "-O3 | odd");
	r->c[2]->set.cflags = xstrdup("-O3");
	r->c[2]->parent = 1;
	for (int i = 0; i < 3; i++) {
		r->c[i]->id = i;
		candidate_resolve(r->c[i], r->c, pipeline_pristine(r->p));
	}
	candidate_set(r->c[0], CAND_ACCEPTED, NULL);
	r->c[0]->meas.value = 0.300;
	candidate_set(r->c[1], CAND_ACCEPTED, "ratio 0.5");
	measured(&r->c[1]->meas, 0, 0.150, 0.300, 0.5, 0.45, 0.55);
	candidate_set(r->c[2], CAND_ACCEPTED, "ratio 0.9");
	measured(&r->c[2]->meas, 1, 0.135, 0.150, 0.9, 0.85, 0.95);
	/* The confirmation against the original: a fresh sample, 0.4. */
	memset(&k, 0, sizeof(k));
	measured(&k.m, 0, 0.128, 0.320, 0.4, 0.38, 0.42);
	k.verdict = CAND_ACCEPTED;
	k.reason = xstrdup("ratio 0.400");
	candidate_add_check(r->c[2], &k);
	r->v.target = &r->f.m.targets[0];
	r->v.run_id = "test";
	r->v.run_dir = pipeline_run_dir(r->p);
	r->v.cands = r->c;
	r->v.ncands = 3;
	r->v.best = 2;
	r->v.headline = 2;
	r->v.pipe = r->p;
	buf_release(&err);
}

static void unmake(struct rep *r)
{
	for (int i = 0; i < 4; i++)
		candidate_free(r->c[i]);
	pipeline_close(r->p);
	fixture_release(&r->f);
}

static void test_headline_is_one_measurement(void **state)
{
	struct rep r;
	struct report_target rt = {0};
	const struct cand_measurement *h;
	cJSON *o, *best, *sp, *hl;

	(void)state;
	make(&r);
	h = report_headline(&r.v);
	assert_non_null(h);
	assert_ptr_equal(h, &r.c[2]->checks[0].m);
	rt.t = r.v.target;
	rt.v = &r.v;
	o = report_target_json(&rt);
	assert_string_equal(json_get_string(o, "status", ""), "improved");
	best = cJSON_GetObjectItemCaseSensitive(o, "best");
	assert_string_equal(json_get_string(best, "lineage", ""), "llm r1c1 + -O3 | odd");
	sp = cJSON_GetObjectItemCaseSensitive(best, "speedup");
	assert_true(fabs(json_get_number(sp, "estimate", 0) - 2.5) < 1e-9);
	hl = cJSON_GetObjectItemCaseSensitive(best, "headline");
	/* original / best = the speedup, from the same measurement */
	assert_true(
	    fabs(json_get_number(cJSON_GetObjectItemCaseSensitive(hl, "original"), "value", 0) /
	             json_get_number(cJSON_GetObjectItemCaseSensitive(hl, "best"), "value", 1) -
	         2.5) < 1e-9);
	assert_non_null(strstr(json_get_string(hl, "source", ""), "confirming"));
	{
		cJSON *cands = cJSON_GetObjectItemCaseSensitive(o, "candidates");
		cJSON *c2 = cJSON_GetArrayItem(cands, 2);
		cJSON *checks = cJSON_GetObjectItemCaseSensitive(c2, "checks");
		assert_int_equal(cJSON_GetArraySize(checks), 1);
		assert_string_equal(json_get_string(cJSON_GetArrayItem(checks, 0), "verdict", ""),
		                    "confirmed");
		assert_string_equal(json_get_string(c2, "stage", ""), "none");
	}
	cJSON_Delete(o);
	unmake(&r);
}

static void test_table_and_summary(void **state)
{
	struct rep r;
	struct report_target rt[2];
	struct run_meta meta;
	struct measure_settings m;
	struct buf table = BUF_INIT, md = BUF_INIT;
	struct target broken;

	(void)state;
	make(&r);
	memset(rt, 0, sizeof(rt));
	rt[0].t = r.v.target;
	rt[0].v = &r.v;
	memset(&broken, 0, sizeof(broken));
	broken.name = "broken";
	broken.tree = "/nowhere";
	broken.objective = "cycles";
	rt[1].t = &broken;
	rt[1].error = "target 'broken': cycles cannot be counted here";
	report_table(rt, 2, &table);
	/* original 320.0 ms / best 128.0 ms = 2.50x: one measurement */
	assert_non_null(
	    strstr(table.data, "| prog | time | 320.0 ms | 128.0 ms | 2.50x [2.38, 2.63] |"));
	assert_non_null(strstr(table.data, "llm r1c1 + -O3 \\| odd"));
	assert_non_null(strstr(table.data, "| broken | cycles | failed |"));
	assert_string_equal(report_target_status(&rt[1]), "baseline-failed");

	/* A long reason is cut at a word boundary in summary.md. */
	candidate_set(r.c[1], CAND_ACCEPTED,
	              "ratio 0.500 and then a very long explanation that goes on and on well past "
	              "the width of a table cell so that it must be cut somewhere sensible indeed "
	              "yes, at a space and never inside a word like this one: incomprehensibility");
	measure_settings_default(&m);
	memset(&meta, 0, sizeof(meta));
	meta.run_id = "test";
	meta.command = "optimize run";
	meta.proposer = "flags";
	meta.m = &m;
	report_summary_md(rt, 2, &meta, &md);
	assert_non_null(strstr(md.data, "yes, at a … |"));
	assert_null(strstr(md.data, "yes, at a n"));
	assert_non_null(strstr(md.data, "The target could not be set up: target 'broken'"));
	assert_non_null(strstr(md.data, "Headline: 0.128 against 0.32 s"));
	buf_release(&table);
	buf_release(&md);
	unmake(&r);
}

static void test_original_kept(void **state)
{
	struct rep r;
	struct report_target rt = {0};
	struct buf table = BUF_INIT;

	(void)state;
	make(&r);
	r.v.best = 0;
	r.v.headline = -1;
	assert_null(report_headline(&r.v));
	rt.t = r.v.target;
	rt.v = &r.v;
	report_table(&rt, 1, &table);
	assert_non_null(strstr(table.data, "1.00x (no confirmed gain) | original |"));
	assert_string_equal(report_target_status(&rt), "no-improvement");
	buf_release(&table);
	unmake(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_headline_is_one_measurement),
	    cmocka_unit_test(test_table_and_summary),
	    cmocka_unit_test(test_original_kept),
	};
	return test_run(tests, NULL, NULL);
}
